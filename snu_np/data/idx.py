"""Read and write IDX files, the format of the MNIST distribution.

An IDX file is a big-endian header followed by the raw array:

* 4 bytes magic: two zero bytes, a type code (0x08 = uint8, ...) and the number of dimensions;
  MNIST images have magic 2051 = 0x00000803 (uint8, 3 dims), labels 2049 = 0x00000801 (uint8, 1 dim);
* one big-endian int32 per dimension;
* the data, row-major, big-endian.

The files are usually gzipped; :func:`read_idx` recognises gzip by its magic bytes (not by the file
name), so a renamed file still reads. Every length is checked against the header, so a truncated
download or a file with trailing garbage fails here with a message (a :class:`~snu_np.errors.DataError`)
that names the file, instead of producing a silently misaligned array; the header also bounds how much
is decompressed, so a gzip bomb is refused after a few bytes.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..io import atomic_write_bytes, file_mode  # noqa: F401  (file_mode re-exported for old imports)
from .download import DataNotFoundError

__all__ = ["read_idx", "write_idx", "IDX_IMAGES_MAGIC", "IDX_LABELS_MAGIC", "MAX_BYTES"]

IDX_IMAGES_MAGIC = 2051  # 0x0803: uint8, 3 dimensions
IDX_LABELS_MAGIC = 2049  # 0x0801: uint8, 1 dimension

# IDX type code -> big-endian NumPy dtype (from the format's description on LeCun's MNIST page).
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_TYPE_CODES = {dt.newbyteorder("="): code for code, dt in _IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_MAGIC_NAMES = {IDX_IMAGES_MAGIC: "uint8 images, 3 dimensions", IDX_LABELS_MAGIC: "uint8 labels, 1 dimension"}


MAX_BYTES = 1 << 30
"""Default upper bound on an IDX payload that :func:`read_idx` accepts (1 GiB; MNIST's largest is 47 MB)."""
_MAX_DEFLATE_RATIO = 1100   # deflate cannot compress better than about 1032 : 1
_READ_CHUNK = 1 << 20


def _corrupt_gzip(path, exc):
    # OSError: bad header or CRC; EOFError: stream cut short; zlib.error: corrupt deflate data.
    return DataError(f"{path}: corrupt gzip file ({type(exc).__name__}: {exc}); the file is damaged or "
                     f"incomplete, delete it and download it again")


def _read_exactly(f, n, path, gz, probe=False):
    """Read ``n`` bytes (and, with ``probe``, try one more): return (bytes, got_more). Never reads past n + 1."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    try:
        while got < n:
            k = f.readinto(view[got:got + _READ_CHUNK])
            if not k:
                break
            got += k
        more = f.read(1) if probe and got == n else b""
    except (OSError, EOFError, zlib.error) as exc:
        if not gz:
            raise
        raise _corrupt_gzip(path, exc) from exc
    return bytes(view[:got]) if got < n else bytes(buf), bool(more)


def read_idx(path, expect_magic=None, max_bytes=MAX_BYTES):
    """Read one IDX file (gzipped or not) into a NumPy array.

    The header is read first; the payload size it implies bounds everything read after it: at most
    that many bytes plus one are inflated (a gzip "bomb" is refused after its first bytes, not
    after inflating gigabytes), and a header claiming more than ``max_bytes``, or more than a gzip
    file of this size can hold, is refused before anything is allocated.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Gzip compression is detected from the first two bytes.
    expect_magic : int, optional
        Refuse any other magic number, e.g. ``IDX_IMAGES_MAGIC`` (2051) or ``IDX_LABELS_MAGIC`` (2049).
    max_bytes : int
        Largest payload accepted (default 1 GiB).

    Returns
    -------
    numpy.ndarray
        Shape given by the header (for MNIST images ``(N, 28, 28)``, labels ``(N,)``), in native byte
        order; dtype from the type code (uint8 for MNIST).

    Raises
    ------
    DataError (a ValueError)
        Wrong or unknown magic number, corrupt gzip data, or a payload whose length is not exactly
        ``prod(dims) * itemsize`` (truncated or oversized file). The message names the file.
    DataNotFoundError (a FileNotFoundError)
        The file does not exist.
    """
    path = Path(path)
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise DataNotFoundError(f"{path} does not exist; check the path (or download the file again)") from None
    with raw:
        size = os.fstat(raw.fileno()).st_size
        gz = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        f = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
        head, _ = _read_exactly(f, 4, path, gz)
        if len(head) < 4:
            raise DataError(f"{path}: too short for an IDX file ({len(head)} bytes, the header alone needs 4+)")
        magic = struct.unpack(">i", head)[0]
        if expect_magic is not None and magic != expect_magic:
            kind = _MAGIC_NAMES.get(expect_magic, "IDX data")
            raise DataError(
                f"{path}: wrong IDX magic number {magic}, expected {expect_magic} ({kind}); "
                f"is this the right file?")
        zero, code, ndim = head[0:2], head[2], head[3]
        if zero != b"\x00\x00" or code not in _IDX_TYPES or ndim == 0:
            raise DataError(f"{path}: not an IDX file (magic number {magic} = 0x{magic:08x} is not valid)")
        header = 4 + 4 * ndim
        rest, _ = _read_exactly(f, header - 4, path, gz)
        if len(rest) < header - 4:
            raise DataError(f"{path}: truncated IDX header: {ndim} dimensions need {header} bytes, "
                            f"file has {4 + len(rest)}")
        dims = struct.unpack(f">{ndim}i", rest)
        if any(d < 0 for d in dims):
            raise DataError(f"{path}: negative dimension in IDX header {dims}")
        dtype = _IDX_TYPES[code]
        expected = int(np.prod(dims, dtype=object)) * dtype.itemsize
        what = (f"header says shape {dims} of {dtype.newbyteorder('=').name} = {expected} bytes after the "
                f"{header}-byte header")
        if expected > max_bytes:
            raise DataError(f"{path}: {what}, more than the {max_bytes} bytes read_idx accepts; the header is "
                            f"damaged (or pass a larger max_bytes)")
        if gz and expected > size * _MAX_DEFLATE_RATIO + 1024:
            raise DataError(f"{path}: {what}, more than a {size}-byte gzip file can hold; the header is "
                            f"damaged, delete the file and download it again")
        if not gz and expected + header != size:
            got = size - header
            kind = "truncated" if got < expected else "too long"
            raise DataError(f"{path}: IDX payload is {kind}: {what}, but the file has {got}; "
                            f"the file is damaged or incomplete, delete it and download it again")
        payload, more = _read_exactly(f, expected, path, gz, probe=True)
    if len(payload) != expected or more:
        kind = "truncated" if len(payload) < expected else "too long"
        got = f"{len(payload)}" if len(payload) < expected else f"{expected + 1} or more"
        raise DataError(
            f"{path}: IDX payload is {kind}: {what}, but the file has {got}; "
            f"the file is damaged or incomplete, delete it and download it again")
    arr = np.frombuffer(payload, dtype=dtype).reshape(dims)
    # Native byte order and a writable copy: callers may modify the returned array.
    return arr.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path, array, compress=None):
    """Write ``array`` as an IDX file, atomically.

    The bytes go to a temporary file in the same directory, which is then renamed over ``path`` with
    ``os.replace``; a reader never sees a half-written file, even if the writer is interrupted.
    Gzip output is reproducible (header mtime 0, no file name, level 9): the same array always gives
    the same bytes with the same zlib, so checksums of written files are stable.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    array : numpy.ndarray
        Any shape with 1 to 255 dimensions; dtype uint8, int8, int16, int32, float32 or float64.
    compress : bool, optional
        Gzip the file. Default: ``True`` if ``path`` ends with ``.gz``.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    if not isinstance(array, np.ndarray):
        raise TypeError(f"array must be a NumPy array, got {type(array).__name__}")
    dt = array.dtype.newbyteorder("=")
    if dt not in _TYPE_CODES:
        raise TypeError(
            f"array has dtype {array.dtype}, which IDX cannot store; use one of "
            f"{sorted(d.name for d in _TYPE_CODES)}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"array must have 1 to 255 dimensions, got shape {array.shape}")
    if compress is None:
        compress = path.name.endswith(".gz")
    header = struct.pack(">BBBB", 0, 0, _TYPE_CODES[dt], array.ndim)
    header += struct.pack(f">{array.ndim}i", *array.shape)
    payload = np.ascontiguousarray(array, dtype=dt.newbyteorder(">")).tobytes()
    blob = header + payload
    if compress:
        blob = gzip.compress(blob, compresslevel=9, mtime=0)
    atomic_write_bytes(path, blob)
    return path


