"""The docs and the code stay in step.

* The one label scan (``docs/_ext/eqscan.py``, also used by the docs build to print each label beside
  its equation and to generate the equation index): every labelled equation in ``docs/`` is cited by
  the code that implements it (``:eq:`label` `` in a docstring or ``# (label)`` on the line), every
  citation points to an equation that exists, no two equations share a label, and labels of any
  spelling (``bptt-dW``) are seen.
* Where it can be checked mechanically, the equation a label names is the one the code computes:
  the pseudo-derivatives and losses as written on their pages, the SNU forward step, the LIF update.
* The docs render their equations offline: ``docs/conf.py`` points MathJax at a file served from the
  build, and that file is in the installed package (``scripts/check_docs_offline.py`` checks the built
  pages themselves; CI runs it after ``sphinx-build``).
"""
import ast
import importlib.util
import pathlib
import re
import sys

import numpy as np
import pytest

from snu_np import lif, surrogates
from snu_np.functional.losses import bernoulli_nll, softmax_cross_entropy, window_mse
from snu_np.functional.snu import snu_forward

pytestmark = pytest.mark.nojit

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
sys.path.insert(0, str(ROOT / "scripts"))
import eqscan  # noqa: E402


@pytest.fixture(scope="module")
def equations():
    return eqscan.scan_equations(ROOT)


@pytest.fixture(scope="module")
def labels(equations):
    return {eq.label: eq for eq in equations}


@pytest.fixture(scope="module")
def cites():
    return eqscan.scan_citations(ROOT)


def test_no_two_equations_share_a_label(equations):
    assert equations, "no labelled equations found in docs/"
    assert not eqscan.duplicates(equations), f"equation labels defined twice: {eqscan.duplicates(equations)}"


def test_every_equation_is_implemented_and_every_citation_exists(labels, cites):
    uncited = sorted(set(labels) - set(cites))
    assert not uncited, f"equations in the docs that no code cites: {uncited}"
    dangling = {k: sorted({f"{c.path}:{c.line}" for c in v}) for k, v in cites.items() if k not in labels}
    assert not dangling, f"code cites equations the docs do not define: {dangling}"


def test_labels_of_every_spelling_are_seen(labels, cites):
    for label in ("bptt-dW", "bptt-dH"):               # uppercase: missed by a lowercase-only scan
        assert label in labels and label in cites, label
    assert all(eq.tex for eq in labels.values()), "a labelled equation with no LaTeX"


def test_scan_handles_one_line_multi_line_fenced_and_uppercase(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "snu_np").mkdir()
    (tmp_path / "docs" / "a.md").write_text(
        "$$ x = 1 $$ (one-Line)\n\n$$\ny = 2\n$$ (multi)\n\n```\n$$ z $$ (in-fence)\n```\n$$ w $$\n",
        encoding="utf-8")
    (tmp_path / "snu_np" / "m.py").write_text(
        'def f():\n    """Docs: :eq:`multi`."""\n    return 1  # (one-Line)\n', encoding="utf-8")
    eqs = eqscan.scan_equations(tmp_path)
    assert [(e.label, e.tex) for e in eqs] == [("one-Line", "x = 1"), ("multi", "y = 2")]
    c = eqscan.scan_citations(tmp_path)
    assert c["one-Line"][0].line == 3 and c["one-Line"][0].qualname == "f"
    assert c["multi"][0].qualname == "f"


# ------------------------------------------------------------------------------------------------
# the equations say what the code computes
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(surrogates.SURROGATES))
@pytest.mark.parametrize("scale", [None, 0.5, 3.0])
def test_pseudo_derivative_is_derivative_of_its_primitive(name, scale):
    s = surrogates.get_surrogate(name, scale)
    u = np.linspace(-3, 3, 601) + 1e-3        # avoid the boxcar's edges landing on the grid
    h = 1e-6
    fd = (s.primitive(u + h) - s.primitive(u - h)) / (2 * h)
    np.testing.assert_allclose(s.grad(u), fd, atol=1e-6)
    # the peak stated on the page: 1 for every scale, except the sigmoid's alpha / 4
    assert s.grad(np.array([0.0]))[0] == pytest.approx(1.0 if name != "sigmoid" else s.scale / 4)


