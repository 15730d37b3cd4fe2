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
# # 02 · From the LIF neuron to the Spiking Neural Unit
#
# Notebook 01 simulated the LIF neuron. Here we rewrite one Euler step of it, term by term, as one
# step of a recurrent-network cell — the **Spiking Neural Unit** (SNU) — and then prove with the
# package that the two compute *the same numbers, spike for spike*, on a long random input.
#
# Equation labels refer to `docs/derivations/lif.md` and
# `docs/derivations/snu.md`. Times in ms.

# %%
import numpy as np
import matplotlib.pyplot as plt

import snu_np
from snu_np import SNU, lif
from snu_np.functional.snu import snu_forward
from snu_np.plot import plot_neuron

# the plain-NumPy reference: the code this notebook talks about
snu_np.set_backend("numpy")
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(2020)

# %% [markdown]
# ## 1. Discretisation: decay and gain
#
# One step of length $\Delta t$ of $\tau\,\dot V = -V + R I$ has the form
# $V_t = \lambda\,V_{t-1} + \text{gain}\cdot I_t$ with
#
# | update | decay $\lambda$ | gain |
# |---|---|---|
# | forward Euler (`lif-euler`) | $1 - \Delta t/\tau$ | $\frac{\Delta t}{\tau} R$ |
# | exact (`lif-exact`) | $e^{-\Delta t/\tau}$ | $(1 - e^{-\Delta t/\tau}) R$ |
#
# Only the ratio $x = \Delta t/\tau$ matters. The two decays agree to first order,
# $e^{-x} = 1 - x + x^2/2 - \dots$, and part ways when the step is not small compared with $\tau$. The
# paper's SNUs use $\lambda = l(\tau) = 0.8$, i.e. $\Delta t/\tau = 0.2$ with Euler.

# %%
x = np.linspace(0.0, 1.0, 201)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax1.plot(x, 1 - x, color="tab:orange", label=r"Euler: $1 - \Delta t/\tau$")
ax1.plot(x, np.exp(-x), color="tab:green", label=r"exact: $e^{-\Delta t/\tau}$")
ax1.plot([0.2], [0.8], "o", color="black", label=r"the paper: $l(\tau) = 0.8$")
ax1.set_xlabel(r"$\Delta t / \tau$")
ax1.set_ylabel(r"decay $\lambda$ per step")
ax1.set_title("decay of the membrane per time step")
ax1.legend(fontsize="small")
ax2.plot(x, np.exp(-x) - (1 - x), color="tab:purple", label=r"$e^{-x} - (1 - x)$")
ax2.plot(x, x**2 / 2, ":", color="gray", label=r"$x^2/2$ (first neglected term)")
ax2.set_xlabel(r"$x = \Delta t / \tau$")
ax2.set_ylabel("difference of the decays")
ax2.set_title("Euler forgets too fast by about $x^2/2$")
ax2.legend(fontsize="small")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3)

# %%
gap = np.exp(-x) - (1 - x)
# 0 <= e^-x - (1 - x) <= x^2/2
assert np.all(gap >= 0) and np.all(gap <= x**2 / 2 + 1e-15)
print(
    f"Euler decay 0.8 <-> dt/tau = {1 - 0.8:.2f}; the exact decay for that step would "
    f"be {np.exp(-0.2):.4f}"
)

# %% [markdown]
# ## 2. The reset is a gate
#
# With $v_{\mathrm{reset}} = 0$ the reset (`lif-reset`) just multiplies the integrated potential
# $V^{\mathrm{pre}}_{t-1}$ by 0 at a spike and by 1 otherwise:
#
# $$ V_{t-1} = V^{\mathrm{pre}}_{t-1}\,\bigl(1 - \mathrm{spike}_{t-1}\bigr). $$
#
# Substituting into the Euler step gives a recursion in the *pre-reset* potential alone:
#
# $$ V^{\mathrm{pre}}_t = \Bigl(1 - \frac{\Delta t}{\tau}\Bigr) V^{\mathrm{pre}}_{t-1}\bigl(1 - \mathrm{spike}_{t-1}\bigr)
#    + \frac{\Delta t}{\tau} R\, I_t \qquad\qquad (\texttt{lif-snu}) $$
#
# `lif.simulate(..., return_pre_reset=True)` returns $V^{\mathrm{pre}}$ too, so we can check the gate
# on a quick run:

