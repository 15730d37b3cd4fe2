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
# # 05 · Pseudo-derivatives: why the step needs a stand-in
#
# The SNU's output is a step, $y_t = h(s_t + b)$ with $h(u) = [u > 0]$ (`snu-output`). Its derivative
# is $0$ for every $u \ne 0$ and does not exist at $u = 0$. Backpropagation multiplies by it
# (`bptt-du`: $\delta u_t = \delta y_t \odot h'(u_t)$), so the *true* gradient of an SNU network is zero:
# **nothing can learn**. The SNU keeps the step in the forward pass and uses a smooth
# **pseudo-derivative** $\tilde h'(u)$, a bump around the threshold, in the backward pass
# (`docs/derivations/surrogates.md`, `surr-tanh` … `surr-arctan`).
#
# In this notebook we first watch a network fail with the true derivative, then train it with each
# pseudo-derivative in `snu_np.surrogates`, and finally look at the width $\alpha$ of the bump.

# %%
import numpy as np
import matplotlib.pyplot as plt

import snu_np
from snu_np import SNU, Sequential, Adam, window_mse, accuracy
from snu_np.surrogates import SURROGATES, Surrogate, get_surrogate, step
from snu_np.plot import plot_raster, plot_surrogates, plot_neuron

snu_np.set_backend("numpy")          # the NumPy reference calls surrogate.grad directly
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. A toy task: which half of the inputs is busier?
#
# 20 input neurons, 25 time steps, rate coding: in class 0 the first ten inputs spike with
# probability 0.3 per step and the last ten with 0.05; class 1 is the other way round. 64 examples,
# drawn once with a fixed seed (full-batch training, so the loss curves are smooth and any change in
# them is due to learning alone).

# %%
T, B, n_in, n_hidden, n_out = 25, 64, 20, 16, 2
rng = np.random.default_rng(5)
labels = np.arange(B) % 2                                           # 0, 1, 0, 1, ...
first_half = np.arange(n_in) < n_in // 2
rates = np.where(first_half[None, :] == (labels[:, None] == 0), 0.3, 0.05)  # (B, n_in)
# (T, B, n_in) spikes
x = (rng.random((T, B, n_in)) < rates[None]).astype(np.float64)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained", sharey=True)
for ax, i in zip(axes, [0, 1]):
    plot_raster(x[:, i], ax=ax, title=f"input spikes, an example of class {labels[i]}")

# %% [markdown]
# The network: 20 inputs → 16 SNUs → 2 SNUs, trained on the paper's loss, the mean squared error of
# the output spike rate (averaged over all steps) against the one-hot label (`loss-window-mse`). The
# prediction is the output neuron that fires most. Every run below starts from the *same* initial
# weights (seeds 0 and 1), so the only difference between runs is the pseudo-derivative.

# %%
def make_net(surrogate="tanh", scale=None):
    return Sequential(
        [
            SNU(n_in, n_hidden, surrogate=surrogate, surrogate_scale=scale, seed=0),
            SNU(n_hidden, n_out, surrogate=surrogate, surrogate_scale=scale, seed=1),
        ]
    )


def train(surrogate="tanh", scale=None, steps=80, lr=0.01):
    """Full-batch Adam; returns the network and its history (loss and accuracy per
    step)."""
    net = make_net(surrogate, scale)
    opt = Adam(net, lr=lr)
    history = {"loss": [], "accuracy": []}
    for _ in range(steps):
        y = net.forward(x)                          # forward: the real step
        loss, dy = window_mse(y, labels)
        history["loss"].append(loss)
        history["accuracy"].append(accuracy(y, labels))
        net.backward(dy)                            # backward: h'(u) from the surrogate
        opt.step()
    return net, {k: np.array(v) for k, v in history.items()}


# %% [markdown]
# ## 2. The true derivative of the step: zero
#
# A `Surrogate` is the pair (forward step, backward derivative). We write the *honest* one, whose
# derivative is the true derivative of the step: 0 (we ignore the single point $u = 0$, which a
# floating-point state essentially never hits).

# %%
class TrueStepDerivative(Surrogate):
    """The true derivative of the Heaviside step: 0 wherever it exists."""
    name = "true derivative"
    formula = r"$h'(u) = 0$ for $u \neq 0$"
    primitive_formula = r"$h(u)$"

    def grad(self, u):
        return np.zeros_like(u)

    def primitive(self, u):
        return step(u)


