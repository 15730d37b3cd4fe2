"""The training loop: batches, spike encoding, BPTT, evaluation, checkpoints, results.

One call trains one network on one task::

    from snu_np.train import train
    result = train("jittered-mnist", model="snu", layers=(256, 256), epochs=20, batch_size=128,
                   lr=3e-3, lr_decay=0.9, seed=0, out_dir="runs/jmnist-snu")
    result["test"]["accuracy"]          # test accuracy at the best-validation epoch

What happens, epoch by epoch (``e`` counts from 0):

1. The learning rate is ``lr * lr_decay ** e``.
2. The training examples are shuffled by a generator seeded with ``(seed, e)``.
3. Each mini-batch ``k`` is spike-encoded with a seed derived from ``(seed, e, k)``, run forward,
   scored by the loss (which returns ``dy``), run backward (hand-written BPTT fills the
   gradients), optionally clipped to a global norm, and the optimiser steps. A NaN or inf in the
   loss or in any gradient stops training with ``FloatingPointError`` naming the epoch and step.
4. The validation set is evaluated. If it improved (accuracy up / NLL down), the test set is
   evaluated too and ``best.npz``/``best.json`` are written: the reported test score is the one at
   the best-validation epoch. Validation and test spikes use a fixed seed that does not depend on
   the training seed, so every run and every trial is scored on the very same spike trains.
   With ``ema``, step 4's scores and ``best.*`` come from the moving average of the weights.
5. ``last.npz``/``last.json`` (weights, optimiser state, epoch, history) and ``results.json``
   are written. Every file is written atomically (temporary file + ``os.replace``).
6. With ``patience``, training stops after that many epochs without validation improvement.

Because every random draw is derived from ``(seed, epoch, step)`` and the optimiser state is
saved, ``resume=True`` continues from ``last.*`` exactly: 2 epochs in one go give bit-identical
parameters to 1 epoch followed by a resumed 1 epoch.

Music tasks: the input at step t is ``roll[t]`` and the target is ``roll[t + 1]`` (predict the
next step), so a sequence of length L gives L - 1 predictions. ``batch_size=1`` trains on one
sequence per step; a larger batch pads sequences (``pad_sequences``) and masks the padding. The
metric is the negative log-likelihood in nats per predicted time step, pooled over the split:
the sum over all predicted steps and all 88 keys of the binary cross-entropy, divided by the number
of predicted steps.
"""
from __future__ import annotations

import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from ._validate import check_choice, check_float_dtype, check_int, check_real
from .tasks import MODELS, TASKS, build_model, encode_images, get_task, load_task_data, parse_layers
from .surrogates import SURROGATES

__all__ = ["train", "evaluate", "evaluate_checkpoint", "make_optimizer", "machine_info", "set_blas_threads",
           "derive_seed", "LOSS_NAMES",
           "EVAL_SEED", "EVAL_CHUNK"]

EVAL_SEED = 2020          # validation/test spikes: fixed, independent of the training seed
EVAL_CHUNK = 500          # examples per evaluation batch (fixed: the eval spikes depend on it)
MUSIC_EVAL_CHUNK = 16     # sequences per evaluation batch (sorted by length, padded)
LOSS_NAMES = ("mse", "ce", "bernoulli_nll")
_SPLIT_CODES = {"train": 0, "valid": 1, "test": 2}
# settings added after the first release, with the value that runs saved without them used
_ADDED_KEYS = {"g": "relu", "center_inputs": None, "threshold": 1.0, "surrogate": "tanh",
               "surrogate_scale": None, "detach_reset": False, "weight_decay": 0.0,
               "h_scale": 1.0, "shards": 1, "ema": None}
# config keys that may change when a run is resumed (everything else must match exactly)
_RESUME_FREE = {"epochs", "progress", "data_dir", "out_dir", "verbose", "patience", "trials", "download"}


