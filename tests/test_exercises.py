"""The classroom exercises: building, running both versions, and the checker's diagnoses.

* ``build`` writes a student and a teacher version (.py + .ipynb) of every exercise;
* every teacher version runs to the end with all its checks passing (strict mode);
* every student version stops with ``NotImplementedError("Exercise N: ...")`` -- and nothing else --
  at the first call of an exercise function;
* for every check, typical wrong solutions fail *with the right diagnosis* and a right one passes.

The checker tests are fast and pure NumPy (marked ``nojit``); running the built files and notebooks
takes a few seconds more (``slow``). The grader's defences are in ``test_grading_security.py``, the
teacher guide's classroom workflow in ``test_grading_classroom.py``.
"""
import json
import pathlib
import re
import runpy
import traceback

import numpy as np
import pytest

from snu_np.errors import UsageError
from snu_np.exercises import (CHECKS, EXERCISES, MISTAKES, ExerciseCheckFailed, build, check, helpers,
                              hidden_lif_trace)
from snu_np.exercises import checks as C
from snu_np.exercises.build import (PACK_NAME, STUDENT_DIR, BuildError, checkout_sources, has_solution_markers,
                                    list_sources, main, parse_solutions, render)
from snu_np.exercises.checks import (ex01_lif_euler as E1, ex03_snu_forward as E3, ex04_snu_step_backward as E4,
                                     ex05_bptt_loop as E5, ex06_pseudo_derivative as E6, ex07_reset_gradient as E7,
                                     ex08_jitter_encoder as E8, ex09_lstm_backward as E9, ex11_quantize as E11,
                                     ex12_drift_compensation as E12)
from snu_np.functional import lstm as FL
from snu_np.functional import snu as FS

ROOT = pathlib.Path(__file__).resolve().parents[1]
nojit = pytest.mark.nojit
slow = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("exercises")
    written = build(out, "both")
    return out, written


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.delenv(C.STRICT_ENV, raising=False)


def run_check(name, fn, **kw):
    return check(name, fn, verbose=False, strict=False, **kw)


def assert_fails(name, fn, mistake, **kw):
    r = run_check(name, fn, **kw)
    assert not r.passed, f"{name}: a wrong solution ({mistake}) passed"
    assert r.mistake == mistake, f"{name}: expected diagnosis {mistake!r}, got {r.mistake!r}: {r.report()}"
    hint = {m.key: m.hint for m in MISTAKES[name]}[mistake]
    assert r.hint == hint
    return r


def assert_passes(name, fn, **kw):
    r = run_check(name, fn, **kw)
    assert r.passed, r.report()
    return r


# ===================================================================================== building
@nojit
def test_exercises_match_the_catalogue():
    exercises = list_sources()
    assert exercises[0].parent == STUDENT_DIR
    assert [int(re.match(r"ex(\d+)_", p.name).group(1)) for p in exercises] == list(range(1, 13))
    assert [p.stem for p in exercises] == [e.slug for e in EXERCISES]
    for ex, path in zip(EXERCISES, exercises):
        text = path.read_text(encoding="utf-8")
        assert re.search(rf'raise NotImplementedError\("Exercise {ex.number}: ', text)
        assert all(c.exercise == ex.number for c in ex.checks)
        for name in ex.check_names:
            assert name in CHECKS
            assert f'check("{name}"' in text, f"{path.name} never calls check({name!r})"


def _solutions(path):
    return (checkout_sources() / path.name).read_text(encoding="utf-8")


@nojit
def test_every_marker_has_its_solution_and_back():
    """What replaced `exercises sync`: the checkout holds one solutions file per exercise, under its
    name, with a block for every marker of the exercise and no block without one."""
    assert checkout_sources() == ROOT / "exercises"
    exercises = list_sources()
    assert [p.name for p in list_sources(checkout_sources())] == [p.name for p in exercises]
    for path in exercises:
        text, solutions = path.read_text(encoding="utf-8"), _solutions(path)
        assert has_solution_markers(solutions)             # so the package scan would catch a stray copy
        assert not re.search(r"raise\s+NotImplementedError", solutions)
        teacher = render(text, "teacher", int(path.name[2:4]), path.name, solutions)
        assert "NotImplementedError" not in teacher and "Teacher notes" in teacher
        blocks = parse_solutions(solutions)
        assert ("teacher notes", "") in blocks and any(kind == "solution" for kind, _ in blocks)


@slow
def test_build_writes_both_versions(built):
    out, written = built
    n = len(EXERCISES)
    for version in ("student", "teacher"):
        names = sorted(p.name for p in written[version])
        assert len(names) == 2 * n + 1 and "README.md" in names
        assert written["pack"] == [out / PACK_NAME]
        for ex in EXERCISES:
            py, nb = out / version / f"{ex.slug}.py", out / version / f"{ex.slug}.ipynb"
            text = py.read_text(encoding="utf-8")
            assert not has_solution_markers(text) and "<!-- teacher notes" not in text
            if version == "student":
                assert "Teacher notes" not in text
                assert len(re.findall(rf'raise NotImplementedError\("Exercise {ex.number}: ', text)) >= 1
            else:
                assert "Teacher notes" in text
                assert "NotImplementedError" not in text
            import nbformat
            notebook = nbformat.read(str(nb), as_version=4)
            nbformat.validate(notebook)
            code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
            assert ("NotImplementedError" in code) == (version == "student")
    assert "solutions" not in (out / "student" / "README.md").read_text(encoding="utf-8")
    assert "solutions" in (out / "teacher" / "README.md").read_text(encoding="utf-8")


def _run_file(path):
    import matplotlib.pyplot as plt
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")


@slow
@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.slug)
def test_teacher_version_runs_and_passes_every_check(built, ex, monkeypatch, capsys):
    out, _ = built
    monkeypatch.setenv(C.STRICT_ENV, "1")                 # a failing check raises
    before = len(C.RESULTS)
    _run_file(out / "teacher" / f"{ex.slug}.py")
    ran = C.RESULTS[before:]
    assert {r.name for r in ran} == set(ex.check_names)
    assert all(r.passed for r in ran)
    assert "✓" in capsys.readouterr().out


