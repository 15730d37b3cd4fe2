"""Test NLL of music checkpoints under two conventions (docs/results.md):

* pooled: sum of the NLL over every predicted step of every sequence / number of predicted steps
  (what snu-np reports; each step weighs the same);
* per-sequence: the mean over sequences of each sequence's NLL per step (each sequence weighs the same).

    python scripts/music_nll_conventions.py --data-dir DIR RUN_DIR/best [RUN_DIR/best ...]
"""
import argparse

import numpy as np

from snu_np.data import load_music
from snu_np.functional.losses import bernoulli_nll
from snu_np.io import load_checkpoint


def conventions(net, seqs):
    per_seq, total, steps = [], 0.0, 0
    for roll in seqs:
        x = roll[:-1, None, :].astype(net.dtype)
        target = roll[1:, None, :].astype(net.dtype)
        nll, _ = bernoulli_nll(net.forward(x), target)       # per predicted step of this sequence
        per_seq.append(nll)
        total += nll * len(target)
        steps += len(target)
    return total / steps, float(np.mean(per_seq))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True)
    p.add_argument("checkpoints", nargs="+")
    a = p.parse_args()
    cache = {}
    for ck in a.checkpoints:
        net, _, meta = load_checkpoint(ck)
        task = meta["config"]["task"]
        if task not in cache:
            cache[task] = load_music(task, data_dir=a.data_dir, download=False)["test"]
        pooled, per_seq = conventions(net, cache[task])
        print(f"{ck}: {task} {meta['config']['model']} pooled {pooled:.4f}  per-sequence {per_seq:.4f}")


if __name__ == "__main__":
    main()
