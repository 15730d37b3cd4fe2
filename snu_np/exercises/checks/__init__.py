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
failure. A ``NotImplementedError`` raised by the student's function (an exercise not attempted yet) is
never caught.

One module per exercise (``ex03_snu_forward.py``, ...) holds its checks, known mistakes and variants;
the catalogue (:mod:`snu_np.exercises.catalog`) lists them. A result printed here is feedback for the
student only: the grader never reads it, it calls the student's functions itself
(:mod:`snu_np.exercises.grade`).
"""
from __future__ import annotations

import os
import time

from .base import ATOL, RTOL, Check, CheckResult, ExerciseCheckFailed, Mistake, _Fail, _print

__all__ = ["check", "run_check", "CheckResult", "ExerciseCheckFailed", "Mistake", "Check", "RESULTS",
           "STRICT_ENV", "RTOL", "ATOL"]

STRICT_ENV = "SNU_NP_EXERCISES_STRICT"

#: every CheckResult of this Python session, in order (for the student's own notebook and the tests)
RESULTS = []


def _lookup(name):
    from ..catalog import CHECKS, EXERCISES
    if isinstance(name, int) and not isinstance(name, bool):
        ex = next((e for e in EXERCISES if e.number == name), None)
        if ex is None:
            raise ValueError(f"name: no exercise numbered {name}; known: {[e.number for e in EXERCISES]}")
        return ex.checks[0]
    if not isinstance(name, str):
        raise TypeError(f"name must be a check name (str) or an exercise number, got {type(name).__name__}")
    if name == "training_run":
        name = "train"
    if len(name) == 4 and name.startswith("ex") and name[2:].isdigit():
        return _lookup(int(name[2:]))
    if name not in CHECKS:
        raise ValueError(f"unknown check {name!r}; known: {sorted(CHECKS)}")
    return CHECKS[name]


def _strict_default():
    return os.environ.get(STRICT_ENV, "").strip().lower() not in ("", "0", "false", "no")


def run_check(spec, student_fn, **options):
    """Run the :class:`Check` ``spec`` on ``student_fn`` and return its :class:`CheckResult` (nothing printed).

    ``NotImplementedError`` from the student's function propagates. The grader calls this with proxies
    of the student's functions; :func:`check` with the functions themselves.
    """
    if not isinstance(spec, Check):
        raise TypeError(f"spec must be a Check, got {type(spec).__name__}")
    if not callable(student_fn):
        raise TypeError(f"student_fn must be your function, got {type(student_fn).__name__}")
    t0 = time.perf_counter()
    try:
        result = CheckResult(spec.name, spec.exercise, True, spec.run(student_fn, **options))
    except _Fail as fail:
        result = CheckResult(spec.name, spec.exercise, False, fail.message, fail.hint, fail.key)
    result.seconds = time.perf_counter() - t0
    return result


def check(name, student_fn, *, verbose=True, strict=None, **options):
    """Check a student's function against the reference and explain what is wrong.

    Parameters
    ----------
    name : str or int
        The check (``"lif_euler_step"``, ``"snu_step_backward"``, ... ; ``snu-np exercises list`` shows
        them all), or ``"ex03"`` / ``3`` for an exercise's first check.
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
    if strict is not None and not isinstance(strict, bool):
        raise TypeError(f"strict must be True, False or None, got {strict!r}")
    result = run_check(spec, student_fn, **options)
    RESULTS.append(result)
    if verbose:
        _print(result.report())
        result._shown = True
    if (_strict_default() if strict is None else strict) and not result.passed:
        raise ExerciseCheckFailed(result.report())
    return result