@slow
@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.slug)
def test_student_version_stops_at_the_first_exercise(built, ex, quiet):
    out, _ = built
    path = out / "student" / f"{ex.slug}.py"
    before = len(C.RESULTS)
    with pytest.raises(NotImplementedError, match=rf"^Exercise {ex.number}: ") as info:
        _run_file(path)
    assert len(C.RESULTS) == before, "a check finished before the first exercise function was called"
    last = traceback.extract_tb(info.value.__traceback__)[-1]
    assert pathlib.Path(last.filename).name == path.name and "raise NotImplementedError" in last.line
    # ... and it is the first student function called by the first check
    first = [ln for ln in path.read_text(encoding="utf-8").splitlines() if "raise NotImplementedError" in ln][0]
    assert last.line.strip() == first.strip()


@slow
def test_notebooks_execute(built):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    KernelSpecManager = pytest.importorskip("jupyter_client.kernelspec").KernelSpecManager
    if "python3" not in KernelSpecManager().find_kernel_specs():
        pytest.skip("no python3 Jupyter kernel")
    out, _ = built
    nb = nbformat.read(str(out / "teacher" / "ex03_snu_forward.ipynb"), as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "✓ Exercise 3" in outputs
    nb = nbformat.read(str(out / "student" / "ex03_snu_forward.ipynb"), as_version=4)
    with pytest.raises(nbclient.exceptions.CellExecutionError) as info:
        nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert info.value.ename == "NotImplementedError" and info.value.evalue.startswith("Exercise 3:")


EXERCISE = """# %% [markdown]
# # Title
#
# <!-- teacher notes -->

# %% [markdown]
# <!-- teacher notes: cell -->

# %%
def f(x):
    \"\"\"Doc.\"\"\"
    raise NotImplementedError("Exercise 7: square it")
"""

SOLUTIONS = """# The solutions of exercise 7.

# %% teacher notes
# secret note

# %% teacher notes: cell
# only for teachers

# %% solution: f
y = x * x
return y
"""


@nojit
def test_render_puts_the_solutions_in_place_of_the_markers():
    student = render(EXERCISE, "student", 7)
    teacher = render(EXERCISE, "teacher", 7, solutions=SOLUTIONS)
    assert 'raise NotImplementedError("Exercise 7: square it")' in student
    assert "teacher notes" not in student and "y = x * x" not in student
    assert student.count("# %% [markdown]") == 1                  # the emptied cell is dropped
    assert "    y = x * x\n    return y\n" in teacher             # indented like the marker
    assert "secret note" in teacher and "only for teachers" in teacher
    assert "NotImplementedError" not in teacher and "teacher notes" not in teacher
    ns = {}
    exec(compile(student, "student", "exec"), ns)
    with pytest.raises(NotImplementedError, match="Exercise 7: square it"):
        ns["f"](2)
    ns = {}
    exec(compile(teacher, "teacher", "exec"), ns)
    assert ns["f"](3) == 9
    assert not has_solution_markers(student) and not has_solution_markers(teacher)
    assert has_solution_markers(SOLUTIONS) and has_solution_markers("# BEGIN SOLUTION: an old source\n")


@nojit
@pytest.mark.parametrize("exercise, solutions, match", [
    (EXERCISE + '\n\ndef g(x):\n    if x:\n        raise NotImplementedError("Exercise 7: in an if")\n    return x\n',
     SOLUTIONS, "last line of a function"),
    ("def f():\n    pass\n", SOLUTIONS, "nothing for the student to do"),
    ('def f():\n    raise NotImplementedError("Exercise 8: x")\n', SOLUTIONS, "Exercise 7: <hint>"),
    ('def f():\n    raise NotImplementedError\n', SOLUTIONS, "Exercise 7: <hint>"),
    ('raise NotImplementedError("Exercise 7: x")\n', SOLUTIONS, "last line of a function"),
    ('def f(:\n    raise NotImplementedError("Exercise 7: x")\n', SOLUTIONS, "not valid Python"),
    ('def f():\n    raise NotImplementedError("Exercise 7: x")\n', "# %% solution: g\nreturn 1\n",
     r"no block for the markers \['solution: f'\]; the blocks \['solution: g'\] have no marker"),
    ('def f():\n    raise NotImplementedError("Exercise 7: x")\n', "return 1\n# %% solution: f\nreturn 1\n",
     "code before the first"),
    ('def f():\n    raise NotImplementedError("Exercise 7: x")\n', "# %% solution: f\n\n# %% teacher notes\n",
     "is empty"),
    ('def f():\n    raise NotImplementedError("Exercise 7: x")\n', "# %% solution: f\nreturn (\n", "not valid Python"),
    ('def f():\n    raise NotImplementedError("Exercise 7: x")\n' + SOLUTIONS, SOLUTIONS, "block inside the exercise"),
    ('# <!-- teacher notes -->\n# <!-- teacher notes -->\ndef f():\n    raise NotImplementedError("Exercise 7: x")\n',
     SOLUTIONS, "a second 'teacher notes' marker"),
])
def test_render_rejects_malformed_exercises_and_solutions(exercise, solutions, match):
    with pytest.raises(BuildError, match=match):
        render(exercise, "teacher", 7, solutions=solutions)


@nojit
def test_nbformat_fallback_writes_the_same_cells(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    build(tmp_path / "a", "student", exercises=[4], use_jupytext=False)
    nb = nbformat.read(str(tmp_path / "a" / "student" / "ex04_snu_step_backward.ipynb"), as_version=4)
    nbformat.validate(nb)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == "markdown" and kinds.count("code") == 3
    assert nb.cells[0].source.startswith("# Exercise 4")
    assert "raise NotImplementedError" in nb.cells[2].source


@nojit
def test_cli_build_and_list(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path), "--version", "student", "--only", "3", "--no-notebooks"]) == 0
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == ["README.md", "ex03_snu_forward.py"]
    assert not (tmp_path / "teacher").exists()
    assert (tmp_path / PACK_NAME).exists()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "snu_step_backward" in out and "quantize" in out and "compensate_drift" in out
    assert main([]) == 2
    with pytest.raises(UsageError, match="no exercise numbered"):
        build(tmp_path, "teacher", exercises=[42])


