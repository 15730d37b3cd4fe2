"""Numba twin of ``snu_np.functional.snu``: the SNU forward and BPTT as fused loops.

:func:`snu_forward` and :func:`snu_backward` have the reference's names, arguments, results and
``cache``, so a forward pass on one backend can be followed by a backward pass on the other;
``tests/test_backends.py`` proves the two agree. Strategy (docs: performance.md): the input currents
``a_t = x_t W`` of all T steps are one BLAS matrix product (``x.reshape(T*B, n_in) @ W``); jitted
loops then run the element-wise recurrence :eq:`snu-state`/:eq:`snu-output` forward and
:eq:`bptt-loop` backward without temporaries. The gradients ``dW = x^T dz`` and ``dx = dz W^T`` are
again one matrix product each. Recurrent layers (H) add ``y_{t-1} H`` step by step with NumPy's BLAS.

Only the built-in surrogates (``snu_np.surrogates.SURROGATES``) have a compiled formula; the layer
sends any other surrogate to the reference.
"""
from __future__ import annotations

import numpy as np

from .. import constants as C
from .._validate import check_dy_shape, check_sequence
from ..constants import ARCTAN, BOXCAR, G_CODES, LEAKY, LEAKY_SLOPE, RELU, SIGMOID, TANH
from ..surrogates import SURROGATES, get_surrogate
from ._jit import jit
from ._math import sigmoid, tanh_rational

__all__ = ["snu_forward", "snu_backward", "pseudo_grad", "pseudo_grad_block", "tanh_rational",
           "has_kernel"]


def has_kernel(surrogate):
    """True if ``surrogate`` is exactly one of the built-in classes, whose formula the kernels know
    by its ``code`` (a student's subclass, even of the same name, is not)."""
    return type(surrogate) is SURROGATES.get(surrogate.name)


def _require_kernel(surrogate):
    if not has_kernel(surrogate):
        raise ValueError(f"surrogate {surrogate!r} has no Numba kernel (only the built-in classes "
                         f"{sorted(SURROGATES)} do); run it with snu_np.functional.snu")


