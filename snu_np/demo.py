"""``snu-np demo`` (and plain ``snu-np``): a spiking network trained offline in about a minute.

It trains the paper's 784-256-256-10 network of spiking SNUs (``--model ssnu``: soft SNUs) on the
MNIST subset that ships inside the package, prints the test accuracy once at the end, and writes
figures a student can read without help:

* ``neuron.png``: one hidden unit's input current x_t W, state s_t, threshold and spikes;
* ``input_raster.png``, ``hidden_raster.png``, ``output_raster.png``: the spikes of the input
  pixels, of hidden layer 1 and of the ten output units (one per digit) for one test digit;
* ``states.png``: hidden layer 1's states s_t on a linear colour scale, the threshold marked;
* ``training_curves.png``: loss and accuracy per epoch.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["add_arguments", "run", "DEMO_QUICK_ENV"]

DEMO_QUICK_ENV = "SNU_NP_DEMO_QUICK"


def add_arguments(p):
    p.add_argument("--out", default="snu-np-demo",
                   help="output folder (default: ./snu-np-demo; the demo replaces its own earlier run there)")
    p.add_argument("--model", default="snu", choices=("snu", "ssnu"),
                   help="snu: spiking units, real spikes (default); ssnu: soft SNUs, outputs in (0, 1)")
    p.add_argument("--layers", default=None, help="hidden sizes (default: 256,256, the paper's 784-256-256-10)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default: 6; 1 with --quick)")
    p.add_argument("--seed", type=int, default=0, help="(default: 0)")
    p.add_argument("--quick", action="store_true",
                   help=f"a few seconds only (tiny data and network; also env {DEMO_QUICK_ENV}=1)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier demo run in --out")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args):
    """Train, report once, plot. Returns the exit code."""
    from .runtime import set_blas_threads
    from .train import train
    quick = args.quick or os.environ.get(DEMO_QUICK_ENV, "") not in ("", "0")
    if not any(os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")):
        set_blas_threads(1)             # a small network: one BLAS thread is fastest (docs/performance.md)
    out = Path(args.out)
    layers = args.layers or ("32" if quick else "256,256")
    epochs = args.epochs if args.epochs is not None else (1 if quick else 6)
    limits = dict(limit_train=300, limit_test=100) if quick else {}
    kind = "spiking SNU" if args.model == "snu" else "soft SNU (sSNU)"
    print(f"snu-np demo: a 784-{layers.replace(',', '-')}-10 {kind} network on the embedded MNIST subset "
          f"(rate-coded spikes, 20 steps), {epochs} epoch(s)")
    print("each line: an epoch's training loss and accuracy, then the validation accuracy "
          "('best so far': the epoch whose weights are kept and tested)")
    t0 = time.perf_counter()
    # the sSNU starts with leaky ReLU (docs/training.md: the soft SNU needs a careful start)
    g = "leaky_relu" if args.model == "ssnu" else "relu"
    run_dir = out / "run"
    res = train("demo", model=args.model, layers=layers, epochs=epochs, batch_size=32, lr=3e-3,
                lr_decay=0.8, seed=args.seed, out_dir=run_dir, progress=not args.no_progress, g=g,
                overwrite=args.overwrite or _earlier_demo(run_dir), **limits)
    acc = res["test"]["accuracy"]
    print(f"test accuracy: {100 * acc:.2f}% (weights of epoch "
          f"{res['best_epoch']}, the best on validation; {res['n_params']:,} parameters, "
          f"{time.perf_counter() - t0:.1f} s)")
    if not args.no_plots:
        paths = plots(res, out)
        if paths:
            print("figures: " + ", ".join(str(p) for p in paths))
    print(f"checkpoint and results: {run_dir}")
    return 0


def _earlier_demo(run_dir):
    """True when ``run_dir`` holds a run of the demo task: the demo replaces its own earlier run,
    never anything else (another run there needs --overwrite)."""
    import json

    from .runs import holds_run
    if not holds_run(run_dir):
        return False
    try:
        return json.loads((run_dir / "results.json").read_text())["task"] == "demo"
    except (OSError, ValueError, KeyError, TypeError):
        return False


def plots(res, out):
    """Membrane potential, spike rasters and training curves of the demo network (PNG files)."""
    try:
        import matplotlib
        if "MPLBACKEND" not in os.environ:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from . import plot as P
    except ImportError as exc:
        print(f"(no figures: {exc}; install matplotlib to get them)")
        return []
    import numpy as np

    from .data import load_embedded_mnist
    from .tasks import encode_images
    net = res["net"]
    images, labels = load_embedded_mnist("test")
    x = encode_images("demo", images[:1], seed=0, dtype=net.dtype)        # one digit, (T, 1, 784)
    y = net.forward(x)
    hidden = net.layers[0]
    s, spikes = hidden.cache["s"][:, 0], hidden.cache["y"][:, 0]           # (T, n_hidden)
    soft = hidden.soft
    # a unit that integrates, fires and resets: spike count nearest T/4 (fallback: the busiest)
    fired = spikes > 0.5
    counts = fired.sum(axis=0)
    T = spikes.shape[0]
    j = int(np.argmin(np.abs(counts - T / 4) + 1e3 * (counts == 0))) if counts.any() else 0
    current = x[:, 0] @ hidden.params["W"][:, j]
    thr = float(-hidden.params["b"][j])
    pred = int(y[:, 0].mean(axis=0).argmax())
    label = int(labels[0])
    # sSNU outputs are real numbers in (0, 1), not spikes: the rasters show where they exceed 0.5
    what = "spikes" if not soft else "outputs y > 0.5"
    unit = "SNU" if not soft else "sSNU"
    out_y = y[:, 0] > 0.5
    out.mkdir(parents=True, exist_ok=True)
    figs = {
        "neuron.png": P.plot_neuron(I=current, V=s[:, j], spikes=fired[:, j], v_th=thr,
                                    title=f"hidden unit {j} on a digit {label}: input x·W, state s, {what}"),
        "input_raster.png": P.plot_raster(x[:, 0], ylabel="input pixel (row by row, 0-783)",
                                          title=f"input spikes of the digit {label} (rate-coded pixels)"),
        "hidden_raster.png": P.plot_raster(fired, ylabel=f"hidden layer 1 unit ({hidden.n_out} {unit}s)",
                                           title=f"hidden layer 1: {what}"),
        "output_raster.png": P.plot_raster(out_y, ylabel="output unit (= digit)",
                                           title=f"output layer: {what}; predicted {pred}, true {label}"),
        "states.png": P.plot_states(s, fired.astype(s.dtype) if not soft else None,
                                    threshold=float(np.median(-hidden.params["b"])),
                                    title="hidden layer 1: states s_t (dashed on the colour bar: threshold)"),
        "training_curves.png": P.plot_training_curves(res["history"], metrics=("loss", "accuracy")),
    }
    paths = []
    for name, fig in figs.items():
        path = out / name
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths
