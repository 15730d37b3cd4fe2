# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Polyphonic music: predicting the next chord
#
# The paper's second task is sequence prediction on the polyphonic-music benchmarks of
# Boulanger-Lewandowski et al. (2012). A piece is a **piano roll**: at every time step, which of the 88
# piano keys sound. The network reads the piece step by step and, at each step, predicts the
# probability of every key at the *next* step. It is scored by the negative log-likelihood (NLL) of
# what is actually played, in nats per time step: lower is better.
#
# We use the 90 Bach chorales (JSB Chorales) that ship with the package: 60 for training, 15 for
# validation, 15 for test, drawn from the official splits. The network is the paper's 88-150-88: one
# layer of 150 SNUs and a linear read-out. A short run takes seconds; the last section gives the
# full-size command.

# %%
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

import snu_np
from snu_np import Adam, bernoulli_nll
from snu_np.data import load_embedded_music, pad_sequences
from snu_np.tasks import build_model
from snu_np.train import evaluate, set_blas_threads
from snu_np.plot import plot_neuron, plot_piano_roll, plot_training_curves

set_blas_threads(1)                  # small matrices: one BLAS thread is fastest
snu_np.set_backend("numba")          # the compiled kernels (notebook 20)
np.set_printoptions(precision=3, suppress=True)
SEED = 0
rng = np.random.default_rng(SEED)    # the order of the training chorales below

# %% [markdown]
# ## 1. Chorales as piano rolls
#
# `load_embedded_music()` returns `{"train", "valid", "test"}`, each a list of uint8 arrays of shape
# (T_i, 88): row $t$ is a time step (a fixed note value), column $k$ is MIDI note
# $21 + k$ (A0 … C8), 1 = key held. Chorales are four-part harmony, so about four keys sound at a time.

# %%
music = load_embedded_music()
for split, rolls in music.items():
    lengths = [len(r) for r in rolls]
    print(
        f"{split:<5}: {len(rolls):2d} chorales, {sum(lengths):5d} steps (from "
        f"{min(lengths)} to {max(lengths)}), "
        f"{np.mean(np.concatenate(rolls).sum(axis=1)):.2f} keys per step"
    )
assert [len(music[s]) for s in ("train", "valid", "test")] == [60, 15, 15]

roll = music["train"][0]
def pitch_range(*rolls, margin=3):
    """(low, high) MIDI limits around the keys that sound in the given rolls, for a
    zoomed y axis."""
    keys = (
        np.flatnonzero(np.any([np.asarray(x).max(axis=0) > 0 for x in rolls], axis=0))
        + 21
    )
    return keys.min() - margin - 0.5, keys.max() + margin + 0.5


fig = plot_piano_roll(roll, title=f"a training chorale: {len(roll)} steps")
fig.axes[0].set_ylim(*pitch_range(roll));    # zoom on the keys that sound

# %% [markdown]
# ## 2. The task: next-step prediction
#
# The input at step $t$ is the roll $r_t$ and the target is $r_{t+1}$, so a chorale of length $L$ gives
# $L - 1$ predictions. The network outputs a logit $\ell_{t,k}$ per key and $p_{t,k} = \sigma(\ell_{t,k})$
# is its probability that key $k$ sounds at step $t + 1$. The keys are treated as independent given
# the past (a product of 88 Bernoullis), so the loss of one step is the binary cross-entropy summed over
# the keys, and the loss of a batch averages over the $N$ predicted steps (`loss-bernoulli-nll`):
#
# $$ L = -\frac{1}{N} \sum_{t,b} m_{t,b} \sum_{k=1}^{88} \Bigl[ r_{t+1,k} \log p_{t,k}
#        + (1 - r_{t+1,k}) \log (1 - p_{t,k}) \Bigr], \qquad N = \sum_{t,b} m_{t,b}, $$
#
# where the mask $m_{t,b} \in \{0, 1\}$ marks which steps exist when chorales of different lengths are
# padded into one batch. `bernoulli_nll(logits, target, mask)` returns $L$ and $\partial L/\partial \ell$,
# computed in a form that never overflows.
#
# `pad_sequences` stacks chorales into a time-major (T_max, B, 88) array with zeros after each chorale's
# end, plus the (T_max, B) mask. Inputs are steps $0 \dots T_{\max}-2$, targets steps $1 \dots T_{\max}-1$,
# and a target step counts if it exists:

