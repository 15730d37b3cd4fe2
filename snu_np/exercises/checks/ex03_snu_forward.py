"""Exercise 3: one SNU step, forward.

The known-wrong variants are built from the reference step (``snu_np.functional.snu.snu_step_forward``)
instead of a second copy of its equations: the reference with ``g="identity"`` gives the pre-activation
z, a variant changes z (or the bias, or the output function), and the reference run on z as the input
of a one-to-one layer gives s = g(z) and y = h(s + b) again.
"""
from __future__ import annotations

import numpy as np

from ...functional import snu as _snu
from .base import ALWAYS_FORBIDDEN, Check, Mistake, _compare, _config_label, _copy_args, _call, _Fail

MISTAKES = (
    Mistake("no_gate", "reset gate missing",
            "the reset gate (1 - y_{t-1}) is missing: a spike at t-1 must clear the state, "
            "z = x W + decay * s_{t-1} * (1 - y_{t-1})."),
    Mistake("gate_inverted", "y_{t-1} instead of 1 - y_{t-1}",
            "the gate is (1 - y_{t-1}), not y_{t-1}: the state is kept where the unit did NOT spike."),
    Mistake("decay_sign", "sign of the decay term", "sign of the decay term: + decay * s_{t-1} * (1 - y_{t-1})."),
    Mistake("bias_sign", "s - b instead of s + b",
            "the output is h(s + b): b = -threshold is already negative, do not subtract it."),
    Mistake("bias_in_state", "bias inside g", "b belongs to the output, u = s + b; the state s = g(z) has no bias."),
    Mistake("no_relu", "g (ReLU) missing", "missing g: the state is s = ReLU(z)."),
    Mistake("rec_state", "s_{t-1} H instead of y_{t-1} H", "the recurrent input is y_{t-1} H, not s_{t-1} H."),
    Mistake("rec_transposed", "H transposed",
            "row-vector convention: the recurrent term is y_{t-1} @ H, not H transposed."),
    Mistake("no_rec", "recurrent term ignored", "with H given (not None), add the recurrent term y_{t-1} @ H to z."),
    Mistake("soft_ignored", "step used for the soft SNU",
            "with soft=True the output is y = sigmoid(s + b), not the step."),
    Mistake("decay_on_input", "decay applied to the input",
            "the decay multiplies only the old state: z = x W + decay * s (1 - y), not decay * (x W + ...)."),
    Mistake("ge", "spike on s + b >= 0",
            "a spike needs s + b > 0 strictly (the state above the threshold): use > not >=; where s + b is "
            "exactly 0 the SNU does not spike."),
)


def _outputs(z, b, soft, g="relu"):
    """s = g(z) and y = h(s + b), by the reference: z is the input of a one-to-one layer with no state."""
    zeros = np.zeros_like(z)
    s, y, _ = _snu.snu_step_forward(z, zeros, zeros, np.eye(z.shape[1]), b, 0.0, None, soft, g)
    return s, y


def _snu_fwd(x, s_prev, y_prev, W, b, decay, H=None, soft=False, m=None):
    """The reference step, or its known-wrong variant ``m``: returns (s, y)."""
    if m is None:
        return _snu.snu_step_forward(x, s_prev, y_prev, W, b, decay, H, soft)[:2]
    z = _snu.snu_step_forward(x, s_prev, y_prev, W, b, decay, H, soft, g="identity")[0]
    keep = decay * s_prev * (1.0 - y_prev)                # the reset-gated decay term inside z
    rec = 0.0 if H is None else y_prev @ H
    if m == "no_gate":
        z = z - keep + decay * s_prev
    elif m == "gate_inverted":
        z = z - keep + decay * s_prev * y_prev
    elif m == "decay_sign":
        z = z - 2.0 * keep
    elif m == "decay_on_input":
        z = decay * (x @ W + s_prev * (1.0 - y_prev)) + rec
    elif m in ("rec_state", "rec_transposed", "no_rec") and H is not None:
        z = z - rec + {"rec_state": s_prev @ H, "rec_transposed": y_prev @ H.T, "no_rec": 0.0}[m]
    if m == "bias_sign":
        return _outputs(z, -b, soft)
    if m == "bias_in_state":
        return _outputs(z + b, np.zeros_like(b), soft)
    if m == "no_relu":
        return _outputs(z, b, soft, g="identity")
    if m == "soft_ignored":
        return _outputs(z, b, False)
    s, y = _outputs(z, b, soft)
    if m == "ge" and not soft:
        y = (s + b >= 0).astype(np.float64)
    return s, y


