"""Train a network on a task: the one call that turns a run configuration into a trained run.

::

    from snu_np.train import train
    result = train("jittered-mnist", model="snu", layers=(256, 256), epochs=20, batch_size=128,
                   lr=3e-3, lr_decay=0.9, seed=0, out_dir="runs/jmnist-snu")
    result["test"]["accuracy"]          # test accuracy at the best-validation epoch

The keyword arguments are the settings of :class:`snu_np.config.RunConfig` by their flat names
(``model``, ``lr``, ``epochs``, ... : see ``snu-np train --help`` or docs/api.md), or a whole
``config=RunConfig(...)``. Where the work happens:

* :mod:`snu_np.config`: the settings, their defaults and ranges (and TOML run files);
* :mod:`snu_np.tasks`: data, batches, loss, metric and evaluation of each task;
* :mod:`snu_np.loop`: one epoch of steps and the divergence checks;
* :mod:`snu_np.runs`: the run folder, checkpoints, resume and trials;
* :mod:`snu_np.runtime`: BLAS threads and machine information.

Music tasks: the input at step t is ``roll[t]`` and the target is ``roll[t + 1]`` (predict the
next step), so a sequence of length L gives L - 1 predictions. ``batch_size=1`` trains on one
sequence per step; a larger batch pads sequences (``pad_sequences``) and masks the padding. The
metric is the negative log-likelihood in nats per predicted time step, pooled over the split.
"""
from __future__ import annotations

from pathlib import Path

from .config import LOSS_NAMES, RunConfig
from .errors import DataError, UsageError
from .runtime import machine_info, set_blas_threads
from .tasks import EVAL_CHUNK, EVAL_SEED, derive_seed, get_task

__all__ = ["train", "evaluate", "evaluate_checkpoint", "make_config", "machine_info", "set_blas_threads",
           "derive_seed", "LOSS_NAMES", "EVAL_SEED", "EVAL_CHUNK"]


def make_config(task="demo", config=None, **settings):
    """A resolved :class:`~snu_np.config.RunConfig` from a task and flat settings (or ``config``
    with ``settings`` overriding it). Raises UsageError naming a bad setting."""
    if config is None:
        config = RunConfig.from_flat(task=task, **settings)
    else:
        if not isinstance(config, RunConfig):
            raise UsageError(f"config must be a RunConfig, got {type(config).__name__}")
        config = config.replace(**settings) if settings else config
    return config.resolve()


