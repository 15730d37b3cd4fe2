"""Numba twins of ``snu_np.functional``: the same equations, fused into jitted loops.

Each kernel's docstring names the equation it implements and the reference function it must agree
with; ``tests/test_backends.py`` proves the agreement. Kernels run serially (no ``parallel=True``),
so results are deterministic, and use no ``fastmath`` (which would assume there are no NaN/inf).
With ``NUMBA_DISABLE_JIT=1`` they run as plain Python: slow but identical.
"""
