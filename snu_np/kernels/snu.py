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
# value of ``soft`` that leaves the sigmoid of the sSNU output to the caller (see snu_forward_step)
PRE_SIGMOID = 2
LEAKY_SLOPE = 0.1


@jit
def _g(z, g_code):
    """s = g(z) (:eq:`snu-g`)."""
    if g_code == RELU:
        return z if z > 0 else z - z
    if g_code == LEAKY:
        return z if z > 0 else z * LEAKY_SLOPE
    return z


@jit
def snu_forward_step(t, a, b, decay, soft, g_code, s, y):
    """Step t of the forward pass, in place: s[t], y[t] from a[t] and step t-1.

    Implements :eq:`snu-state` and :eq:`snu-output` / :eq:`ssnu-output`. ``a[t]`` already holds the
    input current x_t W (plus y_{t-1} H for a recurrent layer, added by the caller with NumPy's BLAS,
    which is faster than ``np.dot`` inside a jitted loop here). ``soft``: False (step), True
    (sigmoid), or ``PRE_SIGMOID``: write u = s_t + b into y[t] and let the caller apply
    :func:`sigmoid_inplace` (NumPy's SIMD exp is faster than this loop's scalar one on wide layers).
    """
    T, B, n = a.shape
    one = a.dtype.type(1.0)
    zero = a.dtype.type(0.0)
    for i in range(B):
        for j in range(n):
            z = a[t, i, j]
            if t > 0:
                z += decay * s[t - 1, i, j] * (one - y[t - 1, i, j])
            st = _g(z, g_code)
            u = st + b[j]
            s[t, i, j] = st
            if soft == PRE_SIGMOID:
                y[t, i, j] = u
            elif soft:
                if u >= zero:
                    y[t, i, j] = one / (one + math.exp(-u))
                else:
                    e = math.exp(u)
                    y[t, i, j] = e / (one + e)
            else:
                y[t, i, j] = one if u > zero else zero


@jit
def snu_forward_kernel(a, b, decay, soft, g_code, s, y):
    """Forward over T steps of a feed-forward layer, in place. Twin of ``functional.snu.snu_forward``.

    a : (T, B, n) input currents x_t W for all steps.  b : (n,).  decay : scalar of a's dtype.
    soft : bool.  g_code : int.  s, y : (T, B, n) outputs, overwritten, in a's dtype.
    """
    for t in range(a.shape[0]):
        snu_forward_step(t, a, b, decay, soft, g_code, s, y)


def sigmoid_inplace(u):
    """u <- 1 / (1 + exp(-u)) (:eq:`ssnu-output`), in place with NumPy's SIMD ufuncs. exp(-u)
    overflows to inf for u below about -88 (float32), which gives the right limit 0; the caller
    silences that warning with ``np.errstate(over="ignore")``."""
    np.negative(u, out=u)
    np.exp(u, out=u)
    u += u.dtype.type(1.0)
    return np.reciprocal(u, out=u)


_BLOCK = 1 << 17                                  # elements per block: 512 KB in float32

# tanh(x) ~ x P(x^2) / Q(x^2) for |x| <= TANH_CLIP, +-1 beyond (benchmarks/fit_tanh.py fits them:
# largest relative error 2.3e-8 in float64, below half a unit in the last place of float32)
TANH_P = (0.9999999773876225, 0.13374519515528374, 0.0034878622488154804, 2.0481969279659718e-05,
          1.3178496016674757e-08)
TANH_Q = (1.0, 0.46707833354621703, 0.02584758714940284, 0.00032730013385760294, 7.704467798533288e-07)
TANH_CLIP = 9.1
_P0, _P1, _P2, _P3, _P4 = TANH_P
_Q0, _Q1, _Q2, _Q3, _Q4 = TANH_Q


@jit
def tanh_rational(x):
    """tanh(x) for a float64 x, as a ratio of two polynomials: only multiplications, additions, one
    division and comparisons, which LLVM turns into SIMD instructions inside a loop (a call of
    ``math.tanh`` keeps the loop scalar). Beyond +-TANH_CLIP it is +-1, as float32's tanh; NaN stays NaN."""
    c = x                                        # clipped so that z stays finite (NaN passes)
    if c > TANH_CLIP:
        c = TANH_CLIP
    elif c < -TANH_CLIP:
        c = -TANH_CLIP
    z = c * c
    r = c * ((((_P4 * z + _P3) * z + _P2) * z + _P1) * z + _P0) / ((((_Q4 * z + _Q3) * z + _Q2) * z + _Q1) * z + _Q0)
    if x > TANH_CLIP:
        r = 1.0
    elif x < -TANH_CLIP:
        r = -1.0
    return r


