"""The task registry, the model builder and the training loop (tiny runs on embedded or synthetic data)."""
import json

import numpy as np
import pytest

from snu_np.functional.losses import bernoulli_nll, window_mse
from snu_np.tasks import (SSNU_OUTPUT_BIAS, TASKS, Task, build_model, get_task, load_task_data,
                          register_task)
from snu_np.train import evaluate, train

TINY = dict(layers=(16,), batch_size=50, lr=3e-3, limit_train=200, limit_test=100, progress=False,
            verbose=False)


# ---------------------------------------------------------------------------------------------- helpers
def _synthetic_music(data_dir, download):
    """Random piano rolls with a simple structure: each key repeats the previous step's value."""
    rng = np.random.default_rng(0)

    def seqs(n):
        out = []
        for i in range(n):
            L = int(rng.integers(2, 12))
            base = (rng.random(88) < 0.05).astype(np.uint8)
            out.append(np.repeat(base[None], L, axis=0))
        out.append(np.ones((1, 88), np.uint8))   # a length-1 sequence predicts nothing: must be skipped
        return out
    return {"train": seqs(12), "valid": seqs(4), "test": seqs(4)}


register_task(Task(name="synthetic-music", kind="music", n_in=88, n_out=88, description="test data",
                   loss="bernoulli_nll", metric="nll", load=_synthetic_music, patience=3))


@pytest.fixture(scope="module")
def demo_data():
    return load_task_data("demo", limit_train=200, limit_test=100)


def _params(net):
    return {k: v.copy() for k, v in net.state_dict().items()}


# ---------------------------------------------------------------------------------------------- models
@pytest.mark.parametrize("model,n", [("snu", 269_322), ("ssnu", 269_322), ("rnn", 400_494)])
def test_paper_parameter_counts_classification(model, n):
    net = build_model("mnist", model, (256, 256))
    assert net.n_params == n
    assert [layer.n_out for layer in net.layers] == [256, 256, 10]


@pytest.mark.parametrize("model", ["snu", "ssnu"])
def test_paper_parameter_count_music(model):
    net = build_model("jsb", model, (150,))
    assert net.n_params == 26_638
    assert net.layers[-1].kind == "dense" and net.layers[-1].activation == "linear"


def test_output_layer_initialisation():
    snu = build_model("demo", "snu", (20,), seed=0).layers[-1]
    np.testing.assert_array_equal(snu.params["b"], -1.0)
    ssnu = build_model("demo", "ssnu", (20,), seed=0).layers[-1]
    np.testing.assert_array_equal(ssnu.params["b"], SSNU_OUTPUT_BIAS)
    np.testing.assert_allclose(ssnu.params["W"].mean(axis=1), 0.0, atol=1e-6)   # centred rows
    custom = build_model("demo", "ssnu", (20,), output_bias=-2.5, center_output=False).layers[-1]
    np.testing.assert_array_equal(custom.params["b"], -2.5)
    assert build_model("demo", "snu", (20,), recurrent=True).layers[0].recurrent
    a, b = build_model("demo", "gru", (8,), seed=3), build_model("demo", "gru", (8,), seed=3)
    for (_, p, _), (_, q, _) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)


def test_build_model_errors():
    with pytest.raises(ValueError, match="unknown model 'cnn'; choose one of: snu, ssnu, rnn, lstm, gru"):
        build_model("demo", "cnn")
    with pytest.raises(ValueError, match="unknown task 'cifar'; choose one of: mnist, jittered-mnist"):
        get_task("cifar")
    with pytest.raises(ValueError, match="layers"):
        build_model("demo", "snu", "256,abc")
    with pytest.raises(ValueError, match=r"layers\[0\] must be >= 1"):
        build_model("demo", "snu", (0,))
    with pytest.raises(ValueError, match="at least one"):
        build_model("demo", "snu", ())


