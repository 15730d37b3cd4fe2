"""A dense layer applied at every time step (docs: :eq:`dense`).

    y_t = act(x_t W + b),   act = identity ("linear") or the logistic sigmoid.

The same W and b serve every step, so the whole sequence is one matrix product of
(T*B, n_in) by (n_in, n_out).
"""
from __future__ import annotations

from .._validate import check_dy_shape, check_sequence
from ..surrogates import sigmoid


def dense_forward(x, W, b, activation="linear"):
    """x (T, B, n_in), W (n_in, n_out), b (n_out,) -> (y (T, B, n_out), cache). Docs: :eq:`dense`."""
    check_sequence(x, "x")
    T, B, n_in = x.shape
    a = (x.reshape(T * B, n_in) @ W + b).reshape(T, B, W.shape[1])
    y = sigmoid(a) if activation == "sigmoid" else a
    return y, (x, y, W, activation)


def dense_backward(dy, cache, need_dx=True):
    """dy (T, B, n_out) -> (dx (T, B, n_in), {"W", "b"}). Docs: :eq:`dense-grad`.

    ``need_dx=False`` skips the input gradient's matrix product and returns dx = None."""
    x, y, W, activation = cache
    check_dy_shape(dy, y.shape)
    T, B, n_in = x.shape
    da = dy * y * (1.0 - y) if activation == "sigmoid" else dy
    da2 = da.reshape(T * B, -1)
    grads = {"W": x.reshape(T * B, n_in).T @ da2, "b": da2.sum(axis=0)}
    dx = (da2 @ W.T).reshape(T, B, n_in) if need_dx else None
    return dx, grads