@slow
def test_grade_reports_passed_unfinished_and_wrong(built, tmp_path, quiet):
    from snu_np.exercises import grade
    from snu_np.exercises.grade import format_table
    out, _ = built
    wrong = tmp_path / "ex07_reset_gradient.py"
    text = (out / "teacher" / "ex07_reset_gradient.py").read_text(encoding="utf-8")
    wrong.write_text(text.replace("return -decay * dz * s_prev", "return decay * dz * s_prev")
                     .replace("runs = compare_reset_training", "raise SystemExit(0)\nruns = compare_reset_training"),
                     encoding="utf-8")
    results = grade([out / "teacher" / "ex03_snu_forward.ipynb", out / "student" / "ex03_snu_forward.py", wrong],
                    timeout=120)
    ok, unfinished, bad = results
    assert ok["status"] == "ok" and ok["passed"] and ok["score"] == 1.0
    assert unfinished["status"] == "unfinished" and "Exercise 3" in unfinished["detail"]
    assert unfinished["missing"] == ["snu_step_forward"] and not unfinished["passed"]
    assert bad["checks"][0]["mistake"] == "sign" and not bad["passed"] and bad["score"] == 0.0
    assert bad["status"] == "error" and "stopped early" in bad["detail"]
    table = format_table(results)
    assert "PASS snu_step_forward" in table and "FAIL reset_term" in table and "1 of 3 files" in table


# ======================================================================= the check() machinery
@nojit
def test_check_api(quiet, capsys, monkeypatch):
    r = check("ex03", lambda *a, **k: FS.snu_step_forward(*a, **k)[:2])
    assert r.passed and r.exercise == 3 and r.name == "snu_step_forward" and bool(r)
    assert capsys.readouterr().out.startswith("✓ Exercise 3 (snu_step_forward)")
    assert check(4, FS.snu_step_backward, verbose=False).passed
    r = check("reset_term", lambda dz, s, y, d: d * dz * s)
    assert not r.passed and "Hint:" in capsys.readouterr().out and r.seconds < 1.0
    with pytest.raises(ExerciseCheckFailed, match="sign of the reset term"):
        check("reset_term", lambda dz, s, y, d: d * dz * s, verbose=False, strict=True)
    monkeypatch.setenv(C.STRICT_ENV, "1")
    with pytest.raises(ExerciseCheckFailed):
        check("reset_term", lambda dz, s, y, d: 0 * dz, verbose=False)
    with pytest.raises(ValueError, match="unknown check"):
        check("no_such_thing", print)
    with pytest.raises(TypeError):
        check("reset_term", 3)


@nojit
def test_not_implemented_propagates_and_other_errors_are_reported(quiet, tmp_path, monkeypatch):
    def todo(*a, **k):
        raise NotImplementedError("Exercise 7: later")

    with pytest.raises(NotImplementedError, match="Exercise 7: later"):
        check("reset_term", todo, verbose=False)

    def broken(dz, s_prev, y_prev, decay):
        return dz @ s_prev                       # (4, 5) @ (4, 5): shapes do not align

    r = run_check("reset_term", broken)
    assert not r.passed and "ValueError" in r.message and "test_exercises.py" in r.message
    assert "shapes" in r.hint
    r = run_check("snu_step_forward", lambda x_t, s_prev, y_prev, W, b, decay, soft=False: (s_prev, y_prev))
    assert not r.passed and "signature" in r.hint
    # a check writes no report anywhere: the grader decides in its own process
    monkeypatch.setenv("SNU_NP_EXERCISES_REPORT", str(tmp_path / "r.jsonl"))
    run_check("reset_term", lambda dz, s, y, d: -d * dz * s)
    assert not (tmp_path / "r.jsonl").exists() and not hasattr(C, "REPORT_ENV")


@nojit
def test_every_check_is_fast(quiet):
    import time
    right = {"snu_step_forward": lambda *a, **k: FS.snu_step_forward(*a, **k)[:2],
             "snu_step_backward": FS.snu_step_backward, "lstm_step_backward": FL.lstm_step_backward,
             "snu_backward": FS.snu_backward}
    for name, fn in right.items():
        t0 = time.perf_counter()
        assert_passes(name, fn)
        assert time.perf_counter() - t0 < 1.0, name


@nojit
def test_teacher_guide_lists_every_mistake_and_exercise():
    guide = (ROOT / "docs" / "teacher_guide.md").read_text(encoding="utf-8")
    for name, table in MISTAKES.items():
        assert f"`{name}`" in guide, name
        for m in table:
            assert m.label in guide, f"teacher guide misses the mistake {m.label!r} of {name}"
    for ex in EXERCISES:
        assert ex.title in guide and f"{ex.minutes} min" in guide