def test_registry_has_the_tasks():
    for name in ("mnist", "jittered-mnist", "jsb", "nottingham", "musedata", "piano-midi", "demo"):
        assert name in TASKS
    assert get_task("jittered-mnist").encoding == "jitter" and get_task("mnist").encoding == "rate"
    assert get_task("jsb").metric == "nll" and not get_task("jsb").higher_is_better


def test_validation_split_is_the_end_of_the_training_set():
    def fake(data_dir, download):
        imgs = np.arange(50, dtype=np.uint8).repeat(784).reshape(50, 28, 28)
        return {"train": (imgs[:40], np.arange(40) % 10), "test": (imgs[40:], np.arange(10))}
    register_task(Task(name="fake-mnist", kind="classification", n_in=784, n_out=10, description="",
                       loss="mse", metric="accuracy", load=fake, encoding="rate", T=4, val_size=8))
    d = load_task_data("fake-mnist")
    assert len(d["train"][1]) == 32 and len(d["valid"][1]) == 8 and len(d["test"][1]) == 10
    assert d["valid"][0][0, 0, 0] == 32
    d = load_task_data("fake-mnist", limit_train=5, limit_test=3)
    assert len(d["train"][1]) == 5 and len(d["valid"][1]) == 3 and d["valid"][0][0, 0, 0] == 32
    with pytest.raises(ValueError, match="leaves no training data"):
        load_task_data("fake-mnist", val_size=40)


# ---------------------------------------------------------------------------------------------- argument checks
@pytest.mark.parametrize("kw,match", [
    (dict(task="cifar"), "unknown task 'cifar'; choose one of"),
    (dict(model="transformer"), "unknown model 'transformer'; choose one of"),
    (dict(epochs=0), "epochs must be >= 1"),
    (dict(batch_size=-4), "batch_size must be >= 1"),
    (dict(lr=0.0), "lr must be > 0"),
    (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'"),
    (dict(layers="64,x"), "comma-separated positive integers"),
    (dict(lr_decay=1.5), "lr_decay must be <= 1"),
    (dict(loss="bernoulli_nll"), "does not fit the classification task"),
    (dict(window=(5, 3)), "window must satisfy"),
    (dict(ema=1.0), "ema must be < 1"),
])
def test_train_argument_errors(kw, match):
    args = dict(task="demo", epochs=1, progress=False, verbose=False)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        train(**args)


def test_missing_data_dir_and_missing_files(tmp_path):
    from snu_np.errors import DataError
    with pytest.raises(DataError, match="does not exist"):
        train("mnist", data_dir=tmp_path / "nope", epochs=1, download=False, verbose=False)
    with pytest.raises((FileNotFoundError, DataError), match=str(tmp_path)):        # the loader says where it looked
        train("mnist", data_dir=tmp_path, epochs=1, download=False, verbose=False)


# ---------------------------------------------------------------------------------------------- training
def test_demo_training_loss_goes_down_and_files_are_written(tmp_path, demo_data):
    res = train("demo", model="snu", epochs=3, out_dir=tmp_path, data=demo_data, **TINY)
    h = res["history"]
    assert [r["epoch"] for r in h] == [1, 2, 3]
    assert h[-1]["train_loss"] < h[0]["train_loss"]
    assert h[-1]["train_accuracy"] > 0.3                                # chance is 0.1
    assert res["test"]["accuracy"] > 0.3 and 1 <= res["best_epoch"] <= 3
    for f in ("best.npz", "last.npz", "results.json"):
        assert (tmp_path / f).is_file(), f
    r = json.loads((tmp_path / "results.json").read_text())
    assert r["finished"] and r["n_params"] == res["n_params"] == 784 * 16 + 16 + 16 * 10 + 10
    assert r["config"]["run"]["seed"] == 0 and r["machine"]["cpu_count"] >= 1 and r["package_version"]
    assert r["samples_per_s"] > 0 and r["wall_time_s"] > 0 and len(r["history"]) == 3
    assert r["test"]["accuracy"] == res["test"]["accuracy"]
    # the best checkpoint reproduces the reported test score (fixed evaluation spikes)
    from snu_np.io import load_checkpoint
    net, _, meta = load_checkpoint(tmp_path / "best")
    cfg = meta["config"]
    assert evaluate(net, "demo", demo_data["test"], cfg, "test")["accuracy"] == res["test"]["accuracy"]


def test_same_seed_same_result_and_resume_equals_straight_run(tmp_path, demo_data):
    kw = dict(TINY, model="snu", lr_decay=0.7, data=demo_data)
    straight = train("demo", epochs=2, out_dir=tmp_path / "a", **kw)
    again = train("demo", epochs=2, **kw)
    first = train("demo", epochs=1, out_dir=tmp_path / "b", **kw)
    resumed = train("demo", epochs=2, out_dir=tmp_path / "b", resume=True, **kw)
    pa, pb = _params(straight["net"]), _params(resumed["net"])
    assert not all(np.array_equal(pa[k], _params(first["net"])[k]) for k in pa)
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k])
        np.testing.assert_array_equal(pa[k], _params(again["net"])[k])
    assert [h["train_loss"] for h in resumed["history"]] == [h["train_loss"] for h in straight["history"]]
    assert resumed["history"][1]["lr"] == pytest.approx(3e-3 * 0.7)
    assert resumed["epochs_completed"] == 2
    # resuming with different settings is refused
    with pytest.raises(ValueError, match="configuration differs.*lr"):
        train("demo", epochs=3, out_dir=tmp_path / "b", resume=True, **dict(kw, lr=1e-2))


