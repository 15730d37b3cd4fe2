"""fetch(): search order, checksums, and downloads from a local HTTP server started by the test (good,
short, slow, silent and failing mirrors)."""
import errno
import hashlib
import http.server
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from snu_np import io as sio
from snu_np.data import ChecksumError, DownloadError, fetch, load_mnist, sha256sum, write_idx
from snu_np.data import download as dl
from snu_np.data.download import DataNotFoundError
from snu_np.errors import DataError
from snu_np.data import mnist as mnist_mod
from snu_np.data.idx import file_mode

pytestmark = pytest.mark.nojit

PAYLOAD = bytes(range(256)) * 300  # 76.8 kB: several read chunks
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for var in ("SNU_NP_DATA", "SNU_NP_MNIST_URL", "SNU_NP_MUSIC_URL", "SNU_NP_DOWNLOAD_TIMEOUT", "SNU_NP_FAULT",
                "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")  # never route 127.0.0.1 through a proxy


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``root`` with faults chosen by the first path component:

    ``/ok/NAME`` the file; ``/short/NAME`` announces the full Content-Length, sends half, hangs up;
    ``/slow/NAME`` trickles 256 bytes every 50 ms; ``/stall/NAME`` sends the headers, then nothing;
    ``/500/NAME`` an internal server error; ``/nolength/NAME`` the file without a Content-Length;
    anything else 404.
    """

    root = None
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append(self.path)
        parts = self.path.strip("/").split("/")
        mode, name = (parts[0], parts[-1]) if len(parts) >= 2 else ("", "")
        path = self.root / name
        if mode == "500":
            self.send_error(500, "boom")
            return
        if mode not in ("ok", "short", "slow", "stall", "nolength") or not path.is_file():
            self.send_error(404, "File not found")
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode != "nolength":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if mode in ("ok", "nolength"):
                self.wfile.write(body)
            elif mode == "short":
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
            elif mode == "slow":
                t0 = time.monotonic()
                for i in range(0, len(body), 256):          # bounded: 5 s at most, then hang up
                    if time.monotonic() - t0 > 5:
                        break
                    self.wfile.write(body[i:i + 256])
                    self.wfile.flush()
                    time.sleep(0.05)
            elif mode == "stall":
                self.wfile.flush()
                time.sleep(3)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1 (a free port); yield (folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = type("H", (_Handler,), {"root": root, "requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    _Handler.current = handler
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def requests_seen():
    return _Handler.current.requests


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
    with pytest.raises(DataNotFoundError) as info:
        fetch("f.bin", ["https://example.org/data/f.bin"], PAYLOAD_SHA, data_dir=tmp_path / "mine",
              download=False, subdir="mnist")
    assert isinstance(info.value, FileNotFoundError) and info.value.exit_code == 3
    msg = str(info.value)
    first = msg.splitlines()[0]       # one line says what is wrong and what to do; details follow
    assert "f.bin was not found and downloading is off" in first and "--no-download" in first
    assert "SNU_NP_DATA" in first and "allow downloads" in first
    for place in (tmp_path / "mine", tmp_path / "mine" / "mnist", tmp_path / "envdir",
                  tmp_path / "envdir" / "mnist", cache(tmp_path, "mnist")):
        assert str(place / "f.bin") in msg
    assert "(does not exist)" in msg
    assert "https://example.org/data/f.bin" in msg and "download=True" in msg


def test_found_file_with_wrong_checksum_raises(tmp_path):
    (tmp_path / "f.bin").write_bytes(PAYLOAD[:-1] + b"\x00")
    with pytest.raises(ChecksumError) as info:
        fetch("f.bin", ["https://example.org/f.bin"], PAYLOAD_SHA, data_dir=tmp_path, download=True)
    msg = str(info.value)
    assert isinstance(info.value, DataError) and info.value.exit_code == 3
    assert msg.splitlines()[0].startswith(f"{tmp_path / 'f.bin'} has the wrong SHA-256 checksum: delete it")
    assert PAYLOAD_SHA in msg and sha256sum(tmp_path / "f.bin") in msg
    assert (tmp_path / "f.bin").exists()  # a user's file is reported, never deleted


def test_argument_checks(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="filename must be a bare file name"):
        fetch("a/b.bin", ["http://x/b.bin"], PAYLOAD_SHA)
    with pytest.raises(ValueError, match="sha256 must be a 64-character hex string"):
        fetch("b.bin", ["http://x/b.bin"], "abc")
    with pytest.raises(ValueError, match="url_list must contain full URLs"):
        fetch("b.bin", ["b.bin"], PAYLOAD_SHA)
    with pytest.raises(FileNotFoundError, match="data_dir .* is not an existing directory"):
        fetch("b.bin", ["http://x/b.bin"], PAYLOAD_SHA, data_dir=tmp_path / "missing")
    with pytest.raises(DataError, match="deadline must be a positive number of seconds"):
        fetch("b.bin", ["http://x/b.bin"], PAYLOAD_SHA, deadline=0)
    monkeypatch.setenv("SNU_NP_DOWNLOAD_TIMEOUT", "soon")
    with pytest.raises(DataError, match=r"\$SNU_NP_DOWNLOAD_TIMEOUT='soon' is not a number of seconds"):
        fetch("b.bin", ["http://x/b.bin"], PAYLOAD_SHA)
    monkeypatch.setenv("SNU_NP_DOWNLOAD_TIMEOUT", "12.5")
    assert dl.download_deadline() == 12.5 and dl.download_deadline(3) == 3.0
    monkeypatch.delenv("SNU_NP_DOWNLOAD_TIMEOUT")
    assert dl.download_deadline() == dl.DEFAULT_DEADLINE == 600


def test_error_classes_are_data_errors():
    assert issubclass(ChecksumError, DataError) and issubclass(ChecksumError, ValueError)
    assert issubclass(DownloadError, DataError) and issubclass(DownloadError, OSError)
    assert issubclass(DataNotFoundError, DataError) and issubclass(DataNotFoundError, FileNotFoundError)
    assert dl.ChecksumError is ChecksumError and dl.DownloadError is DownloadError


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

    monkeypatch.setattr(sio.os, "replace", spy)
    path = fetch("f.bin", [f"{url}/ok/f.bin"], PAYLOAD_SHA, progress=progress, subdir="sub")
    assert path == cache(tmp_path, "sub") / "f.bin" and path.read_bytes() == PAYLOAD
    (src, dst, existed, complete), = renames
    assert os.path.dirname(src) == os.path.dirname(dst) and not existed and complete
    assert leftovers(cache(tmp_path, "sub")) == []          # no temporary file, no lock file
    assert path.stat().st_mode & 0o777 == file_mode()  # not the owner-only mode of mkstemp
    err = capsys.readouterr().err
    assert ("f.bin" in err) == progress  # the tqdm bar, only when asked for
    # Second call: found in the cache, no new request.
    assert fetch("f.bin", [f"{url}/ok/f.bin"], PAYLOAD_SHA, subdir="sub") == path
    assert requests_seen() == ["/ok/f.bin"]


def test_file_without_content_length_downloads(tmp_path, server):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)
    assert fetch("f.bin", [f"{url}/nolength/f.bin"], PAYLOAD_SHA, progress=False).read_bytes() == PAYLOAD


def test_wrong_bytes_are_deleted_and_the_next_mirror_is_tried(tmp_path, server):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD + b"tampered")
    (root / "good.bin").write_bytes(PAYLOAD)
    with pytest.raises(ChecksumError, match=r"downloaded from .*f.bin has the wrong SHA-256") as info:
        fetch("f.bin", [f"{url}/ok/f.bin", f"{url}/ok/also.bin"], PAYLOAD_SHA, progress=False)
    assert PAYLOAD_SHA in str(info.value) and "1 of 2 mirror(s) delivered wrong bytes" in str(info.value)
    assert list(cache(tmp_path).iterdir()) == []  # neither the file nor a temp file
    assert requests_seen() == ["/ok/f.bin", "/ok/also.bin"]
    # with a good mirror after the bad one, the good one wins
    path = fetch("good.bin", [f"{url}/ok/f.bin", f"{url}/ok/good.bin"], PAYLOAD_SHA, progress=False)
    assert path.read_bytes() == PAYLOAD


def test_failing_mirror_falls_back_to_next(tmp_path, server):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)
    path = fetch("f.bin", [f"{url}/missing/f.bin", f"{url}/500/f.bin", f"{url}/ok/f.bin"], PAYLOAD_SHA,
                 progress=False)
    assert path.read_bytes() == PAYLOAD
    assert requests_seen() == ["/missing/f.bin", "/500/f.bin", "/ok/f.bin"]


def test_short_read_is_a_failed_download_and_the_next_mirror_is_tried(tmp_path, server):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)
    path = fetch("f.bin", [f"{url}/short/f.bin", f"{url}/ok/f.bin"], PAYLOAD_SHA, progress=False)
    assert path.read_bytes() == PAYLOAD and requests_seen() == ["/short/f.bin", "/ok/f.bin"]
    path.unlink()
    with pytest.raises(DownloadError) as info:           # not a checksum mismatch: a cut transfer
        fetch("f.bin", [f"{url}/short/f.bin"], PAYLOAD_SHA, progress=False)
    msg = str(info.value)
    assert not isinstance(info.value, ChecksumError)
    assert "/short/f.bin" in msg and ("cut short" in msg or "IncompleteRead" in msg or "Connection broken" in msg)
    assert list(cache(tmp_path).iterdir()) == []


def test_slow_mirror_hits_the_deadline_and_the_next_is_tried(tmp_path, server, monkeypatch):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)        # 76.8 kB at 5 kB/s: 15 s; the deadline is 0.5 s
    t0 = time.monotonic()
    path = fetch("f.bin", [f"{url}/slow/f.bin", f"{url}/ok/f.bin"], PAYLOAD_SHA, progress=False, deadline=0.5)
    assert path.read_bytes() == PAYLOAD and time.monotonic() - t0 < 3
    path.unlink()
    monkeypatch.setenv("SNU_NP_DOWNLOAD_TIMEOUT", "0.4")   # the environment variable sets it too
    t0 = time.monotonic()
    with pytest.raises(DownloadError, match=r"too slow: .* over the 0.4 s deadline \(\$SNU_NP_DOWNLOAD_TIMEOUT\)"):
        fetch("f.bin", [f"{url}/slow/f.bin"], PAYLOAD_SHA, progress=False)
    assert time.monotonic() - t0 < 3
    assert list(cache(tmp_path).iterdir()) == []


def test_silent_mirror_times_out(tmp_path, server):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)
    t0 = time.monotonic()
    path = fetch("f.bin", [f"{url}/stall/f.bin", f"{url}/ok/f.bin"], PAYLOAD_SHA, progress=False, timeout=0.3)
    assert path.read_bytes() == PAYLOAD and time.monotonic() - t0 < 2.5


def test_all_mirrors_failing_raises_download_error(tmp_path, server):
    _, url = server
    with pytest.raises(DownloadError) as info:
        fetch("f.bin", [f"{url}/ok/a/f.bin", f"{url}/500/f.bin"], PAYLOAD_SHA, progress=False)
    msg = str(info.value)
    assert msg.splitlines()[0].startswith("could not download f.bin (2 mirror(s) tried, every one failed): ")
    assert f"{url}/ok/a/f.bin" in msg and f"{url}/500/f.bin" in msg and "404" in msg and "500" in msg
    assert "SNU_NP_DATA" in msg and info.value.exit_code == 3
    assert leftovers(cache(tmp_path)) == []


def test_unreachable_mirror(tmp_path):
    with pytest.raises(DownloadError, match="127.0.0.1:9/f.bin: ConnectionError"):
        fetch("f.bin", ["http://127.0.0.1:9/f.bin"], PAYLOAD_SHA, progress=False, timeout=2)


def test_stale_temporary_files_of_a_crashed_download_are_removed_never_used(tmp_path, server):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)
    folder = cache(tmp_path)
    folder.mkdir(parents=True)
    for name in (".f.bin.x1y2.part", ".f.bin.abcd.tmp"):          # what kill -9 left (old and new names)
        (folder / name).write_bytes(PAYLOAD)                      # even complete, they are not trusted
    (folder / ".other.bin.zz.tmp").write_bytes(b"x")             # another file's download: left alone
    with pytest.raises(DataNotFoundError):
        fetch("f.bin", [f"{url}/ok/f.bin"], PAYLOAD_SHA, download=False)
    path = fetch("f.bin", [f"{url}/ok/f.bin"], PAYLOAD_SHA, progress=False)
    assert path.read_bytes() == PAYLOAD and requests_seen() == ["/ok/f.bin"]
    assert sorted(p.name for p in folder.iterdir()) == [".other.bin.zz.tmp", "f.bin"]


def test_a_killed_download_leaves_nothing_that_is_trusted(tmp_path, server):
    """kill -9 in the middle of a real download (a slow mirror), then download again."""
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)
    code = ("from snu_np.data import fetch; import sys; "
            f"fetch('f.bin', [{url + '/slow/f.bin'!r}], {PAYLOAD_SHA!r}, progress=False)")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    folder = cache(tmp_path)
    t0 = time.monotonic()
    while not list(folder.glob(".f.bin.*.tmp")) and time.monotonic() - t0 < 30:
        time.sleep(0.02)
    time.sleep(0.3)
    proc.kill()
    proc.wait(30)
    assert list(folder.glob(".f.bin.*.tmp")) and not (folder / "f.bin").exists()
    path = fetch("f.bin", [f"{url}/ok/f.bin"], PAYLOAD_SHA, progress=False)
    assert path.read_bytes() == PAYLOAD and sorted(p.name for p in folder.iterdir()) == ["f.bin"]


def test_concurrent_fetches_download_once(tmp_path, server):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD[:8192])
    sha = hashlib.sha256(PAYLOAD[:8192]).hexdigest()    # 8 kB at 5 kB/s: about 1.6 s
    results = []

    def get():
        results.append(fetch("f.bin", [f"{url}/slow/f.bin"], sha, progress=False))

    threads = [threading.Thread(target=get) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2 and results[0] == results[1] and results[0].read_bytes() == PAYLOAD[:8192]
    assert requests_seen() == ["/slow/f.bin"]               # the second waited for the first
    assert leftovers(cache(tmp_path)) == []


def test_disk_full_while_downloading_is_one_clear_error(tmp_path, server, monkeypatch):
    root, url = server
    (root / "f.bin").write_bytes(PAYLOAD)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sio.os, "fsync", full)
    with pytest.raises(DownloadError, match=r"cannot write the download of f.bin to .*No space left on device"):
        fetch("f.bin", [f"{url}/ok/f.bin", f"{url}/ok/f.bin"], PAYLOAD_SHA, progress=False)
    assert requests_seen() == ["/ok/f.bin"]               # a full disk is not the mirror's fault
    assert leftovers(cache(tmp_path)) == []


def test_load_mnist_downloads_from_overridden_mirror(tmp_path, server, monkeypatch):
    root, url = server
    rng = np.random.default_rng(1)
    images, labels = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), np.arange(5, dtype=np.uint8)
    for name, arr in zip(mnist_mod.MNIST_FILES["test"], (images, labels)):
        write_idx(root / name, arr)
        monkeypatch.setitem(mnist_mod.MNIST_SHA256, name, sha256sum(root / name))
    monkeypatch.setenv("SNU_NP_MNIST_URL", f"{url}/nothing-here/ {url}/short/ {url}/ok/")
    x, y = load_mnist(split="test", progress=False)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert sorted(p.name for p in cache(tmp_path, "mnist").iterdir()) == sorted(mnist_mod.MNIST_FILES["test"])
    # The base_url argument wins over the environment variable.
    monkeypatch.setenv("SNU_NP_MNIST_URL", "http://127.0.0.1:9/")
    for p in cache(tmp_path, "mnist").iterdir():
        p.unlink()
    load_mnist(split="test", progress=False, base_url=f"{url}/ok")


def test_load_mnist_offline_is_one_clear_line(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        load_mnist(split="test", download=False)
    first = str(info.value).splitlines()[0]
    assert first.startswith("t10k-images-idx3-ubyte.gz was not found and downloading is off")


def test_default_mirrors_and_urls():
    assert dl.resolve_base_urls(None, "SNU_NP_MNIST_URL", mnist_mod.MNIST_URLS) == [
        "https://ossci-datasets.s3.amazonaws.com/mnist", "https://storage.googleapis.com/cvdf-datasets/mnist"]
    assert dl.resolve_base_urls(["http://a/", "http://b"], "X", ()) == ["http://a", "http://b"]
    with pytest.raises(ValueError, match="base_url must not be empty"):
        dl.resolve_base_urls([], "X", ())
