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
# # Exercise 5 — Backpropagation through time: the loop
#
# Over a sequence, step $t$ influences the loss through its outputs $y_t$ and $s_t$: directly (the
# loss or the layer above reads $y_t$, giving `dy[t]`) and through step $t+1$, which reads both.
# BPTT is therefore one loop **backwards** in time that carries two arrays from step $t+1$ to step $t$:
#
# $$\text{for } t = T-1, \dots, 0: \qquad
# d = \texttt{snu\_step\_backward}\big(\texttt{dy}[t] + \delta y^{(t+1)}_t,\ \delta s^{(t+1)}_t,\ \text{cache}_t\big),
# \qquad \delta s^{(t)}_{t-1}, \delta y^{(t)}_{t-1} = d[\texttt{"ds\_prev"}], d[\texttt{"dy\_prev"}]$$
#
# starting with nothing after the last step ($\delta s^{(T)}_{T-1} = \delta y^{(T)}_{T-1} = 0$), and
# with $s_{-1} = y_{-1} = 0$ before the first. $W$, $b$, $H$ and $\lambda$ are shared by every step, so
# their gradients **add up** over time.
#
# The forward pass is `snu_np.functional.snu.snu_forward`; its `cache` is a dict with `"x"` (T, B, n_in),
# `"s"`, `"y"` (T, B, n_out), `"W"`, `"b"`, `"decay"`, `"H"` (or None), `"soft"`, `"g"`, `"surrogate"`.
# The cache of step t for `snu_step_backward` is the tuple
# `(x[t], s_prev, y_prev, s[t], y[t], W, b, decay, H, soft, g, surrogate)`.
#
# **Your task.** Write `snu_backward(dy, cache, detach_reset=False)` returning `(dx, grads)` with
# `dx` of shape (T, B, n_in) and `grads = {"W", "b", "decay"}` (plus `"H"` for a recurrent layer),
# using the reference `snu_step_backward`.
#
# <!-- teacher notes -->

# %%
import numpy as np

from snu_np.exercises import check
from snu_np.functional.snu import snu_step_backward

# %%
def snu_backward(dy, cache, detach_reset=False):
    """BPTT through an SNU layer. dy: (T, B, n_out). Returns (dx, grads)."""
    x, s, y, W, b, decay, H = (cache[k] for k in ("x", "s", "y", "W", "b", "decay", "H"))
    soft, g, surrogate = cache["soft"], cache["g"], cache["surrogate"]
    T = x.shape[0]
    raise NotImplementedError("Exercise 5: one loop over reversed(range(T)); carry ds_prev and dy_prev back; accumulate the gradients")

# %%
check("snu_backward", snu_backward)
