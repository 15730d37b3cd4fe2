"""Exercise 4: one SNU step, backward.

The known-wrong variants are the reference step backward (``snu_np.functional.snu.snu_step_backward``)
run on a changed cache (a stand-in surrogate, ``g="identity"``, ``soft=False``, no ``ds_next``), or with
one of its outputs rebuilt from the reference's own ``dz``: no second copy of the equations.
"""
from __future__ import annotations

import numpy as np

from ...functional import snu as _snu
from ...surrogates import sigmoid
from .base import (ALWAYS_FORBIDDEN, Check, Mistake, _call, _compare, _config_label, _copy_cache, _Fail, _fd_check,
                   _student_dict)
from .ex03_snu_forward import _snu_case

MISTAKES = (
    Mistake("no_reset", "gradient through the reset missing",
            "the gradient through the reset is missing (your dy_prev equals the detach_reset=True result): "
            "z contains decay * s_{t-1} * (1 - y_{t-1}), so dy_prev gets -decay * dz * s_{t-1}."),
    Mistake("reset_sign", "sign of the reset term",
            "sign of the reset term: d/dy_{t-1} of decay * s_{t-1} * (1 - y_{t-1}) is -decay * s_{t-1}."),
    Mistake("reset_gated", "reset term multiplied by the gate",
            "the reset term has no (1 - y_{t-1}) factor: it is the derivative with respect to y_{t-1} "
            "itself, -decay * dz * s_{t-1}."),
    Mistake("ignore_detach", "detach_reset ignored", "with detach_reset=True the reset term must be dropped (zero)."),
    Mistake("no_pseudo", "pseudo-derivative factor missing",
            "missing the pseudo-derivative factor: du = dy * h'(u) with h'(u) = surrogate.grad(s + b) "
            "(1 - tanh^2(s + b) by default)."),
    Mistake("pseudo_sign", "sign of the pseudo-derivative",
            "sign of the pseudo-derivative: h'(u) = surrogate.grad(s + b) is a bump >= 0 (the step only goes "
            "up), so du = + dy * h'(u); yours has the opposite sign."),
    Mistake("tanh_not_deriv", "tanh instead of 1 - tanh^2",
            "you used tanh instead of 1 - tanh^2: the pseudo-derivative is the derivative of tanh."),
    Mistake("pseudo_at_s", "pseudo-derivative at s instead of s + b",
            "evaluate the pseudo-derivative at u = s + b, not at s."),
    Mistake("soft_uses_surrogate", "pseudo-derivative used for the soft SNU",
            "for the soft SNU, y = sigmoid(u) is differentiable: use sigmoid' = y (1 - y), not the "
            "pseudo-derivative."),
    Mistake("soft_no_1my", "sigmoid' = y instead of y (1 - y)", "the sigmoid's derivative is y (1 - y), not y."),
    Mistake("no_ds_next", "ds_next dropped",
            "the gradient ds_next arriving from step t+1 through the decay is dropped: ds = du + ds_next."),
    Mistake("no_relu_grad", "g'(z) (ReLU derivative) missing", "missing g'(z): dz = ds * 1[s > 0] for ReLU."),
    Mistake("carry_no_gate", "ds_prev without the gate",
            "ds_prev = dz * decay * (1 - y_{t-1}): the reset gate is missing."),
    Mistake("carry_no_decay", "ds_prev without the decay",
            "ds_prev = dz * decay * (1 - y_{t-1}): the decay is missing."),
    Mistake("dx_from_du", "dx from du instead of dz", "dx = dz @ W.T uses dz (after g'), not du."),
    Mistake("dH_state", "dH from s_{t-1}", "dH = y_{t-1}.T @ dz: the recurrent input is y_{t-1}, not s_{t-1}."),
    Mistake("no_rec_carry", "recurrent part of dy_prev missing",
            "dy_prev must also include dz @ H.T, the path through the recurrent weights."),
    Mistake("ddecay_no_gate", "ddecay without the gate",
            "ddecay = sum(dz * s_{t-1} * (1 - y_{t-1})): the gate is missing."),
)
BWD_KEYS = ("dx", "dW", "db", "ds_prev", "dy_prev", "dH", "ddecay")
BWD_AXES = {"dx": ("sample", "input"), "dW": ("input", "unit"), "db": ("unit",),
            "ds_prev": ("sample", "unit"), "dy_prev": ("sample", "unit"), "dH": ("row", "column"),
            "ddecay": ()}
CACHE_KEYS = ("x_t", "s_prev", "y_prev", "s", "y", "W", "b", "decay", "H", "soft", "g", "surrogate")


class _Pseudo:
    """A stand-in surrogate whose pseudo-derivative is ``grad(u)``: how a variant changes h'(u)."""

    def __init__(self, grad):
        self.grad = grad


def _ref(dy, ds_next, cache, detach_reset=False, **changes):
    """The reference step backward on ``cache`` with some entries replaced."""
    c = dict(zip(CACHE_KEYS, cache))
    c.update(changes)
    return _snu.snu_step_backward(dy, ds_next, tuple(c[k] for k in CACHE_KEYS), detach_reset)