@jit
def tanh_pseudo_grad_kernel(s, b, a_in, a_out, out):
    """out = a_out (1 - tanh^2(a_in (s + b))) for float32 s, out (T, B, n) and b (n,), in float64
    inside the loop: :eq:`surr-tanh` (a_in = alpha, a_out = 1) and :eq:`surr-sigmoid` written with
    tanh (a_in = alpha / 2, a_out = alpha / 4), as :func:`pseudo_grad_block` does with NumPy.

    Measured on the jittered-MNIST layer (T=20, B=64, n=256): 0.49 ms against 1.03 ms for NumPy's
    float32 tanh, whose error it matches or beats (largest absolute error of 1 - tanh^2: 5e-8
    against 1.4e-7; tests/test_backends.py)."""
    T, B, n = s.shape
    for t in range(T):
        for i in range(B):
            for j in range(n):
                th = tanh_rational(a_in * (np.float64(s[t, i, j]) + np.float64(b[j])))
                out[t, i, j] = a_out * (1.0 - th * th)


def tanh_form(surr_code, alpha):
    """(a_in, a_out) with h'(u) = a_out (1 - tanh^2(a_in u)) for the tanh and sigmoid surrogates:
    :eq:`surr-tanh` is (alpha, 1); :eq:`surr-sigmoid`, alpha sigma'(alpha u), is (alpha / 2, alpha / 4)."""
    return (alpha, 1.0) if surr_code == TANH else (0.5 * alpha, 0.25 * alpha)


