"""Speed benchmarks: a full training step (forward, BPTT, optimiser update) of snu-np's numba
backend, its NumPy reference and, only where PyTorch happens to be installed and the comparison model
``benchmarks/torch_models.py`` of a source checkout is at hand, an equivalent PyTorch autograd model,
next to the **GEMM bound** measured in the same run.

The GEMM bound is the time numpy's BLAS takes for exactly the matrix products a training step needs
(forward ``x_t W`` of every layer for all steps, and the backward ``dW`` and ``dx``, except the first
layer's ``dx``, which no one reads): no implementation on this machine can train faster. The table
also gives the ratio to the looser bound that counts the first layer's ``dx`` too. Each (implementation, workload) runs in a fresh subprocess with the
requested BLAS thread count, so peak memory and threads are measured cleanly.

Run: ``snu-np bench`` (or ``python benchmarks/run.py``); ``--quick`` for a smoke run.
Docs: performance.md.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

WORKLOADS = {
    # name: (kind, layer sizes, T, batch, recurrent)
    "mnist-ff-b32": ("classify", (784, 256, 256, 10), 20, 32, False),
    "mnist-ff-b128": ("classify", (784, 256, 256, 10), 20, 128, False),
    "mnist-rec-b128": ("classify", (784, 256, 256, 10), 20, 128, True),
    "music-b1-T60": ("music", (88, 150, 88), 60, 1, False),
    "music-b1-T500": ("music", (88, 150, 88), 500, 1, False),
}
QUICK = {
    "mnist-ff-b32": ("classify", (64, 32, 10), 5, 8, False),
    "music-b1-T60": ("music", (88, 16, 88), 12, 1, False),
}
IMPLS = ("numba", "numba-dp", "numba-hw", "numpy", "torch")
#: "numba-dp": the numba backend with data parallelism (snu_np.parallel): the batch in as many shards
#: as threads, each shard in its own thread with a single-threaded BLAS; classification workloads only
FAST = ("numba", "numba-dp")
#: "numba-hw": the numba step with hardware-aware training's weight noise (snu_np.analog.training,
#: eta = HW_ETA) injected into every W and H; its row gives the cost of that noise over "numba"
HW_ETA = 2.0


def have_torch():
    """True if PyTorch is installed (the torch row also needs :func:`torch_models_path`)."""
    try:
        import importlib.util
        return importlib.util.find_spec("torch") is not None
    except Exception:  # pragma: no cover
        return False


def torch_note():
    """Why the table has no torch row, or "" if it can have one."""
    if not have_torch():
        return "PyTorch not installed: no torch column"
    if torch_models_path() is None:
        return ("the PyTorch model (benchmarks/torch_models.py of a source checkout, or "
                "$SNU_NP_TORCH_MODELS) is not available: no torch column")
    return ""


# --------------------------------------------------------------------------------------------------
# the models, built identically for every implementation
# --------------------------------------------------------------------------------------------------
def _snu_np_step(workload, backend, dtype, seed=0, shards=1, weight_noise=0.0):
    import snu_np
    from snu_np import SNU, Adam, Dense, Sequential
    from snu_np.functional.losses import bernoulli_nll, window_mse
    from snu_np.parallel import DataParallel
    snu_np.set_backend(backend)
    kind, sizes, T, B, rec = workload
    rng = np.random.default_rng(seed)
    if kind == "classify":
        net = Sequential([SNU(a, b, recurrent=rec, dtype=dtype, seed=i) for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))])
        x = (rng.uniform(size=(T, B, sizes[0])) < 0.15).astype(dtype)
        target = rng.integers(0, sizes[-1], B)
        loss_fn = window_mse
    else:
        net = Sequential([SNU(sizes[0], sizes[1], recurrent=rec, dtype=dtype, seed=0), Dense(sizes[1], sizes[2], dtype=dtype, seed=1)])
        roll = (rng.uniform(size=(T + 1, B, sizes[0])) < 0.05).astype(dtype)
        x, target = roll[:-1], roll[1:]
        loss_fn = bernoulli_nll
    opt = Adam(net, lr=1e-3)
    dp = DataParallel(net, shards)          # the training loop's step: one piece, or shards in threads

    noise_rng = np.random.default_rng(seed + 1)

    def step():
        if weight_noise:
            from .analog.training import weight_noise as noisy
            with noisy(net, weight_noise, noise_rng):      # what the training loop's step context does
                loss, _ = dp.loss_and_grads(x, target, loss_fn)
        else:
            loss, _ = dp.loss_and_grads(x, target, loss_fn)
        opt.step()
        return loss

    return step


def torch_models_path():
    """The file that builds the PyTorch comparison model: ``benchmarks/torch_models.py`` of a source
    checkout, or the file named by ``$SNU_NP_TORCH_MODELS``; None if neither exists (the model is
    not part of the installed package)."""
    from pathlib import Path
    env = os.environ.get("SNU_NP_TORCH_MODELS")
    path = Path(env) if env else Path(__file__).resolve().parents[1] / "benchmarks" / "torch_models.py"
    return path if path.is_file() else None


def _torch_step(workload, dtype, threads, seed=0):
    """The PyTorch training step of ``workload``, from :func:`torch_models_path`'s ``torch_step``."""
    import importlib.util
    path = torch_models_path()
    if path is None:
        raise RuntimeError("the PyTorch comparison model (benchmarks/torch_models.py) is not available")
    spec = importlib.util.spec_from_file_location("snu_np_bench_torch_models", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.torch_step(workload, dtype, threads, seed)


def gemm_bound(workload, dtype, reps=5, first_dx=False):
    """Seconds that numpy's BLAS needs for the matrix products of one training step.

    ``first_dx=False`` (the strict bound) leaves out the first layer's input gradient, which
    training never needs and snu-np does not compute; ``first_dx=True`` counts it too, as the
    definition "forward, dW and dx of every layer" does."""
    kind, sizes, T, B, rec = workload
    rng = np.random.default_rng(0)
    shapes = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        rows = T * B
        shapes += [(rows, n_in, n_out), (n_in, rows, n_out)]                         # forward, dW
        if i > 0 or first_dx:
            shapes.append((rows, n_out, n_in))                                       # dx
    mats = [(rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)) for m, k, n in shapes]
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for a, b in mats:
            a @ b
        times.append(time.perf_counter() - t0)
    flops = sum(2.0 * m * k * n for m, k, n in shapes)
    return float(np.median(times)), flops


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(impl, workload_name, dtype="float32", threads=2, reps=10, quick=False):
    """Run in *this* process: samples/s of a training step, first-step time, peak memory growth."""
    import resource
    table = QUICK if quick else WORKLOADS
    workload = table[workload_name]
    dtype = np.dtype(dtype).type
    # warm up on a tiny model of the same kind (numba compiles, torch initialises), so that the
    # memory figure below is what training this workload adds, not the compiler's
    tiny = ("classify", (8, 4, 2), 3, 2, workload[4]) if workload[0] == "classify" else ("music", (88, 4, 88), 3, 1, workload[4])
    shards = threads if impl == "numba-dp" else 1
    if shards > 1 and workload[0] != "classify":
        raise ValueError(f"{impl} runs classification workloads only, not {workload_name}")

    def build(w):
        if impl == "torch":
            return _torch_step(w, dtype, threads)
        backend = "numba" if impl in FAST + ("numba-hw",) else impl
        return _snu_np_step(w, backend, dtype, shards=shards, weight_noise=HW_ETA if impl == "numba-hw" else 0.0)
    warm = build(tiny)
    warm()
    base = _rss_mb()
    t0 = time.perf_counter()
    step = build(workload)
    t1 = time.perf_counter()
    step()
    first = time.perf_counter() - t1
    step()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t)
        if not np.isfinite(loss):
            raise FloatingPointError(f"{impl} {workload_name}: loss became {loss}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    med = float(np.median(times))
    B = workload[3]
    T = workload[2]
    out = {"impl": impl, "workload": workload_name, "dtype": np.dtype(dtype).name, "threads": threads,
           "median_step_s": med, "samples_per_s": B / med, "steps_per_s": 1 / med,
           "timesteps_per_s": B * T / med, "first_step_s": first, "setup_s": t1 - t0,
           "peak_mem_growth_mb": max(peak - base, 0.0), "reps": reps}
    if impl in FAST:
        if shards > 1:                  # the bound is the machine's: BLAS on all the threads
            from .runtime import set_blas_threads
            set_blas_threads(threads)
        bound_s, flops = gemm_bound(workload, dtype, reps=15)
        full_s, full_flops = gemm_bound(workload, dtype, first_dx=True)
        out.update(gemm_bound_s=bound_s, gemm_flops=flops, gemm_gflops=flops / bound_s / 1e9,
                   bound_samples_per_s=B / bound_s, full_bound_samples_per_s=B / full_s,
                   full_gemm_flops=full_flops)
    return out


def _child(args):
    """Entry point of the measuring subprocess: prints one JSON line."""
    impl, wl, dtype, threads, reps, quick = args
    print(json.dumps(measure(impl, wl, dtype, int(threads), int(reps), quick == "1")))


def run_one(impl, workload, dtype="float32", threads=2, reps=10, quick=False, timeout=1800):
    env = dict(os.environ)
    blas = 1 if impl == "numba-dp" else threads          # numba-dp: one BLAS thread per shard
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(blas)
    cmd = [sys.executable, "-c", "import sys, snu_np.bench as b; b._child(sys.argv[1:])",
           impl, workload, dtype, str(threads), str(reps), "1" if quick else "0"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"benchmark {impl} {workload} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def measure_compile(dtype="float32"):
    """Seconds for the first numba training step of a small net: cold (empty cache) and cached."""
    import tempfile
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        code = ("import time, numpy as np; t=time.perf_counter(); import snu_np.bench as b; "
                "s=b._snu_np_step(('classify',(8,4,2),3,2,False),'numba',np.%s); s(); "
                "print(time.perf_counter()-t)" % dtype)
        for label in ("cold", "cached"):
            res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
            if res.returncode != 0:
                raise RuntimeError(res.stderr[-2000:])
            out[label + "_s"] = float(res.stdout.strip().splitlines()[-1])
    return out


def machine_info():
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "numpy": np.__version__}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover
        pass
    try:
        import numba
        info["numba"] = numba.__version__
    except Exception:  # pragma: no cover
        pass
    if have_torch():
        import importlib.metadata
        info["torch"] = importlib.metadata.version("torch")
    return info


def run_suite(workloads=None, impls=None, dtype="float32", threads=2, reps=10, quick=False, log=print):
    """Measure every (impl, workload); return a dict with rows, ratios and the machine."""
    table = QUICK if quick else WORKLOADS
    workloads = list(workloads or table)
    for w in workloads:
        if w not in table:
            raise ValueError(f"unknown workload {w!r}; choose from {sorted(table)}")
    impls = [i for i in (impls or IMPLS) if i != "torch" or not torch_note()]
    if threads < 2:
        impls = [i for i in impls if i != "numba-dp"]
    rows = []
    for w in workloads:
        for impl in impls:
            if impl == "numba-dp" and table[w][0] != "classify":
                continue
            r = run_one(impl, w, dtype, threads, reps, quick)
            rows.append(r)
            log(f"  {w:<16} {impl:<6} {r['samples_per_s']:>10.1f} samples/s  "
                f"first step {r['first_step_s']:.2f} s  peak +{r['peak_mem_growth_mb']:.0f} MB")
    ratios = {}
    for w in workloads:
        by = {r["impl"]: r for r in rows if r["workload"] == w}
        if "numba-hw" in by and "numba" in by:         # the cost of hardware-aware training's noise
            ratios[f"{w} numba-hw"] = {"workload": w, "impl": "numba-hw",
                                       "step_cost_vs_numba": by["numba-hw"]["median_step_s"]
                                       / by["numba"]["median_step_s"]}
        # each numba process measures the bound; the ratios use the fastest of them (the strictest)
        measured = [r for r in by.values() if "bound_samples_per_s" in r]
        if not measured:
            continue
        bound = max(r["bound_samples_per_s"] for r in measured)
        full = max(r["full_bound_samples_per_s"] for r in measured)
        for fast in FAST:
            nb = by.get(fast)
            if nb is None:
                continue
            rr = {}
            if "numpy" in by:
                rr["vs_numpy"] = nb["samples_per_s"] / by["numpy"]["samples_per_s"]
            if "torch" in by:
                rr["vs_torch"] = nb["samples_per_s"] / by["torch"]["samples_per_s"]
            rr["of_gemm_bound"] = nb["samples_per_s"] / bound
            rr["of_gemm_bound_incl_first_dx"] = nb["samples_per_s"] / full
            ratios[f"{w} {fast}"] = dict(rr, workload=w, impl=fast, bound_samples_per_s=bound,
                                         full_bound_samples_per_s=full)
    return {"machine": machine_info(), "dtype": dtype, "threads": threads, "reps": reps,
            "quick": quick, "rows": rows, "ratios": ratios}


def format_table(result):
    lines = [f"{'workload':<16}{'impl':<7}{'samples/s':>11}{'step ms':>9}{'peak MB':>9}"]
    for r in result["rows"]:
        lines.append(f"{r['workload']:<16}{r['impl']:<7}{r['samples_per_s']:>11.1f}"
                     f"{1e3 * r['median_step_s']:>9.2f}{r['peak_mem_growth_mb']:>9.0f}")
    lines.append("")
    lines.append(f"{'workload':<16}{'impl':<10}{'/ numpy':>9}{'/ torch':>9}{'of GEMM bound':>15}{'bound/s':>10}"
                 f"{'of bound w/ 1st dx':>20}")
    for rr in result["ratios"].values():
        f = lambda k: f"{rr[k]:.2f}x" if k in rr else "-"   # noqa: E731
        if "step_cost_vs_numba" in rr:
            lines.append(f"{rr['workload']:<16}{rr['impl']:<10} a step costs {rr['step_cost_vs_numba']:.3f}x "
                         f"the plain numba step (weight noise, eta = {HW_ETA:g})")
            continue
        lines.append(f"{rr['workload']:<16}{rr['impl']:<10}{f('vs_numpy'):>9}{f('vs_torch'):>9}"
                     f"{100 * rr['of_gemm_bound']:>14.0f}%{rr['bound_samples_per_s']:>10.0f}"
                     f"{100 * rr['of_gemm_bound_incl_first_dx']:>19.0f}%")
    return "\n".join(lines)


def add_arguments(parser):
    """Options of ``snu-np bench``."""
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run in seconds")
    parser.add_argument("--workloads", default=None,
                        help=f"comma-separated subset of: {', '.join(WORKLOADS)}")
    parser.add_argument("--impls", default=None, help="comma-separated subset of " + ",".join(IMPLS))
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--threads", type=int, default=2, help="BLAS / torch threads (default 2)")
    parser.add_argument("--reps", type=int, default=10, help="timed repetitions per measurement")
    parser.add_argument("--no-compile", action="store_true", help="skip the numba compile-time measurement")
    parser.add_argument("--out", default=None, help="write the results as JSON to this file")


def run(args):
    """``snu-np bench``: print the table and ratios; optionally write JSON (atomically)."""
    from ._validate import check_int
    check_int(args.threads, "--threads", low=1)
    check_int(args.reps, "--reps", low=1)
    split = lambda s: [v.strip() for v in s.split(",") if v.strip()] if s else None   # noqa: E731
    impls = split(args.impls)
    for i in impls or []:
        if i not in IMPLS:
            raise ValueError(f"--impls: unknown implementation {i!r}; choose from {IMPLS}")
    note = torch_note()
    print(f"snu-np benchmarks ({'quick' if args.quick else 'full'}), {args.dtype}, {args.threads} threads"
          + (f"; {note}" if note else ""))
    result = run_suite(split(args.workloads), impls, args.dtype, args.threads, args.reps, args.quick)
    if not args.no_compile:
        result["compile"] = measure_compile(args.dtype)
    print(format_table(result))
    if "compile" in result:
        c = result["compile"]
        print(f"\nnumba compile + first step: cold {c['cold_s']:.1f} s, cached {c['cached_s']:.1f} s")
    if args.out:
        from .io import atomic_write_bytes
        atomic_write_bytes(args.out, (json.dumps(result, indent=2) + "\n").encode())
        print(f"results written to {args.out}")
    return 0


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(prog="snu-np bench", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
