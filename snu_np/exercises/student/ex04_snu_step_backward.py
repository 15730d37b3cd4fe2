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
# <!-- teacher notes -->

# %%
import numpy as np

from snu_np.exercises import check

# %%
def snu_step_backward(dy, ds_next, cache, detach_reset=False):
    """Backward through one SNU step (ReLU state). See the equations above."""
    x_t, s_prev, y_prev, s, y, W, b, decay, H, soft, g, surrogate = cache
    raise NotImplementedError("Exercise 4: follow the equations from the output back to the input, one line each")

# %%
check("snu_step_backward", snu_step_backward)
