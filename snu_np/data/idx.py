"""Read and write IDX files, the format of the MNIST distribution.

An IDX file is a big-endian header followed by the raw array:

* 4 bytes magic: two zero bytes, a type code (0x08 = uint8, ...) and the number of dimensions;
  MNIST images have magic 2051 = 0x00000803 (uint8, 3 dims), labels 2049 = 0x00000801 (uint8, 1 dim);
* one big-endian int32 per dimension;
* the data, row-major, big-endian.

The files are usually gzipped; :func:`read_idx` recognises gzip by its magic bytes (not by the file
name), so a renamed file still reads. Every length is checked against the header, so a truncated
download or a file with trailing garbage fails here with a message that names the file, instead of
producing a silently misaligned array.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

from ..io import atomic_write_bytes, file_mode  # noqa: F401  (file_mode re-exported for download.py)

import numpy as np

__all__ = ["read_idx", "write_idx", "IDX_IMAGES_MAGIC", "IDX_LABELS_MAGIC"]

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


def _read_bytes(path):
    """The file's bytes, decompressed if it starts with the gzip magic."""
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        # OSError: bad header or CRC; EOFError: stream cut short; zlib.error: corrupt deflate data.
        raise ValueError(
            f"{path}: corrupt gzip file ({type(exc).__name__}: {exc}); the file is damaged or "
            f"incomplete, delete it and download it again") from exc


def read_idx(path, expect_magic=None):
    """Read one IDX file (gzipped or not) into a NumPy array.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Gzip compression is detected from the first two bytes.
    expect_magic : int, optional
        Refuse any other magic number, e.g. ``IDX_IMAGES_MAGIC`` (2051) or ``IDX_LABELS_MAGIC`` (2049).

    Returns
    -------
    numpy.ndarray
        Shape given by the header (for MNIST images ``(N, 28, 28)``, labels ``(N,)``), in native byte
        order; dtype from the type code (uint8 for MNIST).

    Raises
    ------
    ValueError
        Wrong or unknown magic number, corrupt gzip data, or a payload whose length is not exactly
        ``prod(dims) * itemsize`` (truncated or oversized file). The message names the file.
    FileNotFoundError
        The file does not exist.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX file ({len(data)} bytes, the header alone needs 4+)")
    magic = struct.unpack(">i", data[:4])[0]
    if expect_magic is not None and magic != expect_magic:
        kind = _MAGIC_NAMES.get(expect_magic, "IDX data")
        raise ValueError(
            f"{path}: wrong IDX magic number {magic}, expected {expect_magic} ({kind}); "
            f"is this the right file?")
    zero, code, ndim = data[0:2], data[2], data[3]
    if zero != b"\x00\x00" or code not in _IDX_TYPES or ndim == 0:
        raise ValueError(f"{path}: not an IDX file (magic number {magic} = 0x{magic:08x} is not valid)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header: {ndim} dimensions need {header} bytes, file has {len(data)}")
    dims = struct.unpack(f">{ndim}i", data[4:header])
    if any(d < 0 for d in dims):
        raise ValueError(f"{path}: negative dimension in IDX header {dims}")
    dtype = _IDX_TYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    got = len(data) - header
    if got != expected:
        what = "truncated" if got < expected else "too long"
        raise ValueError(
            f"{path}: IDX payload is {what}: header says shape {dims} of {dtype.newbyteorder('=').name} "
            f"= {expected} bytes after the {header}-byte header, but the file has {got}; "
            f"the file is damaged or incomplete, delete it and download it again")
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
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


