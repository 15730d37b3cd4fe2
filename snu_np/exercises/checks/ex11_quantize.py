"""Exercise 11: a symmetric uniform quantiser, ``quantize(W, bits)``, as analog in-memory hardware needs.

The reference is written here, from its definition, and is authoritative: with L = 2^(bits-1) - 1
levels on each side of zero and the step delta = max|W| / L, every weight goes to the nearest level,
``Q(W) = delta * round(W / delta)`` (all zeros for W = 0). A test compares it with ``snu_np.analog``
when that module provides a quantiser.
"""
from __future__ import annotations

import numpy as np

from .base import ALWAYS_FORBIDDEN, Check, Mistake, _as_float, _call, _compare, _Fail

MISTAKES = (
    Mistake("affine", "min-max (asymmetric) levels",
            "your levels are not symmetric: you spread 2^bits levels from min(W) to max(W). Use the levels "
            "k * delta for k = -L ... L, with L = 2^(bits-1) - 1 and delta = max|W| / L, so that 0 is a level "
            "and W and -W quantise to opposite values."),
    Mistake("twos_complement", "two's-complement levels (-2^(bits-1) ... 2^(bits-1) - 1)",
            "your levels are not symmetric: with 2^(bits-1) negative and 2^(bits-1) - 1 positive levels the "
            "largest positive weight is clipped while its negative twin is not. Use L = 2^(bits-1) - 1 levels "
            "on each side, delta = max|W| / L."),
    Mistake("no_sign_bit", "2^bits - 1 levels on each side (sign bit forgotten)",
            "one of the bits is the sign: there are L = 2^(bits-1) - 1 levels on each side of 0, not 2^bits - 1."),
    Mistake("trunc", "rounded towards zero",
            "you rounded towards zero (int(), astype(int) or np.trunc): round to the NEAREST level, "
            "np.round(W / delta)."),
    Mistake("floor", "rounded down (np.floor)",
            "np.floor rounds down, towards -infinity: round to the nearest level, np.round(W / delta)."),
    Mistake("codes", "integer codes instead of weights",
            "you returned the integer codes round(W / delta): multiply them by delta to get the quantised weights."),
)


def quantize_reference(W, bits, m=None):
    """The symmetric uniform quantiser (``m=None``) or its known-wrong variant ``m``."""
    W = np.asarray(W, dtype=np.float64)
    L = 2 ** (bits - 1) - 1
    w_max = float(np.max(np.abs(W))) if W.size else 0.0
    if w_max == 0.0:
        return np.zeros_like(W)
    if m == "affine":
        lo, hi = float(W.min()), float(W.max())
        step = (hi - lo) / (2 ** bits - 1)
        return lo + step * np.round((W - lo) / step)
    if m == "twos_complement":
        step = w_max / 2 ** (bits - 1)
        return step * np.clip(np.round(W / step), -2 ** (bits - 1), 2 ** (bits - 1) - 1)
    delta = w_max / (2 ** bits - 1 if m == "no_sign_bit" else L)
    rounding = {"trunc": np.trunc, "floor": np.floor}.get(m, np.round)
    codes = rounding(W / delta)
    return codes if m == "codes" else codes * delta


def _cases():
    rng = np.random.default_rng(11)
    W = rng.normal(0.0, 0.5, (6, 7))
    W[0, 0] = -1.7                                   # the largest magnitude is negative: symmetry matters
    return [("W (6, 7), bits = 2", W, 2), ("W (6, 7), bits = 3", W, 3), ("W (6, 7), bits = 4", W, 4),
            ("W (6, 7), bits = 8", W, 8), ("a positive W (3, 4), bits = 4", np.abs(W[:3, :4]) + 0.1, 4)]


def _check_quantize(fn):
    axes = {"Q": ("row", "column")}
    for label, W, bits in _cases():
        got = {"Q": _call(fn, W.copy(), bits)}
        ref = {"Q": quantize_reference(W, bits)}
        _compare(label, got, ref, axes,
                 lambda W=W, bits=bits: [(mk, {"Q": quantize_reference(W, bits, mk.key)}) for mk in MISTAKES])
    zero = _as_float(_call(fn, np.zeros((2, 3)), 4))
    if zero is None or zero.shape != (2, 3) or not np.all(zero == 0):
        raise _Fail("quantize(np.zeros((2, 3)), 4) must return zeros of shape (2, 3) (max|W| = 0: every "
                    "weight is the level 0; avoid dividing by zero).")
    return ("the quantised weights match the symmetric uniform quantiser for 2, 3, 4 and 8 bits, and W = 0 "
            "stays 0.")


_FORBIDDEN = ("snu_np.analog",) + ALWAYS_FORBIDDEN

CHECKS = (Check("quantize", 11, _check_quantize, MISTAKES, forbidden=_FORBIDDEN),)
