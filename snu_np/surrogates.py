"""The step function h and its pseudo-derivatives (surrogate gradients).

The SNU's output is a step, ``y = 1 if u > 0 else 0`` with ``u = s + b``. Its true derivative is zero
everywhere except at ``u = 0``, so no gradient would flow. The backward pass therefore uses a
*pseudo-derivative* ``h'(u)``: a smooth bump around zero. Each one below is the derivative of a
smooth function (its ``primitive``) that looks like a step; the tests use that fact to check the
SNU's backward pass by finite differences (docs: derivations/surrogates.md).

Every surrogate has a ``scale`` (alpha): it sets how wide the bump is (larger alpha = narrower bump,
except for the boxcar, whose alpha *is* its width), and all peak at 1 for the default scale, so
switching surrogates does not silently change the learning rate.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ._validate import check_real
from .constants import ARCTAN, BOXCAR, FAST_SIGMOID, SIGMOID, SURROGATE_NAMES, TANH


def step(u):
    """Heaviside step ``h(u) = 1 if u > 0 else 0``, in ``u``'s dtype. Docs: :eq:`snu-output`."""
    return (u > 0).astype(u.dtype)


def sigmoid(u):
    """Logistic sigmoid, computed without overflow for large ``abs(u)``. Docs: :eq:`ssnu-output`.

    With e = exp(-abs(u)) in (0, 1]: sigmoid(u) = 1 / (1 + e) for u >= 0 and e / (1 + e) for u < 0.
    """
    u = np.asarray(u)
    return sigmoid_from_exp(u, np.exp(-np.abs(u)))


def sigmoid_from_exp(u, e):
    """The sigmoid of ``u`` from ``e = exp(-abs(u))``, for a caller that needs e too (the Bernoulli
    NLL's log1p(e)): the formula of :func:`sigmoid`, which calls it."""
    return np.where(u >= 0, 1.0, e) / (1.0 + e)


class Surrogate(ABC):
    """A pseudo-derivative of the step.

    Attributes
    ----------
    name : str
        Key used by ``SNU(surrogate=...)``.
    code : int
        The integer the Numba kernels use to pick the same formula (``snu_np.constants.SURROGATE_CODES``).
    scale : float
        alpha, the width parameter (larger = narrower bump; for the boxcar, alpha is the width).
    formula : str
        The pseudo-derivative as LaTeX (matplotlib mathtext compatible).
    primitive_formula : str
        The function whose derivative it is, as LaTeX.
    """

    name = ""
    code = -1
    default_scale = 1.0
    formula = ""
    primitive_formula = ""
    label = ""

    def __init__(self, scale=None):
        scale = self.default_scale if scale is None else scale
        self.scale = check_real(scale, "scale", low=0.0, low_open=True)

    def __call__(self, u):
        """The pseudo-derivative h'(u), elementwise."""
        return self.grad(u)

    def fn(self, u):
        """The forward pass: the Heaviside step (whatever the surrogate)."""
        return step(u)

    @abstractmethod
    def grad(self, u):
        """The pseudo-derivative h'(u), elementwise."""

    @abstractmethod
    def primitive(self, u):
        """The smooth step-like function whose derivative ``grad`` is."""

    def __repr__(self):
        return f"{type(self).__name__}(scale={self.scale:g})"


class Tanh(Surrogate):
    """``h'(u) = 1 - tanh^2(alpha u)`` — the authors' choice (alpha = 1). Docs: :eq:`surr-tanh`."""

    name, code, default_scale = "tanh", TANH, 1.0
    formula = r"$1-\tanh^2(\alpha u)$"
    primitive_formula = r"$\tanh(\alpha u)/\alpha$"
    label = "surr-tanh"

    def grad(self, u):
        t = np.tanh(self.scale * u)
        return 1.0 - t * t

    def primitive(self, u):
        return np.tanh(self.scale * u) / self.scale


class Sigmoid(Surrogate):
    """``h'(u) = alpha sigma(alpha u)(1 - sigma(alpha u))``, peak alpha/4 (alpha = 4). Docs: :eq:`surr-sigmoid`."""

    name, code, default_scale = "sigmoid", SIGMOID, 4.0
    formula = r"$\alpha\,\sigma(\alpha u)\,(1-\sigma(\alpha u))$"
    primitive_formula = r"$\sigma(\alpha u)$"
    label = "surr-sigmoid"

    def grad(self, u):
        p = sigmoid(self.scale * np.asarray(u))
        return self.scale * p * (1.0 - p)

    def primitive(self, u):
        return sigmoid(self.scale * np.asarray(u))


class Boxcar(Surrogate):
    """``h'(u) = 1 if |u| < alpha/2 else 0`` (alpha = width 1). Docs: :eq:`surr-boxcar`.

    Its primitive is the ramp ``clip(u + alpha/2, 0, alpha)``, whose slope is 1 inside the box.
    """

    name, code, default_scale = "boxcar", BOXCAR, 1.0
    formula = r"$\mathbb{1}[|u| < \alpha/2]$"
    primitive_formula = r"$\mathrm{clip}(u+\alpha/2,\ 0,\ \alpha)$"
    label = "surr-boxcar"

    def grad(self, u):
        u = np.asarray(u)
        return (np.abs(u) < 0.5 * self.scale).astype(u.dtype if u.dtype.kind == "f" else np.float64)

    def primitive(self, u):
        return np.clip(np.asarray(u) + 0.5 * self.scale, 0.0, self.scale)


class FastSigmoid(Surrogate):
    """``h'(u) = 1 / (1 + alpha |u|)^2`` (SuperSpike; alpha = 1). Docs: :eq:`surr-fast-sigmoid`."""

    name, code, default_scale = "fast_sigmoid", FAST_SIGMOID, 1.0
    formula = r"$1/(1+\alpha|u|)^2$"
    primitive_formula = r"$u/(1+\alpha|u|)$"
    label = "surr-fast-sigmoid"

    def grad(self, u):
        d = 1.0 + self.scale * np.abs(u)
        return 1.0 / (d * d)

    def primitive(self, u):
        return u / (1.0 + self.scale * np.abs(u))


class Arctan(Surrogate):
    """``h'(u) = 1 / (1 + (alpha u)^2)`` (alpha = 1). Docs: :eq:`surr-arctan`."""

    name, code, default_scale = "arctan", ARCTAN, 1.0
    formula = r"$1/(1+(\alpha u)^2)$"
    primitive_formula = r"$\arctan(\alpha u)/\alpha$"
    label = "surr-arctan"

    def grad(self, u):
        a = self.scale * u
        return 1.0 / (1.0 + a * a)

    def primitive(self, u):
        return np.arctan(self.scale * u) / self.scale


SURROGATES = {cls.name: cls for cls in (Tanh, Sigmoid, Boxcar, FastSigmoid, Arctan)}
assert tuple(SURROGATES) == SURROGATE_NAMES    # constants.SURROGATE_NAMES lists these, in code order


def get_surrogate(surrogate="tanh", scale=None):
    """Return a :class:`Surrogate` from a name (``"tanh"``, ``"sigmoid"``, ``"boxcar"``,
    ``"fast_sigmoid"``, ``"arctan"``) or pass an instance through."""
    if isinstance(surrogate, Surrogate):
        if scale is not None:
            return type(surrogate)(scale)
        return surrogate
    if surrogate not in SURROGATES:
        raise ValueError(f"surrogate must be one of {sorted(SURROGATES)} or a Surrogate, got {surrogate!r}")
    return SURROGATES[surrogate](scale)
