"""Build the student and teacher versions of the exercises: the text written once, the solutions apart.

Each exercise is written once, in jupytext's *percent* format (cells start with ``# %%``; markdown
cells with ``# %% [markdown]``, their lines commented), as the file the student gets:
``snu_np/exercises/student/exNN_<name>.py``, shipped with the package. Two kinds of places in it are
filled in for the teacher version:

``raise NotImplementedError("Exercise N: <hint>")`` (the last line of a function)
    Where the student writes the function. The teacher version puts there the solution named after
    the function.

``# <!-- teacher notes -->`` (a line of a markdown cell; ``# <!-- teacher notes: KEY -->`` for more)
    Where the teacher notes go. The student version drops the line.

The solutions and teacher notes are only in a source checkout, one file per exercise with the same
name, ``exercises/exNN_<name>.py``: blocks, each under a header line, which is the cell marker
``# %%`` followed by ``solution: <function name>`` or by ``teacher notes`` (``teacher notes: KEY``).
A solution is the function's body from the marker's line on, at any indentation (the build indents it
like the marker); teacher notes are markdown lines (``# > ...``), inserted as they are. The build
refuses a marker without its block and a block without its marker.

:func:`build` writes ``<out>/student/`` (and the same zipped, ``<out>/snu-np-exercises-student.zip``, the
pack to hand out) and, with the solutions (a source checkout, or ``source_dir``), ``<out>/teacher/``;
each with a ``.py`` and an ``.ipynb`` per exercise and a ``README.md`` index. The notebooks are made with
jupytext when it is installed, otherwise directly with nbformat (which comes with Jupyter).
"""
from __future__ import annotations

import argparse
import ast
import json
import pathlib
import re
import sys
import textwrap
import zipfile

from ..errors import UsageError
from .catalog import EXERCISES

__all__ = ["build", "render", "parse_solutions", "list_sources", "checkout_sources", "has_solution_markers",
           "BuildError", "STUDENT_DIR", "PACK_NAME", "cli_add_arguments", "cli_run", "main"]

STUDENT_DIR = pathlib.Path(__file__).resolve().parent / "student"          # shipped with the package
_CHECKOUT_SOURCES = pathlib.Path(__file__).resolve().parents[2] / "exercises"  # only in a source checkout
_SOURCES_README_MARK = "snu-np exercise sources"
PACK_NAME = "snu-np-exercises-student.zip"
VERSIONS = ("student", "teacher")

# a block header of a solutions file: "solution: <function>" or "teacher notes[: KEY]" after the cell marker
_BLOCK = re.compile(r"^#\s*%%\s*(?P<kind>solution|teacher notes)\b\s*:?\s*(?P<key>\S*)\s*$")
# the markers of the former one-file sources, still refused anywhere in the package
_OLD_BLOCK = re.compile(r"^\s*#\s*(BEGIN SOLUTION\b|<!--\s*BEGIN TEACHER\s*-->)")
_NOTES = re.compile(r"^#\s*<!--\s*teacher notes\s*(?::\s*(?P<key>\S+?))?\s*-->\s*$")
_CELL = re.compile(r"^# %%")
_NUMBER = re.compile(r"^ex(\d+)_")


class BuildError(UsageError):
    """An exercise or its solutions file is malformed (a marker without its block or the reverse, a
    misnumbered hint, invalid Python)."""


def checkout_sources():
    """The folder of solution files (``exercises/``) of this source checkout, or None when snu-np is
    installed from a wheel or an sdist (which do not ship it)."""
    readme = _CHECKOUT_SOURCES / "README.md"
    try:
        if _SOURCES_README_MARK in readme.read_text(encoding="utf-8"):
            return _CHECKOUT_SOURCES
    except OSError:
        pass
    return None


def list_sources(folder=None):
    """The exercise files (``exNN_<name>.py``) in ``folder``, sorted by number: by default the packaged
    exercises; the checkout's ``exercises/`` holds their solution files under the same names."""
    d = pathlib.Path(folder) if folder is not None else STUDENT_DIR
    if not d.is_dir():
        raise UsageError(f"source_dir: {d} is not a folder")
    files = [p for p in d.glob("ex*_*.py") if _NUMBER.match(p.name)]
    return sorted(files, key=lambda p: int(_NUMBER.match(p.name).group(1)))


def has_solution_markers(text):
    """Whether ``text`` holds a solution or teacher-notes block (what must never ship in the package)."""
    return any(_BLOCK.match(ln) or _OLD_BLOCK.match(ln) for ln in text.splitlines())


def _number(path):
    m = _NUMBER.match(pathlib.Path(path).name)
    if not m:
        raise BuildError(f"{path}: exercise files must be named exNN_<name>.py")
    return int(m.group(1))


