"""Numba twin of ``optim.Adam._update_reference``: the Adam update in one pass over memory.

The reference writes Adam as NumPy array expressions, each a full pass over the parameter with a
temporary; this loop runs the same operations on each element, in the same order, each rounded to the
parameter's dtype: the constants 1 - beta1, 1 - beta2, lr, eps and the two bias corrections are
first cast to that dtype (in float32, c2 = 1 - float32(0.999) = 0.00099998713), then every product,
sum, quotient and square root is one IEEE operation in that dtype, as NumPy's ufuncs do. So the two
give the same bits; ``tests/test_optim.py`` proves it.
"""
from __future__ import annotations

import math

from ._jit import jit


@jit
def adam_update_kernel(p, g, m, v, lr, beta1, beta2, eps, bc1, bc2):
    """In place, for flat arrays p, g, m, v of one dtype:
    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr (m / bc1) / (sqrt(v / bc2) + eps),
    with bc1 = 1 - b1^t and bc2 = 1 - b2^t."""
    one = p.dtype.type(1.0)
    b1 = p.dtype.type(beta1)
    b2 = p.dtype.type(beta2)
    c1 = one - b1
    c2 = one - b2
    lr_ = p.dtype.type(lr)
    eps_ = p.dtype.type(eps)
    d1 = p.dtype.type(bc1)
    d2 = p.dtype.type(bc2)
    for k in range(p.size):
        gk = g[k]
        mk = m[k] * b1 + c1 * gk
        vk = v[k] * b2 + c2 * gk * gk
        m[k] = mk
        v[k] = vk
        p[k] -= lr_ * (mk / d1) / (p.dtype.type(math.sqrt(vk / d2)) + eps_)