# %%
batch = [music["train"][i] for i in (0, 1, 2)]
xp, mask = pad_sequences(batch, dtype=np.float32)
x_in, target, m = xp[:-1], xp[1:], mask[1:]
print(
    "lengths",
    [len(r) for r in batch],
    "-> padded",
    xp.shape,
    "| predicted steps per chorale:",
    m.sum(axis=0).astype(int),
    "(each L - 1)",
)
assert m.sum() == sum(len(r) - 1 for r in batch)

# %% [markdown]
# ## 3. The 88-150-88 network
#
# `build_model` for a music task builds the hidden SNU layer(s) and then a `Dense` layer with **linear**
# outputs (the logits). With one layer of 150 SNUs this is the paper's network:
# $88 \cdot 150 + 150$ (SNU: $W$, $b$) $+\ 150 \cdot 88 + 88$ (read-out) $= 26{,}638$ parameters.

# %%
net = build_model("jsb", "snu", layers=(150,), seed=SEED)
print(net)
assert net.n_params == 26_638

# %% [markdown]
# ### Two reference points
#
# * An untrained read-out gives logits near 0, i.e. $p \approx 0.5$ for every key: about
#   $88 \ln 2 = 61$ nats per step.
# * A network that ignores the past can at best predict each key with its frequency in the training
#   set. That **key-frequency model** costs (on the validation chorales):

# %%
def pooled_nll(net, rolls):
    """NLL in nats per predicted step, pooled over the chorales: (sum of all steps' NLL)
    / (number of steps)."""
    total, steps = 0.0, 0
    for r in rolls:
        r = r.astype(np.float32)
        # batch of one, no mask
        loss, _ = bernoulli_nll(net.forward(r[:-1, None]), r[1:, None])
        total += loss * (len(r) - 1)
        steps += len(r) - 1
    return total / steps


# P(key k sounds), training set
freq = np.concatenate(music["train"]).mean(axis=0).clip(1e-4, 1 - 1e-4)
val_targets = np.concatenate([r[1:] for r in music["valid"]]).astype(float)
nll_freq = -np.mean(
    np.sum(val_targets * np.log(freq) + (1 - val_targets) * np.log(1 - freq), axis=1)
)
nll_init = pooled_nll(net, music["valid"])
print(f"untrained network: {nll_init:.2f} nats/step (88 ln 2 = {88 * np.log(2):.2f});  "
      f"key-frequency model: {nll_freq:.2f} nats/step")

# %% [markdown]
# ## 4. Training
#
# The paper trains with one chorale per step (batch size 1, the default of `snu-np train` for music).
# Here we use padded mini-batches of 4 chorales with the mask, 20 epochs of the 60 training chorales,
# Adam with learning rate $10^{-2}$. Each step is the usual forward → loss → backward → update.

# %%
EPOCHS, BATCH, LR = 20, 4, 1e-2
opt = Adam(net, lr=LR)
history = [{"epoch": 0, "val_nll": nll_init}]
for epoch in range(EPOCHS):
    perm = rng.permutation(len(music["train"]))
    total, steps = 0.0, 0
    for k in range(0, len(perm), BATCH):
        xp, mask = pad_sequences(
            [music["train"][i] for i in perm[k : k + BATCH]], dtype=np.float32
        )
        logits = net.forward(xp[:-1])                          # (T_max - 1, B, 88)
        loss, dlogits = bernoulli_nll(logits, xp[1:], mask[1:])
        net.backward(dlogits, need_dx=False)
        opt.step()
        n = int(mask[1:].sum())
        total, steps = total + loss * n, steps + n
    history.append(
        {
            "epoch": epoch + 1,
            "train_nll": total / steps,
            "val_nll": pooled_nll(net, music["valid"]),
        }
    )
    if (epoch + 1) % 5 == 0:
        print(
            f"epoch {epoch + 1:2d}: train NLL {total / steps:.2f}, validation NLL "
            f"{history[-1]['val_nll']:.2f} nats/step"
        )

