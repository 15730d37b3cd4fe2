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
# # 07 · MNIST with spiking neural units
#
# The paper's first experiment classifies handwritten digits with networks of SNUs. A digit is a
# still image; an SNU network reads a *sequence* of spike vectors. So we need
#
# 1. an **encoder** that turns an image into spikes: rate coding, or the event-camera input of
#    "jittered MNIST" (`docs/derivations/encoders.md`);
# 2. a **network** of SNU layers whose output units spike for the right class;
# 3. a **loss** on those output spikes: the window mean squared error (`loss-window-mse` in
#    `docs/derivations/losses.md`), and BPTT with the pseudo-derivative (notebooks 04 and 05).
#
# We use the 3,000 training and 1,000 test digits that ship inside the package (no download), a small
# 784-128-10 network and three epochs, so everything runs in well under a minute. The last section
# says how to run the paper's full-size experiment.

# %%
import time

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

import snu_np
from snu_np import Adam, window_mse, accuracy
from snu_np.data import jitter_encode, jitter_frames, rate_encode
from snu_np.tasks import build_model, load_task_data
from snu_np.train import set_blas_threads, train
from snu_np.plot import plot_events, plot_neuron, plot_raster, plot_training_curves

set_blas_threads(1)          # small networks run fastest on one BLAS thread
# the compiled kernels (notebook 20); same numbers as "numpy"
snu_np.set_backend("numba")
np.set_printoptions(precision=3, suppress=True)
SEED = 0
# shuffling and training spikes below draw from this generator
rng = np.random.default_rng(SEED)

# %% [markdown]
# ## 1. The data
#
# `load_task_data("demo")` loads the embedded subset and splits it as the `demo` task does: the first
# 2,500 training digits for training, the last 500 for validation, and the 1,000 test digits. Images
# are uint8 (0–255), labels are digits 0–9, 10 % of each class.

# %%
data = load_task_data("demo")
(X_train, y_train), (X_val, y_val), (X_test, y_test) = (
    data["train"],
    data["valid"],
    data["test"],
)
y_train, y_val, y_test = (y.astype(np.int64) for y in (y_train, y_val, y_test))
print("train", X_train.shape, "valid", X_val.shape, "test", X_test.shape, X_train.dtype)
print("test digits per class:", np.bincount(y_test))
assert X_train.shape == (2500, 28, 28) and X_test.shape == (1000, 28, 28)

fig, axes = plt.subplots(1, 10, figsize=(10, 1.6), layout="constrained")
for d, ax in enumerate(axes):
    ax.imshow(X_test[np.flatnonzero(y_test == d)[0]], cmap="gray")
    ax.set_title(f"label {d}", fontsize="small")
    ax.set_xticks([]); ax.set_yticks([])
fig.suptitle("one test digit per class (28 × 28 pixels)");

# %% [markdown]
# ## 2. Rate coding
#
# Each pixel $i$ of intensity $I_i \in [0, 1]$ spikes at each step independently with probability
# $r_{\max} I_i$ (`rate-encode`):
#
# $$ x_{t,i} = \mathbb{1}\bigl[u_{t,i} < r_{\max}\, I_i\bigr], \qquad u_{t,i} \sim \mathcal{U}[0, 1). $$
#
# The whole digit is present at every step, blurred by noise; over $T$ steps a pixel fires
# $T\, r_{\max} I_i$ times on average. The paper's MNIST runs use $T = 20$ steps and $r_{\max} = 1$.

# %%
digit = X_test[0]
x_rate = rate_encode(digit[None], T=20, seed=SEED)          # (T, 1, 784)
print("shape", x_rate.shape, "| spikes per step:", x_rate[:, 0].sum(axis=1).astype(int))
fig = plot_events(
    digit,
    x_rate[:, 0],
    n_steps=8,
    title=(
        f"rate coding of a '{y_test[0]}': the image (top) and its input spikes at "
        "each step"
    ),
)

# %% [markdown]
# The same spikes as a raster (pixel against time), for the 28 pixels of the image's middle row:
# bright pixels fire at almost every step, the grey edges now and then, the black background never.

# %%
row = 14
pix = slice(row * 28, (row + 1) * 28)
fig, (ax, ax_i) = plt.subplots(1, 2, figsize=(9, 4), layout="constrained", sharey=True,
                               gridspec_kw={"width_ratios": [4, 1]})
