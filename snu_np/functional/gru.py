"""The GRU of Cho et al. (2014), forward and backward, in plain NumPy: a non-spiking baseline.

Convention: the *original* GRU of Cho et al. 2014 (eqs. 5-8 there; also Keras' ``reset_after=False``):
the reset gate multiplies the previous state **before** the recurrent matrix product, and there is
one bias per gate. Row-vector convention, gates concatenated in the order **[r, z, n]** (as in
PyTorch)::

    r_t = sigmoid(x_t W_r + h_{t-1} H_r + b_r)                       (gru-step)
    z_t = sigmoid(x_t W_z + h_{t-1} H_z + b_z)
    n_t = tanh(x_t W_n + (r_t * h_{t-1}) H_n + b_n)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

(:eq:`gru-step`) with h_0 = 0, W = [W_r | W_z | W_n] (n_in, 3n), H = [H_r | H_z | H_n]
(n, 3n), b = [b_r | b_z | b_n] (3n,). Parameters: 3 (n_in*n + n*n + n).

PyTorch/cuDNN use the "reset-after" variant instead, n_t = tanh(x_t W_n + b_in + r_t * (h_{t-1} H_n
+ b_hn)), with two bias vectors (3 (n_in*n + n*n + 2n) parameters); the docs compare the two.

The Numba path in ``snu_np.kernels.recurrent`` computes the same numbers; a test proves it.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_dy_shape, check_sequence
from ..surrogates import sigmoid


def gru_step_forward(x_t, h_prev, W, H, b):
    """One time step of a GRU. Docs: :eq:`gru-step`.

    Parameters
    ----------
    x_t : (B, n_in) input at step t.
    h_prev : (B, n) hidden state at step t-1 (zeros at t = 1).
    W : (n_in, 3n) input weights.  H : (n, 3n) recurrent weights.  b : (3n,) bias, gates [r, z, n].

    Returns
    -------
    h : (B, n) new hidden state (the output).
    cache : tuple for :func:`gru_step_backward`; ``cache[2]`` holds the gate activations
    (B, 3n) = [r, z, n].
    """
    n = h_prev.shape[1]
    ax = x_t @ W + b                                      # input part of all three pre-activations
    a_rz = ax[:, :2 * n] + h_prev @ H[:, :2 * n]          # (gru-step)
    r = sigmoid(a_rz[:, :n])                              # (gru-step): reset gate
    z = sigmoid(a_rz[:, n:])                              # (gru-step): update gate
    rh = r * h_prev                                       # (gru-step): reset before the product
    cand = np.tanh(ax[:, 2 * n:] + rh @ H[:, 2 * n:])     # (gru-step): candidate state n_t
    h = (1.0 - z) * cand + z * h_prev                     # (gru-step)
    gates = np.concatenate([r, z, cand], axis=1)
    cache = (x_t, h_prev, gates, W, H)
    return h, cache


def gru_step_backward(dh, cache):
    """Backward through one step.

    Docs: :eq:`gru-bptt` (what crosses time), then term by term :eq:`gru-bptt-out`,
    :eq:`gru-bptt-cand`, :eq:`gru-bptt-gates` and :eq:`gru-bptt-params`.

    Parameters
    ----------
    dh : (B, n) dL/dh_t: from the loss at step t plus what step t+1 sends back.
    cache : from :func:`gru_step_forward`.

    Returns
    -------
    dict with dx (B, n_in), dh_prev (B, n) for step t-1, and this step's parameter gradients
    dW (n_in, 3n), dH (n, 3n), db (3n,).
    """
    x_t, h_prev, gates, W, H = cache
    n = h_prev.shape[1]
    r, z, cand = gates[:, :n], gates[:, n:2 * n], gates[:, 2 * n:]
    # h = (1 - z) * cand + z * h_prev
    dz = dh * (h_prev - cand)                             # (gru-bptt-out)
    dcand = dh * (1.0 - z)                                # (gru-bptt-out)
    dh_prev = dh * z                                      # (gru-bptt-out): the direct path to t-1
    # cand = tanh(a_n),  a_n = x W_n + (r * h_prev) H_n + b_n
    da_n = dcand * (1.0 - cand * cand)                    # (gru-bptt-cand)
    drh = da_n @ H[:, 2 * n:].T                           # (gru-bptt-cand): dL/d(r * h_prev)
    dH_n = (r * h_prev).T @ da_n                          # (gru-bptt-params)
    dr = drh * h_prev                                     # (gru-bptt-cand)
    dh_prev = dh_prev + drh * r                           # (gru-bptt-cand): path through the reset
    # r = sigmoid(a_r), z = sigmoid(a_z),  a_rz = x W_rz + h_prev H_rz + b_rz
    da_rz = np.concatenate([dr * r * (1.0 - r),           # (gru-bptt-gates)
                            dz * z * (1.0 - z)], axis=1)
    dh_prev = dh_prev + da_rz @ H[:, :2 * n].T            # (gru-bptt-gates): path through r and z
    dH_rz = h_prev.T @ da_rz                              # (gru-bptt-params)
    da = np.concatenate([da_rz, da_n], axis=1)
    dx = da @ W.T                                         # (gru-bptt-params)
    dW = x_t.T @ da                                       # (gru-bptt-params)
    dH = np.concatenate([dH_rz, dH_n], axis=1)
    db = da.sum(axis=0)                                   # (gru-bptt-params)
    return {"dx": dx, "dh_prev": dh_prev, "dW": dW, "dH": dH, "db": db}


def gru_forward(x, W, H, b):
    """Run a GRU over a sequence. Docs: :eq:`gru-step`.

    Parameters
    ----------
    x : (T, B, n_in) input sequence.  W, H, b : as in :func:`gru_step_forward`.

    Returns
    -------
    h : (T, B, n) hidden states (the outputs).
    cache : dict for :func:`gru_backward` (with "gates" (T, B, 3n) = [r, z, n]).
    """
    check_sequence(x, "x")
    T, B, _ = x.shape
    n = H.shape[0]
    h = np.zeros((T, B, n), dtype=x.dtype)
    gates = np.zeros((T, B, 3 * n), dtype=x.dtype)
    h_prev = np.zeros((B, n), dtype=x.dtype)             # h_0 = 0
    for t in range(T):
        h_prev, step_cache = gru_step_forward(x[t], h_prev, W, H, b)
        h[t], gates[t] = h_prev, step_cache[2]
    cache = {"x": x, "h": h, "gates": gates, "W": W, "H": H, "b": b}
    return h, cache


def gru_backward(dh, cache, need_dx=True):
    """Backpropagation through time for a GRU: one reversed loop. Docs: :eq:`gru-bptt`.

    Parameters
    ----------
    dh : (T, B, n) dL/dh_t from the layers above (or the loss), for every step.
    cache : from :func:`gru_forward`.
    need_dx : bool, False returns dx = None (the fast twin then skips its matrix product).

    Returns
    -------
    dx : (T, B, n_in) gradient for the layer below, or None.
    grads : dict with "W", "H", "b", summed over time and batch.
    """
    x, h, gates, W, H, b = (cache[k] for k in ("x", "h", "gates", "W", "H", "b"))
    check_dy_shape(dh, h.shape, "dh")
    T, B, _ = x.shape
    zeros = np.zeros_like(h[0])
    dx = np.zeros_like(x)
    grads = {"W": np.zeros_like(W), "H": np.zeros_like(H), "b": np.zeros_like(b)}
    dh_next = zeros                    # dL/dh_t arriving from step t+1 (none after the last step)
    for t in reversed(range(T)):
        h_prev = h[t - 1] if t > 0 else zeros
        d = gru_step_backward(dh[t] + dh_next, (x[t], h_prev, gates[t], W, H))
        dx[t] = d["dx"]
        grads["W"] += d["dW"]          # weights are shared across time: their gradients add up
        grads["H"] += d["dH"]
        grads["b"] += d["db"]
        dh_next = d["dh_prev"]
    return (dx if need_dx else None), grads
