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
# # 03 · The soft SNU
#
# The SNU's output is a step: a spike or nothing. The **soft SNU** (sSNU) of the paper replaces the
# step by a sigmoid, so each unit outputs a spiking *probability* and resets *proportionally*. It is
# differentiable everywhere, which makes it the easy case for backpropagation (notebook 04), and it
# contains the SNU as a limit: make the sigmoid steeper and steeper and the sSNU becomes the SNU.
#
# Equations from `docs/derivations/snu.md`: `snu-state`, `snu-g`,
# `snu-output`, `ssnu-output`.

# %%
import numpy as np
import matplotlib.pyplot as plt

import snu_np
from snu_np import SNU
from snu_np.functional.snu import snu_forward
from snu_np.surrogates import sigmoid, step
from snu_np.plot import plot_states

snu_np.set_backend("numpy")          # the plain-NumPy reference
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(3)

# %% [markdown]
# ## 1. SNU and sSNU
#
# Both share the state equation, with $s_0 = y_0 = 0$:
#
# $$ s_t = g\bigl(x_t W + \lambda\, s_{t-1} \odot (1 - y_{t-1})\bigr) \qquad\qquad (\texttt{snu-state}, \texttt{snu-g}) $$
#
# and differ in the output:
#
# $$ \text{SNU: } y_t = h(s_t + b) = [s_t + b > 0] \quad (\texttt{snu-output}), \qquad
#    \text{sSNU: } y_t = \sigma(s_t + b) = \frac{1}{1 + e^{-(s_t + b)}} \quad (\texttt{ssnu-output}) $$
#
# In the SNU the gate $1 - y_{t-1}$ is 0 or 1: a full reset or none. In the sSNU it lies strictly
# between 0 and 1: after a step with spiking probability $y_{t-1}$ the state keeps the fraction
# $1 - y_{t-1}$ — a **proportional reset**. Note one consequence: with $g$ = ReLU the state is never
# negative, so the output is never below $\sigma(b)$ ($= \sigma(-1) \approx 0.27$ for the initial
# threshold 1), and the state is always partly reset.
#
# One neuron with one input, the same random input for both units:

# %%
T = 60
x = rng.uniform(0.0, 0.6, size=(T, 1, 1))           # (T, B=1, n_in=1)
W = np.array([[1.0]])                               # (n_in, n_out)
b = np.array([-1.0])                                # threshold 1
decay = 0.8                                         # the paper's l(tau)
s_hard, y_hard, _ = snu_forward(x, W, b, decay, soft=False)
s_soft, y_soft, _ = snu_forward(x, W, b, decay, soft=True)

t = np.arange(1, T + 1)
fig, (ax_x, ax_s, ax_y) = plt.subplots(
    3,
    1,
    figsize=(8, 6.5),
    sharex=True,
    layout="constrained",
    gridspec_kw={"height_ratios": [1, 2, 2]},
)
ax_x.plot(t, x[:, 0, 0], drawstyle="steps-mid", color="tab:green")
ax_x.set_ylabel("input $x_t$")
ax_s.plot(t, s_hard[:, 0, 0], ".-", color="tab:blue", label="SNU state $s_t$")
ax_s.plot(t, s_soft[:, 0, 0], ".-", color="tab:orange", label="sSNU state $s_t$")
ax_s.axhline(-b[0], color="tab:red", ls="--", lw=1.2, label=r"threshold $-b$")
ax_s.set_ylabel("state $s_t$")
ax_s.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
ax_y.vlines(
    t[y_hard[:, 0, 0] > 0], 0, 1, color="tab:blue", lw=2, label="SNU spikes $y_t$"
)
ax_y.plot(
    t, y_soft[:, 0, 0], ".-", color="tab:orange", label=r"sSNU $y_t = \sigma(s_t + b)$"
)
ax_y.axhline(
    sigmoid(b)[0],
    color="gray",
    ls=":",
    lw=1.2,
    label=r"$\sigma(b)$: floor for $s \geq 0$",
)
ax_y.set_ylabel("output $y_t$")
ax_y.set_ylim(-0.05, 1.05)
ax_y.set_xlabel("time step $t$")
ax_y.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
for ax in (ax_x, ax_s, ax_y):
    ax.grid(alpha=0.3)
fig.suptitle("the same input into an SNU and a soft SNU");

# %% [markdown]
# **Check.** The sSNU is exactly the recursion above (we redo it in four lines of NumPy), and its
# output never drops below $\sigma(b)$.

# %%
s_prev, y_prev, s_ref, y_ref = 0.0, 0.0, [], []
for t_ in range(T):
    # snu-state, ReLU
    s_prev = max(x[t_, 0, 0] * W[0, 0] + decay * s_prev * (1 - y_prev), 0.0)
    y_prev = 1 / (1 + np.exp(-(s_prev + b[0])))                            # ssnu-output
    s_ref.append(s_prev); y_ref.append(y_prev)
