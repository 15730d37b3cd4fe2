"""Optimisers that update a network's parameters in place, and gradient-norm clipping.

Each optimiser takes the model (anything with ``parameters() -> [(name, param, grad), ...]`` and,
optionally, ``constrain()`` and ``backend``), reads the current ``grads`` at every ``step()``, and
keeps its own state in ``state_dict()`` so that a resumed run continues exactly. An optimiser with a
fused kernel (Adam) runs it when the model's layers run on numba (``Sequential.backend``, read at
every step), not by the global setting; a model without ``backend`` follows the global setting.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import contextmanager

import numpy as np

from ._validate import all_finite, check_real


def clip_grad_norm(model, max_norm):
    """Scale all gradients so that their global L2 norm is at most ``max_norm``; return the norm before."""
    max_norm = check_real(max_norm, "max_norm", low=0.0, low_open=True)
    grads = [g for _, _, g in model.parameters()]
    norm = float(np.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads)))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / (norm + 1e-12)
    return norm


class Optimizer(ABC):
    """Base class: ``step()`` updates every parameter from its current gradient.

    ``weight_decay`` (lambda >= 0) shrinks every weight matrix (W, H: the parameters with two or more
    dimensions, not biases, thresholds or decays) by ``p <- (1 - lr * lambda) p`` before the
    optimiser's own step: decoupled weight decay scaled by the learning rate, the convention of
    PyTorch's AdamW (Loshchilov & Hutter 2019 scale lambda by the schedule multiplier, not by lr);
    for plain SGD the same as an L2 penalty ``lambda / 2 * sum(p**2)`` in the loss.

    ``ema`` (beta in (0, 1), or None) keeps an exponential moving average of every parameter over
    the updates (Polyak averaging; Keras optimisers call it ``use_ema``), :eq:`ema`::

        m_t = beta m_{t-1} + (1 - beta) p_t,    p_avg = m_t / (1 - beta^t)

    The division removes the pull towards m_0 = 0, as Adam's bias correction does, so ``p_avg`` is
    a weighted mean of the iterates p_1 ... p_t with weights proportional to beta^(t - k): it
    remembers about 1 / (1 - beta) updates. The average is kept in float64. Training never uses it;
    :meth:`averaged` swaps it in, e.g. for evaluation.
    """

    def __init__(self, model, lr, weight_decay=0.0, ema=None):
        if not hasattr(model, "parameters"):
            raise TypeError("model must have a parameters() method (e.g. a Sequential)")
        self.model = model
        self.lr = check_real(lr, "lr", low=0.0, low_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
        self.ema = None if ema is None else check_real(ema, "ema", 0.0, 1.0, low_open=True, high_open=True)
        self.avg = None if ema is None else {name: np.zeros(p.shape, np.float64)
                                             for name, p, _ in model.parameters()}
        self.t = 0

    def step(self):
        """Update every parameter; raise FloatingPointError, before changing any, if a gradient
        holds NaN or inf."""
        self.t += 1
        params = list(self.model.parameters())
        for name, _, g in params:
            if not all_finite(g):
                raise FloatingPointError(f"the gradient of parameter {name} contains NaN or inf "
                                         f"at update {self.t}")
        backend = self._backend()
        for name, p, g in params:
            if self.weight_decay and p.ndim >= 2:
                p *= p.dtype.type(1.0 - self.lr * self.weight_decay)
            self._update(name, p, g, backend)
        if hasattr(self.model, "constrain"):
            self.model.constrain()
        if self.ema is not None:
            for name, p, _ in params:                 # m_t = beta m_{t-1} + (1 - beta) p_t   (eq. ema)
                m = self.avg[name]
                m *= self.ema
                m += (1.0 - self.ema) * p

    def average(self, name):
        """The bias-corrected moving average of parameter ``name`` (float64), :eq:`ema`."""
        if self.ema is None:
            raise ValueError("this optimiser keeps no average (it was made with ema=None)")
        if self.t == 0:
            raise ValueError("no update yet, so there is no average")
        return self.avg[name] / (1.0 - self.ema ** self.t)

    @contextmanager
    def averaged(self):
        """``with opt.averaged(): ...`` runs the block with the averaged parameters in the model and
        puts the live ones back afterwards, however the block ends. Without ``ema``, or before the
        first update, the block sees the live parameters."""
        if self.ema is None or self.t == 0:
            yield self.model
            return
        params = list(self.model.parameters())
        live = {name: p.copy() for name, p, _ in params}
        try:
            for name, p, _ in params:
                p[...] = self.average(name)
            yield self.model
        finally:
            for name, p, _ in params:
                p[...] = live[name]

    def _backend(self):
        """The backend of this step: the model's (``Sequential.backend``), else the global one."""
        backend = getattr(self.model, "backend", None)
        if backend is None:
            from .backend import get_backend
            backend = get_backend()
        return backend

    @abstractmethod
    def _update(self, name, p, g, backend):
        """Update parameter ``p`` in place from its gradient ``g``; ``backend`` is "numpy" or "numba"."""

    #: the constructor arguments that :meth:`hyper` reports (subclasses add theirs)
    HYPER = ("lr", "weight_decay", "ema")

    def hyper(self):
        """``{name: value}`` of the hyper-parameters that rebuild this optimiser (checkpoints record it)."""
        return {k: float(getattr(self, k)) for k in self.HYPER if getattr(self, k, None) is not None}

    #: names of the per-parameter state arrays (dicts ``name -> array``) that checkpoints keep
    BUFFERS = ()

    def state_dict(self):
        d = {"t": np.array(self.t), "lr": np.array(self.lr)}
        if self.ema is not None:
            d.update({f"avg/{k}": a for k, a in self.avg.items()})
        for buf in self.BUFFERS:
            d.update({f"{buf}/{k}": a for k, a in getattr(self, buf).items()})
        return d

    def load_state_dict(self, state):
        if self.ema is not None:
            missing = [k for k in self.avg if f"avg/{k}" not in state]
            if missing:
                raise KeyError(f"the saved optimiser state has no moving average of {', '.join(missing)} "
                               f"(was it saved without ema?)")
            for k in self.avg:
                self.avg[k][...] = state[f"avg/{k}"]
        self.t = int(state["t"])
        self.lr = float(state["lr"])
        for buf in self.BUFFERS:
            for k, a in getattr(self, buf).items():
                a[...] = state[f"{buf}/{k}"]


