"""Automatic feedback for the classroom exercises: ``check(name, student_fn)``.

Each check runs the student's function on seeded random inputs, compares every output with the
reference implementation, and on a mismatch says precisely what is wrong: which output, which time
step and element, the expected and the obtained value. It then diagnoses the mistake by running a
list of *known-wrong* variants of the reference (a missing reset gradient, a flipped sign, an
off-by-one in time, ``=`` instead of ``+=``, ...): if the student's numbers match one of them, the
matching hint is shown. Gradients are also checked against finite differences.

Usage in a notebook::

    from snu_np.exercises import check
    check("snu_step_backward", snu_step_backward)      # prints ✓ ... or ✗ ... + a hint

``check`` returns a :class:`CheckResult` (``.passed``, ``.message``, ``.hint``). It prints and returns
instead of raising, so that a notebook keeps running; set the environment variable
``SNU_NP_EXERCISES_STRICT=1`` (or pass ``strict=True``) to raise :class:`ExerciseCheckFailed` on a
failure, as the grader and the tests do. A ``NotImplementedError`` raised by the student's function
(an exercise not attempted yet) is never caught.

Every check is deterministic and takes well under a second, except ``"train"`` (exercise 10), whose
time is the student's own training run.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from ..functional import lstm as _lstm
from ..functional import snu as _snu
from ..functional.activations import g_grad_from_output
from ..functional.losses import accuracy
from ..surrogates import sigmoid
from . import helpers

__all__ = ["check", "CheckResult", "ExerciseCheckFailed", "Mistake", "MISTAKES", "CHECKS", "RESULTS",
           "STRICT_ENV", "REPORT_ENV"]

STRICT_ENV = "SNU_NP_EXERCISES_STRICT"
REPORT_ENV = "SNU_NP_EXERCISES_REPORT"
RTOL, ATOL = 1e-6, 1e-9

#: every CheckResult of this Python session, in order (the grader reads them)
RESULTS = []


# ================================================================================== results
class ExerciseCheckFailed(AssertionError):
    """Raised by :func:`check` in strict mode when the student's function is wrong."""


@dataclass
class CheckResult:
    """The outcome of one :func:`check`.

    Attributes
    ----------
    name : the check's name (e.g. ``"snu_step_backward"``).  exercise : its exercise number.
    passed : bool.  message : what was checked (passed) or what is wrong (failed).
    hint : the diagnosis of a recognised mistake, or "".  mistake : that mistake's key, or "".
    seconds : time the check took.
    """

    name: str
    exercise: int
    passed: bool
    message: str
    hint: str = ""
    mistake: str = ""
    seconds: float = 0.0
    _shown: bool = field(default=False, repr=False, compare=False)

    def __bool__(self):
        return self.passed

    def report(self):
        """The text printed by :func:`check`."""
        head = f"Exercise {self.exercise} ({self.name})"
        if self.passed:
            return f"✓ {head}: {self.message}"
        text = f"✗ {head}: {self.message}"
        if self.hint:
            text += f"\n  Hint: {self.hint}"
        return text

    __str__ = report

    def to_dict(self):
        return {"name": self.name, "exercise": self.exercise, "passed": self.passed,
                "message": self.message, "hint": self.hint, "mistake": self.mistake,
                "seconds": round(self.seconds, 4)}

    def _ipython_display_(self):          # a notebook cell ending in check(...) shows it once
        if not self._shown:
            _print(self.report())


def _print(text):
    try:
        print(text)
    except UnicodeEncodeError:            # a console that cannot show ✓ / ✗ / Greek letters
        print(text.encode("ascii", "replace").decode("ascii"))


@dataclass(frozen=True)
class Mistake:
    """A typical mistake a check recognises: ``key`` (stable id), ``label`` (short, for the teacher
    guide's table) and ``hint`` (what the student sees)."""

    key: str
    label: str
    hint: str


class _Fail(Exception):
    def __init__(self, message, hint="", key=""):
        super().__init__(message)
        self.message, self.hint, self.key = message, hint, key


# ====================================================================== calling student code
def _call(fn, *args, **kw):
    """Call the student's function; any exception but NotImplementedError becomes a failed check."""
    try:
        return fn(*args, **kw)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - everything the student's code may raise
        frames = traceback.extract_tb(exc.__traceback__)[1:]
        where = ""
        if frames:
            fr = frames[-1]
            where = f" (line {fr.lineno} of {os.path.basename(fr.filename)}, in {fr.name})"
        hint = ""
        if isinstance(exc, TypeError) and ("argument" in str(exc)):
            hint = "keep the function's signature exactly as given in the notebook."
        elif isinstance(exc, ValueError) and ("shape" in str(exc) or "broadcast" in str(exc)
                                              or "aligned" in str(exc) or "mismatch" in str(exc)):
            hint = "a matrix product or broadcast has mismatched shapes: write the shape next to " \
                   "each line (row-vector convention: x_t is (B, n_in), W is (n_in, n_out))."
        raise _Fail(f"your function raised {type(exc).__name__}: {exc}{where}", hint) from None


# ========================================================================== comparing arrays
def _as_float(value):
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr


def _close(a, b, rtol=RTOL, atol=ATOL):
    if a is None or b is None:
        return a is None and b is None
    a, b = _as_float(a), _as_float(b)
    if a is None or b is None or a.shape != b.shape:
        return False
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _fmt(v):
    return f"{float(v):.6g}"


def _where(idx, axes):
    if not idx:
        return ""
    parts = []
    for name, i in zip(axes or (), idx):
        if name == "t":
            parts.append(f"time index t = {i} (step {i + 1})")
        else:
            parts.append(f"{name} {i}")
    return " (" + ", ".join(parts) + ")" if parts else ""


def _shape_hint(g, w, axes):
    if len(g) == 2 and g == w[::-1] and g != w:
        return " (transposed?)"
    if len(g) == len(w) + 1 and g[1:] == w:
        return " -- sum over the batch axis (axis 0)"
    if len(w) == 0 and len(g) > 0:
        return " -- it must be a single number: sum over all axes"
    if len(g) == len(w) - 1 and g == w[1:] and axes and axes[0] == "t":
        return " -- it holds a single time step: store one entry per step"
    return ""


def _mismatch(key, got, want, axes=(), rtol=RTOL, atol=ATOL):
    """None if ``got`` matches ``want``, else a sentence saying where and how it differs."""
    if want is None:
        return None
    if got is None:
        return f"{key} is missing (None): compute and return it"
    g, w = _as_float(got), np.asarray(want, dtype=np.float64)
    if g is None:
        return f"{key} must be an array of numbers, got {type(got).__name__}"
    if g.shape != w.shape:
        return f"{key} has shape {g.shape}, expected {w.shape}{_shape_hint(g.shape, w.shape, axes)}"
    bad = ~np.isclose(g, w, rtol=rtol, atol=atol)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    ref = f"{key}[{', '.join(map(str, idx))}]" if idx else key
    extra = f" -- {int(bad.sum())} of {bad.size} entries differ" if bad.size > 1 else ""
    if not np.isfinite(g[idx]):
        extra += " (NaN or inf: a division by zero or an overflow?)"
    return f"{ref}{_where(idx, axes)} should be {_fmt(w[idx])}, you have {_fmt(g[idx])}{extra}"


