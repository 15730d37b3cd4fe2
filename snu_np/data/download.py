"""Find a data file on disk or download it (with pooch), always checking its SHA-256.

Where files are looked for, in this order (first hit wins):

1. ``data_dir``, the argument (``--data-dir``; it must exist);
2. the folder named by the environment variable ``SNU_NP_DATA``;
3. the per-user cache, ``$XDG_CACHE_HOME/snu-np`` or ``~/.cache/snu-np`` (what ``pooch.os_cache``
   gives on Linux; the path is kept as it was so that existing caches keep working).

In each folder the file may sit directly in it or in a sub-folder named ``subdir`` (``mnist`` or
``music``), so both ``SNU_NP_DATA=/data/mnist`` and ``SNU_NP_DATA=/data`` work.

A file that is found is checked against its SHA-256; a wrong checksum is an error, never a warning
(a damaged data file gives wrong results that look plausible). A missing file is downloaded, if
allowed, into ``<cache>/<subdir>/``. The HTTP transfer is pooch's :class:`pooch.HTTPDownloader`
(``requests``) with two checks added: a transfer that delivers fewer bytes than its
``Content-Length`` is a failed download, and each mirror gets at most ``deadline`` seconds for the
file (argument, or ``$SNU_NP_DOWNLOAD_TIMEOUT``, default 600 s). Any failure of a mirror (no
connection, HTTP error, short read, deadline, wrong SHA-256) moves on to the next one.

The bytes go to a temporary file ``.<name>.<random>.tmp`` next to the destination, through the one
atomic writer of the package (:func:`snu_np.io.atomic_writer`): flushed, fsync'ed, SHA-256-checked,
and only then renamed (``os.replace``) to the final name; on any failure the temporary file is
removed. Downloads of one file are serialised by a lock file (``flock``), and the holder of the lock
first removes temporary files a crashed earlier download left (they are never trusted).
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import time
from pathlib import Path

from ..errors import DataError, RunIOError
from ..io import atomic_writer, file_mode, remove_stale_temps

__all__ = ["fetch", "sha256sum", "cache_dir", "search_dirs", "verify_file", "resolve_base_urls",
           "download_deadline", "ChecksumError", "DownloadError", "DataNotFoundError",
           "DATA_ENV", "CACHE_NAME", "TIMEOUT_ENV", "DEFAULT_DEADLINE"]

DATA_ENV = "SNU_NP_DATA"
CACHE_NAME = "snu-np"
TIMEOUT_ENV = "SNU_NP_DOWNLOAD_TIMEOUT"
DEFAULT_DEADLINE = 600.0
_CHUNK = 1 << 16


class ChecksumError(DataError):
    """A file's SHA-256 differs from the expected value (exit code 3)."""


class DownloadError(DataError, OSError):
    """No URL could deliver a file (exit code 3)."""


class DataNotFoundError(DataError, FileNotFoundError):
    """A data file is nowhere on disk and downloading is off, or ``data_dir`` does not exist."""


class _MirrorFailed(Exception):
    """One mirror failed to deliver (short read, deadline): the next one is tried."""


class _LocalWriteError(Exception):
    """Writing the download to the cache failed (disk full, read-only): no mirror can help."""


def sha256sum(path):
    """Return the SHA-256 hex digest of a file (read in chunks).

    Not memoised on purpose: a file rewritten within the file system's timestamp granularity would
    keep its size and mtime, and a stale cached hash would let a changed file pass. Hashing the
    11 MB of MNIST takes a few tens of milliseconds.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_dir():
    """The per-user cache folder: ``$XDG_CACHE_HOME/snu-np``, else ``~/.cache/snu-np``.

    It is not created here; :func:`fetch` creates it when it downloads.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / CACHE_NAME


def search_dirs(data_dir=None, subdir=None):
    """The folders :func:`fetch` looks in, in order, as a list of ``(label, Path)``.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Checked first.
    subdir : str, optional
        Each place is also searched in this sub-folder (for ``$SNU_NP_DATA`` and the cache).
    """
    places = []
    if data_dir is not None:
        places.append(("data_dir argument", Path(data_dir)))
        if subdir:
            places.append(("data_dir argument", Path(data_dir) / subdir))
    env = os.environ.get(DATA_ENV)
    if env:
        places.append((f"${DATA_ENV}", Path(env)))
        if subdir:
            places.append((f"${DATA_ENV}", Path(env) / subdir))
    cache = cache_dir()
    places.append(("user cache", cache / subdir if subdir else cache))
    return places


