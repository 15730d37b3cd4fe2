"""Runs on disk: the run folder, its checkpoints and results, resuming, and trials of several seeds.

A run folder holds::

    best.npz     the network at the best-validation epoch (or the last, when nothing is held out)
    last.npz     network, optimiser state, epoch, history: what ``--resume`` continues from
    results.json the configuration, the history and the test score at the best epoch

Each checkpoint is one file written completely before it replaces the previous one
(:func:`snu_np.io.save_checkpoint`), so a crash at any instant leaves a run that loads and resumes.

Rules that keep a user's work safe:

* a folder that already holds a run is never trained into unless told: ``resume=True`` continues it,
  ``overwrite=True`` replaces it; otherwise :class:`~snu_np.errors.UsageError`;
* ``resume=True`` needs a loadable ``last`` checkpoint whose configuration matches (the settings that
  differ are named), and refuses to "continue" to fewer epochs than were trained;
* the folder is checked to be a writable folder before any training starts;
* a network with non-finite weights is never saved as best.
"""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np

from .config import RunConfig
from .errors import RunIOError, UsageError
from .io import checkpoint_exists, clean_temp_files

__all__ = ["train_run", "run_trials", "holds_run", "prepare_run_dir", "load_run_config",
           "default_out_dir", "results_dict"]


def holds_run(path):
    """True when ``path`` is a folder holding a run (a checkpoint or a results file)."""
    p = Path(path)
    if not p.is_dir():
        return False
    return (checkpoint_exists(p / "last") or checkpoint_exists(p / "best") or (p / "results.json").exists()
            or (p / "summary.json").exists() or any(p.glob("seed*/results.json")))


def default_out_dir(cfg, root="runs"):
    """A new folder for each run: ``runs/TASK-MODEL-YYYYMMDD-HHMMSS`` (with a suffix if taken)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{cfg.task}-{cfg.network.model}-{stamp}"
    p, i = base, 1
    while p.exists():
        i += 1
        p = base.with_name(f"{base.name}-{i}")
    return p


def prepare_run_dir(out, resume=False, overwrite=False):
    """Check that ``out`` can receive a run (before anything trains); create it.

    Raises UsageError when it holds a run and neither ``resume`` nor ``overwrite`` is given,
    RunIOError when it is a file or cannot be written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunIOError(f"--out {out} is a file, not a folder; name a folder for the run")
    if resume and overwrite:
        raise UsageError("--resume and --overwrite contradict each other; give one")
    if holds_run(out) and not (resume or overwrite):
        raise UsageError(f"{out} already holds a run; use --resume to continue it, --overwrite to replace "
                         f"it, or another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunIOError(f"cannot write to the run folder {out}: {exc.strerror or exc}; choose a writable "
                         f"--out") from None
    clean_temp_files(out)                  # what a crash left half-written is never trusted
    if overwrite and not resume:
        _remove_run_files(out)
    return out


def _remove_run_files(out):
    """Delete the files a run wrote (and nothing else) before ``overwrite`` starts a new one."""
    for name in ("last", "best"):
        for suffix in (".npz", ".json"):
            (out / (name + suffix)).unlink(missing_ok=True)
    for name in ("results.json", "summary.json"):
        (out / name).unlink(missing_ok=True)
    for sub in out.glob("seed*"):
        if sub.is_dir() and holds_run(sub):
            _remove_run_files(sub)


def load_run_config(meta, where):
    """The RunConfig stored in a checkpoint's metadata (either schema)."""
    try:
        return RunConfig.from_dict(meta.get("config") or {})
    except UsageError as exc:
        raise RunIOError(f"{where}: its stored configuration is not readable ({exc}); the checkpoint was "
                         f"not written by this snu-np's train") from None


def results_dict(cfg, task, state, n_params, wall, finished):
    """What ``results.json`` holds (and :func:`train_run` returns, with ``"net"``)."""
    from . import __version__
    from .runtime import machine_info
    hist = state["history"]
    samples = sum(h.get("train_samples", 0) for h in hist)
    ttime = sum(h.get("train_time", 0.0) for h in hist)
    best = state["best"]
    return {
        "task": cfg.task, "model": cfg.network.model, "seed": cfg.run.seed, "config": cfg.to_dict(),
        "n_params": int(n_params), "package_version": __version__, "metric": task.metric,
        "epochs_completed": state["epoch"], "finished": finished,
        "stopped_early": state.get("stopped_early", False),
        "best_epoch": None if best is None else best["epoch"],
        "valid": None if best is None else best.get("valid"),
        "test": None if best is None else best.get("test"),
        "history": hist, "wall_time_s": wall, "train_time_s": ttime,
        "samples_per_s": samples / ttime if ttime > 0 else None,
        "machine": machine_info(),
    }


