"""Exercise 5: backpropagation through time, the loop.

The right answer is the reference ``snu_np.functional.snu.snu_backward``; the known-wrong loops come
from ``helpers._bptt_variant``, the one loop with the mistakes (built on the reference step).
"""
from __future__ import annotations

import numpy as np

from ...functional import snu as _snu
from .. import helpers
from .base import ALWAYS_FORBIDDEN, Check, Mistake, _call, _compare, _config_label, _copy_cache, _Fail, _fd_check, \
    _student_dict

MISTAKES = (
    Mistake("assign", "= instead of += (no accumulation over time)",
            "forgot to accumulate dW over time (used = instead of +=): the weights are shared by all "
            "steps, so their gradients add up."),
    Mistake("off_by_one", "y_t instead of y_{t-1} (off by one in time)",
            "off by one in time: you used y_t (and s_t) instead of y_{t-1} (s_{t-1}) as the previous "
            "output and state of step t."),
    Mistake("wraparound", "s[t-1] at t = 0 wraps to the last step",
            "at t = 0 the previous state and output are s_0 = y_0 = 0: s[t - 1] with t = 0 is s[-1], "
            "which Python reads as the LAST step."),
    Mistake("no_dy_next", "dy_prev from step t+1 dropped",
            "you dropped what step t+1 sends back to y_t: pass dy[t] + dy_next, with dy_next = d['dy_prev']."),
    Mistake("no_ds_next", "ds_prev from step t+1 dropped",
            "you dropped what step t+1 sends back to s_t: pass ds_next = d['ds_prev'] of the step after."),
    Mistake("forward_loop", "loop forwards in time",
            "BPTT runs backwards in time: for t in reversed(range(T)), so that step t+1's gradients "
            "exist when step t needs them."),
    Mistake("swap_carry", "the two carries swapped",
            "you swapped the two carries: ds_next = d['ds_prev'] and dy_next = d['dy_prev']."),
    Mistake("ignore_detach", "detach_reset not passed on", "pass detach_reset on to snu_step_backward."),
)
SEQ_AXES = {"dx": ("t", "sample", "input"), "W": ("input", "unit"), "b": ("unit",),
            "H": ("row", "column"), "decay": ()}


def _bptt(dy, cache, detach_reset=False, m=None):
    """The reference BPTT (m=None) or its known-wrong loop ``m``: {"dx", "W", "b", "H", "decay"}."""
    if m is not None:
        return helpers._bptt_variant(dy, cache, detach_reset, m)
    dx, grads = _snu.snu_backward(dy, cache, detach_reset)
    return {"dx": dx, "W": grads["W"], "b": grads["b"], "H": grads.get("H"), "decay": grads["decay"]}


def _seq_case(k, soft, rec, T=6, B=3, n_in=4, n_out=5):
    rng = np.random.default_rng([5, k])
    x = (rng.random((T, B, n_in)) < 0.5).astype(np.float64)
    W = rng.normal(0.3, 0.9, (n_in, n_out))
    b = -0.8 + rng.normal(0.0, 0.3, n_out)
    H = rng.normal(0.0, 0.5, (n_out, n_out)) if rec else None
    _, y, cache = _snu.snu_forward(x, W, b, 0.8, H, soft)
    dy = rng.normal(size=y.shape)
    return cache, dy


def _student_grads(out, need):
    if not isinstance(out, tuple) or len(out) != 2 or not isinstance(out[1], dict):
        raise _Fail("snu_backward must return (dx, grads) with grads a dict.")
    grads = _student_dict(out[1], need, "snu_backward (grads)")
    return {"dx": out[0], **{key: grads.get(key) for key in ("W", "b", "H", "decay")}}


def _check_snu_backward(fn):
    configs = [(False, False, False), (False, True, False), (True, True, False), (False, True, True)]
    for k, (soft, rec, detach) in enumerate(configs):
        cache, dy = _seq_case(k, soft, rec)
        ref = _bptt(dy, cache, detach)
        need = [key for key in ("W", "b", "H", "decay") if ref[key] is not None]
        got = _student_grads(_call(fn, dy.copy(), _copy_cache(cache), detach_reset=detach), need)

        def variants(dy=dy, cache=cache, detach=detach):
            return [(mk, _bptt(dy, cache, detach, m=mk.key)) for mk in MISTAKES]

        _compare(_config_label(soft, rec, detach), got, ref, SEQ_AXES, variants)
    # finite differences of a soft recurrent layer over the whole sequence
    cache, dy = _seq_case(2, True, True)
    x, W, b, H = cache["x"], cache["W"].copy(), cache["b"].copy(), cache["H"].copy()
    dec = np.array([cache["decay"]])
    grads = _student_grads(_call(fn, dy.copy(), _copy_cache(cache)), ("W", "b", "H", "decay"))

    def loss():
        return float(np.sum(dy * _snu.snu_forward(x, W, b, float(dec[0]), H, True)[1]))

    err, _ = _fd_check(loss, {"W": W, "b": b, "H": H, "decay": dec},
                       {"W": grads["W"], "b": grads["b"], "H": grads["H"], "decay": np.array([grads["decay"]])})
    return (f"dx and the gradients match the reference in {len(configs)} configurations over T = 6 steps; "
            f"finite differences agree to {err:.1e}.")


# the reference step is the tool of this exercise; the reference loop, its twins and the helper with a
# reset term (which runs the whole loop) are its answer
_FORBIDDEN = ("snu_np.functional.snu.snu_backward", "snu_np.kernels.snu", "snu_np.layers", "snu_np.gradcheck",
              "snu_np.exercises.helpers.bptt_with_reset_term", "snu_np.exercises.helpers.compare_reset_training") \
    + ALWAYS_FORBIDDEN

CHECKS = (Check("snu_backward", 5, _check_snu_backward, MISTAKES, forbidden=_FORBIDDEN),)
