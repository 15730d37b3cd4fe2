"""Grade submitted exercises: run each one in a fresh Python process and collect every check.

A submission is a notebook (``.ipynb``: its code cells are run in order, IPython magics skipped) or a
``.py`` file, named like the handed-out file (``exNN_...``) so that the grader knows which checks to
expect. Each file runs with the environment variable ``SNU_NP_EXERCISES_REPORT`` pointing to a
temporary file where :func:`~snu_np.exercises.check` appends its results, and with the working
directory of the file. A file that stops with ``NotImplementedError`` is *unfinished*; one that
raises anything else, or runs past ``timeout`` seconds, is an *error*.

Student code runs with your user's rights: grade in a throw-away account or container if the
submissions are not trusted.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

from .catalog import EXERCISES
from .checks import REPORT_ENV, STRICT_ENV

__all__ = ["grade", "format_table", "notebook_to_script"]

_NUMBER = re.compile(r"^ex(\d+)_")
_OPTIONAL_CHECKS = {"pseudo_derivative"}          # a bonus in exercise 6


def notebook_to_script(path):
    """The code cells of the notebook ``path`` as one script (lines starting with % or ! dropped)."""
    nb = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    chunks = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks) + "\n"


def _collect(paths):
    files = []
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            nbs = sorted(p.glob("ex*.ipynb"))
            stems = {q.stem for q in nbs}
            files += nbs + [q for q in sorted(p.glob("ex*.py")) if q.stem not in stems]
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"no such file or directory: {p}")
    return files


def _expected(path):
    m = _NUMBER.match(path.name)
    if not m:
        return None, []
    n = int(m.group(1))
    ex = next((e for e in EXERCISES if e.number == n), None)
    return n, [c for c in (ex.checks if ex else ()) if c not in _OPTIONAL_CHECKS]


def grade(paths, timeout=300.0, python=None):
    """Run every submitted file and report its checks.

    Parameters
    ----------
    paths : list of files (``.ipynb`` / ``.py``) or directories (searched for ``ex*.ipynb``, and
        ``ex*.py`` without a notebook twin).
    timeout : seconds allowed per file.
    python : the interpreter to use (default: this one).

    Returns
    -------
    list of dicts, one per file: ``file``, ``exercise``, ``status`` ("ok", "unfinished", "error",
    "timeout"), ``detail`` (the last error line), ``checks`` (the :class:`CheckResult` dicts),
    ``missing`` (expected checks that never ran), ``score`` (passed expected checks / expected) and
    ``passed`` (everything expected ran and passed).
    """
    python = python or sys.executable
    results = []
    for path in _collect(paths):
        number, expected = _expected(path)
        with tempfile.TemporaryDirectory(prefix="snu-np-grade-") as tmp:
            report = pathlib.Path(tmp) / "checks.jsonl"
            if path.suffix == ".ipynb":
                script = pathlib.Path(tmp) / (path.stem + ".py")
                script.write_text(notebook_to_script(path), encoding="utf-8")
            else:
                script = path.resolve()
            env = dict(os.environ, MPLBACKEND="Agg")
            env[REPORT_ENV] = str(report)
            env.pop(STRICT_ENV, None)
            status, detail = "ok", ""
            try:
                proc = subprocess.run([python, str(script)], cwd=str(path.resolve().parent), env=env,
                                      capture_output=True, text=True, timeout=timeout)
                if proc.returncode != 0:
                    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
                    detail = lines[-1] if lines else f"exit code {proc.returncode}"
                    status = "unfinished" if detail.startswith("NotImplementedError") else "error"
            except subprocess.TimeoutExpired:
                status, detail = "timeout", f"still running after {timeout:g} s"
            checks = []
            if report.exists():
                checks = [json.loads(ln) for ln in report.read_text(encoding="utf-8").splitlines() if ln.strip()]
        passed_names = {c["name"] for c in checks if c["passed"]}
        ran = {c["name"] for c in checks}
        missing = [c for c in expected if c not in ran]
        score = (sum(c in passed_names for c in expected) / len(expected)) if expected else float(
            bool(checks) and all(c["passed"] for c in checks))
        results.append({"file": str(path), "exercise": number, "status": status, "detail": detail,
                        "checks": checks, "missing": missing, "score": score,
                        "passed": status == "ok" and not missing and bool(checks)
                        and all(c["passed"] for c in checks)})
    return results


def format_table(results):
    """A plain-text report of :func:`grade`'s results."""
    rows = []
    for r in results:
        rows.append(f"{pathlib.Path(r['file']).name}: {r['status']}, score {r['score']:.0%}"
                    + (f" -- {r['detail']}" if r["detail"] else ""))
        for c in r["checks"]:
            mark = "PASS" if c["passed"] else "FAIL"
            rows.append(f"    {mark} {c['name']}: {c['message']}")
            if c.get("hint"):
                rows.append(f"         hint: {c['hint']}")
        for name in r["missing"]:
            rows.append(f"    ---- {name}: not run")
    n_ok = sum(r["passed"] for r in results)
    rows.append(f"{n_ok} of {len(results)} files passed every check.")
    return "\n".join(rows)
