"""Weights as differential pairs of conductances, and weights with limited precision.

A weight can be negative, a conductance cannot: each weight is stored on two devices, and the
crossbar subtracts their currents, ``w = (w_max / g_max) (G+ - G-)``, :eq:`pcm-pair`. ``quantize``
rounds weights to ``2^bits - 1`` symmetric levels, :eq:`quant-levels`. Docs: ``docs/derivations/analog.md``.
"""
from __future__ import annotations

import numpy as np

from .._validate import as_float_array, as_rng, check_int, check_real

__all__ = ["weight_range", "weights_to_conductances", "conductances_to_weights", "quantize",
           "quantization_step"]


def weight_range(W, w_max=None, name="W"):
    """The weight that maps to g_max: ``w_max`` if given (> 0), else max|W| (1.0 for an all-zero W)."""
    if w_max is not None:
        return check_real(w_max, "w_max", low=0.0, low_open=True)
    W = as_float_array(W, name)
    m = float(np.max(np.abs(W))) if W.size else 0.0
    return m if m > 0 else 1.0          # an all-zero matrix: any scale gives zero conductances


def weights_to_conductances(W, g_max=25.0, w_max=None):
    """Map weights onto target conductances of a differential pair, :eq:`pcm-pair`.

    Parameters
    ----------
    W : float ndarray, any shape
        Weights (dimensionless).
    g_max : float, µS
        The conductance that ``w_max`` maps to.
    w_max : float, optional
        The weight magnitude mapped to g_max (default: max|W| of this matrix, so the largest weight
        uses the full range). Weights beyond it are clipped.

    Returns
    -------
    g_plus, g_minus : ndarray (float64), µS in [0, g_max], same shape as W
        The positive part of W on G+, the negative part on G- (the other device of the pair at 0).
    w_max : float, the scale used (needed to map back)
    """
    W = as_float_array(W, "W")
    g_max = check_real(g_max, "g_max", low=0.0, low_open=True)
    w_max = weight_range(W, w_max)
    g = np.clip(W.astype(np.float64) / w_max, -1.0, 1.0) * g_max
    return np.maximum(g, 0.0), np.maximum(-g, 0.0), w_max                               # (pcm-pair)


def conductances_to_weights(g_plus, g_minus, w_max, g_max=25.0, dtype=np.float64):
    """Weights a differential pair represents: ``W = (w_max / g_max) (G+ - G-)``, :eq:`pcm-pair`.

    Parameters
    ----------
    g_plus, g_minus : float ndarray, µS, the same shape
    w_max : float > 0, the weight that g_max stands for
    g_max : float > 0, µS
    dtype : the float dtype of the result (a layer's dtype)

    Returns
    -------
    W : ndarray of ``dtype``, same shape
    """
    gp = as_float_array(g_plus, "g_plus")
    gm = as_float_array(g_minus, "g_minus", shape=gp.shape)
    w_max = check_real(w_max, "w_max", low=0.0, low_open=True)
    g_max = check_real(g_max, "g_max", low=0.0, low_open=True)
    return ((w_max / g_max) * (gp - gm)).astype(dtype)                                  # (pcm-pair)


def quantization_step(bits, w_max):
    """Distance between two levels: ``w_max / (2^(bits-1) - 1)``, :eq:`quant-levels`."""
    bits = check_int(bits, "bits", low=2, high=32)
    return check_real(w_max, "w_max", low=0.0, low_open=True) / (2 ** (bits - 1) - 1)


def quantize(W, bits, w_max=None, stochastic=False, seed=None):
    """Round weights to symmetric uniform levels (limited precision), :eq:`quant-levels`.

    The levels are ``k * delta`` for integer k in [-n, n], n = 2^(bits-1) - 1 and
    delta = w_max / n: 2^bits - 1 levels, zero included, the same number each side (2 bits gives
    the ternary {-w_max, 0, w_max}).

    Parameters
    ----------
    W : float ndarray, any shape
    bits : int in [2, 32]
    w_max : float > 0, optional
        The largest level (default: max|W|). Weights beyond it are clipped to +-w_max first.
    stochastic : bool
        False: the nearest level, :eq:`quant-round`. True: round up with probability equal to the
        distance from the level below (in steps), so that E[q(w)] = w, :eq:`quant-stoch`.
    seed : None, int or Generator (only used when stochastic)

    Returns
    -------
    Wq : ndarray of W's dtype, same shape, every entry a level.
    """
    W = as_float_array(W, "W")
    bits = check_int(bits, "bits", low=2, high=32)
    w_max = weight_range(W, w_max)
    n = 2 ** (bits - 1) - 1
    delta = w_max / n                                                                   # (quant-levels)
    u = np.clip(W.astype(np.float64), -w_max, w_max) / delta       # position in steps, in [-n, n]
    if stochastic:
        rng = as_rng(seed)
        k = np.floor(u + rng.random(u.shape))                                          # (quant-stoch)
    else:
        k = np.round(u)                                                                 # (quant-round)
    return (np.clip(k, -n, n) * delta).astype(W.dtype)
