"""The grader's child process: load one submission, then call its functions on request.

Started by :mod:`snu_np.exercises.grade` as ``python -I -c BOOT`` in a new session, in a temporary
folder holding only a copy of the submission, with a minimal environment. It reads requests from one
pipe and writes replies to another (file descriptors passed by the parent); it never grades anything.
What it reports (return values, exceptions, calls into the package's own implementations) is data that
the parent judges; a submission that tampers with this process can only spoil its own answers.

Before the submission runs:

* ``snu_np.exercises.check`` becomes a stub, so the notebook's ``check(...)`` cells cost nothing and
  decide nothing (the parent runs every check itself);
* every forbidden function of the exercise (the package's own implementation of what it asks for) is
  replaced, wherever the package holds it, by a *tripwire* that records the call and then calls the
  original, so a submission that imports or wraps it gets its numbers but is flagged;
* an audit hook (``sys.addaudithook``, which cannot be removed) records every opening of the source file
  of a module holding a forbidden function, so rebuilding one from the package's source is flagged too.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import os
import sys
import traceback

from . import protocol

__all__ = ["main"]

_NOT_WRAPPED = ("snu_np.exercises.child", "snu_np.exercises.protocol")


class _Session:
    def __init__(self):
        self.active = False          # inside a call of a student function
        self.called = set()          # forbidden qualified names hit during that call
        self.originals = {}          # id(original) -> qualified name
        self.codes = {}              # id(original.__code__) -> qualified name
        self.handles = {}
        self.source_files = {}       # normalised path of a forbidden module's source -> module name
        self.sources_read = set()    # those modules whose source the submission opened


S = _Session()


def _audit(event, args):
    """Record the submission opening a forbidden module's source (an audit hook: it cannot be removed)."""
    if event != "open" or not S.source_files or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    try:
        path = os.path.normcase(os.path.realpath(os.fsdecode(args[0])))
    except (TypeError, ValueError, OSError):
        return
    module = S.source_files.get(path)
    if module is not None:
        S.sources_read.add(module)
        if S.active:
            S.called.add(f"{module} (its source file)")


def watch_sources(forbidden):
    """Note the source files of every loaded package module that holds a forbidden name."""
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None)
        if not path or not name.startswith("snu_np") or name in _NOT_WRAPPED:
            continue
        if any(f == name or f.startswith(name + ".") or name.startswith(f + ".") for f in forbidden):
            S.source_files[os.path.normcase(os.path.realpath(path))] = name
    sys.addaudithook(_audit)


def _tripwire(original, qualname):
    def tripwire(*args, **kwargs):
        if S.active:
            S.called.add(qualname)
        return original(*args, **kwargs)
    functools.update_wrapper(tripwire, original)
    del tripwire.__wrapped__         # no easy way back to the original
    tripwire._snu_np_tripwire = qualname
    S.originals[id(original)] = qualname
    code = getattr(original, "__code__", None)
    if code is not None:
        S.codes[id(code)] = qualname
    return tripwire


def _resolve(dotted):
    """(object, owner, attribute) for a dotted name of the package, importing modules as needed."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        owner, attr = None, None
        for name in parts[i:]:
            owner, attr = obj, name
            obj = getattr(obj, name)
        return obj, owner, attr
    raise ImportError(dotted)


def _replace_everywhere(replacements):
    """Put each wrapper wherever a package module holds its original (``{id(original): wrapper}``)."""
    for mod in list(sys.modules.values()):
        if not getattr(mod, "__name__", "").startswith("snu_np"):
            continue
        for key, value in list(vars(mod).items()):
            wrapper = replacements.get(id(value))
            if wrapper is not None:
                setattr(mod, key, wrapper)


def _wrap_class(cls, prefix):
    for key, value in list(vars(cls).items()):
        if inspect.isfunction(value) and not key.startswith("__"):
            setattr(cls, key, _tripwire(value, f"{prefix}.{key}"))


def _wrap_module(mod, replacements):
    if mod.__name__ in _NOT_WRAPPED:
        return
    for key, value in list(vars(mod).items()):
        if getattr(value, "__module__", None) != mod.__name__ or getattr(value, "_snu_np_tripwire", None):
            continue
        if inspect.isfunction(value) and id(value) not in replacements:
            replacements[id(value)] = _tripwire(value, f"{mod.__name__}.{key}")
        elif inspect.isclass(value):
            _wrap_class(value, f"{mod.__name__}.{key}")


def install_tripwires(forbidden):
    """Replace every forbidden function (or every function and method of a forbidden module, its
    submodules or a forbidden class) by a tripwire, wherever the package holds it."""
    replacements = {}
    for dotted in forbidden:
        try:
            obj, owner, attr = _resolve(dotted)
        except (ImportError, AttributeError):
            continue                                   # not in this version of the package
        if inspect.ismodule(obj):
            for name, mod in list(sys.modules.items()):
                if mod is not None and (name == obj.__name__ or name.startswith(obj.__name__ + ".")):
                    _wrap_module(mod, replacements)
        elif inspect.isclass(obj):
            _wrap_class(obj, dotted)
        elif inspect.isfunction(obj) and not getattr(obj, "_snu_np_tripwire", None):
            wrapper = _tripwire(obj, dotted)
            if inspect.isclass(owner):
                setattr(owner, attr, wrapper)
            else:
                replacements[id(obj)] = wrapper
    _replace_everywhere(replacements)


def forbidden_identity(fn):
    """The forbidden name ``fn`` is (itself, a partial of it, or a function sharing its code), or None."""
    for _ in range(8):
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif inspect.ismethod(fn):
            fn = fn.__func__
        else:
            break
    name = getattr(fn, "_snu_np_tripwire", None) if callable(fn) else None
    if isinstance(name, str):
        return name
    code = getattr(fn, "__code__", None)
    return S.codes.get(id(code)) if code is not None else None


def _stub_check():
    """``check`` inside the grader's child: records nothing, decides nothing."""
    from . import checks as checks_pkg
    from .checks.base import CheckResult

    def check(name, student_fn, *, verbose=True, strict=None, **options):
        return CheckResult(str(name), 0, True, "not checked here: the grader runs every check itself")

    import snu_np.exercises as pkg
    pkg.check = check
    checks_pkg.check = check