class SGD(Optimizer):
    """SGD with (optional) momentum: v = mu v - lr g;  p += v."""

    HYPER = Optimizer.HYPER + ("momentum",)
    BUFFERS = ("v",)

    def __init__(self, model, lr=0.01, momentum=0.0, weight_decay=0.0, ema=None):
        super().__init__(model, lr, weight_decay, ema)
        self.momentum = check_real(momentum, "momentum", 0.0, 1.0, high_open=True)
        self.v = {name: np.zeros_like(p) for name, p, _ in model.parameters()}

    def _update(self, name, p, g, backend):
        v = self.v[name]
        v *= self.momentum
        v -= self.lr * g
        p += v



class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction."""

    HYPER = Optimizer.HYPER + ("beta1", "beta2", "eps")
    BUFFERS = ("m", "v")

    def __init__(self, model, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, ema=None):
        super().__init__(model, lr, weight_decay, ema)
        self.beta1 = check_real(beta1, "beta1", 0.0, 1.0, high_open=True)
        self.beta2 = check_real(beta2, "beta2", 0.0, 1.0, high_open=True)
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)
        self.m = {name: np.zeros_like(p) for name, p, _ in model.parameters()}
        self.v = {name: np.zeros_like(p) for name, p, _ in model.parameters()}

    def _update(self, name, p, g, backend):
        if backend == "numba" and p.flags.c_contiguous and g.flags.c_contiguous:
            from .kernels.optim import adam_update_kernel
            adam_update_kernel(p.reshape(-1), np.ascontiguousarray(g, dtype=p.dtype).reshape(-1),
                               self.m[name].reshape(-1), self.v[name].reshape(-1), self.lr, self.beta1,
                               self.beta2, self.eps, 1.0 - self.beta1 ** self.t, 1.0 - self.beta2 ** self.t)
        else:
            self._update_reference(name, p, g)

    def _update_reference(self, name, p, g):
        """Adam as NumPy expressions, the reference the Numba kernel must equal bit for bit: the
        same operations in the same order, each in the parameter's dtype. So 1 - beta is computed in
        that dtype too (in float32, 1 - float32(0.999) = 0.00099998713, not float32(0.001))."""
        m, v = self.m[name], self.v[name]
        dt = p.dtype.type
        b1, b2 = dt(self.beta1), dt(self.beta2)
        m *= b1
        m += (dt(1.0) - b1) * g
        v *= b2
        v += (dt(1.0) - b2) * g * g
        mhat = m / dt(1.0 - self.beta1 ** self.t)
        vhat = v / dt(1.0 - self.beta2 ** self.t)
        p -= dt(self.lr) * mhat / (np.sqrt(vhat) + dt(self.eps))



OPTIMIZERS = {"sgd": SGD, "adam": Adam}
