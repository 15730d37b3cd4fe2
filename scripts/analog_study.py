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

Training in memory (the mixed-precision scheme) is a setting of the run, not part of this script:
``snu-np train --config jsb-ssnu-inmem --seed S --out RUN`` (or ``snu-np reproduce jsb-ssnu-inmem``).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
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
