"""Checkpoints and results on disk: one crash-safe atomic writer, ``save_checkpoint`` and ``load_checkpoint``.

A checkpoint is **one file**, ``<path>.npz`` (format version 2), a plain NumPy zip archive:

``param/<layer>.<name>``
    Every parameter (e.g. ``param/0.W``).
``optim/<key>``
    The optimiser state, if one was given (e.g. ``optim/m/0.W``, ``optim/t``).
``__meta__``
    The metadata as UTF-8 JSON stored as a ``uint8`` array: the network configuration
    (``Sequential.get_config()``), the optimiser's name and hyper-parameters, the training
    configuration, ``extra`` (epoch, metrics, history), the package version, and the shape, dtype and
    SHA-256 of every array.
``__meta_sha256__``
    The SHA-256 of the ``__meta__`` bytes (ASCII hex as ``uint8``), so an edited description is
    detected, and through the per-array hashes in it, an edited array too.

It is read with ``np.load(..., allow_pickle=False)``: a checkpoint can never execute code. Loading
refuses (:class:`CheckpointError`, a :class:`~snu_np.errors.RunIOError`, naming the file and the field)
garbled or edited metadata, arrays that do not match their hash, shape or dtype, complex, object or
non-numeric arrays, and non-finite values.

Crash safety: every file is written by :func:`atomic_writer`: to a temporary file
``.<name>.<random>.tmp`` in the same folder, flushed, fsync'ed, verified (a checkpoint is read back
and checked), renamed over the old file with ``os.replace`` and the folder fsync'ed. At any instant
the old or the new generation is complete; a crash leaves at most a temporary file, which loading
ignores and the next save of the same file removes (:func:`remove_stale_temps`;
:func:`clean_temp_files` cleans a whole run folder).

The two-file format of version 1 (``<path>.npz`` with the arrays + ``<path>.json`` with the metadata and
the ``.npz``'s SHA-256) is still read, so existing runs load and resume; saving always writes version 2
and then removes the old ``<path>.json``.

Fault injection (for tests): the writer calls :func:`_fault` after each step (``open``, ``write``,
``fsync``, ``replace``, ``dirsync``). ``fault_hook`` (a module-level callable ``hook(step, path)``)
runs in-process; the environment variable ``SNU_NP_FAULT="STEP:N[:NAME]"`` makes the process kill
itself with SIGKILL right after the N-th (1-based) such step, counting only files named NAME if given
(e.g. ``replace:2:last.npz``; STEP may be ``any``).
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import json
import os
import signal
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .errors import RunIOError

__all__ = ["atomic_writer", "atomic_write_bytes", "atomic_write_text", "atomic_write_json", "fsync_dir",
           "remove_stale_temps", "clean_temp_files", "save_checkpoint", "load_checkpoint",
           "checkpoint_exists", "checkpoint_paths", "read_checkpoint", "CheckpointError", "CheckpointNotFoundError",
           "FORMAT", "FORMAT_VERSION", "FAULT_ENV", "FAULT_STEPS", "TEMP_SUFFIX"]

FORMAT = "snu-np-checkpoint"
FORMAT_VERSION = 2
META_KEY = "__meta__"
META_HASH_KEY = "__meta_sha256__"
TEMP_SUFFIX = ".tmp"
_OLD_TEMP_SUFFIXES = (".tmp", ".part")      # ".part": downloads of snu-np before version 2 checkpoints
FAULT_ENV = "SNU_NP_FAULT"
FAULT_STEPS = ("open", "write", "fsync", "replace", "dirsync")

fault_hook = None
"""Test hook: ``hook(step, path)`` called by :func:`atomic_writer` after each step of ``FAULT_STEPS``."""
_fault_counts = {}


class CheckpointError(RunIOError, ValueError):
    """A checkpoint is corrupt, edited, or does not match its description (exit code 5)."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file (or, for the old format, one of its two files) does not exist."""


# --------------------------------------------------------------------------------------------------
# atomic writes
# --------------------------------------------------------------------------------------------------
def file_mode():
    """Permission bits a normally created file gets (0o666 minus the umask).

    ``tempfile.mkstemp`` creates files readable by their owner only; the atomic writer chmods the
    temporary file to this mode before renaming, so the result looks like any other written file.
    """
    mask = os.umask(0)  # the only portable way to read the umask is to set it and restore it
    os.umask(mask)
    return 0o666 & ~mask


