"""The state non-linearity g of the SNU and its derivative (docs: :eq:`snu-g`).

g(z) is applied to the new membrane state. With ReLU the state stays non-negative, as a membrane
potential measured from rest does. The derivative is written as a function of the *output*
``s = g(z)``, which is all the BPTT cache keeps: ReLU and leaky ReLU are positive exactly where
their input is.
"""
from __future__ import annotations

import numpy as np

from ..constants import G_CHOICES, G_CODES, LEAKY_SLOPE

__all__ = ["g_forward", "g_grad_from_output", "G_CHOICES", "G_CODES", "LEAKY_SLOPE"]


def g_forward(z, g="relu"):
    """s = g(z), elementwise. ``g`` is ``"relu"``, ``"identity"`` or ``"leaky_relu"`` (slope 0.1)."""
    if g == "relu":
        return np.maximum(z, 0.0)
    if g == "identity":
        return z
    if g == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    raise ValueError(f"g must be one of {G_CHOICES}, got {g!r}")


def g_grad_from_output(s, g="relu"):
    """g'(z) expressed through s = g(z): 1 where s > 0; else 0 (ReLU), 0.1 (leaky), 1 (identity)."""
    if g == "relu":
        return (s > 0).astype(s.dtype)
    if g == "identity":
        return np.ones_like(s)
    if g == "leaky_relu":
        return np.where(s > 0, 1.0, LEAKY_SLOPE).astype(s.dtype)
    raise ValueError(f"g must be one of {G_CHOICES}, got {g!r}")
