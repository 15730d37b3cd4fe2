"""Scaling of the numba backend: time and memory of a training step as T, batch and width grow,
float32 vs float64, and the BPTT cache's memory measured against its formula.

    python benchmarks/scaling.py [--quick] [--out benchmarks/results/scaling.json] [--plot docs/_static/scaling.png]

Cache formula: each SNU layer keeps x, s and y from forward to backward, but its x is the previous
layer's y (the same array, no copy) and the first layer's x is the caller's. So the forward pass of
the whole network allocates and keeps
    bytes = T * B * sum over layers of (2 n_out) * itemsize,
plus, during the backward pass, one (T, B, n_out) buffer per layer at a time (h'(s + b), overwritten
in place by dL/dz) and the gradients.
The measured figure is what tracemalloc sees numpy allocate and keep between forward and backward.
"""
import argparse
import json
import time
import tracemalloc

import numpy as np

import snu_np
from snu_np import SNU, Adam, Sequential, window_mse


def net_and_data(T, B, width, dtype, seed=0):
    rng = np.random.default_rng(seed)
    net = Sequential([SNU(784, width, dtype=dtype, seed=1), SNU(width, width, dtype=dtype, seed=2),
                      SNU(width, 10, dtype=dtype, seed=3)])
    x = (rng.uniform(size=(T, B, 784)) < 0.15).astype(dtype)
    return net, x, rng.integers(0, 10, B)


def step_time(T, B, width, dtype, reps):
    net, x, lab = net_and_data(T, B, width, dtype)
    opt = Adam(net)

    def step():
        loss, dy = window_mse(net.forward(x), lab)
        net.backward(dy, need_dx=False)
        opt.step()

    step()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def cache_bytes(T, B, width, dtype):
    """(formula, measured) bytes that the forward pass keeps for the backward pass."""
    net, x, lab = net_and_data(T, B, width, dtype)
    net.forward(x)                       # compile / warm up
    item = np.dtype(dtype).itemsize
    sizes = [(784, width), (width, width), (width, 10)]
    formula = sum(T * B * 2 * n_out * item for _, n_out in sizes)
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()
    y = net.forward(x)
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    measured = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    del y
    return formula, measured


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--out", default=None)
    p.add_argument("--plot", default=None)
    a = p.parse_args(argv)
    snu_np.set_backend("numba")
    base = dict(T=20, B=128, width=256)
    grid = {"T": [5, 10, 20, 40, 80], "B": [8, 32, 128, 256], "width": [64, 128, 256, 512]}
    if a.quick:
        base = dict(T=5, B=8, width=16)
        grid = {"T": [2, 5], "B": [4, 8], "width": [8, 16]}
    res = {"base": base, "sweeps": {}, "cache": []}
    for key, values in grid.items():
        rows = []
        for v in values:
            cfg = dict(base, **{key: v})
            row = {key: v}
            for dt in (np.float32, np.float64):
                sec = step_time(cfg["T"], cfg["B"], cfg["width"], dt, a.reps)
                row[np.dtype(dt).name] = {"step_s": sec, "samples_per_s": cfg["B"] / sec}
            f, m = cache_bytes(cfg["T"], cfg["B"], cfg["width"], np.float32)
            row["cache_formula_mb"], row["cache_measured_mb"] = f / 2**20, m / 2**20
            rows.append(row)
            print(key, v, {k: (round(x["samples_per_s"]) if isinstance(x, dict) else round(x, 2))
                           for k, x in row.items() if k != key})
        res["sweeps"][key] = rows
    if a.out:
        from snu_np.io import atomic_write_bytes
        atomic_write_bytes(a.out, (json.dumps(res, indent=2) + "\n").encode())
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), constrained_layout=True)
        for col, (key, rows) in enumerate(res["sweeps"].items()):
            xs = [r[key] for r in rows]
            for dt, style in (("float32", "o-"), ("float64", "s--")):
                axes[0, col].plot(xs, [1e3 * r[dt]["step_s"] for r in rows], style, label=dt)
            axes[0, col].set_xlabel(key)
            axes[0, col].set_ylabel("training step (ms)")
            axes[0, col].set_xscale("log", base=2)
            axes[0, col].set_yscale("log")
            axes[0, col].legend()
            axes[1, col].plot(xs, [r["cache_formula_mb"] for r in rows], "k-", label="formula")
            axes[1, col].plot(xs, [r["cache_measured_mb"] for r in rows], "o", label="measured")
            axes[1, col].set_xlabel(key)
            axes[1, col].set_ylabel("BPTT cache, float32 (MB)")
            axes[1, col].set_xscale("log", base=2)
            axes[1, col].legend()
        fig.suptitle(f"784-w-w-10 SNU, numba backend; base T={base['T']}, B={base['B']}, width={base['width']}")
        fig.savefig(a.plot, dpi=110)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
