"""Choice of backend: the NumPy reference that students read, or its Numba twin.

``numba`` is the default whenever numba imports; ``numpy`` always works. A layer built with
``backend=None`` follows the global choice at the time it runs, so ``set_backend`` switches every
such layer at once.
"""
from __future__ import annotations

import os

try:  # numba is a dependency, but the reference must work without it
    import numba  # noqa: F401
    HAVE_NUMBA = True
except Exception:  # pragma: no cover - exercised only where numba is missing
    HAVE_NUMBA = False

BACKENDS = ("numpy", "numba")
_state = {"backend": os.environ.get("SNU_NP_BACKEND", "numba" if HAVE_NUMBA else "numpy")}


def set_backend(name):
    """Set the global backend: ``"numpy"`` (reference) or ``"numba"`` (fast kernels)."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")
    if name == "numba" and not HAVE_NUMBA:
        raise ValueError("backend 'numba' needs the numba package; install it or use 'numpy'")
    _state["backend"] = name


def get_backend():
    """Return the global backend name."""
    return _state["backend"]


def resolve(backend):
    """Return the backend a layer uses: its own choice, or the global one when ``None``."""
    if backend is None:
        return _state["backend"]
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS} or None, got {backend!r}")
    if backend == "numba" and not HAVE_NUMBA:
        raise ValueError("backend 'numba' needs the numba package; install it or use 'numpy'")
    return backend
