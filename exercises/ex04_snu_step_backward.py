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
# # Exercise 4 — One SNU step, backward
#
# Backpropagation through one step of
#
# $$z_t = x_t W + y_{t-1} H + \lambda\, s_{t-1} \odot (1 - y_{t-1}), \quad s_t = \mathrm{ReLU}(z_t), \quad u_t = s_t + b, \quad y_t = h(u_t).$$
#
# The step receives $\delta y_t = \partial L/\partial y_t$ (`dy`) and $\delta s_t^{(t+1)}$, what step
# $t+1$ sends back to $s_t$ through its decay term (`ds_next`). Going backwards through each line:
#
# $$\delta u_t = \delta y_t \odot h'(u_t), \qquad h'(u) = \begin{cases} y(1 - y) & \text{soft SNU} \\ 1 - \tanh^2(u) & \text{SNU: a pseudo-derivative, } \texttt{surrogate.grad(u)}\end{cases}$$
#
# $$\delta b = \textstyle\sum_{batch} \delta u_t, \qquad \delta s_t = \delta u_t + \delta s_t^{(t+1)}, \qquad \delta z_t = \delta s_t \odot [s_t > 0]$$
#
# $$\delta x_t = \delta z_t W^\top, \qquad \delta W = x_t^\top \delta z_t, \qquad \delta H = y_{t-1}^\top \delta z_t$$
#
# $$\delta s_{t-1} = \lambda\, \delta z_t \odot (1 - y_{t-1}), \qquad
# \delta y_{t-1} = \underbrace{-\lambda\, \delta z_t \odot s_{t-1}}_{\text{through the reset}} + \delta z_t H^\top,
# \qquad \delta\lambda = \textstyle\sum \delta z_t \odot s_{t-1} \odot (1 - y_{t-1})$$
#
# With `detach_reset=True` the reset term is dropped (set to zero): the gate is treated as a constant.
#
# The forward pass is the reference `snu_np.functional.snu.snu_step_forward`; its `cache` is the tuple
# `(x_t, s_prev, y_prev, s, y, W, b, decay, H, soft, g, surrogate)` (here `g` is `"relu"`).
#
# **Your task.** Write `snu_step_backward`, returning the dict
# `{"dx", "dW", "db", "ds_prev", "dy_prev", "dH", "ddecay"}` (`dH` is `None` when `H` is `None`;
# `ddecay` is a float).
#
# <!-- BEGIN TEACHER -->
# > **Teacher notes** (about 45 min, the core of the course). Let students write the shape of every
# > array next to each line. The check runs four configurations (SNU feed-forward, SNU recurrent,
# > soft SNU recurrent, SNU with `detach_reset=True`) and then a finite-difference check of a soft,
# > recurrent step. It recognises: the reset gradient missing (= the `detach_reset=True` result), its
# > sign, an extra gate factor in it, `detach_reset` ignored, the pseudo-derivative missing or with its
# > sign flipped, `tanh`
# > instead of $1 - \tanh^2$, the pseudo-derivative evaluated at $s$ instead of $s + b$, the
# > pseudo-derivative used for the soft SNU, $\sigma' = y$, `ds_next` dropped, the ReLU derivative
# > missing, the gate or the decay missing in `ds_prev`, `dx` computed from $\delta u$, `dH` from
# > $s_{t-1}$, and the recurrent part of `dy_prev` missing.
# <!-- END TEACHER -->

# %%
import numpy as np

from snu_np.exercises import check


# %%
def snu_step_backward(dy, ds_next, cache, detach_reset=False):
    """Backward through one SNU step (ReLU state). See the equations above."""
    x_t, s_prev, y_prev, s, y, W, b, decay, H, soft, g, surrogate = cache
    # BEGIN SOLUTION: follow the equations from the output back to the input, one line each
    dh = y * (1.0 - y) if soft else surrogate.grad(s + b)
    du = dy * dh
    db = du.sum(axis=0)
    ds = du + ds_next
    dz = ds * (s > 0)
    dx = dz @ W.T
    dW = x_t.T @ dz
    gate = 1.0 - y_prev
    ds_prev = decay * dz * gate
    dy_prev = np.zeros_like(y_prev) if detach_reset else -decay * dz * s_prev
    dH = None
    if H is not None:
        dH = y_prev.T @ dz
        dy_prev = dy_prev + dz @ H.T
    ddecay = float(np.sum(dz * s_prev * gate))
    return {"dx": dx, "dW": dW, "db": db, "ds_prev": ds_prev, "dy_prev": dy_prev, "dH": dH, "ddecay": ddecay}
    # END SOLUTION


# %%
check("snu_step_backward", snu_step_backward)