# --------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------
def derive_seed(*keys):
    """A 32-bit seed from a tuple of non-negative ints (``numpy.random.SeedSequence``)."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1, np.uint32)[0])


def make_optimizer(name, net, lr, **hyper):
    """``"adam"`` or ``"sgd"`` -> an optimiser for ``net``."""
    from .optim import OPTIMIZERS
    check_choice(name, "optimizer", tuple(OPTIMIZERS))
    return OPTIMIZERS[name](net, lr=lr, **hyper)


def _loss_fn(loss):
    """Name or callable -> callable(y, target, window=None, mask=None) -> (loss, dy)."""
    from .functional.losses import bernoulli_nll, softmax_cross_entropy, window_mse
    if callable(loss):
        return loss
    fns = {"mse": window_mse, "ce": softmax_cross_entropy, "bernoulli_nll": bernoulli_nll}
    return fns[loss]


def _openblas():
    """The OpenBLAS library bundled with NumPy's wheels, via ctypes (None if not found)."""
    try:
        import ctypes
        import glob
        libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
        for lib in glob.glob(os.path.join(libdir, "*openblas*")):
            return ctypes.CDLL(lib)
    except Exception:
        pass
    return None


def set_blas_threads(n):
    """Set the number of BLAS threads NumPy's bundled OpenBLAS uses; return True if it worked.

    With two training processes on two cores, one thread each is much faster than two each (the
    threads fight over the cores); small networks are faster on one thread anyway.
    """
    n = check_int(n, "threads", low=1)
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(n, user_api="blas")
        return True
    except Exception:
        pass
    dll = _openblas()
    for sym in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads"):
        if dll is not None and hasattr(dll, sym):
            getattr(dll, sym)(n)
            return True
    return False


def _blas_threads():
    """Best effort: the number of BLAS threads NumPy uses (None if unknown)."""
    try:
        import threadpoolctl
        infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            return int(infos[0]["num_threads"])
    except Exception:
        pass
    dll = _openblas()    # NumPy wheels bundle OpenBLAS as scipy_openblas; ask it directly
    for sym in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
        if dll is not None and hasattr(dll, sym):
            return int(getattr(dll, sym)())
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return None


def machine_info():
    """Python, NumPy, Numba, backend, CPU count and BLAS threads (for results files)."""
    from . import __version__
    from .backend import get_backend
    try:
        import numba
        numba_version = numba.__version__
    except Exception:  # pragma: no cover
        numba_version = None
    return {"platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor(), "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "numpy": np.__version__, "numba": numba_version,
            "snu_np": __version__, "backend": get_backend(), "blas_threads": _blas_threads()}


def _diverged(what, epoch, step, n_steps):
    """The FloatingPointError that stops training: ``what`` was found at this epoch and step."""
    return FloatingPointError(
        f"training diverged at epoch {epoch + 1}, batch step {step + 1}/{n_steps}: {what}; "
        f"try a smaller learning rate (--lr) or gradient clipping (--clip)")


def _better(task, new, old):
    if old is None:
        return True
    return new > old if task.higher_is_better else new < old


# --------------------------------------------------------------------------------------------------
# batches
# --------------------------------------------------------------------------------------------------
def _music_batch(seqs, dtype):
    """Sequences -> (x (T-1, B, 88), target (T-1, B, 88), mask (T-1, B) or None, n_predicted)."""
    from .data.music import pad_sequences
    if len(seqs) == 1:
        roll = np.asarray(seqs[0], dtype=dtype)
        x = roll[:-1, None, :]
        return x, roll[1:, None, :], None, x.shape[0]
    xp, mask = pad_sequences(list(seqs), dtype=dtype)
    m = mask[1:]                                  # target t+1 exists  <=>  step t+1 < length
    return xp[:-1], xp[1:], m, int(m.sum())


def _n_examples(task, split):
    return len(split[1]) if task.kind == "classification" else len(split)