def download_deadline(deadline=None):
    """Seconds one mirror may take for one file: ``deadline`` if given, else ``$SNU_NP_DOWNLOAD_TIMEOUT``,
    else :data:`DEFAULT_DEADLINE` (600)."""
    source = "deadline"
    if deadline is None:
        env = os.environ.get(TIMEOUT_ENV, "").strip()
        if not env:
            return DEFAULT_DEADLINE
        source = f"${TIMEOUT_ENV}"
        try:
            deadline = float(env)
        except ValueError:
            raise DataError(f"{source}={env!r} is not a number of seconds; set it to e.g. 600 or unset it") from None
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not deadline > 0 \
            or deadline != deadline:
        raise DataError(f"{source} must be a positive number of seconds, got {deadline!r}")
    return float(deadline)


def _check_sha256(sha256):
    if not isinstance(sha256, str) or len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower()):
        raise ValueError(f"sha256 must be a 64-character hex string, got {sha256!r}")
    return sha256.lower()


def _check_urls(url_list):
    if isinstance(url_list, str):
        url_list = [url_list]
    try:
        urls = list(url_list)
    except TypeError:
        raise TypeError(f"url_list must be a URL string or a list of URL strings, got {type(url_list).__name__}") from None
    for u in urls:
        if not isinstance(u, str) or "://" not in u:
            raise ValueError(f"url_list must contain full URLs such as 'https://host/path/file', got {u!r}")
    return urls


def verify_file(path, sha256, url_hint=None):
    """Raise :class:`ChecksumError` unless ``path`` has SHA-256 ``sha256``; return ``path``."""
    got = sha256sum(path)
    if got != sha256:
        fix = f" or download a fresh copy from {url_hint}" if url_hint else ""
        raise ChecksumError(
            f"{path} has the wrong SHA-256 checksum: delete it (it is downloaded again when downloads are "
            f"allowed) or replace it with a correct copy{fix}\n  expected {sha256}\n  got      {got}\n"
            f"The file is damaged, incomplete or a different file.")
    return path


def fetch(filename, url_list, sha256, data_dir=None, download=True, progress=True, subdir=None,
          timeout=60.0, deadline=None):
    """Return the path of a verified local copy of ``filename``, downloading it if needed.

    Parameters
    ----------
    filename : str
        Bare file name (no folders), e.g. ``"t10k-labels-idx1-ubyte.gz"``.
    url_list : str or list of str
        Full URLs of the file (mirrors), tried in order until one delivers the right bytes.
    sha256 : str
        Expected SHA-256 hex digest of the file.
    data_dir : str or os.PathLike, optional
        Folder searched first; it must exist. Downloads never go here (it may be read-only).
    download : bool
        Download when the file is found nowhere. ``False`` raises :class:`DataNotFoundError`.
    progress : bool
        Show a tqdm progress bar on stderr while downloading.
    subdir : str, optional
        Sub-folder of ``$SNU_NP_DATA`` and of the cache (e.g. ``"mnist"``); downloads go to
        ``<cache>/<subdir>/filename``.
    timeout : float
        Seconds to wait for a connection or for the next bytes.
    deadline : float, optional
        Seconds one mirror may take for the whole file (default ``$SNU_NP_DOWNLOAD_TIMEOUT``, else
        600); checked whenever bytes arrive, so a mirror that sends nothing at all is dropped after
        ``timeout`` instead.

    Returns
    -------
    pathlib.Path
        The verified file.

    Raises
    ------
    ChecksumError
        A file found on disk has the wrong SHA-256 (it is reported, never deleted), or every mirror
        delivered wrong bytes (they are deleted).
    DataNotFoundError
        (a FileNotFoundError) Not found and ``download=False``, or ``data_dir`` does not exist; the message lists every
        place that was searched, the URLs and the ``SNU_NP_DATA`` variable.
    DownloadError
        (an OSError) Not found and every URL failed; the message lists each URL and its error.
        All three are :class:`~snu_np.errors.DataError` (exit code 3 in the CLI).
    """
    if not isinstance(filename, str) or not filename or os.path.basename(filename) != filename:
        raise ValueError(f"filename must be a bare file name without folders, got {filename!r}")
    sha256 = _check_sha256(sha256)
    urls = _check_urls(url_list)
    if data_dir is not None and not Path(data_dir).is_dir():
        raise DataNotFoundError(f"data_dir {str(data_dir)!r} is not an existing directory; pass a folder "
                                f"that holds the data files (--data-dir) or leave it out")

    places = search_dirs(data_dir, subdir)
    for _, folder in places:
        candidate = folder / filename
        if candidate.is_file():
            return verify_file(candidate, sha256, urls[0] if urls else None)

    if not download:
        raise DataNotFoundError(_not_found_message(filename, places, urls))
    limit = download_deadline(deadline)
    dest_dir = places[-1][1]  # the user cache (with subdir)
    dest = dest_dir / filename
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create the cache folder {dest_dir} ({exc.strerror or exc}): set "
                            f"${DATA_ENV} or XDG_CACHE_HOME to a writable folder, or put {filename} there "
                            f"yourself") from exc
    with _download_lock(dest, wait=limit * max(1, len(urls)) + 30):
        if dest.is_file():                      # another process downloaded it while we waited
            return verify_file(dest, sha256, urls[0] if urls else None)
        remove_stale_temps(dest)                # left by a crashed earlier download: never trusted
        failures, checksum_failures = [], 0
        for url in urls:
            try:
                _download(url, dest, sha256, progress, timeout, limit)
                return dest
            except ChecksumError as exc:
                checksum_failures += 1
                failures.append(f"  {url}: {exc}")
            except _LocalWriteError as exc:
                raise DownloadError(f"cannot write the download of {filename} to {dest_dir}: {exc}; free "
                                    f"space, or set ${DATA_ENV} or XDG_CACHE_HOME to another folder") from None
            except Exception as exc:            # noqa: BLE001  any failure of this mirror: try the next
                failures.append(f"  {url}: {_describe(exc)}")
    cls = ChecksumError if checksum_failures else DownloadError
    what = (f"{checksum_failures} of {len(urls)} mirror(s) delivered wrong bytes" if checksum_failures
            else f"{len(urls)} mirror(s) tried, every one failed")
    raise cls(f"could not download {filename} ({what}): check the internet connection (or proxy) and "
              f"try again, or get the file yourself as described below\n" + "\n".join(failures) + "\n"
              + _how_to_get(filename, places, urls))


