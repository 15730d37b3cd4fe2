"""Build the student and teacher versions of the exercises from one source.

Sources live in ``snu_np/exercises/source/exNN_<name>.py``, in jupytext's *percent* format (cells start
with ``# %%``; markdown cells with ``# %% [markdown]``, their lines commented). Two markings:

``# BEGIN SOLUTION: <hint>`` ... ``# END SOLUTION`` (in code)
    The lines in between are the solution. The student version replaces the whole block by
    ``raise NotImplementedError("Exercise N: <hint>")`` at the marker's indentation; the teacher
    version keeps the lines (without the two markers).

``# <!-- BEGIN TEACHER -->`` ... ``# <!-- END TEACHER -->`` (in markdown, or in code)
    Teacher notes: removed from the student version, kept (without the markers) in the teacher one.
    A cell left empty by the removal is dropped.

:func:`build` writes ``<out>/student/`` and/or ``<out>/teacher/``, each with a ``.py`` and an ``.ipynb``
per exercise and a ``README.md`` index. The notebooks are made with jupytext when it is installed,
otherwise directly with nbformat (which comes with Jupyter).
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

from .catalog import EXERCISES

__all__ = ["build", "render", "list_sources", "BuildError", "SOURCE_DIR", "cli_add_arguments", "cli_run", "main"]

SOURCE_DIR = pathlib.Path(__file__).resolve().parent / "source"
VERSIONS = ("student", "teacher")

_SOL_BEGIN = re.compile(r"^(?P<indent>[ \t]*)#\s*BEGIN SOLUTION\b\s*:?\s*(?P<hint>.*?)\s*$")
_SOL_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
_TEACH_BEGIN = re.compile(r"^\s*#\s*<!--\s*BEGIN TEACHER\s*-->\s*$")
_TEACH_END = re.compile(r"^\s*#\s*<!--\s*END TEACHER\s*-->\s*$")
_CELL = re.compile(r"^# %%")
_NUMBER = re.compile(r"^ex(\d+)_")
_RAISE_NIE = re.compile(r"raise\s+NotImplementedError")
_DEFAULT_HINT = "write this function (see the equations above)"


class BuildError(ValueError):
    """A source file is malformed (unbalanced or nested markers, no solution, invalid Python)."""


def list_sources(source_dir=None):
    """The exercise source files, sorted by number."""
    d = pathlib.Path(source_dir) if source_dir is not None else SOURCE_DIR
    files = [p for p in d.glob("ex*_*.py") if _NUMBER.match(p.name)]
    return sorted(files, key=lambda p: int(_NUMBER.match(p.name).group(1)))


def _number(path):
    m = _NUMBER.match(pathlib.Path(path).name)
    if not m:
        raise BuildError(f"{path}: exercise sources must be named exNN_<name>.py")
    return int(m.group(1))


def render(text, version, number, name="<source>"):
    """Return the ``version`` ("student" or "teacher") of one source text.

    Raises :class:`BuildError` on unbalanced or nested markers, on a source without any solution
    block, or if the result is not valid Python.
    """
    if version not in VERSIONS:
        raise ValueError(f"version must be one of {VERSIONS}, got {version!r}")
    if _RAISE_NIE.search(text):
        raise BuildError(f"{name}: a source must not raise NotImplementedError (the build adds it)")
    out, solution, teacher, n_solutions = [], None, None, 0
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _SOL_BEGIN.match(line)
        if m:
            if solution is not None or teacher is not None:
                raise BuildError(f"{name}:{lineno}: BEGIN SOLUTION inside another marked block "
                                 f"(opened at line {solution or teacher})")
            solution, n_solutions = lineno, n_solutions + 1
            if version == "student":
                hint = m.group("hint") or _DEFAULT_HINT
                msg = json.dumps(f"Exercise {number}: {hint}", ensure_ascii=False)
                out.append(f"{m.group('indent')}raise NotImplementedError({msg})")
            continue
        if _SOL_END.match(line):
            if solution is None:
                raise BuildError(f"{name}:{lineno}: END SOLUTION without BEGIN SOLUTION")
            solution = None
            continue
        if _TEACH_BEGIN.match(line):
            if solution is not None or teacher is not None:
                raise BuildError(f"{name}:{lineno}: BEGIN TEACHER inside another marked block")
            teacher = lineno
            continue
        if _TEACH_END.match(line):
            if teacher is None:
                raise BuildError(f"{name}:{lineno}: END TEACHER without BEGIN TEACHER")
            teacher = None
            continue
        if version == "student" and (solution is not None or teacher is not None):
            continue
        out.append(line)
    if solution is not None or teacher is not None:
        raise BuildError(f"{name}:{solution or teacher}: marked block never closed")
    if n_solutions == 0:
        raise BuildError(f"{name}: no '# BEGIN SOLUTION' block: nothing for the student to do")
    result = _drop_empty_cells(out)
    try:
        compile(result, f"{name} ({version})", "exec")
    except SyntaxError as exc:
        raise BuildError(f"{name} ({version} version) is not valid Python: {exc}") from None
    return result


def _split_cells(lines):
    """[(header_line or None, [body lines])]; the first chunk (jupytext header) has header None."""
    cells = [(None, [])]
    for line in lines:
        if _CELL.match(line):
            cells.append((line, []))
        else:
            cells[-1][1].append(line)
    return cells


def _drop_empty_cells(lines):
    kept = []
    for header, body in _split_cells(lines):
        markdown = header is not None and "[markdown]" in header
        content = [ln for ln in body if ln.strip() and not (markdown and ln.strip() == "#")]
        if header is not None and not content:
            continue
        while body and (not body[-1].strip() or (markdown and body[-1].strip() == "#")):
            body = body[:-1]
        kept.append(([header] if header is not None else []) + body)
    text = "\n\n".join("\n".join(chunk) for chunk in kept if chunk)
    return text.strip("\n") + "\n"


# ------------------------------------------------------------------------------------- notebooks
def _notebook_nbformat(text):
    import nbformat
    from nbformat import v4

    cells = []
    for header, body in _split_cells(text.splitlines()):
        if header is None:
            continue                                            # the jupytext header
        while body and not body[-1].strip():
            body = body[:-1]
        while body and not body[0].strip():
            body = body[1:]
        if "[markdown]" in header:
            src = "\n".join(re.sub(r"^# ?", "", ln) for ln in body)
            cells.append(v4.new_markdown_cell(src))
        else:
            cells.append(v4.new_code_cell("\n".join(body)))
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nbformat, nb


def write_notebook(text, path, use_jupytext=None):
    """Write the percent-format ``text`` as the notebook ``path`` (jupytext if available, else nbformat)."""
    jupytext = None
    if use_jupytext is not False:
        try:
            import jupytext
        except ImportError:
            if use_jupytext:
                raise
    if jupytext is not None:
        nb = jupytext.reads(text, fmt="py:percent")
        nb.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python",
                                              "name": "python3"})
        jupytext.write(nb, str(path), fmt="ipynb")
    else:
        nbformat, nb = _notebook_nbformat(text)
        nbformat.write(nb, str(path))


# ------------------------------------------------------------------------------------------ build
def _readme(version, numbers):
    rows = [f"# snu-np exercises ({version} version)", "",
            "Open each notebook (or run each `.py` file) in order. Every exercise ends with a call to",
            "`check(...)`, which tests your function and tells you what is wrong.", ""]
    if version == "teacher":
        rows += ["This version contains the solutions and the teacher notes: do not hand it out.",
                 "See `docs/teacher_guide.md` in snu-np for timings and the mistakes each check detects.", ""]
    rows += ["| # | exercise | time |", "|---|---|---|"]
    for ex in EXERCISES:
        if ex.number in numbers:
            rows.append(f"| {ex.number} | [{ex.title}]({ex.slug}.ipynb) | {ex.minutes} min |")
    return "\n".join(rows) + "\n"


def build(out_dir, version="both", exercises=None, notebooks=True, source_dir=None, use_jupytext=None):
    """Write the student and/or teacher versions of the exercises.

    Parameters
    ----------
    out_dir : path
        Creates ``out_dir/student`` and/or ``out_dir/teacher`` (existing files are overwritten).
    version : "student" | "teacher" | "both"
    exercises : iterable of int, optional
        Exercise numbers to build (default: all).
    notebooks : bool
        Also write ``.ipynb`` notebooks next to the ``.py`` files.
    source_dir : path, optional
        Another directory of sources (default: the packaged ones).
    use_jupytext : None | bool
        None: jupytext if importable, else nbformat; True/False force the choice.

    Returns
    -------
    dict version -> list of written paths (``pathlib.Path``).
    """
    if version not in VERSIONS + ("both",):
        raise ValueError(f"version must be 'student', 'teacher' or 'both', got {version!r}")
    versions = VERSIONS if version == "both" else (version,)
    sources = list_sources(source_dir)
    if not sources:
        raise BuildError(f"no exercise sources found in {source_dir or SOURCE_DIR}")
    if exercises is not None:
        wanted = {int(n) for n in exercises}
        unknown = wanted - {_number(p) for p in sources}
        if unknown:
            raise ValueError(f"no exercise numbered {sorted(unknown)}")
        sources = [p for p in sources if _number(p) in wanted]
    out_dir = pathlib.Path(out_dir)
    written = {v: [] for v in versions}
    for v in versions:
        d = out_dir / v
        d.mkdir(parents=True, exist_ok=True)
        for src in sources:
            text = render(src.read_text(encoding="utf-8"), v, _number(src), src.name)
            py = d / src.name
            py.write_text(text, encoding="utf-8")
            written[v].append(py)
            if notebooks:
                ipynb = py.with_suffix(".ipynb")
                write_notebook(text, ipynb, use_jupytext)
                written[v].append(ipynb)
        readme = d / "README.md"
        readme.write_text(_readme(v, {_number(p) for p in sources}), encoding="utf-8")
        written[v].append(readme)
    return written


# -------------------------------------------------------------------------------------------- CLI
def cli_add_arguments(parser):
    """Add the ``build``, ``grade`` and ``list`` sub-commands to ``parser`` (``snu-np exercises``)."""
    sub = parser.add_subparsers(dest="exercises_command", metavar="{build,grade,list}")
    b = sub.add_parser("build", help="write the student and teacher versions (.py and .ipynb)",
                       description="Write the student version (solutions replaced by NotImplementedError, "
                                   "teacher notes removed) and/or the teacher version of every exercise.")
    b.add_argument("--out", required=True, metavar="DIR", help="output directory (gets student/ and teacher/)")
    b.add_argument("--version", choices=("student", "teacher", "both"), default="both",
                   help="which version to write (default: both)")
    b.add_argument("--only", type=int, nargs="+", metavar="N", help="only these exercise numbers")
    b.add_argument("--no-notebooks", action="store_true", help="write the .py files only")
    g = sub.add_parser("grade", help="run submitted notebooks/scripts and tabulate their checks",
                       description="Run each submitted exercise (.ipynb or .py; directories are searched) "
                                   "in a fresh Python process and report every check.")
    g.add_argument("paths", nargs="+", metavar="PATH", help="submitted files or directories")
    g.add_argument("--timeout", type=float, default=300.0, help="seconds per file (default 300)")
    g.add_argument("--json", dest="json_out", metavar="FILE", help="also write the results as JSON")
    sub.add_parser("list", help="list the exercises with their checks and timings")
    parser.set_defaults(_exercises_parser=parser)
    return parser


def cli_run(args):
    """Classroom exercises: build the student and teacher versions, grade submissions, list them.

    Runs the sub-command parsed by :func:`cli_add_arguments` and returns the exit code.
    """
    cmd = getattr(args, "exercises_command", None)
    if cmd == "build":
        written = build(args.out, args.version, args.only, notebooks=not args.no_notebooks)
        for v, paths in written.items():
            print(f"{v}: {len(paths)} files in {pathlib.Path(args.out) / v}")
        return 0
    if cmd == "grade":
        from .grade import format_table, grade
        results = grade(args.paths, timeout=args.timeout)
        print(format_table(results))
        if args.json_out:
            pathlib.Path(args.json_out).write_text(json.dumps(results, indent=2), encoding="utf-8")
        return 0 if results and all(r["passed"] for r in results) else 1
    if cmd == "list":
        for ex in EXERCISES:
            print(f"{ex.number:>2}. {ex.title} ({ex.minutes} min) -- checks: {', '.join(ex.checks)}")
            print(f"    {ex.teaches}")
        return 0
    parser = getattr(args, "_exercises_parser", None)
    if parser is not None:
        parser.print_help(sys.stderr)
    return 2


def main(argv=None):
    """``python -m snu_np.exercises ...``"""
    parser = argparse.ArgumentParser(prog="snu-np exercises",
                                     description="Classroom exercises with automatic feedback.")
    cli_add_arguments(parser)
    return cli_run(parser.parse_args(argv))
