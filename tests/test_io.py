"""Checkpoints: one-file round trip, the old two-file format, atomic writes, and refusals of damaged
or edited files (each with a message naming the file and the field)."""
import errno
import hashlib
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from snu_np import SNU, Adam, Dense, Sequential, window_mse
from snu_np import io as sio
from snu_np.errors import RunIOError
from snu_np.io import (CheckpointError, CheckpointNotFoundError, atomic_write_bytes, atomic_write_json,
                       atomic_writer, checkpoint_exists, checkpoint_paths, clean_temp_files, load_checkpoint,
                       read_checkpoint, save_checkpoint)


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


@pytest.fixture
def ck(tmp_path, rng):
    """A saved checkpoint: (path without suffix, net, opt, x)."""
    net, opt, x = _trained(rng)
    save_checkpoint(tmp_path / "ck", net, opt, config={"task": "demo"}, extra={"epoch": 3})
    return tmp_path / "ck", net, opt, x


def _entries(npz):
    with np.load(npz, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _meta(entries):
    return json.loads(entries["__meta__"].tobytes().decode())


def _rewrite(npz, entries, meta=None, rehash=True):
    """Write ``entries`` back (with ``meta`` as the metadata, its hash recomputed if ``rehash``)."""
    entries = dict(entries)
    if meta is not None:
        text = json.dumps(meta).encode()
        entries["__meta__"] = np.frombuffer(text, np.uint8)
        if rehash:
            entries["__meta_sha256__"] = np.frombuffer(hashlib.sha256(text).hexdigest().encode(), np.uint8)
    with open(npz, "wb") as f:
        np.savez(f, **entries)


def _save_v1(path, net, optimizer=None, config=None, extra=None):
    """A checkpoint in the old two-file format, written as snu-np wrote it before format version 2."""
    arrays = {f"param/{k}": np.array(v, order="C") for k, v in net.state_dict().items()}
    opt_meta = None
    if optimizer is not None:
        opt_meta = sio._optimizer_info(optimizer)
        arrays.update({f"optim/{k}": np.array(v, order="C") for k, v in optimizer.state_dict().items()})
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    blob = buf.getvalue()
    meta = {"format": "snu-np-checkpoint", "format_version": 1, "package_version": "0.x",
            "npz_sha256": hashlib.sha256(blob).hexdigest(), "network": net.get_config(),
            "n_params": int(net.n_params), "optimizer": opt_meta,
            "arrays": {k: {"shape": list(v.shape), "dtype": v.dtype.name} for k, v in arrays.items()},
            "config": config or {}, "extra": extra or {}}
    npz, js = checkpoint_paths(path)
    npz.write_bytes(blob)
    js.write_text(json.dumps(meta, indent=2))
    return npz, js


# ------------------------------------------------------------------------------------------ round trip
def test_round_trip_identical_predictions_and_optimizer_state(ck):
    path, net, opt, x = ck
    assert sorted(p.name for p in path.parent.iterdir()) == ["ck.npz"]       # one file, nothing else
    net2, opt_state, meta = load_checkpoint(path)
    np.testing.assert_array_equal(net2.forward(x), net.forward(x))
    assert net2.get_config() == net.get_config()
    assert meta["config"] == {"task": "demo"} and meta["extra"] == {"epoch": 3}
    assert meta["optimizer"]["name"] == "adam" and meta["n_params"] == net.n_params
    assert meta["format_version"] == 2
    opt2 = Adam(net2, lr=meta["optimizer"]["hyper"]["lr"])
    opt2.load_state_dict(opt_state)
    assert opt2.t == opt.t == 3
    for k in opt.m:
        np.testing.assert_array_equal(opt2.m[k], opt.m[k])
        np.testing.assert_array_equal(opt2.v[k], opt.v[k])
    for p in ("ck.npz", "ck.json", "ck"):         # the suffix may be given or not
        np.testing.assert_array_equal(load_checkpoint(path.parent / p)[0].forward(x), net.forward(x))
    assert checkpoint_exists(path) and not checkpoint_exists(path.parent / "other")


def test_save_returns_the_file_and_overwrites_in_place(ck, rng):
    path, net, opt, x = ck
    before = _entries(path.with_suffix(".npz"))["param/0.W"]
    net.layers[0].params["W"][...] += 1
    assert save_checkpoint(path, net, opt) == path.with_suffix(".npz")
    np.testing.assert_array_equal(_entries(path.with_suffix(".npz"))["param/0.W"], before + 1)


def test_no_optimizer_and_dense_and_rnn_layers(tmp_path, rng):
    from snu_np.layers.rnn import GRU, LSTM, RNN
    net = Sequential([RNN(5, 4, seed=0), LSTM(4, 3, seed=1), GRU(3, 3, seed=2), Dense(3, 2, seed=3)])
    save_checkpoint(tmp_path / "r", net)
    net2, opt_state, meta = load_checkpoint(tmp_path / "r")
    assert opt_state is None and meta["optimizer"] is None
    x = rng.standard_normal((4, 2, 5))
    np.testing.assert_array_equal(net2.forward(x), net.forward(x))


def test_checkpoint_files_are_plain_arrays(ck):
    path = ck[0].with_suffix(".npz")
    e = _entries(path)       # allow_pickle=False: no object arrays anywhere
    assert "param/0.W" in e and "optim/m/1.H" in e and "optim/t" in e
    assert e["__meta__"].dtype == np.uint8 and e["__meta_sha256__"].dtype == np.uint8
    assert all(v.dtype != object for v in e.values())
    assert set(_meta(e)["arrays"]) == {k for k in e if not k.startswith("__")}


# ------------------------------------------------------------------------------- missing and damaged
def test_missing_files_say_which(tmp_path, rng):
    net, opt, _ = _trained(rng)
    with pytest.raises(CheckpointNotFoundError, match=r"nothere\.npz not found"):
        load_checkpoint(tmp_path / "nothere")
    with pytest.raises(FileNotFoundError):           # still a FileNotFoundError for old callers
        load_checkpoint(tmp_path / "nothere")
    with pytest.raises(RunIOError, match="does not exist"):
        save_checkpoint(tmp_path / "no" / "dir" / "ck", net)


@pytest.mark.parametrize("keep", [0, 10, 100, 0.5, 0.95])
def test_truncated_or_empty_file(ck, keep):
    npz = ck[0].with_suffix(".npz")
    blob = npz.read_bytes()
    npz.write_bytes(blob[: int(keep * len(blob)) if isinstance(keep, float) else keep])
    with pytest.raises(CheckpointError, match=r"ck\.npz: .*(truncated|corrupt|cannot be read)") as info:
        load_checkpoint(ck[0])
    assert isinstance(info.value, RunIOError) and info.value.exit_code == 5
    assert "use another checkpoint or train again" in str(info.value)


def test_every_flipped_byte_is_refused_or_harmless(ck):
    """Flip bytes all over the file: a load either refuses it or returns exactly the saved arrays."""
    path, net, opt, x = ck
    npz = path.with_suffix(".npz")
    good = npz.read_bytes()
    want = read_checkpoint(path)[1]
    refused = 0
    for pos in range(0, len(good), max(1, len(good) // 300)):
        bad = bytearray(good)
        bad[pos] ^= 0x55
        npz.write_bytes(bytes(bad))
        try:
            _, got = read_checkpoint(path)
        except CheckpointError:
            refused += 1
            continue
        assert set(got) == set(want) and all(got[k].tobytes() == want[k].tobytes() for k in want), pos
    assert refused > 250        # only zip timestamps and the like may change without being noticed


def test_edited_array_with_consistent_zip_is_refused_by_its_hash(ck):
    npz = ck[0].with_suffix(".npz")
    e = _entries(npz)
    e["param/0.W"] = e["param/0.W"].copy()
    e["param/0.W"][0, 0] += 1e-3                    # a new, valid zip: only the SHA-256 notices
    _rewrite(npz, e)
    with pytest.raises(CheckpointError, match=r"ck\.npz: array param/0\.W does not match its SHA-256"):
        load_checkpoint(ck[0])


def test_edited_metadata_is_refused(ck):
    npz = ck[0].with_suffix(".npz")
    e = _entries(npz)
    meta = _meta(e)
    meta["config"]["task"] = "mnist"
    _rewrite(npz, e, meta, rehash=False)            # the JSON edited, its hash left alone
    with pytest.raises(CheckpointError, match=r"metadata \(field '__meta__'\) does not match its SHA-256"):
        load_checkpoint(ck[0])


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.update(network="x"), "field 'network'"),
    (lambda m: m.update(arrays=[]), "field 'arrays'"),
    (lambda m: m["arrays"]["param/0.W"].update(shape=[12, 9]), r"param/0\.W has shape \(12, 8\)"),
    (lambda m: m["arrays"]["param/0.W"].update(shape="12x8"), r"field 'arrays\.param/0\.W'"),
    (lambda m: m["arrays"]["param/0.W"].update(dtype="float64"), "dtype float32, the description says float64"),
    (lambda m: m["arrays"]["param/0.W"].pop("sha256"), r"arrays\.param/0\.W\.sha256"),
    (lambda m: m["arrays"].pop("param/0.W"), r"unexpected \['param/0\.W'\]"),
    (lambda m: m.update(optimizer="adam"), "field 'optimizer'"),
    (lambda m: m.update(config=[1]), "field 'config'"),
    (lambda m: m.update(format="other"), "not an snu-np checkpoint"),
    (lambda m: m.update(format_version=99), "newer than this snu-np"),
    (lambda m: m["network"]["layers"][0].update(n_out=9), "network"),
    (lambda m: m["network"]["layers"][0].update(kind="quantum"), "unknown kind 'quantum'"),
])
def test_wrong_metadata_fields_are_named(ck, edit, match):
    """Even with a consistent hash (a deliberate edit), fields of the wrong type or value are refused."""
    npz = ck[0].with_suffix(".npz")
    e = _entries(npz)
    meta = _meta(e)
    edit(meta)
    _rewrite(npz, e, meta)
    with pytest.raises(CheckpointError, match=match) as info:
        load_checkpoint(ck[0])
    assert str(npz) in str(info.value)


