"""Exercise 6: derive and code a pseudo-derivative (the fast sigmoid), and a bonus of one's own."""
from __future__ import annotations

import numpy as np

from .base import ALWAYS_FORBIDDEN, Check, Mistake, _as_float, _by_key, _call, _close, _Fail, _fmt, _mismatch

MISTAKES = {}

MISTAKES["fast_sigmoid"] = [
    Mistake("prim_no_abs", "primitive without abs(u)",
            "the primitive is u / (1 + alpha |u|), with the absolute value: without it, it blows up at u = -1/alpha."),
    Mistake("prim_alpha", "primitive alpha u / (1 + alpha abs(u))",
            "the primitive is u / (1 + alpha |u|) (slope 1 at u = 0, so its derivative peaks at 1), "
            "not alpha u / (1 + alpha |u|)."),
    Mistake("no_square", "square missing",
            "the derivative of u / (1 + alpha |u|) is 1 / (1 + alpha |u|)^2: you forgot the square."),
    Mistake("no_abs", "abs(u) missing in the derivative",
            "use |u|: the bump must be symmetric, 1 / (1 + alpha |u|)^2; yours blows up at u = -1/alpha."),
    Mistake("alpha_numerator", "extra factor alpha",
            "no factor alpha in the numerator: d/du [u / (1 + alpha |u|)] = 1 / (1 + alpha |u|)^2."),
    Mistake("negative", "sign flipped", "sign: the primitive increases, so its derivative is positive."),
    Mistake("abs_as_u", "d abs(u)/du taken as 1 for u < 0",
            "for u < 0, d|u|/du = -1: with the quotient rule the numerator (1 + alpha |u|) - alpha u sign(u) "
            "simplifies to 1."),
]
_PRIM = {None: lambda u, a: u / (1 + a * np.abs(u)),
         "prim_no_abs": lambda u, a: u / (1 + a * u),
         "prim_alpha": lambda u, a: a * u / (1 + a * np.abs(u))}
_GRAD = {None: lambda u, a: 1 / (1 + a * np.abs(u)) ** 2,
         "no_square": lambda u, a: 1 / (1 + a * np.abs(u)),
         "no_abs": lambda u, a: 1 / (1 + a * u) ** 2,
         "alpha_numerator": lambda u, a: a / (1 + a * np.abs(u)) ** 2,
         "negative": lambda u, a: -1 / (1 + a * np.abs(u)) ** 2,
         "abs_as_u": lambda u, a: (1 + a * np.abs(u) - a * u) / (1 + a * np.abs(u)) ** 2}


def _grid():
    return np.linspace(-4.0, 4.0, 81) + 0.0123      # never exactly 0 or +-1/alpha


def _fd(prim, u, alpha, h=1e-6):
    return (np.asarray(prim(u + h, alpha), float) - np.asarray(prim(u - h, alpha), float)) / (2 * h)


