"""Exercise 12: global drift compensation of an analog layer's output.

The conductances of phase-change memory decay after programming, G(t) = G(t0) (t / t0)^(-nu), with a
drift exponent nu that differs from device to device, so a layer's outputs shrink over time. Global
drift compensation (Joshi et al., Nature Communications 2020) measures one calibration batch right
after programming and again at time t, and rescales every output at time t by

    factor = sum |y_cal(t0)| / sum |y_cal(t)|          (sums over the whole batch and every unit)

(1 when the drifted outputs are all zero). The reference is written here and is authoritative; a test
compares it with ``snu_np.analog.inference.compensation_factor`` when that module is present.
"""
from __future__ import annotations

import numpy as np

from .. import helpers
from .base import ALWAYS_FORBIDDEN, Check, Mistake, _call, _compare

MISTAKES = (
    Mistake("inverted", "compensation factor inverted",
            "compensation factor inverted: the drifted outputs are too small, so multiply them by "
            "sum |y_cal(t0)| / sum |y_cal(t)| (> 1), not by its inverse."),
    Mistake("no_abs", "signed sums instead of sums of abs(y)",
            "sum the absolute values: with signed sums positive and negative outputs cancel, and the factor "
            "can be anything (even negative)."),
    Mistake("per_unit", "one factor per unit",
            "global drift compensation uses ONE factor for the whole layer (sums over every unit and sample), "
            "not one per output unit."),
    Mistake("ratio_of_means", "mean of the elementwise ratios",
            "the factor is a ratio of sums, sum |y_cal(t0)| / sum |y_cal(t)|, not the mean of the elementwise "
            "ratios |y_cal(t0)| / |y_cal(t)| (which near-zero outputs dominate)."),
    Mistake("calibration_returned", "compensated the calibration batch",
            "rescale the outputs y you are given, not the calibration outputs."),
)


def compensate_reference(y, y_cal_0, y_cal_t, m=None):
    """Globally drift-compensated outputs (``m=None``) or the known-wrong variant ``m``."""
    y, y0, yt = (np.asarray(a, dtype=np.float64) for a in (y, y_cal_0, y_cal_t))
    if m == "no_abs":
        factor = y0.sum() / yt.sum()
    elif m == "per_unit":
        factor = np.abs(y0).sum(axis=0) / np.abs(yt).sum(axis=0)
    elif m == "ratio_of_means":
        factor = np.mean(np.abs(y0) / np.abs(yt))
    else:                                 # all-zero drifted outputs: nothing to rescale (as snu_np.analog)
        now = np.abs(yt).sum()
        factor = np.abs(y0).sum() / now if now > 0 else 1.0
    if m == "inverted":
        factor = 1.0 / factor
    return (yt if m == "calibration_returned" else y) * factor


def _check_compensate_drift(fn):
    axes = {"y": ("sample", "unit")}
    for seed, t in ((0, 3600.0), (1, 86400.0)):
        d = helpers.drifted_layer_outputs(seed, t=t)
        got = {"y": _call(fn, d["y"].copy(), d["y_cal_0"].copy(), d["y_cal_t"].copy())}
        ref = {"y": compensate_reference(d["y"], d["y_cal_0"], d["y_cal_t"])}
        _compare(f"a layer drifted for {t:g} s (seed {seed})", got, ref, axes,
                 lambda d=d: [(mk, {"y": compensate_reference(d["y"], d["y_cal_0"], d["y_cal_t"], mk.key)})
                              for mk in MISTAKES])
    return "the compensated outputs match sum|y_cal(t0)| / sum|y_cal(t)| times y on two drifted layers."


_FORBIDDEN = ("snu_np.analog",) + ALWAYS_FORBIDDEN

CHECKS = (Check("compensate_drift", 12, _check_compensate_drift, MISTAKES, forbidden=_FORBIDDEN),)