def _resume_state(cfg, out, net, opt, log):
    """Load ``out/last`` into ``net`` and ``opt``; return (state, prior wall time)."""
    from .io import load_checkpoint
    last = out / "last"
    if not checkpoint_exists(last):
        raise UsageError(f"nothing to resume in {out}: it has no checkpoint 'last'; run without --resume "
                         f"to start a new run")
    net0, opt_state, meta = load_checkpoint(last)
    old = load_run_config(meta, last)
    diff = old.differences(cfg)
    if diff:
        pretty = ", ".join(f"{k}: {a!r} -> {b!r}" for k, a, b in diff)
        raise UsageError(f"cannot resume {last}: the configuration differs ({pretty}); use the same "
                         f"settings (or --config {out}/results.json's) or a new --out")
    state = meta["extra"]["state"]
    if cfg.run.epochs < state["epoch"]:
        raise UsageError(f"{out} has already trained {state['epoch']} epochs; --epochs {cfg.run.epochs} asks "
                         f"for fewer: give --epochs above {state['epoch']} to continue it")
    net.load_state_dict(net0.state_dict())
    opt.load_state_dict(opt_state)
    # patience may change on resume: a run stopped early continues if the new patience allows it
    p = cfg.run.patience
    state["stopped_early"] = bool(p) and state["bad_epochs"] >= p
    log(f"resuming {last} after epoch {state['epoch']}")
    return state, float(meta["extra"].get("wall_time_s", 0.0))


def train_run(cfg, data, out=None, resume=False, overwrite=False, log=print, progress=False,
              custom_loss=None):
    """Train one run of a resolved configuration; return :func:`results_dict` plus ``"net"``.

    ``out``: the run folder (None: write nothing). See the module docs for resume and overwrite.
    """
    from .io import atomic_write_json, save_checkpoint
    from .loop import check_finite_weights, make_optimizer, progress_factory, train_epoch
    from .parallel import DataParallel
    from .tasks import build_from_config, get_task
    task = get_task(cfg.task)
    loss_fn = custom_loss or task.loss_fn(cfg)
    net = build_from_config(cfg, task)
    opt = make_optimizer(cfg, net)
    state = {"epoch": 0, "history": [], "best": None, "bad_epochs": 0, "stopped_early": False,
             "first_loss": None}
    prior_wall = 0.0
    if out is not None:
        out = prepare_run_dir(out, resume=resume, overwrite=overwrite)
        if resume:
            state, prior_wall = _resume_state(cfg, out, net, opt, log)
    elif resume:
        raise UsageError("resume=True needs out_dir (the run folder to continue)")
    if resume and state["epoch"] >= cfg.run.epochs:
        log(f"{out} has already trained {state['epoch']} of {cfg.run.epochs} epochs: nothing to do")
    make_bar = progress_factory(progress, cfg.run.epochs)
    cfg_dict = cfg.to_dict()
    dp = DataParallel(net, cfg.run.shards)          # shards = 1: the plain step, no threads
    has_valid = task.n_examples(data["valid"]) > 0
    t_start = time.perf_counter()
    try:                                            # the worker threads end with the run, however it ends
        while state["epoch"] < cfg.run.epochs and not state["stopped_early"]:
            e = state["epoch"]
            opt.lr = cfg.optim.lr * cfg.optim.lr_decay ** e
            bar = make_bar(task.n_train_steps(data["train"], cfg), e)
            try:
                tr = train_epoch(net, opt, task, data["train"], cfg, e, loss_fn, dp, state, bar)
            finally:
                if bar is not None:
                    bar.close()
            row = {"epoch": e + 1, "lr": opt.lr, "train_loss": tr["loss"],
                   f"train_{task.metric}": tr[task.metric], "train_time": tr["time"],
                   "train_samples": tr["samples"], "samples_per_s": tr["samples_per_s"]}
            t_eval = time.perf_counter()
            # with ema, the averaged weights are scored and saved as best; with quantisation-aware
            # training, the network is scored as it will run: on its quantised weights
            with opt.averaged(), _as_deployed(cfg, net):
                if has_valid:
                    va = task.evaluate(net, data["valid"], cfg, "valid", loss_fn=custom_loss)
                    row.update(val_loss=va["loss"], **{f"val_{task.metric}": va[task.metric]})
                    score = va[task.metric]
                else:                       # no validation set: the last epoch is the best
                    va, score = None, None
                best = None if state["best"] is None else state["best"]["score"]
                improved = (not has_valid) or task.better(score, best)
                if improved and check_finite_weights(net) is not None:
                    improved = False        # never keep a non-finite network as best
                if improved:
                    te = task.evaluate(net, data["test"], cfg, "test", loss_fn=custom_loss)
                    row.update(test_loss=te["loss"], **{f"test_{task.metric}": te[task.metric]})
                    state["best"] = {"epoch": e + 1, "score": score, "valid": va, "test": te}
                    state["bad_epochs"] = 0
                    if out is not None:
                        save_checkpoint(out / "best", net, None, cfg_dict, {"epoch": e + 1, "valid": va, "test": te})
                else:
                    state["bad_epochs"] += 1
            row["eval_time"] = time.perf_counter() - t_eval
            state["history"].append(row)
            state["epoch"] = e + 1
            p = cfg.run.patience
            if p and has_valid and state["bad_epochs"] >= p:
                state["stopped_early"] = True
            msg = (f"epoch {e + 1}/{cfg.run.epochs}  train loss {tr['loss']:.4f} {task.metric} "
                   f"{task.format_metric(tr[task.metric])}")
            if has_valid:
                msg += f" | val {task.metric} {task.format_metric(score)}"
                if improved:
                    msg += " (best so far)"
            msg += f" | {tr['time']:.1f} s, {tr['samples_per_s']:.0f} samples/s"
            log(msg)
            wall = prior_wall + time.perf_counter() - t_start
            if out is not None:
                save_checkpoint(out / "last", net, opt, cfg_dict, {"state": state, "wall_time_s": wall})
                atomic_write_json(out / "results.json", results_dict(cfg, task, state, net.n_params, wall, False))
            if state["stopped_early"]:
                log(f"early stop: no validation improvement for {p} epochs")
    finally:
        dp.close()
    wall = prior_wall + time.perf_counter() - t_start
    res = results_dict(cfg, task, state, net.n_params, wall, True)
    if out is not None:
        atomic_write_json(out / "results.json", res)
    res["net"] = net
    return res


