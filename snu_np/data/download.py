"""Find a data file on disk or download it, always checking its SHA-256.

Where files are looked for, in this order (first hit wins):

1. ``data_dir``, the argument (it must exist);
2. the directory named by the environment variable ``SNU_NP_DATA``;
3. the per-user cache, ``$XDG_CACHE_HOME/snu-np`` or ``~/.cache/snu-np``.

In each directory the file may sit directly in it or in a sub-folder named ``subdir`` (``mnist`` or
``music``), so both ``SNU_NP_DATA=/data/mnist`` and ``SNU_NP_DATA=/data`` work.

A file that is found is checked against its SHA-256; a wrong checksum is an error, never a warning
(a damaged data file gives wrong results that look plausible). A missing file is downloaded, if
allowed, into ``<cache>/<subdir>/``: the bytes go to a temporary file in that folder, are hashed
while they arrive, and only a file with the right checksum is renamed (``os.replace``, atomic) to
its final name, so an interrupted or corrupted download never leaves a file that looks complete.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request
from pathlib import Path

from .idx import file_mode

__all__ = ["fetch", "sha256sum", "cache_dir", "search_dirs", "verify_file", "resolve_base_urls",
           "ChecksumError", "DownloadError",
           "DATA_ENV", "CACHE_NAME"]

DATA_ENV = "SNU_NP_DATA"
CACHE_NAME = "snu-np"
_CHUNK = 1 << 16


class ChecksumError(ValueError):
    """A file's SHA-256 differs from the expected value."""


class DownloadError(OSError):
    """No URL could deliver a file."""


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
    """The per-user cache directory: ``$XDG_CACHE_HOME/snu-np``, else ``~/.cache/snu-np``.

    It is not created here; :func:`fetch` creates it when it downloads.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / CACHE_NAME


def search_dirs(data_dir=None, subdir=None):
    """The directories :func:`fetch` looks in, in order, as a list of ``(label, Path)``.

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
            f"{path} has the wrong SHA-256 checksum:\n  expected {sha256}\n  got      {got}\n"
            f"The file is damaged, incomplete or a different file. Delete it (it is downloaded again "
            f"when download=True) or replace it with a correct copy{fix}.")
    return path


def fetch(filename, url_list, sha256, data_dir=None, download=True, progress=True, subdir=None,
          timeout=60.0):
    """Return the path of a verified local copy of ``filename``, downloading it if needed.

    Parameters
    ----------
    filename : str
        Bare file name (no directories), e.g. ``"t10k-labels-idx1-ubyte.gz"``.
    url_list : str or list of str
        Full URLs of the file, tried in order until one answers (a mirror that fails to connect or
        returns an HTTP error is skipped; a mirror that delivers *wrong bytes* is an error).
    sha256 : str
        Expected SHA-256 hex digest of the file.
    data_dir : str or os.PathLike, optional
        Directory searched first; it must exist. Downloads never go here (it may be read-only).
    download : bool
        Download when the file is found nowhere. ``False`` raises ``FileNotFoundError`` instead.
    progress : bool
        Show a tqdm progress bar on stderr while downloading.
    subdir : str, optional
        Sub-folder of ``$SNU_NP_DATA`` and of the cache (e.g. ``"mnist"``); downloads go to
        ``<cache>/<subdir>/filename``.
    timeout : float
        Seconds to wait for a connection or a chunk of data.

    Returns
    -------
    pathlib.Path
        The verified file.

    Raises
    ------
    ChecksumError
        A file was found (or downloaded) but its SHA-256 is wrong. A bad download is deleted.
    FileNotFoundError
        Not found and ``download=False``, or ``data_dir`` does not exist; the message lists every
        place that was searched, the URLs and the ``SNU_NP_DATA`` variable.
    DownloadError
        Not found and every URL failed; the message lists each URL and its error.
    """
    if not isinstance(filename, str) or not filename or os.path.basename(filename) != filename:
        raise ValueError(f"filename must be a bare file name without directories, got {filename!r}")
    sha256 = _check_sha256(sha256)
    urls = _check_urls(url_list)
    if data_dir is not None and not Path(data_dir).is_dir():
        raise FileNotFoundError(f"data_dir {str(data_dir)!r} is not an existing directory")

    places = search_dirs(data_dir, subdir)
    for _, folder in places:
        candidate = folder / filename
        if candidate.is_file():
            return verify_file(candidate, sha256, urls[0] if urls else None)

    if not download:
        raise FileNotFoundError(_not_found_message(filename, places, urls))

    dest_dir = places[-1][1]  # the user cache (with subdir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in urls:
        try:
            return _download(url, dest_dir / filename, sha256, progress, timeout)
        except (OSError, http.client.HTTPException) as exc:
            # OSError covers URLError/HTTPError and timeouts; HTTPException a connection cut mid-body.
            # ChecksumError (a ValueError) is deliberately not caught: wrong bytes are never skipped.
            errors.append(f"  {url}: {type(exc).__name__}: {exc}")
    raise DownloadError(
        f"could not download {filename}; every URL failed:\n" + "\n".join(errors) + "\n"
        + _how_to_get(filename, places, urls))


def _download(url, dest, sha256, progress, timeout):
    """Stream ``url`` into a temporary file next to ``dest``, verify, then rename atomically."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            total = resp.headers.get("Content-Length")
            bar = _progress_bar(total, dest.name, progress)
            try:
                for chunk in iter(lambda: resp.read(_CHUNK), b""):
                    out.write(chunk)
                    h.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
            out.flush()
            os.fsync(out.fileno())
        got = h.hexdigest()
        if got != sha256:
            raise ChecksumError(
                f"the file downloaded from {url} has the wrong SHA-256 checksum:\n  expected {sha256}\n"
                f"  got      {got}\nIt was deleted and not used. The mirror may serve a different or "
                f"damaged file; try another URL (see the base_url argument / environment variable).")
        os.chmod(tmp, file_mode())  # mkstemp makes owner-only files
        os.replace(tmp, dest)
        return dest
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(total, desc, progress):
    if not progress:
        return _NoBar()
    from tqdm.auto import tqdm  # imported here: only downloads need it

    return tqdm(total=int(total) if total and str(total).isdigit() else None, unit="B",
                unit_scale=True, unit_divisor=1024, desc=desc)


def _how_to_get(filename, places, urls):
    where = places[-1][1]
    lines = ["To get the file, either:"]
    if urls:
        lines.append(f"  - download it from {urls[0]}")
        lines.append(f"    and put it into {where} (or into a folder you pass as data_dir),")
    lines.append(f"  - or set the environment variable {DATA_ENV} to a folder that holds {filename},")
    lines.append("  - or call again with download=True (needs internet).")
    return "\n".join(lines)


def _not_found_message(filename, places, urls):
    lines = [f"{filename} was not found and download=False. Looked in:"]
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
