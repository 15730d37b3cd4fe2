"""Data parallelism: shards of a batch in threads give the batch's loss, output and gradient."""
import numpy as np
import pytest

import snu_np
from snu_np import GRU, SNU, Dense, Sequential, softmax_cross_entropy, window_mse
from snu_np.parallel import DataParallel, shard_bounds
from snu_np.train import train


def _net(dtype=np.float64):
    return Sequential([SNU(12, 9, soft=True, recurrent=True, seed=0, dtype=dtype),
                       SNU(9, 7, seed=1, dtype=dtype), Dense(7, 4, seed=2, dtype=dtype)])


def _data(B=11, T=6, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(size=(T, B, 12)) < 0.4).astype(np.float64), rng.integers(0, 4, B)


def _grads(net):
    return {f"{i}.{k}": g.copy() for i, layer in enumerate(net.layers) for k, g in layer.grads.items()}


@pytest.mark.nojit
def test_shard_bounds():
    assert shard_bounds(11, 3) == [(0, 4), (4, 8), (8, 11)]
    assert shard_bounds(4, 4) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert shard_bounds(5, 1) == [(0, 5)]
    with pytest.raises(ValueError, match="shards = 6 is more than the batch size B = 5"):
        shard_bounds(5, 6)
    with pytest.raises(ValueError, match="shards"):
        shard_bounds(5, 0)


@pytest.mark.nojit
@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("shards", [2, 3])
@pytest.mark.parametrize("loss_fn", [window_mse, softmax_cross_entropy])
def test_shards_give_the_batch_gradient(backend, shards, loss_fn):
    snu_np.set_backend(backend)
    try:
        x, labels = _data()
        net = _net()
        loss, dy = loss_fn(net.forward(x), labels, window=(2, 6))
        net.backward(dy)
        y0, want = net.forward(x), _grads(net)
        for layer in net.layers:                       # make sure the grads are really rewritten
            for k in layer.grads:
                layer.grads[k] = np.full_like(layer.grads[k], np.nan)
        with DataParallel(net, shards) as dp:
            got_loss, y = dp.loss_and_grads(x, labels, loss_fn, window=(2, 6))
        assert got_loss == pytest.approx(loss, rel=1e-12)
        np.testing.assert_array_equal(y, y0)           # the forward pass is row-wise: identical
        got = _grads(net)
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-10, atol=1e-14, err_msg=k)
    finally:
        snu_np.set_backend("numba")


def test_shards_share_parameters_and_follow_updates():
    x, labels = _data()
    net = _net()
    dp = DataParallel(net, 2)
    try:
        dp.loss_and_grads(x, labels, window_mse)
        net.layers[0].params["W"] *= 0.5                   # in place, as the optimisers do
        net.layers[1].set_params(b=np.full(7, -2.0))
        ref = _net()
        ref.load_state_dict(net.state_dict())
        loss, dy = window_mse(ref.forward(x), labels)
        ref.backward(dy)
        got_loss, _ = dp.loss_and_grads(x, labels, window_mse)
        assert got_loss == pytest.approx(loss, rel=1e-12)
        for k, g in _grads(ref).items():
            np.testing.assert_allclose(_grads(net)[k], g, rtol=1e-10, atol=1e-14, err_msg=k)
    finally:
        dp.close()


def test_baseline_layers_and_float32():
    x, labels = _data(B=8)
    net = Sequential([GRU(12, 6, seed=0, dtype=np.float32), Dense(6, 4, seed=1, dtype=np.float32)])
    loss, dy = window_mse(net.forward(x.astype(np.float32)), labels)
    net.backward(dy)
    want = _grads(net)
    with DataParallel(net, 2) as dp:
        dp.loss_and_grads(x.astype(np.float32), labels, window_mse)
    for k, g in _grads(net).items():
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, want[k], rtol=1e-4, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("B", [1, 2])
def test_batches_smaller_than_the_shards(B):
    x, labels = _data(B=B)
    a, b = _net(), _net()
    loss, dy = window_mse(a.forward(x), labels)
    a.backward(dy, need_dx=False)
    with DataParallel(b, 3) as dp:
        dp.loss_and_grads(*_data(B=11, seed=1), window_mse)    # every replica holds gradients now
        got, y = dp.loss_and_grads(x, labels, window_mse)       # ... which must not leak into these
    assert got == pytest.approx(loss, rel=1e-12) and y.shape == (6, B, 4)
    for k, g in _grads(a).items():
        np.testing.assert_allclose(_grads(b)[k], g, rtol=1e-10, atol=1e-14, err_msg=k)