# %%
dt, tau, R, v_th = 0.5, 10.0, 2.0, 1.0                   # ms, ms, resistance, threshold
I_demo = rng.uniform(0.0, 1.2, size=400)
V, spikes, V_pre = lif.simulate(
    I_demo, dt, tau, R=R, v_th=v_th, method="euler", return_pre_reset=True
)
assert spikes.sum() > 0
assert np.array_equal(V, V_pre * (1 - spikes))       # the reset is the gate (1 - spike)
print(f"{int(spikes.sum())} spikes; V == V_pre * (1 - spike) at every step")

# %% [markdown]
# ## 3. The threshold is a bias
#
# A spike means $V^{\mathrm{pre}}_t > v_{th}$, i.e. $V^{\mathrm{pre}}_t - v_{th} > 0$: a Heaviside step
# $h$ of the potential plus a **bias** $b = -v_{th}$.
#
# ## 4. The SNU
#
# Put together, this is exactly the SNU (`snu-state`, `snu-g`, `snu-output`) with input $x_t = I_t$:
#
# $$ s_t = g\bigl(x_t W + l(\tau)\, s_{t-1} \odot (1 - y_{t-1})\bigr), \qquad y_t = h(s_t + b),
#    \qquad s_0 = y_0 = 0 $$
#
# | SNU | LIF |
# |---|---|
# | state $s_t$ | pre-reset potential $V^{\mathrm{pre}}_t$ |
# | output $y_t$ | $\mathrm{spike}_t$ |
# | decay $l(\tau)$ | $1 - \Delta t/\tau$ |
# | input weight $W$ | $\frac{\Delta t}{\tau} R$ times the identity (each neuron gets its own current) |
# | bias $b$ | $-v_{th}$ |
# | $g$ | identity (ReLU too, while $V^{\mathrm{pre}} \ge 0$) |
# | reset gate $(1 - y_{t-1})$ | reset to 0 |
#
# The SNU does not reset its state *at* the spike step; the gate applies at the next step. So the
# LIF's reported potential is $V_t = s_t (1 - y_t)$.
#
# Now the real test: four neurons, 5000 steps of random current, once through the LIF simulator and
# once through the SNU's forward pass `snu_forward` (shapes: `x` is (T, B, n_in), here B = 1).

# %%
T, N = 5000, 4
I = rng.uniform(0.0, 1.2, size=(T, 1, N))                  # (T, B=1, N) random currents
V, spikes, V_pre = lif.simulate(
    I, dt, tau, R=R, v_th=v_th, method="euler", return_pre_reset=True
)

decay = 1 - dt / tau                                            # l(tau)
W = (dt / tau) * R * np.eye(N)                                  # (n_in, n_out) = (N, N)
b = np.full(N, -v_th)                                           # bias = -threshold
s, y, _ = snu_forward(I, W, b, decay, g="identity")             # the SNU, plain NumPy

print(f"decay = {decay}, W = {W[0, 0]} * identity, b = {b}")
print("spikes per neuron, LIF:", spikes.sum(axis=(0, 1)), "  SNU:", y.sum(axis=(0, 1)))

# %% [markdown]
# **Check.** Every one of the $5000 \times 4$ outputs is identical, the SNU state *is* the pre-reset
# potential, and gating the state gives back the LIF's reported potential.

# %%
assert spikes.sum() > 500                                # plenty of spikes to get right
np.testing.assert_array_equal(y, spikes)                 # spike for spike
np.testing.assert_allclose(s, V_pre, rtol=1e-12, atol=1e-12)
np.testing.assert_allclose(s * (1 - y), V, rtol=1e-12, atol=1e-12)
print("identical:", int(spikes.sum()), "spikes in", T, "steps")

# %% [markdown]
# The same with the trainable layer object `SNU`, which is what networks are built from. It uses
# $g$ = ReLU by default, which changes nothing here because the current, and hence the potential, is
# never negative. We set its parameters by hand instead of the random initial weights.

# %%
layer = SNU(N, N, decay=decay, threshold=v_th, seed=0)        # g = "relu" (the default)
layer.set_params(W=W, b=b)
y_layer = layer.forward(I)
np.testing.assert_array_equal(y_layer, spikes)
np.testing.assert_allclose(layer.cache["s"], V_pre, rtol=1e-12, atol=1e-12)
print(layer)

# %% [markdown]
# ### Both traces in one picture
#
# The first 100 ms of neuron 0: the LIF's pre-reset potential as a line, the SNU's state as dots on top
# of it; the LIF's spikes as ticks, the SNU's as triangles.