# ======================================= every known mistake is recognised as itself
def _as_student(name, key):
    """The checker's own known-wrong variant ``key`` of ``name``, wrapped as a student function."""
    if name == "lif_euler_step":
        return lambda v, I, dt, tau, R, v_th, v_reset: E1._lif_step(v, I, dt, tau, R, v_th, v_reset, m=key)
    if name == "snu_step_forward":
        return lambda x, s, y, W, b, d, H=None, soft=False: E3._snu_fwd(x, s, y, W, b, d, H, soft, m=key)
    if name == "snu_step_backward":
        return lambda dy, ds_next, cache, detach_reset=False: E4._snu_bwd(dy, ds_next, cache, detach_reset, m=key)
    if name == "snu_backward":
        def f(dy, cache, detach_reset=False):
            r = dict(E5._bptt(dy, cache, detach_reset, m=key))
            return r.pop("dx"), {k: v for k, v in r.items() if v is not None}
        return f
    if name == "reset_term":
        return lambda dz, s, y, d: E7._reset_term(dz, s, y, d, m=key)
    if name == "shift_image":
        return lambda img, dy, dx: E8._shift(img, dy, dx, key)
    if name == "lstm_step_backward":
        return lambda dh, dc_next, cache: E9._lstm_bwd(dh, dc_next, cache, key)
    if name == "quantize":
        return lambda W, bits: E11.quantize_reference(W, bits, key)
    if name == "compensate_drift":
        return lambda y, y0, yt: E12.compensate_reference(y, y0, yt, key)
    raise KeyError(name)


SELF_DIAGNOSED = ["lif_euler_step", "snu_step_forward", "snu_step_backward", "snu_backward", "reset_term",
                  "shift_image", "lstm_step_backward", "quantize", "compensate_drift"]


@nojit
@pytest.mark.parametrize("name", SELF_DIAGNOSED)
def test_every_known_mistake_is_recognised_as_itself(name, quiet):
    assert_passes(name, _as_student(name, None))
    for m in MISTAKES[name]:
        assert_fails(name, _as_student(name, m.key), m.key)


@nojit
def test_every_pseudo_derivative_mistake_is_recognised_as_itself(quiet):
    for key in E6._PRIM:
        if key:
            assert_fails("fast_sigmoid", E6._GRAD[None], key, primitive=E6._PRIM[key])
    for key in E6._GRAD:
        if key:
            assert_fails("fast_sigmoid", E6._GRAD[key], key, primitive=E6._PRIM[None])


# ============================================================ exercise 1: LIF step, f-I curve
def lif_step(v, I, dt, tau, R=1.0, v_th=1.0, v_reset=0.0, decay=None, ge=False, reset=True, reset_to=None,
             detect_prev=False):
    decay = 1 - dt / tau if decay is None else decay
    v_pre = decay * v + dt / tau * R * I
    spike = (v >= v_th if ge else v > v_th) if detect_prev else (v_pre >= v_th if ge else v_pre > v_th)
    v_new = np.where(spike, v_reset if reset_to is None else reset_to, v_pre) if reset else v_pre
    return v_new, spike


@nojit
def test_ex01_lif_euler_step(quiet):
    assert_passes("lif_euler_step", lif_step)
    assert_fails("lif_euler_step", lambda v, I, dt, tau, *a: lif_step(v, I, dt, tau, *a, decay=1 + dt / tau),
                 "decay_sign")
    assert_fails("lif_euler_step", lambda *a: lif_step(*a, reset=False), "no_reset")
    assert_fails("lif_euler_step", lambda *a: lif_step(*a, ge=True), "ge")
    assert_fails("lif_euler_step", lambda *a: lif_step(*a, reset_to=0.0), "reset_zero")
    assert_fails("lif_euler_step", lambda *a: lif_step(*a, detect_prev=True), "detect_old")
    r = assert_fails("lif_euler_step", lambda v, I, dt, tau, *a: lif_step(v, I, dt, tau, *a, decay=np.exp(-dt / tau)),
                     "exact_decay")
    assert "v_new[" in r.message and "should be" in r.message


def rates(I, dt, tau, R=1.0, v_th=1.0, duration=100.0, per_step=False):
    n = int(round(duration / dt))
    v, count = np.zeros(len(I)), np.zeros(len(I))
    for _ in range(n):
        v, s = lif_step(v, np.asarray(I), dt, tau, R, v_th)
        count += s
    return count / n if per_step else count / (n * dt)


@nojit
def test_ex01_firing_rates(quiet):
    from snu_np import lif
    assert_passes("firing_rates", rates)
    assert_fails("firing_rates", lambda *a: rates(*a, per_step=True), "per_step")
    assert_fails("firing_rates", lambda I, dt, tau, R=1.0, v_th=1.0, duration=100.0: lif.firing_rate(I, tau, R, v_th),
                 "analytic")


# ====================================================================== exercise 2: hidden LIF
def estimate(t, I, V, tau_scale=1.0, v_th_from="max", half=False):
    dt = t[1] - t[0]
    on = int(np.flatnonzero(I > 0)[0])
    target = (0.5 if half else 1 - np.exp(-1)) * I[on]
    k = on + int(np.argmax(V[on:] >= target))
    tau = (t[k] - (t[on] - dt)) * tau_scale
    if half:
        tau = tau                      # the half-rise time taken for tau
    v_th = V.max() if v_th_from == "max" else I.max()
    return {"tau": tau, "v_th": v_th}


@nojit
def test_ex02_estimate_lif_parameters(quiet):
    trace = hidden_lif_trace(0)
    assert trace["V"].shape == trace["t"].shape == trace["I"].shape == (3000,)
    np.testing.assert_array_equal(hidden_lif_trace(0)["V"], trace["V"])
    assert not np.array_equal(hidden_lif_trace(1)["V"], trace["V"])
    assert_passes("estimate_lif_parameters", estimate)
    assert_fails("estimate_lif_parameters", lambda t, I, V: estimate(t, I, V, tau_scale=1 / (t[1] - t[0])), "tau_steps")
    assert_fails("estimate_lif_parameters", lambda t, I, V: estimate(t, I, V, half=True), "tau_half")
    assert_fails("estimate_lif_parameters", lambda t, I, V: estimate(t, I, V, v_th_from="I"), "vth_asymptote")
    r = run_check("estimate_lif_parameters", lambda t, I, V: {"tau": 1.0})
    assert not r.passed and "keys 'tau' and 'v_th'" in r.message


