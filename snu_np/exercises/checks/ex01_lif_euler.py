"""Exercise 1: one forward-Euler step of the LIF neuron, and its measured f-I curve."""
from __future__ import annotations

import numpy as np

from ... import lif
from .base import ALWAYS_FORBIDDEN, Check, Mistake, _as_float, _call, _compare, _Fail, _fmt

MISTAKES = {}

MISTAKES["lif_euler_step"] = [
    Mistake("decay_sign", "sign of the decay term",
            "sign of the decay term: the leak pulls V back to rest, so the old potential is multiplied by "
            "(1 - dt/tau), not (1 + dt/tau)."),
    Mistake("no_gain", "input not scaled by dt/tau",
            "the input must be scaled by dt/tau too: V_pre = (1 - dt/tau) V + (dt/tau) R I."),
    Mistake("no_R", "resistance R forgotten", "you forgot the resistance R in the input term (dt/tau) R I."),
    Mistake("exact", "exponential instead of Euler",
            "you used the exact exponential update exp(-dt/tau); this exercise asks for the forward-Euler "
            "step with decay 1 - dt/tau."),
    Mistake("exact_decay", "exponential decay with the Euler gain",
            "you used the exponential decay exp(-dt/tau); this exercise asks for the forward-Euler step: "
            "V_pre = (1 - dt/tau) V + (dt/tau) R I."),
    Mistake("ge", "spike on V >= v_th", "a spike needs V_pre > v_th strictly; you used >=."),
    Mistake("no_reset", "no reset", "you forgot the reset: where the neuron spiked, V must be set to v_reset."),
    Mistake("reset_zero", "reset to 0 instead of v_reset", "you reset V to 0 instead of v_reset."),
    Mistake("detect_old", "spike detected on the old V",
            "off by one in time: detect the spike on the integrated potential V_pre of this step, not on "
            "the previous V."),
]


def _lif_step(v, I, dt, tau, R=1.0, v_th=1.0, v_reset=0.0, m=None):
    """One Euler step (``m=None``) or its known-wrong variant ``m``: the coefficients come from the
    package's ``lif.step_coefficients`` (Euler, or the exact update for the "exact" mistakes)."""
    decay, gain = lif.step_coefficients(dt, tau, R)
    exact_decay, exact_gain = lif.step_coefficients(dt, tau, R, method="exact")
    decay, gain = {"decay_sign": (2.0 - decay, gain), "no_gain": (decay, R), "no_R": (decay, gain / R),
                   "exact": (exact_decay, exact_gain), "exact_decay": (exact_decay, gain)}.get(m, (decay, gain))
    v_pre = decay * v + gain * I
    spike = (v_pre >= v_th) if m == "ge" else ((v > v_th) if m == "detect_old" else (v_pre > v_th))
    if m == "no_reset":
        v_new = v_pre
    else:
        v_new = np.where(spike, 0.0 if m == "reset_zero" else v_reset, v_pre)
    return v_new, spike.astype(np.float64)


def _check_lif_euler_step(fn):
    rng = np.random.default_rng(101)
    cases = [
        ("dt = 0.5, tau = 2, R = 1.5, v_th = 1, v_reset = 0",
         rng.uniform(-0.2, 1.0, 40), rng.uniform(0.0, 3.0, 40), dict(dt=0.5, tau=2.0, R=1.5, v_th=1.0, v_reset=0.0)),
        ("dt = 1, tau = 10, R = 2, v_th = 0.8, v_reset = -0.3",
         rng.uniform(-0.3, 0.8, 40), rng.uniform(0.0, 4.0, 40), dict(dt=1.0, tau=10.0, R=2.0, v_th=0.8, v_reset=-0.3)),
        ("V_pre landing exactly on v_th = 1 (dt = 1, tau = 2, R = 1)",
         np.array([0.0, 1.0, 0.5]), np.array([2.0, 1.0, 0.5]), dict(dt=1.0, tau=2.0, R=1.0, v_th=1.0, v_reset=0.0)),
    ]
    table = MISTAKES["lif_euler_step"]
    axes = {"v_new": ("neuron",), "spike": ("neuron",)}
    for label, v, I, p in cases:
        out = _call(fn, v.copy(), I.copy(), p["dt"], p["tau"], p["R"], p["v_th"], p["v_reset"])
        if not isinstance(out, tuple) or len(out) != 2:
            raise _Fail("lif_euler_step must return a pair (v_new, spike).")
        got = {"v_new": out[0], "spike": out[1]}
        r = _lif_step(v, I, m=None, **p)
        ref = {"v_new": r[0], "spike": r[1]}

        def variants(v=v, I=I, p=p):
            return [(mk, dict(zip(("v_new", "spike"), _lif_step(v, I, m=mk.key, **p)))) for mk in table]

        _compare(f"with {label}", got, ref, axes, variants)
    return f"integrate, detect and reset agree with the reference in {len(cases)} settings " \
           f"({sum(c[1].size for c in cases)} neurons)."