plot_raster(
    x_rate[:, 0, pix], ax=ax, title=f"rate-coded input spikes of image row {row}"
)
ax.set_ylabel(f"pixel (column in row {row})")
ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax_i.barh(np.arange(28), digit[row] / 255, color="tab:gray")
ax_i.set_xlabel("intensity $I_i$")
ax_i.set_title("spike probability per step")
ax_i.grid(alpha=0.3);

# %% [markdown]
# **Check.** Averaged over many draws, the spike count of each pixel over $T$ steps is $T I_i$:

# %%
n_draws = 500
counts = (
    rate_encode(np.repeat(digit[None], n_draws, axis=0), T=20, seed=1)
    .sum(axis=0)
    .mean(axis=0)
)
p = digit.reshape(-1) / 255
expected = 20 * p
# binomial: standard error of the mean count
std_err = np.sqrt(20 * p * (1 - p) / n_draws)
z = np.abs(counts - expected) / np.maximum(std_err, 1e-12)
print(
    "largest |mean count - T I| over the 784 pixels: "
    f"{np.max(np.abs(counts - expected)):.3f} spikes "
    f"({z.max():.1f} standard errors)"
)
assert np.all(z < 5)

# %% [markdown]
# ## 3. Jittered MNIST: an event camera watching a moving digit
#
# The paper's second input comes from "an asynchronous camera, conveying jittered images of the
# digits". An event camera has no frames: each pixel reports when *its* brightness changes. A still
# digit would produce no events, so our reconstruction (`jitter_encode`) moves the digit on a small
# random walk $p_t$ of at most `max_shift` = 2 pixels (`jitter-walk`), shifts the image accordingly
# (`jitter-frame`) and fires where consecutive frames differ by more than $\theta$ = 0.15
# (`jitter-events`):
#
# $$ x_{t,i} = \mathbb{1}\bigl[\,|F_t(i) - F_{t-1}(i)| > \theta\,\bigr]. $$
#
# `jitter_frames` returns the frames and offsets too, for pictures; its events are those of
# `jitter_encode` with the same seed.

# %%
frames, offsets, events = jitter_frames(digit[None], T=20, seed=SEED)
print("frames", frames.shape, "(F_-1 and the T frames) | events", events.shape)
print("offsets (dy, dx) of the first 8 frames:", offsets[1:9, 0].tolist())
assert np.array_equal(events, jitter_encode(digit[None], T=20, seed=SEED))
fig = plot_events(
    frames[1:, 0],
    events[:, 0],
    n_steps=8,
    title="jittered MNIST: the moving digit (top) and the events of each move (bottom)",
)

# %% [markdown]
# No single step shows the digit: each shows the edges that moved, and the network has to integrate
# over time. How many events does a digit make per step, compared with the rate code?

# %%
x_jit_test = jitter_encode(X_test[:200], T=20, seed=SEED)
x_rate_test = rate_encode(X_test[:200], T=20, seed=SEED)
print(f"input spikes per step and digit: rate {x_rate_test.sum(axis=2).mean():.0f}, "
      f"jittered {x_jit_test.sum(axis=2).mean():.0f} (of 784 pixels)")

# %% [markdown]
# ## 4. The network and one training loop, by hand
#
# `build_model("demo", "snu", layers=(128,))` builds the paper's architecture at a smaller size:
# SNU layers all the way, the output layer too (10 units, one per digit), each SNU with decay
# $\lambda = 0.8$ and threshold 1 ($b = -1$), Glorot-uniform weights, all drawn from one seeded
# generator. The prediction is the output unit that spikes most over the $T$ steps.
#
# The loss is the window MSE: average each output unit's spikes over the window (here all 20 steps),
# $m = \frac{1}{T}\sum_t y_t$, and compare with the one-hot label: $L = \frac{1}{B\,n}\sum (m - \hat y)^2$.
# `window_mse` returns the loss *and* its gradient $\partial L / \partial y_t$ (`loss-window-mse`), which
# `net.backward` carries back through time; then Adam updates the weights. That is the whole loop:
#
# ```
# x = encode(images)             # (T, B, 784) spikes
# y = net.forward(x)             # (T, B, 10) output spikes
# loss, dy = window_mse(y, labels)
# net.backward(dy)               # hand-written BPTT fills every layer's grads
# opt.step()                     # Adam
# ```
#
# We train on **jittered** MNIST, 3 epochs of mini-batches of 32, with fresh random jitter for every
# batch (a new walk each time the digit is seen). Validation and test spikes use one fixed seed, so
# every evaluation sees the same inputs.