def test_garbled_metadata_json(ck):
    npz = ck[0].with_suffix(".npz")
    e = _entries(npz)
    text = e["__meta__"].tobytes()[:-40]
    e["__meta__"] = np.frombuffer(text, np.uint8)
    e["__meta_sha256__"] = np.frombuffer(hashlib.sha256(text).hexdigest().encode(), np.uint8)
    _rewrite(npz, e)
    with pytest.raises(CheckpointError, match=r"field '__meta__'\) is not valid JSON"):
        load_checkpoint(ck[0])
    del e["__meta_sha256__"]
    _rewrite(npz, e)
    with pytest.raises(CheckpointError, match="'__meta_sha256__' entry is missing"):
        load_checkpoint(ck[0])


def _replace_array(npz, key, value):
    e = _entries(npz)
    meta = _meta(e)
    e[key] = value
    meta["arrays"][key] = {"shape": list(value.shape), "dtype": value.dtype.name,
                           "sha256": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()}
    _rewrite(npz, e, meta)


@pytest.mark.parametrize("key, make, match", [
    ("param/0.W", lambda w: w.astype(np.complex64) + 1j, r"array param/0\.W is complex"),
    ("param/0.W", lambda w: np.where(np.arange(w.size).reshape(w.shape) == 5, np.nan, w).astype(w.dtype),
     r"array param/0\.W holds non-finite values"),
    ("param/0.W", lambda w: np.full_like(w, np.inf), "non-finite"),
    ("param/0.W", lambda w: w.astype(np.float64), r"param/0\.W is float64 .* network's parameter is float32"),
    ("param/0.W", lambda w: w.astype(np.int32), r"param/0\.W is int32"),
    ("param/0.W", lambda w: w.astype(bool), r"array param/0\.W has dtype bool"),
    ("param/0.W", lambda w: w[:, :4].copy(),
     r"param/0\.W is float32 \(12, 4\) but the network's parameter is float32 \(12, 8\)"),
    ("optim/m/0.W", lambda m: np.full_like(m, np.nan), r"optim/m/0\.W holds non-finite"),
    ("optim/t", lambda t: np.array(-1), "optim/t .* non-negative integer"),
    ("optim/t", lambda t: np.array(2.5), "optim/t .* non-negative integer"),
    ("optim/lr", lambda t: np.array([1e-3, 1e-3]), "optim/lr must be a scalar"),
])
def test_wrongly_typed_or_non_finite_arrays_are_refused(ck, key, make, match):
    npz = ck[0].with_suffix(".npz")
    _replace_array(npz, key, make(_entries(npz)[key]))
    with pytest.raises(CheckpointError, match=match) as info:
        load_checkpoint(ck[0])
    assert str(npz) in str(info.value) and "\n" not in str(info.value)


