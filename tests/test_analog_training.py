"""Analog hardware in the training loop: hardware-aware noise, clipping, quantisation-aware and
simulated in-memory (mixed-precision) training, each a setting of the run, each resumable exactly."""
import numpy as np
import pytest

from snu_np.train import train

KW = dict(layers=(8,), batch_size=50, limit_train=100, limit_test=40, lr=3e-3, progress=False, verbose=False)


def _weights(res):
    return {k: v.copy() for k, v in res["net"].state_dict().items()}


@pytest.mark.parametrize("settings", [
    dict(weight_noise=2.0),
    dict(weight_noise=1.0, weight_clip=0.3),
    dict(weight_clip_std=1.5),          # Glorot-uniform weights reach 1.73 std: 1.5 clips
    dict(quantize_bits=4),
    dict(in_memory_epsilon=0.2),
])
def test_each_analog_option_trains_differently_and_resumes_exactly(settings, tmp_path):
    plain = _weights(train("demo", epochs=2, **KW))
    straight = train("demo", epochs=2, out_dir=tmp_path / "a", **KW, **settings)
    w = _weights(straight)
    assert any(not np.array_equal(w[k], plain[k]) for k in w), "the option changed nothing"
    train("demo", epochs=1, out_dir=tmp_path / "b", **KW, **settings)
    resumed = train("demo", epochs=2, out_dir=tmp_path / "b", resume=True, **KW, **settings)
    for k, v in _weights(resumed).items():
        np.testing.assert_array_equal(v, w[k], err_msg=k)
    assert straight["config"]["analog"] == resumed["config"]["analog"]


def test_clipping_bounds_the_weight_matrices():
    res = train("demo", epochs=1, weight_clip=0.05, **KW)
    for layer in res["net"].layers:
        assert np.abs(layer.params["W"]).max() <= 0.05 + 1e-7
    res = train("demo", epochs=1, weight_clip_std=1.5, **KW)
    for layer in res["net"].layers:
        W = layer.params["W"]
        assert np.abs(W).max() <= 1.5 * W.std() * 1.2        # the std shrinks as the tails are cut


def test_an_in_memory_run_records_its_device_settings(tmp_path):
    import json
    train("demo", epochs=1, out_dir=tmp_path, in_memory_epsilon=0.5, in_memory_noise=0.25, **KW)
    from snu_np.io import load_checkpoint
    _, state, meta = load_checkpoint(tmp_path / "last")
    assert meta["optimizer"]["name"] == "mixedprecision"
    assert meta["optimizer"]["hyper"]["epsilon"] == 0.5 and meta["optimizer"]["hyper"]["pulse_noise"] == 0.25
    cfg = json.loads((tmp_path / "results.json").read_text())["config"]["analog"]
    assert cfg["in_memory_epsilon"] == 0.5 and cfg["in_memory_noise"] == 0.25


def test_a_quantisation_aware_run_is_scored_and_kept_on_its_quantised_weights(tmp_path):
    from snu_np.io import load_checkpoint
    train("demo", epochs=1, out_dir=tmp_path, quantize_bits=3, **KW)
    best, _, _ = load_checkpoint(tmp_path / "best")
    last, _, _ = load_checkpoint(tmp_path / "last")
    for a, b in zip(best.layers, last.layers):
        assert len(np.unique(a.params["W"])) <= 2 ** 3 - 1          # the deployed, quantised network
        assert len(np.unique(b.params["W"])) > 2 ** 3 - 1           # training continues in float