def _diagnose(got, ref, keys, variants):
    """The Mistake whose outputs match the student's where the student is wrong (best: everywhere)."""
    wrong = [k for k in keys if not _close(got.get(k), ref[k])]
    partial = None
    for mistake, out in variants:
        if not all(_close(got.get(k), out[k]) for k in wrong):
            continue
        if all(_close(out[k], ref[k]) for k in wrong):
            continue                                  # this variant is not wrong here
        if all(_close(got.get(k), out[k]) for k in keys):
            return mistake
        partial = partial or mistake
    return partial


def _compare(label, got, ref, axes, variants):
    """Raise _Fail if any output in ``ref`` (dict, ordered) differs; ``variants()`` lists
    (Mistake, outputs) pairs, computed only on failure."""
    keys = [k for k in ref if ref[k] is not None]
    msgs = [(k, m) for k in keys if (m := _mismatch(k, got.get(k), ref[k], axes.get(k, ())))]
    if not msgs:
        return
    mistake = _diagnose(got, ref, keys, variants())
    text = f"{label}: {msgs[0][1]}."
    if len(msgs) > 1:
        text += f" Also wrong: {', '.join(k for k, _ in msgs[1:])}."
    if mistake is None:
        raise _Fail(text)
    raise _Fail(text, mistake.hint, mistake.key)


def _by_key(table):
    return {m.key: m for m in table}


# ========================================================================= numeric gradients
def _fd_check(loss, arrays, analytic, h=1e-6):
    """Largest norm-relative error between ``analytic`` gradients and centred differences of
    ``loss()`` over every entry of ``arrays`` (name -> float64 array, perturbed in place)."""
    from ..gradcheck import check_gradients
    report = check_gradients(loss, arrays, analytic, h=h)
    worst_name = max(report, key=lambda k: report[k][1], default="")
    return (report[worst_name][1] if worst_name else 0.0), worst_name


# =================================================================== exercise 1: the LIF step
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
    decay, gain = (1.0 + dt / tau if m == "decay_sign" else 1.0 - dt / tau), dt / tau * R
    if m == "no_gain":
        gain = R
    elif m == "no_R":
        gain = dt / tau
    elif m == "exact":
        decay, gain = math.exp(-dt / tau), -math.expm1(-dt / tau) * R
    elif m == "exact_decay":
        decay = math.exp(-dt / tau)
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
    from .. import lif
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


# ============================================================= exercise 2: hidden LIF parameters
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


# ============================================================ exercise 3: snu_step_forward
MISTAKES["snu_step_forward"] = [
    Mistake("no_gate", "reset gate missing",
            "the reset gate (1 - y_{t-1}) is missing: a spike at t-1 must clear the state, "
            "z = x W + decay * s_{t-1} * (1 - y_{t-1})."),
    Mistake("gate_inverted", "y_{t-1} instead of 1 - y_{t-1}",
            "the gate is (1 - y_{t-1}), not y_{t-1}: the state is kept where the unit did NOT spike."),
    Mistake("decay_sign", "sign of the decay term", "sign of the decay term: + decay * s_{t-1} * (1 - y_{t-1})."),
    Mistake("bias_sign", "s - b instead of s + b",
            "the output is h(s + b): b = -threshold is already negative, do not subtract it."),
    Mistake("bias_in_state", "bias inside g", "b belongs to the output, u = s + b; the state s = g(z) has no bias."),
    Mistake("no_relu", "g (ReLU) missing", "missing g: the state is s = ReLU(z)."),
    Mistake("rec_state", "s_{t-1} H instead of y_{t-1} H", "the recurrent input is y_{t-1} H, not s_{t-1} H."),
    Mistake("rec_transposed", "H transposed",
            "row-vector convention: the recurrent term is y_{t-1} @ H, not H transposed."),
    Mistake("no_rec", "recurrent term ignored", "with H given (not None), add the recurrent term y_{t-1} @ H to z."),
    Mistake("soft_ignored", "step used for the soft SNU",
            "with soft=True the output is y = sigmoid(s + b), not the step."),
    Mistake("decay_on_input", "decay applied to the input",
            "the decay multiplies only the old state: z = x W + decay * s (1 - y), not decay * (x W + ...)."),
]


def _snu_fwd(x, s_prev, y_prev, W, b, decay, H=None, soft=False, m=None):
    gate = y_prev if m == "gate_inverted" else (1.0 if m == "no_gate" else 1.0 - y_prev)
    keep = decay * s_prev * gate
    if m == "decay_sign":
        keep = -keep
    z = decay * (x @ W + s_prev * gate) if m == "decay_on_input" else x @ W + keep
    if H is not None and m != "no_rec":
        z = z + (s_prev @ H if m == "rec_state" else y_prev @ H.T if m == "rec_transposed" else y_prev @ H)
    if m == "bias_in_state":
        s = np.maximum(z + b, 0.0)
        u = s
    else:
        s = z if m == "no_relu" else np.maximum(z, 0.0)
        u = s - b if m == "bias_sign" else s + b
    y = sigmoid(u) if (soft and m != "soft_ignored") else (u > 0).astype(np.float64)
    return s, y


def _snu_case(seed, soft, recurrent, B=3, n_in=4, n_out=5):
    rng = np.random.default_rng([3, seed])
    x = (rng.random((B, n_in)) < 0.6).astype(np.float64)
    s_prev = np.maximum(rng.normal(0.6, 0.8, (B, n_out)), 0.0)
    y_prev = rng.uniform(0.05, 0.95, (B, n_out)) if soft else (rng.random((B, n_out)) < 0.5).astype(np.float64)
    W = rng.normal(0.0, 0.8, (n_in, n_out))
    b = -1.0 + rng.normal(0.0, 0.3, n_out)
    H = rng.normal(0.0, 0.6, (n_out, n_out)) if recurrent else None
    return dict(x_t=x, s_prev=s_prev, y_prev=y_prev, W=W, b=b, decay=0.8, H=H, soft=soft)


def _config_label(soft, recurrent, detach=None):
    s = ("soft SNU" if soft else "SNU") + (", recurrent" if recurrent else ", feed-forward")
    if detach is not None:
        s += f", detach_reset={detach}"
    return s


def _copy_cache(cache):
    """A copy of a step cache (tuple) or a sequence cache (dict) whose arrays the student may modify."""
    if isinstance(cache, dict):
        return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in cache.items()}
    return tuple(v.copy() if isinstance(v, np.ndarray) else v for v in cache)


def _copy_args(a):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.items()}


