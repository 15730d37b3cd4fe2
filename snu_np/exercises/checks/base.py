"""What every check shares: results, known mistakes, calling the student's function, comparing arrays.

A check is a function ``run(student_fn, **options)`` that returns a sentence (what was verified) or
raises :class:`_Fail` (what is wrong, and the hint of a recognised mistake). The same ``run`` serves a
student's notebook (``check(...)`` calls their function in their process) and the grader (the function
is a proxy that calls the student's function in a child process and returns plain data): so a check
must only call the student's function, never look inside it, and must accept what comes back as plain
Python and NumPy values.
"""
from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CheckResult", "ExerciseCheckFailed", "Mistake", "Check", "RTOL", "ATOL"]

RTOL, ATOL = 1e-6, 1e-9


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
        where = getattr(exc, "student_where", None)      # raised in the grader's child: its own line
        if where is None and frames:
            fr = frames[-1]
            where = f" (line {fr.lineno} of {os.path.basename(fr.filename)}, in {fr.name})"
        where = where or ""
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
    from ...gradcheck import check_gradients
    report = check_gradients(loss, arrays, analytic, h=h)
    worst_name = max(report, key=lambda k: report[k][1], default="")
    return (report[worst_name][1] if worst_name else 0.0), worst_name


@dataclass(frozen=True)
class Check:
    """One check of an exercise, owned by the exercise's module and listed by the catalogue.

    Attributes
    ----------
    name : the check's name (``check(name, fn)``).  exercise : the exercise number.
    run : ``run(student_fn, **options) -> str`` (what was verified), raising :class:`_Fail`.
    mistakes : the :class:`Mistake` list whose hints ``run`` may give.
    function : the name of the student's function in the handed-out file (the grader calls it).
    options : keyword -> name of another function of the file that ``run`` also needs
        (``{"primitive": "fast_sigmoid"}``).
    forbidden : dotted names of the package's own implementations of what the exercise asks for
        (functions, or modules meaning everything in them): a submission that uses one scores 0.
    optional : a bonus, reported but not counted in the score.
    """

    name: str
    exercise: int
    run: object
    mistakes: tuple = ()
    function: str = ""
    options: dict = field(default_factory=dict)
    forbidden: tuple = ()
    optional: bool = False

    def __post_init__(self):
        if not self.function:
            object.__setattr__(self, "function", self.name)
        object.__setattr__(self, "mistakes", tuple(self.mistakes))
        object.__setattr__(self, "forbidden", tuple(self.forbidden))


#: what every exercise forbids: the checker's own references and hidden answers, and the grader
ALWAYS_FORBIDDEN = ("snu_np.exercises.checks", "snu_np.exercises.grade", "snu_np.exercises.child",
                    "snu_np.exercises.scan", "snu_np.exercises.protocol", "snu_np.exercises.helpers._hidden_parameters",
                    "snu_np.exercises.helpers._bptt_variant")


#: what a notebook may use from inside those: the student's own ``check``
STUDENT_API = ("snu_np.exercises.checks.check", "snu_np.exercises.checks.base.CheckResult")


def _copy_cache(cache):
    """A copy of a step cache (tuple) or a sequence cache (dict) whose arrays the student may modify."""
    if isinstance(cache, dict):
        return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in cache.items()}
    return tuple(v.copy() if isinstance(v, np.ndarray) else v for v in cache)


def _copy_args(a):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.items()}


def _student_dict(out, keys, what):
    if not isinstance(out, dict):
        raise _Fail(f"{what} must return a dict with keys {list(keys)}; got {type(out).__name__}.")
    missing = [k for k in keys if k not in out]
    if missing:
        raise _Fail(f"the dict returned by {what} has no key(s) {missing}.")
    return out


def _config_label(soft, recurrent, detach=None):
    s = ("soft SNU" if soft else "SNU") + (", recurrent" if recurrent else ", feed-forward")
    if detach is not None:
        s += f", detach_reset={detach}"
    return s
