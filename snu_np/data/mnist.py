"""MNIST: the full data set (found on disk or downloaded, checksum-verified) and the small subset
shipped inside the package.

MNIST is by Yann LeCun and Corinna Cortes (a derivative of NIST data), licensed CC BY-SA 3.0; cite
Y. LeCun, C. Cortes, C. J. C. Burges, *The MNIST database of handwritten digits*.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._validate import check_choice
from ..errors import DataError
from .download import DataNotFoundError, fetch, resolve_base_urls, verify_file
from .idx import IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, read_idx

__all__ = ["load_mnist", "load_embedded_mnist", "MNIST_FILES", "MNIST_SHA256", "MNIST_URLS",
           "MNIST_URL_ENV", "EMBEDDED_DIR"]

MNIST_URL_ENV = "SNU_NP_MNIST_URL"
# Mirrors of the original files (LeCun's own page no longer serves them reliably). Same names.
MNIST_URLS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# SHA-256 of the official gzipped files (their md5 sums match the well-known published ones).
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

EMBEDDED_DIR = Path(__file__).resolve().parent / "embedded"
# The subset shipped in the package (made by scripts/make_embedded_data.py; see embedded/README.md).
EMBEDDED_MNIST_FILES = {
    "train": ("mnist-train3000-images-idx3-ubyte.gz", "mnist-train3000-labels-idx1-ubyte.gz"),
    "test": ("mnist-test1000-images-idx3-ubyte.gz", "mnist-test1000-labels-idx1-ubyte.gz"),
}
# Positions of the chosen digits in the official files (int32 IDX), for provenance.
EMBEDDED_MNIST_INDEX_FILES = {
    "train": "mnist-train3000-index-idx1-int32.gz",
    "test": "mnist-test1000-index-idx1-int32.gz",
}
EMBEDDED_MNIST_SHA256 = {
    "mnist-train3000-images-idx3-ubyte.gz": "c3371c18b97be4df59b4657c6ab3aa3f0d90eab15e53a0134d666aaa620fe582",
    "mnist-train3000-labels-idx1-ubyte.gz": "9eb6db6f86ee3e67fdc0aba841568c7c952376f5d88e256287d69e90e0dffc27",
    "mnist-train3000-index-idx1-int32.gz": "923baf4f0f64dfb82e3ba5892005e7a0be3c02307f807e700827f35888a7918c",
    "mnist-test1000-images-idx3-ubyte.gz": "9b4b6f1f48c3a72f246a39d7ef429b34584c3aba8ad40a53841f486b276345e4",
    "mnist-test1000-labels-idx1-ubyte.gz": "39c8a40020693cfee1bb87ddcd572eb81e893b7324a31473b9843042ca1654b4",
    "mnist-test1000-index-idx1-int32.gz": "441e82a0ef8646f7bd1465b4b735494754d0ee720476598998949325ef3a002d",
}
EMBEDDED_MNIST_SIZES = {"train": 3000, "test": 1000}


_FIX = "the file is damaged or not the right one: delete it and download it again"


def _read_pair(images_path, labels_path, expected_n=None):
    """Read and cross-check an images/labels IDX pair."""
    images = read_idx(images_path, expect_magic=IDX_IMAGES_MAGIC)
    labels = read_idx(labels_path, expect_magic=IDX_LABELS_MAGIC)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{images_path}: expected uint8 images of shape (N, 28, 28), got {images.dtype} "
                        f"{images.shape}; {_FIX}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} "
                        f"{labels.shape}; {_FIX}")
    if len(images) != len(labels):
        raise DataError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
                        f"labels; the two files are from different sets: {_FIX}")
    if expected_n is not None and len(images) != expected_n:
        raise DataError(f"{images_path}: expected {expected_n} images, got {len(images)}; {_FIX}")
    if labels.size and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DataError(f"{labels_path}: labels must be digits 0..9, found {int(labels[bad])} at index {bad}; {_FIX}")
    return images, labels



def load_mnist(data_dir=None, download=True, split="train", base_url=None, progress=True):
    """Load the full MNIST training or test set.

    The two files of the split are looked for in ``data_dir``, then ``$SNU_NP_DATA`` (or its
    ``mnist/`` sub-folder), then the user cache ``~/.cache/snu-np/mnist``; when missing they are
    downloaded into that cache. Every file's SHA-256 is checked (see :func:`snu_np.data.download.fetch`).

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        A folder holding ``train-images-idx3-ubyte.gz`` etc. (the official names).
    download : bool
        Download missing files. ``False`` raises :class:`~snu_np.data.download.DataNotFoundError` (a
        ``FileNotFoundError``) whose first line says what to do, then where it looked.
    split : {"train", "test"}
        60,000 training or 10,000 test digits.
    base_url : str or list of str, optional
        Mirror(s) to download from, tried in order. Default: ``$SNU_NP_MNIST_URL`` (whitespace
        separated) if set, else :data:`MNIST_URLS`.
    progress : bool
        Show a download progress bar.

    Returns
    -------
    images : numpy.ndarray of uint8, shape (N, 28, 28)
        Pixel intensities 0..255 (0 = background).
    labels : numpy.ndarray of uint8, shape (N,)
        Digits 0..9.
    """
    check_choice(split, "split", ("train", "test"))
    bases = resolve_base_urls(base_url, MNIST_URL_ENV, MNIST_URLS)
    paths = []
    for name in MNIST_FILES[split]:
        paths.append(fetch(name, [f"{b}/{name}" for b in bases], MNIST_SHA256[name], data_dir=data_dir,
                           download=download, progress=progress, subdir="mnist"))
    return _read_pair(*paths)


def _embedded_path(name):
    path = EMBEDDED_DIR / name
    if not path.is_file():
        raise DataNotFoundError(
            f"the embedded MNIST file {path} is missing; the package installation is incomplete "
            f"(reinstall snu-np, or rebuild the files with scripts/make_embedded_data.py)")
    return verify_file(path, EMBEDDED_MNIST_SHA256[name])


def load_embedded_mnist(split="train", return_index=False):
    """Load the small MNIST subset shipped in the package (works offline).

    3,000 training digits (300 per class) drawn from the official training set and 1,000 test digits
    (100 per class) drawn from the official test set with a fixed seed, kept in their original
    order. Good for demos, notebooks and tests; use :func:`load_mnist` for real benchmarks.
    How it was made: ``scripts/make_embedded_data.py``, ``snu_np/data/embedded/README.md``.
    The files' SHA-256 are checked on every load.

    Parameters
    ----------
    split : {"train", "test"}
    return_index : bool
        Also return each digit's position in the official file of its split.

    Returns
    -------
    images : numpy.ndarray of uint8, shape (3000, 28, 28) or (1000, 28, 28)
    labels : numpy.ndarray of uint8, shape (3000,) or (1000,)
    index : numpy.ndarray of int32, shape (3000,) or (1000,)
        Only with ``return_index=True``: ``images[i]`` is ``load_mnist(split=split)[0][index[i]]``.
    """
    check_choice(split, "split", ("train", "test"))
    if not isinstance(return_index, bool):
        raise TypeError(f"return_index must be True or False, got {return_index!r}")
    images, labels = _read_pair(*(_embedded_path(n) for n in EMBEDDED_MNIST_FILES[split]),
                                expected_n=EMBEDDED_MNIST_SIZES[split])
    if not return_index:
        return images, labels
    index = read_idx(_embedded_path(EMBEDDED_MNIST_INDEX_FILES[split]))
    return images, labels, index
