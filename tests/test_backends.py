"""The Numba kernels agree with the NumPy reference on outputs and all gradients."""
import numpy as np
import pytest

from snu_np import SNU
from snu_np.surrogates import SURROGATES

pytestmark = pytest.mark.nojit   # with NUMBA_DISABLE_JIT=1 the kernels run as Python: still equal


def run(layer, x, dy, backend):
    layer.backend = backend
    y = layer.forward(x)
    dx = layer.backward(dy)
    return y, dx, {k: np.array(v, copy=True) for k, v in layer.grads.items()}


@pytest.mark.parametrize("case", range(24))
def test_backends_agree_float64(case):
    rng = np.random.default_rng(case)
    T, B = int(rng.integers(1, 9)), int(rng.integers(1, 5))
    n_in, n_out = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    kw = dict(soft=bool(rng.integers(2)), recurrent=bool(rng.integers(2)),
              g=["relu", "identity", "leaky_relu"][case % 3],
              surrogate=sorted(SURROGATES)[case % 5], detach_reset=bool(rng.integers(2)),
              train_decay=bool(rng.integers(2)), decay=float(rng.uniform(0, 1)),
              threshold=float(rng.uniform(0.1, 1.0)))
    layer = SNU(n_in, n_out, seed=case, **kw)
    x = rng.uniform(0, 1.5, (T, B, n_in))
    dy = rng.standard_normal((T, B, n_out))
    y1, dx1, g1 = run(layer, x, dy, "numpy")
    y2, dx2, g2 = run(layer, x, dy, "numba")
    np.testing.assert_allclose(y2, y1, rtol=0, atol=1e-10, err_msg=str(kw))
    np.testing.assert_allclose(dx2, dx1, rtol=0, atol=1e-10, err_msg=str(kw))
    assert g1.keys() == g2.keys()
    for k in g1:
        np.testing.assert_allclose(g2[k], g1[k], rtol=0, atol=1e-10, err_msg=f"{k} {kw}")


@pytest.mark.parametrize("soft,recurrent", [(False, False), (True, False), (True, True)])
def test_backends_agree_float32(soft, recurrent):
    rng = np.random.default_rng(7)
    layer = SNU(20, 16, soft=soft, recurrent=recurrent, dtype=np.float32, seed=0, threshold=0.5)
    x = (rng.uniform(0, 1, (10, 8, 20)) < 0.3).astype(np.float32)
    dy = rng.standard_normal((10, 8, 16)).astype(np.float32)
    y1, dx1, g1 = run(layer, x, dy, "numpy")
    y2, dx2, g2 = run(layer, x, dy, "numba")
    assert y2.dtype == np.float32 and dx2.dtype == np.float32 and g2["W"].dtype == np.float32
    # a float32 state near the threshold may round to the other side: allow a tiny fraction of flips
    assert np.mean(y1 != y2) < 1e-3 if not soft else np.allclose(y1, y2, atol=1e-5)
    if soft:
        np.testing.assert_allclose(dx2, dx1, atol=1e-4, rtol=1e-4)
        for k in g1:
            np.testing.assert_allclose(g2[k], g1[k], atol=1e-3, rtol=1e-4)


def test_global_backend_switch(rng):
    import snu_np
    layer = SNU(3, 2, soft=True, seed=0)
    x = rng.uniform(0, 1, (4, 2, 3))
    snu_np.set_backend("numpy")
    a = layer.forward(x)
    snu_np.set_backend("numba")
    b = layer.forward(x)
    np.testing.assert_allclose(a, b, atol=1e-12)
    with pytest.raises(ValueError, match="backend"):
        snu_np.set_backend("torch")


def test_custom_surrogate_is_never_replaced_by_a_builtin_formula(rng):
    from snu_np.surrogates import Tanh

    class Zero(Tanh):                      # a student's surrogate: the true derivative of the step
        name = "zero"

        def grad(self, u):
            return np.zeros_like(u)

    x = rng.uniform(0, 1.5, (6, 3, 4))
    for backend in ("numpy", "numba"):
        layer = SNU(4, 3, surrogate=Zero(), seed=0, backend=backend)
        layer.backward(np.ones_like(layer.forward(x)))
        assert not layer.grads["W"].any() and not layer.grads["b"].any(), backend

    class Shifted(Tanh):                   # same name as a built-in, different forward
        def fn(self, u):
            return self.primitive(u)

    a = SNU(4, 3, surrogate=Shifted(), seed=0, backend="numba").forward(x)
    b = SNU(4, 3, surrogate=Shifted(), seed=0, backend="numpy").forward(x)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("soft,recurrent,surrogate", [(True, False, "tanh"), (True, True, "tanh"),
                                                     (False, False, "tanh"), (False, True, "sigmoid")])