net = make_net(TrueStepDerivative())
loss, dy = window_mse(net.forward(x), labels)
net.backward(dy)
for name, p, g in net.parameters():
    print(f"{name:4}  |dL/d{name}| = {np.linalg.norm(g):.1f}")
print(
    f"loss = {loss:.4f}, |dL/dy| = {np.linalg.norm(dy):.3f}: the loss does ask for a "
    "change"
)

# %% [markdown]
# The loss sends a nonzero gradient to the outputs, and it dies at the first step function it meets.
# Training with it:

# %%
_, hist_true = train(TrueStepDerivative())
print(f"loss: first {hist_true['loss'][0]:.4f}, last {hist_true['loss'][-1]:.4f}; "
      f"accuracy {hist_true['accuracy'][-1]:.2f}")
assert np.ptp(hist_true["loss"]) == 0.0         # not the tiniest change: nothing learns

# %% [markdown]
# ## 3. The pseudo-derivatives
#
# Each surrogate keeps the step in the forward pass and replaces its derivative by a bump, which is
# the exact derivative of a smooth step-like function (its *primitive*). The gallery:

# %%
fig = plot_surrogates(
    title="forward step, pseudo-derivative used by the backward pass, and its primitive"
)

# %% [markdown]
# Now the same network, from the same initial weights, trained with each of them:

# %%
runs = {name: train(name) for name in SURROGATES}

steps = np.arange(1, len(hist_true["loss"]) + 1)
fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
ax_l.plot(
    steps,
    hist_true["loss"],
    color="black",
    lw=2.5,
    ls="--",
    label="true derivative (0)",
)
ax_a.plot(
    steps,
    hist_true["accuracy"],
    color="black",
    lw=2.5,
    ls="--",
    label="true derivative (0)",
)
for name, (_, hist) in runs.items():
    ax_l.plot(steps, hist["loss"], label=name)
    ax_a.plot(steps, hist["accuracy"], label=name)
ax_l.set_ylabel("loss (window MSE)")
ax_a.set_ylabel("training accuracy")
ax_a.set_ylim(0, 1.05)
for ax in (ax_l, ax_a):
    ax.set_xlabel("training step (full batch)")
    ax.grid(alpha=0.3)
ax_l.set_title("loss")
ax_a.set_title("accuracy")
ax_a.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small");

# %% [markdown]
# **Check.** With the true derivative the loss stays exactly where it started; with every
# pseudo-derivative it falls to a fraction of that and the task is solved.

# %%
loss0 = hist_true["loss"][0]
for name, (_, hist) in runs.items():
    print(
        f"{name:13}  final loss {hist['loss'][-1]:.4f}   accuracy "
        f"{hist['accuracy'][-1]:.2f}"
    )
    assert hist["loss"][0] == loss0                    # same start
    assert hist["loss"][-1] < 0.2 * loss0              # ... and it learns
    assert hist["accuracy"][-1] >= 0.95

# %% [markdown]
# What the trained network does (tanh run): output neuron 0 votes for class 0. Its membrane
# potential and spikes for one example of each class:

# %%
net_tanh = runs["tanh"][0]
net_tanh.forward(x)
out = net_tanh.layers[1]
s_out, y_out = out.cache["s"], out.cache["y"]
thr = -out.params["b"][0]                                        # the trained threshold
# plot_neuron shares x
fig, axes = plt.subplots(2, 2, figsize=(11, 4.2), layout="constrained",
                         gridspec_kw={"height_ratios": [2, 1]})
for col, i in enumerate([0, 1]):
    plot_neuron(V=s_out[:, i, 0], spikes=y_out[:, i, 0], v_th=thr, axes=axes[:, col])
    axes[0, col].set_title(f"output neuron 0, example of class {labels[i]}")
    axes[0, col].set_ylabel("state $s_t$")
    axes[0, col].get_legend().remove()
    axes[0, col].lines[0].set_label("state $s_t$")