# ============================================================== exercise 3: snu_step_forward
def fwd(x_t, s_prev, y_prev, W, b, decay, H=None, soft=False, gate=True, bias_sign=1, rec="y", use_soft=True):
    z = x_t @ W + decay * s_prev * ((1 - y_prev) if gate else 1)
    if H is not None:
        z = z + (y_prev if rec == "y" else s_prev) @ H
    s = np.maximum(z, 0)
    u = s + bias_sign * b
    y = 1 / (1 + np.exp(-u)) if (soft and use_soft) else (u > 0) * 1.0
    return s, y


@nojit
def test_ex03_snu_step_forward(quiet):
    assert_passes("snu_step_forward", fwd)
    assert_passes("snu_step_forward", lambda *a, **k: FS.snu_step_forward(*a, **k))   # a 3-tuple is fine
    assert_fails("snu_step_forward", lambda *a, **k: fwd(*a, gate=False, **k), "no_gate")
    assert_fails("snu_step_forward", lambda *a, **k: fwd(*a, bias_sign=-1, **k), "bias_sign")
    assert_fails("snu_step_forward", lambda *a, **k: fwd(*a, rec="s", **k), "rec_state")
    assert_fails("snu_step_forward", lambda *a, **k: fwd(*a, use_soft=False, **k), "soft_ignored")


# ============================================================= exercise 4: snu_step_backward
def bwd(dy, ds_next, cache, detach_reset=False, pseudo="ok", reset=-1.0, use_ds_next=True):
    x_t, s_prev, y_prev, s, y, W, b, decay, H, soft, g, surrogate = cache
    if soft:
        dh = y * (1 - y)
    else:
        dh = {"ok": 1 - np.tanh(s + b) ** 2, "negated": np.tanh(s + b) ** 2 - 1, "tanh": np.tanh(s + b),
              "none": 1.0}[pseudo]
    du = dy * dh
    dz = (du + (ds_next if use_ds_next else 0)) * (s > 0)
    gate = 1 - y_prev
    dy_prev = 0 * y_prev if detach_reset else reset * decay * dz * s_prev
    out = {"dx": dz @ W.T, "dW": x_t.T @ dz, "db": du.sum(0), "ds_prev": decay * dz * gate,
           "dH": None, "ddecay": float((dz * s_prev * gate).sum())}
    if H is not None:
        out["dH"] = y_prev.T @ dz
        dy_prev = dy_prev + dz @ H.T
    out["dy_prev"] = dy_prev
    return out


@nojit
def test_ex04_snu_step_backward(quiet):
    assert_passes("snu_step_backward", bwd)
    assert_passes("snu_step_backward", FS.snu_step_backward)
    r = assert_fails("snu_step_backward", lambda *a, **k: bwd(*a, reset=0.0, **k), "no_reset")
    assert r.message.startswith("SNU, feed-forward, detach_reset=False: dy_prev[")
    assert "the gradient through the reset is missing" in r.hint
    assert_fails("snu_step_backward", lambda *a, **k: bwd(*a, reset=1.0, **k), "reset_sign")
    assert_fails("snu_step_backward", lambda *a, **k: bwd(*a, pseudo="tanh", **k), "tanh_not_deriv")
    r = assert_fails("snu_step_backward", lambda *a, **k: bwd(*a, pseudo="none", **k), "no_pseudo")
    assert "missing the pseudo-derivative factor" in r.hint
    assert_fails("snu_step_backward", lambda *a, **k: bwd(*a, use_ds_next=False, **k), "no_ds_next")

    def transposed(*a, **k):
        d = bwd(*a, **k)
        d["dW"] = d["dW"].T
        return d

    r = run_check("snu_step_backward", transposed)
    assert not r.passed and "dW has shape (5, 4), expected (4, 5) (transposed?)" in r.message


# ================================================================== exercise 5: the BPTT loop
def _solution(slug, name):
    """The teacher solution ``name`` of exercise ``slug``, from its source: a student's loop, without a
    copy of it here."""
    ns = {}
    path = STUDENT_DIR / f"{slug}.py"
    text = render(path.read_text(encoding="utf-8"), "teacher", int(slug[2:4]), path.name, _solutions(path))
    code = text.split("\ncheck(")[0]                       # the definitions, before the first check cell
    exec(compile(code, slug, "exec"), ns)
    return ns[name]


@nojit
def test_ex05_snu_backward(quiet):
    assert_passes("snu_backward", _solution("ex05_bptt_loop", "snu_backward"))
    assert_passes("snu_backward", FS.snu_backward)
    r = assert_fails("snu_backward", _as_student("snu_backward", "assign"), "assign")
    assert "used = instead of +=" in r.hint
    r = assert_fails("snu_backward", _as_student("snu_backward", "off_by_one"), "off_by_one")
    assert "you used y_t" in r.hint and "time index t = " in r.message


@nojit
def test_bptt_variant_without_mistake_is_the_reference():
    for k, (soft, rec) in enumerate([(False, False), (True, True)]):
        cache, dy = E5._seq_case(k, soft, rec)
        ref_dx, ref = FS.snu_backward(dy, cache)
        out = helpers._bptt_variant(dy, cache)
        np.testing.assert_allclose(out["dx"], ref_dx, rtol=1e-12, atol=1e-14)
        for key in ref:
            np.testing.assert_allclose(out[key], ref[key], rtol=1e-12, atol=1e-14)
        dx, grads = helpers.bptt_with_reset_term(dy, cache, lambda dz, s, y, d: -d * dz * s)
        np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=1e-14)
        dx, _ = helpers.bptt_with_reset_term(dy, cache, None)
        np.testing.assert_allclose(dx, FS.snu_backward(dy, cache, detach_reset=True)[0], rtol=1e-12, atol=1e-14)


# ============================================================ exercise 6: pseudo-derivative
def prim(u, alpha=1.0):
    return u / (1 + alpha * np.abs(u))


def grad(u, alpha=1.0):
    return 1 / (1 + alpha * np.abs(u)) ** 2