# --------------------------------------------------------------------------------------------------
# forward
# --------------------------------------------------------------------------------------------------
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

    a : (T, B, n) input currents; ``a[t]`` already holds x_t W (plus y_{t-1} H for a recurrent
    layer, added by the caller with NumPy's BLAS).  b : (n,).  decay : scalar of a's dtype.
    soft : bool, sigmoid output (:eq:`ssnu-output`) instead of the step (:eq:`snu-output`).
    g_code : int (``snu_np.constants.G_CODES``).  s, y : (T, B, n), step t written.
    """
    T, B, n = a.shape
    one = a.dtype.type(1.0)
    zero = a.dtype.type(0.0)
    for i in range(B):
        for j in range(n):
            z = a[t, i, j]
            if t > 0:
                z += decay * s[t - 1, i, j] * (one - y[t - 1, i, j])   # (snu-state)
            st = _g(z, g_code)                                          # (snu-g)
            u = st + b[j]
            s[t, i, j] = st
            if soft:
                y[t, i, j] = sigmoid(u, one)                            # (ssnu-output)
            else:
                y[t, i, j] = one if u > zero else zero                  # (snu-output)


@jit
def snu_potential_step(t, a, b, decay, g_code, s, u):
    """Step t of the soft SNU's forward pass without its sigmoid: s[t] and u[t] = s_t + b, in place,
    for a caller that applies :func:`sigmoid_inplace` to u[t] (then u[t] is y_t) before step t+1.
    Arguments as for :func:`snu_forward_step`, with u in the place of y. (Its first lines are those
    of :func:`snu_forward_step`, written out: a shared jitted helper for them made both loops slower.)"""
    T, B, n = a.shape
    one = a.dtype.type(1.0)
    for i in range(B):
        for j in range(n):
            z = a[t, i, j]
            if t > 0:
                z += decay * s[t - 1, i, j] * (one - u[t - 1, i, j])   # (snu-state)
            st = _g(z, g_code)                                          # (snu-g)
            s[t, i, j] = st
            u[t, i, j] = st + b[j]


@jit
def snu_forward_kernel(a, b, decay, soft, g_code, s, y):
    """Forward over T steps of a feed-forward layer, in place (arguments as for
    :func:`snu_forward_step`)."""
    for t in range(a.shape[0]):
        snu_forward_step(t, a, b, decay, soft, g_code, s, y)


def sigmoid_inplace(u):
    """u <- 1 / (1 + exp(-u)) (:eq:`ssnu-output`), in place with NumPy's SIMD ufuncs: the wide soft
    SNU's sigmoid (no temporary array, unlike :func:`snu_np.surrogates.sigmoid`, whose two-branch
    form it equals up to rounding). exp(-u) overflows to inf for u below about -88 (float32), which
    gives the right limit 0; the caller silences that warning with ``np.errstate(over="ignore")``."""
    np.negative(u, out=u)
    np.exp(u, out=u)
    u += u.dtype.type(1.0)
    return np.reciprocal(u, out=u)


def snu_forward(x, W, b, decay, H=None, soft=False, g="relu", surrogate="tanh"):
    """Run an SNU layer over a sequence. Twin of ``functional.snu.snu_forward``
    (:eq:`snu-state`, :eq:`snu-output`, :eq:`ssnu-output`).

    Parameters
    ----------
    x : (T, B, n_in) input, float32 or float64.  W : (n_in, n_out).  b : (n_out,).
    decay : float in [0, 1].  H : (n_out, n_out) or None.  soft : bool.
    g : "relu" | "identity" | "leaky_relu".  surrogate : a built-in name or instance.

    Returns
    -------
    s, y : (T, B, n_out) in x's dtype.  cache : the reference's dict, for either ``snu_backward``.

    A wide soft layer (B * n_out >= ``constants.NUMPY_SIGMOID_MIN``) leaves each step's sigmoid to
    NumPy's SIMD exp; narrow ones stay in one kernel call (docs: performance.md).
    """
    check_sequence(x, "x")
    surrogate = get_surrogate(surrogate)
    _require_kernel(surrogate)
    T, B, n_in = x.shape
    n = W.shape[1]
    a = (x.reshape(T * B, n_in) @ W).reshape(T, B, n)   # x_t W for all t: one GEMM
    s = np.empty_like(a)
    y = np.empty_like(a)
    decay_, g_code = x.dtype.type(decay), G_CODES[g]
    numpy_sigmoid = soft and B * n >= C.NUMPY_SIGMOID_MIN
    if H is None and not numpy_sigmoid:
        snu_forward_kernel(a, b, decay_, soft, g_code, s, y)
    else:                                   # y_{t-1} H needs step t-1 first: one step at a time
        with np.errstate(over="ignore"):
            for t in range(T):
                if t > 0 and H is not None:
                    a[t] += y[t - 1] @ H                                   # (snu-state)
                if numpy_sigmoid:
                    snu_potential_step(t, a, b, decay_, g_code, s, y)
                    sigmoid_inplace(y[t])                                  # (ssnu-output)
                else:
                    snu_forward_step(t, a, b, decay_, soft, g_code, s, y)
    cache = {"x": x, "s": s, "y": y, "W": W, "b": b, "decay": decay, "H": H,
             "soft": soft, "g": g, "surrogate": surrogate}
    return s, y, cache


# --------------------------------------------------------------------------------------------------
# the pseudo-derivative h'(s + b) of every step
# --------------------------------------------------------------------------------------------------
@jit
def tanh_pseudo_grad_kernel(s, b, a_in, a_out, out):
    """out = a_out (1 - tanh^2(a_in (s + b))) for float32 s, out (T, B, n) and b (n,), in float64
    inside the loop with :func:`tanh_rational` (:eq:`bptt-du`): :eq:`surr-tanh` (a_in = alpha,
    a_out = 1) and :eq:`surr-sigmoid` written with tanh (a_in = alpha / 2, a_out = alpha / 4).
    Its error is no larger than that of NumPy's float32 passes (tests/test_backends.py)."""
    T, B, n = s.shape
    for t in range(T):
        for i in range(B):
            for j in range(n):
                th = tanh_rational(a_in * (np.float64(s[t, i, j]) + np.float64(b[j])))
                out[t, i, j] = a_out * (1.0 - th * th)


def tanh_form(surr_code, alpha):
    """(a_in, a_out) with h'(u) = a_out (1 - tanh^2(a_in u)) for the tanh and sigmoid surrogates:
    :eq:`surr-tanh` is (alpha, 1); :eq:`surr-sigmoid`, alpha sigma'(alpha u), is (alpha / 2, alpha / 4)
    by sigma'(v) = (1 - tanh^2(v / 2)) / 4."""
    return (alpha, 1.0) if surr_code == TANH else (0.5 * alpha, 0.25 * alpha)


