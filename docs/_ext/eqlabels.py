"""Sphinx extension: equation labels that lead to the code and back.

* Beside each labelled equation's number the page shows its label, e.g. ``(12) bptt-dW``; the label
  links to its entry on the equation index page.
* The directive ``{equation-index}`` (used by ``docs/equations.md``) lists every labelled equation:
  its label, a link to the equation, and every line of ``snu_np/`` that cites it (``file:line``, the
  enclosing function, linked to its highlighted source on the ``_modules/`` pages, and the line itself).

Both come from :mod:`eqscan`, the same scan ``tests/test_docs.py`` checks, so the page and the test
cannot disagree about which code cites which equation.
"""
from __future__ import annotations

import html
import pathlib
import re
import sys

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import eqscan  # noqa: E402

INDEX_DOC = "equations"


def anchor(label):
    return "eq-" + nodes.make_id(label)


def _wrap_block_renderer(app):
    """Wrap the MathJax block renderer so that the eqno span also holds the label (a link)."""
    renderers = app.registry.html_block_math_renderers
    visit, depart = renderers["mathjax"]

    def visit_with_label(self, node):
        try:
            visit(self, node)
        except nodes.SkipNode:
            label = node.get("label")
            if label and node.get("number"):
                for i in range(len(self.body) - 1, -1, -1):
                    if self.body[i].startswith('<span class="eqno">'):
                        uri = self.builder.get_relative_uri(self.builder.current_docname, INDEX_DOC)
                        self.body[i] += (
                            f'<a class="eqlabel" href="{uri}#{anchor(label)}" '
                            f'title="the code that implements ({html.escape(label)})">'
                            f"{html.escape(label)}</a>")
                        break
            raise

    renderers["mathjax"] = (visit_with_label, depart)


class EquationIndex(SphinxDirective):
    """Every labelled equation, and the lines of code that cite it."""

    has_content = False

    def run(self):
        root = pathlib.Path(self.env.srcdir).parent
        equations = eqscan.in_page_order(eqscan.scan_equations(root), root)
        cites = eqscan.scan_citations(root)
        for eq in equations:
            self.env.note_dependency(str(root / eq.path))
        for path in sorted({c.path for cs in cites.values() for c in cs}):
            self.env.note_dependency(str(root / path))
        out = []
        current = None
        for eq in equations:
            if eq.path != current:
                current = eq.path
                docname = pathlib.PurePosixPath(eq.path).relative_to("docs").with_suffix("").as_posix()
                title = nodes.rubric()
                ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/" + docname,
                                            refexplicit=False, refwarn=True)
                ref += nodes.inline(docname, docname)
                title += ref
                out.append(title)
            item = nodes.container(classes=["eqindex-entry"], ids=[anchor(eq.label)])
            head = nodes.paragraph(classes=["eqindex-head"])
            head += nodes.literal(eq.label, eq.label, classes=["eqlabel"])
            head += nodes.Text(" ")
            eqref = addnodes.pending_xref("", refdomain="math", reftype="eq", reftarget=eq.label,
                                          refexplicit=False, refwarn=True)
            eqref += nodes.literal(eq.label, eq.label)
            head += eqref
            lines = cites.get(eq.label, [])
            head += nodes.Text(f"  cited on {len(lines)} line{'s' if len(lines) != 1 else ''}"
                               if lines else "  (cited nowhere)")
            item += head
            blist = nodes.bullet_list(classes=["eqindex-cites"])
            for c in lines:
                li = nodes.list_item()
                para = nodes.paragraph()
                where = f"{c.path}:{c.line}"
                if c.qualname:
                    ref = nodes.reference("", "", internal=True, classes=["eq-viewcode"],
                                          refuri=f"_modules/{c.module.replace('.', '/')}.html#"
                                                 f"{c.qualname}")
                    ref["eq_module"] = c.module
                    ref["eq_qualname"] = c.qualname
                    ref += nodes.literal(where, where)
                    para += ref
                    para += nodes.Text(f" in {c.qualname}")
                else:
                    para += nodes.literal(where, where)
                li += para
                lang = "none" if f":eq:`{c.label}`" in c.text else "python"        # docstring or code
                text = re.sub(r"(\S)\s{3,}#", r"\1  #", c.text)      # aligned comments: one gap
                li += nodes.literal_block(text, text, language=lang, classes=["eqindex-line"])
                blist += li
            item += blist
            out.append(item)
        return out


def _unlink_missing_sources(app, doctree, docname):
    """Point each code link at a block that exists on the highlighted-source pages.

    Viewcode highlights a module only if autodoc documented something in it, and gives an anchor
    only to documented functions and classes: a link to an undocumented function goes to its
    enclosing documented class, else to the top of the module's page; a module with no page
    leaves plain text."""
    if docname != INDEX_DOC:
        return
    modules = getattr(app.env, "_viewcode_modules", {})
    for ref in list(doctree.findall(nodes.reference)):
        if "eq-viewcode" not in ref.get("classes", []):
            continue
        entry = modules.get(ref.get("eq_module"))
        if not entry:
            ref.replace_self(ref.children)
            continue
        used = entry[2] if isinstance(entry, tuple) and len(entry) > 2 else {}
        qual = ref.get("eq_qualname", "")
        parts = qual.split(".")
        target = next((".".join(parts[:k]) for k in range(len(parts), 0, -1)
                       if ".".join(parts[:k]) in used), None)
        base = ref["refuri"].split("#")[0]
        ref["refuri"] = f"{base}#{target}" if target else base


def setup(app):
    app.setup_extension("sphinx.ext.mathjax")
    # after myst-parser's own override of the MathJax renderer (also at builder-inited)
    app.connect("builder-inited", _wrap_block_renderer, priority=900)
    app.add_directive("equation-index", EquationIndex)
    app.connect("doctree-resolved", _unlink_missing_sources)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