@nojit
def test_ex06_fast_sigmoid(quiet):
    assert_passes("fast_sigmoid", grad, primitive=prim)
    r = assert_fails("fast_sigmoid", lambda u, a=1.0: 1 / (1 + a * np.abs(u)), "no_square", primitive=prim)
    assert "finite differences" in r.message
    assert_fails("fast_sigmoid", lambda u, a=1.0: 1 / (1 + a * u) ** 2, "no_abs", primitive=prim)
    r = assert_fails("fast_sigmoid", lambda u, a=1.0: (1 + a * np.abs(u) - a * u) / (1 + a * np.abs(u)) ** 2,
                     "abs_as_u", primitive=prim)
    assert "u = -" in r.message                        # the first wrong point is at negative u
    assert_fails("fast_sigmoid", grad, "prim_no_abs", primitive=lambda u, a=1.0: u / (1 + a * u))
    r = run_check("fast_sigmoid", grad)
    assert not r.passed and "pass the primitive" in r.message


@nojit
def test_ex06_own_pseudo_derivative(quiet):
    from scipy.special import erf
    gauss_p = lambda u, a=1.0: erf(np.sqrt(np.pi) * a * u / 2) / a          # noqa: E731
    gauss_g = lambda u, a=1.0: np.exp(-np.pi * (a * u) ** 2 / 4)             # noqa: E731
    assert_passes("pseudo_derivative", gauss_g, primitive=gauss_p)
    assert not run_check("pseudo_derivative", lambda u, a=1.0: 2 * gauss_g(u), primitive=gauss_p).passed
    shifted = run_check("pseudo_derivative", lambda u, a=1.0: gauss_g(u - 0.5),
                        primitive=lambda u, a=1.0: gauss_p(u - 0.5))
    assert not shifted.passed and "symmetric" in shifted.message


# ============================================================ exercise 7: the reset gradient
@nojit
def test_ex07_reset_term(quiet):
    assert_passes("reset_term", lambda dz, s, y, d: -d * dz * s)
    assert_fails("reset_term", lambda dz, s, y, d: d * dz * s, "sign")
    r = assert_fails("reset_term", lambda dz, s, y, d: 0 * dz, "zero")
    assert "detached" in r.hint
    assert_fails("reset_term", lambda dz, s, y, d: -d * dz * s * (1 - y), "gated")
    assert_fails("reset_term", lambda dz, s, y, d: -d * dz * y, "uses_y")


@slow
def test_ex07_comparison_run_is_reproducible():
    from snu_np.exercises import compare_reset_training
    task = helpers.make_training_task(0, n_train=128, n_test=64)
    a = compare_reset_training(lambda dz, s, y, d: -d * dz * s, epochs=2, task=task)
    b = compare_reset_training(lambda dz, s, y, d: -d * dz * s, epochs=2, task=task)
    assert set(a) == {"kept", "detached"}
    np.testing.assert_array_equal(a["kept"]["losses"], b["kept"]["losses"])
    assert a["kept"]["losses"][0] == a["detached"]["losses"][0]           # same start ...
    assert not np.array_equal(a["kept"]["losses"], a["detached"]["losses"])   # ... different training


