"""Exercise 9: the LSTM step, backward.

The known-wrong variants come from the reference ``snu_np.functional.lstm.lstm_step_backward``: on a
changed ``dc_next`` or cache where that is the mistake, else by changing the reference's gate gradient
``da`` (read off as the weight gradient of a step whose input is the identity matrix).
"""
from __future__ import annotations

import numpy as np

from ...functional import lstm as _lstm
from .base import ALWAYS_FORBIDDEN, Check, Mistake, _call, _compare, _copy_cache, _fd_check, _student_dict

MISTAKES = (
    Mistake("tanh_not_deriv", "tanh instead of 1 - tanh^2",
            "you used tanh(c) instead of 1 - tanh^2(c): h = o * tanh(c), so dc gets dh * o * (1 - tanh^2(c))."),
    Mistake("no_dc_next", "dc_next dropped",
            "the cell gradient dc_next from step t+1 is dropped: dc = dc_next + dh * o * (1 - tanh^2(c))."),
    Mistake("df_c", "c_t instead of c_{t-1} in df",
            "off by one in time: c_t = f * c_{t-1} + i * g, so df = dc * c_{t-1}, not dc * c_t."),
    Mistake("no_sigmoid_grad", "sigmoid derivative missing",
            "missing the sigmoid derivative of the gates i, f, o: da = d(gate) * gate * (1 - gate)."),
    Mistake("g_as_sigmoid", "candidate g differentiated as a sigmoid",
            "the candidate g = tanh(a_g): its derivative is 1 - g^2, not g (1 - g)."),
    Mistake("dc_prev_no_f", "dc_prev without f",
            "dc_prev = dc * f: the forget gate scales what flows back to c_{t-1}."),
    Mistake("gate_order", "gate blocks in the wrong order",
            "the gate blocks of da are in the order [i, f, g, o], as in the forward pass."),
)
LSTM_KEYS = ("dx", "dh_prev", "dc_prev", "dW", "dH", "db")
LSTM_AXES = {"dx": ("sample", "input"), "dh_prev": ("sample", "unit"), "dc_prev": ("sample", "unit"),
             "dW": ("input", "gate column"), "dH": ("unit", "gate column"), "db": ("gate column",)}


def _gate_gradient(dh, dc_next, cache):
    """The reference's da (B, 4n): dW = x_t.T @ da is da itself when x_t is the identity."""
    x_t, h_prev, c_prev, gates, c, W, H = cache
    B = x_t.shape[0]
    eye = (np.eye(B), h_prev, c_prev, gates, c, np.zeros((B, W.shape[1])), H)
    return _lstm.lstm_step_backward(dh, dc_next, eye)["dW"]


def _lstm_bwd(dh, dc_next, cache, m=None):
    """The reference step backward, or its known-wrong variant ``m``."""
    x_t, h_prev, c_prev, gates, c, W, H = cache
    n = c.shape[1]
    i, f, g, o = (gates[:, k * n:(k + 1) * n] for k in range(4))
    tc = np.tanh(c)
    if m == "no_dc_next":
        return _lstm.lstm_step_backward(dh, np.zeros_like(dc_next), cache)
    if m == "df_c":                      # c_prev enters the backward pass only through df = dc * c_prev
        return _lstm.lstm_step_backward(dh, dc_next, (x_t, h_prev, c, gates, c, W, H))
    if m == "tanh_not_deriv":            # the same dc as tanh(c) in place of 1 - tanh^2(c)
        return _lstm.lstm_step_backward(dh, dc_next + dh * o * (tc - (1.0 - tc * tc)), cache)
    d = dict(_lstm.lstm_step_backward(dh, dc_next, cache))
    if m is None:
        return d
    if m == "dc_prev_no_f":
        d["dc_prev"] = d["dc_prev"] / f
        return d
    da = _gate_gradient(dh, dc_next, cache)
    blocks = [da[:, k * n:(k + 1) * n] for k in range(4)]
    if m == "no_sigmoid_grad":
        blocks = [blocks[0] / (i * (1 - i)), blocks[1] / (f * (1 - f)), blocks[2], blocks[3] / (o * (1 - o))]
    elif m == "g_as_sigmoid":            # g (1 - g) in place of 1 - g^2 = (1 - g)(1 + g)
        blocks[2] = blocks[2] * g / (1.0 + g)
    elif m == "gate_order":
        blocks = [blocks[1], blocks[0], blocks[2], blocks[3]]
    da = np.concatenate(blocks, axis=1)
    d.update(dx=da @ W.T, dh_prev=da @ H.T, dW=x_t.T @ da, dH=h_prev.T @ da, db=da.sum(axis=0))
    return d


def _lstm_case(k, B=3, n_in=4, n=5):
    rng = np.random.default_rng([9, k])
    a = dict(x_t=rng.normal(size=(B, n_in)), h_prev=rng.uniform(-0.8, 0.8, (B, n)),
             c_prev=rng.normal(0, 1.0, (B, n)), W=rng.normal(0, 0.6, (n_in, 4 * n)),
             H=rng.normal(0, 0.5, (n, 4 * n)), b=rng.normal(0, 0.5, 4 * n))
    h, c, cache = _lstm.lstm_step_forward(**a)
    return a, cache, rng.normal(size=h.shape), rng.normal(size=c.shape)


def _check_lstm_step_backward(fn):
    for k in range(2):
        a, cache, dh, dc_next = _lstm_case(k)
        ref = {key: _lstm_bwd(dh, dc_next, cache)[key] for key in LSTM_KEYS}
        got = _student_dict(_call(fn, dh.copy(), dc_next.copy(), _copy_cache(cache)), LSTM_KEYS,
                            "lstm_step_backward")
        _compare(f"random step {k + 1} (B = 3, n_in = 4, n = 5)", got, ref, LSTM_AXES,
                 lambda dh=dh, dc_next=dc_next, cache=cache: [(mk, _lstm_bwd(dh, dc_next, cache, mk.key))
                                                              for mk in MISTAKES])
    a, cache, dh, dc_next = _lstm_case(0)
    got = _student_dict(_call(fn, dh.copy(), dc_next.copy(), _copy_cache(cache)), LSTM_KEYS, "lstm_step_backward")

    def loss():
        h, c, _ = _lstm.lstm_step_forward(**a)
        return float(np.sum(dh * h) + np.sum(dc_next * c))

    err, _ = _fd_check(loss, a, {"x_t": got["dx"], "h_prev": got["dh_prev"], "c_prev": got["dc_prev"],
                                 "W": got["dW"], "H": got["dH"], "b": got["db"]})
    return f"all 6 outputs match the reference on 2 random steps; finite differences agree to {err:.1e}."


_FORBIDDEN = ("snu_np.functional.lstm.lstm_step_backward", "snu_np.functional.lstm.lstm_backward",
              "snu_np.kernels.recurrent", "snu_np.layers", "snu_np.gradcheck") + ALWAYS_FORBIDDEN

CHECKS = (Check("lstm_step_backward", 9, _check_lstm_step_backward, MISTAKES, forbidden=_FORBIDDEN),)
