"""Numeric gradient checks: the way to know a hand-written backward pass is right.

Centred finite differences, ``(f(p + h) - f(p - h)) / 2h``, in float64, compared with the analytic
gradient by the relative error ``|a - n| / max(|a| + |n|, tiny)`` (CS231n's measure), both for
every sampled entry and for whole arrays (``||a - n|| / (||a|| + ||n||)``). Below 1e-6 in float64 the
backward pass is right; around 1e-2 something is wrong.

The SNU's step has no derivative, so finite differences cannot check it: they see a loss that is
flat almost everywhere and jumps at thresholds. Check the soft SNU instead, or give the SNU a
surrogate whose forward is its primitive (see ``tests/test_gradcheck_snu.py``).
"""
from __future__ import annotations

import numpy as np

from ._validate import as_rng, check_int, check_real


def rel_error(a, n, tiny=1e-12):
    """Largest elementwise relative error between arrays ``a`` and ``n``."""
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"a and n must have the same shape, got {a.shape} and {n.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), tiny)))


def norm_rel_error(a, n, tiny=1e-12):
    """``||a - n|| / (||a|| + ||n||)``: robust where single entries are near zero."""
    a = np.asarray(a, dtype=np.float64).ravel()
    n = np.asarray(n, dtype=np.float64).ravel()
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), tiny))


def numeric_gradient(f, p, h=1e-5, indices=None):
    """Centred finite-difference gradient of scalar ``f()`` with respect to array ``p`` (changed in place
    and restored). ``indices``: flat indices to probe (all if None). Returns ``(indices, grads)``."""
    if not isinstance(p, np.ndarray) or p.dtype != np.float64:
        raise TypeError("p must be a float64 array: finite differences in float32 are too coarse")
    h = check_real(h, "h", low=0.0, low_open=True)
    flat = p.reshape(-1)
    if not np.shares_memory(flat, p):
        raise ValueError("p must be contiguous so that it can be perturbed in place")
    idx = np.arange(flat.size) if indices is None else np.asarray(indices, dtype=np.int64)
    out = np.empty(idx.size)
    for k, i in enumerate(idx):
        old = flat[i]
        flat[i] = old + h
        fp = f()
        flat[i] = old - h
        fm = f()
        flat[i] = old
        out[k] = (fp - fm) / (2.0 * h)
    return idx, out


class GradCheckReport(dict):
    """``{name: (elementwise rel. error, norm rel. error, n_entries_checked)}`` with a summary."""

    @property
    def max_error(self):
        return max((v[1] for v in self.values()), default=0.0)

    def passed(self, tol=1e-6):
        return self.max_error < tol

    def __str__(self):
        rows = [f"{'array':<14}{'checked':>8}{'max elem. rel. err':>21}{'norm rel. err':>16}"]
        for k, (e, ne, n) in self.items():
            rows.append(f"{k:<14}{n:>8d}{e:>21.2e}{ne:>16.2e}")
        return "\n".join(rows)


def check_gradients(loss_fn, arrays, analytic, n_samples=None, h=1e-5, seed=0):
    """Compare analytic gradients with finite differences.

    Parameters
    ----------
    loss_fn : callable () -> float, reading the current values of ``arrays``.
    arrays : dict name -> float64 array (perturbed in place, restored).
    analytic : dict name -> gradient array of the same shape (computed beforehand).
    n_samples : int or None, probe at most this many entries of each array (chosen at random).
    """
    rng = as_rng(seed)
    report = GradCheckReport()
    for name, p in arrays.items():
        if name not in analytic:
            raise KeyError(f"no analytic gradient for {name!r}")
        ga = np.asarray(analytic[name], dtype=np.float64).reshape(-1)
        size = p.size
        idx = None
        if n_samples is not None and size > check_int(n_samples, "n_samples", low=1):
            idx = rng.choice(size, size=n_samples, replace=False)
        idx, gn = numeric_gradient(loss_fn, p, h, idx)
        report[name] = (rel_error(ga[idx], gn), norm_rel_error(ga[idx], gn), int(idx.size))
    return report


def check_layer(layer, x, n_samples=None, h=1e-5, seed=0, check_input=True):
    """Gradient check of one layer with the loss ``L = sum(y * R)`` for a fixed random R.

    x : (T, B, n_in) float64 input. Returns a :class:`GradCheckReport` over the layer's params and
    (when ``check_input``) the input ``x``.
    """
    if layer.dtype != np.float64:
        raise TypeError("gradient checks need a float64 layer (dtype=np.float64)")
    x = np.array(x, dtype=np.float64)
    rng = as_rng(seed)
    y = layer.forward(x)
    R = rng.standard_normal(y.shape)
    dx = layer.backward(R)
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    arrays = dict(layer.params)
    if check_input:
        analytic["x"] = dx
        arrays["x"] = x

    def loss():
        return float(np.sum(layer.forward(x) * R))

    return check_gradients(loss, arrays, analytic, n_samples, h, seed)


def check_network(net, loss_fn, x, target, n_samples=None, h=1e-5, seed=0, check_input=True, **loss_kw):
    """Gradient check of a whole network under a loss ``loss_fn(y, target, **loss_kw) -> (loss, dy)``.

    Returns a :class:`GradCheckReport` with entries ``"<layer>.<param>"`` and ``"x"``.
    """
    x = np.array(x, dtype=np.float64)
    y = net.forward(x)
    _, dy = loss_fn(y, target, **loss_kw)
    dx = net.backward(dy)
    analytic, arrays = {}, {}
    for name, p, g in net.parameters():
        analytic[name] = g.copy()
        arrays[name] = p
    if check_input:
        analytic["x"] = dx
        arrays["x"] = x

    def loss():
        return loss_fn(net.forward(x), target, **loss_kw)[0]

    return check_gradients(loss, arrays, analytic, n_samples, h, seed)