np.testing.assert_allclose(s_soft[:, 0, 0], s_ref, rtol=1e-12)
np.testing.assert_allclose(y_soft[:, 0, 0], y_ref, rtol=1e-12)
assert np.all(y_soft >= sigmoid(b) - 1e-15)
print(
    f"SNU: {int(y_hard.sum())} spikes;  sSNU: expected number of spikes sum(y) = "
    f"{y_soft.sum():.2f}"
)

# %% [markdown]
# ## 2. The SNU as the limit of an ever steeper sigmoid
#
# For any $u \neq 0$, $\sigma(k u) \to h(u)$ as $k \to \infty$:

# %%
u = np.linspace(-3, 3, 601)
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
for k, c in zip([1, 3, 10, 100], plt.cm.viridis(np.linspace(0.1, 0.8, 4))):
    ax.plot(u, sigmoid(k * u), color=c, label=rf"$\sigma({k}\,u)$")
ax.plot(
    u,
    step(u),
    color="black",
    lw=2,
    ls="--",
    drawstyle="steps-post",
    label="step $h(u)$",
)
ax.set_xlabel("$u = s + b$")
ax.set_ylabel("output $y$")
ax.set_title("steeper and steeper sigmoids")
ax.grid(alpha=0.3)
ax.legend(fontsize="small");

# %% [markdown]
# So define the **steep sSNU** with output $y_t = \sigma\bigl(k (s_t + b)\bigr)$ and the same state
# equation. We do not need new code for it: because ReLU is positively homogeneous,
# $\mathrm{ReLU}(k z) = k\,\mathrm{ReLU}(z)$ for $k > 0$, an ordinary sSNU with weights $kW$ and bias $kb$
# has state $k\,s_t$ and output $\sigma(k s_t + k b) = \sigma(k(s_t + b))$ — exactly the steep sSNU.
# (By induction: if the previous state is $k s_{t-1}$ and the previous output the same, then
# $z_t$ is multiplied by $k$, and so is $s_t$.)
#
# We first check this trick against a direct loop with $\sigma(k u)$, on a small layer: 10 inputs
# spiking with probability 0.2 per step, 5 neurons, random weights.

# %%
T, n_in, n_out = 50, 10, 5
x = (rng.random((T, 1, n_in)) < 0.2).astype(float)       # rate-coded input spikes
layer = SNU(n_in, n_out, seed=0)                         # Glorot-uniform W, b = -1
W, b = layer.params["W"] * 2.0, layer.params["b"]        # stronger weights: more spikes


def steep_ssnu(x, W, b, decay, k):
    """sSNU with output sigmoid(k (s + b)), written out directly."""
    s, y = np.zeros((x.shape[1], W.shape[1])), np.zeros((x.shape[1], W.shape[1]))
    ys = []
    for x_t in x:
        s = np.maximum(x_t @ W + decay * s * (1 - y), 0.0)
        y = sigmoid(k * (s + b))
        ys.append(y)
    return np.array(ys)


k = 7.0
_, y_trick, _ = snu_forward(x, k * W, k * b, decay, soft=True)
np.testing.assert_allclose(
    y_trick, steep_ssnu(x, W, b, decay, k), rtol=1e-12, atol=1e-15
)
print("sSNU(kW, kb) == steep sSNU with sigmoid(k u): checked")

# %% [markdown]
# Now let $k$ grow and compare with the SNU (same $W$, $b$) on every step of every neuron.

# %%
s_snu, y_snu, _ = snu_forward(x, W, b, decay, soft=False)
ks = np.array([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], dtype=float)
err_y, err_s, ys = [], [], {}
for k in ks:
    s_k, y_k, _ = snu_forward(x, k * W, k * b, decay, soft=True)
    ys[k] = y_k
    err_y.append(np.max(np.abs(y_k - y_snu)))
    err_s.append(np.max(np.abs(s_k / k - s_snu)))
err_y, err_s = np.array(err_y), np.array(err_s)
print("SNU spikes:", int(y_snu.sum()))
for k, ey, es in zip(ks, err_y, err_s):
    print(f"k = {k:6g}:  max |y_k - y_SNU| = {ey:.2e}   max |s_k - s_SNU| = {es:.2e}")

j = 2                                                           # the neuron we look at
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained",
                               gridspec_kw={"width_ratios": [1.7, 1]})
tt = np.arange(1, T + 1)
ax1.vlines(tt[y_snu[:, 0, j] > 0], 0, 1, color="black", lw=2, label="SNU spikes")
for k, c in zip([1, 5, 50], ["tab:blue", "tab:orange", "tab:green"]):
    ax1.plot(tt, ys[k][:, 0, j], ".-", color=c, lw=1, label=f"steep sSNU, k = {k}")
