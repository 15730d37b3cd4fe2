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
# # Exercise 9 — The LSTM step, backward
#
# The LSTM is the non-spiking baseline of the paper. One step, gates concatenated in the order
# $[i, f, g, o]$ (`a` is (B, 4n)):
#
# $$a = x_t W + h_{t-1} H + b, \quad i = \sigma(a_i),\ f = \sigma(a_f),\ g = \tanh(a_g),\ o = \sigma(a_o),$$
#
# $$c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t).$$
#
# Backwards, with $\delta h_t$ (`dh`) and $\delta c^{(t+1)}_t$ (`dc_next`, from the next step's
# forget gate):
#
# $$\delta o = \delta h_t \odot \tanh c_t, \qquad \delta c_t = \delta c^{(t+1)}_t + \delta h_t \odot o \odot (1 - \tanh^2 c_t),$$
#
# $$\delta i = \delta c_t \odot g, \quad \delta f = \delta c_t \odot c_{t-1}, \quad \delta g = \delta c_t \odot i, \quad \delta c_{t-1} = \delta c_t \odot f,$$
#
# $$\delta a = \big[\delta i \odot i(1-i),\ \delta f \odot f(1-f),\ \delta g \odot (1 - g^2),\ \delta o \odot o(1-o)\big],$$
#
# $$\delta x_t = \delta a W^\top,\quad \delta h_{t-1} = \delta a H^\top,\quad \delta W = x_t^\top \delta a,\quad \delta H = h_{t-1}^\top \delta a,\quad \delta b = \textstyle\sum_{batch} \delta a.$$
#
# The forward pass is `snu_np.functional.lstm.lstm_step_forward`; its cache is
# `(x_t, h_prev, c_prev, gates, c, W, H)` with `gates` = $[i, f, g, o]$ (B, 4n) and `c` = $c_t$.
#
# **Your task.** Write `lstm_step_backward(dh, dc_next, cache)` returning
# `{"dx", "dh_prev", "dc_prev", "dW", "dH", "db"}`.
#
# <!-- teacher notes -->

# %%
import numpy as np

from snu_np.exercises import check

# %%
def lstm_step_backward(dh, dc_next, cache):
    """Backward through one LSTM step. See the equations above."""
    x_t, h_prev, c_prev, gates, c, W, H = cache
    n = c.shape[1]
    i, f, g, o = (gates[:, k * n:(k + 1) * n] for k in range(4))
    raise NotImplementedError("Exercise 9: from h back to the gates, through their activations, to the inputs and weights")

# %%
check("lstm_step_backward", lstm_step_backward)