def test_the_advice_fits_the_checkpoint(tmp_path, rng):
    net, opt, _ = _trained(rng)
    for name, advice in (("last", "--resume cannot continue from it; start the run again with --overwrite"),
                         ("best", "evaluate " + str(tmp_path / "last") + " instead")):
        save_checkpoint(tmp_path / name, net, opt)
        (tmp_path / f"{name}.npz").write_bytes(b"")
        with pytest.raises(CheckpointError, match=advice):
            load_checkpoint(tmp_path / name)


def test_save_refuses_what_load_would_refuse(tmp_path, rng):
    net, opt, _ = _trained(rng)
    save_checkpoint(tmp_path / "ck", net, opt)
    good = (tmp_path / "ck.npz").read_bytes()
    net.layers[0].params["W"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"param/0\.W holds non-finite values"):
        save_checkpoint(tmp_path / "ck", net, opt)
    assert (tmp_path / "ck.npz").read_bytes() == good and os.listdir(tmp_path) == ["ck.npz"]


# ------------------------------------------------------------------------------------- old format
def test_old_two_file_checkpoints_still_load_and_resume(tmp_path, rng):
    net, opt, x = _trained(rng)
    _save_v1(tmp_path / "last", net, opt, {"task": "demo"}, {"epoch": 3})
    assert checkpoint_exists(tmp_path / "last")
    net2, opt_state, meta = load_checkpoint(tmp_path / "last")
    np.testing.assert_array_equal(net2.forward(x), net.forward(x))
    assert meta["format_version"] == 1 and meta["extra"] == {"epoch": 3} and opt_state["t"] == 3
    # saving again writes the one-file format and removes the stale description
    save_checkpoint(tmp_path / "last", net2, opt)
    assert sorted(os.listdir(tmp_path)) == ["last.npz"]
    assert load_checkpoint(tmp_path / "last")[2]["format_version"] == 2