def _compile(text, name):
    try:
        return compile(text, name, "exec", ast.PyCF_ONLY_AST)
    except SyntaxError as exc:
        raise BuildError(f"{name} is not valid Python: {exc}") from None


def _raises_not_implemented(node):
    if not isinstance(node, ast.Raise):
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _solution_markers(tree, number, name):
    """{function name: line number} of the ``raise NotImplementedError("Exercise N: ...")`` lines."""
    found = {}

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child)
                continue
            if _raises_not_implemented(child):
                where, args = f"{name}:{child.lineno}", getattr(child.exc, "args", ())
                msg = args[0].value if args and isinstance(args[0], ast.Constant) else None
                if not (isinstance(msg, str) and msg.startswith(f"Exercise {number}: ")):
                    raise BuildError(f'{where}: write raise NotImplementedError("Exercise {number}: <hint>")')
                if function is None or child is not function.body[-1] or child.end_lineno != child.lineno:
                    raise BuildError(f"{where}: a NotImplementedError marker is the last line of a function")
                if function.name in found:
                    raise BuildError(f"{where}: a second NotImplementedError in {function.name}()")
                found[function.name] = child.lineno
            visit(child, function)

    visit(tree, None)
    if not found:
        raise BuildError(f"{name}: no raise NotImplementedError(...): nothing for the student to do")
    return found


def parse_solutions(text, name="<solutions>"):
    """The blocks of a solutions file: {("solution", function) or ("teacher notes", key): [lines]}."""
    blocks, current = {}, None
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _BLOCK.match(line)
        if m:
            current = (m.group("kind"), m.group("key"))
            if current[0] == "solution" and not current[1]:
                raise BuildError(f"{name}:{lineno}: name the function: '# %% solution: <function name>'")
            if current in blocks:
                raise BuildError(f"{name}:{lineno}: a second block '{line.strip()}'")
            blocks[current] = []
        elif current is not None:
            blocks[current].append(line)
        elif line.strip() and not line.lstrip().startswith("#"):
            raise BuildError(f"{name}:{lineno}: code before the first '# %% solution: ...' header")
    for key, lines in blocks.items():
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            raise BuildError(f"{name}: the block '{_label(key)}' is empty")
    return blocks


def _label(key):
    kind, name = key
    return f"{kind}: {name}" if name else kind


def render(text, version, number, name="<exercise>", solutions=None):
    """Return the ``version`` ("student" or "teacher") of one exercise text (a packaged student file).

    The teacher version needs ``solutions``, the text of the exercise's solutions file. Raises
    :class:`BuildError` on a misplaced or misnumbered marker, on a marker without its block or a block
    without its marker, or if the result is not valid Python.
    """
    if version not in VERSIONS:
        raise UsageError(f"version must be one of {VERSIONS}, got {version!r}")
    if not isinstance(text, str):
        raise UsageError(f"text must be the exercise as a str, got {type(text).__name__}")
    if has_solution_markers(text):
        raise BuildError(f"{name}: a solution or teacher-notes block inside the exercise (its place is "
                         f"exercises/{name})")
    lines = text.splitlines()
    markers = {("solution", fn): i for fn, i in _solution_markers(_compile(text, name), number, name).items()}
    for i, line in enumerate(lines, 1):
        m = _NOTES.match(line)
        if m:
            key = ("teacher notes", m.group("key") or "")
            if key in markers:
                raise BuildError(f"{name}:{i}: a second '{_label(key)}' marker (name them: teacher notes: KEY)")
            markers[key] = i
    if version == "student":
        out = [ln for ln in lines if not _NOTES.match(ln)]
    else:
        if not isinstance(solutions, str):
            raise UsageError(f"{name}: the teacher version needs the text of its solutions file")
        blocks = parse_solutions(solutions, f"solutions of {name}")
        missing = [_label(k) for k in markers if k not in blocks]
        orphans = [_label(k) for k in blocks if k not in markers]
        if missing or orphans:
            raise BuildError(f"{name}: " + "; ".join(
                ([f"no block for the markers {missing}"] if missing else []) +
                ([f"the blocks {orphans} have no marker"] if orphans else [])))
        at = {i: key for key, i in markers.items()}
        out = []
        for i, line in enumerate(lines, 1):
            key = at.get(i)
            if key is None:
                out.append(line)
            elif key[0] == "teacher notes":
                out.extend(blocks[key])
            else:
                indent = line[:len(line) - len(line.lstrip())]
                out.extend(textwrap.indent(textwrap.dedent("\n".join(blocks[key])), indent).splitlines())
    result = _drop_empty_cells(out)
    _compile(result, f"{name} ({version} version)")
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