def _check_snu_step_forward(fn):
    table = MISTAKES["snu_step_forward"]
    axes = {"s": ("sample", "unit"), "y": ("sample", "unit")}
    configs = [(False, False), (False, True), (True, False), (True, True)]
    for k, (soft, rec) in enumerate(configs):
        a = _snu_case(k, soft, rec)
        c = _copy_args(a)
        out = _call(fn, c["x_t"], c["s_prev"], c["y_prev"], c["W"], c["b"], c["decay"], H=c["H"], soft=c["soft"])
        if not isinstance(out, tuple) or len(out) < 2:
            raise _Fail("snu_step_forward must return (s, y).")
        got = {"s": out[0], "y": out[1]}
        ref = dict(zip(("s", "y"), _snu_fwd(**{k2: v for k2, v in a.items() if k2 != "x_t"}, x=a["x_t"])))

        def variants(a=a):
            args = {k2: v for k2, v in a.items() if k2 != "x_t"}
            return [(mk, dict(zip(("s", "y"), _snu_fwd(x=a["x_t"], m=mk.key, **args)))) for mk in table]

        _compare(_config_label(soft, rec), got, ref, axes, variants)
    return "s and y match the reference for the SNU and the soft SNU, feed-forward and recurrent."


# ============================================================ exercise 4: snu_step_backward
MISTAKES["snu_step_backward"] = [
    Mistake("no_reset", "gradient through the reset missing",
            "the gradient through the reset is missing (your dy_prev equals the detach_reset=True result): "
            "z contains decay * s_{t-1} * (1 - y_{t-1}), so dy_prev gets -decay * dz * s_{t-1}."),
    Mistake("reset_sign", "sign of the reset term",
            "sign of the reset term: d/dy_{t-1} of decay * s_{t-1} * (1 - y_{t-1}) is -decay * s_{t-1}."),
    Mistake("reset_gated", "reset term multiplied by the gate",
            "the reset term has no (1 - y_{t-1}) factor: it is the derivative with respect to y_{t-1} "
            "itself, -decay * dz * s_{t-1}."),
    Mistake("ignore_detach", "detach_reset ignored", "with detach_reset=True the reset term must be dropped (zero)."),
    Mistake("no_pseudo", "pseudo-derivative factor missing",
            "missing the pseudo-derivative factor: du = dy * h'(u) with h'(u) = surrogate.grad(s + b) "
            "(1 - tanh^2(s + b) by default)."),
    Mistake("tanh_not_deriv", "tanh instead of 1 - tanh^2",
            "you used tanh instead of 1 - tanh^2: the pseudo-derivative is the derivative of tanh."),
    Mistake("pseudo_at_s", "pseudo-derivative at s instead of s + b",
            "evaluate the pseudo-derivative at u = s + b, not at s."),
    Mistake("soft_uses_surrogate", "pseudo-derivative used for the soft SNU",
            "for the soft SNU, y = sigmoid(u) is differentiable: use sigmoid' = y (1 - y), not the "
            "pseudo-derivative."),
    Mistake("soft_no_1my", "sigmoid' = y instead of y (1 - y)", "the sigmoid's derivative is y (1 - y), not y."),
    Mistake("no_ds_next", "ds_next dropped",
            "the gradient ds_next arriving from step t+1 through the decay is dropped: ds = du + ds_next."),
    Mistake("no_relu_grad", "g'(z) (ReLU derivative) missing", "missing g'(z): dz = ds * 1[s > 0] for ReLU."),
    Mistake("carry_no_gate", "ds_prev without the gate",
            "ds_prev = dz * decay * (1 - y_{t-1}): the reset gate is missing."),
    Mistake("carry_no_decay", "ds_prev without the decay",
            "ds_prev = dz * decay * (1 - y_{t-1}): the decay is missing."),
    Mistake("dx_from_du", "dx from du instead of dz", "dx = dz @ W.T uses dz (after g'), not du."),
    Mistake("dH_state", "dH from s_{t-1}", "dH = y_{t-1}.T @ dz: the recurrent input is y_{t-1}, not s_{t-1}."),
    Mistake("no_rec_carry", "recurrent part of dy_prev missing",
            "dy_prev must also include dz @ H.T, the path through the recurrent weights."),
    Mistake("ddecay_no_gate", "ddecay without the gate",
            "ddecay = sum(dz * s_{t-1} * (1 - y_{t-1})): the gate is missing."),
]
BWD_KEYS = ("dx", "dW", "db", "ds_prev", "dy_prev", "dH", "ddecay")
BWD_AXES = {"dx": ("sample", "input"), "dW": ("input", "unit"), "db": ("unit",),
            "ds_prev": ("sample", "unit"), "dy_prev": ("sample", "unit"), "dH": ("row", "column"),
            "ddecay": ()}


def _snu_bwd(dy, ds_next, cache, detach_reset=False, m=None):
    x_t, s_prev, y_prev, s, y, W, b, decay, H, soft, g, surrogate = cache
    u = s + b
    if soft and m != "soft_uses_surrogate":
        dh = y if m == "soft_no_1my" else y * (1.0 - y)
    elif m == "no_pseudo":
        dh = 1.0
    elif m == "tanh_not_deriv":
        dh = np.tanh(surrogate.scale * u)
    elif m == "pseudo_at_s":
        dh = surrogate.grad(s)
    else:
        dh = surrogate.grad(u)
    du = dy * dh
    ds = du if m == "no_ds_next" else ds_next + du
    dz = ds if m == "no_relu_grad" else ds * g_grad_from_output(s, g)
    gate = 1.0 - y_prev
    out = {"dx": (du if m == "dx_from_du" else dz) @ W.T, "dW": x_t.T @ dz, "db": du.sum(axis=0)}
    out["ds_prev"] = dz * (1.0 if m == "carry_no_decay" else decay) * (1.0 if m == "carry_no_gate" else gate)
    if detach_reset and m != "ignore_detach":
        dy_prev = np.zeros_like(y_prev)
    elif m == "no_reset":
        dy_prev = np.zeros_like(y_prev)
    else:
        dy_prev = (1.0 if m == "reset_sign" else -1.0) * dz * decay * s_prev * (gate if m == "reset_gated" else 1.0)
    out["dH"] = None
    if H is not None:
        out["dH"] = (s_prev if m == "dH_state" else y_prev).T @ dz
        if m != "no_rec_carry":
            dy_prev = dy_prev + dz @ H.T
    out["dy_prev"] = dy_prev
    out["ddecay"] = float(np.sum(dz * s_prev * (1.0 if m == "ddecay_no_gate" else gate)))
    return {k: out[k] for k in BWD_KEYS}


def _bwd_case(k, soft, rec):
    a = _snu_case(10 + k, soft, rec)
    _, _, cache = _snu.snu_step_forward(a["x_t"], a["s_prev"], a["y_prev"], a["W"], a["b"], a["decay"],
                                        a["H"], soft)
    rng = np.random.default_rng([4, k])
    dy = rng.normal(size=a["s_prev"].shape)
    ds_next = rng.normal(size=a["s_prev"].shape)
    return a, cache, dy, ds_next


def _student_dict(out, keys, what):
    if not isinstance(out, dict):
        raise _Fail(f"{what} must return a dict with keys {list(keys)}; got {type(out).__name__}.")
    missing = [k for k in keys if k not in out]
    if missing:
        raise _Fail(f"the dict returned by {what} has no key(s) {missing}.")
    return out