def test_one_shard_is_the_plain_step():
    x, labels = _data()
    a, b = _net(), _net()
    loss, dy = window_mse(a.forward(x), labels)
    a.backward(dy, need_dx=False)
    with DataParallel(b, 1) as dp:
        got, _ = dp.loss_and_grads(x, labels, window_mse)
    assert got == loss
    for k, g in _grads(a).items():
        np.testing.assert_array_equal(_grads(b)[k], g)


def test_bad_input_and_non_finite_loss():
    x, labels = _data()
    net = _net()
    with pytest.raises(TypeError, match="net must be a Sequential"):
        DataParallel(object(), 2)
    with pytest.raises(ValueError, match="shards"):
        DataParallel(net, 0)
    dp = DataParallel(net, 2)
    with pytest.raises(ValueError, match="batch size 11 on its first axis"):
        dp.loss_and_grads(x, labels[:5], window_mse)
    with pytest.raises(ValueError, match="shape \\(T, B, n_in\\)"):
        dp.loss_and_grads(x[0], labels, window_mse)

    def nan_loss(y, target, window=None):
        loss, dy = window_mse(y, target)
        return float("nan"), dy
    with pytest.raises(FloatingPointError, match="loss of shard 0 is not finite"):
        dp.loss_and_grads(x, labels, nan_loss)
    xbad = x.copy()
    xbad[0, 9, 0] = np.inf                               # in the second shard
    with pytest.raises(ValueError, match="NaN or inf"):
        dp.loss_and_grads(xbad, labels, window_mse)
    dp.close()
    with pytest.raises(RuntimeError, match="closed"):
        dp.loss_and_grads(x, labels, window_mse)


def test_train_with_shards(tmp_path):
    kw = dict(layers=(16,), batch_size=50, lr=3e-3, limit_train=201, limit_test=100, progress=False,
              verbose=False, epochs=2, seed=3)           # the last batch of each epoch has one example
    one = train("demo", **kw)
    two = train("demo", shards=2, out_dir=tmp_path / "a", **kw)
    assert two["config"]["run"]["shards"] == 2
    # the same run up to float rounding: the losses agree closely, every epoch
    np.testing.assert_allclose([h["train_loss"] for h in two["history"]],
                               [h["train_loss"] for h in one["history"]], rtol=1e-3)
    again = train("demo", shards=2, **kw)                 # deterministic: same shards, same numbers
    assert [h["train_loss"] for h in again["history"]] == [h["train_loss"] for h in two["history"]]
    with pytest.raises(ValueError, match="configuration differs.*shards"):
        train("demo", shards=1, out_dir=tmp_path / "a", resume=True, **dict(kw, epochs=3))
    with pytest.raises(ValueError, match="classification tasks only"):
        train("jsb", shards=2, epochs=1, data={"train": [], "valid": [], "test": []}, verbose=False)
    with pytest.raises(ValueError, match="more than batch_size"):
        train("demo", shards=64, **kw)


def test_train_closes_its_shard_threads_when_a_run_fails(monkeypatch):
    # a failure outside the training pass (here: the evaluation) must not leave worker threads behind
    import threading

    from snu_np.tasks import ClassificationTask
    closed = []
    orig_close = DataParallel.close
    monkeypatch.setattr(DataParallel, "close", lambda self: (closed.append(self.shards), orig_close(self)))

    def broken_evaluate(*args, **kwargs):
        raise OSError("disk gone")
    monkeypatch.setattr(ClassificationTask, "evaluate", broken_evaluate)
    before = threading.active_count()
    with pytest.raises(OSError, match="disk gone"):
        train("demo", layers=(16,), batch_size=50, limit_train=100, limit_test=50, progress=False,
              verbose=False, epochs=1, shards=2)
    assert closed == [2]
    assert threading.active_count() <= before
