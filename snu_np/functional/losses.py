"""Losses, each returning ``(loss, dy)`` with ``dy = dL/dy`` of the network output's shape.

Docs: :eq:`loss-window-mse`, :eq:`loss-softmax-ce`, :eq:`loss-bernoulli-nll`.
Classification targets may be integer labels (B,) or one-hot rows (B, n_out).
"""
from __future__ import annotations

import numpy as np

from .._validate import as_float_array, check_shape, check_window
from ..surrogates import sigmoid_from_exp


def _labels(labels, B, n, name):
    """Integer class labels (B,), each in [0, n - 1], as an integer array."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name} with shape (B,) must hold integer class labels in [0, {n - 1}], "
                        f"got dtype {labels.dtype}")
    check_shape(labels, (B,), name)
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise ValueError(f"{name}: class labels must be in [0, {n - 1}] for {n} outputs, "
                         f"got range [{labels.min()}, {labels.max()}]")
    return labels


def _targets(target, B, n, dtype, name="target"):
    """Integer labels (B,) or one-hot (B, n) -> one-hot float (B, n)."""
    target = np.asarray(target)
    if target.ndim == 1:
        target = _labels(target, B, n, name)
        onehot = np.zeros((B, n), dtype=dtype)
        onehot[np.arange(B), target] = 1.0
        return onehot
    target = as_float_array(target, name, ndim=2)
    check_shape(target, (B, n), name)
    return target.astype(dtype, copy=False)


def _window_mean(y, window):
    y = as_float_array(y, "y", ndim=3)
    a, b = check_window(window, y.shape[0])
    return y, a, b, y[a:b].mean(axis=0)


def window_mse(y, target, window=None):
    """Mean squared error of the output averaged over a window of steps. Docs: :eq:`loss-window-mse`.

    m = mean_{t in [a, b)} y_t;  L = (1 / (B n)) sum_{i,k} (m_ik - target_ik)^2.

    Parameters
    ----------
    y : (T, B, n) network output.
    target : (B,) int labels or (B, n) one-hot / real targets.
    window : (a, b) with 0 <= a < b <= T, or None for all steps.

    Returns
    -------
    loss : float.  dy : (T, B, n), zero outside the window.
    """
    y, a, b, m = _window_mean(y, window)
    T, B, n = y.shape
    tgt = _targets(target, B, n, y.dtype)
    diff = m - tgt
    loss = float(np.mean(diff * diff))
    dy = np.zeros_like(y)
    dy[a:b] = (2.0 / (B * n * (b - a))) * diff              # dL/dm, shared equally by the window's steps
    return loss, dy


def softmax_cross_entropy(y, target, window=None):
    """Softmax cross-entropy of the window mean of the output. Docs: :eq:`loss-softmax-ce`.

    m = mean_{t in [a, b)} y_t;  L = -(1/B) sum_i sum_k target_ik log softmax(m_i)_k.

    Shapes as for :func:`window_mse`. Stable for large outputs (max subtracted).
    """
    y, a, b, m = _window_mean(y, window)
    T, B, n = y.shape
    tgt = _targets(target, B, n, y.dtype)
    shifted = m - m.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-np.sum(tgt * logp) / B)
    p = np.exp(logp)
    dm = (p * tgt.sum(axis=1, keepdims=True) - tgt) / B
    dy = np.zeros_like(y)
    dy[a:b] = dm / (b - a)
    return loss, dy


def bernoulli_nll(logits, target, mask=None):
    """Bernoulli negative log-likelihood with logits, per predicted step. Docs: :eq:`loss-bernoulli-nll`.

    L = -(1/N) sum_{t,i} mask_ti sum_k [x log p + (1 - x) log(1 - p)],  p = sigmoid(logit),
    N = sum mask (the number of predicted steps). Computed as
    max(l, 0) - l x + log(1 + exp(-abs(l))), which never overflows.

    Parameters
    ----------
    logits : (T, B, K) pre-sigmoid outputs.
    target : (T, B, K) binary (or probability) targets.
    mask : (T, B) 1 for steps that count, 0 for padding; None counts every step.

    Returns
    -------
    loss : float (nats per step).  dlogits : (T, B, K).
    """
    logits = as_float_array(logits, "logits", ndim=3)
    target = as_float_array(target, "target", ndim=3)
    check_shape(target, logits.shape, "target")
    if target.size and (target.min() < 0 or target.max() > 1):
        raise ValueError("target must hold values in [0, 1]")
    T, B, K = logits.shape
    if mask is None:
        mask = np.ones((T, B), dtype=logits.dtype)
    else:
        mask = as_float_array(mask, "mask", ndim=2)
        check_shape(mask, (T, B), "mask")
    N = float(mask.sum())
    if N <= 0:
        raise ValueError("mask selects no step: nothing to average over")
    l = logits
    e = np.exp(-np.abs(l))                                  # in (0, 1]: never overflows
    per_unit = np.maximum(l, 0) - l * target + np.log1p(e)
    loss = float(np.sum(per_unit.sum(axis=2) * mask) / N)
    p = sigmoid_from_exp(l, e)                              # sigmoid(l), stable on both sides
    dlogits = (p - target) * mask[:, :, None] / N
    return loss, dlogits


def accuracy(y, labels, window=None):
    """Fraction of samples whose window-mean output is largest at the true label.

    y : (T, B, n);  labels : (B,) ints in [0, n - 1], or (B, n) one-hot rows;  window : (a, b) or None.
    """
    y, a, b, m = _window_mean(y, window)
    T, B, n = y.shape
    labels = np.asarray(labels)
    if labels.ndim == 2:
        if labels.dtype.kind not in "biuf":
            raise TypeError(f"labels with shape (B, n) must be one-hot rows of numbers, got dtype {labels.dtype}")
        check_shape(labels, (B, n), "labels")
        labels = labels.argmax(axis=1)
    else:
        labels = _labels(labels, B, n, "labels")
    return float(np.mean(m.argmax(axis=1) == labels))


#: the loss registry: name (the ``--loss`` choices) -> function ``(y, target, ...) -> (loss, dy)``
LOSSES = {"mse": window_mse, "ce": softmax_cross_entropy, "bernoulli_nll": bernoulli_nll}
#: the names of :data:`LOSSES`
LOSS_NAMES = tuple(LOSSES)
