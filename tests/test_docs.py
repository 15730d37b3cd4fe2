"""The docs and the code stay in step.

* Every labelled equation in ``docs/`` is cited by the code that implements it (``:eq:`label` `` in a
  docstring or ``# (label)`` on the line), and every citation points to an equation that exists.
* Each pseudo-derivative and loss formula stated in the docs is checked against the coded function.
"""
import pathlib
import re

import numpy as np
import pytest

from snu_np import surrogates
from snu_np.functional.losses import bernoulli_nll, softmax_cross_entropy, window_mse

pytestmark = pytest.mark.nojit

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC_LABEL = re.compile(r"\$\$\s*\(([a-z0-9][a-z0-9-]*)\)\s*$", re.M)
CODE_CITE = re.compile(r":eq:`([a-z0-9-]+)`|#\s*\(([a-z0-9][a-z0-9-]*)\)")


def doc_labels():
    labels = {}
    for path in (ROOT / "docs").rglob("*.md"):
        if "_build" in path.parts:
            continue
        for label in DOC_LABEL.findall(path.read_text(encoding="utf-8")):
            assert label not in labels, f"equation label {label!r} defined twice ({labels[label]}, {path})"
            labels[label] = path
    return labels


def code_citations():
    cites = {}
    for path in (ROOT / "snu_np").rglob("*.py"):
        for a, b in CODE_CITE.findall(path.read_text(encoding="utf-8")):
            cites.setdefault(a or b, set()).add(path.relative_to(ROOT).as_posix())
    return cites


def test_every_equation_is_implemented_and_every_citation_exists():
    labels, cites = doc_labels(), code_citations()
    assert labels, "no labelled equations found in docs/"
    uncited = sorted(set(labels) - set(cites))
    assert not uncited, f"equations in the docs that no code cites: {uncited}"
    dangling = {k: sorted(v) for k, v in cites.items() if k not in labels}
    assert not dangling, f"code cites equations the docs do not define: {dangling}"


@pytest.mark.parametrize("name", sorted(surrogates.SURROGATES))
@pytest.mark.parametrize("scale", [None, 0.5, 3.0])
def test_pseudo_derivative_is_derivative_of_its_primitive(name, scale):
    s = surrogates.get_surrogate(name, scale)
    u = np.linspace(-3, 3, 601) + 1e-3        # avoid the boxcar's edges landing on the grid
    h = 1e-6
    fd = (s.primitive(u + h) - s.primitive(u - h)) / (2 * h)
    np.testing.assert_allclose(s.grad(u), fd, atol=1e-6)
    assert s.grad(np.array([0.0]))[0] == pytest.approx(1.0 if name != "sigmoid" else s.scale / 4)


DOC_FORMULAS = {   # the formulas of docs/derivations/surrogates.md, written out independently
    "tanh": lambda u, a: 1 - np.tanh(a * u) ** 2,
    "sigmoid": lambda u, a: a * (1 / (1 + np.exp(-a * u))) * (1 - 1 / (1 + np.exp(-a * u))),
    "boxcar": lambda u, a: (np.abs(u) < a / 2).astype(float),
    "fast_sigmoid": lambda u, a: 1 / (1 + a * np.abs(u)) ** 2,
    "arctan": lambda u, a: 1 / (1 + (a * u) ** 2),
}


@pytest.mark.parametrize("name", sorted(surrogates.SURROGATES))
def test_documented_formula_and_default_scale(name):
    s = surrogates.get_surrogate(name)
    u = np.linspace(-4, 4, 801) + 1e-3
    np.testing.assert_allclose(s.grad(u), DOC_FORMULAS[name](u, s.scale), atol=1e-12)
    table = (ROOT / "docs/derivations/surrogates.md").read_text(encoding="utf-8")
    row = next(line for line in table.splitlines() if line.startswith(f"| `{name}`"))
    assert re.search(r"\|\s*([0-9.]+)[^|]*\|\s*$", row).group(1) == f"{s.default_scale:g}"
    assert s.label in doc_labels()


def test_documented_loss_formulas(rng):
    y = rng.uniform(0, 1, (5, 3, 4))
    lab = np.array([0, 3, 1])
    onehot = np.eye(4)[lab]
    m = y[1:4].mean(0)
    assert window_mse(y, lab, window=(1, 4))[0] == pytest.approx(np.sum((m - onehot) ** 2) / (3 * 4))
    p = np.exp(m) / np.exp(m).sum(1, keepdims=True)
    assert softmax_cross_entropy(y, lab, window=(1, 4))[0] == pytest.approx(-np.mean(np.log(p[[0, 1, 2], lab])))
    t = (rng.uniform(0, 1, y.shape) < 0.5).astype(float)
    q = 1 / (1 + np.exp(-y))
    want = -np.sum(t * np.log(q) + (1 - t) * np.log(1 - q)) / (5 * 3)
    assert bernoulli_nll(y, t)[0] == pytest.approx(want)
