"""The LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000), forward and
backward, in plain NumPy: a non-spiking baseline.

Equations (docs: derivations/baselines.md), row-vector convention, gates concatenated in the
order **[i, f, g, o]** (as in PyTorch)::

    a_t = x_t W + h_{t-1} H + b                                      (lstm-step)
    i_t = sigmoid(a_i)   f_t = sigmoid(a_f)   g_t = tanh(a_g)   o_t = sigmoid(a_o)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

(:eq:`lstm-step`) with h_0 = c_0 = 0 and a_i = a[:, 0:n], a_f = a[:, n:2n],
a_g = a[:, 2n:3n], a_o = a[:, 3n:4n]. Shapes: x_t (B, n_in), W (n_in, 4n), H (n, 4n), b (4n,),
h_t and c_t (B, n); over a sequence x is (T, B, n_in), h and c are (T, B, n).
Parameters: 4 (n_in*n + n*n + n). No peepholes.

The Numba path in ``snu_np.kernels.recurrent`` computes the same numbers; a test proves it.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_dy_shape, check_sequence
from ..surrogates import sigmoid


def lstm_step_forward(x_t, h_prev, c_prev, W, H, b):
    """One time step of an LSTM. Docs: :eq:`lstm-step`.

    Parameters
    ----------
    x_t : (B, n_in) input at step t.
    h_prev, c_prev : (B, n) hidden and cell state at step t-1 (zeros at t = 1).
    W : (n_in, 4n) input weights.  H : (n, 4n) recurrent weights.  b : (4n,) bias, gates [i, f, g, o].

    Returns
    -------
    h : (B, n) new hidden state (the output).  c : (B, n) new cell state.
    cache : tuple for :func:`lstm_step_backward`; ``cache[3]`` holds the gate activations
    (B, 4n) = [i, f, g, o].
    """
    n = h_prev.shape[1]
    a = x_t @ W + h_prev @ H + b                          # (lstm-step)
    i = sigmoid(a[:, 0 * n:1 * n])                        # (lstm-step): input gate
    f = sigmoid(a[:, 1 * n:2 * n])                        # (lstm-step): forget gate
    g = np.tanh(a[:, 2 * n:3 * n])                        # (lstm-step): candidate
    o = sigmoid(a[:, 3 * n:4 * n])                        # (lstm-step): output gate
    c = f * c_prev + i * g                                # (lstm-step)
    h = o * np.tanh(c)                                    # (lstm-step)
    gates = np.concatenate([i, f, g, o], axis=1)
    cache = (x_t, h_prev, c_prev, gates, c, W, H)
    return h, c, cache


def lstm_step_backward(dh, dc_next, cache):
    """Backward through one step.

    Docs: :eq:`lstm-bptt` (what crosses time), then term by term :eq:`lstm-bptt-c`,
    :eq:`lstm-bptt-gates`, :eq:`lstm-bptt-preact` and :eq:`lstm-bptt-params`.

    Parameters
    ----------
    dh : (B, n) dL/dh_t: from the loss at step t plus what step t+1 sends back through H.
    dc_next : (B, n) dL/dc_t that step t+1 sends back through its forget gate.
    cache : from :func:`lstm_step_forward`.

    Returns
    -------
    dict with dx (B, n_in), dh_prev and dc_prev (B, n) for step t-1, and this step's parameter
    gradients dW (n_in, 4n), dH (n, 4n), db (4n,).
    """
    x_t, h_prev, c_prev, gates, c, W, H = cache
    n = c.shape[1]
    i, f, g, o = (gates[:, k * n:(k + 1) * n] for k in range(4))
    tc = np.tanh(c)
    # h = o * tanh(c)
    do = dh * tc                                          # (lstm-bptt-gates): from h = o tanh(c)
    dc = dc_next + dh * o * (1.0 - tc * tc)               # (lstm-bptt-c): c feeds h_t and c_{t+1}
    # c = f * c_prev + i * g
    di = dc * g                                           # (lstm-bptt-gates): from c = f c_prev + i g
    df = dc * c_prev                                      # (lstm-bptt-gates)
    dg = dc * i                                           # (lstm-bptt-gates)
    dc_prev = dc * f                                      # (lstm-bptt-c): the cell carry to t-1
    # gate = act(a): sigmoid' = s (1 - s), tanh' = 1 - g^2
    da = np.concatenate([di * i * (1.0 - i),              # (lstm-bptt-preact)
                         df * f * (1.0 - f),
                         dg * (1.0 - g * g),
                         do * o * (1.0 - o)], axis=1)
    # a = x W + h_prev H + b
    dx = da @ W.T                                         # (lstm-bptt-params)
    dW = x_t.T @ da                                       # (lstm-bptt-params)
    dH = h_prev.T @ da                                    # (lstm-bptt-params)
    db = da.sum(axis=0)                                   # (lstm-bptt-params)
    dh_prev = da @ H.T                                    # (lstm-bptt): the hidden carry to t-1
    return {"dx": dx, "dh_prev": dh_prev, "dc_prev": dc_prev, "dW": dW, "dH": dH, "db": db}


def lstm_forward(x, W, H, b):
    """Run an LSTM over a sequence. Docs: :eq:`lstm-step`.

    Parameters
    ----------
    x : (T, B, n_in) input sequence.  W, H, b : as in :func:`lstm_step_forward`.

    Returns
    -------
    h : (T, B, n) hidden states (the outputs).  c : (T, B, n) cell states.
    cache : dict for :func:`lstm_backward` (with "gates" (T, B, 4n) = [i, f, g, o]).
    """
    check_sequence(x, "x")
    T, B, _ = x.shape
    n = H.shape[0]
    h = np.zeros((T, B, n), dtype=x.dtype)
    c = np.zeros((T, B, n), dtype=x.dtype)
    gates = np.zeros((T, B, 4 * n), dtype=x.dtype)
    h_prev = np.zeros((B, n), dtype=x.dtype)             # h_0 = 0
    c_prev = np.zeros((B, n), dtype=x.dtype)             # c_0 = 0
    for t in range(T):
        h_prev, c_prev, step_cache = lstm_step_forward(x[t], h_prev, c_prev, W, H, b)
        h[t], c[t], gates[t] = h_prev, c_prev, step_cache[3]
    cache = {"x": x, "h": h, "c": c, "gates": gates, "W": W, "H": H, "b": b}
    return h, c, cache


def lstm_backward(dh, cache, need_dx=True):
    """Backpropagation through time for an LSTM: one reversed loop. Docs: :eq:`lstm-bptt`.

    Parameters
    ----------
    dh : (T, B, n) dL/dh_t from the layers above (or the loss), for every step.
    cache : from :func:`lstm_forward`.
    need_dx : bool, False returns dx = None (the fast twin then skips its matrix product).

    Returns
    -------
    dx : (T, B, n_in) gradient for the layer below, or None.
    grads : dict with "W", "H", "b", summed over time and batch.
    """
    x, h, c, gates, W, H, b = (cache[k] for k in ("x", "h", "c", "gates", "W", "H", "b"))
    check_dy_shape(dh, h.shape, "dh")
    T, B, _ = x.shape
    zeros = np.zeros_like(h[0])
    dx = np.zeros_like(x)
    grads = {"W": np.zeros_like(W), "H": np.zeros_like(H), "b": np.zeros_like(b)}
    dh_next = zeros                    # dL/dh_t arriving from step t+1 (through H)
    dc_next = zeros                    # dL/dc_t arriving from step t+1 (through f_{t+1})
    for t in reversed(range(T)):
        h_prev = h[t - 1] if t > 0 else zeros
        c_prev = c[t - 1] if t > 0 else zeros
        step_cache = (x[t], h_prev, c_prev, gates[t], c[t], W, H)
        d = lstm_step_backward(dh[t] + dh_next, dc_next, step_cache)
        dx[t] = d["dx"]
        grads["W"] += d["dW"]          # weights are shared across time: their gradients add up
        grads["H"] += d["dH"]
        grads["b"] += d["db"]
        dh_next, dc_next = d["dh_prev"], d["dc_prev"]
    return (dx if need_dx else None), grads
