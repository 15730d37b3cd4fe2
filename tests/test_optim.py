"""Optimisers: they minimise, keep decay in range, clip, stop on NaN, resume exactly."""
import numpy as np
import pytest

from snu_np import SGD, SNU, Adam, Sequential, clip_grad_norm, window_mse

pytestmark = pytest.mark.nojit


class Quadratic:
    """L = 0.5 ||p - 3||^2, so grad = p - 3."""

    def __init__(self):
        self.p = np.zeros(4)
        self.g = np.zeros(4)

    def parameters(self):
        return [("p", self.p, self.g)]

    def compute(self):
        self.g[...] = self.p - 3.0


@pytest.mark.parametrize("make", [lambda m: SGD(m, lr=0.1, momentum=0.9), lambda m: Adam(m, lr=0.1)])
def test_minimises_a_quadratic(make):
    m = Quadratic()
    opt = make(m)
    for _ in range(300):
        m.compute()
        opt.step()
    np.testing.assert_allclose(m.p, 3.0, atol=1e-3)


def test_clip_grad_norm():
    m = Quadratic()
    m.g[...] = [3.0, 4.0, 0.0, 0.0]
    assert clip_grad_norm(m, 1.0) == pytest.approx(5.0)
    assert np.linalg.norm(m.g) == pytest.approx(1.0)


def test_nan_gradient_stops_with_name():
    m = Quadratic()
    m.g[2] = np.nan
    with pytest.raises(FloatingPointError, match="p.*update 1"):
        Adam(m).step()


def test_trainable_decay_stays_in_range():
    net = Sequential([SNU(2, 2, soft=True, train_decay=True, decay=0.99, seed=0)])
    net.layers[0].grads["decay"][...] = -1000.0      # pushes decay up
    SGD(net, lr=1.0).step()
    assert net.layers[0].decay == 1.0


def test_training_lowers_the_loss_and_state_resumes(rng):
    x = rng.uniform(0, 1, (6, 8, 5))
    labels = rng.integers(0, 3, 8)

    def make():
        net = Sequential([SNU(5, 8, soft=True, threshold=0.5, seed=1), SNU(8, 3, soft=True, threshold=0.5, seed=2)])
        return net, Adam(net, lr=0.02)

    def steps(net, opt, n):
        losses = []
        for _ in range(n):
            loss, dy = window_mse(net.forward(x), labels)
            net.backward(dy)
            opt.step()
            losses.append(loss)
        return losses

    net, opt = make()
    losses = steps(net, opt, 40)
    assert losses[-1] < 0.85 * losses[0]
    # resume: 20 steps, save both states, load into fresh objects, 20 more == 40 straight
    net2, opt2 = make()
    steps(net2, opt2, 20)
    params, ostate = net2.state_dict(), opt2.state_dict()
    net3, opt3 = make()
    net3.load_state_dict(params)
    opt3.load_state_dict(ostate)
    steps(net3, opt3, 20)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(net3.state_dict()[k], v)


class Matrix:
    """One weight matrix and one bias, both with zero gradient."""

    def __init__(self):
        self.W, self.b = np.full((2, 3), 2.0), np.full(3, 2.0)
        self.gW, self.gb = np.zeros((2, 3)), np.zeros(3)

    def parameters(self):
        return [("W", self.W, self.gW), ("b", self.b, self.gb)]


@pytest.mark.parametrize("make", [lambda m: SGD(m, lr=0.1, weight_decay=0.5),
                                  lambda m: SGD(m, lr=0.1, momentum=0.9, weight_decay=0.5),
                                  lambda m: Adam(m, lr=0.1, weight_decay=0.5)])
def test_weight_decay_shrinks_matrices_only(make):
    m = Matrix()
    opt = make(m)
    for _ in range(3):
        opt.step()
    # zero gradients: only the decay acts, (1 - lr * lambda)^3 on W; b untouched
    np.testing.assert_allclose(m.W, 2.0 * 0.95 ** 3, rtol=1e-12)
    np.testing.assert_allclose(m.b, 2.0)


