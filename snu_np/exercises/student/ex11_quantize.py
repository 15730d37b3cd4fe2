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
# # Exercise 11 — Quantise weights for analog hardware
#
# An analog in-memory chip stores each weight as the conductance of a device (a phase-change memory
# cell, for instance), and a device can be programmed to only a few distinguishable levels. Before
# mapping a trained layer onto the chip we therefore **quantise** its weights: every weight is replaced
# by the nearest of a few allowed values.
#
# A *symmetric uniform* quantiser with `bits` bits uses one bit for the sign and
# $L = 2^{\text{bits}-1} - 1$ levels on each side of zero, spaced by the step
#
# $$\Delta = \frac{\max_{ij} |W_{ij}|}{L}, \qquad \text{levels } \{-L\Delta, \dots, -\Delta, 0, \Delta, \dots, L\Delta\},$$
#
# $$Q(W) = \Delta \cdot \operatorname{round}(W / \Delta).$$
#
# The levels are symmetric ($Q(-W) = -Q(W)$, which a differential pair of devices $G^+ - G^-$ gives for
# free), 0 is a level, and the largest weight is represented exactly. With $W = 0$ everywhere, return 0.
#
# **Your task.** Write `quantize(W, bits)` returning an array shaped like `W` (the quantised weights,
# not the integer codes).
#
# <!-- teacher notes -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np.exercises import check

# %%
def quantize(W, bits):
    """W quantised to 2^(bits-1) - 1 symmetric uniform levels on each side of 0 (same shape as W)."""
    raise NotImplementedError("Exercise 11: the step is max|W| / (2^(bits-1) - 1); round W / step to the nearest integer")

# %%
check("quantize", quantize)

# %% [markdown]
# The quantiser's staircase for 3 bits (3 levels on each side of 0):

# %%
w = np.linspace(-1.0, 1.0, 401)
fig, ax = plt.subplots(figsize=(5, 3.5))
for bits in (2, 3, 4):
    ax.step(w, quantize(w, bits), where="mid", label=f"{bits} bits")
ax.plot(w, w, "k:", lw=1)
ax.set_xlabel("W")
ax.set_ylabel("Q(W)")
ax.legend();
