"""The ``snu-np reproduce`` and ``snu-np report`` subcommands.

Registered in :mod:`snu_np.cli` with::

    register_command("reproduce", add_reproduce, run_reproduce)
    register_command("report", add_report, run_report)

and runnable without that as ``python -m snu_np.reproduce reproduce ...`` / ``... report ...``.
"""
from __future__ import annotations

import shlex
import sys

from ..errors import EXIT_INTERRUPTED, SnuNpError, UsageError

__all__ = ["add_reproduce", "run_reproduce", "add_report", "run_report", "main", "list_recipes"]


def add_reproduce(p):
    p.add_argument("targets", nargs="*", metavar="RECIPE|TABLE",
                   help="recipes or tables to run (see --list), or paths to recipe files")
    p.add_argument("--list", action="store_true", help="list the recipes (table, trials, time per trial) and exit")
    p.add_argument("--trials", type=int, default=None, help="trials per recipe (default: the recipe's)")
    p.add_argument("--jobs", type=int, default=None,
                   help="local worker processes, one BLAS thread each (default: the number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the trials on a Dask cluster, e.g. tcp://HOST:8786 (needs snu-np[cluster]); "
                        "OUT and --data-dir must be on a file system the workers share")
    p.add_argument("--out", default="runs", help="where the trial folders go: OUT/RECIPE/seedS (default: runs)")
    p.add_argument("--recipes", metavar="DIR", action="append", default=[],
                   help="another folder of recipe files (may be given several times)")
    p.add_argument("--data-dir", default=None, help="folder with the data files (default: $SNU_NP_DATA, "
                                                    "then the user cache)")
    p.add_argument("--no-download", action="store_true", help="never download missing data")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (a line per finished trial)")


def list_recipes(extra_dirs=(), targets=()):
    """The text of ``snu-np reproduce --list``."""
    from .recipes import load_recipes, select, tables
    recipes = select(targets, extra_dirs) if targets else list(load_recipes(extra_dirs).values())
    lines = []
    for table, rs in tables(recipes).items():
        lines.append(f"{table}  ({len(rs)} recipes, {sum(r.trials for r in rs)} trials)")
        w = max(len(r.name) for r in rs)
        tw = max(len(r.expected_time_per_trial) for r in rs)
        for r in rs:
            lines.append(f"  {r.name:<{w}}  {r.trials:>2} trials  {r.expected_time_per_trial:<{tw}}  {r.title}")
    return "\n".join(lines) + "\n"


def run_reproduce(args):
    """Run the trials of a recipe or a whole table, in parallel, resumably (see --list)."""
    if args.list:
        sys.stdout.write(list_recipes(args.recipes, args.targets))
        return 0
    from .recipes import select
    from .runner import reproduce
    if not args.targets:
        raise UsageError("name a recipe or a table (see 'snu-np reproduce --list')")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    if args.trials is not None and args.trials < 1:
        raise UsageError(f"--trials must be at least 1, got {args.trials}")
    recipes = select(args.targets, args.recipes)
    infos = reproduce(recipes, out=args.out, trials=args.trials, jobs=args.jobs, scheduler=args.scheduler,
                      data_dir=args.data_dir, download=not args.no_download, progress=not args.no_progress)
    codes = [i.get("exit_code", 1) for i in infos if i["status"] == "failed"]
    return max(codes) if codes else 0


def add_report(p):
    p.add_argument("dirs", nargs="*", metavar="DIR", help="run folders, or folders holding them at any depth")
    p.add_argument("--out", metavar="DOCS_DIR", default=None,
                   help="write DOCS_DIR/results/TABLE.md, .json and DOCS_DIR/_static/results/TABLE.png "
                        "(default: print the tables)")
    p.add_argument("--format", choices=("md", "json"), default="md", help="what to print without --out (default: md)")
    p.add_argument("--all-tables", action="store_true",
                   help="also the recipes' tables that have no finished runs yet (empty rows)")
    p.add_argument("--recipes", metavar="DIR", action="append", default=[],
                   help="another folder of recipe files (may be given several times)")
    p.add_argument("--no-figures", action="store_true", help="no PNG figures")


def run_report(args):
    """Turn run folders into results tables (Markdown, figures, JSON) per table."""
    import json
    from .recipes import load_recipes
    from .report import build_tables, collect, markdown_table, write_report
    if not args.dirs and not args.all_tables:
        raise UsageError("name run folders (or give --all-tables for the empty tables)")
    warn = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    runs = collect(args.dirs, warn=warn)
    tables = build_tables(runs, load_recipes(args.recipes), all_tables=args.all_tables)
    command = "snu-np report " + " ".join(shlex.quote(a) for a in _report_argv(args))
    if args.out is None:
        if args.format == "json":
            print(json.dumps(tables, indent=1))
        else:
            for name, table in tables.items():
                print(f"## {name}\n\n{markdown_table(table)}")
        return 0
    written = write_report(tables, args.out, command, figures=not args.no_figures)
    print(f"{len(runs)} runs in {len(tables)} tables; wrote {len(written)} files under {args.out}")
    return 0


def _report_argv(args):
    out = list(args.dirs)
    if args.out is not None:
        out += ["--out", args.out]
    if args.all_tables:
        out.append("--all-tables")
    for d in args.recipes:
        out += ["--recipes", d]
    if args.no_figures:
        out.append("--no-figures")
    return out


def main(argv=None):
    """``python -m snu_np.reproduce {reproduce,report} ...``: the two subcommands without snu_np.cli."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            sys.stderr.write(f"error: {message} (see '{self.prog} --help')\n")
            raise SystemExit(2)

    parser = Parser(prog="python -m snu_np.reproduce")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, add, run in (("reproduce", add_reproduce, run_reproduce), ("report", add_report, run_report)):
        doc = run.__doc__.strip().splitlines()[0]
        p = sub.add_parser(name, help=doc, description=doc)
        add(p)
        p.set_defaults(_run=run)
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted; finished trials and checkpoints are kept: run the same "
                         "command to continue\n")
        return EXIT_INTERRUPTED
    except SnuNpError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
