"""Summarise training runs (their results.json files) as markdown table rows for docs/results.md.

    python scripts/results_table.py RUN_DIR [RUN_DIR ...]

Runs of the same task and model are grouped; for each group it prints the number of seeds, the mean,
max (or min, for NLL) and standard deviation of the test metric at the best validation epoch, the
parameter count, the mean training time and the command that reproduces one run.
"""
import json
import pathlib
import sys
from collections import defaultdict

import numpy as np


def command(cfg, seeds):
    parts = [f"snu-np train {cfg['task']} --model {cfg['model']}",
             f"--layers {','.join(str(n) for n in cfg['layers'])}", f"--epochs {cfg['epochs']}",
             f"--lr {cfg['lr']:g}"]
    if cfg.get("lr_decay", 1.0) != 1.0:
        parts.append(f"--lr-decay {cfg['lr_decay']:g}")
    if cfg.get("batch_size"):
        parts.append(f"--batch-size {cfg['batch_size']}")
    for key, flag in (("patience", "--patience"), ("output_bias", "--output-bias"), ("clip", "--clip")):
        if cfg.get(key) is not None:
            parts.append(f"{flag} {cfg[key]:g}" if isinstance(cfg[key], float) else f"{flag} {cfg[key]}")
    if cfg.get("recurrent"):
        parts.append("--recurrent")
    if cfg.get("g", "relu") != "relu" and cfg["model"] in ("snu", "ssnu"):
        parts.append(f"--g {cfg['g']}")
    if cfg.get("decay", 0.8) != 0.8:
        parts.append(f"--decay {cfg['decay']:g}")
    if cfg.get("threshold", 1.0) != 1.0:
        parts.append(f"--threshold {cfg['threshold']:g}")
    if cfg.get("surrogate", "tanh") != "tanh":
        parts.append(f"--surrogate {cfg['surrogate']}")
    if cfg.get("surrogate_scale") is not None:
        parts.append(f"--surrogate-scale {cfg['surrogate_scale']:g}")
    if cfg.get("h_scale", 1.0) != 1.0:
        parts.append(f"--h-scale {cfg['h_scale']:g}")
    if cfg.get("weight_decay"):
        parts.append(f"--weight-decay {cfg['weight_decay']:g}")
    if cfg.get("detach_reset"):
        parts.append("--detach-reset")
    parts.append(f"--seed {seeds} --data-dir DIR")
    return " ".join(parts)


def main(dirs):
    groups = defaultdict(list)
    for d in dirs:
        path = pathlib.Path(d) / "results.json"
        if not path.exists():
            print(f"skipping {d}: no results.json", file=sys.stderr)
            continue
        r = json.loads(path.read_text())
        groups[(r["task"], r["model"])].append(r)
    for (task, model), runs in groups.items():
        metric = runs[0]["metric"]
        vals = np.array([r["test"][metric] for r in runs]) * (100 if metric == "accuracy" else 1)
        best = vals.max() if metric == "accuracy" else vals.min()
        std = vals.std(ddof=1) if len(vals) > 1 else float("nan")
        minutes = np.mean([r["wall_time_s"] for r in runs]) / 60
        epochs = ",".join(str(r["best_epoch"]) for r in runs)
        ss = sorted(r["seed"] for r in runs)
        if ss == list(range(ss[0], ss[0] + len(ss))):   # the CLI takes one seed; --trials adds the next
            seeds = f"{ss[0]}" + (f" --trials {len(ss)}" if len(ss) > 1 else "")
        else:
            seeds = f"S (for S in {', '.join(map(str, ss))})"
        d = 3 if metric == "nll" else 2
        std_text = f"{std:.{d}f}" if len(vals) > 1 else "–"
        print(f"| {task} | {model} | {len(runs)} | {vals.mean():.{d}f} | {best:.{d}f} | {std_text} | "
              f"{runs[0]['n_params']:,} | {minutes:.1f} min | {epochs} | `{command(runs[0]['config'], seeds)}` |")


if __name__ == "__main__":
    main(sys.argv[1:])
