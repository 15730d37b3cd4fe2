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
# # Exercise 7 — The reset gradient: kept or detached?
#
# The SNU state update contains the reset gate $(1 - y_{t-1})$:
#
# $$z_t = x_t W + y_{t-1} H + \lambda\, s_{t-1} \odot (1 - y_{t-1}).$$
#
# So $y_{t-1}$ also reaches the loss through the reset, and backpropagation sends it the extra term
#
# $$\delta y_{t-1}^{\text{reset}} = \frac{\partial z_t}{\partial y_{t-1}}\Big|_{\text{reset}} \odot \delta z_t = -\lambda\, \delta z_t \odot s_{t-1}.$$
#
# It says: "had you spiked, the state $s_{t-1}$ that step $t$ was about to use would have been wiped."
# Many implementations *detach* the reset (treat the gate as a constant), dropping this term; the
# authors keep it. Which trains better?
#
# **Your task.** Write `reset_term(dz, s_prev, y_prev, decay)` returning the reset part of
# $\partial L/\partial y_{t-1}$ for one step (all arrays are (B, n)). Then run the comparison: the same
# two-layer recurrent SNU network, same initial weights and batches, trained once with your reset term
# and once with it detached.
#
# <!-- teacher notes -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np.exercises import check, compare_reset_training

# %%
def reset_term(dz, s_prev, y_prev, decay):
    """The part of dL/dy_{t-1} that flows through the reset gate (1 - y_{t-1}); arrays (B, n)."""
    raise NotImplementedError("Exercise 7: differentiate decay * s_prev * (1 - y_prev) with respect to y_prev, times dz")

# %%
check("reset_term", reset_term)

# %%
runs = compare_reset_training(reset_term, seed=0)
fig, ax = plt.subplots(figsize=(7, 3))
for name, run in runs.items():
    ax.plot(run["losses"], label=f"reset gradient {name}: test accuracy {run['test_accuracy']:.0%}")
ax.set_xlabel("update")
ax.set_ylabel("window MSE")
ax.legend();

# %% [markdown]
# **Questions.** Which run learns faster here? Try other seeds (`compare_reset_training(reset_term,
# seed=1)`), a feed-forward hidden layer (`recurrent=False`) or a larger learning rate (`lr=1e-2`).
# Is the difference systematic?
