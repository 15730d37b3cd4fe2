"""Exercise 10: train an SNU network to 90 % on a small spike-pattern task."""
from __future__ import annotations

import time

import numpy as np

from ...functional.losses import accuracy
from .. import helpers
from .base import ALWAYS_FORBIDDEN, Check, Mistake, _as_float, _by_key, _call, _Fail

MISTAKES = {}

MISTAKES["train"] = [
    Mistake("no_learning", "loss does not go down (no update)",
            "the loss did not go down: each iteration must run forward, loss, net.backward(dy) and then "
            "opt.step() -- and create the optimiser once, before the loop. If it does, raise the learning "
            "rate."),
    Mistake("too_little", "loss goes down, accuracy below target",
            "the loss goes down but not far enough: train for more epochs or raise the learning rate "
            "(Adam with lr around 1e-2 works here)."),
    Mistake("diverged", "loss NaN or inf", "the loss became NaN or inf: lower the learning rate."),
    Mistake("too_slow", "over the time budget",
            "too slow: use fewer epochs, a smaller hidden layer or the NumPy backend "
            "with small batches."),
    Mistake("wrong_output", "wrong output size", "the network's last layer must have one unit per class."),
]
TARGET_ACCURACY = 0.90


def _check_train(fn, time_budget=30.0, seed=0, target=TARGET_ACCURACY):
    table = _by_key(MISTAKES["train"])
    task = helpers.make_training_task(seed)
    t0 = time.perf_counter()
    try:
        out = _call(fn, task["x_train"].copy(), task["y_train"].copy())
    except _Fail as fail:
        if "labels must be in" in fail.message:           # raised by the loss: too few output units
            mk = table["wrong_output"]
            raise _Fail(fail.message, mk.hint, mk.key) from None
        raise
    seconds = time.perf_counter() - t0
    net, losses = out if isinstance(out, tuple) and len(out) == 2 else (out, None)
    if not hasattr(net, "forward"):
        raise _Fail("train must return (net, losses) where net has a forward method.")
    y = _call(net.forward, task["x_test"])
    y = _as_float(y)
    T, B = task["x_test"].shape[:2]
    if y is None or y.ndim != 3 or y.shape[:2] != (T, B):
        raise _Fail(f"net.forward(x_test) must return (T, B, n_classes) = {(T, B, task['n_classes'])}, got "
                    f"{None if y is None else y.shape}.")
    if y.shape[2] != task["n_classes"]:
        mk = table["wrong_output"]
        raise _Fail(f"the output has {y.shape[2]} units for {task['n_classes']} classes.", mk.hint, mk.key)
    acc = accuracy(y, task["y_test"])
    losses = None if losses is None else np.asarray(losses, dtype=np.float64).reshape(-1)
    if losses is not None and losses.size and not np.all(np.isfinite(losses)):
        mk = table["diverged"]
        raise _Fail(f"test accuracy {acc:.1%}; the loss is not finite.", mk.hint, mk.key)
    if acc < target:
        key = ""
        if losses is not None and losses.size >= 4:
            k = max(1, losses.size // 10)
            first, last = losses[:k].mean(), losses[-k:].mean()
            key = "no_learning" if last > 0.98 * first else "too_little"
        elif not np.all(np.isfinite(y)):
            key = "diverged"
        hint = table[key].hint if key else "return (net, losses) so that the loss curve can be diagnosed."
        raise _Fail(f"test accuracy {acc:.1%} < {target:.0%} after {seconds:.1f} s of training.", hint, key)
    if seconds > time_budget:
        mk = table["too_slow"]
        raise _Fail(f"test accuracy {acc:.1%}, but training took {seconds:.1f} s > {time_budget:g} s.", mk.hint, mk.key)
    return f"test accuracy {acc:.1%} (target {target:.0%}) after {seconds:.1f} s of training."




# the layers, losses and optimisers are the tools of this exercise; the package's training loop is not
CHECKS = (
    Check("train", 10, _check_train, MISTAKES["train"], forbidden=("snu_np.train", "snu_np.tasks")
          + ALWAYS_FORBIDDEN),
)
