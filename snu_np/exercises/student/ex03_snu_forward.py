# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 3 — One SNU step, forward
#
# The Spiking Neural Unit (Woźniak et al. 2020) is the LIF neuron written as a recurrent network
# cell. With row vectors ($x_t$ is $(B, n_{in})$, $W$ is $(n_{in}, n_{out})$) one step is
#
# $$z_t = x_t W + y_{t-1} H + \lambda\, s_{t-1} \odot (1 - y_{t-1}), \qquad s_t = g(z_t) = \max(z_t, 0),$$
#
# $$y_t = h(s_t + b), \qquad h(u) = [u > 0] \text{ (SNU)} \quad\text{or}\quad h(u) = \sigma(u) = \frac{1}{1 + e^{-u}} \text{ (soft SNU)}.$$
#
# * $\lambda = 1 - \Delta t/\tau$ is the decay (0.8 in the paper), $s_{t-1}$ the previous state
#   (membrane potential), $y_{t-1}$ the previous output (spike).
# * $(1 - y_{t-1})$ is the **reset gate**: a spike at $t-1$ clears the state.
# * $b = -v_{th}$ is the bias, so $y_t = [s_t > v_{th}]$.
# * $y_{t-1} H$ is present only in recurrent layers (`H` is not `None`).
#
# **Your task.** Write `snu_step_forward`, returning `(s, y)`.
#
# <!-- teacher notes -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np import lif
from snu_np.exercises import check

# %%
def snu_step_forward(x_t, s_prev, y_prev, W, b, decay, H=None, soft=False):
    """One step of an SNU layer (ReLU state). Returns (s, y), both (B, n_out)."""
    raise NotImplementedError("Exercise 3: z from input, recurrence and the gated decay; s = ReLU(z); y = h(s + b)")

# %%
check("snu_step_forward", snu_step_forward)

# %% [markdown]
# The SNU is the Euler-discretised LIF neuron: with $W = (\Delta t/\tau) R$, $b = -v_{th}$ and
# $\lambda = 1 - \Delta t/\tau$, its state is the LIF potential before the reset, step for step.

# %%
dt, tau, I = 1.0, 5.0, 1.5 * np.ones(60)
_, spikes, v_pre = lif.simulate(I, dt, tau, v_th=1.0, return_pre_reset=True)
s, y, states = np.zeros((1, 1)), np.zeros((1, 1)), []
for t in range(60):
    s, y = snu_step_forward(I[t].reshape(1, 1), s, y, np.array([[dt / tau]]), np.array([-1.0]), 1 - dt / tau)
    states.append(s[0, 0])
print("largest difference SNU state - LIF potential:", np.max(np.abs(np.array(states) - v_pre)))
fig, ax = plt.subplots(figsize=(7, 2.5))
ax.plot(v_pre, "k", lw=3, alpha=0.3, label="LIF V_pre")
ax.plot(states, "C0", label="SNU s_t")
ax.legend();
