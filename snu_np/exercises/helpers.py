"""Data and small tools the exercise notebooks use next to the checker.

* :func:`hidden_lif_trace` -- a membrane trace from a LIF neuron whose tau and threshold are hidden
  (exercise 2, as in Gerstner et al.'s *Neuronal Dynamics* exercises);
* :func:`example_images` -- a few small images with content up to the border (exercise 8);
* :func:`make_training_task` -- a small synthetic spike-pattern classification task (exercises 7, 10);
* :func:`bptt_with_reset_term` and :func:`compare_reset_training` -- BPTT through an SNU layer with the
  reset-gradient term supplied by the student, and a kept-vs-detached training comparison (exercise 7);
* :func:`drifted_layer_outputs` -- a linear analog layer's outputs before and after conductance drift
  (exercise 12).

Everything is seeded: the same arguments always give the same numbers.
"""
from __future__ import annotations

import numpy as np

from .. import lif
from ..functional.losses import accuracy, window_mse
from ..functional.snu import snu_step_backward
from ..layers import SNU
from ..network import Sequential
from ..optim import Adam

__all__ = ["hidden_lif_trace", "HIDDEN_TRACE_DT", "example_images", "make_training_task",
           "bptt_with_reset_term", "compare_reset_training", "drifted_layer_outputs"]

# ------------------------------------------------------------------------------ exercise 2: hidden LIF
HIDDEN_TRACE_DT = 0.1          # ms
HIDDEN_TAU_RANGE = (8.0, 30.0)  # ms
HIDDEN_VTH_RANGE = (0.7, 1.5)
HIDDEN_I_WEAK = 0.5            # R I = 0.5 < every threshold: no spike, V relaxes to 0.5
HIDDEN_I_STRONG = 2.0          # R I = 2.0 > every threshold: regular firing


def _hidden_parameters(seed):
    rng = np.random.default_rng([20_200_101, int(seed)])
    tau = float(rng.uniform(*HIDDEN_TAU_RANGE))
    v_th = float(rng.uniform(*HIDDEN_VTH_RANGE))
    return tau, v_th


def hidden_lif_trace(seed=0):
    """A membrane trace of a LIF neuron with a hidden membrane time constant and threshold.

    The neuron (R = 1, v_reset = 0, V_0 = 0) gets, over 300 ms in steps of dt = 0.1 ms:
    no current for 20 ms, a weak step ``I = 0.5`` for 100 ms (too weak to fire: V relaxes to
    R I = 0.5), no current for 30 ms, then a strong step ``I = 2.0`` for 150 ms (regular firing).
    tau is drawn in [8, 30] ms and the threshold in [0.7, 1.5], from ``seed``; they are not returned.

    Returns
    -------
    dict with ``t`` (ms, the end of each step, shape (3000,)), ``I`` and ``V`` (after the reset,
    same shape), ``dt`` (ms) and ``R``.
    """
    tau, v_th = _hidden_parameters(seed)
    dt = HIDDEN_TRACE_DT
    t = lif.time_axis(3000, dt)
    I = np.zeros(t.size)
    I[(t > 20.0) & (t <= 120.0)] = HIDDEN_I_WEAK
    I[t > 150.0] = HIDDEN_I_STRONG
    V, _ = lif.simulate(I, dt, tau, R=1.0, v_th=v_th, v_reset=0.0, method="exact")
    return {"t": t, "I": I, "V": V, "dt": dt, "R": 1.0}


# ------------------------------------------------------------------------- exercise 8: test images
def example_images(n=3, seed=0):
    """``n`` float images (n, 28, 28) in [0, 1]: blurred random blobs that reach the border.

    Unlike MNIST digits (which have an empty 4-pixel margin) they have content in the edge rows and
    columns, so an encoder that wraps pixels around the border (``np.roll``) is caught.
    """
    rng = np.random.default_rng([8, int(seed)])
    yy, xx = np.mgrid[0:28, 0:28]
    out = np.zeros((n, 28, 28))
    for k in range(n):
        img = np.zeros((28, 28))
        for _ in range(5):
            cy, cx = rng.uniform(-2, 29, size=2)
            w = rng.uniform(2.0, 5.0)
            img += rng.uniform(0.5, 1.0) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * w * w))
        out[k] = np.round(np.clip(img, 0.0, 1.0) * 255) / 255      # uint8-like levels
    return out