# %%
net = build_model("demo", "snu", layers=(128,), seed=SEED)
print(net)
assert net.n_params == 784 * 128 + 128 + 128 * 10 + 10

EPOCHS, BATCH, LR = 3, 32, 3e-3
opt = Adam(net, lr=LR)
# fixed: the same validation spikes every epoch
x_val = jitter_encode(X_val, T=20, seed=2020)


def evaluate(net, x, labels, chunk=500):
    """Loss and accuracy of net on pre-encoded spikes x (T, N, 784), in chunks of
    `chunk` digits."""
    loss = acc = 0.0
    for i in range(0, len(labels), chunk):
        y = net.forward(x[:, i:i + chunk])
        loss += window_mse(y, labels[i:i + chunk])[0] * len(labels[i:i + chunk])
        acc += accuracy(y, labels[i:i + chunk]) * len(labels[i:i + chunk])
    return loss / len(labels), acc / len(labels)


history = []
t0 = time.perf_counter()
for epoch in range(EPOCHS):
    perm = rng.permutation(len(y_train))
    tot_loss = tot_acc = 0.0
    for k in range(0, len(perm), BATCH):
        idx = perm[k:k + BATCH]
        x = jitter_encode(X_train[idx], T=20, seed=rng)  # fresh jitter for every batch
        y = net.forward(x)                               # (T, B, 10) output spikes
        loss, dy = window_mse(y, y_train[idx])           # loss and dL/dy
        # BPTT (no dL/dx for the input: unused)
        net.backward(dy, need_dx=False)
        opt.step()
        tot_loss += loss * len(idx)
        tot_acc += accuracy(y, y_train[idx]) * len(idx)
    val_loss, val_acc = evaluate(net, x_val, y_val)
    history.append(
        {
            "epoch": epoch + 1,
            "train_loss": tot_loss / len(perm),
            "val_loss": val_loss,
            "train_accuracy": tot_acc / len(perm),
            "val_accuracy": val_acc,
        }
    )
    print(
        f"epoch {epoch + 1}: train loss {tot_loss / len(perm):.4f}, train accuracy "
        f"{tot_acc / len(perm):.1%}, "
        f"validation accuracy {val_acc:.1%}  ({time.perf_counter() - t0:.1f} s)"
    )
fig = plot_training_curves(history, metrics=("loss", "accuracy"),
                           title="784-128-10 SNU on jittered MNIST (embedded subset)")

# %% [markdown]
# (The training numbers are averaged over each epoch while the weights are still changing, so they
# trail the validation numbers, which are measured at the end of the epoch on fixed spikes.)
#
# **Check.** Ten classes: chance is 10 %. On the 1,000 test digits (encoded once, with a fixed seed),
# three short epochs on 2,500 digits should already give far more:

# %%
x_test = jitter_encode(X_test, T=20, seed=2021)
test_loss, test_acc = evaluate(net, x_test, y_test)
print(
    f"test accuracy (jittered MNIST, 784-128-10 SNU, {EPOCHS} epochs on 2,500 digits): "
    f"{test_acc:.1%}"
)
assert test_acc > 0.6

# %% [markdown]
# ## 5. How many spikes does one inference take?
#
# Spiking hardware spends energy per spike, so the number of spikes per classified digit matters. After
# a forward pass every SNU layer keeps its states and outputs in `layer.cache` ("s", "y"), so we can
# count. Per test digit, over the 20 steps:

# %%
n_digits = 1000
spikes = {"input (784)": 0.0, "hidden (128)": 0.0, "output (10)": 0.0}
for i in range(0, n_digits, 500):
    xb = x_test[:, i:i + 500]
    net.forward(xb)
    spikes["input (784)"] += xb.sum()
    spikes["hidden (128)"] += net.layers[0].cache["y"].sum()
    spikes["output (10)"] += net.layers[1].cache["y"].sum()
