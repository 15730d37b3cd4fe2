"""Fit the rational tanh of ``snu_np.kernels._math.tanh_rational`` and report its error.

    tanh(x) ~ x P(x^2) / Q(x^2),   P, Q of degree 4, Q(0) = 1,   for |x| <= 9.1 (beyond: +-1)

The coefficients minimise the largest *relative* error on a dense grid of [0, 9.1] by weighted
linear least squares (x P(z) - tanh(x) Q(z) = 0, divided by tanh(x)) with Lawson's reweighting,
which moves the weights toward the points where the error is largest (a minimax fit). 9.1 is where
float32's tanh is 1 to the last bit. The kernel evaluates the fraction in float64, so its float32
results are within about one unit in the last place of tanh (docs: performance.md).

Run: ``python benchmarks/fit_tanh.py`` (a second; prints the coefficients and the measured errors).
"""
from __future__ import annotations

import numpy as np

CLIP = 9.1


def fit(deg=4, iters=60):
    x = np.concatenate([np.linspace(0.0, CLIP, 40001)[1:], np.geomspace(1e-6, 0.5, 4000)])
    x.sort()
    f, z = np.tanh(x), x * x
    A = np.concatenate([np.stack([x * z**k for k in range(deg + 1)], 1),
                        np.stack([-f * z**k for k in range(1, deg + 1)], 1)], 1)
    w, best = np.ones_like(x), None
    for _ in range(iters):
        sw = np.sqrt(w) / f
        coef = np.linalg.lstsq(A * sw[:, None], f * sw, rcond=None)[0]
        p, q = coef[:deg + 1], np.concatenate([[1.0], coef[deg + 1:]])
        Q = np.polyval(q[::-1], z)
        err = np.abs(x * np.polyval(p[::-1], z) / Q - f) / f
        if Q.min() > 0 and (best is None or err.max() < best[2]):     # no pole on the interval
            best = (p, q, err.max())
        w = w * (err / err.max() + 1e-2)
        w /= w.mean()
    return best


def main():
    p, q, err = fit()
    print("P =", tuple(float(v) for v in p))
    print("Q =", tuple(float(v) for v in q))
    print(f"largest relative error on [0, {CLIP}] in float64: {err:.2e}")
    from snu_np.kernels._math import tanh_rational
    xs = np.linspace(-12, 12, 200001)
    got = np.array([tanh_rational(v) for v in xs])
    print(f"the package's tanh_rational against np.tanh: {np.max(np.abs(got - np.tanh(xs))):.2e} (absolute)")


if __name__ == "__main__":
    main()
