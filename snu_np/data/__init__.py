"""Data for snu-np: MNIST and polyphonic music loaders, spike encoders, and a small offline subset.

* :func:`load_mnist` / :func:`load_embedded_mnist` -- images (N, 28, 28) uint8, labels (N,) uint8;
* :func:`load_music` / :func:`load_embedded_music` -- ``{"train", "valid", "test"}`` lists of
  (T_i, 88) uint8 piano rolls; :func:`pad_sequences` batches them;
* :func:`rate_encode`, :func:`jitter_encode` (jittered MNIST), :func:`encode_dataset`,
  :func:`one_hot` -- spike trains (T, B, 784);
* :func:`fetch` -- find-or-download (pooch) with SHA-256 checks (``$SNU_NP_DATA``, ``~/.cache/snu-np``);
  its errors are :class:`~snu_np.errors.DataError` (exit code 3).
"""
from .download import ChecksumError, DataNotFoundError, DownloadError, cache_dir, fetch, sha256sum
from .encoders import encode_dataset, jitter_encode, jitter_frames, one_hot, rate_encode
from .idx import read_idx, write_idx
from .mnist import load_embedded_mnist, load_mnist
from .music import (load_embedded_music, load_music, pad_sequences, read_music_file, save_music_npz,
                    validate_music)

__all__ = [
    "load_mnist", "load_embedded_mnist",
    "load_music", "load_embedded_music", "read_music_file", "save_music_npz", "validate_music",
    "pad_sequences",
    "rate_encode", "jitter_encode", "jitter_frames", "encode_dataset", "one_hot",
    "fetch", "sha256sum", "cache_dir", "ChecksumError", "DownloadError", "DataNotFoundError",
    "read_idx", "write_idx",
]