def _check_snu_step_backward(fn):
    table = MISTAKES["snu_step_backward"]
    configs = [(False, False, False), (False, True, False), (True, True, False), (False, True, True)]
    for k, (soft, rec, detach) in enumerate(configs):
        a, cache, dy, ds_next = _bwd_case(k, soft, rec)
        ref = _snu_bwd(dy, ds_next, cache, detach)
        need = [key for key in BWD_KEYS if ref[key] is not None]
        out = _call(fn, dy.copy(), ds_next.copy(), _copy_cache(cache), detach_reset=detach)
        got = _student_dict(out, need, "snu_step_backward")

        def variants(dy=dy, ds_next=ds_next, cache=cache, detach=detach):
            return [(mk, _snu_bwd(dy, ds_next, cache, detach, m=mk.key)) for mk in table]

        _compare(_config_label(soft, rec, detach), got, ref, BWD_AXES, variants)
    # independent confirmation: finite differences of a soft, recurrent step
    a, cache, dy, ds_next = _bwd_case(2, True, True)
    got = _call(fn, dy.copy(), ds_next.copy(), _copy_cache(cache), detach_reset=False)
    arrays = {k: a[k] for k in ("x_t", "s_prev", "y_prev", "W", "b", "H")}
    dec = np.array([a["decay"]])
    arrays["decay"] = dec

    def loss():
        s, y, _ = _snu.snu_step_forward(arrays["x_t"], arrays["s_prev"], arrays["y_prev"], arrays["W"],
                                        arrays["b"], float(dec[0]), arrays["H"], True)
        return float(np.sum(dy * y) + np.sum(ds_next * s))

    analytic = {"x_t": got["dx"], "s_prev": got["ds_prev"], "y_prev": got["dy_prev"], "W": got["dW"],
                "b": got["db"], "H": got["dH"], "decay": np.array([got["ddecay"]])}
    err, _ = _fd_check(loss, arrays, analytic)
    return (f"all 7 outputs match the reference in {len(configs)} configurations (SNU/soft, feed-forward/"
            f"recurrent, detach_reset); finite differences agree to {err:.1e}.")


# ================================================================= exercise 5: the BPTT loop
MISTAKES["snu_backward"] = [
    Mistake("assign", "= instead of += (no accumulation over time)",
            "forgot to accumulate dW over time (used = instead of +=): the weights are shared by all "
            "steps, so their gradients add up."),
    Mistake("off_by_one", "y_t instead of y_{t-1} (off by one in time)",
            "off by one in time: you used y_t (and s_t) instead of y_{t-1} (s_{t-1}) as the previous "
            "output and state of step t."),
    Mistake("wraparound", "s[t-1] at t = 0 wraps to the last step",
            "at t = 0 the previous state and output are s_0 = y_0 = 0: s[t - 1] with t = 0 is s[-1], "
            "which Python reads as the LAST step."),
    Mistake("no_dy_next", "dy_prev from step t+1 dropped",
            "you dropped what step t+1 sends back to y_t: pass dy[t] + dy_next, with dy_next = d['dy_prev']."),
    Mistake("no_ds_next", "ds_prev from step t+1 dropped",
            "you dropped what step t+1 sends back to s_t: pass ds_next = d['ds_prev'] of the step after."),
    Mistake("forward_loop", "loop forwards in time",
            "BPTT runs backwards in time: for t in reversed(range(T)), so that step t+1's gradients "
            "exist when step t needs them."),
    Mistake("swap_carry", "the two carries swapped",
            "you swapped the two carries: ds_next = d['ds_prev'] and dy_next = d['dy_prev']."),
    Mistake("ignore_detach", "detach_reset not passed on", "pass detach_reset on to snu_step_backward."),
]
SEQ_AXES = {"dx": ("t", "sample", "input"), "W": ("input", "unit"), "b": ("unit",),
            "H": ("row", "column"), "decay": ()}


def _bptt(dy, cache, detach_reset=False, m=None):
    x, s, y, W, b, decay, H = (cache[k] for k in ("x", "s", "y", "W", "b", "decay", "H"))
    T = x.shape[0]
    zeros = np.zeros_like(s[0])
    dx = np.zeros_like(x)
    grads = {"W": np.zeros_like(W), "b": np.zeros_like(b), "H": None if H is None else np.zeros_like(H),
             "decay": 0.0}
    ds_next = dy_next = zeros
    order = range(T) if m == "forward_loop" else reversed(range(T))
    for t in order:
        if m == "off_by_one":
            s_prev, y_prev = s[t], y[t]
        elif m == "wraparound":
            s_prev, y_prev = s[t - 1], y[t - 1]
        else:
            s_prev = s[t - 1] if t > 0 else zeros
            y_prev = y[t - 1] if t > 0 else zeros
        step_cache = (x[t], s_prev, y_prev, s[t], y[t], W, b, decay, H, cache["soft"], cache["g"],
                      cache["surrogate"])
        d = _snu.snu_step_backward(dy[t] + (0.0 if m == "no_dy_next" else dy_next),
                                   zeros if m == "no_ds_next" else ds_next, step_cache,
                                   False if m == "ignore_detach" else detach_reset)
        dx[t] = d["dx"]
        for key, dk in (("W", "dW"), ("b", "db"), ("H", "dH"), ("decay", "ddecay")):
            if grads[key] is None:
                continue
            grads[key] = d[dk] + (0.0 if m == "assign" else grads[key])
        if m == "swap_carry":
            ds_next, dy_next = d["dy_prev"], d["ds_prev"]
        else:
            ds_next, dy_next = d["ds_prev"], d["dy_prev"]
    return {"dx": dx, **grads}


def _seq_case(k, soft, rec, T=6, B=3, n_in=4, n_out=5):
    rng = np.random.default_rng([5, k])
    x = (rng.random((T, B, n_in)) < 0.5).astype(np.float64)
    W = rng.normal(0.3, 0.9, (n_in, n_out))
    b = -0.8 + rng.normal(0.0, 0.3, n_out)
    H = rng.normal(0.0, 0.5, (n_out, n_out)) if rec else None
    _, y, cache = _snu.snu_forward(x, W, b, 0.8, H, soft)
    dy = rng.normal(size=y.shape)
    return cache, dy


def _check_snu_backward(fn):
    table = MISTAKES["snu_backward"]
    configs = [(False, False, False), (False, True, False), (True, True, False), (False, True, True)]
    for k, (soft, rec, detach) in enumerate(configs):
        cache, dy = _seq_case(k, soft, rec)
        ref = _bptt(dy, cache, detach)
        out = _call(fn, dy.copy(), _copy_cache(cache), detach_reset=detach)
        if not isinstance(out, tuple) or len(out) != 2 or not isinstance(out[1], dict):
            raise _Fail("snu_backward must return (dx, grads) with grads a dict.")
        need = [key for key in ("W", "b", "H", "decay") if ref[key] is not None]
        grads = _student_dict(out[1], need, "snu_backward (grads)")
        got = {"dx": out[0], **{key: grads.get(key) for key in ("W", "b", "H", "decay")}}

        def variants(dy=dy, cache=cache, detach=detach):
            return [(mk, _bptt(dy, cache, detach, m=mk.key)) for mk in table]

        _compare(_config_label(soft, rec, detach), got, ref, SEQ_AXES, variants)
    # finite differences of a soft recurrent layer over the whole sequence
    cache, dy = _seq_case(2, True, True)
    x, W, b, H = cache["x"], cache["W"].copy(), cache["b"].copy(), cache["H"].copy()
    dec = np.array([cache["decay"]])
    _, grads = _call(fn, dy.copy(), _copy_cache(cache))

    def loss():
        return float(np.sum(dy * _snu.snu_forward(x, W, b, float(dec[0]), H, True)[1]))

    err, _ = _fd_check(loss, {"W": W, "b": b, "H": H, "decay": dec},
                       {"W": grads["W"], "b": grads["b"], "H": grads["H"], "decay": np.array([grads["decay"]])})
    return (f"dx and the gradients match the reference in {len(configs)} configurations over T = 6 steps; "
            f"finite differences agree to {err:.1e}.")


