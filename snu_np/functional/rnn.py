"""The vanilla (Elman) tanh RNN, forward and backward, in plain NumPy: a non-spiking baseline.

Equations (docs: derivations/baselines.md), row-vector convention::

    a_t = x_t W + h_{t-1} H + b                                      (rnn-step)
    h_t = tanh(a_t)

with h_0 = 0. Shapes: x_t (B, n_in), W (n_in, n), H (n, n), b (n,), h_t (B, n); over a sequence
x is (T, B, n_in) and h is (T, B, n). Parameters: n_in*n + n*n + n.

The Numba path in ``snu_np.kernels.recurrent`` computes the same numbers; a test proves it.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_dy_shape, check_sequence


def rnn_step_forward(x_t, h_prev, W, H, b):
    """One time step of a tanh RNN. Docs: :eq:`rnn-step`.

    Parameters
    ----------
    x_t : (B, n_in) input at step t.
    h_prev : (B, n) hidden state at step t-1 (zeros at t = 1).
    W : (n_in, n) input weights.  H : (n, n) recurrent weights.  b : (n,) bias.

    Returns
    -------
    h : (B, n) new hidden state (also the output).  cache : tuple for :func:`rnn_step_backward`.
    """
    a = x_t @ W + h_prev @ H + b                          # (rnn-step): pre-activation
    h = np.tanh(a)                                        # (rnn-step)
    cache = (x_t, h_prev, h, W, H)
    return h, cache


def rnn_step_backward(dh, cache):
    """Backward through one step. Docs: :eq:`rnn-bptt`.

    Parameters
    ----------
    dh : (B, n) dL/dh_t: from the loss at step t plus what step t+1 sends back.
    cache : from :func:`rnn_step_forward`.

    Returns
    -------
    dict with dx (B, n_in), dh_prev (B, n) for step t-1, and this step's parameter gradients
    dW (n_in, n), dH (n, n), db (n,).
    """
    x_t, h_prev, h, W, H = cache
    da = dh * (1.0 - h * h)                               # (rnn-bptt): h = tanh(a), tanh' = 1 - h^2
    # a = x W + h_prev H + b
    dx = da @ W.T                                         # (rnn-bptt): dL/dx_t
    dW = x_t.T @ da                                       # (rnn-bptt): dL/dW, this step's share
    dH = h_prev.T @ da                                    # (rnn-bptt): dL/dH, this step's share
    db = da.sum(axis=0)                                   # (rnn-bptt): dL/db, summed over the batch
    dh_prev = da @ H.T                                    # (rnn-bptt): the carry to step t-1
    return {"dx": dx, "dh_prev": dh_prev, "dW": dW, "dH": dH, "db": db}


def rnn_forward(x, W, H, b):
    """Run a tanh RNN over a sequence. Docs: :eq:`rnn-step`.

    Parameters
    ----------
    x : (T, B, n_in) input sequence.  W, H, b : as in :func:`rnn_step_forward`.

    Returns
    -------
    h : (T, B, n) hidden states (the outputs).  cache : dict for :func:`rnn_backward`.
    """
    check_sequence(x, "x")
    T, B, _ = x.shape
    n = H.shape[0]
    h = np.zeros((T, B, n), dtype=x.dtype)
    h_prev = np.zeros((B, n), dtype=x.dtype)             # h_0 = 0
    for t in range(T):
        h_prev, _ = rnn_step_forward(x[t], h_prev, W, H, b)
        h[t] = h_prev
    cache = {"x": x, "h": h, "W": W, "H": H, "b": b}
    return h, cache


def rnn_backward(dh, cache, need_dx=True):
    """Backpropagation through time for a tanh RNN: one reversed loop. Docs: :eq:`rnn-bptt`.

    Parameters
    ----------
    dh : (T, B, n) dL/dh_t from the layers above (or the loss), for every step.
    cache : from :func:`rnn_forward`.
    need_dx : bool, False returns dx = None (the fast twin then skips its matrix product).

    Returns
    -------
    dx : (T, B, n_in) gradient for the layer below, or None.
    grads : dict with "W", "H", "b", summed over time and batch.
    """
    x, h, W, H, b = (cache[k] for k in ("x", "h", "W", "H", "b"))
    check_dy_shape(dh, h.shape, "dh")
    T, B, _ = x.shape
    zeros = np.zeros_like(h[0])
    dx = np.zeros_like(x)
    grads = {"W": np.zeros_like(W), "H": np.zeros_like(H), "b": np.zeros_like(b)}
    dh_next = zeros                    # dL/dh_t arriving from step t+1 (none after the last step)
    for t in reversed(range(T)):
        h_prev = h[t - 1] if t > 0 else zeros
        d = rnn_step_backward(dh[t] + dh_next, (x[t], h_prev, h[t], W, H))
        dx[t] = d["dx"]
        grads["W"] += d["dW"]          # weights are shared across time: their gradients add up
        grads["H"] += d["dH"]
        grads["b"] += d["db"]
        dh_next = d["dh_prev"]
    return (dx if need_dx else None), grads
