"""Checkpoints and results on disk: atomic writes, ``save_checkpoint`` and ``load_checkpoint``.

A checkpoint is two files next to each other:

``<path>.npz``
    Every parameter under ``param/<layer>.<name>`` (e.g. ``param/0.W``) and, if an optimiser was
    given, its state under ``optim/<key>`` (e.g. ``optim/m/0.W``, ``optim/t``). Only plain numeric
    arrays: it is read back with ``np.load(..., allow_pickle=False)``, so a checkpoint can never
    execute code.
``<path>.json``
    What the arrays mean: the network configuration (``Sequential.get_config()``), the optimiser's
    name and hyper-parameters, the training configuration, the epoch, metrics, the package version,
    the shape of every array, and the SHA-256 of the ``.npz`` bytes.

Both files are written to a temporary file in the same directory and then renamed with
``os.replace``, so a reader never sees a half-written file, even if training is killed mid-write.
The ``.npz`` is written first and the ``.json`` last; the hash in the ``.json`` ties the pair
together, so a crash between the two writes is detected on load instead of silently mixing the
weights of one epoch with the metadata of another.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "save_checkpoint",
           "load_checkpoint", "checkpoint_paths", "CheckpointError", "FORMAT", "FORMAT_VERSION"]

FORMAT = "snu-np-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file is missing a part, corrupt, or does not match its description."""


