"""The fast path of the recurrent baselines: twins of ``snu_np.functional.{rnn,lstm,gru}``.

What pays (docs: performance.md and derivations/baselines.md):

1. The input projection of all T steps is **one** BLAS product, ``a = x.reshape(T*B, n_in) @ W + b``,
   and so are the weight gradients ``dW = x^T da``, ``dx = da W^T``, ``dH = h_{t-1}^T da_t`` and
   ``db = sum da`` over all T*B rows (the reference does T small products each).
2. Per step, the recurrent product ``h_{t-1} H`` stays a NumPy (BLAS) call in a Python loop, and the
   gate element-wise math is **one fused jitted loop** (no temporaries, no boolean-mask sigmoid).

What does not pay, and is avoided: calling ``np.dot`` *inside* the jitted loop (Numba's BLAS is
SciPy's OpenBLAS, a second thread pool that fights NumPy's on a small machine), and ``math.tanh``
(a scalar libm call; :func:`snu_np.kernels._math.tanh_expm1` uses expm1).
The tanh RNN has no gate math worth fusing, so its fast path is (1) alone, in plain NumPy.

Every ``*_forward_fast`` returns the same ``cache`` dict as its reference ``*_forward``, and every
``*_backward_fast`` takes the reference's arguments (``need_dx=False`` returns dx = None), so a
forward pass on one path can be followed by a backward pass on the other.
Equations: :eq:`rnn-step`/:eq:`rnn-bptt`, :eq:`lstm-step`/:eq:`lstm-bptt`, :eq:`gru-step`/:eq:`gru-bptt`.
With ``NUMBA_DISABLE_JIT=1`` the kernels run as plain Python: slow but identical.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_dy_shape, check_sequence
from ._jit import jit
from ._math import sigmoid                 # called with one = 1.0: the gates' sum and division in float64
from ._math import tanh_expm1 as _tanh


def _project(x, W, b):
    """a = x W + b for all T steps at once: one (T*B, n_in) x (n_in, k n) product."""
    T, B, n_in = x.shape
    a = x.reshape(T * B, n_in) @ W
    a += b
    return a.reshape(T, B, W.shape[1])


def _param_grads(x, da, W, hp, dap, need_dx=True):
    """dx = da W^T (None unless ``need_dx``), dW = x^T da, db = sum da over all T*B rows (one
    product each), and dH = hp^T dap where hp (T-1, B, m) is what multiplied H at steps 1..T-1 and
    dap the matching da."""
    T, B, n_in = x.shape
    kn = da.shape[2]
    da2 = da.reshape(T * B, kn)
    dx = (da2 @ W.T).reshape(T, B, n_in) if need_dx else None
    dW = x.reshape(T * B, n_in).T @ da2
    db = da2.sum(axis=0)
    m = hp.shape[2]
    dH = hp.reshape((T - 1) * B, m).T @ dap.reshape((T - 1) * B, dap.shape[2])
    return dx, dW, dH, db


# --------------------------------------------------------------------------------------------------
# tanh RNN: only the batched products (np.tanh is already a fast vectorised loop)
# --------------------------------------------------------------------------------------------------
def rnn_forward_fast(x, W, H, b):
    """Twin of ``functional.rnn.rnn_forward`` (:eq:`rnn-step`), x (T, B, n_in): same outputs and cache."""
    check_sequence(x, "x")
    T, B, _ = x.shape
    a = _project(x, W, b)
    h = np.empty_like(a)
    h[0] = np.tanh(a[0])                                   # h_0 = 0: no recurrent term at t = 1
    for t in range(1, T):
        np.tanh(a[t] + h[t - 1] @ H, out=h[t])
    return h, {"x": x, "h": h, "W": W, "H": H, "b": b}


def rnn_backward_fast(dy, cache, need_dx=True):
    """Twin of ``functional.rnn.rnn_backward`` (:eq:`rnn-bptt`): returns (dx, grads)."""
    x, h, W, H = (cache[k] for k in ("x", "h", "W", "H"))
    check_dy_shape(dy, h.shape)
    T = x.shape[0]
    HT = np.ascontiguousarray(H.T)
    da = np.empty_like(h)
    dh_next = np.zeros_like(h[0])
    for t in range(T - 1, -1, -1):
        da[t] = (dy[t] + dh_next) * (1.0 - h[t] * h[t])
        if t > 0:
            dh_next = da[t] @ HT
    dx, dW, dH, db = _param_grads(x, da, W, h[:-1], da[1:], need_dx)
    return dx, {"W": dW, "H": dH, "b": db}


# --------------------------------------------------------------------------------------------------
# LSTM, gates [i, f, g, o]
# --------------------------------------------------------------------------------------------------
@jit
def lstm_step_kernel(at, c_prev, gates_t, c_t, h_t):
    """One step's element-wise math, in place (:eq:`lstm-step`).

    at : (B, 4n) the full pre-activation a_t.  c_prev : (B, n).
    gates_t : (B, 4n) out, [i, f, g, o].  c_t, h_t : (B, n) out.
    """
    B, n = c_t.shape
    for r in range(B):
        for j in range(n):
            ig = sigmoid(at[r, j], 1.0)
            fg = sigmoid(at[r, n + j], 1.0)
            gg = _tanh(at[r, 2 * n + j])
            og = sigmoid(at[r, 3 * n + j], 1.0)
            ct = fg * c_prev[r, j] + ig * gg                # (lstm-step)
            gates_t[r, j] = ig
            gates_t[r, n + j] = fg
            gates_t[r, 2 * n + j] = gg
            gates_t[r, 3 * n + j] = og
            c_t[r, j] = ct
            h_t[r, j] = og * _tanh(ct)                      # (lstm-step)


@jit
def lstm_step_backward_kernel(dy_t, dh_next, dc_next, gates_t, c_t, c_prev, da_t):
    """One step's element-wise BPTT, in place (:eq:`lstm-bptt-c`, :eq:`lstm-bptt-gates`,
    :eq:`lstm-bptt-preact`).

    dy_t, dh_next : (B, n) the two parts of dL/dh_t.  dc_next : (B, n) dL/dc_t from step t+1,
    **overwritten** with dL/dc_{t-1}.  gates_t (B, 4n), c_t, c_prev (B, n) from the forward pass.
    da_t : (B, 4n) out, dL/da_t.
    """
    B, n = c_t.shape
    for r in range(B):
        for j in range(n):
            ig = gates_t[r, j]
            fg = gates_t[r, n + j]
            gg = gates_t[r, 2 * n + j]
            og = gates_t[r, 3 * n + j]
            tc = _tanh(c_t[r, j])
            dh = dy_t[r, j] + dh_next[r, j]
            dc = dc_next[r, j] + dh * og * (1.0 - tc * tc)             # (lstm-bptt-c)
            da_t[r, j] = dc * gg * ig * (1.0 - ig)                      # (lstm-bptt-preact)
            da_t[r, n + j] = dc * c_prev[r, j] * fg * (1.0 - fg)
            da_t[r, 2 * n + j] = dc * ig * (1.0 - gg * gg)
            da_t[r, 3 * n + j] = dh * tc * og * (1.0 - og)
            dc_next[r, j] = dc * fg                                     # (lstm-bptt-c)


def lstm_forward_fast(x, W, H, b):
    """Twin of ``functional.lstm.lstm_forward`` (:eq:`lstm-step`), x (T, B, n_in): same (h, c, cache)."""
    check_sequence(x, "x")
    T, B, _ = x.shape
    n = H.shape[0]
    a = _project(x, W, b)
    gates = np.empty_like(a)
    h = np.empty((T, B, n), dtype=x.dtype)
    c = np.empty_like(h)
    zeros = np.zeros((B, n), dtype=x.dtype)
    for t in range(T):
        at = a[t] + h[t - 1] @ H if t > 0 else a[t]        # (lstm-step)
        lstm_step_kernel(at, c[t - 1] if t > 0 else zeros, gates[t], c[t], h[t])
    return h, c, {"x": x, "h": h, "c": c, "gates": gates, "W": W, "H": H, "b": b}


def lstm_backward_fast(dy, cache, need_dx=True):
    """Twin of ``functional.lstm.lstm_backward`` (:eq:`lstm-bptt`): returns (dx, grads)."""
    x, h, c, gates, W, H = (cache[k] for k in ("x", "h", "c", "gates", "W", "H"))
    check_dy_shape(dy, h.shape)
    T, B, _ = x.shape
    HT = np.ascontiguousarray(H.T)
    zeros = np.zeros_like(h[0])
    da = np.empty_like(gates)
    dh_next = zeros
    dc_next = np.zeros_like(h[0])
    for t in range(T - 1, -1, -1):
        lstm_step_backward_kernel(dy[t], dh_next, dc_next, gates[t], c[t],
                                  c[t - 1] if t > 0 else zeros, da[t])
        if t > 0:
            dh_next = da[t] @ HT                                        # (lstm-bptt)
    dx, dW, dH, db = _param_grads(x, da, W, h[:-1], da[1:], need_dx)    # (lstm-bptt-params)
    return dx, {"W": dW, "H": dH, "b": db}


# --------------------------------------------------------------------------------------------------
# GRU (Cho et al. 2014: reset before the product), gates [r, z, n]
# --------------------------------------------------------------------------------------------------
@jit
def gru_gates_kernel(a_rz, h_prev, gates_t, rh_t):
    """r_t, z_t and r_t * h_{t-1} (:eq:`gru-step`), in place.

    a_rz : (B, 2n) full pre-activations of r and z.  h_prev : (B, n).
    gates_t : (B, 3n) out (first 2n columns).  rh_t : (B, n) out.
    """
    B, n = h_prev.shape
    for i in range(B):
        for j in range(n):
            rg = sigmoid(a_rz[i, j], 1.0)
            gates_t[i, j] = rg
            gates_t[i, n + j] = sigmoid(a_rz[i, n + j], 1.0)
            rh_t[i, j] = rg * h_prev[i, j]                  # (gru-step)


@jit
def gru_out_kernel(a_n, h_prev, gates_t, h_t):
    """n_t = tanh(a_n) and h_t (:eq:`gru-step`), in place."""
    B, n = h_prev.shape
    for i in range(B):
        for j in range(n):
            cand = _tanh(a_n[i, j])
            zg = gates_t[i, n + j]
            gates_t[i, 2 * n + j] = cand
            h_t[i, j] = (1.0 - zg) * cand + zg * h_prev[i, j]


@jit
def gru_backward_zn_kernel(dh_t, h_prev, gates_t, da_t, dh_prev):
    """da_z, da_n and the direct part dh * z of dL/dh_{t-1} (:eq:`gru-bptt-out`, :eq:`gru-bptt-cand`).

    dh_t : (B, n) total dL/dh_t.  da_t : (B, 3n) out (columns n..3n).  dh_prev : (B, n) out.
    """
    B, n = h_prev.shape
    for i in range(B):
        for j in range(n):
            zg = gates_t[i, n + j]
            cand = gates_t[i, 2 * n + j]
            dh = dh_t[i, j]
            da_t[i, n + j] = dh * (h_prev[i, j] - cand) * zg * (1.0 - zg)
            da_t[i, 2 * n + j] = dh * (1.0 - zg) * (1.0 - cand * cand)
            dh_prev[i, j] = dh * zg


@jit
def gru_backward_r_kernel(drh, h_prev, gates_t, da_t, dh_prev):
    """da_r and the reset-gate part drh * r of dL/dh_{t-1} (:eq:`gru-bptt-cand`, :eq:`gru-bptt-gates`).

    drh : (B, n) dL/d(r_t * h_{t-1}).  da_t : (B, 3n) out (columns 0..n).  dh_prev : (B, n) added to.
    """
    B, n = h_prev.shape
    for i in range(B):
        for j in range(n):
            rg = gates_t[i, j]
            da_t[i, j] = drh[i, j] * h_prev[i, j] * rg * (1.0 - rg)
            dh_prev[i, j] += drh[i, j] * rg


def gru_forward_fast(x, W, H, b):
    """Twin of ``functional.gru.gru_forward`` (:eq:`gru-step`), x (T, B, n_in): same (h, cache)."""
    check_sequence(x, "x")
    T, B, _ = x.shape
    n = H.shape[0]
    H_rz, H_n = np.ascontiguousarray(H[:, :2 * n]), np.ascontiguousarray(H[:, 2 * n:])
    a = _project(x, W, b)
    gates = np.empty_like(a)
    h = np.empty((T, B, n), dtype=x.dtype)
    rh = np.empty_like(h)
    zeros = np.zeros((B, n), dtype=x.dtype)
    for t in range(T):
        h_prev = h[t - 1] if t > 0 else zeros
        a_rz = a[t, :, :2 * n] + h_prev @ H_rz if t > 0 else a[t, :, :2 * n]
        gru_gates_kernel(a_rz, h_prev, gates[t], rh[t])
        a_n = a[t, :, 2 * n:] + rh[t] @ H_n if t > 0 else a[t, :, 2 * n:]
        gru_out_kernel(a_n, h_prev, gates[t], h[t])
    return h, {"x": x, "h": h, "gates": gates, "W": W, "H": H, "b": b}


def gru_backward_fast(dy, cache, need_dx=True):
    """Twin of ``functional.gru.gru_backward`` (:eq:`gru-bptt`): returns (dx, grads)."""
    x, h, gates, W, H = (cache[k] for k in ("x", "h", "gates", "W", "H"))
    check_dy_shape(dy, h.shape)
    T, B, _ = x.shape
    n = H.shape[0]
    H_rzT, H_nT = np.ascontiguousarray(H[:, :2 * n].T), np.ascontiguousarray(H[:, 2 * n:].T)
    zeros = np.zeros_like(h[0])
    da = np.empty_like(gates)
    dh_prev = np.empty_like(h[0])
    dh_next = zeros
    for t in range(T - 1, -1, -1):
        h_prev = h[t - 1] if t > 0 else zeros
        gru_backward_zn_kernel(dy[t] + dh_next, h_prev, gates[t], da[t], dh_prev)
        if t == 0:
            da[0, :, :n] = 0.0               # da_r = drh * h_0 * r'(.) = 0 since h_0 = 0
            break
        drh = da[t, :, 2 * n:] @ H_nT                                   # (gru-bptt-cand)
        gru_backward_r_kernel(drh, h_prev, gates[t], da[t], dh_prev)
        dh_next = dh_prev + da[t, :, :2 * n] @ H_rzT                    # (gru-bptt-gates)
    rh = gates[1:, :, :n] * h[:-1]                                      # r_t * h_{t-1}, t >= 1
    dx, dW, dH_rz, db = _param_grads(x, da, W, h[:-1], da[1:, :, :2 * n], need_dx)
    dH_n = rh.reshape(-1, n).T @ da[1:, :, 2 * n:].reshape(-1, n)       # (gru-bptt-params)
    return dx, {"W": dW, "H": np.concatenate([dH_rz, dH_n], axis=1), "b": db}
