"""fetch(): search order, checksums, and downloads from a local HTTP server started by the test."""
import functools
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest

from snu_np.data import ChecksumError, DownloadError, fetch, load_mnist, sha256sum, write_idx
from snu_np.data import download as dl
from snu_np.data import mnist as mnist_mod
from snu_np.data.idx import file_mode

pytestmark = pytest.mark.nojit

PAYLOAD = bytes(range(256)) * 300  # 76.8 kB: several read chunks
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for var in ("SNU_NP_DATA", "SNU_NP_MNIST_URL", "SNU_NP_MUSIC_URL",
                "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")  # never route 127.0.0.1 through a proxy


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1 (a free port); yield (folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    _QuietHandler.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def cache(tmp_path, subdir=None):
    base = tmp_path / "cache" / "snu-np"
    return base / subdir if subdir else base


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")] if folder.exists() else []


# -------------------------------------------------------------------------------------------- search
def test_cache_dir_follows_xdg(tmp_path, monkeypatch):
    assert dl.cache_dir() == tmp_path / "cache" / "snu-np"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert dl.cache_dir() == type(tmp_path)(os.path.expanduser("~")) / ".cache" / "snu-np"


def test_search_order_data_dir_env_cache(tmp_path, monkeypatch):
    for d in ("a", "b", "cache/snu-np/sub"):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "f.bin").write_bytes(PAYLOAD)
    monkeypatch.setenv("SNU_NP_DATA", str(tmp_path / "b"))
    kw = dict(url_list=["http://127.0.0.1:9/f.bin"], sha256=PAYLOAD_SHA, download=False, subdir="sub")
    assert fetch("f.bin", data_dir=tmp_path / "a", **kw) == tmp_path / "a" / "f.bin"
    assert fetch("f.bin", **kw) == tmp_path / "b" / "f.bin"
    monkeypatch.delenv("SNU_NP_DATA")
    assert fetch("f.bin", **kw) == tmp_path / "cache" / "snu-np" / "sub" / "f.bin"


def test_not_found_lists_every_place(tmp_path, monkeypatch):
    (tmp_path / "mine").mkdir()
    monkeypatch.setenv("SNU_NP_DATA", str(tmp_path / "envdir"))
    with pytest.raises(FileNotFoundError) as info:
        fetch("f.bin", ["https://example.org/data/f.bin"], PAYLOAD_SHA, data_dir=tmp_path / "mine",
              download=False, subdir="mnist")
    msg = str(info.value)
    for place in (tmp_path / "mine", tmp_path / "mine" / "mnist", tmp_path / "envdir",
                  tmp_path / "envdir" / "mnist", cache(tmp_path, "mnist")):
        assert str(place / "f.bin") in msg
    assert "(does not exist)" in msg
    assert "https://example.org/data/f.bin" in msg and "SNU_NP_DATA" in msg and "download=True" in msg


def test_found_file_with_wrong_checksum_raises(tmp_path):
    (tmp_path / "f.bin").write_bytes(PAYLOAD[:-1] + b"\x00")
    with pytest.raises(ChecksumError) as info:
        fetch("f.bin", ["https://example.org/f.bin"], PAYLOAD_SHA, data_dir=tmp_path, download=True)
    msg = str(info.value)
    assert str(tmp_path / "f.bin") in msg and PAYLOAD_SHA in msg
    assert sha256sum(tmp_path / "f.bin") in msg and "Delete it" in msg
    assert (tmp_path / "f.bin").exists()  # a user's file is reported, never deleted


def test_argument_checks(tmp_path):
    with pytest.raises(ValueError, match="filename must be a bare file name"):
        fetch("a/b.bin", ["http://x/b.bin"], PAYLOAD_SHA)
    with pytest.raises(ValueError, match="sha256 must be a 64-character hex string"):
        fetch("b.bin", ["http://x/b.bin"], "abc")
    with pytest.raises(ValueError, match="url_list must contain full URLs"):
        fetch("b.bin", ["b.bin"], PAYLOAD_SHA)
    with pytest.raises(FileNotFoundError, match="data_dir .* is not an existing directory"):
        fetch("b.bin", ["http://x/b.bin"], PAYLOAD_SHA, data_dir=tmp_path / "missing")


