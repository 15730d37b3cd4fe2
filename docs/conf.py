"""Sphinx configuration: MyST-NB renders the markdown pages and the executed notebooks."""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("_ext"))   # eqscan (the label scan, shared with tests/test_docs.py), eqlabels
os.environ.setdefault("MPLBACKEND", "Agg")

import snu_np  # noqa: E402

project = "snu-np"
author = "the snu-np developers"
copyright = "2026, the snu-np developers"
release = snu_np.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx-mathjax-offline",   # MathJax bundled in the build (_static/mathjax/): equations render offline
    "eqlabels",                 # docs/_ext/eqlabels.py: labels beside equation numbers, the equation index
]
# served from the build, never from a CDN; sphinx-mathjax-offline copies its MathJax 3 here, and
# tests/test_docs.py checks the path is local and the file is in the installed package
mathjax_path = "mathjax/tex-chtml.js"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
math_numfig = True
math_eqref_format = "({number})"
numfig = True

# notebooks are saved executed and CI re-executes them (nbmake); the site renders the saved outputs
nb_execution_mode = "off"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True

autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_member_order = "bysource"
autosummary_generate = False
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True   # "Attributes" sections as fields: dataclass members are not described twice
# numpy-style "Parameters" blocks name shapes like (T, B, n_in): not cross-references
nitpicky = False

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "**/*.py", "notebooks/README.md", "_ext",
                    "_generated", "results/_*"]   # included by other pages, not pages themselves
html_theme = "furo"
html_title = "snu-np"
html_static_path = ["_static"]
html_css_files = ["snu_np.css"]
# shapes such as (T, B, n_in) in numpy-style docstrings are not references to the attributes n_in
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "ref.python"]


def _plain_bars(app, what, name, obj, options, lines):
    """Docstrings write |x| for absolute values, as a student reads them; reST would take |x| for a
    substitution, so the bars outside ``code`` are escaped (grid-table rows, which start with | or +,
    are left alone)."""
    for i, line in enumerate(lines):
        if "|" in line and "``" not in line and not line.lstrip().startswith(("|", "+")):
            lines[i] = line.replace("|", "\\|")


def _settings_page(app):
    """docs/_generated/settings.md: the table of every run setting, from snu_np.config (one home)."""
    from snu_np.config import settings_table
    out = os.path.join(app.srcdir, "_generated")
    os.makedirs(out, exist_ok=True)
    text = settings_table()
    path = os.path.join(out, "settings.md")
    if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def setup(app):
    app.connect("autodoc-process-docstring", _plain_bars)
    app.connect("builder-inited", _settings_page)