DOC_FORMULAS = {   # the formulas of docs/derivations/surrogates.md, written out independently
    "tanh": lambda u, a: 1 - np.tanh(a * u) ** 2,
    "sigmoid": lambda u, a: a * (1 / (1 + np.exp(-a * u))) * (1 - 1 / (1 + np.exp(-a * u))),
    "boxcar": lambda u, a: (np.abs(u) < a / 2).astype(float),
    "fast_sigmoid": lambda u, a: 1 / (1 + a * np.abs(u)) ** 2,
    "arctan": lambda u, a: 1 / (1 + (a * u) ** 2),
}
DOC_HEIGHTS = {    # how far each primitive climbs (= the area under the pseudo-derivative), as stated
    "tanh": lambda a: 2 / a, "sigmoid": lambda a: 1.0, "boxcar": lambda a: a,
    "fast_sigmoid": lambda a: 2 / a, "arctan": lambda a: np.pi / a,
}


@pytest.mark.parametrize("name", sorted(surrogates.SURROGATES))
def test_documented_formula_height_and_default_scale(name, labels):
    s = surrogates.get_surrogate(name)
    u = np.linspace(-4, 4, 801) + 1e-3
    np.testing.assert_allclose(s.grad(u), DOC_FORMULAS[name](u, s.scale), atol=1e-12)
    for a in (0.5, s.scale, 3.0):
        p = surrogates.get_surrogate(name, a).primitive(np.array([-1e8, 1e8]))
        assert p[1] - p[0] == pytest.approx(DOC_HEIGHTS[name](a), rel=1e-6)
    table = (ROOT / "docs/derivations/surrogates.md").read_text(encoding="utf-8")
    row = next(line for line in table.splitlines() if line.startswith(f"| `{name}`"))
    assert re.search(r"\|\s*([0-9.]+)[^|]*\|\s*$", row).group(1) == f"{s.default_scale:g}"
    assert s.label in labels


def test_documented_loss_formulas(rng):
    y = rng.uniform(0, 1, (5, 3, 4))
    lab = np.array([0, 3, 1])
    onehot = np.eye(4)[lab]
    t_a, t_b = 1, 4                              # steps t_a < t <= t_b, window=(t_a, t_b)
    ybar = y[t_a:t_b].mean(0)                    # array indices t - 1 = t_a ... t_b - 1
    B, n = 3, 4
    loss, dy = window_mse(y, lab, window=(t_a, t_b))
    assert loss == pytest.approx(np.sum((ybar - onehot) ** 2) / (B * n))
    np.testing.assert_allclose(dy[t_a:t_b], np.broadcast_to(2 * (ybar - onehot) / (B * n * (t_b - t_a)),
                                                            (t_b - t_a, B, n)))
    assert not dy[:t_a].any() and not dy[t_b:].any()
    # softmax cross-entropy, with target rows that do not sum to 1: (p sum(yhat) - yhat) / (B (t_b - t_a))
    target = rng.uniform(0, 1, (B, n))
    p = np.exp(ybar) / np.exp(ybar).sum(1, keepdims=True)
    loss, dy = softmax_cross_entropy(y, target, window=(t_a, t_b))
    assert loss == pytest.approx(-np.sum(target * np.log(p)) / B)
    want = (p * target.sum(1, keepdims=True) - target) / (B * (t_b - t_a))
    np.testing.assert_allclose(dy[t_a:t_b], np.broadcast_to(want, (t_b - t_a, B, n)), atol=1e-14)
    assert softmax_cross_entropy(y, lab, window=(t_a, t_b))[0] == pytest.approx(
        -np.mean(np.log(p[[0, 1, 2], lab])))
    # Bernoulli NLL with a mask M[t, i]: averaged over the N predicted steps
    t = (rng.uniform(0, 1, y.shape) < 0.5).astype(float)
    M = np.ones((5, 3))
    M[3:, 1] = 0                                 # sequence 1 is padded after step 3
    q = 1 / (1 + np.exp(-y))
    N = M.sum()
    loss, dl = bernoulli_nll(y, t, mask=M)
    assert loss == pytest.approx(-np.sum(M[..., None] * (t * np.log(q) + (1 - t) * np.log(1 - q))) / N)
    np.testing.assert_allclose(dl, M[..., None] * (q - t) / N, atol=1e-15)


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("recurrent", [False, True])
def test_snu_forward_is_the_documented_state_equation(rng, soft, recurrent):
    """(snu-state), (snu-g), (snu-output) / (ssnu-output), written out from snu.md."""
    T, B, n_in, n = 12, 3, 5, 4
    x = (rng.uniform(size=(T, B, n_in)) < 0.4).astype(float)
    W = rng.normal(0, 0.8, (n_in, n))
    H = rng.normal(0, 0.5, (n, n)) if recurrent else None
    b = np.full(n, -0.7)
    lam = 0.8
    s_doc, y_doc = np.zeros((T, B, n)), np.zeros((T, B, n))
    s_prev, y_prev = np.zeros((B, n)), np.zeros((B, n))
    for t in range(1, T + 1):                      # steps t = 1..T, array index t - 1
        z = x[t - 1] @ W + (y_prev @ H if recurrent else 0) + lam * s_prev * (1 - y_prev)
        s_t = np.maximum(z, 0)                     # g = ReLU
        y_t = 1 / (1 + np.exp(-(s_t + b))) if soft else (s_t + b > 0).astype(float)
        s_doc[t - 1], y_doc[t - 1] = s_t, y_t
        s_prev, y_prev = s_t, y_t
    s, y, _ = snu_forward(x, W, b, lam, H=H, soft=soft)
    np.testing.assert_allclose(s, s_doc, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, y_doc, rtol=1e-12, atol=1e-12)
    if not soft:
        assert 0 < y.mean() < 1                     # the test saw spikes and resets


