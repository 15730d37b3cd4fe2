"""Sequential and layer objects: sizes, parameter counts, config round trip, bad input."""
import numpy as np
import pytest

from snu_np import SNU, Dense, Sequential

pytestmark = pytest.mark.nojit


def test_paper_parameter_counts():
    snn = Sequential([SNU(784, 256), SNU(256, 256), SNU(256, 10)])
    assert snn.n_params == 269_322
    music = Sequential([SNU(88, 150), Dense(150, 88, activation="sigmoid")])
    assert music.n_params == 26_638
    rec = SNU(5, 4, recurrent=True, train_decay=True)
    assert rec.n_params == 5 * 4 + 4 + 4 * 4 + 1


def test_layer_defaults():
    layer = SNU(3, 2, seed=0)
    assert layer.decay == 0.8 and np.all(layer.params["b"] == -1.0)
    assert set(layer.params) == set(layer.grads) == {"W", "b"}
    assert set(SNU(3, 2, recurrent=True, train_decay=True).params) == {"W", "b", "H", "decay"}


def test_seeds_are_reproducible():
    a, b, c = SNU(4, 3, seed=7), SNU(4, 3, seed=7), SNU(4, 3, seed=8)
    np.testing.assert_array_equal(a.params["W"], b.params["W"])
    assert not np.array_equal(a.params["W"], c.params["W"])
    rng = np.random.default_rng(3)
    assert SNU(4, 3, seed=rng).params["W"].shape == (4, 3)


def test_config_round_trip(rng):
    net = Sequential([SNU(4, 5, soft=True, recurrent=True, g="leaky_relu", surrogate="arctan", seed=0),
                      Dense(5, 3, activation="sigmoid", seed=1)])
    clone = Sequential.from_config(net.get_config())
    clone.load_state_dict(net.state_dict())
    x = rng.uniform(0, 1, (4, 2, 4))
    np.testing.assert_array_equal(clone.forward(x), net.forward(x))
    assert clone.layers[0].surrogate.name == "arctan"


def test_float32_end_to_end(rng):
    net = Sequential([SNU(4, 5, dtype=np.float32, seed=0), SNU(5, 2, dtype=np.float32, seed=1)])
    y = net.forward(rng.uniform(0, 1, (3, 2, 4)).astype(np.float32))
    assert y.dtype == np.float32
    dx = net.backward(np.ones_like(y))
    assert dx.dtype == np.float32 and all(g.dtype == np.float32 for _, _, g in net.parameters())


@pytest.mark.parametrize("make,match,exc", [
    (lambda: SNU(3, 2, decay=1.5), "decay must be <= 1", ValueError),
    (lambda: SNU(3, 2, decay=-0.1), "decay must be >= 0", ValueError),
    (lambda: SNU(0, 2), "n_in must be >= 1", ValueError),
    (lambda: SNU(3, 2.5), "n_out must be an integer", TypeError),
    (lambda: SNU(3, 2, g="tanh"), "g must be one of", ValueError),
    (lambda: SNU(3, 2, surrogate="magic"), "surrogate must be one of", ValueError),
    (lambda: SNU(3, 2, surrogate_scale=0), "scale must be >", ValueError),
    (lambda: SNU(3, 2, dtype=np.int32), "dtype", TypeError),
    (lambda: SNU(3, 2, backend="torch"), "backend", ValueError),
    (lambda: SNU(3, 2, seed="x"), "seed", TypeError),
    (lambda: Dense(3, 2, activation="relu"), "activation", ValueError),
    (lambda: Sequential([SNU(3, 2), SNU(3, 2)]), r"layers\[1\].n_in = 3 does not match", ValueError),
    (lambda: Sequential([]), "non-empty", ValueError),
    (lambda: Sequential(["SNU"]), "must be a Layer", TypeError),
])
def test_bad_construction(make, match, exc):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize("x,match,exc", [
    (np.zeros((3, 2, 5)), r"x must have shape \(T, B, 4\)", ValueError),
    (np.zeros((2, 4)), "x must have 3 dimensions", ValueError),
    (np.zeros((3, 2, 4), dtype=np.int64), "float array", TypeError),
    (np.full((3, 2, 4), np.inf), "NaN or inf", ValueError),
    ([[1, 2]], "3 dimensions", ValueError),
])
def test_bad_forward_input(x, match, exc):
    with pytest.raises(exc, match=match):
        SNU(4, 3).forward(x)


def test_bad_backward_input():
    layer = SNU(4, 3)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((2, 1, 3)))
    layer.forward(np.zeros((2, 1, 4)))
    with pytest.raises(ValueError, match="dy must have shape"):
        layer.backward(np.zeros((2, 1, 4)))


def test_load_state_dict_mismatch():
    net = Sequential([SNU(4, 3)])
    with pytest.raises(ValueError, match="missing"):
        net.load_state_dict({"0.W": np.zeros((4, 3))})
    with pytest.raises(ValueError, match="W must have shape"):
        net.load_state_dict({"0.W": np.zeros((3, 3)), "0.b": np.zeros(3)})


def test_sequential_passes_options_as_arguments_not_attributes(rng):
    """Per-call options (need_dx, check_finite) reach the layers as arguments: a pass writes only
    the layers' cache and grads, so layer objects shared by threads never see each other's flags."""
    net = Sequential([SNU(4, 5, seed=0), Dense(5, 3, seed=1)])
    before = [set(vars(layer)) for layer in net.layers]
    y = net.forward(rng.uniform(0, 1, (3, 2, 4)))
    assert net.backward(np.ones_like(y), need_dx=False) is None
    for layer, keys in zip(net.layers, before):
        assert set(vars(layer)) == keys
        assert not hasattr(layer, "_trusted") and not hasattr(layer, "need_dx")


def test_check_finite_false_still_checks_shape_and_dtype():
    layer = SNU(4, 3, seed=0)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 4\)"):
        layer.forward(np.zeros((3, 2, 5)), check_finite=False)
    with pytest.raises(TypeError, match="float array"):
        layer.forward(np.zeros((3, 2, 4), dtype=np.int64), check_finite=False)
    x = np.full((3, 2, 4), np.nan)
    with pytest.raises(ValueError, match="NaN or inf"):
        layer.forward(x)
    assert layer.forward(x, check_finite=False).shape == (3, 2, 3)       # not scanned: no error
