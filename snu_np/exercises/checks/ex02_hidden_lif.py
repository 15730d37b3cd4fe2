"""Exercise 2: read tau and the threshold off a membrane trace of a hidden LIF neuron."""
from __future__ import annotations

import math

from .. import helpers
from .base import ALWAYS_FORBIDDEN, Check, Mistake, _by_key, _call, _Fail

MISTAKES = {}

MISTAKES["estimate_lif_parameters"] = [
    Mistake("tau_steps", "tau in steps instead of ms", "you returned tau in time steps; multiply by dt."),
    Mistake("tau_half", "half-rise time instead of tau",
            "that is the half-rise time tau ln 2; tau is the time V needs to reach 1 - 1/e = 63 % of its "
            "final value (or fit the exponential)."),
    Mistake("tau_seconds", "tau in seconds", "t is in ms; give tau in ms too."),
    Mistake("vth_asymptote", "threshold = R I of the strong current",
            "that is R I of the strong current, the value V would reach without a threshold; the threshold "
            "is the highest V reached just before a reset."),
    Mistake("vth_plateau", "threshold = the sub-threshold plateau",
            "that is the plateau of the weak current (R I = 0.5, no spike); the threshold is the highest "
            "V reached just before a reset, while the strong current is on."),
    Mistake("vth_reset", "threshold = the reset value", "that is the reset value; the threshold is the highest V "
            "reached just before a reset."),
]
HIDDEN_SEEDS = (101, 202, 303)
TAU_TOL, VTH_TOL = 0.10, 0.05


def _check_estimate(fn):
    table = _by_key(MISTAKES["estimate_lif_parameters"])
    for seed in HIDDEN_SEEDS:
        trace = helpers.hidden_lif_trace(seed)
        tau, v_th = helpers._hidden_parameters(seed)
        out = _call(fn, trace["t"].copy(), trace["I"].copy(), trace["V"].copy())
        if isinstance(out, dict):
            if not {"tau", "v_th"} <= set(out):
                raise _Fail(f"return a dict with keys 'tau' and 'v_th'; yours has {sorted(out)}.")
            est_tau, est_vth = out["tau"], out["v_th"]
        elif isinstance(out, (tuple, list)) and len(out) == 2:
            est_tau, est_vth = out
        else:
            raise _Fail("return a dict {'tau': ..., 'v_th': ...}.")
        try:
            est_tau, est_vth = float(est_tau), float(est_vth)
        except (TypeError, ValueError):
            raise _Fail("tau and v_th must be numbers.") from None
        r = est_tau / tau
        if not abs(r - 1) <= TAU_TOL:
            key = ("tau_steps" if abs(est_tau * trace["dt"] / tau - 1) < 0.1 else
                   "tau_half" if abs(r - math.log(2)) < 0.07 else
                   "tau_seconds" if abs(r * 1000 - 1) < 0.1 else "")
            word = "too large" if r > 1 else "too small"
            raise _Fail(f"trace seed {seed}: your tau = {est_tau:.4g} ms is {abs(r - 1):.0%} {word} "
                        f"(tolerance {TAU_TOL:.0%}).", table[key].hint if key else
                        "fit V(t) = R I (1 - exp(-(t - t_on) / tau)) to the rise under the weak current, or "
                        "the decay after it is switched off.", key)
        r = est_vth / v_th
        if not abs(r - 1) <= VTH_TOL:
            key = ("vth_asymptote" if abs(est_vth - helpers.HIDDEN_I_STRONG) < 0.05 else
                   "vth_plateau" if abs(est_vth - helpers.HIDDEN_I_WEAK) < 0.03 else
                   "vth_reset" if abs(est_vth) < 0.05 else "")
            word = "too large" if r > 1 else "too small"
            raise _Fail(f"trace seed {seed}: your v_th = {est_vth:.4g} is {abs(r - 1):.0%} {word} "
                        f"(tolerance {VTH_TOL:.0%}).", table[key].hint if key else
                        "look at the potential just before each reset.", key)
    return f"tau within {TAU_TOL:.0%} and v_th within {VTH_TOL:.0%} on {len(HIDDEN_SEEDS)} hidden neurons."




# fitting by simulation (snu_np.lif) is a fair method; reading the hidden parameters is not
CHECKS = (
    Check("estimate_lif_parameters", 2, _check_estimate, MISTAKES["estimate_lif_parameters"],
          forbidden=ALWAYS_FORBIDDEN),
)