def pseudo_grad(s, y, b, soft, surr_code, scale, out):
    """out[t, i, j] = h'(s + b) for all steps (see :func:`pseudo_grad_block`), a few steps at a
    time (``constants.PSEUDO_GRAD_BLOCK`` elements), so that the block's several passes run in the
    CPU cache. float32 with the tanh or sigmoid pseudo-derivative goes through
    :func:`tanh_pseudo_grad_kernel` instead, in one pass.

    s, y, out : (T, B, n).  b : (n,).  soft : bool.  surr_code : int.  scale : float (alpha).
    Returns out."""
    if (not soft and s.dtype == np.float32 and out.dtype == np.float32 and b.dtype == np.float32
            and surr_code in (TANH, SIGMOID)):
        a_in, a_out = tanh_form(surr_code, float(scale))
        tanh_pseudo_grad_kernel(s, b, a_in, a_out, out)
        return out
    T = s.shape[0]
    step = max(1, C.PSEUDO_GRAD_BLOCK // max(1, s[0].size))
    with np.errstate(over="ignore"):            # e.g. alpha * u overflowing to inf: tanh(inf) = 1, h' = 0
        for t0 in range(0, T, step):
            t1 = min(T, t0 + step)
            pseudo_grad_block(s[t0:t1], y[t0:t1], b, soft, surr_code, scale, out[t0:t1])
    return out


def pseudo_grad_block(s, y, b, soft, surr_code, scale, out):
    """out[t, i, j] = h'(s + b) (:eq:`bptt-du`): the sigmoid's derivative y (1 - y) for the sSNU,
    else the pseudo-derivative (:eq:`surr-tanh` ... :eq:`surr-arctan`) of ``surrogates.<Class>.grad``.

    NumPy ufuncs in place in ``out``, not a Numba loop: a loop calling ``math.tanh`` stays scalar.
    This path serves float64 and the other surrogates (:func:`pseudo_grad` sends float32 tanh and
    sigmoid to :func:`tanh_pseudo_grad_kernel`). Tanh and sigmoid both go through one tanh
    (:func:`tanh_form`). The reference's tanh surrogate is that same formula; its sigmoid surrogate
    is computed as alpha sigma(alpha u) (1 - sigma(alpha u)) with the exponential, so here the
    sigmoid's numbers equal the reference's up to rounding, not bit for bit. A square and a
    subtraction instead of 1 / cosh^2 (the same numbers): see docs/performance.md.

    s, y, out : (T', B, n), a block of steps.  b : (n,).  Returns out.
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


# --------------------------------------------------------------------------------------------------
# backward
# --------------------------------------------------------------------------------------------------
@jit
def snu_backward_step(t, dy, dh, s, y, decay, g_code, detach_reset, dz, ds_next, dy_next, db, ddecay):
    """Step t of BPTT, in place. Implements :eq:`bptt-du` ... :eq:`bptt-ddecay`.

    Reads dy[t], dh[t] = h'(s_t + b) and the carries ds_next, dy_next (B, n) that step t+1 sent
    back; writes dz[t] = dL/dz_t, adds to db (n,) and to ddecay (n,) (dL/ddecay per unit: summed by
    the caller), overwrites the carries with what step t sends back to step t-1 (the recurrent part
    of dy_next, dz_t H^T, is the caller's). ``dz`` may be the same array as ``dh`` (each entry of dh
    is read once, just before dz overwrites it), but the loop is then not vectorised.

    One pass over j per row, with no scalar accumulator: every sum goes into a per-unit array, so
    LLVM can vectorise the loop (a scalar float sum would pin it to one lane, as it may not reorder
    floating-point additions).
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


def snu_backward(dy, cache, detach_reset=False, need_dx=True):
    """Backpropagation through time for an SNU layer. Twin of ``functional.snu.snu_backward``
    (:eq:`bptt-loop`).

    Parameters
    ----------
    dy : (T, B, n_out) dL/dy_t for every step.  cache : from either ``snu_forward``.
    detach_reset : bool, drop the gradient through the reset gate.
    need_dx : bool, False skips the input gradient (one matrix product) and returns dx = None.

    Returns
    -------
    dx : (T, B, n_in) or None.  grads : dict with "W", "b", "H" (if recurrent) in the parameters'
    dtype and "decay" (a float), summed over time and batch.
    """
    x, s, y, W, b, decay, H = (cache[k] for k in ("x", "s", "y", "W", "b", "decay", "H"))
    check_dy_shape(dy, s.shape)
    surrogate = cache["surrogate"]
    _require_kernel(surrogate)
    T, B, n_in = x.shape
    n = s.shape[2]
    dh = np.empty_like(s)                     # h'(s + b)
    pseudo_grad(s, y, b, cache["soft"], surrogate.code, float(surrogate.scale), dh)
    # dz in an array of its own: written over dh, the loop runs slower (LLVM's check that the
    # arrays do not overlap fails, and the unvectorised copy of the loop runs instead)
    dz = np.empty_like(s)
    decay_, g_code = s.dtype.type(decay), G_CODES[cache["g"]]
    if H is None:
        db, ddecay = snu_backward_kernel(dy, dh, s, y, decay_, g_code, detach_reset, dz)
    else:                                     # the reversed loop, with dz_t H^T by NumPy's BLAS
        HT = H.T
        db, dd = np.zeros(n), np.zeros(n)
        ds_next = np.zeros((B, n), dtype=s.dtype)
        dy_next = np.zeros((B, n), dtype=s.dtype)
        for t in range(T - 1, -1, -1):
            snu_backward_step(t, dy, dh, s, y, decay_, g_code, detach_reset, dz, ds_next, dy_next, db, dd)
            if t > 0:
                dy_next += dz[t] @ HT                                      # (bptt-carry-y)
        ddecay = dd.sum()
    dz2 = dz.reshape(T * B, n)
    grads = {"W": x.reshape(T * B, n_in).T @ dz2,                          # (bptt-dW)
             "b": np.asarray(db, dtype=b.dtype), "decay": float(ddecay)}
    if H is not None:                                                      # (bptt-dH)
        grads["H"] = y[:-1].reshape((T - 1) * B, n).T @ dz[1:].reshape((T - 1) * B, n)
    dx = (dz2 @ W.T).reshape(T, B, n_in) if need_dx else None              # (bptt-dx)
    return dx, grads
