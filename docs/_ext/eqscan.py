"""The one scan of equation labels, shared by the docs build and the tests.

* A **labelled equation** is a MyST display-math block in ``docs/**/*.md`` closed by ``$$ (label)``::

      $$
      z_t = x_t W + \\dots
      $$ (snu-state)

  (or on one line, ``$$ z_t = \\dots $$ (snu-state)``). Fenced code blocks are skipped.
* A **citation** is ``# (label)`` on a line of ``snu_np/**/*.py`` (the line that computes the equation)
  or ``:eq:`label``` in a docstring.

Labels may use any case (``bptt-dW``, ``bptt-dH``), digits, ``-`` and ``_``. This module imports only
the standard library, so the tests run without Sphinx; ``docs/_ext/eqlabels.py`` is the Sphinx
extension built on it (the label beside each equation number, the equation index page).
"""
from __future__ import annotations

import ast
import dataclasses
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
LABEL = r"[A-Za-z0-9][A-Za-z0-9_-]*"
CLOSE = re.compile(r"\$\$[ \t]*\((" + LABEL + r")\)[ \t]*$")     # ... $$ (label) at the end of a line
CODE_CITE = re.compile(r":eq:`(" + LABEL + r")`|#\s*\((" + LABEL + r")\)")
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclasses.dataclass(frozen=True)
class Equation:
    label: str
    path: str          # relative to the repository root, e.g. "docs/derivations/snu.md"
    line: int          # 1-based line of the closing "$$ (label)"
    tex: str           # the LaTeX between the two $$


@dataclasses.dataclass(frozen=True)
class Citation:
    label: str
    path: str          # e.g. "snu_np/functional/snu.py"
    line: int          # 1-based
    text: str          # the source line, stripped
    qualname: str      # enclosing function or class ("" at module level)

    @property
    def module(self):
        return self.path[:-3].replace("/", ".").removesuffix(".__init__")


def _md_files(root):
    for path in sorted((root / "docs").rglob("*.md")):
        if "_build" in path.parts or path.name.startswith("."):
            continue
        yield path


def scan_equations(root=ROOT):
    """Every labelled equation in ``docs/``, in file order (duplicates kept: see :func:`duplicates`)."""
    root = pathlib.Path(root)
    out = []
    for path in _md_files(root):
        rel = path.relative_to(root).as_posix()
        lines = path.read_text(encoding="utf-8").splitlines()
        in_fence, open_at = False, None
        for i, line in enumerate(lines):
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            stripped = line.strip()
            close = CLOSE.search(stripped)
            if open_at is None:
                if not stripped.startswith("$$"):
                    continue
                body = stripped[2:]
                if close and body.find("$$") >= 0 and close.start() > 0:      # $$ tex $$ (label)
                    tex = stripped[2:close.start()].strip()
                    out.append(Equation(close.group(1), rel, i + 1, tex))
                elif "$$" in body:                                           # $$ tex $$, unlabelled
                    continue
                else:
                    open_at = i
            else:
                if stripped.startswith("$$"):
                    tex = "\n".join(lines[open_at + 1:i]).strip()
                    if close:
                        out.append(Equation(close.group(1), rel, i + 1, tex))
                    open_at = None
    return out


def in_page_order(equations, root=ROOT):
    """The equations sorted by their page's place in the toctrees of ``docs/index.md`` (pages not
    listed there last, by path), keeping file order within a page."""
    index = (pathlib.Path(root) / "docs" / "index.md").read_text(encoding="utf-8").splitlines()
    order = {}
    for line in index:
        name = line.strip()
        if re.fullmatch(r"[A-Za-z0-9_/-]+", name):          # a toctree entry such as derivations/snu
            order.setdefault(f"docs/{name}.md", len(order))
    return sorted(equations, key=lambda eq: (order.get(eq.path, len(order)), eq.path))


def duplicates(equations):
    """Labels defined more than once, with where: ``{label: ["path:line", ...]}``."""
    seen = {}
    for eq in equations:
        seen.setdefault(eq.label, []).append(f"{eq.path}:{eq.line}")
    return {k: v for k, v in seen.items() if len(v) > 1}


def _enclosing(tree):
    """(start, end, qualname) of every function and class, innermost last when sorted by start."""
    spans = []

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                spans.append((start, child.end_lineno, name))
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return spans


def scan_citations(root=ROOT):
    """``{label: [Citation, ...]}`` for every citation in ``snu_np/``, in file and line order."""
    root = pathlib.Path(root)
    cites = {}
    for path in sorted((root / "snu_np").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        try:
            spans = _enclosing(ast.parse(text))
        except SyntaxError:
            spans = []
        for i, line in enumerate(text.splitlines(), start=1):
            for a, b in CODE_CITE.findall(line):
                inner = [s for s in spans if s[0] <= i <= s[1]]
                qual = max(inner, key=lambda s: s[0])[2] if inner else ""
                cites.setdefault(a or b, []).append(Citation(a or b, rel, i, line.strip(), qual))
    return cites