ax1.set_xlabel("time step $t$")
ax1.set_ylabel(f"output $y_t$ of neuron {j}")
ax1.set_title("outputs converge to the SNU's spikes")
ax1.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
ax2.loglog(ks, err_y, "o-", label=r"max $|y^{(k)}_t - y^{\mathrm{SNU}}_t|$")
ax2.loglog(
    ks, np.maximum(err_s, 1e-17), "s-", label=r"max $|s^{(k)}_t - s^{\mathrm{SNU}}_t|$"
)
ax2.set_xlabel("steepness $k$")
ax2.set_ylabel("largest difference (all steps, neurons)")
ax2.set_title("sSNU → SNU as $k \\to \\infty$")
ax2.legend(fontsize="small")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3, which="both");

# %% [markdown]
# **Check.** The differences shrink with $k$ and the steepest sSNU reproduces the SNU's spikes
# (rounding its outputs to 0/1 gives exactly the SNU's) and states.

# %%
assert np.all(np.diff(err_y[3:]) <= 0)             # monotone once k is moderately large
assert err_y[-1] < 1e-3 and err_s[-1] < 1e-3
assert np.array_equal(np.round(ys[ks[-1]]), y_snu)

# %% [markdown]
# How fast? At large $k$ the error is set by the neuron and step whose $u = s + b$ is closest to
# the threshold: $|\sigma(k u) - h(u)| = \sigma(-k|u|) \approx e^{-k|u|}$. A state that lands very near
# the threshold slows the convergence; that is also where the SNU's output is most fragile.
#
# ## 3. A small layer at a glance
#
# `plot_states` draws a layer's states as a heat map, coloured around the threshold (red = above,
# blue = below), with the output spikes below. Eight SNUs driven by 20 rate-coded inputs:

# %%
T, n_in, n_out = 80, 20, 8
x = (rng.random((T, 1, n_in)) < 0.15).astype(float)
snu = SNU(n_in, n_out, seed=1)
snu.set_params(W=1.5 * snu.params["W"])                  # a little stronger than Glorot
y = snu.forward(x)
fig = plot_states(snu.cache["s"][:, 0], y[:, 0], threshold=1.0, equation=True,
                  title="SNU layer: 8 neurons, 20 rate-coded inputs")

# %% [markdown]
# **Check.** A neuron spikes exactly at the steps where its state is above the threshold (red), and
# after each spike the next state starts again from the input alone (the reset).

# %%
s = snu.cache["s"]
assert np.array_equal(y, (s > 1.0).astype(float))
x_W = x @ snu.params["W"]
after_spike = np.zeros_like(y, dtype=bool)
after_spike[1:] = y[:-1] > 0
np.testing.assert_allclose(s[after_spike], np.maximum(x_W[after_spike], 0.0))
print(f"{int(y.sum())} spikes in {n_out} neurons over {T} steps")

# %% [markdown]
# The same layer as a soft SNU (same weights). Its outputs are probabilities, not spikes, so we show
# the state only. The difference to look for: its state is never wiped out. Every step keeps the
# fraction $1 - y_{t-1} \ge 1 - \sigma(\max s + b) > 0$ of the previous state, so there are no sharp
# drops to the input alone as in the SNU above.

# %%
ssnu = SNU(n_in, n_out, soft=True, seed=1)
ssnu.set_params(W=snu.params["W"])
y_s = ssnu.forward(x)
s_s = ssnu.cache["s"]
fig = plot_states(
    s_s[:, 0],
    threshold=1.0,
    title="soft SNU layer (same weights): states; outputs are probabilities",
)
print(
    f"mean output: SNU {y.mean():.3f} spikes/step,  sSNU {y_s.mean():.3f} (expected "
    "spikes/step)"
)

# %% [markdown]
# **Check.** Wherever the previous state was positive, the sSNU's new state is strictly larger than
# the input term $x_t W$ alone: the proportional reset always leaves something.

# %%
kept = s_s[:-1] > 0
assert np.all(s_s[1:][kept] > x_W[1:][kept])
assert np.all((y_s > 0) & (y_s < 1))

# %% [markdown]
# ## Exercises
#
# 1. **Stochastic spikes.** Interpret the sSNU's $y_t$ as a probability: sample spikes
#    `rng.random(y.shape) < y` and feed the *sampled* spikes, instead of $y_t$, into the reset gate
#    (write the loop yourself). Compare the firing rates with the deterministic SNU. *Hint:* the
#    floor $\sigma(b)$ matters a lot here; try $b = -3$.
# 2. **Leaky ReLU and the trick.** Is the scaling trick of section 2 still exact with $g$ =
#    leaky ReLU? With $g$ = identity? *Hint:* is $g(kz) = k\,g(z)$?
# 3. **Where convergence is slow.** Find the neuron and step with the smallest $|s_t + b|$ in the
#    SNU run of section 2 and plot $|y^{(k)}_t - y^{\mathrm{SNU}}_t|$ at that point against $k$. Compare
#    with $e^{-k|u|}$.
# 4. **Threshold.** Repeat section 3 with `threshold=0.5` and `threshold=2.0`. How do the firing rates
#    of the SNU and the mean outputs of the sSNU change?
