"""Non-spiking recurrent baselines as layer objects: ``RNN`` (tanh), ``LSTM`` and ``GRU``.

Each maps x (T, B, n_in) to the hidden states h (T, B, n_out) and keeps what BPTT needs. Parameters
(the same names for all three, gates concatenated along the last axis):

=========  ==========================  ===================  ==================================
layer      W                           H (recurrent)        b
=========  ==========================  ===================  ==================================
RNN        (n_in, n_out)               (n_out, n_out)       (n_out,)
LSTM       (n_in, 4 n_out) [i,f,g,o]   (n_out, 4 n_out)     (4 n_out,), forget part = 1.0
GRU        (n_in, 3 n_out) [r,z,n]     (n_out, 3 n_out)     (3 n_out,)
=========  ==========================  ===================  ==================================

Initialisation: each gate block of W is Glorot-uniform on (n_in, n_out); each gate block of H is a
random orthogonal (n_out, n_out) matrix (Saxe et al. 2014); biases are 0 except the LSTM forget gate
(``forget_bias``, default 1.0, Jozefowicz et al. 2015). All drawn from the layer's ``self.rng``.

Backends: ``"numpy"`` runs the reference in ``snu_np.functional.{rnn,lstm,gru}`` (one visible loop
per direction, step functions inside). ``"numba"`` runs the fast path in ``snu_np.kernels.recurrent``:
the input projection x W of all steps and the weight gradients are one matrix product each, the
recurrent product h_{t-1} H stays a NumPy call per step, and the LSTM/GRU gate math is a fused jitted
loop (the RNN's tanh is not worth a kernel). Both leave the same ``cache``, so forward and backward
may run on different backends.

Registration: this module calls ``register_layer`` for the three classes on import, so
``Sequential.from_config`` knows the kinds "rnn", "lstm", "gru" once it has been imported.
"""
from __future__ import annotations

import numpy as np

from .. import backend as _backend
from .._validate import check_real
from ..functional import gru as FG
from ..functional import lstm as FL
from ..functional import rnn as FR
from ..kernels import recurrent as K
from . import register_layer
from .base import Layer, glorot_uniform