axes[0, 1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
assert (
    y_out[:, 0, 0].sum() > y_out[:, 0, 1].sum()
    and y_out[:, 1, 1].sum() > y_out[:, 1, 0].sum()
)

# %% [markdown]
# ## 4. The width $\alpha$
#
# Every surrogate has a scale $\alpha$; for `tanh`, $\tilde h'(u) = 1 - \tanh^2(\alpha u)$: a larger
# $\alpha$ gives a narrower bump. Only units whose $u = s + b$ falls under the bump pass any gradient.
# Here is where the hidden and output units' $u$ actually lie at initialisation, under the bump for
# four widths:

# %%
net0 = make_net()
net0.forward(x)
u_all = np.concatenate([(l.cache["s"] + l.params["b"]).ravel() for l in net0.layers])
alphas = [0.1, 1.0, 10.0, 100.0]
colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(alphas)))
fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
ax.hist(
    u_all,
    bins=80,
    range=(-1.5, 1.5),
    density=True,
    color="lightgray",
    label="$u = s + b$ at init",
)
ax.set_xlabel("$u = s + b$")
ax.set_ylabel("density of $u$ (histogram)")
ax2 = ax.twinx()
uu = np.linspace(-1.5, 1.5, 601)
for a, c in zip(alphas, colors):
    ax2.plot(
        uu,
        get_surrogate("tanh", a).grad(uu),
        color=c,
        label=rf"$1-\tanh^2(\alpha u)$, $\alpha$ = {a:g}",
    )
ax2.set_ylabel(r"pseudo-derivative $\tilde h'(u)$")
ax2.set_ylim(0, 1.05)
h1, l1 = ax.get_legend_handles_labels()
h2, l2 = ax2.get_legend_handles_labels()
ax.legend(
    h1 + h2, l1 + l2, loc="upper left", bbox_to_anchor=(1.12, 1.0), fontsize="small"
)
ax.set_title("where the units are, and where the gradient can pass");

# %% [markdown]
# Many units sit at $u = -1$ exactly: a ReLU state of 0 under the initial threshold 1. A very narrow
# bump ($\alpha = 100$) gives almost no unit any gradient; a very wide one ($\alpha = 0.1$) gives every
# unit nearly the same, wherever it is, so the gradient no longer knows which units are close to
# spiking. Training:

# %%
runs_alpha = {a: train("tanh", scale=a)[1] for a in alphas}
fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
for (a, hist), c in zip(runs_alpha.items(), colors):
    ax.plot(steps, hist["loss"], color=c, label=rf"tanh, $\alpha$ = {a:g}")
ax.plot(
    steps, hist_true["loss"], color="black", ls="--", lw=2, label="true derivative (0)"
)
ax.set_xlabel("training step (full batch)")
ax.set_ylabel("loss (window MSE)")
ax.set_title(r"the width $\alpha$ of the pseudo-derivative")
ax.grid(alpha=0.3)
ax.legend(fontsize="small");

# %% [markdown]
# **Check.** The narrowest bump starts slowest: after 20 steps its loss is still far above that of the
# default $\alpha = 1$. Both extremes end above the default.

# %%
for a, hist in runs_alpha.items():
    print(
        f"alpha = {a:5g}:  loss after 20 steps {hist['loss'][19]:.4f},  after "
        f"{steps[-1]} steps {hist['loss'][-1]:.4f}"
    )
assert runs_alpha[100.0]["loss"][19] > 2 * runs_alpha[1.0]["loss"][19]
assert runs_alpha[100.0]["loss"][-1] > runs_alpha[1.0]["loss"][-1]
assert runs_alpha[0.1]["loss"][-1] > runs_alpha[1.0]["loss"][-1]

# %% [markdown]
# A note on comparing surrogates: `tanh`, `fast_sigmoid` and `arctan` peak at 1 for every $\alpha$,
# `sigmoid` peaks at $\alpha/4$ (1 at its default $\alpha = 4$), and for `boxcar` $\alpha$ is the width of
# the box (larger = *wider*). Changing $\alpha$ can therefore also change the effective learning rate.
#
# ## Exercises
#
# 1. **A narrow box.** Train with `("boxcar", scale=0.01)`. How much of the training signal is left?
#    Count the fraction of $u$ values inside the box at initialisation. *Hint:* the histogram above.
# 2. **Straight-through.** Write a surrogate whose `grad` is 1 everywhere (the "straight-through
#    estimator"). Does it train this task? Compare with tanh at $\alpha = 0.1$.
# 3. **Harder task.** Make the two classes differ only in *timing*: both halves spike at 0.2 per step,
#    but class 0 in the first half of the sequence and class 1 in the second. Which surrogates still
#    learn? Does `detach_reset=True` (notebook 04) help or hurt?
# 4. **The soft SNU needs none.** Train `SNU(..., soft=True)` layers with `TrueStepDerivative()` as
#    the surrogate. Why does it learn anyway? *Hint:* `bptt-du`.