for name, total in spikes.items():
    n_units = int(name.split("(")[1].rstrip(")"))
    per_digit = total / n_digits
    print(
        f"{name:<13} {per_digit:7.1f} spikes per digit = "
        f"{per_digit / (20 * n_units):6.1%} of unit-steps"
    )
assert spikes["hidden (128)"] > 0 and spikes["output (10)"] > 0

# %% [markdown]
# ## 6. Inside the network: one hidden neuron, one digit
#
# The SNU state is the membrane potential: input current $I_t = x_t W_{:,j}$ is added to the decayed
# state, a spike is emitted when $s_t$ crosses the threshold $-b_j$ (trained: no longer exactly 1), and
# the spike resets the state at the next step (`snu-state`, `snu-output`):
#
# $$ s_t = \mathrm{ReLU}\bigl(I_t + 0.8\, s_{t-1} (1 - y_{t-1})\bigr), \qquad y_t = \mathbb{1}[s_t + b_j > 0]. $$
#
# We run the network on one test digit and pick a hidden neuron that spikes a few times.

# %%
k = 0                                                     # the first test digit
y_out = net.forward(x_test[:, k:k + 1])[:, 0]             # (T, 10)
hidden = net.layers[0]
s_h, y_h = hidden.cache["s"][:, 0], hidden.cache["y"][:, 0]      # (T, 128)
n_sp = y_h.sum(axis=0)
j = (
    int(np.flatnonzero((n_sp >= 2) & (n_sp <= 6))[0])
    if np.any((n_sp >= 2) & (n_sp <= 6))
    else int(np.argmax(n_sp))
)
I_j = x_test[:, k] @ hidden.params["W"][:, j]          # its input current at every step
thr = -float(hidden.params["b"][j])
fig = plot_neuron(I=I_j, V=s_h[:, j], spikes=y_h[:, j], v_th=thr,
                  title=f"hidden neuron {j} for a test '{y_test[k]}' (jittered input): "
                        f"{int(n_sp[j])} spikes in 20 steps")
fig.axes[1].set_ylabel("state $s_t$ (membrane)")
fig.axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True));

# %% [markdown]
# **Check.** The equations above, written out in five lines of NumPy, give exactly the state and
# spikes that the layer computed:

# %%
s_prev = y_prev = 0.0
for t in range(20):
    s_t = max(I_j[t] + hidden.decay * s_prev * (1 - y_prev), 0.0)
    y_t = float(s_t - thr > 0)
    assert np.isclose(s_t, s_h[t, j], rtol=1e-5, atol=1e-5) and y_t == y_h[t, j]
    s_prev, y_prev = s_t, y_t
print("membrane and spikes of neuron", j, "reproduced step by step")

# %% [markdown]
# The output layer for the same digit: the class is the unit with most spikes.

# %%
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
plot_raster(
    y_out,
    ax=ax,
    title=f"output spikes for a test '{y_test[k]}': predicted "
    f"{int(y_out.mean(axis=0).argmax())}, spike counts "
    f"{y_out.sum(axis=0).astype(int).tolist()}",
)
ax.set_yticks(range(10))
ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax.set_ylabel("output unit (digit)")
ax.axhspan(
    y_test[k] - 0.4, y_test[k] + 0.4, color="tab:green", alpha=0.2, label="true class"
)
ax.legend(loc="upper left", fontsize="small");

# %% [markdown]
# ## 7. The same with the package's training loop, and the soft SNU
#
# `snu_np.train.train` runs the loop above with batching, evaluation, per-epoch logging, checkpoints
# (with `out_dir`) and results files. The `demo` task is the embedded subset with **rate** coding:

# %%
# the settings every run of this section shares; each call below names what differs
small = dict(layers=(128,), batch_size=32, lr=3e-3, seed=SEED, progress=False,
             data=data)
res_snu = train("demo", model="snu", epochs=3, **small)
print(f"SNU, rate-coded: test accuracy {res_snu['test']['accuracy']:.1%}")

