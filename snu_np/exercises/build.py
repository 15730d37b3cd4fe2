"""Build the student and teacher versions of the exercises from one source.

Sources live in the repository's ``exercises/exNN_<name>.py`` (a source checkout, not the installed
package), in jupytext's *percent* format (cells start with ``# %%``; markdown cells with
``# %% [markdown]``, their lines commented). Two markings:

``# BEGIN SOLUTION: <hint>`` ... ``# END SOLUTION`` (in code)
    The lines in between are the solution. The student version replaces the whole block by
    ``raise NotImplementedError("Exercise N: <hint>")`` at the marker's indentation; the teacher
    version keeps the lines (without the two markers).

``# <!-- BEGIN TEACHER -->`` ... ``# <!-- END TEACHER -->`` (in markdown, or in code)
    Teacher notes: removed from the student version, kept (without the markers) in the teacher one.
    A cell left empty by the removal is dropped.

:func:`build` writes ``<out>/student/`` (and the same zipped, ``<out>/snu-np-exercises-student.zip``, the
pack to hand out) and, from a source checkout, ``<out>/teacher/``; each with a ``.py`` and an ``.ipynb``
per exercise and a ``README.md`` index. The notebooks are made with jupytext when it is installed,
otherwise directly with nbformat (which comes with Jupyter).

The installed package holds no solution: it ships the student versions (``snu_np/exercises/student/``),
which :func:`sync_package` renders from the sources (``snu-np exercises sync`` in a checkout, before a
release; a test keeps them in step). Without the sources, :func:`build` writes the student version from
those files and refuses the teacher version.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys
import zipfile

from ..errors import UsageError
from .catalog import EXERCISES

__all__ = ["build", "render", "list_sources", "checkout_sources", "sync_package", "has_solution_markers",
           "BuildError", "STUDENT_DIR", "PACK_NAME", "cli_add_arguments", "cli_run", "main"]

STUDENT_DIR = pathlib.Path(__file__).resolve().parent / "student"          # shipped with the package
_CHECKOUT_SOURCES = pathlib.Path(__file__).resolve().parents[2] / "exercises"  # only in a source checkout
_SOURCES_README_MARK = "snu-np exercise sources"
PACK_NAME = "snu-np-exercises-student.zip"
VERSIONS = ("student", "teacher")

_SOL_BEGIN = re.compile(r"^(?P<indent>[ \t]*)#\s*BEGIN SOLUTION\b\s*:?\s*(?P<hint>.*?)\s*$")
_SOL_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
_TEACH_BEGIN = re.compile(r"^\s*#\s*<!--\s*BEGIN TEACHER\s*-->\s*$")
_TEACH_END = re.compile(r"^\s*#\s*<!--\s*END TEACHER\s*-->\s*$")
_CELL = re.compile(r"^# %%")
_NUMBER = re.compile(r"^ex(\d+)_")
_RAISE_NIE = re.compile(r"raise\s+NotImplementedError")
_DEFAULT_HINT = "write this function (see the equations above)"


class BuildError(UsageError):
    """A source file is malformed (unbalanced or nested markers, no solution, invalid Python)."""


def checkout_sources():
    """The folder of exercise sources (with solutions) of this source checkout, or None when snu-np is
    installed from a wheel or an sdist (which do not ship them)."""
    readme = _CHECKOUT_SOURCES / "README.md"
    try:
        if _SOURCES_README_MARK in readme.read_text(encoding="utf-8"):
            return _CHECKOUT_SOURCES
    except OSError:
        pass
    return None


def list_sources(source_dir=None):
    """The exercise files in ``source_dir`` (default: the checkout's sources, else the packaged
    student versions), sorted by number."""
    d = pathlib.Path(source_dir) if source_dir is not None else (checkout_sources() or STUDENT_DIR)
    if not d.is_dir():
        raise UsageError(f"source_dir: {d} is not a folder")
    files = [p for p in d.glob("ex*_*.py") if _NUMBER.match(p.name)]
    return sorted(files, key=lambda p: int(_NUMBER.match(p.name).group(1)))


def has_solution_markers(text):
    """Whether ``text`` holds a solution or teacher block (what must never ship in the package)."""
    return any(_SOL_BEGIN.match(ln) or _TEACH_BEGIN.match(ln) for ln in text.splitlines())


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
        raise UsageError(f"version must be one of {VERSIONS}, got {version!r}")
    if not isinstance(text, str):
        raise UsageError(f"text must be the source as a str, got {type(text).__name__}")
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
_STUDENT_README = """
## Install snu-np

snu-np is not on PyPI: install it from the copy your teacher gives you, either a clone of the
repository (`pip install -e .` in it) or a wheel (`pip install snu_np-*.whl`), in a virtual
environment with Jupyter (`pip install jupyter`).

## Hand in