def test_old_format_damage_is_refused(tmp_path, rng):
    net, opt, _ = _trained(rng)
    npz, js = _save_v1(tmp_path / "ck", net, opt)
    good_json = js.read_text()
    blob = npz.read_bytes()
    npz.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CheckpointError, match="does not match its description .* truncated, corrupt"):
        load_checkpoint(tmp_path / "ck")
    meta = json.loads(good_json)
    meta["npz_sha256"] = hashlib.sha256(npz.read_bytes()).hexdigest()
    js.write_text(json.dumps(meta))         # even with an agreeing hash: a clear error, no zipfile traceback
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "ck")
    npz.write_bytes(blob)
    js.write_text(good_json[:-40])
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(tmp_path / "ck")
    js.write_text(json.dumps({"hello": 1}))
    with pytest.raises(CheckpointError, match="not an snu-np checkpoint"):
        load_checkpoint(tmp_path / "ck")
    os.remove(js)
    with pytest.raises(CheckpointNotFoundError, match=r"ck\.json not found"):
        load_checkpoint(tmp_path / "ck")


def test_old_format_complex_weights_are_refused(tmp_path, rng):
    """The hostile-user finding: a complex W resumed with its imaginary part dropped."""
    net, opt, _ = _trained(rng)
    npz, js = _save_v1(tmp_path / "ck", net, opt)
    arrays = _entries(npz)
    arrays["param/0.W"] = arrays["param/0.W"].astype(np.complex64)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    npz.write_bytes(buf.getvalue())
    meta = json.loads(js.read_text())
    meta["npz_sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    meta["arrays"]["param/0.W"]["dtype"] = "complex64"
    js.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"param/0\.W is complex"):
        load_checkpoint(tmp_path / "ck")