def test_ema_scores_and_saves_the_averaged_weights_and_resumes_exactly(tmp_path, demo_data):
    from snu_np.io import load_checkpoint
    kw = dict(TINY, model="snu", ema=0.9, data=demo_data)
    straight = train("demo", epochs=2, out_dir=tmp_path / "a", **kw)
    best, opt_state, meta = load_checkpoint(tmp_path / "a" / "best")
    assert meta["config"]["optim"]["ema"] == 0.9 and meta["extra"]["epoch"] == straight["best_epoch"]
    # best.npz holds the average, not the live weights, and it reproduces the reported scores
    pb, pl = _params(best), _params(straight["net"])
    assert any(not np.array_equal(pb[k], pl[k]) for k in pb)
    assert evaluate(best, "demo", demo_data["test"], meta["config"], "test") == straight["test"]
    valid = evaluate(best, "demo", demo_data["valid"], meta["config"], "valid")
    assert valid["accuracy"] == straight["history"][straight["best_epoch"] - 1]["val_accuracy"]
    # last.npz keeps the live weights and the average, so a resumed run equals a straight one
    train("demo", epochs=1, out_dir=tmp_path / "b", **kw)
    resumed = train("demo", epochs=2, out_dir=tmp_path / "b", resume=True, **kw)
    assert resumed["history"] == [dict(h, train_time=h2["train_time"], eval_time=h2["eval_time"],
                                       samples_per_s=h2["samples_per_s"])
                                  for h, h2 in zip(straight["history"], resumed["history"])]
    for k, v in _params(resumed["net"]).items():
        np.testing.assert_array_equal(v, pl[k])
    with pytest.raises(ValueError, match="configuration differs.*ema"):
        train("demo", epochs=3, out_dir=tmp_path / "b", resume=True, **dict(kw, ema=0.99))
    # the average only watches: without it, training runs through the very same weights
    plain = train("demo", epochs=2, **dict(kw, ema=None))
    for k, v in _params(plain["net"]).items():
        np.testing.assert_array_equal(v, pl[k])
    assert [h["train_loss"] for h in plain["history"]] == [h["train_loss"] for h in straight["history"]]


def test_trials_summary(tmp_path, demo_data):
    res = train("demo", epochs=1, trials=2, seed=5, out_dir=tmp_path, data=demo_data, **TINY)
    assert res["seeds"] == [5, 6] and len(res["runs"]) == 2
    scores = [r["test"]["accuracy"] for r in res["runs"]]
    assert res["mean"] == pytest.approx(np.mean(scores)) and res["max"] == max(scores)
    assert res["std"] == pytest.approx(np.std(scores, ddof=1))
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["test"] == scores and (tmp_path / "seed6" / "results.json").is_file()