fig = plot_training_curves(
    history[1:], metrics=("nll",), title="88-150-88 SNU on the embedded JSB chorales"
)
ax = fig.axes[0]
ax.axhline(
    nll_freq, color="tab:gray", ls="--", label="key-frequency model (validation)"
)
ax.set_ylabel("NLL (nats per time step)")
# epoch 1's
ax.set_ylim(0.9 * min(h["train_nll"] for h in history[1:]), 1.3 * history[1]["val_nll"])
ax.legend(fontsize="small");                       # training average may be off the top

# %% [markdown]
# **Check.** Training must lower the validation NLL, far below the untrained network and below the
# model that ignores the past:

# %%
best_val = min(h["val_nll"] for h in history[1:])
print(
    f"validation NLL: {nll_init:.2f} -> {history[-1]['val_nll']:.2f} nats/step (best "
    f"{best_val:.2f})"
)
assert history[-1]["val_nll"] < history[1]["val_nll"] < nll_init
assert history[-1]["val_nll"] < nll_freq

# %% [markdown]
# ## 5. Pooled vs per-sequence NLL
#
# "NLL per time step" can be averaged in two ways:
#
# * **pooled**: add the NLL of every predicted step of every chorale and divide by the total number of
#   predicted steps, $\sum_i \sum_t \mathrm{nll}_{i,t} / \sum_i (L_i - 1)$. Every *step* weighs the
#   same, so long chorales count more. This is what snu-np reports (`snu_np.train.evaluate`, and the
#   `nll` in `results.json`), and what `bernoulli_nll` computes for one padded batch.
# * **per sequence**: first average within each chorale, then average those numbers,
#   $\frac{1}{n}\sum_i \frac{1}{L_i - 1}\sum_t \mathrm{nll}_{i,t}$. Every *chorale* weighs the same.
#
# The two differ when long and short pieces are predicted differently well, so when comparing with a
# published number, check which convention it uses. On our test chorales:

# %%
per_seq = np.array([pooled_nll(net, [r]) for r in music["test"]])
lengths = np.array([len(r) - 1 for r in music["test"]])
pooled = pooled_nll(net, music["test"])
print(f"test NLL pooled over steps:     {pooled:.3f} nats/step")
print(f"test NLL averaged per chorale:  {per_seq.mean():.3f} nats/step")
# pooled = length-weighted mean
assert np.isclose(pooled, np.sum(per_seq * lengths) / lengths.sum())
# the package's evaluation: padded batches + masks
pkg = evaluate(net, "jsb", music["test"], {})
assert np.isclose(pkg["nll"], pooled, rtol=1e-4)
print(f"snu_np.train.evaluate:          {pkg['nll']:.3f} nats/step (pooled)")

# %% [markdown]
# ## 6. What the network predicts
#
# A test chorale next to the probabilities the network assigned to each key, one step ahead. Column $t$
# of the right panel is computed from steps $0 \dots t-1$ of the chorale only.

# %%
k = int(np.argmin(lengths))             # the shortest test chorale, for a readable plot
r = music["test"][k].astype(np.float32)
logits = net.forward(r[:-1, None])[:, 0]                  # (L - 1, 88)
probs = 1.0 / (1.0 + np.exp(-logits))
fig = plot_piano_roll(
    r[1:],
    probs=probs,
    title=f"test chorale {k}: the notes played at step t (left) "
    f"and the predicted probabilities (right)",
)
fig.axes[0].set_ylim(*pitch_range(r, probs > 0.05));

# %% [markdown]
# The network has learnt the range of each voice and that chords tend to be held: its probabilities
# are highest on the keys that sound at the previous step. How good is the prediction, step by step?

