"""One place that decides how kernels are compiled."""
from __future__ import annotations

try:
    from numba import njit as _njit
except Exception:  # pragma: no cover - numba missing: kernels run as Python
    _njit = None


def jit(fn):
    """Compile ``fn`` with numba: nopython, cached on disk, serial, no fastmath.

    Serial on purpose: measured here, neither ``parallel=True`` (one parallel region per time step)
    nor batch chunks in Python threads beat one core on the element-wise loops, because OpenBLAS's
    threads keep the other core busy around every matrix product (docs/performance.md)."""
    if _njit is None:
        return fn
    return _njit(cache=True, nogil=True)(fn)
