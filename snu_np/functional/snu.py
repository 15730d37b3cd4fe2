"""The SNU and soft SNU, forward and backward, in plain NumPy: the reference a student reads.

Equations (docs: derivations/snu.md and derivations/bptt.md), row-vector convention::

    z_t = x_t W + y_{t-1} H + decay * s_{t-1} * (1 - y_{t-1})      (snu-state; H only if recurrent)
    s_t = g(z_t)                                                    (snu-g)
    y_t = h(s_t + b)          h = step (SNU) or sigmoid (sSNU)      (snu-output, ssnu-output)

with s_0 = y_0 = 0. Shapes: x_t (B, n_in), W (n_in, n_out), H (n_out, n_out), b (n_out,),
s_t and y_t (B, n_out); over a sequence x is (T, B, n_in) and s, y are (T, B, n_out).

The Numba twins in ``snu_np.kernels.snu`` compute exactly the same numbers faster; a test proves it.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_dy_shape, check_sequence
from ..surrogates import get_surrogate, sigmoid
from .activations import g_forward, g_grad_from_output


def snu_step_forward(x_t, s_prev, y_prev, W, b, decay, H=None, soft=False, g="relu", surrogate="tanh"):
    """One time step of an SNU layer. Docs: :eq:`snu-state`, :eq:`snu-output`, :eq:`ssnu-output`.

    Parameters
    ----------
    x_t : (B, n_in) input at step t.
    s_prev, y_prev : (B, n_out) state and output at step t-1 (zeros at t = 1).
    W : (n_in, n_out) input weights.  b : (n_out,) bias (= -threshold).
    decay : float, l(tau) = 1 - dt/tau in [0, 1].
    H : (n_out, n_out) recurrent weights, or None for a feed-forward layer.
    soft : bool, sigmoid output (sSNU) instead of the step (SNU).
    g : "relu" | "identity" | "leaky_relu".
    surrogate : name or Surrogate; its ``fn`` is the SNU's forward step.

    Returns
    -------
    s : (B, n_out) new state.  y : (B, n_out) output.  cache : tuple for :func:`snu_step_backward`.
    """
    surrogate = get_surrogate(surrogate)
    gate = 1.0 - y_prev                                   # the reset gate: a spike at t-1 clears the state
    z = x_t @ W + decay * s_prev * gate                   # (snu-state)
    if H is not None:
        z = z + y_prev @ H
    s = g_forward(z, g)                                   # (snu-g)
    u = s + b
    y = sigmoid(u) if soft else surrogate.fn(u)           # (snu-output) / (ssnu-output)
    cache = (x_t, s_prev, y_prev, s, y, W, b, decay, H, soft, g, surrogate)
    return s, y, cache


def snu_step_backward(dy, ds_next, cache, detach_reset=False):
    """Backward through one step. Docs: :eq:`bptt-du` to :eq:`bptt-ddecay`.

    Parameters
    ----------
    dy : (B, n_out) dL/dy_t: from the loss at step t plus what step t+1 sends back.
    ds_next : (B, n_out) dL/ds_t that step t+1 sends back through its decay term.
    cache : from :func:`snu_step_forward`.
    detach_reset : bool, drop the gradient through the reset gate (1 - y_{t-1}).

    Returns
    -------
    dict with dx (B, n_in), ds_prev and dy_prev (B, n_out) for step t-1, dz (B, n_out) = dL/dz_t,
    and the parameter gradients of this step dW, db, dH (None if feed-forward) and ddecay (float).
    """
    x_t, s_prev, y_prev, s, y, W, b, decay, H, soft, g, surrogate = cache
    # y = h(u), u = s + b
    dh = y * (1.0 - y) if soft else surrogate.grad(s + b)        # (bptt-du): sigmoid' or pseudo-derivative
    du = dy * dh
    db = du.sum(axis=0)                                           # (bptt-db)
    # s = g(z): s receives from the output and from step t+1
    ds = ds_next + du                                             # (bptt-ds)
    dz = ds * g_grad_from_output(s, g)                            # (bptt-dz)
    # z = x W + y_prev H + decay * s_prev * (1 - y_prev)
    dx = dz @ W.T                                                 # (bptt-dx)
    dW = x_t.T @ dz                                               # (bptt-dW)
    gate = 1.0 - y_prev
    ds_prev = dz * decay * gate                                   # (bptt-carry-s)
    dy_prev = np.zeros_like(y_prev) if detach_reset else -dz * decay * s_prev   # (bptt-reset)
    dH = None
    if H is not None:
        dH = y_prev.T @ dz                                        # (bptt-dH)
        dy_prev = dy_prev + dz @ H.T                              # (bptt-carry-y)
    ddecay = float(np.sum(dz * s_prev * gate))                    # (bptt-ddecay)
    return {"dx": dx, "ds_prev": ds_prev, "dy_prev": dy_prev, "dz": dz,
            "dW": dW, "db": db, "dH": dH, "ddecay": ddecay}


def snu_forward(x, W, b, decay, H=None, soft=False, g="relu", surrogate="tanh"):
    """Run an SNU layer over a sequence. Docs: :eq:`snu-state`, :eq:`snu-output`.

    Parameters
    ----------
    x : (T, B, n_in) input sequence.  W, b, decay, H, soft, g, surrogate: as in :func:`snu_step_forward`.

    Returns
    -------
    s : (T, B, n_out) states.  y : (T, B, n_out) outputs.  cache : dict for :func:`snu_backward`.
    """
    check_sequence(x, "x")
    T, B, _ = x.shape
    n_out = W.shape[1]
    s = np.zeros((T, B, n_out), dtype=x.dtype)
    y = np.zeros((T, B, n_out), dtype=x.dtype)
    s_prev = np.zeros((B, n_out), dtype=x.dtype)             # s_0 = 0
    y_prev = np.zeros((B, n_out), dtype=x.dtype)             # y_0 = 0
    for t in range(T):
        s_prev, y_prev, _ = snu_step_forward(x[t], s_prev, y_prev, W, b, decay, H, soft, g, surrogate)
        s[t], y[t] = s_prev, y_prev
    cache = {"x": x, "s": s, "y": y, "W": W, "b": b, "decay": decay, "H": H,
             "soft": soft, "g": g, "surrogate": get_surrogate(surrogate)}
    return s, y, cache


def snu_backward(dy, cache, detach_reset=False, need_dx=True):
    """Backpropagation through time for an SNU layer: one reversed loop. Docs: :eq:`bptt-loop`.

    Parameters
    ----------
    dy : (T, B, n_out) dL/dy_t from the layers above (or the loss), for every step.
    cache : from :func:`snu_forward`.
    detach_reset : bool, drop the gradient through the reset gate.
    need_dx : bool, False returns dx = None (the first layer's input gradient, which training never
        reads; the fast twin then skips its matrix product).

    Returns
    -------
    dx : (T, B, n_in) gradient for the layer below, or None.
    grads : dict with "W", "b", "H" (if recurrent) and "decay" (a float), summed over time and batch.
    """
    x, s, y, W, b, decay, H = (cache[k] for k in ("x", "s", "y", "W", "b", "decay", "H"))
    check_dy_shape(dy, s.shape)
    T, B, _ = x.shape
    zeros = np.zeros_like(s[0])
    dx = np.zeros_like(x)
    grads = {"W": np.zeros_like(W), "b": np.zeros_like(b), "decay": 0.0}
    if H is not None:
        grads["H"] = np.zeros_like(H)
    ds_next = zeros                    # dL/ds_t arriving from step t+1 (none after the last step)
    dy_next = zeros                    # dL/dy_t arriving from step t+1
    for t in reversed(range(T)):
        s_prev = s[t - 1] if t > 0 else zeros
        y_prev = y[t - 1] if t > 0 else zeros
        step_cache = (x[t], s_prev, y_prev, s[t], y[t], W, b, decay, H,
                      cache["soft"], cache["g"], cache["surrogate"])
        d = snu_step_backward(dy[t] + dy_next, ds_next, step_cache, detach_reset)
        dx[t] = d["dx"]
        grads["W"] += d["dW"]          # weights are shared across time: their gradients add up
        grads["b"] += d["db"]
        grads["decay"] += d["ddecay"]
        if H is not None:
            grads["H"] += d["dH"]
        ds_next, dy_next = d["ds_prev"], d["dy_prev"]
    return (dx if need_dx else None), grads