def _describe(exc):
    """One line for a mirror's failure (requests' messages can nest several exceptions)."""
    text = str(exc).replace("\n", " ")
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextlib.contextmanager
def _download_lock(dest, wait):
    """Hold an exclusive ``flock`` on ``.<name>.lock`` next to ``dest`` (no-op where flock is missing).

    The lock file is removed when released; a waiter that then holds a lock on the removed file notices
    (its inode is no longer the one at the path) and locks again. A process killed while downloading
    releases its lock with its death, so the next one can clean up after it.
    """
    try:
        import fcntl
    except ImportError:                         # pragma: no cover - not POSIX
        yield
        return
    lock_path = dest.parent / f".{dest.name}.lock"
    until = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, file_mode())
        except OSError as exc:
            raise DownloadError(f"cannot create the lock file {lock_path} ({exc.strerror or exc}): set "
                                f"${DATA_ENV} or XDG_CACHE_HOME to a writable folder") from exc
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > until:
                        raise DownloadError(
                            f"another process has been downloading {dest.name} into {dest.parent} for too "
                            f"long (it holds {lock_path}); wait for it, or stop it and try again") from None
                    time.sleep(0.05)
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        try:
            os.unlink(lock_path)
        except OSError:
            pass
        os.close(fd)


_DOWNLOADER = []


