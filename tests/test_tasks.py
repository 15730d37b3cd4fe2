"""build_model: the paper's networks, and the sSNU initialisation that keeps units alive."""
import numpy as np
import pytest

from snu_np.tasks import build_model


def test_ssnu_layers_fed_by_ssnus_have_zero_column_means():
    net = build_model("jittered-mnist", "ssnu", (64, 32), seed=0)
    first = net.layers[0].params["W"]
    assert abs(first.mean(axis=0)).max() > 1e-3            # the input layer is left alone
    for layer in net.layers[1:]:
        np.testing.assert_allclose(layer.params["W"].mean(axis=0), 0.0, atol=1e-6)
    snu = build_model("jittered-mnist", "snu", (64, 32), seed=0)
    assert abs(snu.layers[1].params["W"].mean(axis=0)).max() > 1e-3     # SNU default unchanged


def test_centering_keeps_hidden_units_alive():
    # the constant sSNU output sigmoid(-1) = 0.27 must not push units of the next layer below zero
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(20, 64, 784)) < 0.1).astype(np.float32)
    dead = {}
    for centre in (False, True):
        net = build_model("jittered-mnist", "ssnu", (256, 256), seed=0, center_inputs=centre)
        net.forward(x)
        s = net.layers[1].cache["s"]
        dead[centre] = np.mean((s == 0).all(axis=(0, 1)))
    assert dead[False] > 0.1 and dead[True] < dead[False] / 2, dead


@pytest.mark.parametrize("model,n", [("snu", 269_322), ("ssnu", 269_322), ("rnn", 400_494)])
def test_paper_parameter_counts(model, n):
    assert build_model("jittered-mnist", model, (256, 256)).n_params == n
    assert build_model("jsb", "snu", (150,)).n_params == 26_638


def test_cell_options_of_build_model():
    import numpy as np
    from snu_np.tasks import build_model
    base = build_model("jsb", "ssnu", (12,), recurrent=True, seed=3)
    net = build_model("jsb", "ssnu", (12,), recurrent=True, seed=3, h_scale=0.1, threshold=2.0,
                      surrogate="arctan", detach_reset=True)
    hidden = net.layers[0]
    np.testing.assert_allclose(hidden.params["H"], 0.1 * base.layers[0].params["H"], rtol=1e-6)
    np.testing.assert_array_equal(hidden.params["W"], base.layers[0].params["W"])   # same draws
    assert np.all(hidden.params["b"] == -2.0) and hidden.detach_reset and hidden.surrogate.name == "arctan"
    for bad in (dict(h_scale=-1.0), dict(threshold=0.0), dict(surrogate="relu")):
        with pytest.raises(ValueError):
            build_model("jsb", "snu", (4,), **bad)
