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
# # Exercise 1 — The LIF neuron: one Euler step and the f–I curve
#
# The leaky integrate-and-fire (LIF) neuron integrates its input current with a leak,
#
# $$\tau \frac{\mathrm{d}V}{\mathrm{d}t} = -V + R\,I(t),$$
#
# and emits a spike when $V$ crosses the threshold $v_{th}$, after which $V$ is set back to
# $v_{reset}$. A computer advances in steps of $\Delta t$. Forward Euler replaces $\mathrm{d}V/\mathrm{d}t$
# by $(V_t - V_{t-1})/\Delta t$, which gives one update per step, in three parts:
#
# $$V^{pre}_t = \Big(1 - \frac{\Delta t}{\tau}\Big)\, V_{t-1} + \frac{\Delta t}{\tau}\, R\, I_t
# \qquad\text{(integrate)}$$
#
# $$\text{spike}_t = \big[\,V^{pre}_t > v_{th}\,\big] \qquad\text{(detect, strictly above)}$$
#
# $$V_t = v_{reset} \text{ where spike}_t, \text{ else } V^{pre}_t \qquad\text{(reset)}$$
#
# The factor $1 - \Delta t/\tau$ is the **decay**: it is what the SNU calls $l(\tau)$.
#
# **Part a.** Write `lif_euler_step` for a whole array of neurons at once (NumPy, no loop).
#
# **Part b.** Drive neurons with constant currents and *measure* their firing rate: the f–I curve.
# Compare it with the analytic rate $f = 1 / \big(\tau \ln \frac{RI}{RI - v_{th}}\big)$ for
# $RI > v_{th}$ (and 0 below the *rheobase* $I = v_{th}/R$).
#
# <!-- teacher notes -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np import lif
from snu_np.exercises import check

# %%
def lif_euler_step(v, I, dt, tau, R=1.0, v_th=1.0, v_reset=0.0):
    """One forward-Euler step of N LIF neurons.

    v : array (N,), the potential after the previous step (already reset).
    I : array (N,), the input current during this step.
    Returns (v_new, spike): the potential after this step (v_reset where the neuron fired) and the
    spikes, an array of 1.0 (fired) and 0.0.
    """
    raise NotImplementedError("Exercise 1: integrate (Euler), detect the spike on the integrated potential, then reset")

# %%
check("lif_euler_step", lif_euler_step)

# %% [markdown]
# A neuron driven by a constant current $I = 1.5$ ($\tau = 10$ ms, $\Delta t = 0.5$ ms):

# %%
dt, tau = 0.5, 10.0
v, trace, spikes = np.zeros(1), [], []
for _ in range(200):
    v, s = lif_euler_step(v, np.array([1.5]), dt, tau)
    trace.append(v[0])
    spikes.append(s[0])
t = dt * np.arange(1, 201)
fig, ax = plt.subplots(figsize=(7, 2.5))
ax.plot(t, trace, label="V")
ax.vlines(t[np.array(spikes) > 0], 1.0, 1.3, color="k", label="spikes")
ax.axhline(1.0, ls=":", color="gray")
ax.set_xlabel("t (ms)")
ax.legend();

# %% [markdown]
# **Part b.** Simulate one neuron per current in `I_values` (all at once, with your
# `lif_euler_step`), starting from $V = 0$, for `round(duration / dt)` steps. The rate is the number
# of spikes divided by the simulated time.

# %%
def firing_rates(I_values, dt, tau, R=1.0, v_th=1.0, duration=100.0):
    """Measured firing rates (spikes per unit of time) for constant currents I_values (array (N,))."""
    raise NotImplementedError("Exercise 1: simulate all currents at once with lif_euler_step, count the spikes, divide by the duration")

# %%
check("firing_rates", firing_rates)

# %% [markdown]
# The measured f–I curve for two time steps, against the analytic rate:

# %%
I_values = np.linspace(0.0, 4.0, 41)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(I_values, lif.firing_rate(I_values, tau=1.0), "k", label="analytic")
for dt in (0.1, 0.01):
    ax.plot(I_values, firing_rates(I_values, dt, tau=1.0, duration=20.0), ".", label=f"Euler, dt = {dt}")
ax.set_xlabel("I (R = 1, v_th = 1)")
ax.set_ylabel("rate (1 / tau)")
ax.legend();

# %% [markdown]
# **Questions.** Where is the rheobase? Why do the Euler rates come out lower than the analytic ones
# for $\Delta t = 0.1\,\tau$, and what happens as $\Delta t$ shrinks?
