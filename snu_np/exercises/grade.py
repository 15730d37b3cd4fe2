"""Grade submitted exercises so that a submission cannot forge its grade.

A submission is a notebook (``.ipynb``: its code cells in order, IPython magics skipped) or a ``.py``
file, named like the handed-out file (``exNN_...``) so that the grader knows the exercise. For each file:

1. **Static scan** (here, in the grader): the source is parsed, never imported, and every use of the
   package's own implementation of what the exercise asks for is found (:mod:`.scan`); those checks
   score 0, flagged.
2. **A child process per file** (:mod:`.child`): ``python -I`` in a new session (its own process
   group), in a fresh temporary folder holding only a copy of the file, with a minimal environment
   (``PATH``, ``LANG``, ``HOME`` and ``TMPDIR`` = that folder, ``PYTHONPATH`` for the package; no other
   variable of the grader's). It runs the file, then calls the exercise's functions on the inputs the
   grader sends over a pipe and sends back their return values as plain data (JSON, arrays as
   ``np.save`` bytes, never pickle).
3. **The verdict is the grader's**: every check runs in the grader's process, with the student's
   function replaced by a proxy that calls it in the child; the outputs are compared here with the
   reference. Calls into forbidden functions, and reads of their modules' source files, reported by
   the child's tripwires and audit hook flag the check too.
4. **One time limit** per file (``timeout``) for loading and every check; then, and in any case after
   grading, the whole session is killed: its process group, every process of its session, and every
   process descended from it, found in ``/proc`` -- including detached (``setsid``) and double-forked
   ones, which on Linux the grader adopts as a *child subreaper* while it grades.

What a submission can do in its child (write files, patch modules, exit early with code 0, print
anything, write to the pipe) changes only the answers its own functions give, which the grader checks.
This is isolation on one machine, not a sandbox: the child runs with the grader's user rights, so grade
untrusted submissions in a throw-away account or container; and copied code is not detected.
"""
from __future__ import annotations

import builtins
import csv
import ctypes
import json
import os
import pathlib
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from ..errors import UsageError
from . import protocol
from .catalog import EXERCISES
from .checks import run_check
from .checks.base import STUDENT_API
from .child import BOOT
from .scan import find_forbidden, matches

__all__ = ["grade", "format_table", "write_csv", "notebook_to_script", "GRADEBOOK_COLUMNS"]

_NUMBER = re.compile(r"^ex(\d+)_")
GRADEBOOK_COLUMNS = ("student", "exercise", "check", "passed", "score", "file", "status", "message")
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT")     # what Python and its tools need


# ------------------------------------------------------------------------------------ submissions
def notebook_to_script(path):
    """The code cells of the notebook ``path`` as one script (lines starting with % or ! dropped)."""
    try:
        nb = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a notebook ({exc})") from None
    chunks = []
    for cell in (nb.get("cells") or []) if isinstance(nb, dict) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else str(src)
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks) + "\n"


def _collect(paths):
    """The submitted files: files as given, directories searched recursively (a notebook wins over a
    ``.py`` twin of the same name in the same folder)."""
    files = []
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("ex*") if q.is_file() and q.suffix in (".py", ".ipynb")
                           and _NUMBER.match(q.name) and ".ipynb_checkpoints" not in q.parts)
            stems = {(q.parent, q.stem) for q in found if q.suffix == ".ipynb"}
            files += [q for q in found if q.suffix == ".ipynb" or (q.parent, q.stem) not in stems]
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError(f"paths: no such file or directory: {p}")
    return files


def _root_of(paths):
    dirs = [p.resolve() if p.is_dir() else p.resolve().parent for p in map(pathlib.Path, paths)]
    return pathlib.Path(os.path.commonpath([str(d) for d in dirs])) if dirs else pathlib.Path.cwd()


def _names(path, root):
    """(file name relative to the submissions folder, student) for one submitted file."""
    try:
        rel = path.resolve().relative_to(root)
    except ValueError:
        rel = pathlib.Path(path.name)
    student = rel.parts[0] if len(rel.parts) > 1 else path.resolve().parent.name
    return rel.as_posix(), student