def _check_fast_sigmoid(fn, primitive=None):
    if primitive is None:
        raise _Fail("pass the primitive too: check('fast_sigmoid', fast_sigmoid_grad, primitive=fast_sigmoid).")
    u = _grid()
    table = _by_key(MISTAKES["fast_sigmoid"])
    for alpha in (1.0, 2.5):
        got = _call(primitive, u.copy(), alpha)
        msg = _mismatch("fast_sigmoid(u)", got, _PRIM[None](u, alpha), ("u index",))
        if msg:
            key = next((k for k in ("prim_no_abs", "prim_alpha")
                        if _close(got, _PRIM[k](u, alpha), 1e-9, 1e-12)), "")
            raise _Fail(f"alpha = {alpha:g}: {msg} (u = {u[0]:.4g} ... {u[-1]:.4g}).",
                        table[key].hint if key else "the primitive is u / (1 + alpha |u|).", key)
    for alpha in (1.0, 2.5):
        got = _call(fn, u.copy(), alpha)
        g = _as_float(got)
        if g is None or g.shape != u.shape:
            raise _Fail(f"fast_sigmoid_grad must return an array like u, shape {u.shape}; got "
                        f"{None if g is None else g.shape} (use NumPy operations, not math.*).")
        fd = _fd(primitive, u, alpha)
        bad = ~np.isclose(g, fd, rtol=1e-5, atol=1e-6)
        if bad.any():
            i = int(np.argmax(bad))
            key = next((k for k in _GRAD if k and _close(g, _GRAD[k](u, alpha), 1e-9, 1e-12)), "")
            raise _Fail(f"alpha = {alpha:g}: your grad is not the derivative of your primitive: at u = {u[i]:.4g} "
                        f"finite differences of fast_sigmoid give {_fmt(fd[i])}, fast_sigmoid_grad gives "
                        f"{_fmt(g[i])} ({int(bad.sum())} of {u.size} points differ).",
                        table[key].hint if key else "differentiate u / (1 + alpha |u|) with the quotient rule.", key)
        msg = _mismatch("fast_sigmoid_grad(u)", g, _GRAD[None](u, alpha), ("u index",))
        if msg:
            raise _Fail(f"alpha = {alpha:g}: {msg}.", "compare with the formula 1 / (1 + alpha |u|)^2.")
    peak = float(np.asarray(_call(fn, np.array([0.0]), 1.0)).reshape(-1)[0])
    if abs(peak - 1.0) > 1e-12:
        raise _Fail(f"fast_sigmoid_grad(0) should be 1 (the peak), you have {peak:.6g}.")
    return ("the primitive matches u / (1 + alpha |u|), and the pseudo-derivative matches both the "
            "finite differences of your primitive and the formula, for alpha = 1 and 2.5.")


def _check_pseudo_derivative(fn, primitive=None, alpha=1.0):
    """Generic check of a pseudo-derivative of your own design."""
    if primitive is None:
        raise _Fail("pass the primitive too: check('pseudo_derivative', my_grad, primitive=my_primitive).")
    u = _grid()
    g = _as_float(_call(fn, u.copy(), alpha))
    if g is None or g.shape != u.shape:
        raise _Fail("the pseudo-derivative must return an array shaped like u.")
    fd = _fd(primitive, u, alpha)
    bad = ~np.isclose(g, fd, rtol=1e-5, atol=1e-6)
    if bad.any():
        i = int(np.argmax(bad))
        raise _Fail(f"not the derivative of your primitive: at u = {u[i]:.4g} finite differences give "
                    f"{_fmt(fd[i])}, your function {_fmt(g[i])}.")
    if not np.all(np.isfinite(g)) or np.any(g < 0):
        raise _Fail("a pseudo-derivative must be finite and >= 0 everywhere (the step only goes up).")
    if not np.allclose(g, np.asarray(_call(fn, -u, alpha), float), rtol=1e-9, atol=1e-12):
        raise _Fail("it is not symmetric: h'(-u) should equal h'(u).")
    g0 = float(np.asarray(_call(fn, np.array([0.0]), alpha)).reshape(-1)[0])
    if g0 < g.max() - 1e-12:
        raise _Fail("the bump should peak at the threshold, u = 0.")
    return f"finite, non-negative, symmetric, peaks at u = 0 (value {g0:.3g}) and is the derivative of your primitive."




_FORBIDDEN = ("snu_np.surrogates.FastSigmoid",) + ALWAYS_FORBIDDEN

CHECKS = (
    Check("fast_sigmoid", 6, _check_fast_sigmoid, MISTAKES["fast_sigmoid"], function="fast_sigmoid_grad",
          options={"primitive": "fast_sigmoid"}, forbidden=_FORBIDDEN),
    Check("pseudo_derivative", 6, _check_pseudo_derivative, (), function="my_grad",
          options={"primitive": "my_primitive"}, forbidden=ALWAYS_FORBIDDEN, optional=True),
)
