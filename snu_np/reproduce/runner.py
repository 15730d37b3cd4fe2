"""Trials of recipes, in parallel: joblib worker processes on this machine, or a Dask cluster.

Each trial is one seed of one recipe and its own run folder ``OUT/<recipe>/seed<s>``. The unit of
work is :func:`run_trial`, a top-level function of plain data (the configuration as a dict, the
folder, the data folder), so joblib's loky workers and Dask workers can both be sent it. It looks at
its folder first:

* ``results.json`` says ``finished``: nothing to do (the stored configuration must be the recipe's);
* the folder holds a run with a checkpoint: resume it (``train(..., resume=True)``);
* otherwise: train from scratch (replacing the remains of a trial killed before its first checkpoint).

So running :func:`reproduce` again skips finished trials and continues interrupted ones, and a worker
that dies loses only its trial's epochs since that trial's last checkpoint. Every worker uses one
BLAS thread (threadpoolctl), and trials run independently: the same seed gives the same run whether
it ran alone, in a local pool or on a cluster.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ..errors import SnuNpError, UsageError

__all__ = ["expand_trials", "trial_state", "run_trial", "reproduce", "trial_folder"]


def trial_folder(out, recipe_name, seed):
    return Path(out) / recipe_name / f"seed{seed}"


def expand_trials(recipes, out, trials=None):
    """``[{"recipe", "table", "seed", "config" (dict, one trial), "out"}, ...]``: seeds
    ``seed, seed + 1, ...`` of every recipe (``trials`` overrides each recipe's own count)."""
    jobs = []
    for r in recipes:
        n = r.trials if trials is None else int(trials)
        if n < 1:
            raise UsageError(f"--trials must be at least 1, got {n}")
        for i in range(n):
            cfg = r.config.replace(seed=r.seed + i, trials=1)
            jobs.append({"recipe": r.name, "table": r.table, "seed": cfg.run.seed, "config": cfg.to_dict(),
                         "out": str(trial_folder(out, r.name, cfg.run.seed).resolve())})
    return jobs


def _read_results(folder):
    try:
        return json.loads((Path(folder) / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def trial_state(folder, config):
    """``"finished"``, ``"resume"`` or ``"fresh"`` for a trial folder and its configuration (dict or
    RunConfig). Raises UsageError when the folder holds a run of another configuration."""
    from ..config import RunConfig
    from ..runs import checkpoint_exists, holds_run
    cfg = config if isinstance(config, RunConfig) else RunConfig.from_dict(config)
    folder = Path(folder)
    if not holds_run(folder):
        return "fresh"
    res = _read_results(folder)
    if res is not None and isinstance(res.get("config"), dict):
        try:
            old = RunConfig.from_dict(res["config"])
        except UsageError:
            old = None
        if old is not None:
            diff = old.differences(cfg.resolve())
            if diff:
                pretty = ", ".join(f"{k}: {a!r} -> {b!r}" for k, a, b in diff)
                raise UsageError(f"{folder} holds a run of another configuration ({pretty}); move it away or "
                                 f"choose another --out")
            if res.get("finished") and old.run.epochs >= cfg.run.epochs:
                return "finished"
    return "resume" if checkpoint_exists(folder / "last") else "fresh"


def run_trial(config, out, data_dir=None, download=True, threads=1):
    """Run (or skip, or resume) one trial; return a plain dict about it. Top-level and fed plain data,
    so a joblib or Dask worker can run it. Errors of snu-np are returned, not raised, so one failed
    trial does not stop the others: ``{"status": "failed", "error": ..., "exit_code": ...}``."""
    t0 = time.perf_counter()
    out = Path(out)
    info = {"out": str(out), "seed": (config.get("run") or {}).get("seed"), "pid": os.getpid()}
    try:
        import threadpoolctl

        from ..config import RunConfig
        from ..train import train
        cfg = RunConfig.from_dict(config)
        info["seed"] = cfg.run.seed
        state = trial_state(out, cfg)
        if state == "finished":
            res = _read_results(out)
            status = "skipped"
        else:
            with threadpoolctl.threadpool_limits(threads, user_api="blas"):
                res = train(config=cfg, out_dir=out, resume=state == "resume", overwrite=state == "fresh",
                            data_dir=data_dir, download=download, progress=False, verbose=False)
            res = {k: v for k, v in res.items() if k != "net"}
            status = "resumed" if state == "resume" else "trained"
        metric = res["metric"]
        test = res.get("test") or {}
        info.update(status=status, metric=metric, test=test.get(metric), best_epoch=res.get("best_epoch"),
                    epochs=res.get("epochs_completed"), wall_time_s=res.get("wall_time_s"),
                    n_params=res.get("n_params"), task=res.get("task"))
    except SnuNpError as exc:
        info.update(status="failed", error=str(exc), exit_code=exc.exit_code)
    except (ValueError, OSError, FloatingPointError) as exc:
        info.update(status="failed", error=f"{type(exc).__name__}: {exc}", exit_code=1)
    info["elapsed_s"] = time.perf_counter() - t0
    return info


def _line(job, info):
    from ..tasks import get_task
    where = f"{job['recipe']} seed {job['seed']}"
    if info["status"] == "failed":
        return f"failed  {where}: {info['error']}"
    value = "-" if info.get("test") is None else get_task(info["task"]).format_metric(info["test"])
    wall = info.get("wall_time_s") or 0.0
    took = f"{wall:.0f} s" if wall < 60 else f"{wall / 60:.1f} min"
    verb = {"skipped": "done (before)", "resumed": "done (resumed)", "trained": "done"}[info["status"]]
    return (f"{verb:<14} {where}: test {info['metric']} {value} at epoch {info.get('best_epoch')}, "
            f"{info.get('epochs')} epochs, {took} -> {info['out']}")


def _write_recipe_copies(recipes, out):
    """OUT/<recipe>/recipe.toml: the recipe as it was run (what ``snu-np report`` reads back)."""
    from ..io import atomic_write_text
    for r in recipes:
        folder = Path(out) / r.name
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "recipe.toml"
        if not target.exists() or target.read_text(encoding="utf-8") != r.text:
            atomic_write_text(target, r.text)


def _prefetch(jobs, data_dir, download, log):
    """Load each task's data once in this process, so parallel workers never download side by side."""
    from ..tasks import get_task
    for task in sorted({j["config"]["task"] for j in jobs}):
        try:
            get_task(task).load(data_dir, download)
        except SnuNpError as exc:
            raise type(exc)(f"{task}: {exc}") from None


def reproduce(recipes, out="runs", trials=None, jobs=None, scheduler=None, data_dir=None, download=True,
              progress=True, log=None, restarts=2):
    """Run every trial of ``recipes`` (see the module docs); return ``[info, ...]`` per trial.

    ``jobs``: local worker processes (default: the number of cores; 1 runs in this process).
    ``scheduler``: the address of a running Dask scheduler (``tcp://HOST:8786``), instead of local
    workers. ``restarts``: how many times the local pool is rebuilt after a worker died.
    """
    log = log or (lambda msg: print(msg, flush=True))
    out = Path(out)
    if data_dir is not None:
        data_dir = str(Path(data_dir).resolve())
        if not Path(data_dir).is_dir():
            raise UsageError(f"--data-dir {data_dir} does not exist")
    todo = expand_trials(recipes, out, trials)
    states = {j["out"]: trial_state(j["out"], j["config"]) for j in todo}   # refuses foreign runs early
    _write_recipe_copies(recipes, out)
    n_done = sum(s == "finished" for s in states.values())
    n_resume = sum(s == "resume" for s in states.values())
    where = f"Dask scheduler {scheduler}" if scheduler else None
    log(f"{len(todo)} trials of {len(recipes)} recipe(s) in {out}: {n_done} finished, {n_resume} to resume, "
        f"{len(todo) - n_done - n_resume} to start" + (f"; on the {where}" if where else ""))
    if not scheduler and n_done < len(todo):
        _prefetch([j for j in todo if states[j["out"]] != "finished"], data_dir, download, log)
    bar = _bar(len(todo), progress)
    results = {}

    def finished(job, info):
        results[job["out"]] = info
        if bar is not None:
            bar.update(1)
            bar.write(_line(job, info))
        else:
            log(_line(job, info))

    try:
        for j in todo:                          # finished trials need no worker
            if states[j["out"]] == "finished":
                finished(j, run_trial(j["config"], j["out"], data_dir, download))
        pending = [j for j in todo if j["out"] not in results]
        if pending and scheduler:
            _run_dask(pending, scheduler, data_dir, download, finished)
        elif pending:
            _run_local(pending, jobs, data_dir, download, finished, log, restarts)
    finally:
        if bar is not None:
            bar.close()
    infos = [results[j["out"]] for j in todo if j["out"] in results]
    failed = [i for i in infos if i["status"] == "failed"]
    log(f"{len(infos) - len(failed)} of {len(todo)} trials done" + (f", {len(failed)} failed" if failed else "")
        + f"; tables: snu-np report {out}")
    return infos


def _bar(total, progress):
    if not progress:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="trials", unit="trial", file=sys.stderr, dynamic_ncols=True)


def _run_local(pending, jobs, data_dir, download, finished, log, restarts):
    import joblib
    try:
        from joblib.externals.loky.process_executor import TerminatedWorkerError
    except ImportError:  # pragma: no cover - joblib always ships loky
        TerminatedWorkerError = RuntimeError  # noqa: N806
    n_jobs = int(jobs) if jobs else joblib.cpu_count()        # the cores this process may use
    if n_jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {n_jobs}")
    for attempt in range(restarts + 1):
        left = [j for j in pending if not j.get("_done")]
        if not left:
            return
        workers = min(n_jobs, len(left))
        by_out = {j["out"]: j for j in left}
        calls = (joblib.delayed(run_trial)(j["config"], j["out"], data_dir, download) for j in left)
        try:
            if workers == 1:                    # in this process, one after another
                for j in left:
                    info = run_trial(j["config"], j["out"], data_dir, download)
                    j["_done"] = True
                    finished(j, info)
                return
            with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
                par = joblib.Parallel(n_jobs=workers, return_as="generator_unordered", batch_size=1)
                for info in par(calls):
                    j = by_out[info["out"]]
                    j["_done"] = True
                    finished(j, info)
            return
        except TerminatedWorkerError as exc:
            if attempt == restarts:
                raise SnuNpError(f"a worker process died again ({exc}); the trials in flight keep their last "
                                 f"checkpoints: run the same command to resume them") from None
            log(f"a worker process died ({str(exc).splitlines()[0]}); the trials in flight resume from their "
                f"last checkpoints")


def _run_dask(pending, address, data_dir, download, finished, retries=2):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'snu-np[cluster]' "
                         "(or pip install 'dask[distributed]')") from None
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}; start one with "
                         f"'dask scheduler' and workers with 'dask worker {address}'") from None
    try:
        by_key = {}
        futures = []
        for j in pending:
            key = f"snu-np-trial-{j['recipe']}-seed{j['seed']}-{os.getpid()}-{time.time_ns()}"
            f = client.submit(run_trial, j["config"], j["out"], data_dir, download, key=key, pure=False,
                              retries=retries)
            by_key[f.key] = j
            futures.append(f)
        for f in as_completed(futures):
            j = by_key[f.key]
            try:
                info = f.result()
            except Exception as exc:            # noqa: BLE001 - a worker died more than `retries` times
                info = {"out": j["out"], "seed": j["seed"], "status": "failed", "exit_code": 1,
                        "error": f"{type(exc).__name__}: {exc} (run the command again to resume it)"}
            finished(j, info)
    finally:
        client.close()
