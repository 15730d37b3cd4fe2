"""The machine a run executes on: BLAS threads (through threadpoolctl) and what results files record."""
from __future__ import annotations

import os
import platform

import numpy as np

from ._validate import check_int

__all__ = ["set_blas_threads", "blas_threads", "machine_info"]


def set_blas_threads(n):
    """Limit the BLAS library NumPy uses to ``n`` threads (threadpoolctl); return True if one was found.

    Why: with two training processes (or two shards) on two cores, one thread each is faster than
    two each, since the threads fight over the cores; small networks are faster on one thread anyway.
    """
    n = check_int(n, "threads", low=1)
    import threadpoolctl
    return bool(threadpoolctl.threadpool_limits(n, user_api="blas").get_original_num_threads())


def blas_threads():
    """The number of BLAS threads NumPy uses now (None if no BLAS library was found)."""
    import threadpoolctl
    infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return int(infos[0]["num_threads"]) if infos else None


def machine_info():
    """Python, NumPy, Numba, backend, CPU count and BLAS threads (for results files)."""
    from . import __version__
    from .backend import get_backend
    try:
        import numba
        numba_version = numba.__version__
    except Exception:  # pragma: no cover - numba is a dependency
        numba_version = None
    return {"platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor(), "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "numpy": np.__version__, "numba": numba_version,
            "snu_np": __version__, "backend": get_backend(), "blas_threads": blas_threads()}