def _snu_bwd(dy, ds_next, cache, detach_reset=False, m=None):
    """The reference step backward, or its known-wrong variant ``m``: a dict with BWD_KEYS."""
    c = dict(zip(CACHE_KEYS, cache))
    sur, b, soft = c["surrogate"], c["b"], c["soft"]
    changed = {"no_pseudo": dict(surrogate=_Pseudo(np.ones_like)),
               "pseudo_sign": dict(surrogate=_Pseudo(lambda u: -sur.grad(u))),
               "tanh_not_deriv": dict(surrogate=_Pseudo(lambda u: np.tanh(sur.scale * u))),
               "pseudo_at_s": dict(surrogate=_Pseudo(lambda u: sur.grad(u - b))),
               "soft_uses_surrogate": dict(soft=False),
               "soft_no_1my": dict(soft=False, surrogate=_Pseudo(sigmoid)) if soft else {},
               "no_relu_grad": dict(g="identity")}
    if m in changed:
        d = _ref(dy, ds_next, cache, detach_reset, **changed[m])
    elif m == "no_ds_next":
        d = _ref(dy, np.zeros_like(ds_next), cache, detach_reset)
    else:
        d = dict(_ref(dy, ds_next, cache, detach_reset and m != "ignore_detach"))
    dz, s_prev, y_prev, H = d["dz"], c["s_prev"], c["y_prev"], c["H"]
    if m in ("no_reset", "reset_sign", "reset_gated") and not detach_reset:
        detached = _ref(dy, ds_next, cache, True)["dy_prev"]
        reset = d["dy_prev"] - detached                    # the reference's reset term, -decay dz s_{t-1}
        d["dy_prev"] = detached + {"no_reset": 0.0, "reset_sign": -reset, "reset_gated": reset * (1.0 - y_prev)}[m]
    elif m == "carry_no_gate":
        d["ds_prev"] = dz * c["decay"]
    elif m == "carry_no_decay":
        d["ds_prev"] = dz * (1.0 - y_prev)
    elif m == "dx_from_du":                                  # without g' and ds_next, dz is du
        d["dx"] = _ref(dy, np.zeros_like(ds_next), cache, detach_reset, g="identity")["dz"] @ c["W"].T
    elif m == "dH_state" and H is not None:
        d["dH"] = s_prev.T @ dz
    elif m == "no_rec_carry" and H is not None:
        d["dy_prev"] = d["dy_prev"] - dz @ H.T
    elif m == "ddecay_no_gate":
        d["ddecay"] = float(np.sum(dz * s_prev))
    return {k: d[k] for k in BWD_KEYS}


def _bwd_case(k, soft, rec):
    a = _snu_case(10 + k, soft, rec)
    _, _, cache = _snu.snu_step_forward(a["x_t"], a["s_prev"], a["y_prev"], a["W"], a["b"], a["decay"],
                                        a["H"], soft)
    rng = np.random.default_rng([4, k])
    dy = rng.normal(size=a["s_prev"].shape)
    ds_next = rng.normal(size=a["s_prev"].shape)
    return a, cache, dy, ds_next


def _check_snu_step_backward(fn):
    configs = [(False, False, False), (False, True, False), (True, True, False), (False, True, True)]
    for k, (soft, rec, detach) in enumerate(configs):
        a, cache, dy, ds_next = _bwd_case(k, soft, rec)
        ref = _snu_bwd(dy, ds_next, cache, detach)
        need = [key for key in BWD_KEYS if ref[key] is not None]
        out = _call(fn, dy.copy(), ds_next.copy(), _copy_cache(cache), detach_reset=detach)
        got = _student_dict(out, need, "snu_step_backward")

        def variants(dy=dy, ds_next=ds_next, cache=cache, detach=detach):
            return [(mk, _snu_bwd(dy, ds_next, cache, detach, m=mk.key)) for mk in MISTAKES]

        _compare(_config_label(soft, rec, detach), got, ref, BWD_AXES, variants)
    # independent confirmation: finite differences of a soft, recurrent step
    a, cache, dy, ds_next = _bwd_case(2, True, True)
    got = _student_dict(_call(fn, dy.copy(), ds_next.copy(), _copy_cache(cache), detach_reset=False), BWD_KEYS,
                        "snu_step_backward")
    arrays = {k: a[k] for k in ("x_t", "s_prev", "y_prev", "W", "b", "H")}
    dec = np.array([a["decay"]])
    arrays["decay"] = dec

    def loss():
        s, y, _ = _snu.snu_step_forward(arrays["x_t"], arrays["s_prev"], arrays["y_prev"], arrays["W"],
                                        arrays["b"], float(dec[0]), arrays["H"], True)
        return float(np.sum(dy * y) + np.sum(ds_next * s))

    analytic = {"x_t": got["dx"], "s_prev": got["ds_prev"], "y_prev": got["dy_prev"], "W": got["dW"],
                "b": got["db"], "H": got["dH"], "decay": np.array([got["ddecay"]])}
    err, _ = _fd_check(loss, arrays, analytic)
    if not err < 1e-5:
        raise _Fail(f"finite differences of a soft, recurrent step disagree with your gradients ({err:.1e}).")
    return (f"all 7 outputs match the reference in {len(configs)} configurations (SNU/soft, feed-forward/"
            f"recurrent, detach_reset); finite differences agree to {err:.1e}.")


# finite differences of the reference forward (snu_np.gradcheck) would answer it too
_FORBIDDEN = ("snu_np.functional.snu.snu_step_backward", "snu_np.functional.snu.snu_backward", "snu_np.kernels.snu",
              "snu_np.layers", "snu_np.gradcheck") + ALWAYS_FORBIDDEN

CHECKS = (Check("snu_step_backward", 4, _check_snu_step_backward, MISTAKES, forbidden=_FORBIDDEN),)