def _solutions_text(solutions_dir, exercise):
    path = solutions_dir / exercise.name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildError(f"{path}: missing: the solutions and teacher notes of {exercise.name}") from None


def _texts(version, exercises, solutions_dir):
    """{file name: text} of ``version`` for the chosen exercise files."""
    return {ex.name: render(ex.read_text(encoding="utf-8"), version, _number(ex), ex.name,
                            _solutions_text(solutions_dir, ex) if version == "teacher" else None)
            for ex in exercises}


def build(out_dir, version="both", exercises=None, notebooks=True, source_dir=None, use_jupytext=None,
          pack=True):
    """Write the student and/or teacher versions of the exercises.

    Parameters
    ----------
    out_dir : path
        Creates ``out_dir/student`` and/or ``out_dir/teacher`` (existing files are overwritten).
    version : "student" | "teacher" | "both"
        "both" writes the teacher version only where the solutions are available (a source checkout
        or ``source_dir``); "teacher" without them raises :class:`~snu_np.errors.UsageError`.
    exercises : iterable of int, optional
        Exercise numbers to build (default: all).
    notebooks : bool
        Also write ``.ipynb`` notebooks next to the ``.py`` files.
    source_dir : path, optional
        The folder of solution files, one per exercise under the exercise's file name (default: the
        checkout's ``exercises/``). The exercise texts always come from the package.
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
    solutions_dir = pathlib.Path(source_dir) if source_dir is not None else checkout_sources()
    if solutions_dir is not None and not solutions_dir.is_dir():
        raise UsageError(f"source_dir: {solutions_dir} is not a folder")
    if version == "teacher" and solutions_dir is None:
        raise UsageError("the teacher version (with the solutions) is built from a source checkout of snu-np: "
                         "the installed package does not ship the solutions. Run this command in a clone of "
                         "the repository, or pass --source DIR (its exercises/ folder).")
    versions = VERSIONS if version == "both" else (version,)
    if solutions_dir is None:
        versions = tuple(v for v in versions if v == "student")
    chosen = list_sources()
    if not chosen:
        raise BuildError(f"no exercises (exNN_<name>.py) found in {STUDENT_DIR}")
    if exercises is not None:
        try:
            wanted = {int(n) for n in exercises}
        except (TypeError, ValueError):
            raise UsageError(f"exercises must be exercise numbers, got {exercises!r}") from None
        unknown = wanted - {_number(p) for p in chosen}
        if unknown:
            raise UsageError(f"exercises: no exercise numbered {sorted(unknown)}")
        chosen = [p for p in chosen if _number(p) in wanted]
    out_dir = pathlib.Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"out_dir: {out_dir} exists and is not a folder")
    written = {v: [] for v in versions}
    for v in versions:
        d = out_dir / v
        d.mkdir(parents=True, exist_ok=True)
        for name, text in _texts(v, chosen, solutions_dir).items():
            py = d / name
            py.write_text(text, encoding="utf-8")
            written[v].append(py)
            if notebooks:
                ipynb = py.with_suffix(".ipynb")
                write_notebook(text, ipynb, use_jupytext)
                written[v].append(ipynb)
        readme = d / "README.md"
        readme.write_text(_readme(v, {_number(p) for p in chosen}), encoding="utf-8")
        written[v].append(readme)
    if pack and "student" in written:
        zpath = out_dir / PACK_NAME
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in written["student"]:
                zf.write(f, f"snu-np-exercises/{f.name}")
        written["pack"] = [zpath]
    return written


# -------------------------------------------------------------------------------------------- CLI
def cli_add_arguments(parser):
    """Add the ``build``, ``grade`` and ``list`` sub-commands to ``parser`` (``snu-np exercises``)."""
    sub = parser.add_subparsers(dest="exercises_command", metavar="{build,grade,list}")
    b = sub.add_parser("build", help="write the student pack (and, in a source checkout, the teacher version)",
                       description="Write the student version (solutions replaced by NotImplementedError, "
                                   "teacher notes removed), zipped as the pack to hand out, and the teacher "
                                   "version, which needs the solutions of a checkout (or --source DIR).")
    b.add_argument("--out", required=True, metavar="DIR",
                   help="output folder (gets student/, teacher/ and snu-np-exercises-student.zip)")
    b.add_argument("--version", choices=("student", "teacher", "both"), default="both",
                   help="which version to write (default: both; 'both' outside a checkout: student only)")
    b.add_argument("--only", type=int, nargs="+", metavar="N", help="only these exercise numbers (default: all)")
    b.add_argument("--source", metavar="DIR", default=None,
                   help="folder of the exercises' solution files (default: the checkout's exercises/)")
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
            print("teacher: not built (no solutions here: use a source checkout or --source DIR)")
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