def _where(exc, script):
    # lookup_lines=False: no source file is read (the audit hook would take it for the submission's doing)
    summary = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False)
    frames = [f for f in summary if f.filename == script]
    if not frames:
        return ""
    f = frames[-1]
    return f" (line {f.lineno} of {os.path.basename(script)}, in {f.name})"


def _error(exc, script):
    return {"type": type(exc).__name__[:80], "message": str(exc)[:2000], "where": _where(exc, script)}


def _handle(obj):
    S.handles[len(S.handles) + 1] = obj
    return len(S.handles)


def _call(fn, args, kwargs, script):
    S.called.clear()
    S.active = True
    try:
        value = fn(*args, **kwargs)
        error = None
    except BaseException as exc:  # noqa: BLE001 - everything the student's code raises is reported
        value, error = None, _error(exc, script)
    finally:
        S.active = False
    reply = {"called": sorted(S.called)}
    if error is not None:
        reply["error"] = error
        return reply
    try:
        reply["value"] = protocol.encode(value, _handle)
    except (protocol.ProtocolError, ValueError) as exc:
        reply["error"] = {"type": "TypeError", "message": f"the return value cannot be graded: {exc}", "where": ""}
    return reply


def main(req_fd, res_fd):
    """Serve one submission: the setup message names the script and the forbidden names."""
    for fd in (req_fd, res_fd):
        os.set_inheritable(fd, False)              # the submission's own subprocesses do not get them
    read = protocol.blocking_reader(req_fd)
    setup = protocol.read_message(read)
    script, forbidden = setup["script"], list(setup.get("forbidden", ()))
    import snu_np.exercises  # noqa: F401 - what the notebooks import, loaded before the tripwires
    _stub_check()
    install_tripwires(forbidden)
    watch_sources(forbidden)
    sys.argv = [script]
    sys.stdin = open(os.devnull)                    # noqa: SIM115 - for the life of the process
    namespace = {"__name__": "__main__", "__file__": script, "__builtins__": __builtins__}
    load_error = None
    try:
        with open(script, encoding="utf-8") as fh:
            code = compile(fh.read(), script, "exec")
        exec(code, namespace)                       # noqa: S102 - running the submission is the point
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: the functions defined so far are graded
        load_error = _error(exc, script)
    plt = sys.modules.get("matplotlib.pyplot")            # the notebook's figures, if it drew any
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001 - a submission may have broken pyplot: not our problem
            pass
    identity = {}
    for name in setup.get("functions", ()):
        fn = namespace.get(name)
        identity[name] = None if fn is None else forbidden_identity(fn)
    protocol.write_message(res_fd, {"op": "ready", "load_error": load_error, "identity": identity,
                                    "sources_read": sorted(S.sources_read),
                                    "defined": sorted(n for n in setup.get("functions", ())
                                                      if callable(namespace.get(n)))})
    while True:
        try:
            request = protocol.read_message(read)
        except EOFError:
            return 0
        op = request.get("op")
        if op == "exit":
            return 0
        try:
            args = protocol.decode(request.get("args", []))
            kwargs = protocol.decode(request.get("kwargs", {}))
            if op == "call":
                fn = namespace.get(request.get("function"))
            elif op == "method":
                fn = getattr(S.handles[request["object"]], request["method"])
            else:
                raise protocol.ProtocolError(f"unknown request {op!r}")
            if not callable(fn):
                raise TypeError(f"{request.get('function') or request.get('method')} is not a function")
        except Exception as exc:  # noqa: BLE001 - a bad request or a missing function is reported back
            protocol.write_message(res_fd, {"called": [], "error": _error(exc, script)})
            continue
        protocol.write_message(res_fd, _call(fn, list(args), dict(kwargs), script))


BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
        "from snu_np.exercises.child import main; sys.exit(main(int(sys.argv[2]), int(sys.argv[3])))")