# %%
n_show, k = 200, 0
t_ms = lif.time_axis(n_show, dt)
fig = plot_neuron(
    I=I[:n_show, 0, k],
    V=V_pre[:n_show, 0, k],
    spikes=spikes[:n_show, 0, k],
    v_th=v_th,
    dt=dt,
    time_unit="ms",
    title="LIF (lines, ticks) and SNU (dots, triangles): the same numbers",
)
ax_V, ax_spk = fig.axes[1], fig.axes[2]
ax_V.lines[0].set_label(r"LIF $V^{\mathrm{pre}}_t$")
ax_spk.collections[0].set_label("LIF spikes")
ax_spk.set_ylim(-0.1, 1.25)
ax_V.plot(
    t_ms, s[:n_show, 0, k], ".", color="tab:orange", ms=4, label="SNU state $s_t$"
)
ax_V.set_ylabel(r"LIF $V^{\mathrm{pre}}_t$ / SNU $s_t$")
ax_V.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
fired = np.flatnonzero(y[:n_show, 0, k])
ax_spk.plot(
    t_ms[fired],
    np.full(fired.size, 1.05),
    "v",
    color="tab:orange",
    ms=5,
    label="SNU $y_t$",
)
ax_spk.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small");

# %% [markdown]
# ## 5. The exact update is an SNU too
#
# Nothing forces Euler: with $l(\tau) = e^{-\Delta t/\tau}$ and $W = (1 - e^{-\Delta t/\tau}) R$ the SNU
# reproduces the exact update (`lif-exact`). `lif.step_coefficients` returns both numbers.

# %%
decay_x, gain_x = lif.step_coefficients(dt, tau, R, method="exact")
V_x, spikes_x = lif.simulate(I, dt, tau, R=R, v_th=v_th, method="exact")
_, y_x, _ = snu_forward(I, gain_x * np.eye(N), b, decay_x, g="identity")
np.testing.assert_array_equal(y_x, spikes_x)
print(
    f"exact: decay = {decay_x:.5f}, gain = {gain_x:.5f};  Euler: decay = {decay}, gain "
    f"= {dt / tau * R}"
)
print("spikes, exact vs Euler:", spikes_x.sum(axis=(0, 1)), spikes.sum(axis=(0, 1)))

# %% [markdown]
# ## 6. Where the analogy ends
#
# * A reset value $v_{\mathrm{reset}} \ne 0$ and a refractory period have no SNU counterpart.
# * With ReLU as $g$ the SNU's state can never go below 0, while a LIF neuron driven by a *negative*
#   current sinks below rest. With $g$ = identity the SNU is still the LIF exactly.

# %%
I_neg = rng.uniform(-2.0, 2.5, size=(T, 1, N))             # now with inhibitory current
_, spikes_n = lif.simulate(I_neg, dt, tau, R=R, v_th=v_th, method="euler")
_, y_id, _ = snu_forward(I_neg, W, b, decay, g="identity")
_, y_relu, _ = snu_forward(I_neg, W, b, decay, g="relu")
print(
    "spikes  LIF:",
    spikes_n.sum(),
    "  SNU identity:",
    y_id.sum(),
    "  SNU ReLU:",
    y_relu.sum(),
)
np.testing.assert_array_equal(y_id, spikes_n)                 # identity: still exact
assert not np.array_equal(y_relu, spikes_n)                   # ReLU: a different neuron

# %% [markdown]
# The ReLU neuron fires *more*: it never has to climb back from below rest.
#
# From here on the SNU is a layer like any other: $W$ becomes a full trainable matrix (synaptic
# weights), $b$ a trainable threshold, and the only obstacle to training it by backpropagation is the
# step $h$ — notebooks 03–05.
#
# ## Exercises
#
# 1. **The paper's neuron.** The paper fixes $l(\tau) = 0.8$. Which $\tau$ does this correspond to
#    for $\Delta t = 1$ ms with Euler, and with the exact update? *Hint:* solve $1 - x = 0.8$ and
#    $e^{-x} = 0.8$.
# 2. **Synapses.** Replace the identity in $W$ by a random (N_in, N) matrix with N_in = 10 input
#    currents. What LIF network does the SNU now simulate? Check it against `lif.simulate` driven by
#    the current `I @ W_syn`. *Hint:* `lif.simulate` takes any (T, B, N) current.
# 3. **A one-step refractory period.** Make the layer recurrent (`SNU(..., recurrent=True)`) and set
#    $H = -10\,\mathbb{1}$ (a strong self-inhibition) with $g$ = ReLU. Show that no neuron can now
#    fire two steps in a row, and compare with `lif.simulate(..., t_ref=dt)`. *Hint:* where does the
#    term $y_{t-1} H$ enter `snu-state`?
# 4. **A nonzero reset.** Which extra term would $s_t$ need to reproduce `v_reset = -0.2`? Write it
#    as a small loop with `snu_step_forward`-style NumPy and verify against `lif.simulate`.