def _snu_case(seed, soft, recurrent, B=3, n_in=4, n_out=5):
    rng = np.random.default_rng([3, seed])
    x = (rng.random((B, n_in)) < 0.6).astype(np.float64)
    s_prev = np.maximum(rng.normal(0.6, 0.8, (B, n_out)), 0.0)
    y_prev = rng.uniform(0.05, 0.95, (B, n_out)) if soft else (rng.random((B, n_out)) < 0.5).astype(np.float64)
    W = rng.normal(0.0, 0.8, (n_in, n_out))
    b = -1.0 + rng.normal(0.0, 0.3, n_out)
    H = rng.normal(0.0, 0.6, (n_out, n_out)) if recurrent else None
    return dict(x_t=x, s_prev=s_prev, y_prev=y_prev, W=W, b=b, decay=0.8, H=H, soft=soft)


def _threshold_case():
    """States landing exactly on the threshold (s + b == 0 in binary floating point, by construction:
    every number is a multiple of 1/4), where ``>`` and ``>=`` differ; random inputs never hit it."""
    x = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 1.0]])
    W = np.array([[0.25, 0.25, 0.0, 0.5], [0.5, -0.25, 0.25, 0.0], [0.0, 0.0, 0.25, -0.25]])
    s_prev = np.array([[1.0, 2.0, 0.5, 3.0], [0.5, 0.0, 1.0, 0.0]])
    y_prev = np.array([[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    return dict(x_t=x, s_prev=s_prev, y_prev=y_prev, W=W, b=np.full(4, -0.5), decay=0.5, H=None, soft=False)


def _check_snu_step_forward(fn):
    axes = {"s": ("sample", "unit"), "y": ("sample", "unit")}
    cases = [(_config_label(soft, rec), _snu_case(k, soft, rec))
             for k, (soft, rec) in enumerate([(False, False), (False, True), (True, False), (True, True)])]
    cases.append(("SNU, feed-forward, states exactly at the threshold (s + b = 0)", _threshold_case()))
    for label, a in cases:
        c = _copy_args(a)
        out = _call(fn, c["x_t"], c["s_prev"], c["y_prev"], c["W"], c["b"], c["decay"], H=c["H"], soft=c["soft"])
        if not isinstance(out, tuple) or len(out) < 2:
            raise _Fail("snu_step_forward must return (s, y).")
        got = {"s": out[0], "y": out[1]}
        args = {k: v for k, v in a.items() if k != "x_t"}
        ref = dict(zip(("s", "y"), _snu_fwd(x=a["x_t"], **args)))

        def variants(a=a, args=args):
            return [(mk, dict(zip(("s", "y"), _snu_fwd(x=a["x_t"], m=mk.key, **args)))) for mk in MISTAKES]

        _compare(label, got, ref, axes, variants)
    return ("s and y match the reference for the SNU and the soft SNU, feed-forward and recurrent, and for "
            "states exactly at the threshold.")


_FORBIDDEN = ("snu_np.functional.snu.snu_step_forward", "snu_np.functional.snu.snu_forward", "snu_np.kernels.snu",
              "snu_np.layers") + ALWAYS_FORBIDDEN

CHECKS = (Check("snu_step_forward", 3, _check_snu_step_forward, MISTAKES, forbidden=_FORBIDDEN),)
