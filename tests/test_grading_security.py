"""Hostile submissions: none can raise its score, reach the grader, a classmate's file, or outlive grading.

Each submission below tries one forgery (a record in a report file, fake JSON on stdout, patched checks,
the package's own implementation imported, wrapped or fetched at run time, the grader's environment, a
classmate's file, detached processes, an early exit, an endless loop, writing to the grader's pipe) and
must score 0 or be flagged, while an honest classmate graded in the same run scores 100 %. Most files are
graded in one ``grade()`` call (one child process each, about 2 s apiece).
"""
import json
import os
import textwrap
import time

import pytest

from snu_np.exercises import grade
from snu_np.exercises.grade import format_table, write_csv

SECRET = "SNU_NP_TEST_GRADER_SECRET"

RIGHT = """
import numpy as np

def quantize(W, bits):
    W = np.asarray(W, dtype=float)
    L = 2 ** (bits - 1) - 1
    m = np.max(np.abs(W)) if W.size else 0.0
    if m == 0:
        return np.zeros_like(W)
    return m / L * np.round(W / (m / L))
"""

WRONG = """
import numpy as np

def quantize(W, bits):
    return np.zeros_like(W)
"""


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _write(folder, name, *parts):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(textwrap.dedent(p) for p in parts), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    subs, spy = base / "submissions", base / "spy"
    spy.mkdir()
    q = "ex11_quantize.py"
    _write(subs / "honest", q, RIGHT)
    _write(subs / "honest", "ex03_snu_forward.py", """
        import numpy as np
        def snu_step_forward(x_t, s_prev, y_prev, W, b, decay, H=None, soft=False):
            z = x_t @ W + decay * s_prev * (1.0 - y_prev) + (0 if H is None else y_prev @ H)
            s = np.maximum(z, 0.0)
            return s, (1 / (1 + np.exp(-(s + b))) if soft else (s + b > 0) * 1.0)
        """)
    # an honest mistake inside the allowed reference step must not look like reading its source
    _write(subs / "clumsy", "ex05_bptt_loop.py", """
        from snu_np.functional.snu import snu_step_backward
        def snu_backward(dy, cache, detach_reset=False):
            return snu_step_backward(dy, None, (1, 2, 3), detach_reset)
        """)
    # a record in the old report file, fake JSON on stdout, then an early exit with code 0
    _write(subs / "forger", q, WRONG, f"""
        import json, os, sys
        record = {{"name": "quantize", "exercise": 11, "passed": True, "message": "ok"}}
        for target in (os.environ.get("SNU_NP_EXERCISES_REPORT"), "checks.jsonl", {str(spy / 'report.jsonl')!r}):
            if target:
                open(target, "a").write(json.dumps(record) + "\\n")
        print(json.dumps({{"status": "ok", "score": 1.0, "passed": True, "checks": [record]}}))
        sys.exit(0)
        """)
    # patches every check it can reach in its own process (found at run time, so the scan misses it)
    _write(subs / "patcher", q, WRONG, f"""
        import importlib, json, os
        cat = importlib.import_module("snu_np.exercises." + "catalog")
        base = importlib.import_module("snu_np.exercises." + "checks.base")
        for spec in cat.CHECKS.values():
            object.__setattr__(spec, "run", lambda fn, **kw: "all good")
        base._compare = lambda *a, **k: None
        json.dump(dict(os.environ), open({str(spy / 'environ.json')!r}, "w"))
        """)
    # the package's own step, imported under another name
    _write(subs / "importer", "ex03_snu_forward.py", """
        from snu_np.functional.snu import snu_step_forward as solution

        def snu_step_forward(x_t, s_prev, y_prev, W, b, decay, H=None, soft=False):
            return solution(x_t, s_prev, y_prev, W, b, decay, H, soft)[:2]
        """)
    # ... and fetched at run time by a computed name (the static scan cannot see it)
    _write(subs / "sneak", "ex03_snu_forward.py", """
        import importlib
        def snu_step_forward(x_t, s_prev, y_prev, W, b, decay, H=None, soft=False):
            ref = getattr(importlib.import_module("snu_np.func" + "tional.snu"), "snu_step_" + "forward")
            return ref(x_t, s_prev, y_prev, W, b, decay, H, soft)[:2]
        """)
    # rebuilds the package's function from its source file (a copy made at run time)
    _write(subs / "copier", "ex03_snu_forward.py", """
        import snu_np.functional as F
        import os
        path = os.path.join(os.path.dirname(F.__file__), "sn" + "u.py")
        namespace = {"__name__": "snu_np.functional.copy", "__package__": "snu_np.functional"}
        exec(compile(open(path).read(), path, "exec"), namespace)
        def snu_step_forward(x_t, s_prev, y_prev, W, b, decay, H=None, soft=False):
            return namespace["snu_step_" + "forward"](x_t, s_prev, y_prev, W, b, decay, H, soft)[:2]
        """)
    # overwrites a classmate's file (by the relative paths that reached it when the grader ran in the
    # submission's folder), then leaves detached processes: a setsid'd child and a double-forked one
    _write(subs / "vandal", q, RIGHT.replace("np.round", "np.trunc"), f"""
        import os, subprocess
        for target in ("../honest/{q}", "../../submissions/honest/{q}", "{q}"):
            try:
                open(target, "w").write("def quantize(W, bits):\\n    return W\\n")
            except OSError:
                pass
        p = subprocess.Popen(["sleep", "300"], start_new_session=True)
        open({str(spy / 'pids')!r}, "a").write(f"{{p.pid}}\\n")
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                open({str(spy / 'pids')!r}, "a").write(f"{{os.getpid()}}\\n")
                os.execvp("sleep", ["sleep", "300"])
            os._exit(0)
        """)
    # the orphan's parent exits at once: only adoption (subreaper) finds the grandchild
    _write(subs / "orphaner", q, WRONG, f"""
        import os, subprocess
        p = subprocess.Popen(["sleep", "300"], start_new_session=True)
        open({str(spy / 'pids')!r}, "a").write(f"{{p.pid}}\\n")
        os._exit(0)
        """)
    # writes a forged "ready" and forged replies to every pipe it holds
    _write(subs / "piper", q, WRONG, """
        import json, os, struct
        def forge(fd, message):
            body = json.dumps(message).encode()
            try:
                os.write(fd, struct.pack(">Q", len(body)) + body)
            except OSError:
                pass
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd > 2:
                forge(fd, {"op": "ready", "load_error": None, "identity": {}, "defined": ["quantize"]})
                forge(fd, {"called": [], "value": {"__nd__": "garbage"}})
        """)
    os.environ[SECRET] = "s3cret"
    try:
        t0 = time.monotonic()
        results = grade([subs], timeout=30)
        seconds = time.monotonic() - t0
    finally:
        del os.environ[SECRET]
    return {r["file"]: r for r in results}, spy, subs, seconds