def _as_deployed(cfg, net):
    """The weights a run is scored with: as trained, or rounded to ``quantize_bits`` levels."""
    import contextlib
    if cfg.analog.quantize_bits is None:
        return contextlib.nullcontext()
    from .analog.training import quantized_weights
    return quantized_weights(net, cfg.analog.quantize_bits)


def run_trials(cfg, data, out=None, resume=False, overwrite=False, log=print, progress=False,
               custom_loss=None):
    """Train seeds ``seed, seed + 1, ..., seed + trials - 1``, each its own run in ``out/seed<s>``.
    Returns a summary (mean, std with ddof=1, min, max of the test metric) plus ``"runs"``; with a
    folder, also written to ``out/summary.json``. With ``resume``, finished trials are read back
    and unfinished ones continued (or started)."""
    from .io import atomic_write_json
    from .runtime import machine_info
    from .tasks import get_task
    task = get_task(cfg.task)
    runs = []
    base = Path(out) if out is not None else None
    if base is not None:
        prepare_run_dir(base, resume=resume, overwrite=overwrite)
    for i in range(cfg.run.trials):
        c = cfg.replace(seed=cfg.run.seed + i, trials=1)
        sub = None if base is None else base / f"seed{c.run.seed}"
        log(f"trial {i + 1}/{cfg.run.trials}: seed {c.run.seed}")
        again = resume and sub is not None and holds_run(sub)
        runs.append(train_run(c, data, sub, resume=again, overwrite=False, log=log, progress=progress,
                              custom_loss=custom_loss))
    scores = np.array([r["test"][task.metric] for r in runs], dtype=float)
    summary = {
        "task": cfg.task, "model": cfg.network.model, "metric": task.metric, "trials": cfg.run.trials,
        "seeds": [r["seed"] for r in runs], "test": scores.tolist(),
        "mean": float(scores.mean()), "std": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
        "min": float(scores.min()), "max": float(scores.max()),
        "best_epochs": [r["best_epoch"] for r in runs], "n_params": runs[0]["n_params"],
        "config": cfg.to_dict(), "machine": machine_info(),
    }
    if base is not None:
        atomic_write_json(base / "summary.json", summary)
    log(f"{cfg.run.trials} trials, test {task.metric}: mean {task.format_metric(summary['mean'])}, "
        f"std {task.format_metric(summary['std'])}, max {task.format_metric(summary['max'])}, "
        f"min {task.format_metric(summary['min'])}")
    return dict(summary, runs=runs)
