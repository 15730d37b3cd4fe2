"""The grader's wire format: plain data only (JSON, arrays as ``np.save`` bytes), never pickle.

Messages are length-prefixed JSON documents on a pipe. Values: None, bools, numbers (NaN and inf
included), strings, lists, tuples, string-keyed dicts, numeric or boolean NumPy arrays and scalars, and
surrogates (by name and scale). Anything else the child sends back becomes a *handle*, a number the
parent can call methods on through the child (the trained network of exercise 10): the object itself
never leaves the child.
"""
from __future__ import annotations

import base64
import io
import json
import os
import struct

import numpy as np

__all__ = ["encode", "decode", "frame", "write_message", "read_message", "ProtocolError", "MAX_MESSAGE"]

MAX_MESSAGE = 512 * 2 ** 20         # one reply; a whole MNIST test set in float64 is 63 MB
_HEADER = struct.Struct(">Q")
_MAX_DEPTH = 64


class ProtocolError(ValueError):
    """A message that is not well-formed: truncated, too large, not JSON, or an unknown tag."""


def encode(value, handle=None, _depth=0):
    """``value`` as JSON-able data; ``handle(obj) -> int`` names what cannot be sent (None: refuse)."""
    if _depth > _MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(value), allow_pickle=False)
        return {"__nd__": base64.b64encode(buf.getvalue()).decode("ascii")}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, handle, _depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, handle, _depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": [[k, encode(v, handle, _depth + 1)] for k, v in value.items()]}
    from ..surrogates import Surrogate
    if isinstance(value, Surrogate):
        return {"__surrogate__": [value.name, float(value.scale)]}
    if handle is None:
        raise ProtocolError(f"cannot send a {type(value).__name__}")
    return {"__obj__": int(handle(value)), "type": type(value).__name__[:80]}


def decode(data, remote=None, _depth=0):
    """The value ``encode`` made; ``remote(id, type_name)`` turns a handle into a proxy (None: refuse)."""
    if _depth > _MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, remote, _depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise ProtocolError(f"unexpected value of type {type(data).__name__}")
    if "__nd__" in data and isinstance(data["__nd__"], str):
        try:
            arr = np.load(io.BytesIO(base64.b64decode(data["__nd__"], validate=True)), allow_pickle=False)
        except Exception as exc:  # noqa: BLE001 - any malformed array is a protocol error
            raise ProtocolError(f"malformed array: {exc}") from None
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
            raise ProtocolError("arrays must be numeric")
        return arr
    if "__tuple__" in data and isinstance(data["__tuple__"], list):
        return tuple(decode(v, remote, _depth + 1) for v in data["__tuple__"])
    if "__dict__" in data and isinstance(data["__dict__"], list):
        out = {}
        for item in data["__dict__"]:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise ProtocolError("malformed dict")
            out[item[0]] = decode(item[1], remote, _depth + 1)
        return out
    if "__surrogate__" in data:
        from ..surrogates import get_surrogate
        try:
            name, scale = data["__surrogate__"]
            return get_surrogate(str(name), float(scale))
        except (TypeError, ValueError) as exc:
            raise ProtocolError(f"malformed surrogate: {exc}") from None
    if "__obj__" in data and isinstance(data["__obj__"], int) and remote is not None:
        return remote(data["__obj__"], str(data.get("type", "object"))[:80])
    raise ProtocolError(f"unknown value tag {sorted(data)}")


def frame(message):
    """One message (a JSON-able dict) as the bytes that go on the pipe."""
    body = json.dumps(message, allow_nan=True).encode("utf-8")
    if len(body) > MAX_MESSAGE:
        raise ProtocolError(f"message of {len(body)} bytes is over the limit of {MAX_MESSAGE}")
    return _HEADER.pack(len(body)) + body


def write_message(fd, message):
    """Write one message (a JSON-able dict) to the blocking file descriptor ``fd``."""
    view = memoryview(frame(message))
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_message(read_exactly):
    """One message, reading with ``read_exactly(n) -> bytes`` (which raises EOFError on a closed pipe)."""
    (n,) = _HEADER.unpack(read_exactly(_HEADER.size))
    if n > MAX_MESSAGE:
        raise ProtocolError(f"message of {n} bytes is over the limit of {MAX_MESSAGE}")
    try:
        message = json.loads(read_exactly(n).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"not a JSON message: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    return message


def blocking_reader(fd):
    """``read_exactly`` for a blocking file descriptor (the child's side)."""
    def read_exactly(n):
        chunks, left = [], n
        while left:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError("pipe closed")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    return read_exactly
