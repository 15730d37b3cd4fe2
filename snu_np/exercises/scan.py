"""Static scan of a submission for the package's own implementation of what the exercise asks for.

The grader reads the submitted source (it never imports it) and follows every import and attribute
chain that starts at ``snu_np``: ``import snu_np.functional.snu as FS`` then ``FS.snu_step_forward``,
``from snu_np.functional.snu import snu_step_forward as solution``, ``getattr(FS, "snu_step_forward")``,
``from snu_np.functional import *`` then ``snu_step_forward``, and string arguments of
``importlib.import_module`` / ``__import__``. Each name found is resolved on the grader's own copy of the
package, so a re-export (``snu_np.functional.snu_step_forward``) counts as the function it is.

It cannot see code built at run time from strings (``getattr(m, "snu_" + "step")``), which the child's
tripwires catch when it is called, nor code copied from the package's source into the submission.
"""
from __future__ import annotations

import ast
import importlib
import inspect

__all__ = ["find_forbidden", "canonical", "matches"]


def matches(name, forbidden):
    """The entry of ``forbidden`` that the dotted ``name`` is, or lies inside (a module or class), or None."""
    for f in forbidden:
        if name == f or name.startswith(f + "."):
            return f
    return None


def canonical(dotted):
    """Where the package object named ``dotted`` is defined (``module.qualname``), or ``dotted`` itself."""
    parts = dotted.split(".")
    if parts[0] != "snu_np":
        return dotted
    obj, i = None, len(parts)
    while i > 0:                                    # the longest importable module prefix
        try:
            obj = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            i -= 1
    if obj is None:
        return dotted
    for name in parts[i:]:
        try:
            obj = inspect.getattr_static(obj, name)
        except AttributeError:
            return dotted
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
    if inspect.ismodule(obj):
        return obj.__name__
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str) and module.startswith("snu_np"):
        return f"{module}.{qualname}"
    return dotted


class _Names(ast.NodeVisitor):
    """Every dotted package name the source refers to, with its line."""

    def __init__(self):
        self.aliases = {}            # local name -> dotted package name
        self.stars = []              # modules star-imported
        self.found = []              # (line, dotted)

    def _add(self, node, dotted):
        if dotted.split(".")[0] == "snu_np":
            self.found.append((node.lineno, dotted))

    def visit_Import(self, node):
        for a in node.names:
            if a.asname:
                self.aliases[a.asname] = a.name
            else:
                self.aliases[a.name.split(".")[0]] = a.name.split(".")[0]
            self._add(node, a.name)

    def visit_ImportFrom(self, node):
        if node.level or not node.module:
            return
        for a in node.names:
            if a.name == "*":
                self.stars.append(node.module)
                self._add(node, node.module)
                continue
            self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            self._add(node, f"{node.module}.{a.name}")

    def _dotted(self, node):
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._dotted(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    def visit_Attribute(self, node):
        dotted = self._dotted(node)
        if dotted is not None:
            self._add(node, dotted)
        else:
            self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in self.aliases:
            self._add(node, self.aliases[node.id])
        else:
            for module in self.stars:
                self._add(node, f"{module}.{node.id}")

    def visit_Call(self, node):
        fn = node.func
        name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
        consts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name == "getattr" and len(node.args) >= 2 and consts:
            base = self._dotted(node.args[0])
            if base is not None:
                self._add(node, f"{base}.{consts[0]}")
        elif name in ("import_module", "__import__") and consts:
            self._add(node, consts[0])
        self.generic_visit(node)


def find_forbidden(source, forbidden, filename="<submission>", allowed=()):
    """[(line, name used, forbidden entry)] for every use of a forbidden package name in ``source``;
    names that resolve to an entry of ``allowed`` (the student API inside a forbidden module) are fine.

    Raises SyntaxError if ``source`` is not valid Python.
    """
    tree = ast.parse(source, filename)
    names = _Names()
    names.visit(tree)
    hits, seen = [], set()
    allowed = {canonical(a) for a in allowed}
    for line, dotted in names.found:
        if canonical(dotted) in allowed:
            continue
        for candidate in (dotted, canonical(dotted)):
            f = matches(candidate, forbidden)
            if f is not None and (line, f) not in seen:
                seen.add((line, f))
                hits.append((line, dotted, f))
                break
    return hits
