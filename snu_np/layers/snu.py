"""The SNU layer object: parameters, initialisation, and the choice of backend."""
from __future__ import annotations

import numpy as np

from .. import backend as _backend
from .._validate import check_choice, check_real
from ..functional import snu as F
from ..functional.activations import G_CODES
from ..surrogates import SURROGATES, get_surrogate
from .base import Layer, glorot_uniform


_NUMPY_SIGMOID_MIN = 1024                  # B * n_out from which the sSNU's sigmoid runs in NumPy


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
        Recurrent layers: H starts as Glorot-uniform times this factor. From a full-size H the
        recurrent SNU trains poorly on music (JSB test NLL 10.8 with 1, 8.77 with 0; the sSNU 8.36
        with 0.1; docs/results.md).
    dtype : np.float32 or np.float64
    seed : None, int or numpy.random.Generator
        For the Glorot-uniform initial weights.
    backend : None, "numpy" or "numba"
        None follows ``snu_np.set_backend``.

    Attributes
    ----------
    params, grads : dict with keys "W" (n_in, n_out), "b" (n_out,), and "H" (n_out, n_out) when
        recurrent, "decay" () when trainable.
    cache : after ``forward``: "x", "s" and "y" of shape (T, B, ·) (handy for plots).
    """

    kind = "snu"

    def __init__(self, n_in, n_out, soft=False, recurrent=False, decay=0.8, train_decay=False,
                 g="relu", surrogate="tanh", surrogate_scale=None, detach_reset=False,
                 threshold=1.0, dtype=np.float64, seed=None, backend=None, h_scale=1.0):
        super().__init__(n_in, n_out, dtype, seed)
        self.soft = bool(soft)
        self.recurrent = bool(recurrent)
        self.train_decay = bool(train_decay)
        self.g = check_choice(g, "g", G_CODES)
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

    def _backend(self):
        """The backend this call runs on. A surrogate that is not exactly one of the built-in classes
        (a student's own subclass) has no Numba twin: the reference runs it, whatever the setting."""
        if type(self.surrogate) is not SURROGATES.get(self.surrogate.name):
            return "numpy"
        return _backend.resolve(self.backend)

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

    def forward(self, x):
        """x (T, B, n_in) -> y (T, B, n_out); keeps s and y in ``self.cache``."""
        x = self._check_input(x)
        W, b, H = self.params["W"], self.params["b"], self.params.get("H")
        if self._backend() == "numpy":
            s, y, self.cache = F.snu_forward(x, W, b, self.decay, H, self.soft, self.g, self.surrogate)
            return y
        from ..kernels import snu as K
        T, B, _ = x.shape
        a = (x.reshape(T * B, self.n_in) @ W).reshape(T, B, self.n_out)   # x_t W for all t: one GEMM
        s = np.empty_like(a)
        y = np.empty_like(a)
        decay, g = self.dtype.type(self.decay), G_CODES[self.g]
        # a wide sSNU layer leaves each step's sigmoid to NumPy's SIMD exp (measured: the forward of a
        # 256-unit layer at B=128, T=20 in 5.0 ms instead of 8.5, the input GEMM included); narrow
        # ones (music, B=1) stay in one kernel call, where per-step NumPy calls would cost more
        numpy_sigmoid = self.soft and B * self.n_out >= _NUMPY_SIGMOID_MIN
        if not self.recurrent and not numpy_sigmoid:
            K.snu_forward_kernel(a, b, decay, self.soft, g, s, y)
        else:                                   # y_{t-1} H needs step t-1 first: one step at a time
            soft = K.PRE_SIGMOID if numpy_sigmoid else self.soft
            with np.errstate(over="ignore"):
                for t in range(T):
                    if t > 0 and self.recurrent:
                        a[t] += y[t - 1] @ H
                    K.snu_forward_step(t, a, b, decay, soft, g, s, y)
                    if numpy_sigmoid:
                        K.sigmoid_inplace(y[t])
        self.cache = {"x": x, "s": s, "y": y}
        return y

    def backward(self, dy):
        """dy (T, B, n_out) -> dx (T, B, n_in); fills ``self.grads``."""
        dy = self._check_dy(dy)
        if self._backend() == "numpy" and "W" in self.cache:
            dx, g = F.snu_backward(dy, self.cache, self.detach_reset)
        elif self._backend() == "numpy":
            # forward ran on numba: rebuild the reference cache from the stored sequences
            c = dict(self.cache, W=self.params["W"], b=self.params["b"], decay=self.decay,
                     H=self.params.get("H"), soft=self.soft, g=self.g, surrogate=self.surrogate)
            dx, g = F.snu_backward(dy, c, self.detach_reset)
        else:
            dx, g = self._backward_numba(dy)
        self.grads["W"] = g["W"]
        self.grads["b"] = np.asarray(g["b"], dtype=self.dtype)
        if self.recurrent:
            self.grads["H"] = g["H"]
        if self.train_decay:
            self.grads["decay"] = np.array(g["decay"], dtype=self.dtype)
        return dx

    def _backward_numba(self, dy):
        from ..kernels import snu as K
        x, s, y = self.cache["x"], self.cache["s"], self.cache["y"]
        T, B, _ = x.shape
        n = self.n_out
        W, b = self.params["W"], self.params["b"]
        dh = np.empty_like(s)                     # h'(s + b)
        K.pseudo_grad(s, y, b, self.soft, self.surrogate.code, float(self.surrogate.scale), dh)
        # dz in an array of its own: written over dh, the loop ran 2.3x slower (LLVM's check that
        # the arrays do not overlap fails, and the unvectorised copy of the loop runs instead)
        dz = np.empty_like(s)
        decay, g = self.dtype.type(self.decay), G_CODES[self.g]
        if not self.recurrent:
            db, ddecay = K.snu_backward_kernel(dy, dh, s, y, decay, g, self.detach_reset, dz)
        else:                                     # the reversed loop, with dz_t H^T by NumPy's BLAS
            HT = self.params["H"].T
            db, dd = np.zeros(n), np.zeros(n)
            ds_next = np.zeros((B, n), dtype=self.dtype)
            dy_next = np.zeros((B, n), dtype=self.dtype)
            for t in range(T - 1, -1, -1):
                K.snu_backward_step(t, dy, dh, s, y, decay, g, self.detach_reset, dz,
                                    ds_next, dy_next, db, dd)
                if t > 0:
                    dy_next += dz[t] @ HT                                  # (bptt-carry-y)
            ddecay = dd.sum()
        dz2 = dz.reshape(T * B, n)
        grads = {"W": x.reshape(T * B, self.n_in).T @ dz2, "b": db, "decay": ddecay}  # (bptt-dW)
        if self.recurrent:                                                          # (bptt-dH)
            grads["H"] = y[:-1].reshape((T - 1) * B, n).T @ dz[1:].reshape((T - 1) * B, n)
        dx = (dz2 @ W.T).reshape(T, B, self.n_in) if self.need_dx else None        # (bptt-dx)
        return dx, grads
