"""``snu-np analog CHECKPOINT``: a trained network on simulated PCM, scored from 1 s to 1 year.

::

    snu-np analog runs/x/best --times 1s,1h,1d,1y --draws 10 [--no-compensation] [--out DIR]

Prints the metric's mean +- std over the device draws at every time, and writes
``DIR/analog_<compensated|uncompensated>.json`` and ``.png``. Registered in ``snu_np/cli.py`` as
``register_command("analog", add_arguments, run)``. Imports stay inside :func:`run`, so that
registering the command costs nothing at start-up.
"""
from __future__ import annotations

__all__ = ["add_arguments", "run", "format_time"]


def add_arguments(p):
    """Declare the options of ``snu-np analog`` on the argparse parser ``p``."""
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a checkpoint (runs/x/best) or a run folder")
    p.add_argument("--times", default="1s,1h,1d,1y",
                   help="times after programming, comma-separated, units s m h d w y (default: 1s,1h,1d,1y)")
    p.add_argument("--draws", type=int, default=10, help="device draws per time (default: 10)")
    p.add_argument("--no-compensation", action="store_true", help="no global drift compensation")
    p.add_argument("--seed", type=int, default=0, help="seed of the device draws (default: 0)")
    p.add_argument("--calibration", type=int, default=64,
                   help="training examples in the drift-compensation calibration batch (default: 64)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--no-download", action="store_true")
    p.add_argument("--limit-test", type=int, default=None, help="score on the first N test examples only")
    p.add_argument("--out", default="snu-np-analog", help="output directory (default: ./snu-np-analog)")
    p.add_argument("--no-plot", action="store_true", help="skip the figure")


def format_time(seconds):
    """1.0 -> '1s', 86400.0 -> '1d', 5400.0 -> '1.5h': the largest unit that divides nicely."""
    from .pcm import TIME_UNITS
    for unit in ("y", "w", "d", "h", "m", "s"):
        v = seconds / TIME_UNITS[unit]
        if v >= 1 and abs(v * 10 - round(v * 10)) < 1e-9:
            return f"{v:g}{unit}"
    return f"{seconds:g}s"


def run(args):
    """Score a checkpoint on simulated phase-change memory from 1 s to 1 year (drift, noise, compensation)."""
    from pathlib import Path

    from .._validate import check_int
    from ..errors import UsageError
    from ..io import atomic_write_json
    from .adapters import checkpoint_scorer
    from .inference import analog_sweep
    from .pcm import parse_times

    times = parse_times(args.times)
    try:
        draws = check_int(args.draws, "--draws", low=1)
        calib_n = check_int(args.calibration, "--calibration", low=1)
        seed = check_int(args.seed, "--seed", low=0)
        if args.limit_test is not None:
            check_int(args.limit_test, "--limit-test", low=1)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sc = checkpoint_scorer(args.checkpoint, data_dir=args.data_dir, limit_test=args.limit_test,
                           n_calibration=calib_n, download=not args.no_download)
    compensate = not args.no_compensation
    print(f"snu-np analog: {sc['checkpoint']} ({sc['task']}, test {sc['metric']}), {draws} device draw(s), "
          f"{'with' if compensate else 'without'} drift compensation")
    res = analog_sweep(sc["net"], sc["score"], times, draws=draws, calibration_x=sc["calibration_x"],
                       compensate=compensate, seed=seed)
    pct = sc["metric"] == "accuracy"

    def fmt(v):
        return f"{100 * v:.2f} %" if pct else f"{v:.4f}"

    print(f"{'float':>8}  {fmt(res['float'])}")
    for t, m, s in zip(res["times"], res["mean"], res["std"]):
        print(f"{format_time(t):>8}  {fmt(m)} +- {fmt(s) if not pct else f'{100 * s:.2f}'}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"analog_{'compensated' if compensate else 'uncompensated'}"
    res = dict(res, checkpoint=str(sc["checkpoint"]), task=sc["task"], metric=sc["metric"],
               labels=[format_time(t) for t in res["times"]])
    atomic_write_json(stem.with_suffix(".json"), res)
    written = [stem.with_suffix(".json")]
    if not args.no_plot:
        written.append(plot_sweep(res, stem.with_suffix(".png")))
    print("wrote " + ", ".join(str(w) for w in written))
    return 0


def plot_sweep(res, path):
    """Mean +- std of the metric against time after programming (log axis), the float score dashed."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    t = np.maximum(np.asarray(res["times"], dtype=float), 1e-1)      # t = 0 drawn at 0.1 s on the log axis
    scale = 100.0 if res.get("metric") == "accuracy" else 1.0
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.errorbar(t, scale * np.asarray(res["mean"]), yerr=scale * np.asarray(res["std"]), marker="o", capsize=3,
                label="PCM, " + ("compensated" if res["compensate"] else "uncompensated"))
    ax.axhline(scale * res["float"], ls="--", color="k", lw=1, label="float")
    ax.set_xscale("log")
    ax.set_xlabel("time after programming (s)")
    ax.set_ylabel("test accuracy (%)" if scale == 100 else f"test {res.get('metric', 'metric')}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