MISTAKES["firing_rates"] = [
    Mistake("per_step", "rate per step instead of per unit time",
            "you divided the spike count by the number of steps; divide by the duration "
            "(n_steps * dt) to get a rate per unit of time."),
    Mistake("count", "spike count instead of rate", "you returned spike counts; divide them by the duration."),
    Mistake("analytic", "analytic formula instead of simulation",
            "these are the analytic rates 1 / (tau ln(RI / (RI - v_th))); the exercise asks you to "
            "*measure* the rates by simulating with your Euler step (they differ for coarse dt)."),
]


def _euler_rates(I_values, dt, tau, R, v_th, duration):
    n = int(round(duration / dt))
    v = np.zeros(I_values.shape)
    count = np.zeros(I_values.shape)
    for _ in range(n):
        v, spike = _lif_step(v, I_values, dt, tau, R, v_th, 0.0)
        count += spike
    return count, n


def _check_firing_rates(fn):
    I = np.array([0.0, 0.5, 1.0, 1.05, 1.5, 2.0, 3.0, 5.0])
    p = dict(dt=0.1, tau=1.0, R=1.0, v_th=1.0, duration=50.0)
    got = _as_float(_call(fn, I.copy(), p["dt"], p["tau"], p["R"], p["v_th"], p["duration"]))
    count, n = _euler_rates(I, p["dt"], p["tau"], p["R"], p["v_th"], p["duration"])
    duration = n * p["dt"]
    ref = count / duration
    tol = 1.01 / duration                         # one spike more or less: any sensible estimator
    if got is None or got.shape != ref.shape:
        shape = None if got is None else got.shape
        raise _Fail(f"firing_rates must return one rate per current, an array of shape {ref.shape}; got {shape}.")
    bad = np.abs(got - ref) > tol
    if bad.any():
        i = int(np.argmax(bad))
        variants = {"per_step": count / n, "count": count,
                    "analytic": lif.firing_rate(I, p["tau"], p["R"], p["v_th"])}
        hint = key = ""
        for mk in MISTAKES["firing_rates"]:
            if np.all(np.abs(got - variants[mk.key]) <= tol + 1e-9 * np.abs(variants[mk.key])):
                hint, key = mk.hint, mk.key
                break
        raise _Fail(f"for I = {I[i]:g} (dt = 0.1, tau = 1, R = 1, v_th = 1, duration = 50) the simulated "
                    f"rate is {_fmt(ref[i])}, you have {_fmt(got[i])} ({int(bad.sum())} of {I.size} currents "
                    f"differ by more than one spike per duration).", hint, key)
    return f"the measured f-I curve matches the Euler simulation for {I.size} currents."




# the package's own LIF simulators answer both parts (lif.firing_rate, the analytic rate, is a known mistake)
_FORBIDDEN = ("snu_np.lif.simulate", "snu_np.lif.step_coefficients", "snu_np.lif.fi_curve") + ALWAYS_FORBIDDEN

CHECKS = (
    Check("lif_euler_step", 1, _check_lif_euler_step, MISTAKES["lif_euler_step"], forbidden=_FORBIDDEN),
    Check("firing_rates", 1, _check_firing_rates, MISTAKES["firing_rates"], forbidden=_FORBIDDEN),
)
