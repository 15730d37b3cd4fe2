#!/usr/bin/env python
"""Build the small data subsets shipped in ``snu_np/data/embedded/`` from the full data sets.

What it makes (all byte-reproducible: same inputs and seed -> same files and SHA-256):

* MNIST: 3,000 training digits (300 per class) from the official 60,000-digit training set and
  1,000 test digits (100 per class) from the official 10,000-digit test set, as gzipped IDX files,
  kept in their original order; plus the chosen indices into the official files (IDX, int32).
* JSB Chorales: 60 training, 15 validation and 15 test chorales from the official splits, in their
  original order, as one ``.npz`` (the layout of :func:`snu_np.data.save_music_npz`) with the chosen
  indices stored as ``{split}_source_index``.

Selection: for each MNIST split and class, ``numpy.random.default_rng([SEED, k]).choice(...,
replace=False)`` over that class's indices (k = 0 for train, 1 for test, one generator per split,
classes visited 0..9), then sorted; for each JSB split, ``default_rng([SEED, 2 + j]).choice`` with
j = 0, 1, 2 for train, valid, test, then sorted. SEED = 181207040 (the paper's arXiv number).

Usage::

    python scripts/make_embedded_data.py --mnist-dir /path/to/mnist --music-dir /path/to/music
    python scripts/make_embedded_data.py --mnist-dir ... --music-dir ... --check   # verify shipped files

The inputs are found like ``load_mnist`` / ``load_music`` find them (checksum-verified); without the
``--*-dir`` options they come from ``$SNU_NP_DATA`` or the user cache, or are downloaded. The
script prints the SHA-256 of every output; after a deliberate change, paste them into
``EMBEDDED_MNIST_SHA256`` (snu_np/data/mnist.py) and ``EMBEDDED_MUSIC_SHA256`` (snu_np/data/music.py).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from snu_np.data import load_mnist, load_music, save_music_npz, sha256sum, write_idx  # noqa: E402
from snu_np.data import mnist as mnist_mod  # noqa: E402
from snu_np.data import music as music_mod  # noqa: E402

SEED = 181207040
MNIST_PER_CLASS = {"train": 300, "test": 100}
JSB_COUNTS = {"train": 60, "valid": 15, "test": 15}


def mnist_subset(labels, per_class, rng):
    """Indices of ``per_class`` examples of each digit 0..9, sorted (original order kept)."""
    chosen = [rng.choice(np.flatnonzero(labels == c), size=per_class, replace=False) for c in range(10)]
    return np.sort(np.concatenate(chosen))


def build(out, mnist_dir=None, music_dir=None, download=False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for k, split in enumerate(("train", "test")):
        images, labels = load_mnist(data_dir=mnist_dir, split=split, download=download)
        idx = mnist_subset(labels, MNIST_PER_CLASS[split], np.random.default_rng([SEED, k]))
        img_name, lab_name = mnist_mod.EMBEDDED_MNIST_FILES[split]
        written.append(write_idx(out / img_name, images[idx]))
        written.append(write_idx(out / lab_name, labels[idx]))
        written.append(write_idx(out / mnist_mod.EMBEDDED_MNIST_INDEX_FILES[split], idx.astype(np.int32)))
    data = load_music("jsb", data_dir=music_dir, download=download)
    subset, extra = {}, {}
    for j, split in enumerate(("train", "valid", "test")):
        rng = np.random.default_rng([SEED, 2 + j])
        idx = np.sort(rng.choice(len(data[split]), size=JSB_COUNTS[split], replace=False))
        subset[split] = [data[split][i] for i in idx]
        extra[f"{split}_source_index"] = idx.astype(np.int32)
    written.append(save_music_npz(subset, out / music_mod.EMBEDDED_MUSIC_FILE, extra=extra))
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mnist-dir", help="folder with the four official MNIST .gz files")
    ap.add_argument("--music-dir", help="folder with JSB_Chorales.mat (or .npz)")
    ap.add_argument("--out", default=str(mnist_mod.EMBEDDED_DIR), help="output folder (default: the package's)")
    ap.add_argument("--download", action="store_true", help="download missing inputs")
    ap.add_argument("--check", action="store_true",
                    help="build into a temporary folder and compare with the checksums recorded in the package")
    args = ap.parse_args(argv)
    expected = dict(mnist_mod.EMBEDDED_MNIST_SHA256)
    expected[music_mod.EMBEDDED_MUSIC_FILE] = music_mod.EMBEDDED_MUSIC_SHA256
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) if args.check else Path(args.out)
        ok = True
        for path in build(out, args.mnist_dir, args.music_dir, args.download):
            digest = sha256sum(path)
            want = expected.get(path.name)
            flag = "" if want is None else ("  ok" if want == digest else "  DIFFERS from the recorded checksum")
            ok &= want is None or want == digest
            print(f"{path.name:45s} {path.stat().st_size:9,d} B  sha256 {digest}{flag}")
    if args.check:
        print("all files match the recorded checksums" if ok else "MISMATCH (see above)")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