# %% [markdown]
# ### The sSNU output-bias pitfall
#
# The soft SNU replaces the step by a sigmoid, $y_t = \sigma(s_t + b)$ (notebook 03). With a ReLU state
# $s \ge 0$ and the usual $b = -1$, every output unit starts at $y \ge \sigma(-1) = 0.27$, while nine of
# the ten one-hot targets are 0. Window MSE's fastest way down is then to silence **every** output unit:
# push all output states to $s = 0$. There the ReLU's gradient is 0, no gradient reaches the weights any
# more, and the network is stuck at chance, about 10 % (`docs/derivations/losses.md`, "A pitfall worth
# knowing"). Here it is, with the plain initialisation of every layer ($b = -1$, Glorot weights, no
# centring; the last three arguments switch off `build_model`'s sSNU defaults):

# %%
res_stuck = train(
    "demo", model="ssnu", epochs=2, **small,
    output_bias=-1.0, center_output=False, center_inputs="off",
)
out = res_stuck["net"].layers[-1]
res_stuck["net"].forward(rate_encode(X_test[:200], T=20, seed=SEED))
dead = float(np.mean(out.cache["s"] == 0))
print(f"sSNU, plain initialisation: test accuracy {res_stuck['test']['accuracy']:.1%}; "
      f"{dead:.0%} of output states are exactly 0")
assert res_stuck["test"]["accuracy"] < 0.2 and dead > 0.9

# %% [markdown]
# **The fix** (the defaults of `build_model` and `train` for the sSNU, see `docs/training.md`):
#
# * start the output bias at $b = -4$ (`output_bias`), so the outputs start near
#   $\sigma(-4) = 0.018$, close to the zeros of the targets;
# * centre each input row of the output weights (`center_output`: zero mean over the 10 units), so one
#   hidden spike does not raise all outputs at once;
# * centre each column of $W$ in every layer fed by sSNUs (`center_inputs`: zero mean over the inputs).
#   The layer below emits at least 0.27 everywhere, and this constant floor times a column sum of $W$
#   would otherwise push some units below zero for good.

# %%
res_ssnu = train("demo", model="ssnu", epochs=2, **small)
print(f"sSNU, default initialisation: test accuracy {res_ssnu['test']['accuracy']:.1%}")
assert res_ssnu["test"]["accuracy"] > 0.5

# %% [markdown]
# The sSNU learns more slowly than the SNU in these short runs; notebook 09 compares the cells at equal
# budget, and `docs/results.md` has full-length runs.
#
# ## 8. The paper's experiment, full size
#
# The paper trains 784-256-256-10 networks (269,322 parameters) on the full MNIST (60,000 training
# digits; the last 5,000 are held out for validation) for many epochs. With snu-np:
#
# ```bash
# snu-np train jittered-mnist --model snu  --layers 256,256 --epochs 25 --lr 3e-3 --lr-decay 0.9 \
#     --batch-size 128 --seed 0 --out runs/jmnist-snu
# snu-np train jittered-mnist --model ssnu --layers 256,256 --epochs 25 --lr 3e-3 --lr-decay 0.9 \
#     --batch-size 128 --seed 0 --out runs/jmnist-ssnu
# snu-np train mnist --model snu ...           # rate-coded instead of jittered
# snu-np train jittered-mnist ... --trials 5   # seeds 0..4: mean and standard deviation
# ```
#
# The first run downloads MNIST (about 11 MB) into `~/.cache/snu-np` (or use `--data-dir` with the four
# files). Each epoch takes on the order of a minute on a laptop core. `results.json` in the output
# folder records the test accuracy at the best-validation epoch; our numbers and how they compare with
# the paper's are in `docs/results.md`.
#
# ## Exercises
#
# 1. **Rate vs jitter.** Train the hand-written loop of section 4 on rate-coded input instead
#    (`rate_encode` in place of `jitter_encode`, for training and test). Which is easier, and how do the
#    spike counts of section 5 change?
# 2. **A shorter window.** Pass `window=(10, 20)` to `window_mse` and `accuracy` (loss and decision on
#    the last 10 steps only). Does accuracy change? Does the network spike less in the first 10 steps?
# 3. **Deciding early.** With the trained network, compute the test accuracy when the decision uses only
#    the first $k$ steps (`accuracy(y[:k], labels)`) for $k = 1, \dots, 20$ and plot it. How many steps
#    does the network need?
# 4. **Cross-entropy.** Replace `window_mse` by `snu_np.softmax_cross_entropy` in the loop. Does the
#    sSNU pitfall of section 7 still happen with $b = -1$? *Hint:* softmax does not care about a common
#    offset of all outputs.
