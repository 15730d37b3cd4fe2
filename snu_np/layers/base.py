"""What every layer has: ``params`` and ``grads`` with the same keys, ``forward``/``backward``.

A layer maps a sequence ``x`` of shape (T, B, n_in) to ``y`` of shape (T, B, n_out). ``forward``
keeps what ``backward`` needs; ``backward(dy)`` fills ``grads`` (overwriting, not accumulating across
calls) and returns ``dx``. Per-call options are arguments, never attributes set on the layer (one
layer object may serve several threads, see ``snu_np.parallel``):

* ``forward(x, check_finite=True)`` and ``backward(dy, need_dx=True, check_finite=True)``:
  ``check_finite=False`` skips the O(size) scan for NaN and inf of an array whose shape and dtype
  are right (``Sequential`` passes it for what one of its layers hands to the next: NaN born inside
  the network still reaches the loss and the gradients, where training stops on it);
* ``need_dx=False`` returns dx = None without computing it (the first layer's input gradient,
  which training never reads).
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .. import backend as _backend
from .._validate import as_float_array, as_param_array, as_rng, check_int, check_sequence, check_shape


def glorot_uniform(rng, n_in, n_out, dtype):
    """Glorot/Xavier uniform weights, U(-a, a) with a = sqrt(6 / (n_in + n_out)); shape (n_in, n_out)."""
    a = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-a, a, size=(n_in, n_out)).astype(dtype)


class Layer(ABC):
    """Base class. Subclasses set ``n_in``, ``n_out``, ``dtype``, ``params`` and implement
    ``forward`` and ``backward``."""

    kind = "layer"
    #: None follows ``snu_np.set_backend``; layers with a choice take it as a constructor argument
    backend = None

    def __init__(self, n_in, n_out, dtype=np.float64, seed=None):
        from .._validate import check_float_dtype
        self.n_in = check_int(n_in, "n_in", low=1)
        self.n_out = check_int(n_out, "n_out", low=1)
        self.dtype = check_float_dtype(dtype)
        self.rng = as_rng(seed)
        self.params = {}
        self.grads = {}
        self.cache = None

    # --- what subclasses implement -------------------------------------------------------------
    @abstractmethod
    def forward(self, x, check_finite=True):
        """x (T, B, n_in) -> y (T, B, n_out); keeps what backward needs in ``self.cache``."""

    @abstractmethod
    def backward(self, dy, need_dx=True, check_finite=True):
        """dy (T, B, n_out) -> dx (T, B, n_in), or None if not ``need_dx``; fills ``self.grads``."""

    def resolved_backend(self):
        """The backend this layer runs on now: its own choice, or the global one."""
        return _backend.resolve(self.backend)

    def get_config(self):
        """The constructor arguments (JSON-serialisable) that rebuild this layer."""
        return {"n_in": self.n_in, "n_out": self.n_out, "dtype": self.dtype.name}

    def constrain(self):
        """Project parameters back into their allowed range after an optimiser step."""

    # --- shared helpers ------------------------------------------------------------------------
    @property
    def n_params(self):
        """Number of trainable scalars."""
        return int(sum(np.size(p) for p in self.params.values()))

    def zero_grad(self):
        for k, p in self.params.items():
            self.grads[k] = np.zeros_like(p)

    def _check_input(self, x, check_finite=True):
        """x as a (T, B, n_in) array of the layer's dtype, T >= 1 and B >= 1; finite unless
        ``check_finite`` is False."""
        if (not check_finite and isinstance(x, np.ndarray) and x.dtype == self.dtype and x.ndim == 3
                and x.shape[2] == self.n_in):
            return check_sequence(x, "x")
        x = as_float_array(x, "x", ndim=3)
        if x.shape[2] != self.n_in:
            raise ValueError(f"x must have shape (T, B, {self.n_in}) for this {type(self).__name__} "
                             f"(n_in={self.n_in}), got {x.shape}")
        check_sequence(x, "x")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        return x

    def _check_dy(self, dy, check_finite=True):
        """dy as a (T, B, n_out) array of the layer's dtype matching the last forward pass."""
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        T, B = self.cache["x"].shape[:2]
        if (not check_finite and isinstance(dy, np.ndarray) and dy.dtype == self.dtype
                and dy.shape == (T, B, self.n_out)):
            return dy
        dy = as_float_array(dy, "dy", ndim=3)
        check_shape(dy, (T, B, self.n_out), "dy")
        return dy.astype(self.dtype, copy=False)

    def check_params(self, **arrays):
        """The arrays ``set_params`` would write, each checked as the constructor's own are (a known
        name, real, finite, the parameter's shape; cast to the layer's dtype), and by
        :meth:`_check_param_values`. Raises before anything is written."""
        out = {}
        for k, v in arrays.items():
            if k not in self.params:
                raise KeyError(f"{type(self).__name__} has no parameter {k!r}; it has {sorted(self.params)}")
            out[k] = as_param_array(v, k, self.params[k].shape, self.dtype)
        self._check_param_values(out)
        return out

    def _check_param_values(self, arrays):
        """Subclasses: raise ValueError if a checked parameter is outside its allowed range."""

    def set_params(self, **arrays):
        """Replace parameters by arrays of the same shape (cast to the layer's dtype), in place;
        all are checked (:meth:`check_params`) before any is written."""
        for k, v in self.check_params(**arrays).items():
            self.params[k][...] = v

    def __repr__(self):
        cfg = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({cfg})"
