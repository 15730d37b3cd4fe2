"""Scalar functions shared by the compiled loops: the stable sigmoid and the tanh replacements.

The NumPy side has its own single sigmoid, :func:`snu_np.surrogates.sigmoid`; these are its scalar
twins for code inside a jitted loop (docs: performance.md says why each exists).
"""
from __future__ import annotations

import math

from ..constants import TANH_CLIP, TANH_P, TANH_Q
from ._jit import jit

_P0, _P1, _P2, _P3, _P4 = TANH_P
_Q0, _Q1, _Q2, _Q3, _Q4 = TANH_Q


@jit
def sigmoid(u, one):
    """Logistic sigmoid of the scalar ``u`` without overflow (:eq:`ssnu-output`), the formula of
    :func:`snu_np.surrogates.sigmoid`: 1 / (1 + e^-u) for u >= 0, e^u / (1 + e^u) below.

    ``one`` is 1 in the type the sum and the division run in: the array's dtype (the SNU kernels
    pass ``dtype(1)``), or float64 (the recurrent kernels pass ``1.0``, so a float32 gate is
    computed from a float32 exponential in float64). The branch keeps ``math.exp`` in range, which
    matters when NUMBA_DISABLE_JIT=1 runs this as Python."""
    if u >= 0:
        return one / (one + math.exp(-u))
    e = math.exp(u)
    return e / (one + e)


@jit
def tanh_expm1(u):
    """tanh(u) via expm1, to about one unit in the last place of float64: the tanh of the recurrent
    baselines' gate loops, whose float64 results must equal NumPy's to 1e-10 (a call of
    ``math.tanh`` is a scalar libm call; this one is cheaper under Numba)."""
    e = math.expm1(-2.0 * abs(u))
    return math.copysign(-e / (2.0 + e), u)


@jit
def tanh_rational(x):
    """tanh(x) for a float64 x, as a ratio of two polynomials (``snu_np.constants.TANH_P``,
    ``TANH_Q``): only multiplications, additions, one division and comparisons, which LLVM turns
    into SIMD instructions inside a loop (a call of ``math.tanh`` keeps the loop scalar). Accurate to
    float32 precision only (largest relative error 2.3e-8), so it serves float32 loops. Beyond
    +-TANH_CLIP it is +-1, as float32's tanh; NaN stays NaN."""
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