def orthogonal(rng, n, dtype):
    """A random orthogonal (n, n) matrix, uniform over O(n): QR of a Gaussian with sign fix."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    q = q * np.sign(np.diag(r))
    return q.astype(dtype)


class _Recurrent(Layer):
    """Shared parts: parameters of ``n_gates`` blocks, backend choice, config."""

    n_gates = 1

    def __init__(self, n_in, n_out, dtype=np.float64, seed=None, backend=None):
        super().__init__(n_in, n_out, dtype, seed)
        self.backend = _backend.resolve(backend) if backend is not None else None
        k, n = self.n_gates, self.n_out
        self.params["W"] = np.concatenate(
            [glorot_uniform(self.rng, self.n_in, n, self.dtype) for _ in range(k)], axis=1)
        self.params["H"] = np.concatenate([orthogonal(self.rng, n, self.dtype) for _ in range(k)], axis=1)
        self.params["b"] = np.zeros(k * n, dtype=self.dtype)
        self.zero_grad()

    def get_config(self):
        cfg = super().get_config()
        cfg.update(backend=self.backend)
        return cfg

    #: backend -> (forward, backward): the reference and its twin, with the same arguments and cache
    routes = {}

    def forward(self, x, check_finite=True):
        """x (T, B, n_in) -> h (T, B, n_out). ``check_finite``: see :mod:`snu_np.layers.base`."""
        x = self._check_input(x, check_finite)
        forward = self.routes[self.resolved_backend()][0]
        out = forward(x, self.params["W"], self.params["H"], self.params["b"])
        self.cache = out[-1]
        return out[0]

    def backward(self, dy, need_dx=True, check_finite=True):
        """dy (T, B, n_out) -> dx (T, B, n_in), or None if not ``need_dx``; fills ``self.grads``."""
        dy = self._check_dy(dy, check_finite)
        backward = self.routes[self.resolved_backend()][1]
        cache = dict(self.cache, W=self.params["W"], H=self.params["H"], b=self.params["b"])
        dx, grads = backward(dy, cache, need_dx=need_dx)
        for k in ("W", "H", "b"):
            self.grads[k] = np.asarray(grads[k], dtype=self.dtype)
        return dx


class RNN(_Recurrent):
    """A layer of tanh RNN units: ``h_t = tanh(x_t W + h_{t-1} H + b)``, h_0 = 0.

    Docs: :eq:`rnn-step`; backward :eq:`rnn-bptt`.

    Parameters
    ----------
    n_in, n_out : int
    dtype : np.float32 or np.float64
    seed : None, int or numpy.random.Generator (initial weights)
    backend : None, "numpy" or "numba" (None follows ``snu_np.set_backend``). The RNN has no gate
        math worth a kernel: "numba" only batches the input projection and weight gradients.

    ``params``/``grads``: "W" (n_in, n_out), "H" (n_out, n_out), "b" (n_out,):
    n_in*n_out + n_out^2 + n_out parameters. ``cache`` after forward: "x", "h" (T, B, n_out).
    """

    kind = "rnn"
    n_gates = 1
    routes = {"numpy": (FR.rnn_forward, FR.rnn_backward), "numba": (K.rnn_forward_fast, K.rnn_backward_fast)}



class LSTM(_Recurrent):
    """A layer of LSTM units (forget gate, no peepholes), gates [i, f, g, o]:

    ``c_t = f_t * c_{t-1} + i_t * g_t``, ``h_t = o_t * tanh(c_t)``, h_0 = c_0 = 0.
    Docs: :eq:`lstm-step`; backward :eq:`lstm-bptt`.

    Parameters
    ----------
    n_in, n_out : int
    forget_bias : float, initial value of the forget-gate part of b (1.0: remember by default)
    dtype, seed, backend : as for :class:`RNN`

    ``params``/``grads``: "W" (n_in, 4 n_out), "H" (n_out, 4 n_out), "b" (4 n_out,):
    4 (n_in*n_out + n_out^2 + n_out) parameters. ``cache`` after forward: "x", "h", "c" (T, B, n_out)
    and "gates" (T, B, 4 n_out).
    """

    kind = "lstm"
    n_gates = 4
    routes = {"numpy": (FL.lstm_forward, FL.lstm_backward), "numba": (K.lstm_forward_fast, K.lstm_backward_fast)}

    def __init__(self, n_in, n_out, forget_bias=1.0, dtype=np.float64, seed=None, backend=None):
        super().__init__(n_in, n_out, dtype, seed, backend)
        self.forget_bias = check_real(forget_bias, "forget_bias")
        self.params["b"][self.n_out:2 * self.n_out] = self.forget_bias

    def get_config(self):
        cfg = super().get_config()
        cfg.update(forget_bias=self.forget_bias)
        return cfg



class GRU(_Recurrent):
    """A layer of GRUs in the original form of Cho et al. (2014), gates [r, z, n]:

    ``n_t = tanh(x_t W_n + (r_t * h_{t-1}) H_n + b_n)``, ``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``,
    h_0 = 0. (PyTorch applies r after the product, with a second bias; see the docs.)
    Docs: :eq:`gru-step`; backward :eq:`gru-bptt`.

    Parameters
    ----------
    n_in, n_out : int
    dtype, seed, backend : as for :class:`RNN`

    ``params``/``grads``: "W" (n_in, 3 n_out), "H" (n_out, 3 n_out), "b" (3 n_out,):
    3 (n_in*n_out + n_out^2 + n_out) parameters. ``cache`` after forward: "x", "h" (T, B, n_out),
    "gates" (T, B, 3 n_out).
    """

    kind = "gru"
    n_gates = 3
    routes = {"numpy": (FG.gru_forward, FG.gru_backward), "numba": (K.gru_forward_fast, K.gru_backward_fast)}



for _cls in (RNN, LSTM, GRU):
    register_layer(_cls)

__all__ = ["RNN", "LSTM", "GRU", "orthogonal"]