def test_sgd_weight_decay_is_an_l2_penalty():
    a, b = Matrix(), Matrix()
    a.gW[...] = b.gW[...] = 0.3
    SGD(a, lr=0.1, weight_decay=0.5).step()
    b.gW += 0.5 * b.W                        # gradient of the penalty 0.5 * lambda * |W|^2
    SGD(b, lr=0.1).step()
    np.testing.assert_allclose(a.W, b.W, rtol=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError, match="weight_decay"):
        Adam(Quadratic(), weight_decay=-1e-3)
    with pytest.raises(ValueError, match="lr"):
        Adam(Quadratic(), lr=0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(Quadratic(), momentum=1.0)
    with pytest.raises(TypeError, match="parameters"):
        Adam(object())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_kernel_equals_reference(dtype):
    """The same operations in the same order, each in the parameter's dtype: the same bits."""
    import snu_np
    rng = np.random.default_rng(0)
    results = {}
    for backend in ("numpy", "numba"):
        snu_np.set_backend(backend)
        net = Sequential([SNU(6, 5, recurrent=True, train_decay=True, dtype=dtype, seed=1)])
        opt = Adam(net, lr=0.01)
        for step in range(5):
            for _, _, g in net.parameters():
                g[...] = np.random.default_rng(step).standard_normal(g.shape)
            opt.step()
        results[backend] = net.state_dict()
    for k in results["numpy"]:
        np.testing.assert_array_equal(results["numba"][k], results["numpy"][k], err_msg=k)


@pytest.mark.parametrize("layers,global_backend,fused", [("numba", "numpy", True), ("numpy", "numba", False),
                                                        (None, "numba", True), (None, "numpy", False)])
def test_adam_follows_the_layers_backend(monkeypatch, layers, global_backend, fused):
    """Adam runs its fused kernel when the model's layers run on numba, whatever the global setting."""
    import snu_np
    import snu_np.kernels.optim as KO
    snu_np.set_backend(global_backend)
    calls = []
    kernel, reference = KO.adam_update_kernel, Adam._update_reference
    monkeypatch.setattr(KO, "adam_update_kernel", lambda *a: (calls.append("kernel"), kernel(*a)))
    monkeypatch.setattr(Adam, "_update_reference", lambda self, *a: (calls.append("reference"), reference(self, *a)))
    net = Sequential([SNU(4, 3, seed=0, backend=layers), SNU(3, 2, seed=1, backend=layers)])
    assert net.backend == ("numba" if fused else "numpy")
    opt = Adam(net, lr=0.01)
    for _, _, g in net.parameters():
        g[...] = 0.5
    opt.step()
    assert calls == ["kernel" if fused else "reference"] * 4


def test_a_model_without_backend_follows_the_global_setting():
    import snu_np
    m = Quadratic()
    snu_np.set_backend("numpy")
    assert Adam(m)._backend() == "numpy"
    snu_np.set_backend("numba")
    assert Adam(m)._backend() == "numba"


# ---------------------------------------------------------------------------------------------- moving average
@pytest.mark.parametrize("make", [lambda m: SGD(m, lr=0.1, momentum=0.5, ema=0.9),
                                  lambda m: Adam(m, lr=0.1, ema=0.9)])
def test_moving_average_is_the_weighted_mean_of_the_iterates(make):
    m = Quadratic()
    opt = make(m)
    iterates = []
    for _ in range(7):
        m.compute()
        opt.step()
        iterates.append(m.p.copy())
    # eq. (ema): m_t / (1 - beta^t) = sum_k beta^(t-k) (1 - beta) p_k / (1 - beta^t)
    w = 0.9 ** np.arange(6, -1, -1)
    expected = (w[:, None] * np.array(iterates)).sum(0) / w.sum()
    np.testing.assert_allclose(opt.average("p"), expected, rtol=1e-12)
    assert not np.allclose(expected, m.p)              # the average lags the live parameters


def test_averaged_swaps_in_and_restores_even_on_error():
    m = Quadratic()
    opt = Adam(m, lr=0.5, ema=0.5)
    with opt.averaged():                               # before any update: the live parameters
        np.testing.assert_array_equal(m.p, 0.0)
    for _ in range(3):
        m.compute()
        opt.step()
    live = m.p.copy()
    with opt.averaged() as model:
        assert model is m
        np.testing.assert_array_equal(m.p, opt.average("p"))
    np.testing.assert_array_equal(m.p, live)
    with pytest.raises(RuntimeError, match="boom"):
        with opt.averaged():
            raise RuntimeError("boom")
    np.testing.assert_array_equal(m.p, live)
    with Adam(Quadratic()).averaged() as plain:        # no ema: nothing is swapped
        np.testing.assert_array_equal(plain.p, 0.0)


def test_moving_average_resumes_exactly_and_refuses_a_state_without_it():
    def run(opt, m, n):
        for _ in range(n):
            m.compute()
            opt.step()

    a = Quadratic()
    oa = Adam(a, lr=0.1, ema=0.8)
    run(oa, a, 6)
    b = Quadratic()
    ob = Adam(b, lr=0.1, ema=0.8)
    run(ob, b, 3)
    state, p = ob.state_dict(), b.p.copy()
    c = Quadratic()
    c.p[...] = p
    oc = Adam(c, lr=0.1, ema=0.8)
    oc.load_state_dict(state)
    run(oc, c, 3)
    np.testing.assert_array_equal(oc.average("p"), oa.average("p"))
    with pytest.raises(KeyError, match="no moving average of p"):
        Adam(Quadratic(), ema=0.8).load_state_dict(Adam(Quadratic()).state_dict())
    with pytest.raises(ValueError, match="keeps no average"):
        Adam(Quadratic()).average("p")
    with pytest.raises(ValueError, match="no update yet"):
        Adam(Quadratic(), ema=0.8).average("p")


@pytest.mark.parametrize("ema", [0.0, 1.0, -0.5, float("nan")])
def test_moving_average_decay_must_be_inside_0_1(ema):
    with pytest.raises(ValueError, match="ema"):
        Adam(Quadratic(), ema=ema)
