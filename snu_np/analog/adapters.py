"""The one place where ``snu_np.analog`` meets the training code: a checkpoint becomes a network,
a ``score(net) -> float`` and a calibration batch. Everything else in the package only needs those,
so a change of the training code's API is fixed here and nowhere else.
"""
from __future__ import annotations


import numpy as np

from .._validate import check_int

__all__ = ["checkpoint_scorer", "CALIBRATION_EPOCH"]

#: the calibration batch is the first batch of this (never trained) epoch number's shuffle
CALIBRATION_EPOCH = 2020


def checkpoint_scorer(path, data_dir=None, limit_test=None, split="test", n_calibration=64, download=True):
    """Load a checkpoint and build what :func:`~snu_np.analog.inference.analog_sweep` needs.

    Parameters
    ----------
    path : a checkpoint or a run folder (see :func:`snu_np.train.checkpoint_path`)
    data_dir, download : where the task's data is (as for ``snu-np evaluate``)
    limit_test : score on the first N examples of the split only (default: the run's setting)
    split : "test" or "valid"
    n_calibration : int >= 1, training examples (sequences, for music) in the calibration batch

    Returns
    -------
    dict: ``net``, ``score`` (callable net -> float: the task's metric, accuracy in [0, 1] or NLL
    in nats per step, from the task's own evaluation), ``calibration_x`` (T, B, n_in),
    ``metric``, ``higher_is_better``, ``task`` (name), ``config`` (the run's RunConfig),
    ``checkpoint`` (the resolved path).
    """
    from ..io import load_checkpoint
    from ..runs import load_run_config
    from ..tasks import get_task
    n_calibration = check_int(n_calibration, "n_calibration", low=1)
    if split not in ("test", "valid"):
        raise ValueError(f"split must be 'test' or 'valid', got {split!r}")
    if limit_test is not None:
        limit_test = check_int(limit_test, "limit_test", low=1)
    from ..train import checkpoint_path
    ckpt = checkpoint_path(path)
    net, _, meta = load_checkpoint(ckpt)
    cfg = load_run_config(meta, ckpt)
    if limit_test is not None:
        cfg = cfg.replace(limit_test=limit_test)
    # the calibration batch: n_calibration training examples in one batch, encoded as in training
    cfg = cfg.replace(limit_train=n_calibration, batch_size=n_calibration).resolve()
    task = get_task(cfg.task)
    data = task.split_data(task.load(data_dir, download), cfg)
    batch = next(b for b in task.train_batches(data["train"], cfg, CALIBRATION_EPOCH, net.dtype) if b is not None)
    scored = data[split]

    def score(n):
        return float(task.evaluate(n, scored, cfg, split)[task.metric])

    return {"net": net, "score": score, "calibration_x": np.asarray(batch.x), "metric": task.metric,
            "higher_is_better": task.metric == "accuracy", "task": task.name, "config": cfg,
            "checkpoint": ckpt}
