"""Checkpoints: round trip, atomic writes, and clear errors for missing or corrupt files."""
import json
import os

import numpy as np
import pytest

from snu_np import SNU, Adam, Dense, Sequential, window_mse
from snu_np.io import (CheckpointError, atomic_write_bytes, atomic_write_json, checkpoint_paths,
                       load_checkpoint, save_checkpoint)


def _net(dtype=np.float32):
    return Sequential([SNU(12, 8, seed=0, dtype=dtype), SNU(8, 3, soft=True, recurrent=True, train_decay=True, seed=1, dtype=dtype)])


def _trained(rng):
    net = _net()
    opt = Adam(net, lr=1e-2)
    x = (rng.random((6, 4, 12)) < 0.5).astype(np.float32)
    for _ in range(3):
        y = net.forward(x)
        _, dy = window_mse(y, np.array([0, 1, 2, 0]))
        net.backward(dy)
        opt.step()
    return net, opt, x


def test_round_trip_identical_predictions_and_optimizer_state(tmp_path, rng):
    net, opt, x = _trained(rng)
    npz, js = save_checkpoint(tmp_path / "ck", net, opt, config={"task": "demo"}, extra={"epoch": 3})
    assert npz.name == "ck.npz" and js.name == "ck.json"
    net2, opt_state, meta = load_checkpoint(tmp_path / "ck")
    np.testing.assert_array_equal(net2.forward(x), net.forward(x))
    assert net2.get_config() == net.get_config()
    assert meta["config"] == {"task": "demo"} and meta["extra"] == {"epoch": 3}
    assert meta["optimizer"]["name"] == "adam" and meta["n_params"] == net.n_params
    opt2 = Adam(net2, lr=meta["optimizer"]["hyper"]["lr"])
    opt2.load_state_dict(opt_state)
    assert opt2.t == opt.t == 3
    for k in opt.m:
        np.testing.assert_array_equal(opt2.m[k], opt.m[k])
        np.testing.assert_array_equal(opt2.v[k], opt.v[k])
    # the suffix may be given or not
    for p in ("ck.npz", "ck.json"):
        np.testing.assert_array_equal(load_checkpoint(tmp_path / p)[0].forward(x), net.forward(x))


def test_no_optimizer_and_dense_and_rnn_layers(tmp_path, rng):
    from snu_np.layers.rnn import GRU, LSTM, RNN
    net = Sequential([RNN(5, 4, seed=0), LSTM(4, 3, seed=1), GRU(3, 3, seed=2), Dense(3, 2, seed=3)])
    save_checkpoint(tmp_path / "r", net)
    net2, opt_state, meta = load_checkpoint(tmp_path / "r")
    assert opt_state is None and meta["optimizer"] is None
    x = rng.standard_normal((4, 2, 5))
    np.testing.assert_array_equal(net2.forward(x), net.forward(x))


def test_checkpoint_files_are_plain_arrays(tmp_path, rng):
    net, opt, _ = _trained(rng)
    save_checkpoint(tmp_path / "ck", net, opt)
    with np.load(tmp_path / "ck.npz", allow_pickle=False) as z:
        assert "param/0.W" in z.files and "optim/m/1.H" in z.files and "optim/t" in z.files
        assert all(z[k].dtype != object for k in z.files)


def test_missing_files_say_which(tmp_path, rng):
    net, opt, _ = _trained(rng)
    with pytest.raises(FileNotFoundError, match="nothere.json"):
        load_checkpoint(tmp_path / "nothere")
    save_checkpoint(tmp_path / "ck", net, opt)
    os.remove(tmp_path / "ck.npz")
    with pytest.raises(FileNotFoundError, match=r"ck\.npz"):
        load_checkpoint(tmp_path / "ck")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_checkpoint(tmp_path / "no" / "dir" / "ck", net)


def test_truncated_npz(tmp_path, rng):
    net, opt, _ = _trained(rng)
    npz, js = save_checkpoint(tmp_path / "ck", net, opt)
    blob = npz.read_bytes()
    npz.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CheckpointError, match="truncated, corrupt"):
        load_checkpoint(tmp_path / "ck")
    # even when the hash is made to agree, the broken zip gives a clear error (not a zipfile traceback)
    import hashlib
    meta = json.loads(js.read_text())
    meta["npz_sha256"] = hashlib.sha256(npz.read_bytes()).hexdigest()
    js.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="corrupt checkpoint weights"):
        load_checkpoint(tmp_path / "ck")


def test_bad_json(tmp_path, rng):
    net, opt, _ = _trained(rng)
    _, js = save_checkpoint(tmp_path / "ck", net, opt)
    text = js.read_text()
    js.write_text(text[:-40])
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(tmp_path / "ck")
    js.write_text(json.dumps({"hello": 1}))
    with pytest.raises(CheckpointError, match="not an snu-np checkpoint"):
        load_checkpoint(tmp_path / "ck")


def test_shape_mismatch_and_unknown_layer(tmp_path, rng):
    net, opt, _ = _trained(rng)
    _, js = save_checkpoint(tmp_path / "ck", net, opt)
    good = json.loads(js.read_text())
    meta = json.loads(js.read_text())
    meta["arrays"]["param/0.W"]["shape"] = [12, 9]
    js.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"param/0.W has shape \(12, 8\)"):
        load_checkpoint(tmp_path / "ck")
    meta = dict(good)
    meta["network"] = {"layers": [dict(good["network"]["layers"][0], n_out=9), good["network"]["layers"][1]]}
    js.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "ck")
    meta["network"] = {"layers": [dict(good["network"]["layers"][0], kind="quantum")]}
    js.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="unknown kind 'quantum'"):
        load_checkpoint(tmp_path / "ck")


def test_atomic_write_keeps_old_content_and_no_temp_files(tmp_path):
    p = tmp_path / "f.bin"
    atomic_write_bytes(p, b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(p, "not bytes")          # fails while writing the temporary file
    assert p.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["f.bin"]
    atomic_write_json(tmp_path / "r.json", {"a": np.float32(1.5), "b": np.arange(3), "c": float("nan")})
    d = json.loads((tmp_path / "r.json").read_text())
    assert d["a"] == 1.5 and d["b"] == [0, 1, 2]
    assert checkpoint_paths(tmp_path / "x.npz") == (tmp_path / "x.npz", tmp_path / "x.json")