# ------------------------------------------------------------------------------------ atomic writes
def test_atomic_write_keeps_old_content_and_no_temp_files(tmp_path):
    p = tmp_path / "f.bin"
    atomic_write_bytes(p, b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(p, "not bytes")
    with pytest.raises(ZeroDivisionError):
        with atomic_writer(p) as f:
            f.write(b"half")
            1 / 0
    assert p.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["f.bin"]
    atomic_write_json(tmp_path / "r.json", {"a": np.float32(1.5), "b": np.arange(3), "c": float("nan")})
    d = json.loads((tmp_path / "r.json").read_text())
    assert d["a"] == 1.5 and d["b"] == [0, 1, 2]
    assert checkpoint_paths(tmp_path / "x.npz") == (tmp_path / "x.npz", tmp_path / "x.json")


def test_verify_refuses_before_the_old_file_is_replaced(tmp_path):
    p = tmp_path / "f.bin"
    atomic_write_bytes(p, b"old")

    def refuse(tmp):
        assert tmp.read_bytes() == b"new" and tmp.parent == tmp_path
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        with atomic_writer(p, verify=refuse) as f:
            f.write(b"new")
    assert p.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]


@pytest.mark.parametrize("step", sio.FAULT_STEPS)
def test_a_failure_after_each_step_leaves_old_or_new(tmp_path, monkeypatch, step):
    p = tmp_path / "f.bin"
    atomic_write_bytes(p, b"old")

    def hook(s, path):
        if s == step:
            raise KeyboardInterrupt

    monkeypatch.setattr(sio, "fault_hook", hook)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(p, b"new")
    replaced = sio.FAULT_STEPS.index(step) >= sio.FAULT_STEPS.index("replace")
    assert p.read_bytes() == (b"new" if replaced else b"old")
    assert os.listdir(tmp_path) == ["f.bin"]        # the temporary file is removed, whatever happened


def test_disk_full_is_a_run_io_error_naming_the_file(tmp_path, monkeypatch, ck):
    path, net, opt, _ = ck
    good = path.with_suffix(".npz").read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sio.os, "fsync", full)
    with pytest.raises(RunIOError, match=r"cannot write .*ck\.npz: No space left on device; .*free space") as info:
        save_checkpoint(path, net, opt)
    assert info.value.exit_code == 5 and "\n" not in str(info.value)
    assert path.with_suffix(".npz").read_bytes() == good and os.listdir(path.parent) == ["ck.npz"]


def test_leftover_temp_files_are_ignored_and_removed_on_the_next_save(ck):
    path, net, opt, x = ck
    folder = path.parent
    for name in (".ck.npz.abc123.tmp", ".ck.npz.zzz.part", ".results.json.q1.tmp"):
        (folder / name).write_bytes(b"half a file")
    net2, _, _ = load_checkpoint(path)
    np.testing.assert_array_equal(net2.forward(x), net.forward(x))
    save_checkpoint(path, net, opt)
    assert sorted(os.listdir(folder)) == [".results.json.q1.tmp", "ck.npz"]  # only this file's leftovers
    assert [p.name for p in clean_temp_files(folder)] == [".results.json.q1.tmp"]
    assert os.listdir(folder) == ["ck.npz"]


def test_fault_env_var_kills_the_process_right_after_the_step(tmp_path):
    p = tmp_path / "f.bin"
    atomic_write_bytes(p, b"old")
    code = f"from snu_np.io import atomic_write_bytes; atomic_write_bytes({str(p)!r}, b'new')"
    for spec, want in (("fsync:1", b"old"), ("replace:1:f.bin", b"new"), ("write:1:other.bin", b"new")):
        env = dict(os.environ, SNU_NP_FAULT=spec)
        rc = subprocess.run([sys.executable, "-c", code], env=env, timeout=120).returncode
        assert rc == (0 if "other" in spec else -9), spec
        assert p.read_bytes() == want, spec
        atomic_write_bytes(p, b"old")           # and the next write removes what the kill left
        assert os.listdir(tmp_path) == ["f.bin"]


def test_bad_fault_spec_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SNU_NP_FAULT", "after-write")
    with pytest.raises(ValueError, match="SNU_NP_FAULT='after-write' is not STEP:N"):
        atomic_write_bytes(tmp_path / "f", b"x")