# ------------------------------------------------------------------------------------------ download
@pytest.mark.parametrize("progress", [False, True])
def test_download_lands_in_cache_atomically(tmp_path, server, monkeypatch, capsys, progress):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)
    renames = []
    real_replace = os.replace

    def spy(src, dst):
        # At rename time the destination must not exist yet and the temp file must be complete.
        renames.append((src, dst, os.path.exists(dst), open(src, "rb").read() == PAYLOAD))
        return real_replace(src, dst)

    monkeypatch.setattr(dl.os, "replace", spy)
    path = fetch("f.bin", [f"{url}/f.bin"], PAYLOAD_SHA, progress=progress, subdir="sub")
    assert path == cache(tmp_path, "sub") / "f.bin" and path.read_bytes() == PAYLOAD
    (src, dst, existed, complete), = renames
    assert os.path.dirname(src) == os.path.dirname(dst) and not existed and complete
    assert leftovers(cache(tmp_path, "sub")) == []
    assert path.stat().st_mode & 0o777 == file_mode()  # not the owner-only mode of mkstemp
    err = capsys.readouterr().err
    assert ("f.bin" in err) == progress  # the tqdm bar, only when asked for
    # Second call: found in the cache, no new request.
    assert fetch("f.bin", [f"{url}/f.bin"], PAYLOAD_SHA, subdir="sub") == path
    assert _QuietHandler.requests == ["/f.bin"]


def test_downloaded_file_with_wrong_checksum_is_deleted(tmp_path, server):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD + b"tampered")
    with pytest.raises(ChecksumError, match=r"downloaded from .*f.bin has the wrong SHA-256") as info:
        fetch("f.bin", [f"{url}/f.bin", f"{url}/also.bin"], PAYLOAD_SHA, progress=False)
    assert PAYLOAD_SHA in str(info.value)
    assert list(cache(tmp_path).iterdir()) == []  # neither the file nor a temp file
    assert _QuietHandler.requests == ["/f.bin"]  # wrong bytes are not "skipped" to the next mirror


def test_failing_mirror_falls_back_to_next(tmp_path, server):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)
    path = fetch("f.bin", [f"{url}/missing/f.bin", f"{url}/f.bin"], PAYLOAD_SHA, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert _QuietHandler.requests == ["/missing/f.bin", "/f.bin"]


def test_all_mirrors_failing_raises_download_error(tmp_path, server):
    _, url = server
    with pytest.raises(DownloadError) as info:
        fetch("f.bin", [f"{url}/a/f.bin", f"{url}/b/f.bin"], PAYLOAD_SHA, progress=False)
    msg = str(info.value)
    assert f"{url}/a/f.bin" in msg and f"{url}/b/f.bin" in msg and "404" in msg and "SNU_NP_DATA" in msg
    assert leftovers(cache(tmp_path)) == []


def test_load_mnist_downloads_from_overridden_mirror(tmp_path, server, monkeypatch):
    root, url = server
    rng = np.random.default_rng(1)
    images, labels = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), np.arange(5, dtype=np.uint8)
    for name, arr in zip(mnist_mod.MNIST_FILES["test"], (images, labels)):
        write_idx(root / name, arr)
        monkeypatch.setitem(mnist_mod.MNIST_SHA256, name, sha256sum(root / name))
    monkeypatch.setenv("SNU_NP_MNIST_URL", f"{url}/nothing-here/ {url}/")
    x, y = load_mnist(split="test", progress=False)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert sorted(p.name for p in cache(tmp_path, "mnist").iterdir()) == sorted(mnist_mod.MNIST_FILES["test"])
    # The base_url argument wins over the environment variable.
    monkeypatch.setenv("SNU_NP_MNIST_URL", "http://127.0.0.1:9/")
    for p in cache(tmp_path, "mnist").iterdir():
        p.unlink()
    load_mnist(split="test", progress=False, base_url=url)


def test_default_mirrors_and_urls():
    assert dl.resolve_base_urls(None, "SNU_NP_MNIST_URL", mnist_mod.MNIST_URLS) == [
        "https://ossci-datasets.s3.amazonaws.com/mnist", "https://storage.googleapis.com/cvdf-datasets/mnist"]
    assert dl.resolve_base_urls(["http://a/", "http://b"], "X", ()) == ["http://a", "http://b"]
    with pytest.raises(ValueError, match="base_url must not be empty"):
        dl.resolve_base_urls([], "X", ())