# ========================================================== exercise 6: a pseudo-derivative
MISTAKES["fast_sigmoid"] = [
    Mistake("prim_no_abs", "primitive without abs(u)",
            "the primitive is u / (1 + alpha |u|), with the absolute value: without it, it blows up at u = -1/alpha."),
    Mistake("prim_alpha", "primitive alpha u / (1 + alpha abs(u))",
            "the primitive is u / (1 + alpha |u|) (slope 1 at u = 0, so its derivative peaks at 1), "
            "not alpha u / (1 + alpha |u|)."),
    Mistake("no_square", "square missing",
            "the derivative of u / (1 + alpha |u|) is 1 / (1 + alpha |u|)^2: you forgot the square."),
    Mistake("no_abs", "abs(u) missing in the derivative",
            "use |u|: the bump must be symmetric, 1 / (1 + alpha |u|)^2; yours blows up at u = -1/alpha."),
    Mistake("alpha_numerator", "extra factor alpha",
            "no factor alpha in the numerator: d/du [u / (1 + alpha |u|)] = 1 / (1 + alpha |u|)^2."),
    Mistake("negative", "sign flipped", "sign: the primitive increases, so its derivative is positive."),
    Mistake("abs_as_u", "d abs(u)/du taken as 1 for u < 0",
            "for u < 0, d|u|/du = -1: with the quotient rule the numerator (1 + alpha |u|) - alpha u sign(u) "
            "simplifies to 1."),
]
_PRIM = {None: lambda u, a: u / (1 + a * np.abs(u)),
         "prim_no_abs": lambda u, a: u / (1 + a * u),
         "prim_alpha": lambda u, a: a * u / (1 + a * np.abs(u))}
_GRAD = {None: lambda u, a: 1 / (1 + a * np.abs(u)) ** 2,
         "no_square": lambda u, a: 1 / (1 + a * np.abs(u)),
         "no_abs": lambda u, a: 1 / (1 + a * u) ** 2,
         "alpha_numerator": lambda u, a: a / (1 + a * np.abs(u)) ** 2,
         "negative": lambda u, a: -1 / (1 + a * np.abs(u)) ** 2,
         "abs_as_u": lambda u, a: (1 + a * np.abs(u) - a * u) / (1 + a * np.abs(u)) ** 2}


def _grid():
    return np.linspace(-4.0, 4.0, 81) + 0.0123      # never exactly 0 or +-1/alpha


def _fd(prim, u, alpha, h=1e-6):
    return (np.asarray(prim(u + h, alpha), float) - np.asarray(prim(u - h, alpha), float)) / (2 * h)


def _check_fast_sigmoid(fn, primitive=None):
    if primitive is None:
        raise _Fail("pass the primitive too: check('fast_sigmoid', fast_sigmoid_grad, primitive=fast_sigmoid).")
    u = _grid()
    table = _by_key(MISTAKES["fast_sigmoid"])
    for alpha in (1.0, 2.5):
        got = _call(primitive, u.copy(), alpha)
        msg = _mismatch("fast_sigmoid(u)", got, _PRIM[None](u, alpha), ("u index",))
        if msg:
            key = next((k for k in ("prim_no_abs", "prim_alpha")
                        if _close(got, _PRIM[k](u, alpha), 1e-9, 1e-12)), "")
            raise _Fail(f"alpha = {alpha:g}: {msg} (u = {u[0]:.4g} ... {u[-1]:.4g}).",
                        table[key].hint if key else "the primitive is u / (1 + alpha |u|).", key)
    for alpha in (1.0, 2.5):
        got = _call(fn, u.copy(), alpha)
        g = _as_float(got)
        if g is None or g.shape != u.shape:
            raise _Fail(f"fast_sigmoid_grad must return an array like u, shape {u.shape}; got "
                        f"{None if g is None else g.shape} (use NumPy operations, not math.*).")
        fd = _fd(primitive, u, alpha)
        bad = ~np.isclose(g, fd, rtol=1e-5, atol=1e-6)
        if bad.any():
            i = int(np.argmax(bad))
            key = next((k for k in _GRAD if k and _close(g, _GRAD[k](u, alpha), 1e-9, 1e-12)), "")
            raise _Fail(f"alpha = {alpha:g}: your grad is not the derivative of your primitive: at u = {u[i]:.4g} "
                        f"finite differences of fast_sigmoid give {_fmt(fd[i])}, fast_sigmoid_grad gives "
                        f"{_fmt(g[i])} ({int(bad.sum())} of {u.size} points differ).",
                        table[key].hint if key else "differentiate u / (1 + alpha |u|) with the quotient rule.", key)
        msg = _mismatch("fast_sigmoid_grad(u)", g, _GRAD[None](u, alpha), ("u index",))
        if msg:
            raise _Fail(f"alpha = {alpha:g}: {msg}.", "compare with the formula 1 / (1 + alpha |u|)^2.")
    peak = float(np.asarray(_call(fn, np.array([0.0]), 1.0)).reshape(-1)[0])
    if abs(peak - 1.0) > 1e-12:
        raise _Fail(f"fast_sigmoid_grad(0) should be 1 (the peak), you have {peak:.6g}.")
    return ("the primitive matches u / (1 + alpha |u|), and the pseudo-derivative matches both the "
            "finite differences of your primitive and the formula, for alpha = 1 and 2.5.")


def _check_pseudo_derivative(fn, primitive=None, alpha=1.0):
    """Generic check of a pseudo-derivative of your own design."""
    if primitive is None:
        raise _Fail("pass the primitive too: check('pseudo_derivative', my_grad, primitive=my_primitive).")
    u = _grid()
    g = _as_float(_call(fn, u.copy(), alpha))
    if g is None or g.shape != u.shape:
        raise _Fail("the pseudo-derivative must return an array shaped like u.")
    fd = _fd(primitive, u, alpha)
    bad = ~np.isclose(g, fd, rtol=1e-5, atol=1e-6)
    if bad.any():
        i = int(np.argmax(bad))
        raise _Fail(f"not the derivative of your primitive: at u = {u[i]:.4g} finite differences give "
                    f"{_fmt(fd[i])}, your function {_fmt(g[i])}.")
    if not np.all(np.isfinite(g)) or np.any(g < 0):
        raise _Fail("a pseudo-derivative must be finite and >= 0 everywhere (the step only goes up).")
    if not np.allclose(g, np.asarray(_call(fn, -u, alpha), float), rtol=1e-9, atol=1e-12):
        raise _Fail("it is not symmetric: h'(-u) should equal h'(u).")
    g0 = float(np.asarray(_call(fn, np.array([0.0]), alpha)).reshape(-1)[0])
    if g0 < g.max() - 1e-12:
        raise _Fail("the bump should peak at the threshold, u = 0.")
    return f"finite, non-negative, symmetric, peaks at u = 0 (value {g0:.3g}) and is the derivative of your primitive."