def train(task=None, config=None, data_dir=None, out_dir=None, resume=False, overwrite=False,
          download=True, progress=True, verbose=True, data=None, log=None, loss=None, **settings):
    """Train a network on a task; return a result dict.

    Parameters
    ----------
    task : None (the config's, else "demo"), a task name ("mnist", "jittered-mnist", "demo", "jsb", "nottingham", "musedata",
        "piano-midi") or a registered :class:`~snu_np.tasks.Task`.
    config : RunConfig, optional
        The whole run; ``settings`` override single fields of it.
    **settings
        Any setting of :class:`~snu_np.config.RunConfig` by flat name: ``model``, ``layers``,
        ``epochs``, ``batch_size``, ``lr``, ``optimizer``, ``seed``, ``dtype``, ``recurrent``,
        ``trials``, ``patience``, ``shards``, ... (all of them: ``snu-np train --help``).
    data_dir : where the data files are (default: the loaders' search path / download cache).
    out_dir : the run folder for ``best.npz``, ``last.npz`` and ``results.json`` (None: write nothing).
    resume : continue the run in ``out_dir`` (same settings; ``epochs`` may grow).
    overwrite : replace a run that ``out_dir`` already holds (without it, that is an error).
    download : let the loaders download missing data.
    progress : a tqdm progress bar per epoch. verbose : print one line per epoch. log : a callable
        used instead of ``print``.
    data : pre-loaded splits (as from :func:`~snu_np.tasks.load_task_data`), skipping the loading.
    loss : a loss name, or a callable ``(y, target, window=None) -> (loss, dy)`` (classification) /
        ``(logits, target, mask=None) -> (loss, dy)`` (music) used instead of the task's.

    Returns
    -------
    dict
        ``"test"`` (metrics at the best-validation epoch), ``"valid"``, ``"best_epoch"``,
        ``"history"`` (one dict per epoch), ``"n_params"``, ``"wall_time_s"``, ``"samples_per_s"``,
        ``"config"`` (the resolved configuration as a dict), ``"machine"``, ... and ``"net"`` (the
        trained network, in its last state). With ``trials > 1``: ``"runs"`` (one such dict per
        seed) and the summary statistics.

    Raises
    ------
    UsageError (a ValueError)
        A bad setting, or a run folder that holds a run (see :mod:`snu_np.runs`).
    DataError
        Missing or damaged data (the loader says where it looked), or a missing data directory.
    DivergedError (a FloatingPointError)
        Non-finite loss, gradients or weights, or an exploding loss (names the epoch and step).
    RunIOError
        The run folder cannot be written, or its checkpoint is damaged.
    """
    custom_loss = None
    if callable(loss):
        custom_loss, loss = loss, None
    if loss is not None:
        settings["loss"] = loss
    if task is None:
        task = config.task if isinstance(config, RunConfig) else "demo"
    t = get_task(task)
    cfg = make_config(t.name, **settings) if config is None else make_config(config=config, task=t.name,
                                                                              **settings)
    if log is None:
        log = print if verbose else (lambda *a, **k: None)
    if data_dir is not None and not Path(data_dir).is_dir():
        raise DataError(f"data directory {data_dir} does not exist; give an existing --data-dir")
    if data is None:
        data = t.split_data(t.load(data_dir, download), cfg)
    if t.n_examples(data["train"]) == 0:
        raise UsageError(f"task {t.name!r} has no training data")
    from .runs import run_trials, train_run
    kw = dict(resume=resume, overwrite=overwrite, log=log, progress=progress, custom_loss=custom_loss)
    if cfg.run.trials == 1:
        return train_run(cfg, data, out_dir, **kw)
    return run_trials(cfg, data, out_dir, **kw)


def evaluate(net, task, split, cfg=None, name="test", loss_fn=None):
    """Loss and metric of ``net`` on one split of ``task`` (``cfg``: a RunConfig or flat dict of
    settings, default the task's own); see :meth:`snu_np.tasks.Task.evaluate`."""
    t = get_task(task)
    if cfg is None or isinstance(cfg, dict):
        flat = {k: v for k, v in (cfg or {}).items() if k in ("T", "window", "loss")}
        cfg = RunConfig.from_flat(task=t.name, **flat)
    cfg = cfg.resolve(t)
    return t.evaluate(net, split, cfg, name, loss_fn=loss_fn)


def checkpoint_path(path):
    """A checkpoint path from a run folder (its ``best``, else its ``last``) or a checkpoint path."""
    p = Path(path)
    if p.is_dir():
        for name in ("best", "last"):
            if (p / f"{name}.npz").exists():
                return p / name
        raise UsageError(f"{p} holds no checkpoint (best.npz or last.npz); give a run folder or a checkpoint")
    if p.suffix in (".npz", ".json"):
        p = p.with_suffix("")
    if not p.with_name(p.name + ".npz").exists():
        raise UsageError(f"checkpoint {p} does not exist (looked for {p}.npz); give a run folder or a checkpoint")
    return p


def evaluate_checkpoint(path, data_dir=None, splits=("valid", "test"), download=True, limit_test=None):
    """Load a checkpoint written by :func:`train` (or a run folder's best) and score it;
    returns ``{split: metrics}``."""
    from .io import load_checkpoint
    from .runs import load_run_config
    path = checkpoint_path(path)
    net, _, meta = load_checkpoint(path)
    cfg = load_run_config(meta, path)
    if limit_test is not None:
        cfg = cfg.replace(limit_test=limit_test)
    cfg = cfg.replace(limit_train=1).resolve()
    task = get_task(cfg.task)
    data = task.split_data(task.load(data_dir, download), cfg)
    return {s: task.evaluate(net, data[s], cfg, s) for s in splits if task.n_examples(data[s]) > 0}