# %%
nll_t = -np.sum(
    r[1:] * np.log(probs + 1e-12) + (1 - r[1:]) * np.log(1 - probs + 1e-12), axis=1
)
# do the notes of the predicted step differ from the input step?
changed = np.any(r[1:] != r[:-1], axis=1)
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
ax.plot(
    np.arange(1, len(nll_t) + 1),
    nll_t,
    color="tab:blue",
    marker=".",
    label="NLL of step $t$",
)
ax.plot(np.flatnonzero(changed) + 1, nll_t[changed], "o", mfc="none", color="tab:red",
        label="the notes change at this step")
ax.axhline(nll_freq, color="tab:gray", ls="--", label="key-frequency model (average)")
ax.set_xlabel("time step $t$ (predicted)")
ax.set_ylabel("NLL (nats)")
ax.set_title(f"test chorale {k}: NLL per step (mean {nll_t.mean():.2f} nats)")
ax.grid(alpha=0.3)
ax.legend(fontsize="small", loc="upper right");
print(
    f"mean NLL when the notes are held: {nll_t[~changed].mean():.2f}, when they "
    f"change: {nll_t[changed].mean():.2f}"
)

# %% [markdown]
# Steps where the harmony changes are expensive: predicting *which* chord comes next is the hard part
# of the task.
#
# ## 7. Inside the hidden layer
#
# The hidden SNUs keep a memory of the recent notes in their membrane potentials. One of them, during
# the same chorale (its input current is $I_t = r_t W_{:,j}$):

# %%
hidden = net.layers[0]
# from the last forward pass
s_h, y_h = hidden.cache["s"][:, 0], hidden.cache["y"][:, 0]
n_sp = y_h.sum(axis=0)
# a unit that spikes at about every 4th step
j = int(np.argmin(np.abs(n_sp - len(s_h) / 4)))
I_j = r[:-1] @ hidden.params["W"][:, j]
fig = plot_neuron(
    I=I_j,
    V=s_h[:, j],
    spikes=y_h[:, j],
    v_th=-float(hidden.params["b"][j]),
    title=(
        f"hidden SNU {j} during test chorale {k}: {int(n_sp[j])} spikes in "
        f"{len(I_j)} steps"
    ),
)
fig.axes[1].set_ylabel("state $s_t$ (membrane)")
fig.axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
print(
    f"hidden layer: {y_h.mean():.1%} of unit-steps spike; {np.mean(n_sp == 0):.0%} of "
    "the 150 units stay silent"
)

# %% [markdown]
# ## 8. The paper's experiment, full size
#
# The full JSB Chorales (229 training, 76 validation, 77 test chorales), one chorale per step, early
# stopping on the validation NLL, with the settings of the package's recipes (`snu-np reproduce
# --list`; `--print-config` shows every setting):
#
# ```bash
# snu-np train --config jsb-snu --seed 0 --out runs/jsb-snu      # one trial of a recipe
# snu-np train --config jsb-ssnu --seed 0 --out runs/jsb-ssnu
# snu-np reproduce music-jsb --jobs 2                             # the table: 10 trials of each
# ```
#
# The first run downloads `JSB_Chorales.mat` (checked by SHA-256) into `~/.cache/snu-np`, or reads it
# from `--data-dir`. The batch size defaults to 1 for music; `--batch-size 8` pads and masks as we did
# here. The reported figure is the pooled test NLL at the best-validation epoch; ours and the paper's
# are in `docs/results.md`.
#
# ## Exercises
#
# 1. **Soft SNU.** Train `build_model("jsb", "ssnu", layers=(150,))` with the same loop. Which reaches
#    the lower validation NLL in 20 epochs?
# 2. **Batch size 1.** Train with `BATCH = 1` (no padding, no mask needed) and learning rate $3 \cdot
#    10^{-3}$. Compare NLL after 20 epochs and the wall time per epoch.
# 3. **Recurrence.** `build_model(..., recurrent=True)` adds the weights $H$ (150 × 150) from the
#    hidden layer's own spikes. How many parameters now? Does the NLL improve?
# 4. **Make music.** Start from the first step of a test chorale and *sample* the next step from
#    `probs` (`rng.uniform(size=88) < p`), feed it back, and repeat for 32 steps. Plot the result with
#    `plot_piano_roll`. *Hint:* the network keeps no state between calls, so run it on the whole
#    sequence so far at every step.
