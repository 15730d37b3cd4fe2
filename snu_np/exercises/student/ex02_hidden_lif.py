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
# # Exercise 2 — Read τ and the threshold off a membrane trace
#
# Someone recorded a LIF neuron ($R = 1$, $v_{reset} = 0$, $V_0 = 0$) but lost its parameters.
# `hidden_lif_trace(seed)` returns the recording: times `t` (ms, steps of 0.1 ms), the injected
# current `I` and the membrane potential `V` (after the reset). The membrane time constant $\tau$ and
# the threshold $v_{th}$ are hidden (different for every seed). Recover them.
#
# Useful facts. Under a constant current switched on at $t_{on}$, below threshold,
#
# $$V(t) = R I \big(1 - e^{-(t - t_{on})/\tau}\big),$$
#
# so $V$ reaches $1 - 1/e \approx 63\,\%$ of $R I$ after one $\tau$, and $-\ln(1 - V/RI)$ grows
# linearly with slope $1/\tau$. After a current is switched off, $V$ decays as $e^{-t/\tau}$. At a
# spike, $V$ jumps to $v_{reset}$: the threshold lies just above the highest $V$ reached before a reset.
#
# **Your task.** Write `estimate_lif_parameters(t, I, V)` returning `{"tau": ..., "v_th": ...}`
# (τ in ms). The check runs it on other hidden neurons and accepts τ within 10 % and $v_{th}$ within 5 %.
#
# <!-- teacher notes -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np.exercises import check, hidden_lif_trace

trace = hidden_lif_trace(seed=0)
fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 4), sharex=True)
a1.plot(trace["t"], trace["V"])
a1.set_ylabel("V")
a2.plot(trace["t"], trace["I"], color="C1")
a2.set_ylabel("I")
a2.set_xlabel("t (ms)");

# %%
def estimate_lif_parameters(t, I, V):
    """Estimate the membrane time constant tau (in the unit of t) and the threshold v_th of a LIF
    neuron (R = 1, v_reset = 0) from its current I and potential V, sampled at times t."""
    raise NotImplementedError("Exercise 2: fit the exponential rise under the weak current for tau; look just before the resets for v_th")

# %%
check("estimate_lif_parameters", estimate_lif_parameters)

# %%
print(estimate_lif_parameters(trace["t"], trace["I"], trace["V"]))
