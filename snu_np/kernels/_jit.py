"""One place that decides how kernels are compiled."""
from __future__ import annotations

try:
    from numba import njit as _njit
except Exception:  # pragma: no cover - numba missing: kernels run as Python
    _njit = None


def jit(fn):
    """Compile ``fn`` with numba: nopython, cached on disk, serial, no fastmath."""
    if _njit is None:
        return fn
    return _njit(cache=True, nogil=True)(fn)