def evaluate(net, task, split, cfg, name="test", chunk=None, loss_fn=None):
    """Loss and metric of ``net`` on one split (a tuple (images, labels) or a list of rolls).

    Classification: ``{"loss", "accuracy"}`` averaged over examples, spikes encoded in chunks of
    ``EVAL_CHUNK`` with seeds derived from ``(EVAL_SEED, split, chunk)``. Music: ``{"loss", "nll"}``,
    both the pooled NLL per predicted step.

    ``cfg`` is the run configuration (``"loss"``, ``"window"``, ``"T"`` are used); ``loss_fn`` a
    custom classification loss (default: ``cfg["loss"]``, or the task's if that is not a known name).
    """
    from .functional.losses import accuracy, bernoulli_nll
    task = get_task(task)
    dtype = net.dtype
    if task.kind == "classification":
        images, labels = split
        chunk = chunk or EVAL_CHUNK
        if loss_fn is None:
            loss_fn = _loss_fn(cfg.get("loss") if cfg.get("loss") in LOSS_NAMES else task.loss)
        tot_loss = tot_acc = 0.0
        n = len(labels)
        if n == 0:
            return {"loss": float("nan"), "accuracy": float("nan")}
        for c, i in enumerate(range(0, n, chunk)):
            x = encode_images(task, images[i:i + chunk], derive_seed(EVAL_SEED, _SPLIT_CODES.get(name, 3), c),
                              dtype, cfg.get("T"))
            lab = np.asarray(labels[i:i + chunk]).astype(np.int64)
            y = net.forward(x)
            loss, _ = loss_fn(y, lab, window=cfg.get("window"))
            tot_loss += loss * len(lab)
            tot_acc += accuracy(y, lab, window=cfg.get("window")) * len(lab)
        return {"loss": tot_loss / n, "accuracy": tot_acc / n}
    seqs = sorted((s for s in split if len(s) > 1), key=len)
    chunk = chunk or MUSIC_EVAL_CHUNK
    total, steps = 0.0, 0
    for i in range(0, len(seqs), chunk):
        x, tgt, mask, n_pred = _music_batch(seqs[i:i + chunk], dtype)
        y = net.forward(x)
        loss, _ = bernoulli_nll(y, tgt, mask)
        total += loss * n_pred
        steps += n_pred
    nll = total / steps if steps else float("nan")
    return {"loss": nll, "nll": nll}


# --------------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------------
def _make_config(task, model, layers, epochs, batch_size, lr, optimizer, seed, lr_decay, clip, window,
                 loss, dtype, limit_train, limit_test, recurrent, patience, val_size, T, output_bias,
                 center_output, trials, data_dir, out_dir, progress, verbose, download, decay, backend,
                 g="relu", center_inputs=None, threshold=1.0, surrogate="tanh", surrogate_scale=None,
                 detach_reset=False, weight_decay=0.0, h_scale=1.0, shards=1, ema=None):
    """Validate every argument at the boundary and return the run configuration (JSON-ready)."""
    if isinstance(task, str) and task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    t = get_task(task)
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}")
    layers = parse_layers(layers)
    if not layers:
        raise ValueError("layers must name at least one hidden layer size, e.g. 256,256")
    from .optim import OPTIMIZERS
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}")
    loss = t.loss if loss is None else loss
    if not callable(loss):
        check_choice(loss, "loss", LOSS_NAMES)
        if (t.kind == "music") != (loss == "bernoulli_nll"):
            ok = "bernoulli_nll" if t.kind == "music" else "mse or ce"
            raise ValueError(f"loss {loss!r} does not fit the {t.kind} task {t.name!r}; use {ok}")
    T = t.T if T is None else check_int(T, "T", low=1)
    if window is not None:
        if t.kind == "music":
            raise ValueError("window applies to classification tasks only")
        from ._validate import check_window
        window = list(check_window(tuple(window), T))
    shards = check_int(shards, "shards", low=1)
    if shards > 1 and t.kind != "classification":
        raise ValueError(f"shards = {shards}: data-parallel shards work for classification tasks only "
                         f"(their losses are means over the batch); {t.name!r} is a {t.kind} task")
    if patience is None:
        patience = t.patience
    elif patience is not None:
        patience = check_int(patience, "patience", low=1)
    cfg = {
        "task": t.name, "model": model, "layers": list(layers),
        "epochs": check_int(epochs, "epochs", low=1),
        "batch_size": check_int(batch_size, "batch_size", low=1),
        "lr": check_real(lr, "lr", low=0.0, low_open=True),
        "optimizer": optimizer,
        "seed": check_int(seed, "seed", low=0),
        "lr_decay": check_real(lr_decay, "lr_decay", low=0.0, high=1.0, low_open=True),
        "clip": None if clip is None else check_real(clip, "clip", low=0.0, low_open=True),
        "weight_decay": check_real(weight_decay, "weight_decay", low=0.0),
        "ema": None if ema is None else check_real(ema, "ema", 0.0, 1.0, low_open=True, high_open=True),
        "window": window, "loss": loss if isinstance(loss, str) else getattr(loss, "__name__", "custom"),
        "dtype": check_float_dtype(dtype).name,
        "limit_train": None if limit_train is None else check_int(limit_train, "limit_train", low=1),
        "limit_test": None if limit_test is None else check_int(limit_test, "limit_test", low=1),
        "recurrent": bool(recurrent), "patience": patience,
        "val_size": None if val_size is None else check_int(val_size, "val_size", low=0),
        "T": T, "output_bias": None if output_bias is None else check_real(output_bias, "output_bias"),
        "center_output": None if center_output is None else bool(center_output),
        "decay": check_real(decay, "decay", 0.0, 1.0),
        "g": check_choice(g, "g", ("relu", "identity", "leaky_relu")),
        "center_inputs": None if center_inputs is None else bool(center_inputs),
        "threshold": check_real(threshold, "threshold", low=0.0, low_open=True),
        "surrogate": check_choice(surrogate, "surrogate", tuple(SURROGATES)),
        "surrogate_scale": (None if surrogate_scale is None
                            else check_real(surrogate_scale, "surrogate_scale", low=0.0, low_open=True)),
        "detach_reset": bool(detach_reset),
        "h_scale": check_real(h_scale, "h_scale", low=0.0),
        "shards": shards,
        "backend": backend,
        "trials": check_int(trials, "trials", low=1),
        "data_dir": None if data_dir is None else str(data_dir),
        "out_dir": None if out_dir is None else str(out_dir),
        "progress": bool(progress), "verbose": bool(verbose), "download": bool(download),
    }
    if shards > cfg["batch_size"]:
        raise ValueError(f"shards = {shards} is more than batch_size = {cfg['batch_size']}")
    if backend is not None:
        from .backend import resolve
        resolve(backend)
    if data_dir is not None and not Path(data_dir).is_dir():
        raise FileNotFoundError(f"data directory {data_dir} does not exist")
    return cfg, (loss if callable(loss) else None)


