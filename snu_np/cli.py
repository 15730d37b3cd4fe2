"""The ``snu-np`` command.

::

    snu-np                       # = snu-np demo: a short offline demo (embedded MNIST subset)
    snu-np demo [--out DIR] [--model snu|ssnu] [--epochs N] [--quick]
    snu-np train TASK --model snu --layers 256,256 --epochs 20 --batch-size 128 --lr 3e-3 ...
    snu-np train --config RUN.toml [flags that override it] [--print-config]
    snu-np evaluate RUN_DIR_OR_CHECKPOINT [--data-dir DIR]
    snu-np analog RUN_DIR_OR_CHECKPOINT [--times 1s,1h,1d,1y] [--draws 10] [--no-compensation] [--out DIR]
    snu-np reproduce RECIPE|TABLE [--trials N] [--jobs N] [--scheduler ADDRESS] [--out DIR] | --list
    snu-np report RUN_DIR... [--out DOCS_DIR]
    snu-np info

Subcommands live in :data:`COMMANDS`, a dict ``name -> (add_arguments, run)``:
``add_arguments(parser)`` declares the options, ``run(args) -> int`` does the work and returns the
exit code; the first line of ``run``'s docstring is the help text. Add one with
:func:`register_command`.

Every failure is one ``error: ...`` line on stderr saying what is wrong and what to do (a loader's
guidance, such as where it looked for a file, may follow on the next lines), without a traceback
unless ``--debug`` (or ``SNU_NP_DEBUG=1``) is given. Exit codes (:mod:`snu_np.errors`): 0 success,
2 usage (a bad option, a run folder that would be overwritten), 3 data (missing, corrupt or
undownloadable), 4 diverged, 5 I/O (run folder not writable, disk full, damaged checkpoint),
130 interrupted, 1 an internal error (a bug).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import EXIT_INTERRUPTED, DivergedError, RunIOError, SnuNpError, UsageError

__all__ = ["main", "COMMANDS", "register_command", "run_demo"]

COMMANDS = {}


def register_command(name, add_arguments, run):
    """Add a subcommand: ``add_arguments(parser)`` and ``run(args) -> exit code``."""
    COMMANDS[name] = (add_arguments, run)
    return run


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: ...`` on stderr and exit code 2."""

    def error(self, message):
        sys.stderr.write(f"error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def _err(msg):
    sys.stderr.write(f"error: {msg}\n")


# --------------------------------------------------------------------------------------------------
# demo (snu_np/demo.py)
# --------------------------------------------------------------------------------------------------
def _add_demo(p):
    from .demo import add_arguments
    add_arguments(p)


def run_demo(args):
    """Train a small spiking SNU network on the embedded MNIST subset, print its test accuracy, plot its spikes."""
    from .demo import run
    return run(args)


# --------------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------------
def _add_train(p):
    from .config import add_arguments
    from .tasks import TASKS
    p.add_argument("task", metavar="TASK", nargs="?", default=None, choices=list(TASKS) + [None],
                   help="one of: " + ", ".join(TASKS) + " (may come from --config instead)")
    where = p.add_argument_group("where and how (not part of the run's configuration)")
    where.add_argument("--config", metavar="RUN.toml|RECIPE", default=None,
                       help="read the run from a TOML run file, or from a shipped recipe by name (snu-np "
                            "reproduce --list); flags given as well override it")
    where.add_argument("--print-config", action="store_true",
                       help="print the resolved run as TOML and exit without training")
    where.add_argument("--out", default=None, help="the run folder (default: a new runs/TASK-MODEL-DATE-TIME)")
    where.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    where.add_argument("--overwrite", action="store_true", help="replace the run that --out holds")
    where.add_argument("--data-dir", default=None, help="folder with the data files (default: $SNU_NP_DATA, "
                                                        "then the user cache)")
    where.add_argument("--no-download", action="store_true", help="never download missing data")
    where.add_argument("--no-progress", action="store_true", help="no progress bar (one line per epoch)")
    where.add_argument("--threads", type=int, default=None,
                       help="BLAS threads (default: OpenBLAS's choice; 1 with --shards > 1)")
    add_arguments(p)


def run_config_from_args(args):
    """The resolved RunConfig of ``snu-np train``'s arguments (run file, then flags)."""
    from .config import RunConfig, from_arguments
    base = None
    if args.config:
        path = Path(args.config)
        recipe = Path(__file__).parent / "recipes" / f"{args.config}.toml"
        if not path.exists() and path.suffix != ".toml" and recipe.is_file():
            path = recipe                     # a recipe's name: its shipped run file
        if not path.exists():
            raise UsageError(f"run file {path} does not exist, nor is it a recipe's name (see snu-np reproduce "
                             f"--list)")
        base = RunConfig.from_toml(path)
    if args.task is None and base is None:
        raise UsageError("name a TASK or give --config RUN.toml")
    return from_arguments(args, base).resolve()


def run_train(args):
    """Train a network on a task (MNIST, jittered MNIST, music, demo)."""
    from .runs import default_out_dir
    from .train import train
    cfg = run_config_from_args(args)
    if args.print_config:
        sys.stdout.write(cfg.to_toml(header=f"snu-np {cfg.task} run (resolved); train it with: "
                                            f"snu-np train --config THIS_FILE"))
        return 0
    from .runtime import set_blas_threads
    if args.threads is not None:
        set_blas_threads(args.threads)
    elif cfg.run.shards > 1:
        set_blas_threads(1)                   # each shard's thread runs its own single-threaded BLAS
    out = Path(args.out) if args.out else default_out_dir(cfg)
    if args.resume and not args.out:
        raise UsageError("--resume needs --out: the run folder to continue")
    res = train(config=cfg, data_dir=args.data_dir, out_dir=out, resume=args.resume, overwrite=args.overwrite,
                progress=not args.no_progress, download=not args.no_download)
    metric = res["metric"]
    task = _task(cfg.task)
    if "runs" in res:
        print(f"test {metric} over {res['trials']} trials: mean {task.format_metric(res['mean'])}, "
              f"std {task.format_metric(res['std'])}, max {task.format_metric(res['max'])}, "
              f"min {task.format_metric(res['min'])}; summary: {out / 'summary.json'}")
    elif res["test"] is None:
        print(f"no epoch trained; results: {out / 'results.json'}")
    else:
        which = "best validation" if res["valid"] is not None else "the last: no validation set"
        if cfg.optim.ema is not None:
            which += ", averaged weights"
        print(f"test {metric}: {task.format_metric(res['test'][metric])} at epoch {res['best_epoch']} "
              f"({which}); results: {out / 'results.json'}")
    return 0


def _task(name):
    from .tasks import get_task
    return get_task(name)


# --------------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------------
def _add_evaluate(p):
    p.add_argument("checkpoint", metavar="RUN_OR_CHECKPOINT",
                   help="a run folder (its best checkpoint is scored) or a checkpoint path such as runs/x/last")
    p.add_argument("--data-dir", default=None, help="folder with the data files (default: the search path)")
    p.add_argument("--no-download", action="store_true", help="never download missing data")
    p.add_argument("--split", default="test", choices=("test", "valid", "both"), help="(default: test)")
    p.add_argument("--limit-test", type=int, default=None, help="score only the first N examples (default: all)")


def run_evaluate(args):
    """Score a saved checkpoint on the test (or validation) set."""
    from .train import evaluate_checkpoint
    splits = ("valid", "test") if args.split == "both" else (args.split,)
    res = evaluate_checkpoint(args.checkpoint, data_dir=args.data_dir, splits=splits,
                              download=not args.no_download, limit_test=args.limit_test)
    for split, m in res.items():
        parts = [f"{k} {100 * v:.2f}%" if k == "accuracy" else f"{k} {v:.4f}" for k, v in m.items()]
        print(f"{split}: " + ", ".join(parts))
    return 0


# --------------------------------------------------------------------------------------------------
# info
# --------------------------------------------------------------------------------------------------
def _add_info(p):
    pass


def run_info(args):
    """Show versions, the backend and the BLAS threads."""
    from .tasks import MODELS, TASKS
    from .train import machine_info
    info = machine_info()
    rows = [("snu-np", info["snu_np"]), ("backend", info["backend"]), ("numba", info["numba"] or "not installed"),
            ("numpy", info["numpy"]), ("BLAS threads", info["blas_threads"] if info["blas_threads"] else "unknown"),
            ("python", info["python"]), ("platform", info["platform"]), ("CPUs", info["cpu_count"]),
            ("tasks", ", ".join(TASKS)), ("models", ", ".join(MODELS))]
    for k, v in rows:
        print(f"{k:>13}: {v}")
    return 0


register_command("demo", _add_demo, run_demo)
register_command("train", _add_train, run_train)
register_command("evaluate", _add_evaluate, run_evaluate)
register_command("info", _add_info, run_info)


def _add_bench(p):
    from .bench import add_arguments
    add_arguments(p)


def run_bench(args):
    """Measure training speed: numba vs the NumPy reference vs PyTorch (if installed) vs the GEMM bound."""
    from .bench import run
    return run(args)


register_command("bench", _add_bench, run_bench)


def _add_exercises(p):
    from .exercises import cli_add_arguments
    cli_add_arguments(p)


def run_exercises(args):
    """Classroom exercises: build the student and teacher versions, grade submissions, list them."""
    from .exercises import cli_run
    return cli_run(args)


register_command("exercises", _add_exercises, run_exercises)

from .analog.cli import add_arguments as _add_analog  # noqa: E402
from .analog.cli import run as run_analog  # noqa: E402
from .reproduce.cli import add_report, add_reproduce, run_report, run_reproduce  # noqa: E402

register_command("analog", _add_analog, run_analog)

register_command("reproduce", add_reproduce, run_reproduce)
register_command("report", add_report, run_report)


# --------------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------------
def build_parser(command=None):
    """The argument parser. With ``command``, only that subcommand's options are declared (the others
    are listed by name): a subcommand's module is imported only when it runs."""
    from . import __version__
    parser = _Parser(prog="snu-np", description="Spiking Neural Units in NumPy/Numba: train, evaluate, demo. "
                     "Without a subcommand: the demo.")
    parser.add_argument("--version", action="version", version=f"snu-np {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (add_arguments, run) in COMMANDS.items():
        doc = (run.__doc__ or "").strip().splitlines()
        p = sub.add_parser(name, help=doc[0] if doc else None, description=doc[0] if doc else None)
        if command is None or name == command:
            add_arguments(p)
        p.set_defaults(_run=run)
    return parser


def _exit_code(exc):
    """The documented exit code of an exception (see :mod:`snu_np.errors`)."""
    import errno
    if isinstance(exc, SnuNpError):
        return exc.exit_code
    if isinstance(exc, FloatingPointError):
        return DivergedError.exit_code
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        return RunIOError.exit_code           # disk full, read-only, permission denied, ...
    if isinstance(exc, FileNotFoundError):
        return UsageError.exit_code
    return UsageError.exit_code               # ValueError, TypeError, ImportError: a bad request


def _describe(exc):
    """One line (or a loader's few lines of guidance) for an exception."""
    import errno
    if isinstance(exc, OSError) and not isinstance(exc, SnuNpError) and exc.errno == errno.ENOSPC:
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"the disk is full{where}; free some space or choose another --out, then --resume"
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename or exc}; choose a folder you can write (--out)"
    if isinstance(exc, OSError) and not isinstance(exc, SnuNpError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def main(argv=None):
    """Run ``snu-np`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Exit codes: 0 success, 2 usage, 3 data, 4 diverged, 5 I/O, 130 interrupted, 1 an internal error
    (a bug: please report it with the ``--debug`` traceback). See :mod:`snu_np.errors`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("SNU_NP_DEBUG", "") not in ("", "0")
    if "--debug" in argv:
        argv.remove("--debug")
        debug = True
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["demo"] + argv          # "snu-np" and "snu-np --quick" run the demo
    command = argv[0] if argv and argv[0] in COMMANDS else None
    try:
        args = build_parser(command).parse_args(argv)
    except SystemExit as exc:           # --help, --version, or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if getattr(args, "_run", None) is None:
        build_parser().print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        _err("interrupted; what was saved is intact (continue with --resume)")
        return EXIT_INTERRUPTED
    except Exception as exc:            # noqa: BLE001 - one line per failure, the traceback on --debug
        if debug:
            raise
        known = isinstance(exc, (SnuNpError, ValueError, TypeError, OSError, FloatingPointError, ImportError))
        if not known:
            _err(f"internal error: {type(exc).__name__}: {exc} (run again with --debug for the traceback, "
                 f"and please report it)")
            return 1
        _err(_describe(exc))
        return _exit_code(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