# ------------------------------------------------------------------------------- the child process
class _Abort(BaseException):
    """Grading of this file stops (time limit, the child ended, a malformed reply). A BaseException, so
    that the checks' ``except Exception`` (a student's error) never swallows it."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


class _RemoteError(Exception):
    student_where = ""


def _remote_exception(error):
    """The exception the student's function raised in the child, as an exception of the grader."""
    error = error if isinstance(error, dict) else {}
    name, message = str(error.get("type", "Exception"))[:80], str(error.get("message", ""))[:2000]
    if name == "NotImplementedError":
        return NotImplementedError(message)
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)) or not name.isidentifier():
        cls = type(name if name.isidentifier() else "Exception", (_RemoteError,), {})
    else:
        cls = type(name, (cls, _RemoteError), {})
    exc = cls(message)
    exc.student_where = str(error.get("where", ""))[:300]
    return exc


class _Child:
    """The child process of one submission and its two pipes; every read honours the deadline."""

    def __init__(self, python, script, tmp, forbidden, functions, deadline):
        self.deadline = deadline
        self.called = set()
        req_r, self.req_w = os.pipe()
        self.res_r, res_w = os.pipe()
        self.out = tempfile.TemporaryFile()             # not a path the child can name
        pkg_root = str(pathlib.Path(__file__).resolve().parents[2])
        env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
        env.setdefault("PATH", os.defpath)
        env.setdefault("LANG", "C.UTF-8")
        env.update(HOME=str(tmp), TMPDIR=str(tmp), PYTHONPATH=pkg_root, MPLBACKEND="Agg",
                   MPLCONFIGDIR=str(tmp / ".matplotlib"), NUMBA_CACHE_DIR=str(tmp / ".numba"),
                   PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8", OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.started = _now_ticks()                      # orphans adopted later are younger than this
        self.proc = subprocess.Popen([python, "-I", "-c", BOOT, pkg_root, str(req_r), str(res_w)],
                                     cwd=str(tmp), env=env, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, pass_fds=(req_r, res_w), start_new_session=True)
        os.close(req_r)
        os.close(res_w)
        os.set_blocking(self.req_w, False)
        self._buffer = b""
        self.send({"op": "setup", "script": str(script), "forbidden": list(forbidden),
                   "functions": list(functions)})

    def send(self, message):
        """Write one request; a child that stops reading cannot block the grader past the deadline."""
        view = memoryview(protocol.frame(message))
        try:
            while view:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise _Abort("timeout", "the time limit was reached")
                _, ready, _ = select.select([], [self.req_w], [], left)
                if ready:
                    view = view[os.write(self.req_w, view):]
        except OSError:
            raise _Abort("error", self._ended("before grading finished")) from None

    def _ended(self, when):
        code = self.proc.poll()
        return f"the submission's process ended{'' if code is None else f' (exit code {code})'} {when}"

    def _read_exactly(self, n):
        while len(self._buffer) < n:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise _Abort("timeout", "the time limit was reached")
            ready, _, _ = select.select([self.res_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.res_r, 1 << 20)
            if not chunk:
                raise _Abort("error", self._ended("before grading finished"))
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def receive(self):
        try:
            return protocol.read_message(self._read_exactly)
        except protocol.ProtocolError as exc:
            raise _Abort("error", f"malformed reply from the submission's process: {exc}") from None

    def request(self, message):
        try:
            self.send(message)
        except protocol.ProtocolError as exc:          # an argument too large to send: the check's fault
            raise _Abort("error", f"could not send a request: {exc}") from None
        reply = self.receive()
        called = reply.get("called")
        if isinstance(called, list):                        # what the tripwires saw during the call
            self.called.update(c for c in called if isinstance(c, str))
        if "error" in reply:
            raise _remote_exception(reply["error"])
        try:
            return protocol.decode(reply.get("value"), remote=lambda i, t: _RemoteObject(self, i, t))
        except protocol.ProtocolError as exc:
            raise _Abort("error", f"malformed reply from the submission's process: {exc}") from None

    def close(self):
        """End the child and everything it started; return the tail of its output."""
        try:
            os.write(self.req_w, protocol.frame({"op": "exit"}))
        except OSError:
            pass
        for fd in (self.req_w, self.res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        # a moment to exit by itself, without reaping it (see _kill_tree)
        end = time.monotonic() + min(1.0, max(0.0, self.deadline - time.monotonic()))
        while time.monotonic() < end and (_stat(self.proc.pid) or ("Z",))[-1] != "Z":
            time.sleep(0.01)
        _kill_tree(self.proc, self.started)
        self.out.seek(0, os.SEEK_END)
        size = self.out.tell()
        self.out.seek(max(0, size - 4000))
        tail = self.out.read().decode("utf-8", "replace")
        self.out.close()
        return tail


class _Proxy:
    """Stands for one function of the submission: calling it calls that function in the child."""

    def __init__(self, child, name):
        self._child, self.__name__ = child, name

    def __call__(self, *args, **kwargs):
        return self._child.request({"op": "call", "function": self.__name__,
                                    "args": protocol.encode(list(args)), "kwargs": protocol.encode(kwargs)})


class _RemoteObject:
    """An object the submission returned that is not plain data (a trained network): its methods are
    called in the child."""

    def __init__(self, child, ident, type_name):
        self._child, self._id, self._type = child, ident, type_name

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def method(*args, **kwargs):
            return self._child.request({"op": "method", "object": self._id, "method": name,
                                        "args": protocol.encode(list(args)), "kwargs": protocol.encode(kwargs)})
        return method

    def __repr__(self):
        return f"<{self._type} in the submission's process>"


# ------------------------------------------------------------------------------ ending every process
def _stat(pid):
    """(ppid, pgrp, session, starttime, state) of ``pid`` from /proc, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read().decode("ascii", "replace")
        fields = raw[raw.rindex(")") + 2:].split()
        return int(fields[1]), int(fields[2]), int(fields[3]), int(fields[19]), fields[0]
    except (OSError, ValueError, IndexError):
        return None


def _now_ticks():
    """The time since boot in clock ticks, the unit of a process's start time in /proc."""
    try:
        with open("/proc/uptime", encoding="ascii") as fh:
            return int(float(fh.read().split()[0]) * os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def _processes():
    try:
        return {int(p): st for p in os.listdir("/proc") if p.isdigit() and (st := _stat(int(p)))}
    except OSError:
        return {}


def _victims(root_pid, started):
    """Every live process of the child's session or group, descended from it, or orphaned to us since."""
    procs = _processes()
    me = os.getpid()
    out = {pid for pid, (ppid, pgrp, sid, _, state) in procs.items()
           if state != "Z" and pid != me and (sid == root_pid or pgrp == root_pid or pid == root_pid
                                               or (ppid == me and procs[pid][3] >= started and pid != root_pid))}
    grew = True
    while grew:                                           # and their descendants, whatever their session
        more = {pid for pid, (ppid, *_rest) in procs.items() if ppid in out and procs[pid][4] != "Z"} - out
        grew = bool(more)
        out |= more
    return out


def _kill_tree(proc, started):
    """SIGKILL the child's process group, session and descendants until none is left; reap them.

    The child itself is reaped last: until then its pid (the group and session id) cannot be reused by
    an unrelated process."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    killed = set()
    if os.path.isdir("/proc"):
        for _ in range(200):
            victims = _victims(proc.pid, started) - {proc.pid}
            if not victims:
                break
            for pid in victims:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except OSError:
                    pass
            _reap(killed)
            time.sleep(0.005)
    try:
        proc.kill()
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):  # pragma: no cover - a process in uninterruptible sleep
        pass
    me = os.getpid()          # orphans that exited by themselves, adopted since the child started
    killed |= {pid for pid, (ppid, _, _, start, state) in _processes().items()
               if ppid == me and state == "Z" and start >= started and pid != proc.pid}
    _reap(killed)


def _reap(killed):
    """Collect the processes we killed that were adopted by us as subreaper (and only those: another
    part of the program may be waiting for its own children)."""
    for pid in list(killed):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:                         # not ours: its own parent reaps it
            done = pid
        if done:
            killed.discard(pid)


class _Subreaper:
    """While grading, orphaned descendants of a submission are re-parented to the grader (Linux), so a
    detached or double-forked process cannot slip out of reach."""

    _SET, _GET = 36, 37                                   # PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER

    def __enter__(self):
        self.libc, self.before = None, None
        if sys.platform.startswith("linux"):
            try:
                self.libc = ctypes.CDLL(None, use_errno=True)
                value = ctypes.c_int(0)
                self.libc.prctl(self._GET, ctypes.byref(value), 0, 0, 0)
                self.before = value.value
                self.libc.prctl(self._SET, 1, 0, 0, 0)
            except (OSError, AttributeError):
                self.libc = None
        return self

    def __exit__(self, *exc):
        if self.libc is not None:
            self.libc.prctl(self._SET, int(self.before or 0), 0, 0, 0)


# ------------------------------------------------------------------------------------------- grading
def _check_record(spec, status, message, hint="", mistake="", seconds=0.0):
    return {"name": spec.name, "exercise": spec.exercise, "status": status, "passed": status == "passed",
            "message": message, "hint": hint, "mistake": mistake, "seconds": round(seconds, 4),
            "optional": spec.optional, "flagged": status == "flagged"}


def _holds_forbidden(module, forbidden):
    """Whether the package module ``module`` is, holds, or lies inside an entry of ``forbidden``."""
    return any(f == module or f.startswith(module + ".") or module.startswith(f + ".") for f in forbidden)


def _flag_message(uses):
    where = "; ".join(f"line {line}: {name}" if line else name for line, name in uses[:3])
    return (f"flagged, scores 0: the submission uses the package's own implementation of what this "
            f"exercise asks for ({where}). Write the function yourself.")


def _read_source(path):
    """The submission's code (a notebook's code cells), or a ValueError saying why it cannot be read."""
    try:
        return notebook_to_script(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the file: {exc}") from None


def _grade_file(path, rel, student, source, timeout, python):
    t0 = time.monotonic()
    result = {"file": rel, "path": str(path), "student": student, "exercise": None, "status": "ok",
              "detail": "", "checks": [], "missing": [], "score": 0.0, "passed": False}
    m = _NUMBER.match(path.name)
    ex = next((e for e in EXERCISES if m and e.number == int(m.group(1))), None)
    if ex is None:
        result.update(status="error", detail="not an exercise file: name it like the handed-out file (exNN_...)")
        return result
    result["exercise"] = ex.number
    if isinstance(source, ValueError):
        result.update(status="error", detail=str(source))
        return result
    forbidden = sorted({f for spec in ex.checks for f in spec.forbidden})
    try:
        hits = find_forbidden(source, forbidden, rel, allowed=STUDENT_API)
    except SyntaxError as exc:
        hits = []
        result.update(status="error", detail=f"SyntaxError: {exc.msg} (line {exc.lineno})")
    static = {spec.name: [(line, name) for line, name, f in hits if f in spec.forbidden] for spec in ex.checks}
    records = {}
    functions = sorted({spec.function for spec in ex.checks} | {v for s in ex.checks for v in s.options.values()})
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="snu-np-grade-"))
    child, tail = None, ""
    try:
        script = tmp / (path.stem + ".py")
        script.write_text(source, encoding="utf-8")
        child = _Child(python, script, tmp, forbidden, functions, t0 + timeout)
        ready = child.receive()
        load_error = ready.get("load_error")
        if isinstance(load_error, dict):
            err = _remote_exception(load_error)
            text = f"{type(err).__name__}: {err}{getattr(err, 'student_where', '')}"
            if isinstance(err, NotImplementedError):
                result.update(status="unfinished", detail=text)
            elif result["status"] == "ok":
                result.update(status="error", detail=("the file stopped early: " if "SystemExit" in text
                                                       else "") + text)
        identity = ready.get("identity") if isinstance(ready.get("identity"), dict) else {}
        defined = set(ready.get("defined") or [])
        read = [m for m in (ready.get("sources_read") or []) if isinstance(m, str)]
        for spec in ex.checks:
            uses = list(static[spec.name])
            uses += [(0, f"{m} (its source file)") for m in read if _holds_forbidden(m, spec.forbidden)]
            same = identity.get(spec.function)
            if isinstance(same, str) and matches(same, spec.forbidden):
                uses.append((0, f"{spec.function} is {same}"))
            if uses:
                records[spec.name] = _check_record(spec, "flagged", _flag_message(uses))
                continue
            missing = [n for n in (spec.function, *spec.options.values()) if n not in defined]
            if missing:
                records[spec.name] = _check_record(
                    spec, "not run" if spec.optional else "failed",
                    f"no function named {', '.join(missing)} in the file: keep the names of the handed-out file.")
                continue
            child.called.clear()
            options = {k: _Proxy(child, v) for k, v in spec.options.items()}
            try:
                r = run_check(spec, _Proxy(child, spec.function), **options)
            except NotImplementedError as exc:
                records[spec.name] = _check_record(spec, "unfinished", f"NotImplementedError: {exc}")
                continue
            dynamic = sorted(q for q in child.called if matches(q, spec.forbidden)
                             or (q.endswith(" (its source file)") and _holds_forbidden(q.split()[0], spec.forbidden)))
            if dynamic:
                records[spec.name] = _check_record(spec, "flagged", _flag_message([(0, q) for q in dynamic]))
                continue
            records[spec.name] = _check_record(spec, "passed" if r.passed else "failed", r.message, r.hint,
                                               r.mistake, r.seconds)
    except _Abort as abort:
        result.update(status=abort.status, detail=abort.detail + (f" ({timeout:g} s)" if abort.status == "timeout"
                                                                  else ""))
    finally:
        if child is not None:
            tail = child.close()
        shutil.rmtree(tmp, ignore_errors=True)
    for spec in ex.checks:
        records.setdefault(spec.name, _check_record(spec, "not run", result["detail"] or "not run"))
    result["checks"] = [records[spec.name] for spec in ex.checks]
    if result["status"] == "ok" and any(c["status"] == "unfinished" for c in result["checks"] if not c["optional"]):
        first = next(c for c in result["checks"] if c["status"] == "unfinished")
        result.update(status="unfinished", detail=first["message"])
    if result["status"] == "error" and not result["detail"]:
        result["detail"] = tail.strip().splitlines()[-1] if tail.strip() else "error"
    expected = [c for c in result["checks"] if not c["optional"]]
    result["missing"] = [c["name"] for c in expected if c["status"] in ("unfinished", "not run")]
    result["score"] = sum(c["passed"] for c in expected) / len(expected) if expected else 0.0
    result["passed"] = result["status"] == "ok" and all(c["passed"] for c in expected)
    result["seconds"] = round(time.monotonic() - t0, 3)
    return result


def grade(paths, timeout=300.0, python=None, root=None):
    """Grade every submitted file, each in its own child process (see the module's docstring).

    Parameters
    ----------
    paths : list of files (``.ipynb`` / ``.py``) or folders (searched recursively for ``exNN_*.ipynb``,
        and ``exNN_*.py`` without a notebook twin), e.g. ``["submissions/"]`` laid out as
        ``submissions/<student>/exNN_*.ipynb``.
    timeout : seconds allowed per file, for running it and every check together.
    python : the interpreter for the child processes (default: this one).
    root : the submissions folder that report names are relative to (default: the common folder of
        ``paths``); the first folder below it names the student.

    Returns
    -------
    list of dicts, one per file: ``file`` (relative to ``root``), ``path``, ``student``, ``exercise``,
    ``status`` ("ok", "unfinished", "error", "timeout"), ``detail``, ``checks`` (one dict per check:
    ``name``, ``status`` -- "passed", "failed", "flagged", "unfinished", "not run" --, ``passed``,
    ``message``, ``hint``, ``mistake``, ``optional``, ``flagged``), ``missing`` (expected checks that
    did not run), ``score`` (passed expected checks / expected checks), ``passed`` and ``seconds``.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise UsageError("paths: give at least one submitted file or folder")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise UsageError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if python is not None and not isinstance(python, (str, os.PathLike)):
        raise UsageError(f"python must be the path of an interpreter, got {type(python).__name__}")
    python = str(python or sys.executable)
    files = _collect(paths)
    if root is not None and not pathlib.Path(root).is_dir():
        raise UsageError(f"root: {root} is not a folder")
    root = pathlib.Path(root).resolve() if root is not None else _root_of(paths)
    # every file is read before any submission runs: what one submission writes on disk afterwards
    # (a classmate's file, say) cannot change what is graded
    sources = []
    for path in files:
        try:
            sources.append(_read_source(path))
        except ValueError as exc:
            sources.append(exc)
    results = []
    with _Subreaper():
        for path, source in zip(files, sources):
            rel, student = _names(path, root)
            results.append(_grade_file(path, rel, student, source, float(timeout), python))
    return results


# ------------------------------------------------------------------------------------------ reports
def _text(value, limit=500):
    return str(value if value is not None else "")[:limit]


def format_table(results):
    """A plain-text report of :func:`grade`'s results: one line per file, named by its path relative
    to the submissions folder, then one per check. Tolerates malformed records."""
    rows = []
    results = [r for r in (results or []) if isinstance(r, dict)]
    for r in results:
        try:
            score = f"{float(r.get('score', 0.0)):.0%}"
        except (TypeError, ValueError):
            score = "?"
        detail = _text(r.get("detail"))
        rows.append(f"{_text(r.get('file', '?'))}: {_text(r.get('status', '?'))}, score {score}"
                    + (f" -- {detail}" if detail else ""))
        for c in r.get("checks") or []:
            if not isinstance(c, dict):
                continue
            status = _text(c.get("status") or ("passed" if c.get("passed") else "failed"))
            mark = {"passed": "PASS", "failed": "FAIL", "flagged": "FLAG"}.get(status, "----")
            bonus = " (bonus)" if c.get("optional") else ""
            rows.append(f"    {mark} {_text(c.get('name', '?'))}{bonus}: {_text(c.get('message'))}")
            if c.get("hint"):
                rows.append(f"         hint: {_text(c.get('hint'))}")
    n_ok = sum(r.get("passed") is True for r in results)
    rows.append(f"{n_ok} of {len(results)} files passed every check.")
    return "\n".join(rows)


def gradebook_rows(results):
    """One row per check (and one ``TOTAL`` row per file): GRADEBOOK_COLUMNS."""
    for r in results or []:
        if not isinstance(r, dict):
            continue
        base = {"student": _text(r.get("student")), "exercise": _text(r.get("exercise")),
                "file": _text(r.get("file")), "status": _text(r.get("status"))}
        for c in r.get("checks") or []:
            if isinstance(c, dict):
                yield {**base, "check": _text(c.get("name")) + (" (bonus)" if c.get("optional") else ""),
                       "passed": int(c.get("passed") is True), "score": float(c.get("passed") is True),
                       "message": _text(c.get("message"))}
        try:
            score = float(r.get("score", 0.0))
        except (TypeError, ValueError):
            score = 0.0
        yield {**base, "check": "TOTAL", "passed": int(r.get("passed") is True), "score": round(score, 4),
               "message": _text(r.get("detail"))}


def write_csv(results, path):
    """Write the gradebook of :func:`grade`'s results to ``path`` (CSV, a header row of
    ``GRADEBOOK_COLUMNS``); ``score`` is 1 or 0 per check and the file's score on its ``TOTAL`` row."""
    path = pathlib.Path(path)
    if path.is_dir():
        raise UsageError(f"--csv: {path} is a folder, give a file name")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=GRADEBOOK_COLUMNS)
        writer.writeheader()
        for row in gradebook_rows(results):
            writer.writerow(row)
    return path