Keep the file names (`exNN_...`). Hand in your notebooks (or `.py` files) in a folder named after you,
as your teacher asks, for example `submissions/<your name>/ex04_snu_step_backward.ipynb`. Your
`check(...)` cells are feedback for you; the grade comes from the teacher's grader, which runs your
functions again on its own inputs.
"""


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
    text = "\n".join(rows) + "\n"
    return text + _STUDENT_README if version == "student" else text


def _texts(version, sources, from_sources):
    """{file name: text} of ``version`` for the chosen source files."""
    out = {}
    for src in sources:
        text = src.read_text(encoding="utf-8")
        if from_sources:
            text = render(text, version, _number(src), src.name)
        elif has_solution_markers(text):                     # a packaged file must be a student version
            raise BuildError(f"{src}: a packaged student file holds a solution block")
        out[src.name] = text
    return out


def build(out_dir, version="both", exercises=None, notebooks=True, source_dir=None, use_jupytext=None,
          pack=True):
    """Write the student and/or teacher versions of the exercises.

    Parameters
    ----------
    out_dir : path
        Creates ``out_dir/student`` and/or ``out_dir/teacher`` (existing files are overwritten).
    version : "student" | "teacher" | "both"
        "both" writes the teacher version only where the sources are available (a source checkout
        or ``source_dir``); "teacher" without them raises :class:`~snu_np.errors.UsageError`.
    exercises : iterable of int, optional
        Exercise numbers to build (default: all).
    notebooks : bool
        Also write ``.ipynb`` notebooks next to the ``.py`` files.
    source_dir : path, optional
        The folder of exercise sources with their solutions (default: the checkout's ``exercises/``;
        without one, the student version comes from the package's student files).
    use_jupytext : None | bool
        None: jupytext if importable, else nbformat; True/False force the choice.
    pack : bool
        Also write the student version zipped, ``out_dir/snu-np-exercises-student.zip`` (one folder,
        ``snu-np-exercises/``), the file to hand out.

    Returns
    -------
    dict version -> list of written paths (``pathlib.Path``); the zip is under ``"pack"``.
    """
    if version not in VERSIONS + ("both",):
        raise UsageError(f"version must be 'student', 'teacher' or 'both', got {version!r}")
    if not isinstance(notebooks, bool) or not isinstance(pack, bool):
        raise UsageError("notebooks and pack must be True or False")
    sources_dir = pathlib.Path(source_dir) if source_dir is not None else checkout_sources()
    if sources_dir is not None and not sources_dir.is_dir():
        raise UsageError(f"source_dir: {sources_dir} is not a folder")
    if version == "teacher" and sources_dir is None:
        raise UsageError("the teacher version (with the solutions) is built from a source checkout of snu-np: "
                         "the installed package does not ship the solutions. Run this command in a clone of "
                         "the repository, or pass --source DIR (its exercises/ folder).")
    versions = VERSIONS if version == "both" else (version,)
    if sources_dir is None:
        versions = tuple(v for v in versions if v == "student")
    sources = list_sources(sources_dir or STUDENT_DIR)
    if not sources:
        raise BuildError(f"no exercise sources (exNN_<name>.py) found in {sources_dir or STUDENT_DIR}")
    if exercises is not None:
        try:
            wanted = {int(n) for n in exercises}
        except (TypeError, ValueError):
            raise UsageError(f"exercises must be exercise numbers, got {exercises!r}") from None
        unknown = wanted - {_number(p) for p in sources}
        if unknown:
            raise UsageError(f"exercises: no exercise numbered {sorted(unknown)}")
        sources = [p for p in sources if _number(p) in wanted]
    out_dir = pathlib.Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"out_dir: {out_dir} exists and is not a folder")
    written = {v: [] for v in versions}
    for v in versions:
        d = out_dir / v
        d.mkdir(parents=True, exist_ok=True)
        for name, text in _texts(v, sources, sources_dir is not None).items():
            py = d / name
            py.write_text(text, encoding="utf-8")
            written[v].append(py)
            if notebooks:
                ipynb = py.with_suffix(".ipynb")
                write_notebook(text, ipynb, use_jupytext)
                written[v].append(ipynb)
        readme = d / "README.md"
        readme.write_text(_readme(v, {_number(p) for p in sources}), encoding="utf-8")
        written[v].append(readme)
    if pack and "student" in written:
        zpath = out_dir / PACK_NAME
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in written["student"]:
                zf.write(f, f"snu-np-exercises/{f.name}")
        written["pack"] = [zpath]
    return written


def sync_package(source_dir=None):
    """Render the student version of every source into the package (``snu_np/exercises/student/``),
    removing stale files: run in a checkout before a release (``snu-np exercises sync``).

    Returns the written paths.
    """
    sources_dir = pathlib.Path(source_dir) if source_dir is not None else checkout_sources()
    if sources_dir is None:
        raise UsageError("sync needs the exercise sources: run it in a source checkout of snu-np, or pass --source DIR")
    texts = _texts("student", list_sources(sources_dir), True)
    STUDENT_DIR.mkdir(exist_ok=True)
    for stale in STUDENT_DIR.glob("ex*_*.py"):
        if stale.name not in texts:
            stale.unlink()
    written = []
    for name, text in texts.items():
        path = STUDENT_DIR / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# -------------------------------------------------------------------------------------------- CLI
def cli_add_arguments(parser):
    """Add the ``build``, ``grade``, ``list`` and ``sync`` sub-commands to ``parser`` (``snu-np exercises``)."""
    sub = parser.add_subparsers(dest="exercises_command", metavar="{build,grade,list,sync}")
    b = sub.add_parser("build", help="write the student pack (and, in a source checkout, the teacher version)",
                       description="Write the student version (solutions replaced by NotImplementedError, "
                                   "teacher notes removed), zipped as the pack to hand out, and the teacher "
                                   "version, which needs the sources of a checkout (or --source DIR).")
    b.add_argument("--out", required=True, metavar="DIR",
                   help="output folder (gets student/, teacher/ and snu-np-exercises-student.zip)")
    b.add_argument("--version", choices=("student", "teacher", "both"), default="both",
                   help="which version to write (default: both; 'both' outside a checkout: student only)")
    b.add_argument("--only", type=int, nargs="+", metavar="N", help="only these exercise numbers (default: all)")
    b.add_argument("--source", metavar="DIR", default=None,
                   help="folder of exercise sources with solutions (default: the checkout's exercises/)")
    b.add_argument("--no-notebooks", action="store_true", help="write the .py files only (default: also .ipynb)")
    b.add_argument("--no-zip", action="store_true", help="do not write the zipped student pack (default: write it)")
    g = sub.add_parser("grade", help="grade submitted notebooks/scripts, each in its own process",
                       description="Grade each submitted exercise (.ipynb or .py; folders are searched "
                                   "recursively, e.g. submissions/<student>/exNN_*.ipynb) in its own child "
                                   "process; the grader calls the functions and compares their outputs.")
    g.add_argument("paths", nargs="+", metavar="PATH", help="submitted files or folders")
    g.add_argument("--timeout", type=float, default=300.0, help="seconds per file (default: 300)")
    g.add_argument("--root", metavar="DIR", default=None,
                   help="the submissions folder that names are relative to (default: the common folder of PATHs)")
    g.add_argument("--csv", dest="csv_out", metavar="FILE", default=None,
                   help="also write a gradebook: student, exercise, check, passed, score (default: none)")
    g.add_argument("--json", dest="json_out", metavar="FILE", default=None,
                   help="also write the results as JSON (default: none)")
    sub.add_parser("list", help="list the exercises with their checks and timings")
    s = sub.add_parser("sync", help="maintainers: render the student versions into the package",
                       description="Render the student version of every source into snu_np/exercises/student/ "
                                   "(run in a source checkout before a release).")
    s.add_argument("--source", metavar="DIR", default=None,
                   help="folder of exercise sources (default: the checkout's exercises/)")
    parser.set_defaults(_exercises_parser=parser)
    return parser


def cli_run(args):
    """Classroom exercises: build the student pack and teacher version, grade submissions, list them.

    Runs the sub-command parsed by :func:`cli_add_arguments` and returns the exit code (0 success,
    1 some submission did not pass every check, 2 usage error).
    """
    cmd = getattr(args, "exercises_command", None)
    if cmd == "build":
        written = build(args.out, args.version, args.only, notebooks=not args.no_notebooks,
                        source_dir=args.source, pack=not args.no_zip)
        for v, paths in written.items():
            if v == "pack":
                print(f"student pack: {paths[0]}")
            else:
                print(f"{v}: {len(paths)} files in {pathlib.Path(args.out) / v}")
        if args.version == "both" and "teacher" not in written:
            print("teacher: not built (no exercise sources here: use a source checkout or --source DIR)")
        return 0
    if cmd == "grade":
        from .grade import format_table, grade, write_csv
        results = grade(args.paths, timeout=args.timeout, root=args.root)
        print(format_table(results))
        if args.csv_out:
            write_csv(results, args.csv_out)
        if args.json_out:
            pathlib.Path(args.json_out).write_text(json.dumps(results, indent=2), encoding="utf-8")
        return 0 if results and all(r["passed"] for r in results) else 1
    if cmd == "list":
        for ex in EXERCISES:
            print(f"{ex.number:>2}. {ex.title} ({ex.minutes} min) -- checks: {', '.join(ex.check_names)}")
            print(f"    {ex.teaches}")
        return 0
    if cmd == "sync":
        paths = sync_package(args.source)
        print(f"{len(paths)} student files in {STUDENT_DIR}")
        return 0
    parser = getattr(args, "_exercises_parser", None)
    if parser is not None:
        parser.print_help(sys.stderr)
    return 2


def main(argv=None):
    """``python -m snu_np.exercises ...``: returns the exit code (a usage error prints one line, exit 2)."""
    parser = argparse.ArgumentParser(prog="snu-np exercises",
                                     description="Classroom exercises with automatic feedback.")
    cli_add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return cli_run(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
