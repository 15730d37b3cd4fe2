"""The SNU layer object: parameters, initialisation, and the choice of backend.

The layer keeps the parameters and picks the function: ``snu_np.functional.snu`` (the reference)
or its twin ``snu_np.kernels.snu`` (the fast path), which take the same arguments and leave the same
cache, so a forward pass on one backend may be followed by a backward pass on the other.
"""
from __future__ import annotations

import numpy as np

from .. import backend as _backend
from .._validate import check_choice, check_real
from ..constants import G_CHOICES
from ..functional import snu as F
from ..kernels import snu as K
from ..surrogates import get_surrogate
from .base import Layer, glorot_uniform


class SNU(Layer):
    """A layer of Spiking Neural Units (``soft=False``) or soft SNUs (``soft=True``).

    Docs: :eq:`snu-state`, :eq:`snu-output`, :eq:`ssnu-output`; backward: :eq:`bptt-loop`.

    Parameters
    ----------
    n_in, n_out : int
        Input and output sizes.
    soft : bool
        Sigmoid output (sSNU) instead of the step (SNU).
    recurrent : bool
        Add the recurrent term ``y_{t-1} H`` with trainable H (n_out, n_out).
    decay : float in [0, 1]
        l(tau) = 1 - dt/tau, the membrane decay per step (0.8 in the paper).
    train_decay : bool
        Make decay a trainable parameter ``params["decay"]`` (a 0-d array), kept in [0, 1].
    g : "relu" | "identity" | "leaky_relu"
        The state non-linearity.
    surrogate : str or Surrogate
        Pseudo-derivative of the step for the backward pass (SNU only): "tanh" (default, the
        authors'), "sigmoid", "boxcar", "fast_sigmoid", "arctan".
    surrogate_scale : float, optional
        The surrogate's width parameter alpha (default: that surrogate's default).
    detach_reset : bool
        Drop the gradient through the reset gate (1 - y_{t-1}).
    threshold : float
        Initial threshold; ``b`` starts at ``-threshold``.
    h_scale : float >= 0
        Recurrent layers: H starts as Glorot-uniform times this factor (a smaller H can train
        better; see docs/results.md).
    dtype : np.float32 or np.float64
    seed : None, int or numpy.random.Generator
        For the Glorot-uniform initial weights.
    backend : None, "numpy" or "numba"
        None follows ``snu_np.set_backend``.

    Attributes
    ----------
    params, grads : dict with keys "W" (n_in, n_out), "b" (n_out,), and "H" (n_out, n_out) when
        recurrent, "decay" () when trainable.
    cache : after ``forward``, the dict of ``functional.snu.snu_forward``: "x", "s" and "y" of
        shape (T, B, ·) (handy for plots), and the parameters and options they were computed with.
    """

    kind = "snu"

    def __init__(self, n_in, n_out, soft=False, recurrent=False, decay=0.8, train_decay=False,
                 g="relu", surrogate="tanh", surrogate_scale=None, detach_reset=False,
                 threshold=1.0, dtype=np.float64, seed=None, backend=None, h_scale=1.0):
        super().__init__(n_in, n_out, dtype, seed)
        self.soft = bool(soft)
        self.recurrent = bool(recurrent)
        self.train_decay = bool(train_decay)
        self.g = check_choice(g, "g", G_CHOICES)
        self.surrogate = get_surrogate(surrogate, surrogate_scale)
        self.detach_reset = bool(detach_reset)
        self.threshold = check_real(threshold, "threshold")
        self.backend = _backend.resolve(backend) if backend is not None else None
        self._decay = check_real(decay, "decay", 0.0, 1.0)
        h_scale = check_real(h_scale, "h_scale", low=0.0)
        self.params["W"] = glorot_uniform(self.rng, self.n_in, self.n_out, self.dtype)
        self.params["b"] = np.full(self.n_out, -self.threshold, dtype=self.dtype)
        if self.recurrent:
            self.params["H"] = glorot_uniform(self.rng, self.n_out, self.n_out, self.dtype)
            self.params["H"] *= self.dtype.type(h_scale)
        if self.train_decay:
            self.params["decay"] = np.array(self._decay, dtype=self.dtype)
        self.zero_grad()

    def resolved_backend(self):
        """The backend this layer runs on now. A surrogate that is not exactly one of the built-in
        classes (a student's own subclass) has no Numba twin: the reference runs it, whatever the
        setting."""
        if not K.has_kernel(self.surrogate):
            return "numpy"
        return _backend.resolve(self.backend)

    def _check_param_values(self, arrays):
        if "decay" in arrays:
            check_real(arrays["decay"], "decay", 0.0, 1.0)

    @property
    def decay(self):
        """The current decay (a float), trainable or not."""
        return float(self.params["decay"]) if self.train_decay else self._decay

    def constrain(self):
        if self.train_decay:
            np.clip(self.params["decay"], 0.0, 1.0, out=self.params["decay"])

    def get_config(self):
        cfg = super().get_config()
        cfg.update(soft=self.soft, recurrent=self.recurrent, decay=self.decay,
                   train_decay=self.train_decay, g=self.g, surrogate=self.surrogate.name,
                   surrogate_scale=self.surrogate.scale, detach_reset=self.detach_reset,
                   threshold=self.threshold, backend=self.backend)
        return cfg

    def forward(self, x, check_finite=True):
        """x (T, B, n_in) -> y (T, B, n_out); keeps s and y (T, B, n_out) in ``self.cache``, with the
        rest of the reference's cache. ``check_finite``: see :mod:`snu_np.layers.base`."""
        x = self._check_input(x, check_finite)
        forward = _FORWARD[self.resolved_backend()]
        _, y, self.cache = forward(x, self.params["W"], self.params["b"], self.decay, self.params.get("H"),
                                   self.soft, self.g, self.surrogate)
        return y

    def backward(self, dy, need_dx=True, check_finite=True):
        """dy (T, B, n_out) -> dx (T, B, n_in), or None if not ``need_dx``; fills ``self.grads``."""
        dy = self._check_dy(dy, check_finite)
        backward = _BACKWARD[self.resolved_backend()]
        dx, g = backward(dy, self.cache, self.detach_reset, need_dx=need_dx)
        self.grads["W"] = g["W"]
        self.grads["b"] = np.asarray(g["b"], dtype=self.dtype)
        if self.recurrent:
            self.grads["H"] = g["H"]
        if self.train_decay:
            self.grads["decay"] = np.array(g["decay"], dtype=self.dtype)
        return dx


# one forward and one backward function per backend, with the same arguments and cache
_FORWARD = {"numpy": F.snu_forward, "numba": K.snu_forward}
_BACKWARD = {"numpy": F.snu_backward, "numba": K.snu_backward}
