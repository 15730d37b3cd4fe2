"""The non-spiking baselines RNN, LSTM and GRU: gradients, backends, parameter counts, checks, I/O."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from snu_np import Sequential
from snu_np.functional import gru as FG
from snu_np.functional import lstm as FL
from snu_np.functional import rnn as FR
from snu_np.functional.losses import softmax_cross_entropy, window_mse
from snu_np.gradcheck import check_layer, check_network
from snu_np.layers import LAYER_TYPES, Dense
from snu_np.layers.rnn import GRU, LSTM, RNN

ROOT = Path(__file__).resolve().parents[1]
CELLS = [RNN, LSTM, GRU]
GATES = {RNN: 1, LSTM: 4, GRU: 3}


def run(layer, x, dy, backend):
    layer.backend = backend
    y = layer.forward(x)
    dx = layer.backward(dy)
    return y, dx, {k: np.array(v, copy=True) for k, v in layer.grads.items()}


# --- gradient checks ---------------------------------------------------------------------------
@pytest.mark.nojit
@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("cls", CELLS)
def test_gradcheck_layer(cls, backend):
    layer = cls(4, 3, seed=0, backend=backend)
    for p in layer.params.values():          # move away from the symmetric initial point
        p += np.random.default_rng(5).normal(0, 0.3, p.shape)
    x = np.random.default_rng(1).standard_normal((5, 3, 4))
    report = check_layer(layer, x)
    assert set(report) == {"W", "H", "b", "x"}
    assert report.max_error < 1e-6, str(report)


@pytest.mark.parametrize("cls", CELLS)
def test_gradcheck_single_step_and_single_sample(cls):
    x = np.random.default_rng(2).standard_normal((1, 1, 2))
    assert check_layer(cls(2, 2, seed=3, backend="numpy"), x).max_error < 1e-6


def test_gradcheck_stack_softmax_ce():
    net = Sequential([LSTM(4, 5, seed=0, backend="numpy"), GRU(5, 3, seed=1, backend="numba")])
    x = np.random.default_rng(3).standard_normal((5, 3, 4))
    report = check_network(net, softmax_cross_entropy, x, np.array([0, 2, 1]), window=(2, 5))
    assert report.max_error < 1e-6, str(report)


def test_gradcheck_stack_window_mse():
    net = Sequential([RNN(4, 6, seed=0), LSTM(6, 3, seed=1), Dense(3, 3, seed=2)])
    x = np.random.default_rng(4).standard_normal((5, 3, 4))
    report = check_network(net, window_mse, x, np.array([1, 0, 2]))
    assert report.max_error < 1e-6, str(report)


def test_wrong_backward_is_caught():
    """The check has teeth: drop the reset path of the GRU and it fails."""
    layer = GRU(4, 3, seed=0, backend="numpy")
    x = np.random.default_rng(1).standard_normal((5, 3, 4))
    orig = FG.gru_step_backward

    def broken(dh, cache):
        d = orig(dh, cache)
        x_t, h_prev, gates, W, H = cache
        n = h_prev.shape[1]
        drh = (dh * (1 - gates[:, n:2 * n]) * (1 - gates[:, 2 * n:] ** 2)) @ H[:, 2 * n:].T
        d["dh_prev"] = d["dh_prev"] - drh * gates[:, :n]
        return d

    FG.gru_step_backward = broken
    try:
        assert check_layer(layer, x).max_error > 1e-3
    finally:
        FG.gru_step_backward = orig


# --- step functions vs sequence functions ------------------------------------------------------
def _params(cls, n_in, n, rng):
    k = GATES[cls]
    return (rng.normal(0, 0.5, (n_in, k * n)), rng.normal(0, 0.5, (n, k * n)), rng.normal(0, 0.5, k * n))


@pytest.mark.parametrize("cls", CELLS)
def test_steps_match_sequence(cls):
    rng = np.random.default_rng(6)
    T, B, n_in, n = 4, 2, 3, 5
    W, H, b = _params(cls, n_in, n, rng)
    x = rng.standard_normal((T, B, n_in))
    dy = rng.standard_normal((T, B, n))
    h_prev = np.zeros((B, n))
    c_prev = np.zeros((B, n))
    caches = []
    if cls is RNN:
        h, cache = FR.rnn_forward(x, W, H, b)
        for t in range(T):
            h_prev, sc = FR.rnn_step_forward(x[t], h_prev, W, H, b)
            caches.append(sc)
            np.testing.assert_array_equal(h_prev, h[t])
        dx, g = FR.rnn_backward(dy, cache)
    elif cls is LSTM:
        h, c, cache = FL.lstm_forward(x, W, H, b)
        for t in range(T):
            h_prev, c_prev, sc = FL.lstm_step_forward(x[t], h_prev, c_prev, W, H, b)
            caches.append(sc)
            np.testing.assert_array_equal(h_prev, h[t])
            np.testing.assert_array_equal(c_prev, c[t])
        dx, g = FL.lstm_backward(dy, cache)
    else:
        h, cache = FG.gru_forward(x, W, H, b)
        for t in range(T):
            h_prev, sc = FG.gru_step_forward(x[t], h_prev, W, H, b)
            caches.append(sc)
            np.testing.assert_array_equal(h_prev, h[t])
        dx, g = FG.gru_backward(dy, cache)
    # hand-rolled BPTT with the step caches of the forward steps
    dh_next = np.zeros((B, n))
    dc_next = np.zeros((B, n))
    acc = {"W": 0.0, "H": 0.0, "b": 0.0}
    for t in reversed(range(T)):
        if cls is LSTM:
            d = FL.lstm_step_backward(dy[t] + dh_next, dc_next, caches[t])
            dc_next = d["dc_prev"]
        else:
            d = (FR.rnn_step_backward if cls is RNN else FG.gru_step_backward)(dy[t] + dh_next, caches[t])
        np.testing.assert_allclose(d["dx"], dx[t], rtol=1e-12, atol=1e-14)
        for k in acc:
            acc[k] = acc[k] + d["d" + k]
        dh_next = d["dh_prev"]
    for k in acc:
        np.testing.assert_allclose(acc[k], g[k], rtol=1e-12, atol=1e-14)


def test_lstm_cell_carries_memory():
    """With i = 1, f = 1 (large biases) the cell is a running sum of g: c_t = sum_{s<=t} g_s."""
    n = 2
    W = np.zeros((1, 4 * n))
    W[0, 2 * n:3 * n] = 1.0                      # a_g = x
    H = np.zeros((n, 4 * n))
    b = np.zeros(4 * n)
    b[:2 * n] = 50.0                              # i, f saturate at 1
    x = np.full((6, 1, 1), 0.3)
    _, c, _ = FL.lstm_forward(x, W, H, b)
    np.testing.assert_allclose(c[:, 0, 0], np.tanh(0.3) * np.arange(1, 7), rtol=1e-12)


# --- backends ----------------------------------------------------------------------------------
@pytest.mark.nojit
@pytest.mark.parametrize("case", range(6))
@pytest.mark.parametrize("cls", CELLS)
def test_backends_agree_float64(cls, case):
    rng = np.random.default_rng(100 + case)
    T, B = int(rng.integers(1, 7)), int(rng.integers(1, 5))
    n_in, n = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    layer = cls(n_in, n, seed=case)
    x = rng.normal(0, 2.0, (T, B, n_in))
    dy = rng.standard_normal((T, B, n))
    y1, dx1, g1 = run(layer, x, dy, "numpy")
    y2, dx2, g2 = run(layer, x, dy, "numba")
    np.testing.assert_allclose(y2, y1, rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx2, dx1, rtol=0, atol=1e-10)
    assert g1.keys() == g2.keys() == {"W", "H", "b"}
    for k in g1:
        np.testing.assert_allclose(g2[k], g1[k], rtol=0, atol=1e-10, err_msg=k)
    assert layer.cache.keys() >= {"x", "h"}


@pytest.mark.nojit
@pytest.mark.parametrize("cls", CELLS)
def test_forward_and_backward_on_different_backends(cls):
    rng = np.random.default_rng(9)
    layer = cls(3, 4, seed=0)
    x = rng.standard_normal((5, 2, 3))
    dy = rng.standard_normal((5, 2, 4))
    _, dx_ref, g_ref = run(layer, x, dy, "numpy")
    for fwd, bwd in (("numpy", "numba"), ("numba", "numpy")):
        layer.backend = fwd
        layer.forward(x)
        layer.backend = bwd
        dx = layer.backward(dy)
        np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=1e-10)
        for k in g_ref:
            np.testing.assert_allclose(layer.grads[k], g_ref[k], rtol=0, atol=1e-10)


@pytest.mark.parametrize("cls", CELLS)
def test_backends_agree_float32(cls):
    rng = np.random.default_rng(7)
    layer = cls(20, 16, dtype=np.float32, seed=0)
    x = rng.standard_normal((10, 8, 20)).astype(np.float32)
    dy = rng.standard_normal((10, 8, 16)).astype(np.float32)
    y1, dx1, g1 = run(layer, x, dy, "numpy")
    y2, dx2, g2 = run(layer, x, dy, "numba")
    for arr in (y1, y2, dx1, dx2, *g1.values(), *g2.values()):
        assert arr.dtype == np.float32
    np.testing.assert_allclose(y2, y1, atol=1e-5)
    np.testing.assert_allclose(dx2, dx1, atol=1e-4, rtol=1e-4)
    for k in g1:
        np.testing.assert_allclose(g2[k], g1[k], atol=1e-3, rtol=1e-4, err_msg=k)
    # and float32 stays close to the float64 answer
    layer64 = cls(20, 16, seed=0)
    y64, dx64, _ = run(layer64, x.astype(np.float64), dy.astype(np.float64), "numpy")
    np.testing.assert_allclose(y1, y64, atol=1e-5)


def test_backends_agree_without_jit():
    """NUMBA_DISABLE_JIT=1 runs the kernels as Python: same numbers."""
    code = (
        "import numpy as np\n"
        "from snu_np.layers.rnn import RNN, LSTM, GRU\n"
        "rng = np.random.default_rng(0)\n"
        "for cls in (RNN, LSTM, GRU):\n"
        "    x = rng.normal(0, 30.0, (3, 2, 4)); dy = rng.standard_normal((3, 2, 3))\n"
        "    out = []\n"
        "    for be in ('numpy', 'numba'):\n"
        "        l = cls(4, 3, seed=1, backend=be); y = l.forward(x); dx = l.backward(dy)\n"
        "        out.append([y, dx] + [l.grads[k] for k in ('W', 'H', 'b')])\n"
        "    for a, b in zip(*out):\n"
        "        assert np.allclose(a, b, rtol=0, atol=1e-10), cls.__name__\n"
        "print('ok')\n")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


def test_global_backend_is_followed():
    import snu_np
    layer = LSTM(3, 2, seed=0)                   # backend=None: follows set_backend
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    snu_np.set_backend("numpy")
    y1 = layer.forward(x)
    snu_np.set_backend("numba")
    y2 = layer.forward(x)
    np.testing.assert_allclose(y1, y2, rtol=0, atol=1e-12)


# --- parameters and initialisation -------------------------------------------------------------
def test_paper_parameter_count():
    net = Sequential([RNN(784, 256, seed=0), RNN(256, 256, seed=1), RNN(256, 10, seed=2)])
    assert net.n_params == 400_494


@pytest.mark.parametrize("cls", CELLS)
@pytest.mark.parametrize("n_in,n", [(784, 256), (256, 256), (5, 1)])
def test_parameter_formula(cls, n_in, n):
    layer = cls(n_in, n, seed=0, dtype=np.float32)
    k = GATES[cls]
    assert layer.n_params == k * (n_in * n + n * n + n)
    assert layer.params["W"].shape == (n_in, k * n)
    assert layer.params["H"].shape == (n, k * n)
    assert layer.params["b"].shape == (k * n,)
    assert all(p.dtype == np.float32 for p in layer.params.values())


def test_stack_counts():
    shape = [(784, 256), (256, 256), (256, 10)]
    assert Sequential([LSTM(a, b, seed=0) for a, b in shape]).n_params == 1_601_976
    assert Sequential([GRU(a, b, seed=0) for a, b in shape]).n_params == 1_201_482


@pytest.mark.parametrize("cls", CELLS)
def test_initialisation(cls):
    layer = cls(30, 8, seed=0)
    n, k = 8, GATES[cls]
    for j in range(k):
        Hj = layer.params["H"][:, j * n:(j + 1) * n]
        np.testing.assert_allclose(Hj.T @ Hj, np.eye(n), atol=1e-12)     # orthogonal blocks
        Wj = layer.params["W"][:, j * n:(j + 1) * n]
        assert np.abs(Wj).max() <= np.sqrt(6.0 / (30 + n))                # Glorot per block
    want_b = np.zeros(k * n)
    if cls is LSTM:
        want_b[n:2 * n] = 1.0
    np.testing.assert_array_equal(layer.params["b"], want_b)
    again = cls(30, 8, seed=0)
    for key in layer.params:
        np.testing.assert_array_equal(layer.params[key], again.params[key])
    assert not np.array_equal(cls(30, 8, seed=1).params["W"], layer.params["W"])


def test_forget_bias_option():
    layer = LSTM(3, 2, forget_bias=-0.5, seed=0)
    np.testing.assert_array_equal(layer.params["b"], [0, 0, -0.5, -0.5, 0, 0, 0, 0])


@pytest.mark.parametrize("cls", CELLS)
def test_backward_overwrites_grads(cls):
    layer = cls(3, 2, seed=0)
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    dy = np.ones((4, 2, 2))
    layer.forward(x)
    layer.backward(dy)
    first = {k: v.copy() for k, v in layer.grads.items()}
    layer.backward(dy)
    for k in first:
        np.testing.assert_array_equal(layer.grads[k], first[k])


# --- argument checks ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", CELLS)
def test_bad_input(cls):
    layer = cls(4, 3, seed=0)
    with pytest.raises(ValueError, match=r"\bx\b.*n_in=4"):
        layer.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"\bx\b"):
        layer.forward(np.zeros((5, 4)))
    with pytest.raises(TypeError, match=r"\bx\b.*float"):
        layer.forward(np.zeros((5, 2, 4), dtype=np.int64))
    bad = np.zeros((5, 2, 4))
    bad[1, 0, 2] = np.nan
    with pytest.raises(ValueError, match=r"\bx\b.*NaN"):
        layer.forward(bad)
    with pytest.raises(RuntimeError, match="before forward"):
        cls(4, 3, seed=0).backward(np.zeros((5, 2, 3)))
    layer.forward(np.zeros((5, 2, 4)))
    with pytest.raises(ValueError, match=r"\bdy\b"):
        layer.backward(np.zeros((5, 2, 4)))
    with pytest.raises(TypeError, match="n_in"):
        cls(4.0, 3)
    with pytest.raises(ValueError, match="n_out"):
        cls(4, 0)
    with pytest.raises(TypeError, match="dtype"):
        cls(4, 3, dtype=np.int32)
    with pytest.raises(ValueError, match="backend"):
        cls(4, 3, backend="cuda")


def test_bad_forget_bias():
    with pytest.raises(TypeError, match="forget_bias"):
        LSTM(4, 3, forget_bias="1")


def test_float32_layer_casts_float64_input():
    layer = GRU(4, 3, dtype=np.float32, seed=0)
    y = layer.forward(np.random.default_rng(0).standard_normal((2, 2, 4)))
    assert y.dtype == np.float32


# --- save / rebuild ----------------------------------------------------------------------------
def test_registered_kinds():
    assert LAYER_TYPES["rnn"] is RNN and LAYER_TYPES["lstm"] is LSTM and LAYER_TYPES["gru"] is GRU


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_config_and_state_roundtrip(dtype):
    net = Sequential([RNN(4, 5, seed=0, dtype=dtype), LSTM(5, 6, forget_bias=0.5, seed=1, dtype=dtype),
                      GRU(6, 3, seed=2, dtype=dtype, backend="numpy")])
    cfg = json.loads(json.dumps(net.get_config()))            # JSON-serialisable
    assert [c["kind"] for c in cfg["layers"]] == ["rnn", "lstm", "gru"]
    clone = Sequential.from_config(cfg)
    assert clone.layers[1].forget_bias == 0.5 and clone.layers[2].backend == "numpy"
    assert clone.layers[0].dtype == np.dtype(dtype)
    x = np.random.default_rng(0).standard_normal((5, 2, 4)).astype(dtype)
    assert not np.allclose(clone.forward(x), net.forward(x))   # fresh weights differ ...
    state = {k: v.copy() for k, v in net.state_dict().items()}
    clone.load_state_dict(state)                               # ... until the state is loaded
    np.testing.assert_array_equal(clone.forward(x), net.forward(x))
    dy = np.ones_like(net.forward(x))
    np.testing.assert_array_equal(clone.backward(dy), net.backward(dy))


# --- docs --------------------------------------------------------------------------------------
MY_FILES = ["snu_np/functional/rnn.py", "snu_np/functional/lstm.py", "snu_np/functional/gru.py",
            "snu_np/layers/rnn.py", "snu_np/kernels/recurrent.py"]


def test_doc_labels_match_code():
    doc = (ROOT / "docs/derivations/baselines.md").read_text()
    labels = set(re.findall(r"^\$\$ \(([\w-]+)\)\s*$", doc, flags=re.M))
    assert {"rnn-step", "rnn-bptt", "lstm-step", "lstm-bptt", "gru-step", "gru-bptt"} <= labels
    cited = set()
    for f in MY_FILES:
        cited |= set(re.findall(r":eq:`([\w-]+)`", (ROOT / f).read_text()))
    assert cited - labels == set(), "cited in code but missing from the docs"
    assert labels - cited == set(), "labelled in the docs but cited by no docstring"
    # the plain "(label)" comments next to code lines must name real labels too
    for f in MY_FILES:
        for lab in re.findall(r"#.*?\(((?:rnn|lstm|gru)-[\w-]+)\)", (ROOT / f).read_text()):
            assert lab in labels, f"{f}: comment cites unknown label {lab}"


# --- learning ----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", CELLS)
def test_learns_to_remember_the_first_input(cls):
    """A tiny memory task: output at the last step the sign of the first input (zeros after)."""
    from snu_np import Adam
    rng = np.random.default_rng(0)
    T, B = 6, 32
    x = np.zeros((T, B, 1))
    labels = rng.integers(0, 2, B)
    x[0, :, 0] = 2.0 * labels - 1.0
    net = Sequential([cls(1, 8, seed=0), Dense(8, 2, seed=1)])
    opt = Adam(net, lr=0.05)
    losses = []
    for _ in range(40):
        loss, dy = softmax_cross_entropy(net.forward(x), labels, window=(T - 1, T))
        net.backward(dy)
        opt.step()
        losses.append(loss)
    assert losses[-1] < 0.2 * losses[0]
