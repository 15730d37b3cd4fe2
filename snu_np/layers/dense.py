"""The Dense layer object (one matrix product for all steps; the same code on both backends)."""
from __future__ import annotations

import numpy as np

from .._validate import check_choice, check_real
from ..functional.dense import dense_backward, dense_forward
from .base import Layer, glorot_uniform


class Dense(Layer):
    """A dense layer applied at every time step: ``y_t = act(x_t W + b)``. Docs: :eq:`dense`.

    Parameters
    ----------
    n_in, n_out : int
    activation : "linear" or "sigmoid"
    bias_init : float, initial value of every entry of b
    dtype, seed : as for :class:`~snu_np.SNU`

    ``params``/``grads``: "W" (n_in, n_out), "b" (n_out,).
    """

    kind = "dense"

    def __init__(self, n_in, n_out, activation="linear", bias_init=0.0, dtype=np.float64, seed=None):
        super().__init__(n_in, n_out, dtype, seed)
        self.activation = check_choice(activation, "activation", ("linear", "sigmoid"))
        self.bias_init = check_real(bias_init, "bias_init")
        self.params["W"] = glorot_uniform(self.rng, self.n_in, self.n_out, self.dtype)
        self.params["b"] = np.full(self.n_out, self.bias_init, dtype=self.dtype)
        self.zero_grad()

    def get_config(self):
        cfg = super().get_config()
        cfg.update(activation=self.activation, bias_init=self.bias_init)
        return cfg

    def forward(self, x, check_finite=True):
        """x (T, B, n_in) -> y (T, B, n_out). ``check_finite``: see :mod:`snu_np.layers.base`."""
        x = self._check_input(x, check_finite)
        y, c = dense_forward(x, self.params["W"], self.params["b"], self.activation)
        self.cache = {"x": x, "y": y, "_c": c}
        return y

    def backward(self, dy, need_dx=True, check_finite=True):
        """dy (T, B, n_out) -> dx (T, B, n_in), or None if not ``need_dx``; fills ``self.grads``."""
        dy = self._check_dy(dy, check_finite)
        dx, g = dense_backward(dy, self.cache["_c"], need_dx=need_dx)
        self.grads.update(g)
        return dx