def _fault(step, path):
    """Fault injection point (see the module docstring); a no-op unless a test asks for a fault."""
    if fault_hook is not None:
        fault_hook(step, path)
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    parts = spec.split(":")
    try:
        want, n = parts[0], int(parts[1])
        name = parts[2] if len(parts) > 2 else None
        if want not in FAULT_STEPS + ("any",) or n < 1 or len(parts) > 3:
            raise ValueError
    except (ValueError, IndexError):
        raise ValueError(f"${FAULT_ENV}={spec!r} is not STEP:N[:NAME] with STEP one of "
                         f"{', '.join(FAULT_STEPS)} or any, N >= 1; unset it (it is for tests)") from None
    if want not in (step, "any") or (name is not None and Path(path).name != name):
        return
    _fault_counts[spec] = _fault_counts.get(spec, 0) + 1
    if _fault_counts[spec] == n:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_dir(folder):
    """fsync a folder so that a rename in it survives a crash (a no-op where folders can't be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass                                    # some file systems cannot fsync a folder
    finally:
        os.close(fd)


def _temp_pattern(path, suffix):
    return os.path.join(glob.escape(str(path.parent)), f".{glob.escape(path.name)}.*{suffix}")


def remove_stale_temps(path):
    """Remove temporary files a crashed earlier write of ``path`` left next to it; return their paths.

    Only files named ``.<name>.*.tmp`` (and ``.<name>.*.part`` of older downloads) are removed. They are
    never trusted: a complete file only ever appears under its own name, by ``os.replace``. Call it
    only while no other process writes ``path``.
    """
    path = Path(path)
    removed = []
    for suffix in _OLD_TEMP_SUFFIXES:
        for p in glob.glob(_temp_pattern(path, suffix)):
            try:
                os.unlink(p)
                removed.append(Path(p))
            except FileNotFoundError:
                pass
            except OSError:                     # e.g. a read-only folder: leave it, it is never read
                pass
    return removed


def clean_temp_files(folder):
    """Remove every ``.*.tmp`` file in a run folder (left by a crash); return their paths.

    Meant for the start of a run (or ``--resume``) in ``folder``, which only that run writes.
    """
    folder = Path(folder)
    removed = []
    for p in glob.glob(os.path.join(glob.escape(str(folder)), f".*{TEMP_SUFFIX}")):
        try:
            os.unlink(p)
            removed.append(Path(p))
        except OSError:
            pass
    return removed


def _write_error(path, exc):
    reason = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
    return RunIOError(f"cannot write {path}: {reason}; check that the folder exists, is writable and "
                      f"has free space (or choose another folder)")


@contextlib.contextmanager
def atomic_writer(path, verify=None, remove_stale=True):
    """Context manager yielding a binary file; on a clean exit the bytes replace ``path`` atomically.

    The file is a temporary ``.<name>.<random>.tmp`` in the same folder (same file system, so the
    rename is atomic). On leaving the block: flush, fsync, ``verify(temp_path)`` if given (raise to
    refuse the bytes), chmod to the usual mode, ``os.replace`` over ``path``, fsync the folder. On any
    error, Ctrl-C included, the temporary file is removed and ``path`` keeps its old content.

    ``remove_stale`` (default) first removes temporary files that a crashed earlier write of the same
    ``path`` left (:func:`remove_stale_temps`): one writer per file is assumed, as for a run folder.

    Errors of the steps themselves (creating, syncing, renaming) are raised as
    :class:`~snu_np.errors.RunIOError` naming ``path``; errors raised inside the block (or by
    ``verify``) propagate unchanged.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if remove_stale:
        remove_stale_temps(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    replaced = False
    try:
        f = os.fdopen(fd, "wb")
        try:
            _fault("open", path)
            yield f
            try:
                f.flush()
                _fault("write", path)
                os.fsync(f.fileno())
                f.close()                       # on this path a failing close is an error too
            except OSError as exc:
                raise _write_error(path, exc) from exc
        finally:
            if not f.closed:
                try:
                    f.close()
                except OSError:
                    pass
        _fault("fsync", path)
        if verify is not None:
            verify(Path(tmp))
        try:
            os.chmod(tmp, file_mode())          # mkstemp makes owner-only files; give the usual permissions
            os.replace(tmp, path)
        except OSError as exc:
            raise _write_error(path, exc) from exc
        replaced = True
        _fault("replace", path)
        fsync_dir(folder)
        _fault("dirsync", path)
    finally:
        if not replaced:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def atomic_write_bytes(path, blob):
    """Write ``blob`` (bytes) to ``path`` atomically (see :func:`atomic_writer`); return ``path`` as a ``Path``."""
    path = Path(path)
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise TypeError(f"blob must be bytes, got {type(blob).__name__}")
    with atomic_writer(path) as f:
        try:
            f.write(blob)
        except OSError as exc:
            raise _write_error(path, exc) from exc
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
# checkpoints: writing
# --------------------------------------------------------------------------------------------------
def checkpoint_paths(path):
    """``(npz_path, json_path)`` for a checkpoint path given with or without ``.npz``/``.json``.

    The ``.json`` only exists for checkpoints of the old two-file format (version 1).
    """
    path = Path(path)
    if path.suffix in (".npz", ".json"):
        path = path.with_suffix("")
    return path.with_name(path.name + ".npz"), path.with_name(path.name + ".json")


def checkpoint_exists(path):
    """True if a checkpoint file is at ``path`` (``run/last``), in either format; it may still be damaged.

    Use it to decide between resuming and starting over; :func:`load_checkpoint` decides whether the
    file is usable (it raises :class:`CheckpointError` if not).
    """
    npz_path, _ = checkpoint_paths(path)
    return npz_path.is_file()


def _optimizer_info(optimizer):
    """Name and hyper-parameters of an optimiser, enough to rebuild it (see ``make_optimizer``)."""
    name = type(optimizer).__name__.lower()
    hyper = optimizer.hyper() if hasattr(optimizer, "hyper") else {}
    return {"name": name, "hyper": hyper}


def _array_sha256(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def _check_saveable(where, k, v):
    if v.dtype.kind not in "fiu":
        raise TypeError(f"cannot save checkpoint {where}: array {k} has dtype {v.dtype}; a checkpoint holds "
                        f"only real float or integer arrays (no object, complex, bool or string data)")
    if v.dtype.kind == "f" and not np.isfinite(v).all():
        raise ValueError(f"cannot save checkpoint {where}: array {k} holds non-finite values (NaN or inf); "
                         f"a diverged network is not saved (lower the learning rate)")


def save_checkpoint(path, net, optimizer=None, config=None, extra=None):
    """Save a network (and optionally its optimiser) as one crash-safe file ``<path>.npz``.

    Parameters
    ----------
    path : str or os.PathLike
        Checkpoint path without extension (a trailing ``.npz``/``.json`` is ignored). The folder must
        exist.
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
    pathlib.Path
        The file written, ``<path>.npz``.

    Raises
    ------
    RunIOError
        The folder does not exist or cannot be written (the old checkpoint, if any, is kept).
    TypeError, ValueError
        An array that a checkpoint cannot hold (object, complex) or non-finite values.
    """
    npz_path, json_path = checkpoint_paths(path)
    if not npz_path.parent.is_dir():
        raise RunIOError(f"cannot save checkpoint {npz_path}: folder {npz_path.parent} does not exist; "
                         f"create it or choose another output folder")
    arrays = {f"param/{k}": np.array(v, order="C") for k, v in net.state_dict().items()}  # keeps 0-d
    opt_meta = None
    if optimizer is not None:
        opt_meta = _optimizer_info(optimizer)
        for k, v in optimizer.state_dict().items():
            arrays[f"optim/{k}"] = np.array(v, order="C")
    for k, v in arrays.items():
        _check_saveable(npz_path, k, v)
    from . import __version__
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "network": net.get_config(),
        "n_params": int(net.n_params),
        "optimizer": opt_meta,
        "arrays": {k: {"shape": list(v.shape), "dtype": v.dtype.name, "sha256": _array_sha256(v)}
                   for k, v in arrays.items()},
        "config": config or {},
        "extra": extra or {},
    }
    text = json.dumps(meta, indent=1, default=_json_default, allow_nan=True).encode("utf-8")
    entries = dict(arrays)
    entries[META_KEY] = np.frombuffer(text, dtype=np.uint8)
    entries[META_HASH_KEY] = np.frombuffer(hashlib.sha256(text).hexdigest().encode("ascii"), dtype=np.uint8)
    with atomic_writer(npz_path, verify=_read_v2) as f:   # read back and checked before it replaces the old one
        try:
            np.savez(f, **entries)
        except OSError as exc:
            raise _write_error(npz_path, exc) from exc
    if json_path.is_file():                     # the description of an old two-file checkpoint: now stale
        try:
            os.unlink(json_path)
        except OSError:
            pass
    return npz_path


# --------------------------------------------------------------------------------------------------
# checkpoints: reading and checking
# --------------------------------------------------------------------------------------------------
def _fix(file):
    """What to do about a damaged checkpoint, by its role in a run folder."""
    stem = Path(file).name.split(".")[0]
    if stem == "last":
        return (f"--resume cannot continue from it; start the run again with --overwrite (or evaluate "
                f"{Path(file).with_name('best')})")
    if stem == "best":
        return f"evaluate {Path(file).with_name('last')} instead, or train again"
    return "use another checkpoint or train again"


def _bad(file, what, damaged=True):
    return CheckpointError(f"{file}: {what}{'; the file is damaged or was edited' if damaged else ''}: "
                           f"{_fix(file)}")


def _check_meta(meta, file, version):
    """Refuse metadata whose fields are missing or of the wrong type, naming the field."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{file}: not an snu-np checkpoint (missing \"format\": \"{FORMAT}\"); "
                              f"pass a file written by snu-np train or save_checkpoint")
    fv = meta.get("format_version", 1)
    if not isinstance(fv, int) or isinstance(fv, bool):
        raise _bad(file, f"metadata field 'format_version' must be an integer, got {fv!r}")
    if fv > FORMAT_VERSION:
        raise CheckpointError(f"{file}: checkpoint format version {fv} is newer than this snu-np "
                              f"understands ({FORMAT_VERSION}); upgrade snu-np")
    required = ("network", "arrays", "npz_sha256") if version == 1 else ("network", "arrays")
    for key in required:
        if key not in meta:
            raise _bad(file, f"checkpoint metadata has no {key!r} field")
    net = meta["network"]
    if not isinstance(net, dict) or not isinstance(net.get("layers"), list) or not net["layers"] \
            or not all(isinstance(c, dict) for c in net["layers"]):
        raise _bad(file, "metadata field 'network' must be {\"layers\": [one dict per layer]}")
    if not isinstance(meta["arrays"], dict):
        raise _bad(file, "metadata field 'arrays' must be a dict of array descriptions")
    for k, spec in meta["arrays"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("shape"), list) \
                or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in spec["shape"]) \
                or not isinstance(spec.get("dtype", ""), str):
            raise _bad(file, f"metadata field 'arrays.{k}' must be {{\"shape\": [ints], \"dtype\": name, ...}}")
        if version >= 2 and not (isinstance(spec.get("sha256"), str) and len(spec["sha256"]) == 64):
            raise _bad(file, f"metadata field 'arrays.{k}.sha256' is missing or not a SHA-256")
        if not (k.startswith("param/") or k.startswith("optim/")):
            raise _bad(file, f"metadata field 'arrays' names {k!r}, which is neither param/... nor optim/...")
    opt = meta.get("optimizer")
    if opt is not None and not (isinstance(opt, dict) and isinstance(opt.get("name"), str)
                                and isinstance(opt.get("hyper", {}), dict)):
        raise _bad(file, "metadata field 'optimizer' must be null or {\"name\": str, \"hyper\": {...}}")
    for key in ("config", "extra"):
        if not isinstance(meta.get(key, {}), dict):
            raise _bad(file, f"metadata field {key!r} must be a dict")
    if "n_params" in meta and (not isinstance(meta["n_params"], int) or isinstance(meta["n_params"], bool)):
        raise _bad(file, "metadata field 'n_params' must be an integer")
    return meta


def _check_arrays(arrays, meta, file, version):
    """Names, shapes, dtypes and (version 2) hashes as described; only real, finite numbers."""
    want = meta["arrays"]
    missing = sorted(set(want) - set(arrays))
    unexpected = sorted(set(arrays) - set(want))
    if missing or unexpected:
        raise _bad(file, f"arrays do not match the description: missing {missing}, unexpected {unexpected}")
    for k, spec in want.items():
        a = arrays[k]
        if a.dtype.kind == "c":
            raise _bad(file, f"array {k} is complex ({a.dtype}); checkpoints hold real numbers only")
        if a.dtype.kind not in "fiu":
            raise _bad(file, f"array {k} has dtype {a.dtype}; checkpoints hold real float or integer arrays only")
        if list(a.shape) != list(spec["shape"]):
            raise _bad(file, f"array {k} has shape {a.shape}, the description says {tuple(spec['shape'])}")
        if "dtype" in spec and a.dtype.name != spec["dtype"]:
            raise _bad(file, f"array {k} has dtype {a.dtype.name}, the description says {spec['dtype']}")
        if version >= 2 and _array_sha256(a) != spec["sha256"]:
            raise _bad(file, f"array {k} does not match its SHA-256 in the checkpoint's metadata")
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise _bad(file, f"array {k} holds non-finite values (NaN or inf): the run diverged or the file "
                             f"was edited", damaged=False)
    for k in ("optim/t", "optim/lr"):
        if k in arrays and arrays[k].ndim != 0:
            raise _bad(file, f"array {k} must be a scalar, got shape {arrays[k].shape}")
    if "optim/t" in arrays and (arrays["optim/t"].dtype.kind not in "iu" or int(arrays["optim/t"]) < 0):
        raise _bad(file, f"array optim/t (the step counter) must be a non-negative integer, got "
                         f"{arrays['optim/t'].dtype} {arrays['optim/t'].item()!r}")


def _open_npz_arrays(file, source):
    """``{name: array}`` of an .npz (``source``: a path or bytes), with every read error as CheckpointError."""
    try:
        z = np.load(io.BytesIO(source) if isinstance(source, bytes) else source, allow_pickle=False)
    except Exception as exc:                    # noqa: BLE001  zipfile/numpy raise many types for damaged bytes
        raise _bad(file, f"not a readable .npz archive ({type(exc).__name__}: {exc}); it is truncated or "
                         f"corrupt", damaged=False) from exc
    if not hasattr(z, "files"):                # a bare .npy: an array, not an archive
        raise _bad(file, "not an .npz archive of named arrays")
    arrays = {}
    with z:
        for k in z.files:
            try:
                arrays[k] = z[k]
            except Exception as exc:            # noqa: BLE001  (BadZipFile, bad CRC, NotImplementedError, ...)
                raise _bad(file, f"array {k} cannot be read ({type(exc).__name__}: {exc})") from exc
    return arrays


def _read_v2(npz_path, arrays=None):
    """Read and check a version-2 checkpoint: ``(meta, arrays)``."""
    if arrays is None:
        arrays = _open_npz_arrays(npz_path, npz_path)
    raw, digest = arrays.pop(META_KEY, None), arrays.pop(META_HASH_KEY, None)
    if raw is None or digest is None:
        raise _bad(npz_path, f"the {META_KEY!r} or {META_HASH_KEY!r} entry is missing")
    if raw.dtype != np.uint8 or raw.ndim != 1 or digest.dtype != np.uint8 or digest.ndim != 1:
        raise _bad(npz_path, f"the {META_KEY!r} entries must be 1-D uint8 arrays")
    text = raw.tobytes()
    if hashlib.sha256(text).hexdigest().encode("ascii") != digest.tobytes():
        raise _bad(npz_path, f"the metadata (field {META_KEY!r}) does not match its SHA-256 ({META_HASH_KEY!r})")
    try:
        meta = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(npz_path, f"the metadata (field {META_KEY!r}) is not valid JSON ({exc})") from exc
    _check_meta(meta, npz_path, 2)
    _check_arrays(arrays, meta, npz_path, 2)
    return meta, arrays


def _read_v1(npz_path, json_path):
    """Read and check a checkpoint of the old two-file format: ``(meta, arrays)``."""
    if not json_path.is_file():
        raise CheckpointNotFoundError(
            f"checkpoint description {json_path} not found: {npz_path} is an old-format checkpoint (a .npz "
            f"plus a .json with the same name) whose .json is missing: {_fix(npz_path)}")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{json_path}: corrupt checkpoint description, not valid JSON ({exc}): "
                              f"{_fix(npz_path)}") from exc
    except OSError as exc:
        raise CheckpointError(f"{json_path}: cannot read the checkpoint description ({exc})") from exc
    _check_meta(meta, json_path, 1)
    blob = npz_path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != meta["npz_sha256"]:
        raise CheckpointError(
            f"{npz_path}: the weights file does not match its description {json_path} "
            f"(SHA-256 differs): it is truncated, corrupt, or from another save: {_fix(npz_path)}")
    arrays = _open_npz_arrays(npz_path, blob)
    _check_arrays(arrays, meta, npz_path, 1)
    return meta, arrays


def _ensure_layer_types(config):
    """Import optional layer modules (RNN/LSTM/GRU) so that ``Sequential.from_config`` knows them."""
    from .layers import LAYER_TYPES
    kinds = {cfg.get("kind") for cfg in config.get("layers", [])}
    if kinds - set(LAYER_TYPES):
        try:
            from .layers import rnn  # noqa: F401  (registers rnn/lstm/gru)
        except ImportError:
            pass


def read_checkpoint(path):
    """Read and check a checkpoint without building the network: ``(meta, {name: array})``."""
    npz_path, json_path = checkpoint_paths(path)
    if not npz_path.is_file():
        if npz_path.exists():
            raise CheckpointError(f"{npz_path} is not a file; pass the checkpoint path without suffix, "
                                  f"e.g. RUN/last or RUN/best")
        raise CheckpointNotFoundError(
            f"checkpoint {npz_path} not found; pass the path of a checkpoint written by snu-np train "
            f"(e.g. RUN/last or RUN/best)")
    try:
        with zipfile.ZipFile(npz_path) as zf:
            names = set(zf.namelist())
    except Exception as exc:                    # noqa: BLE001  not a zip at all (empty, cut, garbage)
        if json_path.is_file():                 # an old-format checkpoint: its hash check says why
            return _read_v1(npz_path, json_path)
        raise _bad(npz_path, f"not a readable .npz archive ({type(exc).__name__}: {exc}); it is truncated "
                             f"or corrupt", damaged=False) from exc
    if f"{META_KEY}.npy" in names:
        return _read_v2(npz_path)
    return _read_v1(npz_path, json_path)


def load_checkpoint(path):
    """Load a checkpoint written by :func:`save_checkpoint` (or by snu-np before version 2).

    Parameters
    ----------
    path : str or os.PathLike
        ``RUN/last``, with or without ``.npz`` (or, for old checkpoints, ``.json``).

    Returns
    -------
    net : Sequential
        Rebuilt from the stored configuration, with the stored parameters.
    optimizer_state : dict or None
        ``{key: array}`` for ``Optimizer.load_state_dict`` (None if no optimiser was saved).
    meta : dict
        The metadata: ``"network"``, ``"optimizer"`` (name, hyper), ``"config"``, ``"extra"``,
        ``"package_version"``, ``"n_params"``, ``"arrays"``, ``"format_version"``.

    Raises
    ------
    CheckpointNotFoundError (a CheckpointError and a FileNotFoundError)
        The file (or, for the old format, its ``.json``) is missing.
    CheckpointError (a RunIOError, exit code 5, and a ValueError)
        Corrupt or edited file: unreadable archive, metadata that is not valid JSON, has wrong fields
        or does not match its hash, arrays that do not match their hash, shape or dtype, complex or
        non-numeric arrays, NaN or inf, or parameters that do not fit the stored network. The message
        names the file and the field.
    """
    from .network import Sequential
    npz_path, _ = checkpoint_paths(path)
    meta, arrays = read_checkpoint(path)
    _ensure_layer_types(meta["network"])
    try:
        net = Sequential.from_config(meta["network"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(npz_path, f"cannot rebuild the network from its configuration (metadata field "
                             f"'network'): {exc}") from exc
    state = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    fresh = net.state_dict()
    for k, v in state.items():
        if k in fresh and (v.dtype != fresh[k].dtype or v.shape != fresh[k].shape):
            raise _bad(npz_path, f"array param/{k} is {v.dtype} {v.shape} but the network's "
                                 f"parameter is {fresh[k].dtype} {fresh[k].shape}")
    try:
        net.load_state_dict(state)
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(npz_path, f"parameters do not fit the network: {exc}") from exc
    opt_state = {k[len("optim/"):]: v for k, v in arrays.items() if k.startswith("optim/")}
    if meta.get("optimizer") is None:
        opt_state = None
    meta.setdefault("format_version", 1)
    return net, opt_state, meta