# ========================================================== exercise 8: the jitter encoder
def shift(img, dy, dx):
    out = np.zeros_like(img)
    H, W = img.shape
    out[max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        img[max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


def encode(images, T=20, max_shift=2, threshold=0.15, seed=0, mode="ok", shift_fn=shift):
    rng = np.random.default_rng(seed if mode not in ("unseeded", "seed_ignored") else
                                (None if mode == "unseeded" else 0))
    B = images.shape[0]
    off = rng.integers(-max_shift, max_shift + 1, size=(T + 1, B, 2))
    frames = np.array([[shift_fn(images[b], *off[t, b]) for b in range(B)] for t in range(T + 1)]).reshape(T + 1, B, -1)
    ref = images.reshape(1, B, -1) if mode == "original" else frames[:-1]
    diff = frames[1:] - ref
    events = (diff > threshold) if mode == "on_only" else (np.abs(diff) > threshold)
    return events.astype(float), off


@nojit
def test_ex08_shift_image(quiet):
    assert_passes("shift_image", shift)
    r = assert_fails("shift_image", lambda img, dy, dx: np.roll(np.roll(img, dy, 0), dx, 1), "roll")
    assert "wraps" in r.hint
    assert_fails("shift_image", lambda img, dy, dx: shift(img, -dy, -dx), "reversed")
    assert_fails("shift_image", lambda img, dy, dx: shift(img, dx, dy), "swapped")


@nojit
def test_ex08_jitter_encode(quiet):
    assert_passes("jitter_encode", encode)
    assert_fails("jitter_encode", lambda *a, **k: encode(*a, mode="on_only", **k), "on_only")
    assert_fails("jitter_encode", lambda *a, **k: encode(*a, mode="original", **k), "vs_original")
    roll = lambda img, dy, dx: np.roll(np.roll(img, dy, 0), dx, 1)           # noqa: E731
    assert_fails("jitter_encode", lambda *a, **k: encode(*a, shift_fn=roll, **k), "roll")
    assert_fails("jitter_encode", lambda *a, **k: encode(*a, mode="unseeded", **k), "not_deterministic")
    assert_fails("jitter_encode", lambda *a, **k: encode(*a, mode="seed_ignored", **k), "seed_ignored")
    r = run_check("jitter_encode", lambda images, *a: (encode(images, *a)[0].reshape(-1, images.shape[0], 28, 28),
                                                       encode(images, *a)[1]))
    assert not r.passed and "reshape to (T, B, 784)" in r.hint


@nojit
def test_ex08_package_encoder_passes(quiet):
    """The package's own jitter_frames, wrapped to the exercise's signature, passes the check."""
    from snu_np.data import jitter_frames

    def wrapped(images, T=20, max_shift=2, threshold=0.15, seed=0):
        _, offsets, events = jitter_frames(images, T=T, max_shift=max_shift, threshold=threshold, seed=seed,
                                           dtype=np.float64)
        return events, offsets

    assert_passes("jitter_encode", wrapped)


# ======================================================= exercise 9: lstm_step_backward
def lstm_bwd(dh, dc_next, cache, deriv=True, use_dc_next=True, df_prev=True, sig=True):
    x_t, h_prev, c_prev, gates, c, W, H = cache
    n = c.shape[1]
    i, f, g, o = (gates[:, k * n:(k + 1) * n] for k in range(4))
    tc = np.tanh(c)
    dc = (dc_next if use_dc_next else 0) + dh * o * ((1 - tc ** 2) if deriv else tc)
    s = (lambda a: a * (1 - a)) if sig else (lambda a: 1.0)
    da = np.concatenate([dc * g * s(i), dc * (c_prev if df_prev else c) * s(f), dc * i * (1 - g ** 2),
                         dh * tc * s(o)], axis=1)
    return {"dx": da @ W.T, "dh_prev": da @ H.T, "dc_prev": dc * f, "dW": x_t.T @ da, "dH": h_prev.T @ da,
            "db": da.sum(0)}


@nojit
def test_ex09_lstm_step_backward(quiet):
    assert_passes("lstm_step_backward", lstm_bwd)
    assert_passes("lstm_step_backward", FL.lstm_step_backward)
    r = assert_fails("lstm_step_backward", lambda *a: lstm_bwd(*a, deriv=False), "tanh_not_deriv")
    assert "used tanh" in r.hint
    assert_fails("lstm_step_backward", lambda *a: lstm_bwd(*a, use_dc_next=False), "no_dc_next")
    r = assert_fails("lstm_step_backward", lambda *a: lstm_bwd(*a, df_prev=False), "df_c")
    assert "off by one in time" in r.hint
    assert_fails("lstm_step_backward", lambda *a: lstm_bwd(*a, sig=False), "no_sigmoid_grad")


# ================================================================ exercise 10: training run
def make_train(lr=1e-2, epochs=30, step=True, hidden=64, n_out=4):
    from snu_np import SNU, Adam, Sequential, window_mse

    def train(x, y):
        net = Sequential([SNU(x.shape[2], hidden, seed=0, backend="numpy"),
                          SNU(hidden, n_out, seed=1, backend="numpy")])
        opt = Adam(net, lr=lr)
        losses = []
        rng = np.random.default_rng(0)
        for _ in range(epochs):
            order = rng.permutation(x.shape[1])
            for s in range(0, order.size, 64):
                idx = order[s:s + 64]
                loss, dy = window_mse(net.forward(x[:, idx]), y[idx])
                net.backward(dy)
                if step:
                    opt.step()
                losses.append(loss)
        return net, losses
    return train


@nojit
def test_ex10_wrong_training_runs_are_diagnosed(quiet):
    assert_fails("train", make_train(epochs=2, step=False, hidden=16), "no_learning")
    assert_fails("train", make_train(lr=3e-3, epochs=2, hidden=16), "too_little")
    assert_fails("train", make_train(epochs=1, hidden=16, n_out=3), "wrong_output")
    r = run_check("train", lambda x, y: 42)
    assert not r.passed and "forward" in r.message


@slow
def test_ex10_right_training_run_passes(quiet):
    import time
    trained = {}

    def train(x, y):
        trained["result"] = make_train()(x, y)
        return trained["result"]

    r = assert_passes("train", train)
    assert "test accuracy" in r.message

    def slow_train(x, y):                       # the same trained network, returned too late
        time.sleep(0.02)
        return trained["result"]

    assert_fails("train", slow_train, "too_slow", time_budget=0.01)


# ======================================================= checker blind spots (issue 19)
@nojit
def test_ex03_greater_or_equal_does_not_pass(quiet):
    r = assert_fails("snu_step_forward", lambda *a, **k: _ge_forward(*a, **k), "ge")
    assert "use > not >=" in r.hint and "exactly at the threshold" in r.message


def _ge_forward(x_t, s_prev, y_prev, W, b, decay, H=None, soft=False):
    s, y = fwd(x_t, s_prev, y_prev, W, b, decay, H, soft)
    return s, (y if soft else (s + b >= 0) * 1.0)


@nojit
def test_ex04_flipped_pseudo_derivative_sign_gets_its_hint(quiet):
    flipped = lambda *a, **k: bwd(*a, pseudo="negated", **k)         # noqa: E731 (the soft SNU stays right)
    r = assert_fails("snu_step_backward", flipped, "pseudo_sign")
    assert "sign of the pseudo-derivative" in r.hint


# ====================================================== exercises 11 and 12: analog hardware
@nojit
def test_ex11_quantize(quiet):
    def q(W, bits):
        step = np.max(np.abs(W)) / (2 ** (bits - 1) - 1) if np.any(W) else 1.0
        return step * np.round(W / step)

    assert_passes("quantize", q)
    def trunc(W, bits):
        step = np.max(np.abs(W)) / (2 ** (bits - 1) - 1)
        return step * (W / step).astype(int)

    r = assert_fails("quantize", trunc, "trunc")
    assert "rounded towards zero" in r.hint
    r = assert_fails("quantize", _as_student("quantize", "affine"), "affine")
    assert "not symmetric" in r.hint
    Q = E11.quantize_reference(np.linspace(-1, 1, 101), 3)
    np.testing.assert_array_equal(Q, -E11.quantize_reference(-np.linspace(-1, 1, 101), 3))
    assert sorted(set(np.round(Q / (1 / 3)).astype(int))) == [-3, -2, -1, 0, 1, 2, 3]


@nojit
def test_ex12_compensate_drift(quiet):
    assert_passes("compensate_drift", lambda y, a, b: y * np.abs(a).sum() / np.abs(b).sum())
    r = assert_fails("compensate_drift", lambda y, a, b: y * np.abs(b).sum() / np.abs(a).sum(), "inverted")
    assert "compensation factor inverted" in r.hint
    d = helpers.drifted_layer_outputs(0, t=86400.0)
    raw = np.linalg.norm(d["y"] - d["y_ideal"])
    comp = np.linalg.norm(E12.compensate_reference(d["y"], d["y_cal_0"], d["y_cal_t"]) - d["y_ideal"])
    assert comp < raw / 2                                 # the point of the exercise


@nojit
def test_analog_references_agree_with_snu_np_analog():
    """The exercises' references are written from their definitions; snu_np.analog, where present,
    computes the same numbers."""
    analog = pytest.importorskip("snu_np.analog")
    rng = np.random.default_rng(0)
    W = rng.normal(size=(5, 6))
    for bits in (2, 3, 4, 8):
        np.testing.assert_allclose(analog.quantize(W, bits), E11.quantize_reference(W, bits), rtol=1e-12, atol=0)
    inference = pytest.importorskip("snu_np.analog.inference")
    X, y = rng.normal(size=(8, 5)), rng.normal(size=(3, 6))
    W_t = W * rng.uniform(0.5, 0.9, W.shape)
    alpha = inference.compensation_factor(X, W, W_t)
    np.testing.assert_allclose(E12.compensate_reference(y, X @ W, X @ W_t), alpha * y, rtol=1e-12)


# ============================================================ no solutions in the package
@nojit
def test_installed_package_holds_no_solution():
    pkg = ROOT / "snu_np"
    leaking = [p for p in pkg.rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb", ".md", ".txt")
               and has_solution_markers(p.read_text(encoding="utf-8", errors="replace"))]
    assert not leaking, f"solution or teacher blocks inside the package: {leaking}"
    # and whatever setup.cfg's package_data ships
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in cfg.get("options.package_data", "snu_np", fallback="").split(",") if p.strip()]
    shipped = [f for pat in patterns for f in pkg.glob(pat) if f.is_file() and f.suffix == ".py"]
    assert not [f for f in shipped if has_solution_markers(f.read_text(encoding="utf-8"))]


@nojit
def test_teacher_version_needs_the_sources(tmp_path, monkeypatch, capsys):
    import importlib
    B = importlib.import_module("snu_np.exercises.build")
    monkeypatch.setattr(B, "_CHECKOUT_SOURCES", tmp_path / "nowhere")
    assert B.checkout_sources() is None
    with pytest.raises(UsageError, match="source checkout"):
        build(tmp_path / "out", "teacher")
    assert main(["build", "--out", str(tmp_path / "out"), "--version", "teacher"]) == 2
    assert "--source DIR" in capsys.readouterr().err
    # an installed copy still builds the student pack, from the packaged student files
    written = build(tmp_path / "out", notebooks=False)
    assert set(written) == {"student", "pack"}
    import zipfile
    with zipfile.ZipFile(written["pack"][0]) as zf:
        names = zf.namelist()
        assert "snu-np-exercises/ex04_snu_step_backward.py" in names and "snu-np-exercises/README.md" in names
        assert not any(has_solution_markers(zf.read(n).decode("utf-8")) for n in names)
    # ... and --source DIR gives the teacher version anywhere
    written = build(tmp_path / "out2", "teacher", exercises=[3], notebooks=False, source_dir=ROOT / "exercises")
    assert "decay * s_prev * (1.0 - y_prev)" in (tmp_path / "out2" / "teacher" / "ex03_snu_forward.py").read_text()


# ======================================================================= grader building blocks
@nojit
def test_static_scan_follows_imports_aliases_and_reexports():
    from snu_np.exercises.checks.base import STUDENT_API
    from snu_np.exercises.scan import find_forbidden
    forbidden = E3._FORBIDDEN
    cases = {
        "from snu_np.functional.snu import snu_step_forward as solution": True,
        "import snu_np.functional.snu as FS\nf = FS.snu_step_forward": True,
        "import snu_np\nf = snu_np.functional.snu.snu_forward": True,
        "from snu_np import functional\nf = getattr(functional.snu, 'snu_step_forward')": True,
        "from snu_np.functional import *\nf = snu_step_forward": True,
        "from snu_np import SNU": True,                                  # a layer: snu_np.layers
        "import importlib\nm = importlib.import_module('snu_np.kernels.snu')": True,
        "from snu_np.exercises.checks.ex03_snu_forward import _snu_fwd": True,
        "from snu_np.exercises import check\nfrom snu_np import lif\nlif.simulate": False,
        "import numpy as np\nfrom snu_np.functional.snu import snu_step_backward": False,
    }
    for source, flagged in cases.items():
        hits = find_forbidden(source, forbidden, allowed=STUDENT_API)
        assert bool(hits) == flagged, (source, hits)
    with pytest.raises(SyntaxError):
        find_forbidden("def f(:", forbidden)


@nojit
def test_wire_format_is_plain_data():
    import pickle
    from snu_np.exercises import protocol
    from snu_np.surrogates import get_surrogate
    value = {"a": (np.arange(6.0).reshape(2, 3), None, True, 3, float("nan")), "b": [np.float32(1.5), "x"],
             "s": get_surrogate("tanh", 2.0)}
    back = protocol.decode(json.loads(json.dumps(protocol.encode(value))))
    np.testing.assert_array_equal(back["a"][0], value["a"][0])
    assert back["a"][1:4] == (None, True, 3) and np.isnan(back["a"][4]) and back["b"] == [1.5, "x"]
    assert back["s"].name == "tanh" and back["s"].scale == 2.0
    with pytest.raises(protocol.ProtocolError):
        protocol.encode(object())
    with pytest.raises(protocol.ProtocolError):
        protocol.encode(np.array([object()], dtype=object))
    import base64
    import io
    buf = io.BytesIO()
    np.save(buf, np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(protocol.ProtocolError):
        protocol.decode({"__nd__": base64.b64encode(buf.getvalue()).decode()})
    with pytest.raises(protocol.ProtocolError):
        protocol.decode({"__pickle__": base64.b64encode(pickle.dumps(1)).decode()})