# ====================================================== exercise 7: the reset-gradient term
MISTAKES["reset_term"] = [
    Mistake("sign", "sign of the reset term",
            "sign of the reset term: d/dy_{t-1} of decay * s_{t-1} * (1 - y_{t-1}) is -decay * s_{t-1}."),
    Mistake("no_decay", "decay missing", "the term is -decay * dz * s_{t-1}: the decay is missing."),
    Mistake("gated", "multiplied by the gate (1 - y_{t-1})",
            "no (1 - y_{t-1}) factor: you differentiate with respect to y_{t-1}, and d(1 - y)/dy = -1."),
    Mistake("zero", "zero (the detached version)",
            "that is the detached version (detach_reset=True): return the gradient through the reset, "
            "-decay * dz * s_{t-1}."),
    Mistake("uses_y", "y_{t-1} instead of s_{t-1}", "the reset term multiplies the state s_{t-1}, not y_{t-1}."),
]


def _reset_term(dz, s_prev, y_prev, decay, m=None):
    if m == "zero":
        return np.zeros_like(dz)
    val = -(1.0 if m == "no_decay" else decay) * dz * (y_prev if m == "uses_y" else s_prev)
    if m == "gated":
        val = val * (1.0 - y_prev)
    return -val if m == "sign" else val


def _check_reset_term(fn):
    rng = np.random.default_rng(7)
    B, n = 4, 5
    args = dict(dz=rng.normal(size=(B, n)), s_prev=np.maximum(rng.normal(0.5, 0.8, (B, n)), 0.0),
                y_prev=(rng.random((B, n)) < 0.5).astype(np.float64), decay=0.8)
    c = _copy_args(args)
    got = {"reset": _call(fn, c["dz"], c["s_prev"], c["y_prev"], c["decay"])}
    ref = {"reset": _reset_term(**args)}
    table = MISTAKES["reset_term"]
    _compare("on random (B = 4, n = 5) arrays", got, ref, {"reset": ("sample", "unit")},
             lambda: [(mk, {"reset": _reset_term(m=mk.key, **args)}) for mk in table])
    # the same term inside a whole BPTT pass must reproduce the reference
    cache, dy = _seq_case(1, False, True)
    dx, grads = helpers.bptt_with_reset_term(dy, cache, lambda *a: _call(fn, *(v.copy() if isinstance(v, np.ndarray)
                                                                               else v for v in a)))
    ref_dx, ref_g = _snu.snu_backward(dy, cache)
    for key, a, b in (("dx", dx, ref_dx), ("W", grads["W"], ref_g["W"]), ("H", grads["H"], ref_g["H"])):
        msg = _mismatch(key, a, b, SEQ_AXES[key])
        if msg:
            raise _Fail(f"inside BPTT over 6 steps: {msg}.", "return an array of shape (B, n_out), one entry "
                        "per sample and unit, without modifying the inputs.")
    return "the reset term matches, alone and inside a 6-step BPTT pass (dx, dW, dH equal the reference)."


# ============================================================ exercise 8: the jitter encoder
MISTAKES["shift_image"] = [
    Mistake("roll", "np.roll wraps around",
            "np.roll wraps pixels around the border: the pixels shifted in from outside must be 0."),
    Mistake("reversed", "shifted the wrong way",
            "wrong direction: a positive dy moves the content down (row r goes to row r + dy), a positive dx right."),
    Mistake("swapped", "dy and dx swapped",
            "dy is the row (vertical) offset and dx the column offset; you swapped them."),
]
MISTAKES["jitter_encode"] = [
    Mistake("vs_original", "compared with the unshifted image",
            "compare each frame with the PREVIOUS frame F_{t-1}, not with the unshifted image."),
    Mistake("on_only", "ON events only",
            "you kept only ON events (F_t - F_{t-1} > threshold); an event camera also reports darkening: "
            "use the absolute difference."),
    Mistake("no_threshold", "no threshold",
            "apply the threshold: a pixel spikes only where |F_t - F_{t-1}| > threshold."),
    Mistake("roll", "np.roll wraps around", "np.roll wraps pixels around the border: the pixels shifted in must be 0."),
    Mistake("not_deterministic", "not deterministic for a seed",
            "not deterministic for a fixed seed: draw every random number from rng = np.random.default_rng(seed)."),
    Mistake("seed_ignored", "seed ignored", "the seed is ignored: two different seeds gave identical spikes."),
    Mistake("not_binary", "events not 0/1", "events must be 0 or 1: threshold the differences, do not return them."),
    Mistake("no_motion", "the image never moves",
            "the image never moves, so an event camera sees nothing: change the offset at every step."),
]


