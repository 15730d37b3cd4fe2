"""One place that decides how kernels are compiled."""
from __future__ import annotations

try:
    from numba import njit as _njit
except Exception:  # pragma: no cover - numba missing: kernels run as Python
    _njit = None


def jit(fn):
    """Compile ``fn`` with numba: nopython, cached on disk, serial, no fastmath, NumPy's error model.

    Serial on purpose: ``parallel=True`` (one parallel region per time step) does not pay on the
    element-wise loops, because OpenBLAS's threads keep the other cores busy around every matrix
    product; ``snu_np.parallel`` uses a second core by data parallelism instead (measurements in
    docs/performance.md). ``error_model="numpy"``: a float division by zero gives inf/NaN as in
    NumPy (caught by the training loop's checks) instead of raising; Python's check at every
    division would keep LLVM from vectorising loops such as Adam's."""
    if _njit is None:
        return fn
    return _njit(cache=True, nogil=True, error_model="numpy")(fn)
