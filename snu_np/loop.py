"""The training loop of one run: epochs of steps, the checks that stop a diverging run, evaluation.

What happens, epoch by epoch (``e`` counts from 0):

1. The learning rate is ``lr * lr_decay ** e``.
2. The task yields the epoch's batches (:meth:`snu_np.tasks.Task.train_batches`): shuffled by a
   generator seeded with ``(seed, e)``, spike-encoded with seeds derived from ``(seed, e, step)``.
3. Each batch is run forward, scored by the loss (which returns ``dy``), run backward (hand-written
   BPTT fills the gradients) in ``shards`` threads (:class:`~snu_np.parallel.DataParallel`),
   optionally clipped to a global norm, and the optimiser steps.
4. The run stops as diverged (:class:`~snu_np.errors.DivergedError`, naming the epoch and step)
   when the loss, a gradient or a weight is not finite, when a weight's magnitude exceeds
   ``max_weight`` (1e4 by default: trained SNU weights are of order 1; a weight of 1e4 drives every
   state far past the threshold, where the pseudo-derivative is 0 and the run can no longer learn),
   or when the loss exceeds ``diverge_factor`` times the loss of the run's first step.
5. The validation set is evaluated; if it improved (accuracy up / NLL down), the test set too: the
   reported test score is the one at the best-validation epoch. With ``ema`` the averaged weights
   are scored. The run (:mod:`snu_np.runs`) saves checkpoints after each epoch.
6. With ``patience`` > 0, training stops after that many epochs without validation improvement.

Because every random draw is derived from ``(seed, epoch, step)`` and the optimiser state is saved,
a resumed run continues exactly.
"""
from __future__ import annotations

import contextlib
import sys
import time

from ._validate import all_finite
from .errors import DivergedError

__all__ = ["train_epoch", "make_optimizer", "check_finite_weights", "progress_factory"]


def make_optimizer(cfg, net):
    """The optimiser of a resolved run configuration, for ``net``."""
    import dataclasses
    import inspect

    from .optim import OPTIMIZERS
    cls = OPTIMIZERS[cfg.optim.optimizer]
    takes = inspect.signature(cls).parameters        # the [optim] settings the optimiser itself reads
    hyper = {k: v for k, v in dataclasses.asdict(cfg.optim).items() if k in takes}
    opt = cls(net, **hyper)
    if cfg.analog.in_memory_epsilon is not None:      # the updates reach simulated devices in pulses
        from .analog.mixed_precision import MixedPrecision
        from .tasks import derive_seed
        opt = MixedPrecision(opt, epsilon=cfg.analog.in_memory_epsilon, pulse_noise=cfg.analog.in_memory_noise,
                             seed=derive_seed(cfg.run.seed, 31))
    return opt


def _diverged(what, epoch, step, n_steps):
    return DivergedError(f"training diverged at epoch {epoch + 1}, step {step + 1}/{n_steps}: {what}; "
                         f"try a smaller learning rate (--lr) or gradient clipping (--clip)")


def check_finite_weights(net, max_weight=None):
    """The name and problem of the first parameter holding NaN or inf, or (with ``max_weight``) an
    entry larger than that in magnitude; None when all are fine."""
    for name, p, _ in net.parameters():
        if not all_finite(p):
            return f"parameter {name} is no longer finite"
        if max_weight and p.size and max(float(p.max()), -float(p.min())) > max_weight:
            return (f"parameter {name} has an entry of magnitude {max(float(p.max()), -float(p.min())):.3g}, "
                    f"above --max-weight {max_weight:g}")
    return None


def _step_context(cfg, net, epoch, step):
    """What wraps one training step: simulated analog hardware in the loop, or nothing."""
    a = cfg.analog
    if not a.weight_noise and a.quantize_bits is None:
        return contextlib.nullcontext()
    from .analog.training import training_step_context
    return training_step_context(net, cfg, epoch, step)


def train_epoch(net, opt, task, train_split, cfg, epoch, loss_fn, dp, state, bar=None):
    """One pass over the training set; returns ``{"loss", metric, "time", "samples_per_s", "samples"}``.

    ``dp``: the :class:`~snu_np.parallel.DataParallel` of ``net``. ``state["first_loss"]`` is the
    run's first step loss (set here on the first step), the reference of the divergence check.
    """
    from .optim import clip_grad_norm
    n_steps = task.n_train_steps(train_split, cfg)
    factor = cfg.run.diverge_factor
    tot_loss = tot_metric = tot_w = 0.0
    seen = 0
    t0 = time.perf_counter()
    for k, batch in enumerate(task.train_batches(train_split, cfg, epoch, net.dtype)):
        if batch is None:                         # nothing to predict in this batch
            continue
        try:
            with _step_context(cfg, net, epoch, k):
                loss, y = dp.loss_and_grads(batch.x, batch.target, loss_fn, **batch.loss_kw)
            if cfg.optim.clip is not None:
                clip_grad_norm(net, cfg.optim.clip)
            opt.step()                            # checks every gradient before any update
            if cfg.analog.weight_clip is not None or cfg.analog.weight_clip_std is not None:
                from .analog.training import clip_weights     # (hwa-clip)
                clip_weights(net, cfg.analog.weight_clip)
                clip_weights(net, cfg.analog.weight_clip_std, relative=True)
        except FloatingPointError as err:
            raise _diverged(err, epoch, k, n_steps) from None
        bad = check_finite_weights(net, cfg.run.max_weight)
        if bad is not None:
            raise _diverged(bad, epoch, k, n_steps)
        if state.get("first_loss") is None:
            state["first_loss"] = float(loss)
        elif factor and state["first_loss"] > 0 and loss > factor * state["first_loss"]:
            raise _diverged(f"the loss {loss:.4g} is more than {factor:g} times the first step's "
                            f"({state['first_loss']:.4g}; --diverge-factor)", epoch, k, n_steps)
        m = task.batch_metric(y, batch, cfg)
        tot_loss += loss * batch.weight
        tot_w += batch.weight
        if m is not None:
            tot_metric += m * batch.weight
        seen += batch.x.shape[1]
        if bar is not None:
            dt = time.perf_counter() - t0
            post = {"loss": f"{tot_loss / tot_w:.4f}"}
            if m is not None:
                post["acc"] = f"{tot_metric / tot_w:.3f}"
            post["samples/s"] = f"{seen / dt:.0f}" if dt > 0 else "-"
            bar.set_postfix(post, refresh=False)
            bar.update(1)
    dt = time.perf_counter() - t0
    mean_loss = tot_loss / tot_w if tot_w else float("nan")
    out = {"loss": mean_loss, "time": dt, "samples_per_s": seen / dt if dt > 0 else float("nan"),
           "samples": seen}
    out[task.metric] = (tot_metric / tot_w if tot_w else float("nan")) if task.metric == "accuracy" else mean_loss
    return out


def progress_factory(enabled, epochs):
    """``make(n_steps, epoch)`` -> a tqdm bar on stderr, or None when disabled."""
    def make(n_steps, epoch):
        if not enabled:
            return None
        from tqdm.auto import tqdm
        return tqdm(total=n_steps, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=False,
                    dynamic_ncols=True, file=sys.stderr)
    return make