def _downloader_class():
    """pooch's HTTP downloader, with the short-read and deadline checks (built on first use)."""
    if _DOWNLOADER:
        return _DOWNLOADER[0]
    import pooch

    class CheckedHTTPDownloader(pooch.HTTPDownloader):
        """:class:`pooch.HTTPDownloader` that refuses short transfers and enforces a deadline.

        The body is read as raw bytes (no ``Content-Encoding`` decoding: the SHA-256 is that of the
        file), a piece at a time as it arrives; after each piece the elapsed time is checked against
        ``deadline``. Fewer bytes than ``Content-Length`` is a failure, as is a transfer that ends
        before the length requests (urllib3) expects.
        """

        def __init__(self, progressbar=False, chunk_size=_CHUNK, deadline=DEFAULT_DEADLINE, **kwargs):
            super().__init__(progressbar=progressbar, chunk_size=chunk_size, **kwargs)
            self.deadline = deadline

        def __call__(self, url, output_file, pooch, check_only=False):
            if check_only:
                return super().__call__(url, output_file, pooch, check_only=True)
            import requests

            kwargs = dict(self.kwargs)
            timeout = kwargs.pop("timeout", 60.0)
            headers = dict(kwargs.pop("headers", {}) or {}, **{"Accept-Encoding": "identity"})
            start = time.monotonic()
            read_timeout = min(timeout, self.deadline)
            response = requests.get(url, stream=True, timeout=(timeout, read_timeout), headers=headers, **kwargs)
            bar = None
            try:
                response.raise_for_status()
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.strip().isdigit() else None
                if self.progressbar is True:
                    from tqdm.auto import tqdm  # imported here: only downloads need it
                    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                               desc=os.path.basename(url))
                elif self.progressbar:
                    bar = self.progressbar
                    bar.total = total
                got = 0
                while True:
                    chunk = response.raw.read1(self.chunk_size, decode_content=False)
                    if not chunk:
                        break
                    try:
                        output_file.write(chunk)
                    except OSError as exc:
                        raise _LocalWriteError(exc.strerror or str(exc)) from None
                    got += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
                    elapsed = time.monotonic() - start
                    if elapsed > self.deadline:
                        raise _MirrorFailed(
                            f"too slow: {got} of {total if total is not None else '?'} bytes after "
                            f"{elapsed:.1f} s, over the {self.deadline:g} s deadline (${TIMEOUT_ENV})")
                if total is not None and got != total:
                    raise _MirrorFailed(f"transfer cut short: {got} of the {total} bytes announced by "
                                        f"Content-Length")
            finally:
                response.close()
                if bar is not None:
                    bar.close()

    _DOWNLOADER.append(CheckedHTTPDownloader)
    return CheckedHTTPDownloader


def _download(url, dest, sha256, progress, timeout, deadline):
    """Download ``url`` through the atomic writer: the file appears at ``dest`` only if it is complete
    and has the right SHA-256; otherwise nothing is left behind."""
    downloader = _downloader_class()(progressbar=bool(progress), deadline=deadline, timeout=timeout)

    def check(tmp):
        got = sha256sum(tmp)
        if got != sha256:
            raise ChecksumError(
                f"the file downloaded from {url} has the wrong SHA-256 checksum (expected {sha256}, got "
                f"{got}); it was deleted and not used: the mirror serves a different or damaged file")

    try:
        with atomic_writer(dest, verify=check, remove_stale=False) as f:
            downloader(url, f, None)
    except RunIOError as exc:                   # the writer's own steps: fsync, rename (disk full, ...)
        raise _LocalWriteError(str(exc)) from None
    except http.client.HTTPException as exc:   # pragma: no cover - requests wraps these
        raise _MirrorFailed(_describe(exc)) from None
    return dest


def _how_to_get(filename, places, urls):
    where = places[-1][1]
    lines = ["To get the file, either:"]
    if urls:
        lines.append(f"  - download it from {urls[0]}")
        lines.append(f"    and put it into {where} (or into a folder you pass as data_dir / --data-dir),")
    lines.append(f"  - or set the environment variable {DATA_ENV} to a folder that holds {filename},")
    lines.append("  - or call again with download=True / without --no-download (needs internet).")
    return "\n".join(lines)


def _not_found_message(filename, places, urls):
    first = (f"{filename} was not found and downloading is off (download=False / --no-download): put it "
             f"into {places[0][1]} or set ${DATA_ENV} to a folder that holds it, or allow downloads")
    lines = [first, "Looked in:"]
    for label, folder in places:
        state = "" if folder.is_dir() else " (does not exist)"
        lines.append(f"  - {folder / filename}   [{label}]{state}")
    if not os.environ.get(DATA_ENV):
        lines.append(f"  (${DATA_ENV} is not set)")
    return "\n".join(lines) + "\n" + _how_to_get(filename, places, urls)


def resolve_base_urls(base_url, env_var, defaults, name="base_url"):
    """The list of base URLs to try: ``base_url`` if given, else ``$env_var``, else ``defaults``.

    ``base_url`` may be one string or a list of strings; the environment variable may hold several
    URLs separated by whitespace. Trailing slashes are removed.
    """
    if base_url is None:
        env = os.environ.get(env_var, "").split()
        base_url = env if env else list(defaults)
    if isinstance(base_url, str):
        base_url = [base_url]
    try:
        urls = list(base_url)
    except TypeError:
        raise TypeError(f"{name} must be a URL string or a list of URL strings, got {type(base_url).__name__}") from None
    if not urls:
        raise ValueError(f"{name} must not be empty")
    for u in urls:
        if not isinstance(u, str) or "://" not in u:
            raise ValueError(f"{name} must hold URLs such as 'https://host/folder/', got {u!r}")
    return [u.rstrip("/") for u in urls]