def pseudo_grad(s, y, b, soft, surr_code, scale, out):
    """out[t, i, j] = h'(s + b) for all steps (see :func:`pseudo_grad_block`), a few steps at a
    time, so that the block's several passes run in the CPU cache (measured 1.4x faster than one
    pass over all of (T, B, n) when that does not fit in L2). float32 with the tanh or sigmoid
    pseudo-derivative goes through :func:`tanh_pseudo_grad_kernel` instead, in one pass."""
    if (not soft and s.dtype == np.float32 and out.dtype == np.float32 and b.dtype == np.float32
            and surr_code in (TANH, SIGMOID)):
        a_in, a_out = tanh_form(surr_code, float(scale))
        tanh_pseudo_grad_kernel(s, b, a_in, a_out, out)
        return out
    T = s.shape[0]
    step = max(1, _BLOCK // max(1, s[0].size))
    with np.errstate(over="ignore"):            # e.g. alpha * u overflowing to inf: tanh(inf) = 1, h' = 0
        for t0 in range(0, T, step):
            t1 = min(T, t0 + step)
            pseudo_grad_block(s[t0:t1], y[t0:t1], b, soft, surr_code, scale, out[t0:t1])
    return out


def pseudo_grad_block(s, y, b, soft, surr_code, scale, out):
    """out[t, i, j] = h'(s + b): the sigmoid's derivative y (1 - y) for the sSNU, else the
    pseudo-derivative (:eq:`bptt-du`; :eq:`surr-tanh` ... :eq:`surr-arctan`), the same numbers as
    ``surrogates.<Class>.grad``.

    NumPy ufuncs in place in ``out``, not a Numba loop: a loop calling ``math.tanh`` stays scalar
    (measured: 2.0 ms against 6.5 ms for T=20, B=128, n=256 in float32). :func:`pseudo_grad` sends
    float32 tanh and sigmoid to :func:`tanh_pseudo_grad_kernel` instead, whose tanh vectorises; this
    path serves float64 and the other surrogates. tanh and sigmoid go through one tanh each
    (:func:`tanh_form`), as the reference does. (1 / cosh^2, the same numbers, was slower: NumPy's
    float32 reciprocal costs twice a square, measured 26 against 11 us per 131,072 values.)
    """
    one = s.dtype.type(1.0)
    alpha = s.dtype.type(scale)
    if soft:
        np.subtract(one, y, out=out)
        out *= y
        return out
    np.add(s, b, out=out)                       # u = s + b
    if surr_code == BOXCAR:
        np.abs(out, out=out)
        np.less(out, s.dtype.type(0.5) * alpha, out=out, casting="unsafe")
        return out
    if surr_code == TANH or surr_code == SIGMOID:
        a_in, a_out = tanh_form(surr_code, alpha)
        if a_in != one:
            out *= s.dtype.type(a_in)
        np.tanh(out, out=out)
        np.square(out, out=out)
        np.subtract(one, out, out=out)           # 1 - tanh^2
        if a_out != one:
            out *= s.dtype.type(a_out)
        return out
    if surr_code == ARCTAN:
        out *= alpha
        np.square(out, out=out)
        out += one
        return np.reciprocal(out, out=out)
    np.abs(out, out=out)                         # FAST_SIGMOID: 1 / (1 + |alpha u|)^2
    out *= alpha
    out += one
    np.square(out, out=out)
    return np.reciprocal(out, out=out)


@jit
def snu_backward_step(t, dy, dh, s, y, decay, g_code, detach_reset, dz, ds_next, dy_next, db, ddecay):
    """Step t of BPTT, in place. Implements :eq:`bptt-du` ... :eq:`bptt-ddecay`.

    Reads dy[t], dh[t] = h'(s_t + b) and the carries ds_next, dy_next that step t+1 sent back; writes
    dz[t] = dL/dz_t, adds to db (n,) and to ddecay (n,) (dL/ddecay per unit: summed by the caller),
    overwrites the carries with what step t sends back to step t-1 (the recurrent part of dy_next,
    dz_t H^T, is the caller's). ``dz`` may be the same array as ``dh`` (each entry of dh is read once,
    just before dz overwrites it), but the loop is then not vectorised: 2.3x slower.

    One pass over j per row, with no scalar accumulator: every sum goes into a per-unit array, so
    LLVM can vectorise the loop (a scalar float sum would pin it to one lane, as it may not reorder
    floating-point additions; measured 1.7x slower).
    """
    T, B, n = s.shape
    one = s.dtype.type(1.0)
    zero = s.dtype.type(0.0)
    # g'(z) where s <= 0: 0 for ReLU, the slope for leaky ReLU, 1 for the identity
    low = zero if g_code == RELU else (s.dtype.type(LEAKY_SLOPE) if g_code == LEAKY else one)
    keep = zero if detach_reset else one           # detach_reset drops (bptt-reset)
    for i in range(B):
        for j in range(n):
            du = (dy[t, i, j] + dy_next[i, j]) * dh[t, i, j]           # (bptt-du)
            db[j] += du                                               # (bptt-db)
            dzt = (ds_next[i, j] + du) * (one if s[t, i, j] > zero else low)   # (bptt-ds), (bptt-dz)
            dz[t, i, j] = dzt
            if t > 0:
                sp = s[t - 1, i, j]
                gate = one - y[t - 1, i, j]
                ds_next[i, j] = dzt * decay * gate                     # (bptt-carry-s)
                dy_next[i, j] = -keep * dzt * decay * sp               # (bptt-reset)
                ddecay[j] += dzt * sp * gate                           # (bptt-ddecay)


@jit
def snu_backward_kernel(dy, dh, s, y, decay, g_code, detach_reset, dz):
    """BPTT over T steps of a feed-forward layer in one reversed loop (:eq:`bptt-loop`).
    Twin of ``functional.snu.snu_backward``.

    dy : (T, B, n) gradient from above.  dh : (T, B, n) h'(s + b) from :func:`pseudo_grad`.
    s, y : (T, B, n) from the forward pass.  dz : (T, B, n) output, dL/dz_t, from which the caller
    forms dW and dx with one matrix product each (it may be ``dh`` itself, but that is slower).
    Returns (db (n,) float64, ddecay float).
    """
    T, B, n = s.shape
    db = np.zeros(n)
    ddecay = np.zeros(n)
    ds_next = np.zeros((B, n), dtype=s.dtype)      # dL/ds_t from step t+1 (nothing after step T)
    dy_next = np.zeros((B, n), dtype=s.dtype)      # dL/dy_t from step t+1
    for t in range(T - 1, -1, -1):
        snu_backward_step(t, dy, dh, s, y, decay, g_code, detach_reset, dz, ds_next, dy_next, db, ddecay)
    return db, ddecay.sum()