# ---------------------------------------------------------------------- exercises 7 and 10: the task
def make_training_task(seed=0, n_train=512, n_test=512, T=20, n_in=32, n_classes=4,
                       p_on=0.3, p_off=0.1, group=6):
    """A small spike-pattern classification task, fast to learn on a CPU.

    Each class has two random groups of ``group`` input channels: the first fires with probability
    ``p_on`` per step during the first half of the sequence, the second during the second half; every
    other channel fires with probability ``p_off``. Samples are independent Bernoulli draws.

    Returns
    -------
    dict with ``x_train`` (T, n_train, n_in) and ``x_test`` (T, n_test, n_in) float64 spike trains,
    integer labels ``y_train`` (n_train,) and ``y_test`` (n_test,), and ``n_classes``.
    """
    rng = np.random.default_rng([10, int(seed)])
    proto = np.full((n_classes, T, n_in), p_off)
    for c in range(n_classes):
        first = rng.choice(n_in, group, replace=False)
        second = rng.choice(n_in, group, replace=False)
        proto[c, :T // 2, first] = p_on
        proto[c, T // 2:, second] = p_on

    def sample(n):
        labels = rng.integers(0, n_classes, n)
        x = (rng.random((n, T, n_in)) < proto[labels]).astype(np.float64)
        return np.ascontiguousarray(x.transpose(1, 0, 2)), labels

    x_train, y_train = sample(n_train)
    x_test, y_test = sample(n_test)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test,
            "n_classes": n_classes}


# ------------------------------------------------- exercises 5 and 7: BPTT with a mistake or a reset term
def _bptt_variant(dy, cache, detach_reset=False, m=None, reset_term=None):
    """BPTT through an SNU layer built on the reference step (``snu_step_backward``), either exactly as
    ``snu_np.functional.snu.snu_backward`` (``m=None``, no ``reset_term``) or:

    * with the loop mistake ``m`` of exercise 5 (``"assign"``, ``"off_by_one"``, ``"wraparound"``,
      ``"no_dy_next"``, ``"no_ds_next"``, ``"forward_loop"``, ``"swap_carry"``, ``"ignore_detach"``);
    * with the reset part of dL/dy_{t-1} given by ``reset_term(dz, s_prev, y_prev, decay)`` instead of
      the reference's (exercise 7).

    The only other BPTT loop in the package is the reference itself: the checker calls that one for the
    right answer, and this one only for what a student may get wrong in the loop.

    Returns ``{"dx", "W", "b", "H" (None if feed-forward), "decay"}``.
    """
    x, s, y, W, b, decay, H = (cache[k] for k in ("x", "s", "y", "W", "b", "decay", "H"))
    T, zeros = x.shape[0], np.zeros_like(s[0])

    def previous(t):                       # s_{t-1}, y_{t-1} as the step at t reads them
        if m == "off_by_one":
            return s[t], y[t]
        if m == "wraparound" or t > 0:
            return s[t - 1], y[t - 1]
        return zeros, zeros

    out = {"dx": np.zeros_like(x), "W": 0.0, "b": 0.0, "H": None if H is None else 0.0, "decay": 0.0}
    carry = {"s": zeros, "y": zeros}       # what step t+1 sends back to s_t and y_t
    for t in (range(T) if m == "forward_loop" else reversed(range(T))):
        s_prev, y_prev = previous(t)
        step = (x[t], s_prev, y_prev, s[t], y[t], W, b, decay, H, cache["soft"], cache["g"], cache["surrogate"])
        detach = reset_term is not None or (detach_reset and m != "ignore_detach")
        d = snu_step_backward(dy[t] + (0.0 if m == "no_dy_next" else carry["y"]),
                              zeros if m == "no_ds_next" else carry["s"], step, detach)
        out["dx"][t] = d["dx"]
        for key in ("W", "b", "H", "decay"):
            if out[key] is not None:
                out[key] = d["d" + key] + (0.0 if m == "assign" else out[key])
        dy_prev = d["dy_prev"]
        if reset_term is not None:
            reset = np.asarray(reset_term(d["dz"], s_prev, y_prev, decay), dtype=d["dz"].dtype)
            dy_prev = dy_prev + np.broadcast_to(reset, dy_prev.shape)
        carry = {"s": dy_prev, "y": d["ds_prev"]} if m == "swap_carry" else {"s": d["ds_prev"], "y": dy_prev}
    for key in ("W", "b", "H"):            # T = 0 leaves the sums at 0.0: give them the parameters' shapes
        if out[key] is not None and np.ndim(out[key]) == 0:
            out[key] = np.zeros_like(cache[key])
    return out


def _zero_reset_term(dz, s_prev, y_prev, decay):
    return np.zeros_like(dz)


def bptt_with_reset_term(dy, cache, reset_term):
    """BPTT through an SNU layer (as ``snu_np.functional.snu.snu_backward``) in which the gradient that
    flows back to y_{t-1} through the reset gate is ``reset_term(dz, s_prev, y_prev, decay)``.

    ``reset_term`` returns the reset part of dL/dy_{t-1} for one step, an array (B, n_out);
    ``reset_term=None`` detaches the reset (the term is zero). Everything else is the reference.

    Returns ``(dx, grads)`` like ``snu_backward``.
    """
    if not isinstance(cache, dict) or not {"x", "s", "y", "W", "b", "decay", "H"} <= set(cache):
        raise TypeError("cache must be the dict returned by snu_np.functional.snu.snu_forward")
    if reset_term is not None and not callable(reset_term):
        raise TypeError(f"reset_term must be a function (dz, s_prev, y_prev, decay) or None, "
                        f"got {type(reset_term).__name__}")
    out = _bptt_variant(dy, cache, reset_term=_zero_reset_term if reset_term is None else reset_term)
    grads = {k: out[k] for k in ("W", "b", "decay") + (("H",) if cache["H"] is not None else ())}
    return out["dx"], grads


class _ResetTermSNU(SNU):
    """An SNU layer (NumPy backend) whose backward pass uses a given reset term."""

    def __init__(self, *args, reset_term=None, **kw):
        kw["backend"] = "numpy"
        super().__init__(*args, **kw)
        self.reset_term = reset_term

    def backward(self, dy, need_dx=True, check_finite=True):
        dy = self._check_dy(dy, check_finite)
        dx, g = bptt_with_reset_term(dy, self.cache, self.reset_term)
        for k in ("W", "b", "H"):
            if k in self.params:
                self.grads[k] = np.asarray(g[k], dtype=self.dtype)
        return dx if need_dx else None


def compare_reset_training(reset_term, seed=0, hidden=32, epochs=8, lr=3e-3, batch_size=64,
                           recurrent=True, task=None):
    """Train the same SNU network (same initial weights, same batches) twice: once with the reset
    gradient ``reset_term`` kept, once with it detached. A two-layer recurrent SNU on
    :func:`make_training_task`; about one second in all.

    Returns
    -------
    dict with ``"kept"`` and ``"detached"``, each a dict with ``losses`` (one per update),
    ``test_accuracy`` and ``train_accuracy``.
    """
    task = make_training_task(seed) if task is None else task
    x, labels = task["x_train"], task["y_train"]
    out = {}
    for name, term in (("kept", reset_term), ("detached", None)):
        rng = np.random.default_rng([7, int(seed)])
        net = Sequential([_ResetTermSNU(x.shape[2], hidden, recurrent=recurrent, seed=seed, reset_term=term),
                          _ResetTermSNU(hidden, task["n_classes"], seed=seed + 1, reset_term=term)])
        opt = Adam(net, lr=lr)
        losses = []
        for _ in range(epochs):
            order = rng.permutation(x.shape[1])
            for i in range(0, order.size, batch_size):
                idx = order[i:i + batch_size]
                loss, dy = window_mse(net.forward(x[:, idx]), labels[idx])
                net.backward(dy)
                opt.step()
                losses.append(loss)
        out[name] = {"losses": np.array(losses),
                     "test_accuracy": accuracy(net.forward(task["x_test"]), task["y_test"]),
                     "train_accuracy": accuracy(net.forward(x), labels)}
    return out


# ------------------------------------------------------------- exercise 12: a drifting analog layer
def drifted_layer_outputs(seed=0, n_in=16, n_out=6, B_cal=32, B=10, t=3600.0, t0=20.0):
    """A linear analog layer's outputs right after programming and after drift to time ``t`` (seconds):
    ``y_cal_0`` and ``y_cal_t`` on a calibration batch, ``y`` (at time t) on another batch, and the
    ideal outputs ``y_ideal`` of that batch (what compensation tries to recover)."""
    if not (isinstance(t, (int, float)) and isinstance(t0, (int, float)) and t >= t0 > 0):
        raise ValueError(f"t and t0 must be times in seconds with t >= t0 > 0, got t={t!r}, t0={t0!r}")
    rng = np.random.default_rng([12, int(seed)])
    W = rng.normal(0.0, 0.4, (n_in, n_out))
    nu = np.clip(rng.normal(0.06, 0.02, W.shape), 0.0, None)        # one drift exponent per device
    W_t = W * (t / t0) ** (-nu)
    x_cal, x = rng.normal(size=(B_cal, n_in)), rng.normal(size=(B, n_in))
    return {"y_cal_0": x_cal @ W, "y_cal_t": x_cal @ W_t, "y": x @ W_t, "y_ideal": x @ W}
