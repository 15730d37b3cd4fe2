"""The ``snu-np`` command.

::

    snu-np                       # = snu-np demo: a short offline demo (embedded MNIST subset)
    snu-np demo [--out DIR] [--model snu|ssnu] [--epochs N] [--quick]
    snu-np train TASK --model snu --layers 256,256 --epochs 20 --batch-size 128 --lr 3e-3 ...
    snu-np evaluate CHECKPOINT [--data-dir DIR]
    snu-np info

Subcommands live in :data:`COMMANDS`, a dict ``name -> (add_arguments, run)``:
``add_arguments(parser)`` declares the options, ``run(args) -> int`` does the work and returns the
exit code; the first line of ``run``'s docstring is the help text. Add one with
:func:`register_command`.

Exit codes: 0 success; 1 training diverged (NaN/inf); 2 a user mistake (bad option, unknown task,
missing file), reported as an ``error: ...`` line on stderr without a traceback (a loader's
guidance, such as where it looked for a file, follows on the next lines) (set
``SNU_NP_DEBUG=1`` to get the traceback); 130 interrupted.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

__all__ = ["main", "COMMANDS", "register_command", "run_demo"]

COMMANDS = {}
DEMO_QUICK_ENV = "SNU_NP_DEMO_QUICK"


def register_command(name, add_arguments, run):
    """Add a subcommand: ``add_arguments(parser)`` and ``run(args) -> exit code``."""
    COMMANDS[name] = (add_arguments, run)
    return run


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: ...`` on stderr and exit code 2."""

    def error(self, message):
        sys.stderr.write(f"error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def _err(msg):
    sys.stderr.write(f"error: {msg}\n")


# --------------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------------
def _add_demo(p):
    p.add_argument("--out", default="snu-np-demo", help="output directory (default: ./snu-np-demo)")
    p.add_argument("--model", default="ssnu", choices=("snu", "ssnu"),
                   help="sSNU (soft, the default) or SNU (spikes)")
    p.add_argument("--layers", default=None, help="hidden sizes (default: 256,256, the paper's 784-256-256-10)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default: 6)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help=f"a few seconds only (tiny data and network; also env {DEMO_QUICK_ENV}=1)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def run_demo(args):
    """Train a small sSNU on the embedded MNIST subset, print test accuracy, and plot states and spikes."""
    quick = args.quick or os.environ.get(DEMO_QUICK_ENV, "") not in ("", "0")
    from .train import set_blas_threads, train
    if not any(os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")):
        set_blas_threads(1)             # a small network: one BLAS thread is fastest (see docs)
    out = Path(args.out)
    layers = args.layers or ("32" if quick else "256,256")
    epochs = args.epochs if args.epochs is not None else (1 if quick else 6)
    limits = dict(limit_train=300, limit_test=100) if quick else {}
    print(f"snu-np demo: 784-{layers.replace(',', '-')}-10 {args.model.upper()} on the embedded MNIST subset "
          f"(rate-coded, 20 steps), {epochs} epoch(s)")
    t0 = time.perf_counter()
    # the sSNU with leaky ReLU and centred input columns (docs/training.md: the soft SNU needs a careful start)
    g = "leaky_relu" if args.model == "ssnu" else "relu"
    res = train("demo", model=args.model, layers=layers, epochs=epochs, batch_size=32, lr=3e-3,
                lr_decay=0.8, seed=args.seed, out_dir=out / "run", progress=not args.no_progress, g=g, **limits)
    acc = res["test"]["accuracy"]
    print(f"test accuracy: {100 * acc:.2f}% (epoch {res['best_epoch']}, best validation; "
          f"{res['n_params']:,} parameters, {time.perf_counter() - t0:.1f} s)")
    if not args.no_plots:
        paths = _demo_plots(res, out)
        if paths:
            print("figures: " + ", ".join(str(p) for p in paths))
    print(f"checkpoint and results: {out / 'run'}")
    return 0


def _demo_plots(res, out):
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
    # a unit that integrates, fires and resets: spike count nearest T/4 (fallback: the busiest)
    counts = (spikes > 0.5).sum(axis=0)
    T = spikes.shape[0]
    j = int(np.argmin(np.abs(counts - T / 4) + 1e3 * (counts == 0))) if counts.any() else 0
    current = x[:, 0] @ hidden.params["W"][:, j]
    thr = float(-hidden.params["b"][j])
    pred = int(y[:, 0].mean(axis=0).argmax())
    label = int(labels[0])
    soft = hidden.soft
    # sSNU outputs are real numbers in (0, 1): show where they exceed 0.5 in the rasters
    hid_spk = spikes if not soft else (spikes > 0.5)
    out_spk = y[:, 0] if not net.layers[-1].soft else (y[:, 0] > 0.5)
    what = "spikes" if not soft else "outputs > 0.5"
    out.mkdir(parents=True, exist_ok=True)
    figs = {
        "neuron.png": P.plot_neuron(I=current, V=s[:, j], spikes=hid_spk[:, j], v_th=thr,
                                    title=f"hidden unit {j} on a digit {label}: input x·W, state s, {what}"),
        "input_raster.png": P.plot_raster(x[:, 0, ::8], title=f"input spikes (every 8th pixel), digit {label}"),
        "hidden_raster.png": P.plot_raster(hid_spk, title=f"hidden layer {what}"),
        "output_raster.png": P.plot_raster(out_spk, title=f"output layer {what}: predicted {pred}, true {label}"),
        "states.png": P.plot_states(s, hid_spk, threshold=float(np.median(-hidden.params["b"])),
                                    title="hidden layer states s_t (colour centred on the threshold)"),
        "training_curves.png": P.plot_training_curves(res["history"], metrics=("loss", "accuracy")),
    }
    paths = []
    for name, fig in figs.items():
        path = out / name
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------------
def _add_train(p):
    from .optim import OPTIMIZERS
    from .surrogates import SURROGATES
    from .tasks import MODELS, TASKS
    p.add_argument("task", metavar="TASK", choices=list(TASKS), help="one of: " + ", ".join(TASKS))
    p.add_argument("--model", default="snu", choices=MODELS)
    p.add_argument("--layers", default="256,256", help="hidden sizes, comma-separated (default 256,256)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=None,
                   help="default: 128 for MNIST tasks, 1 (one sequence per step) for music")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--optimizer", default="adam", choices=list(OPTIMIZERS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None, help="folder with the data files")
    p.add_argument("--no-download", action="store_true", help="never download missing data")
    p.add_argument("--out", default=None, help="output directory (default: runs/TASK-MODEL)")
    p.add_argument("--trials", type=int, default=1, help="train K seeds: seed, seed+1, ...")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from last.*")
    p.add_argument("--lr-decay", type=float, default=1.0, help="per-epoch learning-rate factor")
    p.add_argument("--g", default="relu", choices=("relu", "identity", "leaky_relu"),
                   help="SNU/sSNU state non-linearity (default relu)")
    p.add_argument("--decay", type=float, default=0.8, help="SNU/sSNU membrane decay l(tau) (default 0.8)")
    p.add_argument("--center-inputs", default="auto", choices=("auto", "on", "off"),
                   help="centre the columns of W in layers fed by SNUs (auto: on for sSNU)")
    p.add_argument("--threshold", type=float, default=1.0,
                   help="initial threshold of the hidden SNU/sSNU layers (b = -threshold; default 1)")
    p.add_argument("--surrogate", default="tanh", choices=sorted(SURROGATES),
                   help="SNU pseudo-derivative for the backward pass (default tanh, the authors')")
    p.add_argument("--surrogate-scale", type=float, default=None, help="its width parameter alpha")
    p.add_argument("--detach-reset", action="store_true",
                   help="drop the gradient through the reset gate (1 - y_{t-1})")
    p.add_argument("--clip", type=float, default=None, help="clip the global gradient norm")
    p.add_argument("--weight-decay", type=float, default=0.0,
                   help="decoupled weight decay of the weight matrices (default 0)")
    p.add_argument("--ema", type=float, default=None, metavar="BETA",
                   help="score and save a moving average of the weights, beta in (0, 1) (e.g. 0.999; "
                        "default: the weights as they are)")
    p.add_argument("--loss", default=None, choices=("mse", "ce", "bernoulli_nll"))
    p.add_argument("--window", default=None, help="classification loss window a,b (steps)")
    p.add_argument("--patience", type=int, default=None, help="early-stopping patience (epochs)")
    p.add_argument("--recurrent", action="store_true", help="SNU/sSNU with recurrent weights H")
    p.add_argument("--h-scale", type=float, default=1.0,
                   help="multiply the initial recurrent weights H by this factor (default 1)")
    p.add_argument("--output-bias", type=float, default=None,
                   help="initial output-layer bias (default: -1 SNU, -4 sSNU)")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--backend", default=None, choices=("numpy", "numba"))
    p.add_argument("--limit-train", type=int, default=None, help="use only the first N training examples")
    p.add_argument("--limit-test", type=int, default=None, help="use only the first N valid/test examples")
    p.add_argument("--val-size", type=int, default=None,
                   help="classification: hold out the last N training examples for validation (default: the "
                        "task's, 5,000 for MNIST); 0 trains on all of them and reports the last epoch")
    p.add_argument("--shards", type=int, default=1,
                   help="classification: run each batch as this many pieces in parallel threads, one BLAS "
                        "thread each unless --threads says otherwise (2 on a 2-core machine: faster; default 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (one line per epoch)")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS threads (default: OpenBLAS's choice; 1 is faster when other jobs share the cores)")


def _parse_window(text):
    if text is None:
        return None
    try:
        a, b = (int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--window must be two step indices 'a,b', got {text!r}") from None
    return (a, b)


def run_train(args):
    """Train a network on a task (MNIST, jittered MNIST, music, demo)."""
    from .train import set_blas_threads, train
    if args.threads is not None:
        set_blas_threads(args.threads)
    elif args.shards > 1:
        set_blas_threads(1)                   # each shard's thread runs its own single-threaded BLAS
    out = args.out or os.path.join("runs", f"{args.task}-{args.model}")
    res = train(args.task, model=args.model, layers=args.layers, epochs=args.epochs, batch_size=args.batch_size,
                lr=args.lr, optimizer=args.optimizer, seed=args.seed, data_dir=args.data_dir, out_dir=out,
                resume=args.resume, lr_decay=args.lr_decay, clip=args.clip, window=_parse_window(args.window),
                loss=args.loss, dtype=args.dtype, limit_train=args.limit_train, limit_test=args.limit_test,
                progress=not args.no_progress, recurrent=args.recurrent, trials=args.trials,
                patience=args.patience, output_bias=args.output_bias, backend=args.backend,
                download=not args.no_download, g=args.g, decay=args.decay,
                center_inputs={"auto": None, "on": True, "off": False}[args.center_inputs],
                threshold=args.threshold, surrogate=args.surrogate, surrogate_scale=args.surrogate_scale,
                detach_reset=args.detach_reset, weight_decay=args.weight_decay,
                h_scale=args.h_scale, val_size=args.val_size, shards=args.shards, ema=args.ema)
    metric = res["metric"]
    fmt = (lambda v: f"{100 * v:.2f}%") if metric == "accuracy" else (lambda v: f"{v:.4f}")
    if "runs" in res:
        print(f"test {metric} over {res['trials']} trials: mean {fmt(res['mean'])}, std {fmt(res['std'])}, "
              f"max {fmt(res['max'])}, min {fmt(res['min'])}; summary: {Path(out) / 'summary.json'}")
    else:
        which = "best validation" if res["valid"] is not None else "the last: no validation set"
        if res["config"].get("ema") is not None:
            which += ", averaged weights"
        print(f"test {metric}: {fmt(res['test'][metric])} at epoch {res['best_epoch']} ({which}); "
              f"results: {Path(out) / 'results.json'}")
    return 0


# --------------------------------------------------------------------------------------------------
# evaluate
# --------------------------------------------------------------------------------------------------
def _add_evaluate(p):
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="path of a checkpoint (e.g. runs/x/best)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--no-download", action="store_true")
    p.add_argument("--split", default="test", choices=("test", "valid", "both"))
    p.add_argument("--limit-test", type=int, default=None)


def run_evaluate(args):
    """Score a saved checkpoint on the test (or validation) set."""
    from .train import evaluate_checkpoint
    splits = ("valid", "test") if args.split == "both" else (args.split,)
    res = evaluate_checkpoint(args.checkpoint, data_dir=args.data_dir, splits=splits,
                              download=not args.no_download, limit_test=args.limit_test)
    for split, m in res.items():
        parts = [f"{k} {100 * v:.2f}%" if k == "accuracy" else f"{k} {v:.4f}" for k, v in m.items()]
        print(f"{split}: " + ", ".join(parts))
    return 0


# --------------------------------------------------------------------------------------------------
# info
# --------------------------------------------------------------------------------------------------
def _add_info(p):
    pass


def run_info(args):
    """Show versions, the backend and the BLAS threads."""
    from .tasks import MODELS, TASKS
    from .train import machine_info
    info = machine_info()
    rows = [("snu-np", info["snu_np"]), ("backend", info["backend"]), ("numba", info["numba"] or "not installed"),
            ("numpy", info["numpy"]), ("BLAS threads", info["blas_threads"] if info["blas_threads"] else "unknown"),
            ("python", info["python"]), ("platform", info["platform"]), ("CPUs", info["cpu_count"]),
            ("tasks", ", ".join(TASKS)), ("models", ", ".join(MODELS))]
    for k, v in rows:
        print(f"{k:>13}: {v}")
    return 0


register_command("demo", _add_demo, run_demo)
register_command("train", _add_train, run_train)
register_command("evaluate", _add_evaluate, run_evaluate)
register_command("info", _add_info, run_info)


def _add_bench(p):
    from .bench import add_arguments
    add_arguments(p)


def run_bench(args):
    """Measure training speed: numba vs the NumPy reference vs PyTorch (if installed) vs the GEMM bound."""
    from .bench import run
    return run(args)


register_command("bench", _add_bench, run_bench)


def _add_exercises(p):
    from .exercises import cli_add_arguments
    cli_add_arguments(p)


def run_exercises(args):
    """Classroom exercises: build the student and teacher versions, grade submissions, list them."""
    from .exercises import cli_run
    return cli_run(args)


register_command("exercises", _add_exercises, run_exercises)


# --------------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------------
def build_parser():
    from . import __version__
    parser = _Parser(prog="snu-np", description="Spiking Neural Units in NumPy/Numba: train, evaluate, demo. "
                     "Without a subcommand: the demo.")
    parser.add_argument("--version", action="version", version=f"snu-np {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (add_arguments, run) in COMMANDS.items():
        doc = (run.__doc__ or "").strip().splitlines()
        p = sub.add_parser(name, help=doc[0] if doc else None, description=doc[0] if doc else None)
        add_arguments(p)
        p.set_defaults(_run=run)
    return parser


def main(argv=None):
    """Run ``snu-np`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["demo"] + argv          # "snu-np" and "snu-np --quick" run the demo
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:           # --help, --version, or a usage error (already printed)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if getattr(args, "_run", None) is None:
        build_parser().print_help()
        return 2
    debug = os.environ.get("SNU_NP_DEBUG", "") not in ("", "0")
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except FloatingPointError as exc:
        if debug:
            raise
        _err(str(exc))
        return 1
    except (ValueError, TypeError, FileNotFoundError, NotADirectoryError, PermissionError, ImportError) as exc:
        if debug:
            raise
        _err(str(exc) or type(exc).__name__)   # multi-line messages (e.g. where data was looked for) kept
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
