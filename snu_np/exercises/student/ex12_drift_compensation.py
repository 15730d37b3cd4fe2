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
# # Exercise 12 — Compensate conductance drift
#
# The conductance of a phase-change memory device slowly decays after it is programmed,
#
# $$G(t) = G(t_0) \left(\frac{t}{t_0}\right)^{-\nu},$$
#
# with a drift exponent $\nu$ of a few hundredths that differs from device to device. A layer's
# weights, and so its outputs, shrink over time: with $\nu = 0.06$ they are some 40 % smaller a day
# after programming.
#
# **Global drift compensation** (Joshi et al., *Nature Communications* 2020) repairs most of it with one
# number per layer. Right after programming ($t_0$) the chip runs a fixed *calibration batch* and
# stores the summed absolute outputs; at time $t$ it runs the same batch again and rescales every
# output by the ratio:
#
# $$\alpha(t) = \frac{\sum |y_{cal}(t_0)|}{\sum |y_{cal}(t)|}, \qquad y_{comp}(t) = \alpha(t)\, y(t),$$
#
# with the sums over every sample of the batch and every output unit (and $\alpha = 1$ if the drifted
# outputs are all zero: there is nothing to rescale).
#
# **Your task.** Write `compensate_drift(y, y_cal_0, y_cal_t)` returning the compensated outputs: `y`
# (the layer's outputs at time t, (B, n_out)) times $\alpha(t)$, computed from the calibration outputs
# `y_cal_0` (at $t_0$) and `y_cal_t` (at $t$), both (B_cal, n_out).
#
# <!-- teacher notes -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np.exercises import check

# %%
def compensate_drift(y, y_cal_0, y_cal_t):
    """y rescaled by sum|y_cal_0| / sum|y_cal_t| (global drift compensation)."""
    raise NotImplementedError("Exercise 12: one factor for the whole layer, a ratio of sums of absolute values")

# %%
check("compensate_drift", compensate_drift)

# %% [markdown]
# A drifting layer: the error of its outputs against the ideal ones, with and without compensation.

# %%
from snu_np.exercises.helpers import drifted_layer_outputs

times = np.logspace(2, 7, 11)
raw, comp = [], []
for t in times:
    d = drifted_layer_outputs(seed=0, t=t)
    raw.append(np.linalg.norm(d["y"] - d["y_ideal"]) / np.linalg.norm(d["y_ideal"]))
    comp.append(np.linalg.norm(compensate_drift(d["y"], d["y_cal_0"], d["y_cal_t"]) - d["y_ideal"])
                / np.linalg.norm(d["y_ideal"]))
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogx(times, raw, "o-", label="drifted")
ax.semilogx(times, comp, "s-", label="compensated")
ax.set_xlabel("time after programming (s)")
ax.set_ylabel("relative output error")
ax.legend();