def _shift(img, dy, dx, m=None):
    if m == "roll":
        return np.roll(np.roll(img, dy, axis=0), dx, axis=1)
    if m == "reversed":
        dy, dx = -dy, -dx
    elif m == "swapped":
        dy, dx = dx, dy
    out = np.zeros_like(img)
    H, W = img.shape
    out[max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        img[max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


SHIFTS = ((1, 0), (0, -2), (-1, 1), (2, 2), (0, 0), (-3, -1))


def _check_shift_image(fn):
    img = helpers.example_images(1, seed=3)[0]
    table = MISTAKES["shift_image"]
    for dy, dx in SHIFTS:
        got = {"image": _call(fn, img.copy(), dy, dx)}
        ref = {"image": _shift(img, dy, dx)}
        _compare(f"dy = {dy}, dx = {dx}", got, ref, {"image": ("row", "column")},
                 lambda dy=dy, dx=dx: [(mk, {"image": _shift(img, dy, dx, mk.key)}) for mk in table])
    return f"shifts with zeros shifted in are right for {len(SHIFTS)} offsets."


def _events_from(images, offsets, threshold, m=None):
    T = offsets.shape[0] - 1
    B = images.shape[0]
    frames = np.stack([[_shift(images[b], int(offsets[t, b, 0]), int(offsets[t, b, 1]),
                               "roll" if m == "roll" else None) for b in range(B)] for t in range(T + 1)])
    frames = frames.reshape(T + 1, B, -1)
    if m == "vs_original":
        diff = frames[1:] - images.reshape(1, B, -1)
    else:
        diff = frames[1:] - frames[:-1]
    if m == "on_only":
        return (diff > threshold).astype(np.float64)
    if m == "no_threshold":
        return (np.abs(diff) > 0).astype(np.float64)
    return (np.abs(diff) > threshold).astype(np.float64)


def _check_jitter_encode(fn):
    images = helpers.example_images(3, seed=8)
    T, max_shift, thr, seed = 12, 2, 0.15, 7
    table = _by_key(MISTAKES["jitter_encode"])

    def run(sd):
        out = _call(fn, images.copy(), T, max_shift, thr, sd)
        if not isinstance(out, tuple) or len(out) != 2:
            raise _Fail("jitter_encode must return (events, offsets).")
        return out

    events, offsets = run(seed)
    ev = _as_float(events)
    B = images.shape[0]
    if ev is None or ev.shape != (T, B, 784):
        shape = None if ev is None else ev.shape
        hint = ("flatten the pixels: reshape to (T, B, 784)." if shape == (T, B, 28, 28) else
                "time comes first: (T, B, 784)." if shape == (B, T, 784) else "")
        raise _Fail(f"events must have shape (T, B, 784) = {(T, B, 784)}, got {shape}.", hint)
    off = _as_float(offsets)
    if off is None or off.shape != (T + 1, B, 2):
        raise _Fail(f"offsets must have shape (T + 1, B, 2) = {(T + 1, B, 2)} (the reference frame F_-1 "
                    f"and the T frames), got {None if off is None else off.shape}.")
    if not np.all(np.isin(ev, (0.0, 1.0))):
        mk = table["not_binary"]
        raise _Fail(f"events hold values other than 0 and 1 (e.g. {_fmt(ev[~np.isin(ev, (0.0, 1.0))][0])}).",
                    mk.hint, mk.key)
    if not np.all(off == np.round(off)) or np.abs(off).max() > max_shift:
        raise _Fail(f"offsets must be integers in [-max_shift, max_shift] = [{-max_shift}, {max_shift}].")
    off = off.astype(np.int64)
    if np.all(off == off[:1]) or ev.sum() == 0:
        mk = table["no_motion"]
        raise _Fail("no event at all.", mk.hint, mk.key)
    ref = _events_from(images, off, thr)
    bad = ev != ref
    if bad.any():
        t, b, p = (int(i) for i in np.argwhere(bad)[0])
        key = next((k for k in ("vs_original", "on_only", "no_threshold", "roll")
                    if np.array_equal(ev, _events_from(images, off, thr, k))), "")
        what = ("an event where the intensity did not change by more than the threshold" if ev[t, b, p]
                else "no event where the intensity changed by more than the threshold")
        raise _Fail(f"events[{t}, {b}, {p}] (time step {t}, image {b}, pixel row {p // 28}, column {p % 28}): "
                    f"{what}, given your offsets {off[t, b].tolist()} -> {off[t + 1, b].tolist()} "
                    f"({int(bad.sum())} wrong entries).", table[key].hint if key else
                    "events[t] = |F_t - F_{t-1}| > threshold, where F_t is the image shifted by offsets[t + 1].",
                    key)
    events2, offsets2 = run(seed)
    if not (np.array_equal(_as_float(events2), ev) and np.array_equal(_as_float(offsets2), off)):
        mk = table["not_deterministic"]
        raise _Fail("two calls with seed = 7 gave different spikes.", mk.hint, mk.key)
    events3, _ = run(seed + 1)
    if np.array_equal(_as_float(events3), ev):
        mk = table["seed_ignored"]
        raise _Fail("seed = 7 and seed = 8 gave identical spikes.", mk.hint, mk.key)
    return (f"shape (T, B, 784), binary, reproducible by seed, and every event (and only those) marks a "
            f"change above the threshold between consecutive frames ({int(ev.sum())} events).")


# ======================================================== exercise 9: lstm_step_backward
MISTAKES["lstm_step_backward"] = [
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
]
LSTM_KEYS = ("dx", "dh_prev", "dc_prev", "dW", "dH", "db")
LSTM_AXES = {"dx": ("sample", "input"), "dh_prev": ("sample", "unit"), "dc_prev": ("sample", "unit"),
             "dW": ("input", "gate column"), "dH": ("unit", "gate column"), "db": ("gate column",)}


def _lstm_bwd(dh, dc_next, cache, m=None):
    x_t, h_prev, c_prev, gates, c, W, H = cache
    n = c.shape[1]
    i, f, g, o = (gates[:, k * n:(k + 1) * n] for k in range(4))
    tc = np.tanh(c)
    do = dh * tc
    dc = (0.0 if m == "no_dc_next" else dc_next) + dh * o * (tc if m == "tanh_not_deriv" else 1.0 - tc * tc)
    di, df, dg = dc * g, dc * (c if m == "df_c" else c_prev), dc * i
    dc_prev = dc if m == "dc_prev_no_f" else dc * f

    def sg(d, s):
        return d if m == "no_sigmoid_grad" else d * s * (1.0 - s)

    blocks = [sg(di, i), sg(df, f), dg * g * (1.0 - g) if m == "g_as_sigmoid" else dg * (1.0 - g * g), sg(do, o)]
    if m == "gate_order":
        blocks = [blocks[1], blocks[0], blocks[2], blocks[3]]
    da = np.concatenate(blocks, axis=1)
    return {"dx": da @ W.T, "dh_prev": da @ H.T, "dc_prev": dc_prev, "dW": x_t.T @ da, "dH": h_prev.T @ da,
            "db": da.sum(axis=0)}


def _lstm_case(k, B=3, n_in=4, n=5):
    rng = np.random.default_rng([9, k])
    a = dict(x_t=rng.normal(size=(B, n_in)), h_prev=rng.uniform(-0.8, 0.8, (B, n)),
             c_prev=rng.normal(0, 1.0, (B, n)), W=rng.normal(0, 0.6, (n_in, 4 * n)),
             H=rng.normal(0, 0.5, (n, 4 * n)), b=rng.normal(0, 0.5, 4 * n))
    h, c, cache = _lstm.lstm_step_forward(**a)
    return a, cache, rng.normal(size=h.shape), rng.normal(size=c.shape)


def _check_lstm_step_backward(fn):
    table = MISTAKES["lstm_step_backward"]
    for k in range(2):
        a, cache, dh, dc_next = _lstm_case(k)
        ref = _lstm_bwd(dh, dc_next, cache)
        got = _student_dict(_call(fn, dh.copy(), dc_next.copy(), _copy_cache(cache)), LSTM_KEYS,
                            "lstm_step_backward")
        _compare(f"random step {k + 1} (B = 3, n_in = 4, n = 5)", got, ref, LSTM_AXES,
                 lambda dh=dh, dc_next=dc_next, cache=cache: [(mk, _lstm_bwd(dh, dc_next, cache, mk.key))
                                                              for mk in table])
    a, cache, dh, dc_next = _lstm_case(0)
    got = _call(fn, dh.copy(), dc_next.copy(), _copy_cache(cache))

    def loss():
        h, c, _ = _lstm.lstm_step_forward(**a)
        return float(np.sum(dh * h) + np.sum(dc_next * c))

    err, _ = _fd_check(loss, a, {"x_t": got["dx"], "h_prev": got["dh_prev"], "c_prev": got["dc_prev"],
                                 "W": got["dW"], "H": got["dH"], "b": got["db"]})
    return f"all 6 outputs match the reference on 2 random steps; finite differences agree to {err:.1e}."


# ===================================================================== exercise 10: training
MISTAKES["train"] = [
    Mistake("no_learning", "loss does not go down (no update)",
            "the loss did not go down: each iteration must run forward, loss, net.backward(dy) and then "
            "opt.step() -- and create the optimiser once, before the loop. If it does, raise the learning "
            "rate."),
    Mistake("too_little", "loss goes down, accuracy below target",
            "the loss goes down but not far enough: train for more epochs or raise the learning rate "
            "(Adam with lr around 1e-2 works here)."),
    Mistake("diverged", "loss NaN or inf", "the loss became NaN or inf: lower the learning rate."),
    Mistake("too_slow", "over the time budget",
            "too slow: use fewer epochs, a smaller hidden layer or the NumPy backend "
            "with small batches."),
    Mistake("wrong_output", "wrong output size", "the network's last layer must have one unit per class."),
]
TARGET_ACCURACY = 0.90


def _check_train(fn, time_budget=30.0, seed=0, target=TARGET_ACCURACY):
    table = _by_key(MISTAKES["train"])
    task = helpers.make_training_task(seed)
    t0 = time.perf_counter()
    try:
        out = _call(fn, task["x_train"].copy(), task["y_train"].copy())
    except _Fail as fail:
        if "labels must be in" in fail.message:           # raised by the loss: too few output units
            mk = table["wrong_output"]
            raise _Fail(fail.message, mk.hint, mk.key) from None
        raise
    seconds = time.perf_counter() - t0
    net, losses = out if isinstance(out, tuple) and len(out) == 2 else (out, None)
    if not hasattr(net, "forward"):
        raise _Fail("train must return (net, losses) where net has a forward method.")
    y = _call(net.forward, task["x_test"])
    y = _as_float(y)
    T, B = task["x_test"].shape[:2]
    if y is None or y.ndim != 3 or y.shape[:2] != (T, B):
        raise _Fail(f"net.forward(x_test) must return (T, B, n_classes) = {(T, B, task['n_classes'])}, got "
                    f"{None if y is None else y.shape}.")
    if y.shape[2] != task["n_classes"]:
        mk = table["wrong_output"]
        raise _Fail(f"the output has {y.shape[2]} units for {task['n_classes']} classes.", mk.hint, mk.key)
    acc = accuracy(y, task["y_test"])
    losses = None if losses is None else np.asarray(losses, dtype=np.float64).reshape(-1)
    if losses is not None and losses.size and not np.all(np.isfinite(losses)):
        mk = table["diverged"]
        raise _Fail(f"test accuracy {acc:.1%}; the loss is not finite.", mk.hint, mk.key)
    if acc < target:
        key = ""
        if losses is not None and losses.size >= 4:
            k = max(1, losses.size // 10)
            first, last = losses[:k].mean(), losses[-k:].mean()
            key = "no_learning" if last > 0.98 * first else "too_little"
        elif not np.all(np.isfinite(y)):
            key = "diverged"
        hint = table[key].hint if key else "return (net, losses) so that the loss curve can be diagnosed."
        raise _Fail(f"test accuracy {acc:.1%} < {target:.0%} after {seconds:.1f} s of training.", hint, key)
    if seconds > time_budget:
        mk = table["too_slow"]
        raise _Fail(f"test accuracy {acc:.1%}, but training took {seconds:.1f} s > {time_budget:g} s.", mk.hint, mk.key)
    return f"test accuracy {acc:.1%} (target {target:.0%}) after {seconds:.1f} s of training."


# ===================================================================== registry and check()
@dataclass(frozen=True)
class _Spec:
    name: str
    exercise: int
    fn: object


CHECKS = {s.name: s for s in (
    _Spec("lif_euler_step", 1, _check_lif_euler_step),
    _Spec("firing_rates", 1, _check_firing_rates),
    _Spec("estimate_lif_parameters", 2, _check_estimate),
    _Spec("snu_step_forward", 3, _check_snu_step_forward),
    _Spec("snu_step_backward", 4, _check_snu_step_backward),
    _Spec("snu_backward", 5, _check_snu_backward),
    _Spec("fast_sigmoid", 6, _check_fast_sigmoid),
    _Spec("pseudo_derivative", 6, _check_pseudo_derivative),
    _Spec("reset_term", 7, _check_reset_term),
    _Spec("shift_image", 8, _check_shift_image),
    _Spec("jitter_encode", 8, _check_jitter_encode),
    _Spec("lstm_step_backward", 9, _check_lstm_step_backward),
    _Spec("train", 10, _check_train),
)}
_ALIASES = {"training_run": "train"}
for _s in reversed(list(CHECKS.values())):
    _ALIASES[f"ex{_s.exercise:02d}"] = _s.name        # exNN -> the first check of exercise NN


def _lookup(name):
    if isinstance(name, int) and not isinstance(name, bool):
        name = f"ex{name:02d}"
    if not isinstance(name, str):
        raise TypeError(f"name must be a check name (str), got {type(name).__name__}")
    key = _ALIASES.get(name, name)
    if key not in CHECKS:
        raise ValueError(f"unknown check {name!r}; known: {sorted(CHECKS)}")
    return CHECKS[key]


def _strict_default():
    return os.environ.get(STRICT_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _write_report(result):
    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(result.to_dict()) + "\n")
    except OSError as exc:  # pragma: no cover - grading only
        print(f"(could not write the check report to {path}: {exc})", file=sys.stderr)


def check(name, student_fn, *, verbose=True, strict=None, **options):
    """Check a student's function against the reference and explain what is wrong.

    Parameters
    ----------
    name : str or int
        The check: ``"lif_euler_step"``, ``"firing_rates"``, ``"estimate_lif_parameters"``,
        ``"snu_step_forward"``, ``"snu_step_backward"``, ``"snu_backward"``, ``"fast_sigmoid"``,
        ``"pseudo_derivative"``, ``"reset_term"``, ``"shift_image"``, ``"jitter_encode"``,
        ``"lstm_step_backward"``, ``"train"``; or ``"ex03"`` / ``3`` for an exercise's first check.
    student_fn : callable
        The student's function, with the signature given in the exercise.
    verbose : bool
        Print ``✓ ...`` or ``✗ ...`` with the hint.
    strict : bool or None
        Raise :class:`ExerciseCheckFailed` on failure. None: only if the environment variable
        ``SNU_NP_EXERCISES_STRICT`` is set (to anything but 0).
    **options
        Passed to the check: ``primitive=`` (``"fast_sigmoid"``, ``"pseudo_derivative"``),
        ``time_budget=`` and ``target=`` (``"train"``).

    Returns
    -------
    CheckResult

    Raises
    ------
    NotImplementedError
        Whatever the student's function raises: the exercise is not done yet.
    """
    spec = _lookup(name)
    if not callable(student_fn):
        raise TypeError(f"student_fn must be your function, got {type(student_fn).__name__}")
    t0 = time.perf_counter()
    try:
        message = spec.fn(student_fn, **options)
        result = CheckResult(spec.name, spec.exercise, True, message)
    except _Fail as fail:
        result = CheckResult(spec.name, spec.exercise, False, fail.message, fail.hint, fail.key)
    result.seconds = time.perf_counter() - t0
    RESULTS.append(result)
    _write_report(result)
    if verbose:
        _print(result.report())
        result._shown = True
    if (_strict_default() if strict is None else strict) and not result.passed:
        raise ExerciseCheckFailed(result.report())
    return result
