"""Analog-hardware studies: limited precision and PCM drift of trained checkpoints, and training in memory.

``eval``: for every checkpoint given (a run folder or RUN/best), writes ``OUT/<name>.json`` with

* ``"quantization"``: the test metric after post-training quantisation of every weight matrix
  (W and H) to 2 ... 8 bits (``snu_np.analog.quantize_network``, deterministic rounding);
* ``"pcm"``: ``analog_sweep`` from 1 s to 1 year over ``--draws`` device draws, once with and once
  without global drift compensation (the same devices both times);

and prints a Markdown table of each, so the results pages can be written from the files::

    python scripts/analog_study.py eval runs/jsb-ssnu-s{0,1,2} runs/jsb-ssnu-hw4-s{0,1,2} --draws 10
    python scripts/analog_study.py eval runs/jmnist-snu --bits 2,3,4,8 --no-pcm --limit-test 2000

Training the hardware-aware and quantisation-aware networks is ``snu-np train`` with the
``weight_noise`` / ``weight_clip`` / ``quantize_bits`` settings.

``table FILE.json... --out PAGE.md``: the Markdown tables of saved ``eval`` files (for the docs).

``in-memory``: trains the music sSNU (88-150-88) twice with the same seed, in float and with the
mixed-precision scheme (``snu_np.analog.MixedPrecision`` around Adam), by a hand-written loop (one
sequence per step), and writes ``OUT/in_memory_<task>_s<seed>.json`` with the validation and test
NLL at the best validation epoch of each::

    python scripts/analog_study.py in-memory --task jsb --epochs 300 --seed 0
    python scripts/analog_study.py in-memory --embedded --epochs 200     # the shipped JSB subset, offline
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from snu_np.analog.adapters import checkpoint_scorer
from snu_np.analog.cli import format_time
from snu_np.analog.inference import analog_sweep, quantize_network
from snu_np.analog.pcm import parse_times
from snu_np.io import atomic_write_json


def parse_bits(text):
    """'2-8' or '2,4,8' -> [2, ..., 8]."""
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b) + 1) if b else [int(a)])
    if not out or min(out) < 2:
        raise SystemExit(f"error: --bits must be integers >= 2, got {text!r}")
    return out


def study(path, args, times, bits):
    sc = checkpoint_scorer(path, data_dir=args.data_dir, limit_test=args.limit_test,
                           n_calibration=args.calibration, download=not args.no_download)
    net, score = sc["net"], sc["score"]
    t0 = time.perf_counter()
    res = {"checkpoint": str(sc["checkpoint"]), "task": sc["task"], "metric": sc["metric"],
           "limit_test": args.limit_test, "float": score(net)}
    if bits:
        res["quantization"] = {"bits": bits, "values": [score(quantize_network(net, b)) for b in bits]}
    if not args.no_pcm:
        res["pcm"] = {name: analog_sweep(net, score, times, draws=args.draws, calibration_x=sc["calibration_x"],
                                         compensate=comp, seed=args.seed)
                      for name, comp in (("compensated", True), ("uncompensated", False))}
        res["pcm"]["labels"] = [format_time(t) for t in times]
    res["wall_time_s"] = time.perf_counter() - t0
    return res


def fmt(metric, v):
    return f"{100 * v:.2f}" if metric == "accuracy" else f"{v:.3f}"


def tables(results):
    lines = []
    q = [r for r in results if "quantization" in r]
    if q:                                  # one column per bit width any file has; "-" where a file has none
        bits = sorted({b for r in q for b in r["quantization"]["bits"]})
        lines += ["| checkpoint | float | " + " | ".join(f"{b} bits" for b in bits) + " |",
                  "|---|---|" + "---|" * len(bits)]
        for r in q:
            got = dict(zip(r["quantization"]["bits"], r["quantization"]["values"]))
            lines.append(f"| {r['checkpoint']} | {fmt(r['metric'], r['float'])} | "
                         + " | ".join(fmt(r["metric"], got[b]) if b in got else "–" for b in bits) + " |")
        lines.append("")
    p = [r for r in results if "pcm" in r]
    if p:
        labels = p[0]["pcm"]["labels"]
        lines += ["| checkpoint | compensation | float | " + " | ".join(labels) + " |",
                  "|---|---|---|" + "---|" * len(labels)]
        for r in p:
            for name in ("compensated", "uncompensated"):
                s = r["pcm"][name]
                cells = [f"{fmt(r['metric'], m)} ± {fmt(r['metric'], sd)}" for m, sd in zip(s["mean"], s["std"])]
                lines.append(f"| {r['checkpoint']} | {name} | {fmt(r['metric'], r['float'])} | "
                             + " | ".join(cells) + " |")
    return "\n".join(lines)


def in_memory(args):
    """Float against mixed-precision training of the music sSNU; returns the result dict."""
    import snu_np
    from snu_np.analog import MixedPrecision
    from snu_np.functional.losses import bernoulli_nll
    from snu_np.optim import Adam
    from snu_np.tasks import build_model, get_task, music_batch
    from snu_np.train import evaluate, set_blas_threads
    snu_np.set_backend("numba")
    set_blas_threads(1)
    task = get_task(args.task)
    if args.embedded:
        from snu_np.data.music import load_embedded_music
        data = load_embedded_music()
    else:
        from snu_np.train import make_config
        data = task.split_data(task.load(args.data_dir, not args.no_download), make_config(task.name))
    out = {"task": task.name, "embedded": args.embedded, "seed": args.seed, "epochs": args.epochs,
           "lr": args.lr, "epsilon_uS": args.epsilon, "pulse_noise": args.pulse_noise}
    for mode in ("float", "in_memory"):
        net = build_model(task, "ssnu", (150,), seed=args.seed)
        opt = Adam(net, lr=args.lr)
        if mode == "in_memory":
            opt = MixedPrecision(opt, epsilon=args.epsilon, pulse_noise=args.pulse_noise, seed=args.seed)
        rng = np.random.default_rng(args.seed)
        best = {"valid": float("inf")}
        t0 = time.perf_counter()
        for epoch in range(args.epochs):
            for i in rng.permutation(len(data["train"])):
                if len(data["train"][i]) < 2:
                    continue
                x, target, mask, _ = music_batch([data["train"][i]], net.dtype)
                y = net.forward(x)
                _, dy = bernoulli_nll(y, target, mask)
                net.backward(dy)
                opt.step()
            va = evaluate(net, task, data["valid"], None, "valid")["nll"]
            if va < best["valid"]:
                best = {"valid": va, "test": evaluate(net, task, data["test"], None, "test")["nll"],
                        "epoch": epoch + 1}
            if (epoch + 1) % 25 == 0:
                print(f"{mode}: epoch {epoch + 1}, valid {va:.3f}, best {best}", file=sys.stderr)
        best["wall_time_s"] = time.perf_counter() - t0
        if mode == "in_memory":
            best.update(pulses=opt.n_pulses, refreshes=opt.n_refresh)
        out[mode] = best
    return out


def main_in_memory(argv):
    ap = argparse.ArgumentParser(prog="analog_study.py in-memory", description=in_memory.__doc__)
    ap.add_argument("--task", default="jsb")
    ap.add_argument("--embedded", action="store_true", help="the JSB subset shipped in the package")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--epsilon", type=float, default=0.2, help="device granularity, µS")
    ap.add_argument("--pulse-noise", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="results/analog")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--no-download", action="store_true")
    args = ap.parse_args(argv)
    res = in_memory(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"in_memory_{res['task']}{'_embedded' if args.embedded else ''}_s{args.seed}.json"
    atomic_write_json(path, res)
    print("| training | best epoch | valid NLL | test NLL |\n|---|---|---|---|")
    for mode in ("float", "in_memory"):
        r = res[mode]
        print(f"| {mode} | {r['epoch']} | {r['valid']:.3f} | {r['test']:.3f} |")
    print(f"wrote {path}", file=sys.stderr)
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "in-memory":
        return main_in_memory(argv[1:])
    if argv and argv[0] == "table":                 # the Markdown tables of saved study files
        ap = argparse.ArgumentParser(prog="analog_study.py table")
        ap.add_argument("files", nargs="+", help="JSON files written by 'eval'")
        ap.add_argument("--out", default=None, help="write the Markdown (and FILE.json: the files' contents)")
        a = ap.parse_args(argv[1:])
        import json
        results = [json.loads(Path(f).read_text()) for f in a.files]
        md = tables(results) + f"\n\nGenerated by `python scripts/analog_study.py table` from `eval`'s files.\n"
        if a.out:
            Path(a.out).write_text(md)
            Path(a.out).with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
        print(md)
        return 0
    if argv and argv[0] == "eval":
        argv = argv[1:]
    ap = argparse.ArgumentParser(prog="analog_study.py eval", description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+", help="run folders or checkpoints (RUN/best)")
    ap.add_argument("--out", default="results/analog", help="folder for the JSON files")
    ap.add_argument("--times", default="1s,1h,1d,1w,30d,1y")
    ap.add_argument("--draws", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bits", default="2-8", help="weight bits for post-training quantisation ('' for none)")
    ap.add_argument("--no-pcm", action="store_true", help="skip the PCM sweep")
    ap.add_argument("--calibration", type=int, default=64)
    ap.add_argument("--limit-test", type=int, default=None)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--no-download", action="store_true")
    args = ap.parse_args(argv)
    times = parse_times(args.times)
    bits = parse_bits(args.bits) if args.bits else []
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for path in args.checkpoints:
        r = study(path, args, times, bits)
        name = "_".join(Path(r["checkpoint"]).parts[-2:])
        atomic_write_json(out / f"{name}.json", r)
        print(f"{r['checkpoint']}: float {fmt(r['metric'], r['float'])}, {r['wall_time_s']:.0f} s -> "
              f"{out / (name + '.json')}", file=sys.stderr)
        results.append(r)
    print(tables(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