# --------------------------------------------------------------------------------------------------
# atomic writes
# --------------------------------------------------------------------------------------------------
def file_mode():
    """Permission bits a normally created file gets (0o666 minus the umask).

    ``tempfile.mkstemp`` creates files readable by their owner only; the atomic writers chmod the
    temporary file to this mode before renaming, so the result looks like any other written file.
    """
    mask = os.umask(0)  # the only portable way to read the umask is to set it and restore it
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path, blob):
    """Write ``blob`` (bytes) to ``path`` atomically; return ``path`` as a ``Path``.

    The bytes go to a temporary file in the same directory (same file system, so the rename is
    atomic), are flushed and fsync'ed, and the temporary file is renamed over ``path`` with
    ``os.replace``. On any error, Ctrl-C included, the temporary file is removed and ``path`` keeps
    its old content.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                               prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, file_mode())     # mkstemp makes owner-only files; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path, text):
    """Write a string (UTF-8) atomically, as :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _json_default(obj):
    """Make NumPy scalars and arrays, paths and tuples JSON-serialisable."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (Path, np.dtype)):
        return str(obj)
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")


def atomic_write_json(path, obj):
    """Write ``obj`` as indented JSON atomically (NumPy scalars/arrays are converted)."""
    text = json.dumps(obj, indent=2, default=_json_default, allow_nan=True)
    return atomic_write_text(path, text + "\n")


# --------------------------------------------------------------------------------------------------
# checkpoints
# --------------------------------------------------------------------------------------------------
def checkpoint_paths(path):
    """``(npz_path, json_path)`` for a checkpoint path given with or without ``.npz``/``.json``."""
    path = Path(path)
    if path.suffix in (".npz", ".json"):
        path = path.with_suffix("")
    return path.with_name(path.name + ".npz"), path.with_name(path.name + ".json")


def _optimizer_info(optimizer):
    """Name and hyper-parameters of an optimiser, enough to rebuild it (see ``make_optimizer``)."""
    name = type(optimizer).__name__.lower()
    hyper = {}
    for k in ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "ema"):
        if getattr(optimizer, k, None) is not None:
            hyper[k] = float(getattr(optimizer, k))
    return {"name": name, "hyper": hyper}


def save_checkpoint(path, net, optimizer=None, config=None, extra=None):
    """Save a network (and optionally its optimiser) as ``<path>.npz`` + ``<path>.json``.

    Parameters
    ----------
    path : str or os.PathLike
        Checkpoint path without extension (a trailing ``.npz``/``.json`` is ignored). The directory
        must exist.
    net : Sequential
        Its parameters (``state_dict``) and configuration (``get_config``) are saved.
    optimizer : Optimizer, optional
        Its ``state_dict()`` (moments, step counter, learning rate) is saved too, so that training
        resumes exactly.
    config : dict, optional
        The training configuration (JSON-serialisable), stored under ``"config"``.
    extra : dict, optional
        Anything else JSON-serialisable (epoch, metrics, history), stored under ``"extra"``.

    Returns
    -------
    (npz_path, json_path) : the two files written.
    """
    npz_path, json_path = checkpoint_paths(path)
    if not npz_path.parent.is_dir():
        raise FileNotFoundError(f"cannot save checkpoint {npz_path.with_suffix('')}: "
                                f"directory {npz_path.parent} does not exist")
    arrays = {f"param/{k}": np.array(v, order="C") for k, v in net.state_dict().items()}  # keeps 0-d
    opt_meta = None
    if optimizer is not None:
        opt_meta = _optimizer_info(optimizer)
        for k, v in optimizer.state_dict().items():
            arrays[f"optim/{k}"] = np.array(v, order="C")
    for k, v in arrays.items():
        if v.dtype == object:
            raise TypeError(f"checkpoint array {k} has dtype object, which cannot be saved without pickle")
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    blob = buf.getvalue()
    from . import __version__
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "npz_sha256": hashlib.sha256(blob).hexdigest(),
        "network": net.get_config(),
        "n_params": int(net.n_params),
        "optimizer": opt_meta,
        "arrays": {k: {"shape": list(v.shape), "dtype": v.dtype.name} for k, v in arrays.items()},
        "config": config or {},
        "extra": extra or {},
    }
    atomic_write_bytes(npz_path, blob)      # weights first ...
    atomic_write_json(json_path, meta)      # ... description last: it vouches for the .npz by hash
    return npz_path, json_path


def _read_meta(json_path):
    if not json_path.is_file():
        raise FileNotFoundError(f"checkpoint description {json_path} not found "
                                f"(a checkpoint is a .npz file plus a .json file with the same name)")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{json_path}: corrupt checkpoint description, not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{json_path}: not an snu-np checkpoint description "
                              f"(missing \"format\": \"{FORMAT}\")")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{json_path}: checkpoint format version {meta.get('format_version')} is newer "
                              f"than this snu-np understands ({FORMAT_VERSION}); upgrade snu-np")
    for key in ("network", "arrays", "npz_sha256"):
        if key not in meta:
            raise CheckpointError(f"{json_path}: checkpoint description has no {key!r} entry")
    return meta


def _read_arrays(npz_path, meta):
    if not npz_path.is_file():
        raise FileNotFoundError(f"checkpoint weights {npz_path} not found "
                                f"(a checkpoint is a .npz file plus a .json file with the same name)")
    blob = npz_path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != meta["npz_sha256"]:
        raise CheckpointError(
            f"{npz_path}: the weights file does not match its description {npz_path.with_suffix('.json')} "
            f"(SHA-256 differs): it is truncated, corrupt, or from another save")
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise CheckpointError(f"{npz_path}: corrupt checkpoint weights ({type(exc).__name__}: {exc})") from exc
    want = meta["arrays"]
    missing = sorted(set(want) - set(arrays))
    unexpected = sorted(set(arrays) - set(want))
    if missing or unexpected:
        raise CheckpointError(f"{npz_path}: arrays do not match the description: missing {missing}, "
                              f"unexpected {unexpected}")
    for k, spec in want.items():
        if list(arrays[k].shape) != list(spec["shape"]):
            raise CheckpointError(f"{npz_path}: array {k} has shape {arrays[k].shape}, "
                                  f"the description says {tuple(spec['shape'])}")
    return arrays


def _ensure_layer_types(config):
    """Import optional layer modules (RNN/LSTM/GRU) so that ``Sequential.from_config`` knows them."""
    from .layers import LAYER_TYPES
    kinds = {cfg.get("kind") for cfg in config.get("layers", [])}
    if kinds - set(LAYER_TYPES):
        try:
            from .layers import rnn  # noqa: F401  (registers rnn/lstm/gru)
        except ImportError:
            pass


def load_checkpoint(path):
    """Load a checkpoint written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : str or os.PathLike
        With or without ``.npz``/``.json``.

    Returns
    -------
    net : Sequential
        Rebuilt from the stored configuration, with the stored parameters.
    optimizer_state : dict or None
        ``{key: array}`` for ``Optimizer.load_state_dict`` (None if no optimiser was saved).
    meta : dict
        The parsed ``.json``: ``"network"``, ``"optimizer"`` (name, hyper), ``"config"``,
        ``"extra"``, ``"package_version"``, ``"n_params"``, ...

    Raises
    ------
    FileNotFoundError
        One of the two files is missing (the message names it).
    CheckpointError (a ValueError)
        Corrupt JSON or npz, a truncated file, arrays that do not match the description or the
        network, or an unknown layer kind.
    """
    from .network import Sequential
    npz_path, json_path = checkpoint_paths(path)
    meta = _read_meta(json_path)
    arrays = _read_arrays(npz_path, meta)
    _ensure_layer_types(meta["network"])
    try:
        net = Sequential.from_config(meta["network"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{json_path}: cannot rebuild the network from its configuration: {exc}") from exc
    state = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    try:
        net.load_state_dict(state)
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"{npz_path}: parameters do not fit the network: {exc}") from exc
    opt_state = {k[len("optim/"):]: v for k, v in arrays.items() if k.startswith("optim/")}
    if meta.get("optimizer") is None:
        opt_state = None
    return net, opt_state, meta
