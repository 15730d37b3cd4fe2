"""IDX reading/writing and the MNIST loaders (only files written into tmp_path, or the embedded subset)."""
import gzip
import os
import shutil
import struct

import numpy as np
import pytest

from snu_np.data import ChecksumError, load_embedded_mnist, load_mnist, read_idx, sha256sum, write_idx
from snu_np.data import mnist as mnist_mod
from snu_np.data.download import DataNotFoundError
from snu_np.data.idx import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC
from snu_np.errors import DataError

pytestmark = pytest.mark.nojit


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test may see the user's data folders, cache or mirrors."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for var in ("SNU_NP_DATA", "SNU_NP_MNIST_URL", "SNU_NP_MUSIC_URL", "SNU_NP_DOWNLOAD_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)


def fake_mnist(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def write_split(folder, split, images, labels, monkeypatch):
    """Write a fake MNIST split under the official names and accept its checksums."""
    img_name, lab_name = mnist_mod.MNIST_FILES[split]
    write_idx(folder / img_name, images)
    write_idx(folder / lab_name, labels)
    monkeypatch.setitem(mnist_mod.MNIST_SHA256, img_name, sha256sum(folder / img_name))
    monkeypatch.setitem(mnist_mod.MNIST_SHA256, lab_name, sha256sum(folder / lab_name))


# ----------------------------------------------------------------------------------------------- IDX
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
    np.arange(-5, 5, dtype=np.int8),
    np.arange(12, dtype=np.int16).reshape(3, 4) * -300,
    np.arange(7, dtype=np.int32) * 100000,
    np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3),
    np.linspace(-1, 1, 6).reshape(1, 2, 3),
], ids=lambda a: f"{a.dtype}{a.shape}")
def test_idx_round_trip(tmp_path, name, array):
    path = write_idx(tmp_path / name, array)
    back = read_idx(path)
    assert back.dtype == array.dtype.newbyteorder("=") and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind


def test_idx_header_layout_and_magic(tmp_path):
    images, labels = fake_mnist(3)
    write_idx(tmp_path / "i.idx", images)
    write_idx(tmp_path / "l.idx", labels)
    raw = (tmp_path / "i.idx").read_bytes()
    assert struct.unpack(">4i", raw[:16]) == (IDX_IMAGES_MAGIC, 3, 28, 28) and len(raw) == 16 + 3 * 784
    assert struct.unpack(">2i", (tmp_path / "l.idx").read_bytes()[:8]) == (IDX_LABELS_MAGIC, 3)
    read_idx(tmp_path / "i.idx", expect_magic=IDX_IMAGES_MAGIC)


def test_gzip_detected_by_content_not_name(tmp_path):
    a = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "plain.gz", a, compress=False)
    write_idx(tmp_path / "zipped.idx", a, compress=True)
    np.testing.assert_array_equal(read_idx(tmp_path / "plain.gz"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "zipped.idx"), a)


def test_gzip_output_is_reproducible(tmp_path):
    a = np.arange(100, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", a)
    os.utime(tmp_path / "a.gz", (0, 0))
    write_idx(tmp_path / "b.gz", a)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_file_is_refused(tmp_path, gz):
    images, _ = fake_mnist(4)
    raw = struct.pack(">4i", IDX_IMAGES_MAGIC, 4, 28, 28) + images.tobytes()[:-10]
    path = tmp_path / ("t.gz" if gz else "t.idx")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError, match=r"truncated.*3136 bytes.*3126") as info:
        read_idx(path, expect_magic=IDX_IMAGES_MAGIC)
    assert str(path) in str(info.value)


def test_oversized_file_is_refused(tmp_path):
    raw = struct.pack(">2i", IDX_LABELS_MAGIC, 3) + bytes([1, 2, 3, 4])
    (tmp_path / "l.idx").write_bytes(raw)
    with pytest.raises(ValueError, match=r"too long.*3 bytes.*has 4"):
        read_idx(tmp_path / "l.idx")


def test_truncated_header_is_refused(tmp_path):
    (tmp_path / "h.idx").write_bytes(struct.pack(">i", IDX_IMAGES_MAGIC) + b"\x00\x00")
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(tmp_path / "h.idx")
    (tmp_path / "e.idx").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="too short"):
        read_idx(tmp_path / "e.idx")


