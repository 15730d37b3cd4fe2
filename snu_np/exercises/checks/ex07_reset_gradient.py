"""Exercise 7: the reset-gradient term, alone and inside a whole BPTT pass."""
from __future__ import annotations

import numpy as np

from ...functional import snu as _snu
from .. import helpers
from .base import ALWAYS_FORBIDDEN, Check, Mistake, _call, _compare, _copy_args, _Fail, _mismatch
from .ex05_bptt_loop import SEQ_AXES, _seq_case

MISTAKES = (
    Mistake("sign", "sign of the reset term",
            "sign of the reset term: d/dy_{t-1} of decay * s_{t-1} * (1 - y_{t-1}) is -decay * s_{t-1}."),
    Mistake("no_decay", "decay missing", "the term is -decay * dz * s_{t-1}: the decay is missing."),
    Mistake("gated", "multiplied by the gate (1 - y_{t-1})",
            "no (1 - y_{t-1}) factor: you differentiate with respect to y_{t-1}, and d(1 - y)/dy = -1."),
    Mistake("zero", "zero (the detached version)",
            "that is the detached version (detach_reset=True): return the gradient through the reset, "
            "-decay * dz * s_{t-1}."),
    Mistake("uses_y", "y_{t-1} instead of s_{t-1}", "the reset term multiplies the state s_{t-1}, not y_{t-1}."),
)


def _reset_term(dz, s_prev, y_prev, decay, m=None):
    if m == "zero":
        return np.zeros_like(dz)
    val = -(1.0 if m == "no_decay" else decay) * dz * (y_prev if m == "uses_y" else s_prev)
    if m == "gated":
        val = val * (1.0 - y_prev)
    return -val if m == "sign" else val


def _check_reset_term(fn):
    rng = np.random.default_rng(7)
    B, n = 4, 5
    args = dict(dz=rng.normal(size=(B, n)), s_prev=np.maximum(rng.normal(0.5, 0.8, (B, n)), 0.0),
                y_prev=(rng.random((B, n)) < 0.5).astype(np.float64), decay=0.8)
    c = _copy_args(args)
    got = {"reset": _call(fn, c["dz"], c["s_prev"], c["y_prev"], c["decay"])}
    ref = {"reset": _reset_term(**args)}
    table = MISTAKES
    _compare("on random (B = 4, n = 5) arrays", got, ref, {"reset": ("sample", "unit")},
             lambda: [(mk, {"reset": _reset_term(m=mk.key, **args)}) for mk in table])
    # the same term inside a whole BPTT pass must reproduce the reference
    cache, dy = _seq_case(1, False, True)
    dx, grads = helpers.bptt_with_reset_term(dy, cache, lambda *a: _call(fn, *(v.copy() if isinstance(v, np.ndarray)
                                                                               else v for v in a)))
    ref_dx, ref_g = _snu.snu_backward(dy, cache)
    for key, a, b in (("dx", dx, ref_dx), ("W", grads["W"], ref_g["W"]), ("H", grads["H"], ref_g["H"])):
        msg = _mismatch(key, a, b, SEQ_AXES[key])
        if msg:
            raise _Fail(f"inside BPTT over 6 steps: {msg}.", "return an array of shape (B, n_out), one entry "
                        "per sample and unit, without modifying the inputs.")
    return "the reset term matches, alone and inside a 6-step BPTT pass (dx, dW, dH equal the reference)."




# the reference step backward holds the term (with and without detach_reset)
_FORBIDDEN = ("snu_np.functional.snu.snu_step_backward", "snu_np.functional.snu.snu_backward", "snu_np.kernels.snu",
              "snu_np.layers", "snu_np.exercises.helpers.bptt_with_reset_term") + ALWAYS_FORBIDDEN

CHECKS = (Check("reset_term", 7, _check_reset_term, MISTAKES, forbidden=_FORBIDDEN),)