def test_wide_layer_paths_agree(monkeypatch, soft, recurrent, surrogate):
    """The paths that only wide layers take: the sSNU's sigmoid by NumPy step by step, and the
    pseudo-derivative in blocks of steps. Thresholds lowered so that small arrays take them."""
    import snu_np.constants as C
    monkeypatch.setattr(C, "NUMPY_SIGMOID_MIN", 1)
    monkeypatch.setattr(C, "PSEUDO_GRAD_BLOCK", 12)   # 5 x 4 = 20 elements per step: 1 step per block
    rng = np.random.default_rng(3)
    layer = SNU(6, 4, soft=soft, recurrent=recurrent, surrogate=surrogate, train_decay=True,
                seed=1, threshold=0.7)
    x = rng.uniform(0, 1.5, (7, 5, 6))
    x[2, 0] = 60.0                                # a state far above threshold: exp(-u) underflows
    dy = rng.standard_normal((7, 5, 4))
    layer.params["b"][:] = [-0.7, -90.0, -0.3, -1.2]   # sigmoid(-90): exp(90) overflows to inf -> 0
    y1, dx1, g1 = run(layer, x, dy, "numpy")
    y2, dx2, g2 = run(layer, x, dy, "numba")
    np.testing.assert_allclose(y2, y1, rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx2, dx1, rtol=0, atol=1e-10)
    for k in g1:
        np.testing.assert_allclose(g2[k], g1[k], rtol=0, atol=1e-10, err_msg=k)


def test_tanh_rational_is_tanh_to_float32_precision():
    """The rational tanh of the float32 pseudo-derivative kernel: within 3e-8 relative (below half a
    unit in the last place of float32) over the whole line; NaN stays NaN, +-inf gives +-1."""
    from snu_np.kernels.snu import tanh_rational
    x = np.concatenate([np.linspace(-20, 20, 8001), np.geomspace(1e-12, 20, 4000), [0.0]])
    got = np.array([tanh_rational(float(v)) for v in x])
    want = np.tanh(x)
    assert np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)) < 3e-8
    assert tanh_rational(np.inf) == 1.0 and tanh_rational(-np.inf) == -1.0
    assert np.isnan(tanh_rational(np.nan))


@pytest.mark.parametrize("name,alpha", [("tanh", 1.0), ("tanh", 2.5), ("sigmoid", 4.0), ("sigmoid", 1.0)])
def test_float32_pseudo_grad_kernel_matches_the_surrogate(name, alpha):
    """float32 with the tanh or sigmoid surrogate takes the jitted kernel: it agrees with the
    surrogate's formula in float64 to 1e-7, and is at least as close to it as NumPy's float32 passes."""
    import snu_np.kernels.snu as K
    rng = np.random.default_rng(7)
    s = np.abs(rng.standard_normal((3, 40, 50)) * 4).astype(np.float32)
    s[0, 0, :5] = [0.0, 1e-30, 30.0, 1e4, np.float32(3e38)]
    b = rng.uniform(-3, 0, 50).astype(np.float32)
    surr = SURROGATES[name](alpha)
    want = surr.grad(s.astype(np.float64) + b.astype(np.float64))
    got = K.pseudo_grad(s, s, b, False, surr.code, alpha, np.empty_like(s))
    with np.errstate(over="ignore"):                 # alpha * 3e38 overflows to inf: tanh = 1
        ref32 = K.pseudo_grad_block(s, s, b, False, surr.code, alpha, np.empty_like(s))  # NumPy's passes
    err, err32 = np.max(np.abs(got - want)), np.max(np.abs(ref32 - want))
    assert got.dtype == np.float32 and err < 1e-7 * max(1.0, alpha / 4)
    assert err <= err32