def test_wrong_magic_is_refused(tmp_path):
    write_idx(tmp_path / "l.idx", np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match=r"l.idx: wrong IDX magic number 2049, expected 2051"):
        read_idx(tmp_path / "l.idx", expect_magic=IDX_IMAGES_MAGIC)
    (tmp_path / "junk.idx").write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "junk.idx")


def test_corrupt_gzip_is_refused(tmp_path):
    write_idx(tmp_path / "a.gz", np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8))
    raw = bytearray((tmp_path / "a.gz").read_bytes())
    (tmp_path / "cut.gz").write_bytes(bytes(raw[: len(raw) // 2]))
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / "flip.gz").write_bytes(bytes(raw))
    for name in ("cut.gz", "flip.gz"):
        with pytest.raises(ValueError, match=rf"{name}: corrupt gzip file"):
            read_idx(tmp_path / name)


def _gzip_bomb(path, header, gigabytes=2):
    """A gzip file of about 2 MB that inflates to ``header`` + ``gigabytes`` GB of zeros.

    Built from one compressed 1 MiB block of zeros repeated as gzip members (a file of several members
    is one valid gzip stream), so making it takes milliseconds.
    """
    member = gzip.compress(bytes(1 << 20), compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(gzip.compress(header, mtime=0))
        for _ in range(gigabytes * 1024):
            f.write(member)
    return path


def test_gzip_bomb_is_refused_without_inflating_it(tmp_path):
    import time
    # the header claims 10 labels: read_idx inflates 8 + 10 + 1 bytes, not 2 GB
    path = _gzip_bomb(tmp_path / "bomb.gz", struct.pack(">2i", IDX_LABELS_MAGIC, 10))
    assert path.stat().st_size < 3 << 20
    t0 = time.perf_counter()
    with pytest.raises(DataError, match=r"bomb.gz: IDX payload is too long: .* 10 bytes .* has 11 or more"):
        read_idx(path)
    assert time.perf_counter() - t0 < 1.0       # inflating 2 GB would take seconds
    # a header that claims the 2 GB is refused before anything is read or allocated
    path = _gzip_bomb(tmp_path / "big.gz", struct.pack(">4i", IDX_IMAGES_MAGIC, 2048, 1024, 1024), 1)
    with pytest.raises(DataError, match=r"big.gz: .* 2147483648 bytes .* more than the 1073741824 bytes"):
        read_idx(path)
    # and one that claims more than this many compressed bytes can hold
    path = tmp_path / "small.gz"
    path.write_bytes(gzip.compress(struct.pack(">4i", IDX_IMAGES_MAGIC, 1000, 1000, 100)))
    with pytest.raises(DataError, match=r"small.gz: .* more than a \d+-byte gzip file can hold"):
        read_idx(path)


def test_idx_errors_are_data_errors(tmp_path):
    with pytest.raises(DataNotFoundError, match="nothing.idx does not exist"):
        read_idx(tmp_path / "nothing.idx")
    (tmp_path / "empty.gz").write_bytes(b"")
    with pytest.raises(DataError, match="empty.gz: too short for an IDX file"):
        read_idx(tmp_path / "empty.gz")
    write_idx(tmp_path / "a.gz", np.arange(100, dtype=np.uint8))
    (tmp_path / "trail.gz").write_bytes((tmp_path / "a.gz").read_bytes() + b"junk")
    with pytest.raises(DataError, match="trail.gz: corrupt gzip file"):
        read_idx(tmp_path / "trail.gz")


def test_write_idx_refuses_bad_input(tmp_path):
    with pytest.raises(TypeError, match="IDX cannot store"):
        write_idx(tmp_path / "x.idx", np.zeros(3, np.int64))
    with pytest.raises(TypeError, match="array must be a NumPy array"):
        write_idx(tmp_path / "x.idx", [1, 2, 3])
    assert list(tmp_path.iterdir()) == []


def test_write_idx_is_atomic_on_failure(tmp_path, monkeypatch):
    write_idx(tmp_path / "a.idx", np.zeros(3, np.uint8))

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_idx(tmp_path / "a.idx", np.ones(3, np.uint8))
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["a.idx"]  # temp file removed, old file intact
    np.testing.assert_array_equal(read_idx(tmp_path / "a.idx"), np.zeros(3))


# --------------------------------------------------------------------------------------------- MNIST
def test_load_mnist_from_data_dir(tmp_path, monkeypatch):
    images, labels = fake_mnist(7)
    write_split(tmp_path, "test", images, labels, monkeypatch)
    x, y = load_mnist(data_dir=tmp_path, split="test", download=False)
    assert x.dtype == np.uint8 and x.shape == (7, 28, 28) and y.dtype == np.uint8 and y.shape == (7,)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


def test_load_mnist_refuses_tampered_file(tmp_path, monkeypatch):
    images, labels = fake_mnist(7)
    write_split(tmp_path, "test", images, labels, monkeypatch)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", (labels + 1) % 10)
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte.gz has the wrong SHA-256"):
        load_mnist(data_dir=tmp_path, split="test", download=False)


def test_load_mnist_validates_content(tmp_path, monkeypatch):
    images, labels = fake_mnist(7)
    labels[3] = 10
    write_split(tmp_path, "test", images, labels, monkeypatch)
    with pytest.raises(DataError, match="labels must be digits 0..9, found 10 at index 3; the file is damaged"):
        load_mnist(data_dir=tmp_path, split="test", download=False)
    write_split(tmp_path, "test", images, labels[:5] % 10, monkeypatch)
    with pytest.raises(ValueError, match="holds 7 images but .* holds 5 labels"):
        load_mnist(data_dir=tmp_path, split="test", download=False)
    write_split(tmp_path, "test", images[:, :, :27].copy(), labels % 10, monkeypatch)
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28\)"):
        load_mnist(data_dir=tmp_path, split="test", download=False)


def test_load_mnist_checks_arguments(tmp_path):
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist(data_dir=tmp_path, split="valid")
    with pytest.raises(FileNotFoundError, match="data_dir .* is not an existing directory"):
        load_mnist(data_dir=tmp_path / "nope", download=False)
    with pytest.raises(ValueError, match="base_url must hold URLs"):
        load_mnist(data_dir=tmp_path, base_url="not a url")


def test_load_mnist_finds_files_in_env_subfolder(tmp_path, monkeypatch):
    images, labels = fake_mnist(4)
    (tmp_path / "store" / "mnist").mkdir(parents=True)
    write_split(tmp_path / "store" / "mnist", "train", images, labels, monkeypatch)
    monkeypatch.setenv("SNU_NP_DATA", str(tmp_path / "store"))
    x, _ = load_mnist(download=False)
    np.testing.assert_array_equal(x, images)


# ------------------------------------------------------------------------------------------ embedded
@pytest.mark.parametrize("split, n", [("train", 3000), ("test", 1000)])
def test_embedded_mnist(split, n):
    x, y, index = load_embedded_mnist(split, return_index=True)
    assert x.shape == (n, 28, 28) and x.dtype == np.uint8 and y.shape == (n,) and y.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y, minlength=10), np.full(10, n // 10))
    assert index.dtype == np.int32 and np.all(np.diff(index) > 0)
    assert index.max() < (60000 if split == "train" else 10000)
    assert 20 < x.mean() < 45 and x.max() == 255  # MNIST-like intensities


def test_embedded_mnist_checksum_is_verified(tmp_path, monkeypatch):
    for name in os.listdir(mnist_mod.EMBEDDED_DIR):
        shutil.copy(mnist_mod.EMBEDDED_DIR / name, tmp_path / name)
    monkeypatch.setattr(mnist_mod, "EMBEDDED_DIR", tmp_path)
    load_embedded_mnist("test")
    lab = tmp_path / "mnist-test1000-labels-idx1-ubyte.gz"
    write_idx(lab, np.zeros(1000, np.uint8))
    with pytest.raises(ChecksumError, match="mnist-test1000-labels"):
        load_embedded_mnist("test")
    lab.unlink()
    with pytest.raises(DataNotFoundError, match="installation is incomplete"):
        load_embedded_mnist("test")
    with pytest.raises(TypeError, match="return_index"):
        load_embedded_mnist("train", return_index=1)