# --------------------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------------------
def _train_epoch(net, opt, task, data, cfg, epoch, loss_fn, log_bar, dp):
    """One pass over the training set; returns {"loss", metric, "time", "samples_per_s"}.

    ``dp``: the :class:`~snu_np.parallel.DataParallel` of ``net`` that runs a classification batch's
    forward pass, loss and backward pass (in one piece, or in ``cfg["shards"]`` threads)."""
    from .functional.losses import accuracy
    from .parallel import forward_backward
    train = data["train"]
    n = _n_examples(task, train)
    bs = cfg["batch_size"]
    perm = np.random.default_rng([cfg["seed"], epoch]).permutation(n)
    n_steps = -(-n // bs)
    dtype = net.dtype
    tot_loss = tot_metric = 0.0
    tot_w = 0.0
    seen = 0
    t0 = time.perf_counter()
    bar = log_bar(n_steps, epoch)
    try:
        for k in range(n_steps):
            idx = np.sort(perm[k * bs:(k + 1) * bs]) if task.kind == "classification" else perm[k * bs:(k + 1) * bs]
            try:                                      # forward, loss, NaN/inf checks, backward, update
                if task.kind == "classification":
                    images, labels = train
                    x = encode_images(task, images[idx], derive_seed(cfg["seed"], epoch, k), dtype, cfg["T"])
                    target = np.asarray(labels[idx]).astype(np.int64)
                    w = len(idx)
                    loss, y = dp.loss_and_grads(x, target, loss_fn, window=cfg["window"])
                else:
                    seqs = [train[i] for i in idx if len(train[i]) > 1]
                    if not seqs:
                        continue
                    x, target, mask, w = _music_batch(seqs, dtype)
                    loss, y = forward_backward(net, x, target, loss_fn, mask)
                if cfg["clip"] is not None:
                    from .optim import clip_grad_norm
                    clip_grad_norm(net, cfg["clip"])
                opt.step()                            # checks every gradient before any update
            except FloatingPointError as err:
                raise _diverged(err, epoch, k, n_steps) from None
            tot_loss += loss * w
            tot_w += w
            if task.kind == "classification":
                tot_metric += accuracy(y, target, window=cfg["window"]) * w
            seen += len(idx)
            if bar is not None:
                dt = time.perf_counter() - t0
                post = {"loss": f"{tot_loss / tot_w:.4f}"}
                if task.kind == "classification":
                    post["acc"] = f"{tot_metric / tot_w:.3f}"
                post["samples/s"] = f"{seen / dt:.0f}" if dt > 0 else "-"
                bar.set_postfix(post, refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    dt = time.perf_counter() - t0
    out = {"loss": tot_loss / tot_w if tot_w else float("nan"), "time": dt,
           "samples_per_s": seen / dt if dt > 0 else float("nan"), "samples": seen}
    out[task.metric] = tot_metric / tot_w if task.kind == "classification" else out["loss"]
    return out


def _progress_factory(enabled, epochs):
    def make(n_steps, epoch):
        if not enabled:
            return None
        from tqdm.auto import tqdm
        return tqdm(total=n_steps, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=False,
                    dynamic_ncols=True, file=sys.stderr)
    return make


def _fmt_metric(task, value):
    if value is None or not math.isfinite(value):
        return "-"
    return f"{100 * value:.2f}%" if task.metric == "accuracy" else f"{value:.4f}"


def _results(cfg, state, n_params, wall, finished):
    from . import __version__
    hist = state["history"]
    samples = sum(h.get("train_samples", 0) for h in hist)
    ttime = sum(h.get("train_time", 0.0) for h in hist)
    best = state["best"]
    return {
        "task": cfg["task"], "model": cfg["model"], "seed": cfg["seed"], "config": cfg,
        "n_params": int(n_params), "package_version": __version__,
        "metric": get_task(cfg["task"]).metric,
        "epochs_completed": state["epoch"], "finished": finished,
        "stopped_early": state.get("stopped_early", False),
        "best_epoch": None if best is None else best["epoch"],
        "valid": None if best is None else best.get("valid"),
        "test": None if best is None else best.get("test"),
        "history": hist,
        "wall_time_s": wall, "train_time_s": ttime,
        "samples_per_s": samples / ttime if ttime > 0 else None,
        "machine": machine_info(),
    }


def _train_one(cfg, custom_loss, data, resume, log):
    from .io import atomic_write_json, load_checkpoint, save_checkpoint
    task = get_task(cfg["task"])
    loss_fn = custom_loss or _loss_fn(cfg["loss"])
    net = build_model(task, cfg["model"], cfg["layers"], recurrent=cfg["recurrent"], dtype=cfg["dtype"],
                      seed=cfg["seed"], output_bias=cfg["output_bias"], center_output=cfg["center_output"],
                      decay=cfg["decay"], backend=cfg["backend"], g=cfg.get("g", "relu"),
                      center_inputs=cfg.get("center_inputs"), threshold=cfg.get("threshold", 1.0),
                      surrogate=cfg.get("surrogate", "tanh"), surrogate_scale=cfg.get("surrogate_scale"),
                      detach_reset=cfg.get("detach_reset", False), h_scale=cfg.get("h_scale", 1.0))
    opt = make_optimizer(cfg["optimizer"], net, cfg["lr"], weight_decay=cfg.get("weight_decay", 0.0),
                         ema=cfg.get("ema"))
    state = {"epoch": 0, "history": [], "best": None, "bad_epochs": 0, "stopped_early": False}
    out = Path(cfg["out_dir"]) if cfg["out_dir"] else None
    prior_wall = 0.0
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    if resume and out is not None and (out / "last.json").exists():
        net0, opt_state, meta = load_checkpoint(out / "last")
        old = meta["config"]
        diff = {k: (old.get(k, _ADDED_KEYS.get(k)), cfg[k]) for k in cfg
                if k not in _RESUME_FREE and old.get(k, _ADDED_KEYS.get(k)) != cfg[k]}
        if diff:
            pretty = ", ".join(f"{k}: {a!r} -> {b!r}" for k, a, b in ((k, *v) for k, v in diff.items()))
            raise ValueError(f"cannot resume {out / 'last'}: the configuration differs ({pretty}); "
                             f"use the same settings or a new --out directory")
        net.load_state_dict(net0.state_dict())
        opt.load_state_dict(opt_state)
        state = meta["extra"]["state"]
        # patience may change on resume: a run stopped early continues if the new patience allows it
        state["stopped_early"] = cfg["patience"] is not None and state["bad_epochs"] >= cfg["patience"]
        prior_wall = float(meta["extra"].get("wall_time_s", 0.0))
        log(f"resuming {out / 'last'} after epoch {state['epoch']}")
    elif resume and out is not None:
        log(f"nothing to resume in {out} (no last.json): starting a new run")
    elif resume:
        raise ValueError("resume=True needs out_dir (where last.npz/last.json are)")
    t_start = time.perf_counter()
    bar = _progress_factory(cfg["progress"], cfg["epochs"])
    from .parallel import DataParallel
    dp = DataParallel(net, cfg.get("shards", 1))      # shards = 1: the plain step, no threads
    has_valid = _n_examples(task, data["valid"]) > 0
    try:                                              # the worker threads end with the run, however it ends
        while state["epoch"] < cfg["epochs"] and not state["stopped_early"]:
            e = state["epoch"]
            opt.lr = cfg["lr"] * cfg["lr_decay"] ** e
            tr = _train_epoch(net, opt, task, data, cfg, e, loss_fn, bar, dp)
            row = {"epoch": e + 1, "lr": opt.lr, "train_loss": tr["loss"],
                   f"train_{task.metric}": tr[task.metric], "train_time": tr["time"],
                   "train_samples": tr["samples"], "samples_per_s": tr["samples_per_s"]}
            t_eval = time.perf_counter()
            with opt.averaged():            # with ema, the averaged weights are scored and saved as best
                if has_valid:
                    va = evaluate(net, task, data["valid"], cfg, "valid", loss_fn=loss_fn)
                    row.update(val_loss=va["loss"], **{f"val_{task.metric}": va[task.metric]})
                    score = va[task.metric]
                else:                       # no validation set: the last epoch is the best
                    va, score = None, None
                best = None if state["best"] is None else state["best"]["score"]
                improved = (not has_valid) or _better(task, score, best)
                if improved:
                    te = evaluate(net, task, data["test"], cfg, "test", loss_fn=loss_fn)
                    row.update(test_loss=te["loss"], **{f"test_{task.metric}": te[task.metric]})
                    state["best"] = {"epoch": e + 1, "score": score, "valid": va, "test": te}
                    state["bad_epochs"] = 0
                    if out is not None:
                        save_checkpoint(out / "best", net, None, cfg, {"epoch": e + 1, "valid": va, "test": te})
                else:
                    state["bad_epochs"] += 1
            row["eval_time"] = time.perf_counter() - t_eval
            state["history"].append(row)
            state["epoch"] = e + 1
            if cfg["patience"] is not None and has_valid and state["bad_epochs"] >= cfg["patience"]:
                state["stopped_early"] = True
            msg = (f"epoch {e + 1}/{cfg['epochs']}  train loss {tr['loss']:.4f} {task.metric} "
                   f"{_fmt_metric(task, tr[task.metric])}")
            if has_valid:
                msg += f" | val {task.metric} {_fmt_metric(task, score)}"
            if improved:
                msg += f" | test {task.metric} {_fmt_metric(task, state['best']['test'][task.metric])} *"
            msg += f" | {tr['time']:.1f} s, {tr['samples_per_s']:.0f} samples/s"
            log(msg)
            wall = prior_wall + time.perf_counter() - t_start
            if out is not None:
                extra = {"state": state, "wall_time_s": wall}
                save_checkpoint(out / "last", net, opt, cfg, extra)
                atomic_write_json(out / "results.json", _results(cfg, state, net.n_params, wall, False))
            if state["stopped_early"]:
                log(f"early stop: no validation improvement for {cfg['patience']} epochs")
    finally:
        dp.close()
    wall = prior_wall + time.perf_counter() - t_start
    res = _results(cfg, state, net.n_params, wall, True)
    if out is not None:
        atomic_write_json(out / "results.json", res)
    res["net"] = net
    return res


def train(task="demo", model="snu", layers=(256, 256), epochs=10, batch_size=None, lr=1e-3,
          optimizer="adam", seed=0, data_dir=None, out_dir=None, resume=False, lr_decay=1.0, clip=None,
          window=None, loss=None, dtype="float32", limit_train=None, limit_test=None, progress=True,
          recurrent=False, trials=1, patience=None, val_size=None, T=None, output_bias=None,
          center_output=None, decay=0.8, backend=None, download=True, verbose=True, data=None, log=None,
          g="relu", center_inputs=None, threshold=1.0, surrogate="tanh", surrogate_scale=None,
          detach_reset=False, weight_decay=0.0, h_scale=1.0, shards=1, ema=None):
    """Train a network on a task; return a result dict.

    Parameters
    ----------
    task : "mnist", "jittered-mnist", "demo", "jsb", "nottingham", "musedata", "piano-midi"
        (or a registered :class:`~snu_np.tasks.Task`).
    model : "snu", "ssnu", "rnn", "lstm", "gru"
    layers : hidden sizes, e.g. (256, 256) or "256,256".
    epochs, batch_size : positive ints. Default batch size: 128 for classification, 1 for music
        (one sequence per step, as in the paper).
    lr : learning rate at epoch 1; ``lr_decay`` (0 < f <= 1) multiplies it after every epoch.
    optimizer : "adam" or "sgd".
    seed : initial weights, shuffling and training spikes all derive from it.
    data_dir : where the data files are (default: the loaders' search path / download cache).
    out_dir : where ``best.*``, ``last.*`` and ``results.json`` go (None: write nothing).
    resume : continue the run in ``out_dir`` from ``last.*`` (same settings; ``epochs`` may grow).
    clip : global gradient-norm clip (None: no clipping).
    weight_decay : decoupled weight decay of the weight matrices (see :class:`~snu_np.optim.Optimizer`).
    ema : None, or beta in (0, 1): the optimiser keeps an exponential moving average of the
        parameters (:class:`~snu_np.optim.Optimizer`), and validation, test and ``best.*`` use the
        average instead of the last weights. ``"net"`` in the result is the last (live) state.
    window : (a, b) steps averaged by the classification loss and accuracy (None: all T steps).
    loss : "mse" (window MSE, the default for classification), "ce", "bernoulli_nll" (music), or a
        callable ``(y, target, window=None) -> (loss, dy)`` (classification) /
        ``(logits, target, mask) -> (loss, dy)`` (music).
    dtype : "float32" or "float64".
    limit_train : use only the first N training examples (sequences). limit_test : only the first
        N validation and test examples.
    progress : tqdm progress bar per epoch (loss, accuracy, samples/s).
    recurrent : SNU/sSNU with recurrent weights H.
    trials : K > 1 trains seeds ``seed, seed+1, ..., seed+K-1`` (each in ``out_dir/seed<s>``) and
        returns a summary with the mean, std (ddof=1), min and max of the test metric, also written
        to ``out_dir/summary.json``.
    patience : early-stopping patience in epochs (default: the task's; 20 for music, none for MNIST).
    val_size : classification: number of training examples held out for validation (default: the
        task's, 5,000 for MNIST).
    T : number of encoding steps (default: the task's, 20).
    output_bias, center_output, decay, g, center_inputs, threshold, surrogate, surrogate_scale, detach_reset, h_scale
        See :func:`snu_np.tasks.build_model`.
    backend : None (global), "numpy" or "numba".
    shards : classification: cut every batch into this many pieces and run their forward and backward
        passes in parallel threads (:class:`~snu_np.parallel.DataParallel`); the same gradient up to
        float rounding. Fastest with one BLAS thread per shard (``set_blas_threads(1)``; the CLI's
        ``--shards`` sets it unless ``--threads`` is given).
    download : let the loaders download missing data.
    verbose : print one line per epoch. log : a callable used instead of ``print``.
    data : pre-loaded splits (as from :func:`~snu_np.tasks.load_task_data`), skipping the loading.

    Returns
    -------
    dict
        ``"test"`` (metrics at the best-validation epoch), ``"valid"``, ``"best_epoch"``,
        ``"history"`` (one dict per epoch), ``"n_params"``, ``"wall_time_s"``, ``"samples_per_s"``,
        ``"config"``, ``"machine"``, ... and ``"net"`` (the trained network, in its last state).
        With ``trials > 1``: ``"runs"`` (one such dict per seed) and the summary statistics.

    Raises
    ------
    ValueError, TypeError
        A bad argument (unknown task/model/optimizer, non-positive sizes, ...).
    FileNotFoundError
        Missing data (the loader says where it looked) or a missing data directory.
    FloatingPointError
        NaN/inf in the loss or the gradients (the message names the epoch and batch step).
    """
    if batch_size is None and (isinstance(task, str) and task in TASKS or not isinstance(task, str)):
        batch_size = 1 if get_task(task).kind == "music" else 128
    cfg, custom_loss = _make_config(task, model, layers, epochs, batch_size, lr, optimizer, seed, lr_decay,
                                    clip, window, loss, dtype, limit_train, limit_test, recurrent, patience,
                                    val_size, T, output_bias, center_output, trials, data_dir, out_dir,
                                    progress, verbose, download, decay, backend, g, center_inputs,
                                    threshold, surrogate, surrogate_scale, detach_reset, weight_decay,
                                    h_scale, shards, ema)
    if log is None:
        log = print if verbose else (lambda *a, **k: None)
    t = get_task(task)
    if data is None:
        data = load_task_data(t, data_dir=data_dir, download=download, limit_train=cfg["limit_train"],
                              limit_test=cfg["limit_test"], val_size=cfg["val_size"])
    if _n_examples(t, data["train"]) == 0:
        raise ValueError(f"task {t.name!r} has no training data")
    if cfg["trials"] == 1:
        return _train_one(cfg, custom_loss, data, resume, log)
    return _run_trials(cfg, custom_loss, data, resume, log)


def _run_trials(cfg, custom_loss, data, resume, log):
    from .io import atomic_write_json
    task = get_task(cfg["task"])
    runs = []
    base = Path(cfg["out_dir"]) if cfg["out_dir"] else None
    for i in range(cfg["trials"]):
        c = dict(cfg, seed=cfg["seed"] + i, trials=1)
        if base is not None:
            c["out_dir"] = str(base / f"seed{c['seed']}")
        log(f"trial {i + 1}/{cfg['trials']}: seed {c['seed']}")
        runs.append(_train_one(c, custom_loss, data, resume, log))
    scores = np.array([r["test"][task.metric] for r in runs], dtype=float)
    summary = {
        "task": cfg["task"], "model": cfg["model"], "metric": task.metric, "trials": cfg["trials"],
        "seeds": [r["seed"] for r in runs], "test": scores.tolist(),
        "mean": float(scores.mean()), "std": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
        "min": float(scores.min()), "max": float(scores.max()),
        "best_epochs": [r["best_epoch"] for r in runs], "n_params": runs[0]["n_params"],
        "config": cfg, "machine": machine_info(),
    }
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
        atomic_write_json(base / "summary.json", summary)
    log(f"{cfg['trials']} trials, test {task.metric}: mean {_fmt_metric(task, summary['mean'])}, "
        f"std {_fmt_metric(task, summary['std'])}, max {_fmt_metric(task, summary['max'])}, "
        f"min {_fmt_metric(task, summary['min'])}")
    return dict(summary, runs=runs)


def evaluate_checkpoint(path, data_dir=None, splits=("valid", "test"), download=True, limit_test=None):
    """Load a checkpoint written by :func:`train` and score it; returns ``{split: metrics}``."""
    from .io import load_checkpoint
    net, _, meta = load_checkpoint(path)
    cfg = dict(meta.get("config") or {})
    if "task" not in cfg:
        raise ValueError(f"checkpoint {path} has no training configuration (task); was it written by train()?")
    task = get_task(cfg["task"])
    data = load_task_data(task, data_dir=data_dir, download=download, limit_train=1,
                          limit_test=limit_test if limit_test is not None else cfg.get("limit_test"),
                          val_size=cfg.get("val_size"))
    return {s: evaluate(net, task, data[s], cfg, s) for s in splits if _n_examples(task, data[s]) > 0}