def test_the_honest_classmate_scores_full_marks(graded):
    results, _, subs, _ = graded
    assert results["honest/ex11_quantize.py"]["score"] == 1.0 and results["honest/ex11_quantize.py"]["passed"]
    assert results["honest/ex03_snu_forward.py"]["score"] == 1.0
    assert "np.round" in (subs / "honest" / "ex11_quantize.py").read_text(), "the classmate's file was touched"


def test_report_file_stdout_json_and_early_exit_score_zero(graded):
    results, spy, _, _ = graded
    r = results["forger/ex11_quantize.py"]
    assert r["score"] == 0.0 and not r["passed"]
    assert r["status"] == "error" and "stopped early" in r["detail"] and "SystemExit" in r["detail"]
    assert r["checks"][0]["status"] == "failed"
    assert (spy / "report.jsonl").exists()          # it did write its record: nobody read it


def test_patched_checks_in_the_child_change_nothing(graded):
    results, _, _, _ = graded
    r = results["patcher/ex11_quantize.py"]
    assert r["score"] == 0.0 and r["checks"][0]["status"] == "failed" and "should be" in r["checks"][0]["message"]


def test_the_child_sees_a_minimal_environment_without_the_graders_variables(graded):
    _, spy, _, _ = graded
    env = json.loads((spy / "environ.json").read_text())
    assert SECRET not in env and "SNU_NP_EXERCISES_REPORT" not in env
    assert set(env) <= {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "HOME", "TMPDIR", "PYTHONPATH", "MPLBACKEND",
                        "MPLCONFIGDIR", "NUMBA_CACHE_DIR", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING",
                        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "LC_CTYPE"}
    assert env["HOME"] == env["TMPDIR"] and "snu-np-grade-" in env["HOME"]


