"""Numba twin of ``snu_np.functional.snu``: fused SNU forward and BPTT loops.

Strategy (docs: performance.md): the input currents ``a_t = x_t W`` of all T steps are one BLAS matrix
product done by the caller (``x.reshape(T*B, n_in) @ W``); the kernels below then run the element-wise
recurrence :eq:`snu-state`/:eq:`snu-output` forward and :eq:`bptt-loop` backward without temporaries.
The gradients ``dW = x^T dz`` and ``dx = dz W^T`` are again one matrix product each, done by the caller.
Recurrent layers (H) also multiply ``y_{t-1} H`` inside the loop with ``np.dot``.
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import jit

# surrogate codes, kept equal to snu_np.surrogates.<Class>.code
TANH, SIGMOID, BOXCAR, FAST_SIGMOID, ARCTAN = 0, 1, 2, 3, 4
# g codes, kept equal to snu_np.functional.activations.G_CODES
RELU, IDENTITY, LEAKY = 0, 1, 2
LEAKY_SLOPE = 0.1


@jit
def _sigmoid(u):
    if u >= 0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


@jit
def _g(z, g_code):
    """s = g(z) (:eq:`snu-g`)."""
    if g_code == RELU:
        return z if z > 0 else 0.0
    if g_code == LEAKY:
        return z if z > 0 else LEAKY_SLOPE * z
    return z


@jit
def _g_grad(s, g_code):
    """g'(z) through s = g(z), as ``activations.g_grad_from_output``."""
    if g_code == IDENTITY:
        return 1.0
    if s > 0:
        return 1.0
    return LEAKY_SLOPE if g_code == LEAKY else 0.0


@jit
def _pseudo_grad(u, code, scale):
    """The pseudo-derivative h'(u) (:eq:`surr-tanh` ... :eq:`surr-arctan`), as ``surrogates.<Class>.grad``."""
    if code == TANH:
        t = math.tanh(scale * u)
        return 1.0 - t * t
    if code == SIGMOID:
        p = _sigmoid(scale * u)
        return scale * p * (1.0 - p)
    if code == BOXCAR:
        return 1.0 if abs(u) < 0.5 * scale else 0.0
    if code == FAST_SIGMOID:
        d = 1.0 + scale * abs(u)
        return 1.0 / (d * d)
    a = scale * u
    return 1.0 / (1.0 + a * a)


@jit
def snu_forward_kernel(a, b, decay, H, recurrent, soft, g_code, s, y):
    """Forward over T steps, in place. Twin of ``functional.snu.snu_forward``.

    Implements :eq:`snu-state` and :eq:`snu-output` / :eq:`ssnu-output`.

    a : (T, B, n) input currents x_t W for all steps.  b : (n,).  decay : float.
    H : (n, n) recurrent weights (ignored unless ``recurrent``).  soft : bool.  g_code : int.
    s, y : (T, B, n) outputs, overwritten.
    """
    T, B, n = a.shape
    rec = np.zeros((B, n), dtype=a.dtype)
    for t in range(T):
        if recurrent and t > 0:
            rec = np.dot(y[t - 1], H)
        for i in range(B):
            for j in range(n):
                z = a[t, i, j]
                if t > 0:
                    z += decay * s[t - 1, i, j] * (1.0 - y[t - 1, i, j])
                    if recurrent:
                        z += rec[i, j]
                st = _g(z, g_code)
                u = st + b[j]
                s[t, i, j] = st
                if soft:
                    y[t, i, j] = _sigmoid(u)
                else:
                    y[t, i, j] = 1.0 if u > 0 else 0.0


@jit
def snu_backward_kernel(dy, s, y, b, decay, HT, recurrent, soft, g_code, surr_code, scale,
                        detach_reset, dz):
    """BPTT over T steps in one reversed loop. Twin of ``functional.snu.snu_backward``.

    Implements :eq:`bptt-du` ... :eq:`bptt-ddecay` and :eq:`bptt-loop`.

    dy : (T, B, n) gradient from above.  s, y : (T, B, n) from the forward pass.
    HT : (n, n) transposed recurrent weights (contiguous).  dz : (T, B, n) output: dL/dz_t,
    from which the caller forms dW, dx and dH with matrix products.
    Returns (db (n,), ddecay float).
    """
    T, B, n = s.shape
    db = np.zeros(n)
    ddecay = 0.0
    ds_next = np.zeros((B, n))          # dL/ds_t from step t+1
    dy_next = np.zeros((B, n))          # dL/dy_t from step t+1
    for t in range(T - 1, -1, -1):
        for i in range(B):
            for j in range(n):
                st = s[t, i, j]
                yt = y[t, i, j]
                if soft:
                    dh = yt * (1.0 - yt)
                else:
                    dh = _pseudo_grad(st + b[j], surr_code, scale)
                du = (dy[t, i, j] + dy_next[i, j]) * dh
                db[j] += du
                dzt = (ds_next[i, j] + du) * _g_grad(st, g_code)
                dz[t, i, j] = dzt
                if t > 0:
                    sp = s[t - 1, i, j]
                    gate = 1.0 - y[t - 1, i, j]
                    ds_next[i, j] = dzt * decay * gate
                    dy_next[i, j] = 0.0 if detach_reset else -dzt * decay * sp
                    ddecay += dzt * sp * gate
        if recurrent and t > 0:
            dy_next += np.dot(dz[t], HT)
    return db, ddecay
