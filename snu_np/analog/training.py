"""Hardware-aware training: train in float, but let every forward and backward pass see the weights
as the hardware would hold them (noisy, or with limited precision), and update the clean weights.

One training step with noise injection::

    rng = np.random.default_rng(seed)
    with weight_noise(net, eta=2.0, rng=rng):           # W, H <- noisy copies   (hwa-noise)
        loss, y = forward_backward(net, x, target, loss_fn)
    opt.step()                                          # the gradient at the noisy weights,
                                                        # applied to the clean ones   (hwa-ste)
    clip_weights(net, 0.5)                              # optional: |W| <= 0.5   (hwa-clip)

``quantized_weights(net, bits)`` does the same with rounded weights (quantisation-aware training).
Both put the clean weights back however the block ends, exception included.
Docs: ``docs/derivations/analog.md``.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext

import numpy as np

from .._validate import as_rng, check_int, check_real
from .mapping import quantize, weight_range
from .pcm import PCM, PROG_COEFFS

__all__ = ["weight_noise", "inject_weight_noise", "quantized_weights", "clip_weights", "hardware_aware",
           "noise_std", "training_step_context", "NOISE_STREAM"]

#: a constant mixed into the noise seed, so the noise is independent of the spikes drawn from
#: the same (seed, epoch, step)
NOISE_STREAM = 17

HW_KEYS = ("W", "H")


def _matrices(net, keys):
    if not hasattr(net, "layers"):
        raise TypeError(f"net must be a Sequential (with .layers), got {type(net).__name__}")
    return [layer.params[k] for layer in net.layers for k in keys
            if k in layer.params and np.ndim(layer.params[k]) == 2]


@contextmanager
def _swapped(net, make, keys):
    """Replace every matrix p by ``make(p)`` *in place* for the block, then put the clean values back.

    In place, because the layers' backward passes and the replicas of DataParallel read the same
    arrays; the optimiser, after the block, updates the restored clean arrays with the gradients
    that were computed at the replaced ones: the straight-through estimator, :eq:`hwa-ste`."""
    params = _matrices(net, keys)
    clean = [p.copy() for p in params]
    try:
        for p, c in zip(params, clean):
            p[...] = make(c)
        yield net
    finally:
        for p, c in zip(params, clean):
            p[...] = c


def noise_std(W, pcm=None):
    """Std of the weight error that programming would make, :eq:`hwa-noise` (same shape and dtype as W).

    A weight w on a pair (the other device at 0 µS) errs by the programming noise of both devices:
    sigma_w = (w_max / g_max) sqrt(sigma_prog(G_T)^2 + sigma_prog(0)^2), G_T = |w| / w_max g_max,
    w_max = max|W| of the matrix. Computed in W's dtype: this runs on every training step.
    """
    pcm = PCM() if pcm is None else pcm
    W = np.asarray(W)
    dt = W.dtype.type if W.dtype.kind == "f" else np.float64
    w_max = weight_range(W)
    c0, c1, c2 = PROG_COEFFS
    k = pcm.g_max / 25.0                        # the fit's µS are for g_max = 25 µS   (pcm-prog)
    g = np.abs(W).astype(dt, copy=False)        # one array, updated in place: this runs every step
    g *= dt(1.0 / w_max)                        # G_T / g_max, in [0, 1]
    np.minimum(g, dt(1.0), out=g)
    s = g * dt(c2)                              # sigma_prog(G_T) = (c0 + c1 g + c2 g^2) k, by Horner
    s += dt(c1)
    s *= g
    s += dt(c0)
    s *= dt(k)
    s *= s
    s += dt((c0 * k) ** 2)                      # + sigma_prog(0)^2: the partner device, at 0 µS
    np.sqrt(s, out=s)
    s *= dt(w_max / pcm.g_max)                  # µS -> weight units   (hwa-noise)
    return s


@contextmanager
def weight_noise(net, eta, rng=None, keys=HW_KEYS, pcm=None):
    """For the block, every weight matrix becomes W + eta sigma_w(W) N(0, 1), :eq:`hwa-noise`.

    Parameters
    ----------
    net : Sequential
    eta : float >= 0
        Noise scale (1 = the programming noise of the device model; 0 = no noise, the block runs
        on the clean weights).
    rng : None, int or Generator
        Fresh noise on every entry of the block.
    keys : the parameter names that get noise (default W and H; biases are digital)
    pcm : PCM, optional, whose ``prog_std`` sets the shape of the noise (default: the published device)

    Yields
    ------
    Sequential
        The network. On exit (however the block ends) the clean weights are back, bit for bit,
        and ``grads`` holds the gradient computed at the noisy weights.
    """
    eta = check_real(eta, "eta", low=0.0)
    rng = as_rng(rng, "rng")
    pcm = PCM() if pcm is None else pcm

    def noisy(W):
        dt = W.dtype if W.dtype in (np.float32, np.float64) else np.float64
        xi = rng.standard_normal(W.shape, dtype=dt)                 # float32 draws for float32 nets: faster
        xi *= noise_std(W, pcm)
        xi *= eta
        xi += W
        return xi                                                   # W + eta sigma_w(W) xi   (hwa-noise)

    if eta == 0.0:
        yield net
        return
    with _swapped(net, noisy, keys) as n:
        yield n


inject_weight_noise = weight_noise      # the name used in the issue


@contextmanager
def quantized_weights(net, bits, stochastic=False, rng=None, keys=HW_KEYS):
    """For the block, every weight matrix is rounded to ``2^bits - 1`` levels (w_max = max|W| of the
    matrix), :eq:`quant-levels`; the gradient goes straight through to the float weights,
    :eq:`hwa-ste`. ``stochastic`` rounds stochastically, :eq:`quant-stoch`."""
    bits = check_int(bits, "bits", low=2, high=32)
    rng = as_rng(rng, "rng") if stochastic else None
    with _swapped(net, lambda W: quantize(W, bits, stochastic=stochastic, seed=rng), keys) as n:
        yield n


def clip_weights(net, w_clip, relative=False, keys=HW_KEYS):
    """Clip every weight matrix in place to [-c, c], :eq:`hwa-clip`; call it after ``opt.step()``.

    ``c = w_clip`` (an absolute bound, the ``weight_clip`` setting) or, with ``relative=True``,
    ``c = w_clip * std(W)`` for each matrix (as Joshi et al. 2020 do). Narrowing the tails of the
    weight distribution lets the bulk of the weights use more of the conductance range (max|W|
    maps to g_max), where the programming noise is relatively smaller. ``w_clip=None`` does
    nothing. Returns the number of entries that were clipped.
    """
    if w_clip is None:
        return 0
    w_clip = check_real(w_clip, "w_clip", low=0.0, low_open=True)
    n = 0
    for p in _matrices(net, keys):
        bound = w_clip * float(np.std(p)) if relative else w_clip                     # (hwa-clip)
        if bound > 0:
            n += int(np.count_nonzero(np.abs(p) > bound))
            np.clip(p, -bound, bound, out=p)
    return n


def hardware_aware(net, eta=0.0, bits=None, rng=None, stochastic=False, keys=HW_KEYS):
    """The context a training loop wraps around each forward + backward pass.

    ``eta > 0``: noise injection, :eq:`hwa-noise`; ``bits``: quantisation-aware, :eq:`quant-levels`
    (both: quantised, then noise on top); neither: a no-op context. Use::

        with hardware_aware(net, eta=cfg["hw_noise"], bits=cfg["hw_bits"], rng=hw_rng):
            loss, y = forward_backward(net, x, target, loss_fn)
        opt.step()
        clip_weights(net, cfg["hw_clip"])
    """
    eta = check_real(eta, "eta", low=0.0)
    if bits is not None:
        bits = check_int(bits, "bits", low=2, high=32)
    if not eta and bits is None:
        return nullcontext(net)
    rng = as_rng(rng, "rng")
    return _combined(net, eta, bits, rng, stochastic, keys)


@contextmanager
def _combined(net, eta, bits, rng, stochastic, keys):
    q = quantized_weights(net, bits, stochastic, rng, keys) if bits is not None else nullcontext(net)
    with q, weight_noise(net, eta, rng, keys):
        yield net


def training_step_context(net, cfg, epoch, step):
    """The hook of the training loop: :func:`hardware_aware` from a run configuration.

    Reads ``cfg.analog.weight_noise`` (eta) and ``cfg.analog.quantize_bits`` (or the flat
    ``cfg["weight_noise"]``, ``cfg["quantize_bits"]``); the noise generator is seeded with
    ``(cfg.run.seed, epoch, step, NOISE_STREAM)``, so a resumed run draws the same noise. Clipping
    (``weight_clip``) is not part of it: it follows ``opt.step()``, see :func:`clip_weights`.
    """
    def get(section, name, default):
        sec = getattr(cfg, section, None)
        if sec is not None and hasattr(sec, name):
            return getattr(sec, name)
        try:
            return cfg[name]
        except (KeyError, TypeError):
            return default
    eta = get("analog", "weight_noise", 0.0) or 0.0
    bits = get("analog", "quantize_bits", None)
    seed = get("run", "seed", 0) or 0
    epoch = check_int(epoch, "epoch", low=0)
    step = check_int(step, "step", low=0)
    rng = np.random.default_rng([int(seed), epoch, step, NOISE_STREAM])
    return hardware_aware(net, eta=eta, bits=bits, rng=rng)
