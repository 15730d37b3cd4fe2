"""One place that decides how kernels are compiled, and whether they may use several threads."""
from __future__ import annotations

import types

try:
    import numba
    from numba import njit as _njit
    from numba import prange  # noqa: F401  (kernels import it from here)
except Exception:  # pragma: no cover - numba missing: kernels run as Python
    numba = None
    _njit = None
    prange = range

_threads = {"n": 1}


def jit(fn):
    """Compile ``fn`` with numba: nopython, cached on disk, serial, no fastmath."""
    if _njit is None:
        return fn
    return _njit(cache=True, nogil=True)(fn)


def jit_variants(fn):
    """Compile ``fn`` twice: serially (``prange`` runs as ``range``) and with ``parallel=True``.

    Both run the same source, so they compute the same numbers; a kernel written for this keeps
    every reduction in per-row arrays that are summed in a fixed order afterwards, so even the
    parallel variant is deterministic. ``variant()`` picks one by :func:`set_num_threads`.
    """
    serial = jit(fn)
    if _njit is None:
        return {"serial": fn, "parallel": fn}
    # a copy under another name, so that numba's on-disk cache keeps the two variants apart
    twin = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_parallel", fn.__defaults__,
                              fn.__closure__)
    twin.__qualname__ = fn.__qualname__ + "_parallel"
    twin.__doc__ = fn.__doc__
    parallel = _njit(cache=True, nogil=True, parallel=True)(twin)
    return {"serial": serial, "parallel": parallel}


def set_num_threads(n):
    """Threads for the element-wise kernels: 1 (the default) runs them serially; n > 1 runs the
    parallel variants on n threads. Results are identical either way (tests/test_backends.py)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if numba is not None and n > 1:
        n = min(n, numba.config.NUMBA_NUM_THREADS)
        numba.set_num_threads(n)
    _threads["n"] = n


def get_num_threads():
    return _threads["n"]


def variant(kernels):
    """The serial or the parallel compiled kernel, by the current thread setting."""
    return kernels["parallel" if _threads["n"] > 1 else "serial"]