def _failing_loss(fail_at, how):
    """window_mse that breaks at the fail_at-th *training* call (evaluation batches have 100 samples)."""
    calls = []

    def loss_fn(y, target, window=None):
        loss, dy = window_mse(y, target, window)
        if y.shape[1] == 50:
            calls.append(1)
            if len(calls) == fail_at:
                if how == "loss":
                    loss = float("nan")
                elif how == "dy":
                    dy[-1, 0, 0] = np.inf
                else:                       # finite dy whose parameter gradients overflow float32
                    dy.fill(np.float32(1e38))
        return loss, dy
    return loss_fn


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("fail_at,how,match", [
    (3, "loss", r"epoch 1, step 3/4: the loss is not finite \(nan\)"),
    (6, "dy", r"epoch 2, step 2/4: the loss gradient dy"),
    (5, "overflow", r"epoch 2, step 1/4: the gradient of parameter \d\.\w+ contains NaN or inf"),
])
def test_nan_or_inf_stops_training_naming_the_step(demo_data, fail_at, how, match):
    with pytest.raises(FloatingPointError, match=match):
        train("demo", epochs=2, loss=_failing_loss(fail_at, how), data=demo_data, **TINY)


@pytest.mark.parametrize("task", ["demo", "synthetic-music"])
def test_nan_loss_stops_training_with_shards_and_music(demo_data, task):
    def nan_loss(y, target, *args, **kw):
        return float("nan"), np.zeros_like(y)
    kw = (dict(data=demo_data, shards=2, **TINY) if task == "demo"
          else dict(layers=(12,), progress=False, verbose=False))
    match = (r"epoch 1, step 1/4: the loss of shard [01] is not finite \(nan\)" if task == "demo"
             else r"epoch 1, step 1/\d+: the loss is not finite \(nan\)")
    with pytest.raises(FloatingPointError, match=match):
        train(task, epochs=1, loss=nan_loss, **kw)


def test_ssnu_trains_on_demo(demo_data):
    res = train("demo", model="ssnu", epochs=3, data=demo_data, **dict(TINY, lr=1e-2))
    assert res["test"]["accuracy"] > 0.25


@pytest.mark.parametrize("batch_size", [1, 4])
def test_music_training_and_pooled_nll(tmp_path, batch_size):
    res = train("synthetic-music", model="snu", layers=(12,), epochs=4, batch_size=batch_size, lr=1e-2,
                progress=False, verbose=False, out_dir=tmp_path)
    h = res["history"]
    assert h[-1]["train_loss"] < h[0]["train_loss"] and "val_nll" in h[0] and res["test"]["nll"] > 0
    # the pooled NLL: sum over every predicted step of every sequence / number of predicted steps
    from snu_np.io import load_checkpoint
    net, _, meta = load_checkpoint(tmp_path / "best")
    seqs = _synthetic_music(None, None)["test"]
    total, steps = 0.0, 0
    for s in seqs:
        if len(s) < 2:
            continue
        roll = s.astype(np.float32)
        loss, _ = bernoulli_nll(net.forward(roll[:-1, None]), roll[1:, None])
        total += loss * (len(s) - 1)
        steps += len(s) - 1
    got = evaluate(net, "synthetic-music", seqs, meta["config"], "test")["nll"]
    assert got == pytest.approx(total / steps, rel=1e-5)
    assert got == pytest.approx(res["test"]["nll"], rel=1e-6)


def test_music_early_stopping():
    # an update too small to change a float32 weight: validation never improves after epoch 1
    res = train("synthetic-music", model="snu", layers=(4,), epochs=50, lr=1e-30, optimizer="sgd", patience=2,
                progress=False, verbose=False)
    assert res["stopped_early"] and res["epochs_completed"] == 3 and res["best_epoch"] == 1