@pytest.mark.parametrize("method", ["euler", "exact"])
def test_lif_update_is_the_documented_step(rng, method):
    """(lif-euler) / (lif-exact) with (lif-reset), written out from lif.md, against lif.simulate."""
    dt, tau, R, v_th, v_reset = 1.0, 8.0, 2.0, 1.0, 0.1
    I = rng.uniform(0, 1.5, (60, 3))
    decay = 1 - dt / tau if method == "euler" else np.exp(-dt / tau)
    gain = dt / tau * R if method == "euler" else (1 - np.exp(-dt / tau)) * R
    V_doc, S_doc = np.zeros_like(I), np.zeros_like(I)
    v = np.zeros(3)
    for t in range(1, I.shape[0] + 1):
        v_pre = decay * v + gain * I[t - 1]
        spike = v_pre > v_th
        v = np.where(spike, v_reset, v_pre)
        V_doc[t - 1], S_doc[t - 1] = v, spike
    V, S = lif.simulate(I, dt, tau, R=R, v_th=v_th, v_reset=v_reset, method=method)
    np.testing.assert_allclose(V, V_doc, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(S, S_doc)
    assert S.sum() > 0


def test_lif_rheobase_is_an_infimum():
    """lif.md: at I = I_rh = v_th / R the neuron does not fire (f = 0); just above it, it does."""
    tau, R, v_th = 10.0, 1.0, 1.0
    assert lif.firing_rate(v_th / R, tau, R=R, v_th=v_th) == 0
    assert lif.firing_rate(v_th / R * (1 + 1e-6), tau, R=R, v_th=v_th) > 0


# ------------------------------------------------------------------------------------------------
# the docs render offline
# ------------------------------------------------------------------------------------------------
def _conf_assignments():
    tree = ast.parse((ROOT / "docs" / "conf.py").read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def test_mathjax_is_served_from_the_build():
    conf = _conf_assignments()
    path = conf.get("mathjax_path", "")
    assert path and not re.match(r"^(https?:)?//", path), f"mathjax_path {path!r} needs the network"
    assert "sphinx-mathjax-offline" in conf["extensions"]
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None:
        pytest.skip("the docs extra (sphinx-mathjax-offline) is not installed")
    bundled = pathlib.Path(spec.origin).parent / "static" / path
    assert bundled.is_file(), f"{bundled} is not in the installed sphinx-mathjax-offline"


def test_offline_checker_flags_remote_scripts(tmp_path):
    import check_docs_offline as chk

    (tmp_path / "_static" / "mathjax").mkdir(parents=True)
    (tmp_path / "_static" / "mathjax" / "tex-chtml.js").write_text("//", encoding="utf-8")
    good = '<div class="math notranslate">\\(x\\)</div><script src="_static/mathjax/tex-chtml.js"></script>'
    (tmp_path / "good.html").write_text(good, encoding="utf-8")
    assert chk.check_site(tmp_path)[1] == []
    (tmp_path / "bad.html").write_text(
        '<div class="math">x</div><script defer src="https://cdn.example.org/mathjax/tex.js"></script>',
        encoding="utf-8")
    (tmp_path / "missing.html").write_text('<script src="_static/mathjax/nope.js"></script>', encoding="utf-8")
    problems = chk.check_site(tmp_path)[1]
    assert any(p.startswith("bad.html") and "network" in p for p in problems)
    assert any(p.startswith("missing.html") and "not in the build" for p in problems)