def test_float32_pseudo_grad_kernel_keeps_nan_and_inf():
    import snu_np.kernels.snu as K
    s = np.array([[[np.nan, np.inf, 0.0]]], dtype=np.float32)
    out = K.pseudo_grad(s, s, np.zeros(3, np.float32), False, K.TANH, 1.0, np.empty_like(s))
    assert np.isnan(out[0, 0, 0]) and out[0, 0, 1] == 0.0 and out[0, 0, 2] == 1.0


# --- the twin functions: kernels.snu against functional.snu, called directly ---------------------
@pytest.mark.parametrize("recurrent", [False, True])
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("need_dx", [False, True])
@pytest.mark.parametrize("wide", [False, True])
def test_snu_twin_functions_agree(monkeypatch, recurrent, soft, need_dx, wide):
    """``kernels.snu.snu_forward/snu_backward`` have the reference's signature and cache: the same
    s, y, dx and grads (float64, to 1e-10), and each backward accepts the other's cache."""
    import snu_np.constants as C
    from snu_np.functional import snu as F
    from snu_np.kernels import snu as K
    if wide:                                       # the paths of wide layers, on small arrays
        monkeypatch.setattr(C, "NUMPY_SIGMOID_MIN", 1)
        monkeypatch.setattr(C, "PSEUDO_GRAD_BLOCK", 7)
    rng = np.random.default_rng(int(soft) + 2 * int(recurrent) + 4 * int(wide))
    T, B, n_in, n = 6, 3, 5, 4
    x = rng.uniform(0, 1.5, (T, B, n_in))
    W = rng.normal(0, 0.8, (n_in, n))
    b = rng.uniform(-1, -0.2, n)
    H = rng.normal(0, 0.5, (n, n)) if recurrent else None
    args = (x, W, b, 0.7, H, soft, "leaky_relu", "sigmoid")
    s1, y1, c1 = F.snu_forward(*args)
    s2, y2, c2 = K.snu_forward(*args)
    assert set(c1) == set(c2)
    np.testing.assert_allclose(s2, s1, rtol=0, atol=1e-10)
    np.testing.assert_allclose(y2, y1, rtol=0, atol=1e-10)
    dy = rng.standard_normal(y1.shape)
    for cache in (c1, c2):                         # either backward on either forward's cache
        dx1, g1 = F.snu_backward(dy, cache, detach_reset=False, need_dx=need_dx)
        dx2, g2 = K.snu_backward(dy, cache, detach_reset=False, need_dx=need_dx)
        if need_dx:
            np.testing.assert_allclose(dx2, dx1, rtol=0, atol=1e-10)
        else:
            assert dx1 is None and dx2 is None
        assert set(g1) == set(g2) and isinstance(g2["decay"], float)
        for k in g1:
            np.testing.assert_allclose(g2[k], g1[k], rtol=0, atol=1e-10, err_msg=k)
            assert np.asarray(g2[k]).dtype == np.asarray(g1[k]).dtype, k


def test_snu_twin_refuses_a_custom_surrogate():
    from snu_np.kernels import snu as K
    from snu_np.surrogates import Tanh

    class Mine(Tanh):
        pass
    x = np.ones((2, 1, 3))
    with pytest.raises(ValueError, match="no Numba kernel"):
        K.snu_forward(x, np.ones((3, 2)), -np.ones(2), 0.8, surrogate=Mine())


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_sequential_backward_need_dx_false_returns_none(backend):
    from snu_np import GRU, LSTM, RNN, Dense, Sequential
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (4, 2, 3))
    for first in (SNU(3, 4, seed=0, backend=backend), RNN(3, 4, seed=0, backend=backend),
                  LSTM(3, 4, seed=0, backend=backend), GRU(3, 4, seed=0, backend=backend),
                  Dense(3, 4, seed=0)):
        net = Sequential([first, SNU(4, 2, soft=True, seed=1, backend=backend)])
        y = net.forward(x)
        dx = net.backward(np.ones_like(y))
        want = {k: g.copy() for k, g in first.grads.items()}
        assert dx.shape == x.shape
        assert net.backward(np.ones_like(y), need_dx=False) is None, type(first).__name__
        for k, g in first.grads.items():           # the parameter gradients do not depend on it
            np.testing.assert_array_equal(g, want[k], err_msg=f"{type(first).__name__} {k}")