def test_imported_or_fetched_reference_is_flagged(graded):
    results, _, _, _ = graded
    for name, how in (("importer", "line 2: snu_np.functional.snu.snu_step_forward"),
                      ("sneak", "snu_np.functional.snu.snu_step_forward"),
                      ("copier", "snu_np.functional.snu (its source file)")):
        c = results[f"{name}/ex03_snu_forward.py"]["checks"][0]
        assert c["status"] == "flagged" and c["flagged"] and not c["passed"], (name, c)
        assert "package's own implementation" in c["message"] and how in c["message"], c["message"]
        assert results[f"{name}/ex03_snu_forward.py"]["score"] == 0.0


def test_an_error_inside_an_allowed_reference_is_a_failure_not_a_flag(graded):
    results, _, _, _ = graded
    c = results["clumsy/ex05_bptt_loop.py"]["checks"][0]
    assert c["status"] == "failed" and "your function raised ValueError" in c["message"], c
    assert results["copier/ex03_snu_forward.py"]["status"] == "ok"        # its copy works: only the flag stops it


def test_no_process_outlives_grading(graded):
    _, spy, _, _ = graded
    pids = [int(p) for p in (spy / "pids").read_text().split()]
    assert len(pids) == 3                                # setsid'd, double-forked, orphaned
    assert not [p for p in pids if _alive(p)]


def test_vandal_and_pipe_forger_score_zero(graded):
    results, _, _, _ = graded
    assert results["vandal/ex11_quantize.py"]["checks"][0]["mistake"] == "trunc"
    assert results["vandal/ex11_quantize.py"]["score"] == 0.0
    assert results["orphaner/ex11_quantize.py"]["score"] == 0.0
    r = results["piper/ex11_quantize.py"]
    assert r["score"] == 0.0 and not r["passed"]


def test_grading_the_batch_is_quick(graded):
    assert graded[3] < 40.0


def test_an_endless_loop_hits_the_time_limit(tmp_path):
    path = _write(tmp_path / "looper", "ex11_quantize.py", RIGHT, "while True:\n    pass\n")
    t0 = time.monotonic()
    (r,) = grade([path], timeout=3.0)
    assert time.monotonic() - t0 < 10.0
    assert r["status"] == "timeout" and r["score"] == 0.0 and r["checks"][0]["status"] == "not run"


def test_forged_or_malformed_records_do_not_crash_the_reports(tmp_path):
    junk = [{"file": "a/ex01.py"}, {"checks": [{"passed": True}], "score": "full"}, "nonsense", None,
            {"file": "b/ex02.py", "status": "ok", "score": 1.0, "checks": [{"name": "x"}, 7], "passed": "yes"}]
    text = format_table(junk)
    assert "a/ex01.py" in text and "0 of 3 files passed" in text
    write_csv(junk, tmp_path / "g.csv")
    assert (tmp_path / "g.csv").read_text().startswith("student,exercise,check,passed,score")
