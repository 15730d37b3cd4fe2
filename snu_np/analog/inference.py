"""Analog inference: a trained network's weight matrices programmed onto simulated PCM devices once,
then read at later times, with or without global drift compensation.

::

    state = program_network(net, PCM(seed=0))        # every W and H onto differential pairs
    calib = calibrate(state, x_calibration)          # reference currents, measured once
    net_1d = read_network(state, 86400.0, calib)     # the network as the chip computes it one day later

Only the weight matrices W (input) and H (recurrent) live on devices; biases, thresholds and decays
stay digital, as on the chip of the paper (its neurons are digital). Docs: ``docs/derivations/analog.md``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .._validate import as_float_array, check_int
from .mapping import conductances_to_weights, weights_to_conductances
from .pcm import PCM

__all__ = ["AnalogNetwork", "program_network", "programmed_weights", "read_weights", "calibrate",
           "compensation_factor", "read_network", "analog_sweep", "clone_network", "quantize_network",
           "ANALOG_KEYS"]

#: the parameters that are weight matrices stored on devices
ANALOG_KEYS = ("W", "H")


def clone_network(net):
    """A copy of a ``Sequential`` with its own parameter arrays, without the caches of the last
    forward pass (a deep copy would duplicate those too)."""
    if not hasattr(net, "layers"):
        raise TypeError(f"net must be a Sequential (with .layers), got {type(net).__name__}")
    new = copy.copy(net)
    new.layers = []
    for layer in net.layers:
        c = copy.copy(layer)
        c.params = {k: p.copy() for k, p in layer.params.items()}
        c.grads = {k: np.zeros_like(p) for k, p in layer.params.items()}
        c.cache = None
        new.layers.append(c)
    return new


def _analog_params(net, keys=ANALOG_KEYS):
    """``[(name, layer index, key), ...]`` of the matrices that go onto devices, e.g. ("0.W", 0, "W")."""
    return [(f"{i}.{k}", i, k) for i, layer in enumerate(net.layers) for k in keys
            if k in layer.params and np.ndim(layer.params[k]) == 2]


@dataclass
class AnalogNetwork:
    """A network whose weight matrices were programmed onto PCM devices (one draw of the devices).

    Attributes
    ----------
    net : Sequential
        A private copy of the trained (float) network; its digital parameters are used as they are.
    pcm : PCM
        The device model; every later read draws its noise from ``pcm.rng``.
    devices : dict
        ``name -> {"w_max", "g_plus", "g_minus", "nu_plus", "nu_minus"}`` per matrix (e.g. "0.W"):
        the scale (the weight that g_max stands for), the programmed conductances G_P (µS) of the
        two devices of every pair and their drift exponents.
    """

    net: object
    pcm: PCM
    devices: dict = field(default_factory=dict)


def program_network(net, pcm=None, keys=ANALOG_KEYS):
    """Program every weight matrix of ``net`` onto differential PCM pairs, once.

    Each matrix gets its own scale, max|W| -> g_max, :eq:`pcm-pair`; each device is programmed with
    programming noise, :eq:`pcm-prog`, and draws its drift exponent, :eq:`pcm-nu`.

    Parameters
    ----------
    net : Sequential (not changed)
    pcm : PCM, optional (default ``PCM()``, unseeded)
    keys : the parameter names that are stored on devices (default W and H)

    Returns
    -------
    AnalogNetwork
    """
    pcm = PCM() if pcm is None else pcm
    if not isinstance(pcm, PCM):
        raise TypeError(f"pcm must be a PCM, got {type(pcm).__name__}")
    ref = clone_network(net)
    names = _analog_params(ref, keys)
    if not names:
        raise ValueError(f"the network has no weight matrices named {', '.join(keys)} to program")
    state = AnalogNetwork(ref, pcm)
    for name, i, k in names:
        gp_t, gm_t, w_max = weights_to_conductances(ref.layers[i].params[k], pcm.g_max)
        state.devices[name] = {
            "w_max": w_max,
            "g_plus": pcm.program(gp_t), "g_minus": pcm.program(gm_t),
            # nu depends on the *target* conductance of each device
            "nu_plus": pcm.drift_coefficients(gp_t), "nu_minus": pcm.drift_coefficients(gm_t),
        }
    return state


def _check_state(state):
    if not isinstance(state, AnalogNetwork):
        raise TypeError(f"state must be an AnalogNetwork (from program_network), got {type(state).__name__}")


def programmed_weights(state):
    """``name -> W_P``: the weights right after programming, as the mean of many reads at t = 0
    would give them (programming noise only). The reference of the drift compensation."""
    _check_state(state)
    return {name: conductances_to_weights(d["g_plus"], d["g_minus"], d["w_max"], state.pcm.g_max)
            for name, d in state.devices.items()}


def read_weights(state, t):
    """``name -> W(t)``: every pair read once, t seconds after programming, :eq:`pcm-read`
    (float64; fresh read noise on every call)."""
    _check_state(state)
    pcm = state.pcm
    out = {}
    for name, d in state.devices.items():
        gp = pcm.read(d["g_plus"], d["nu_plus"], t)
        gm = pcm.read(d["g_minus"], d["nu_minus"], t)
        out[name] = conductances_to_weights(gp, gm, d["w_max"], pcm.g_max)
    return out


def _set_weights(net, weights):
    for name, W in weights.items():
        i, k = name.split(".")
        p = net.layers[int(i)].params[k]
        p[...] = W.astype(p.dtype)


def calibrate(state, calibration_x):
    """Measure what the drift compensation compares against, once, right after programming.

    The calibration batch is run through the network with its programmed weights W_P
    (:func:`programmed_weights`); each matrix's input (x of the layer for W, the layer's previous
    output y_{t-1} for H) is kept. :func:`compensation_factor` later applies the same inputs to
    the drifted devices, so the ratio sees only what the devices did.

    Parameters
    ----------
    state : AnalogNetwork
    calibration_x : float ndarray (T, B, n_in)
        A few input sequences (e.g. training examples); the same for every time t.

    Returns
    -------
    dict ``name -> (X, reference_sum)``: X (rows, n_in) the matrix's inputs, and
    sum |X W_P| (the summed absolute currents at t = 0).
    """
    _check_state(state)
    x = as_float_array(calibration_x, "calibration_x", ndim=3)
    net = clone_network(state.net)
    W_P = programmed_weights(state)
    _set_weights(net, W_P)
    inputs = {}
    h = x.astype(net.dtype)
    for i, layer in enumerate(net.layers):
        if "W" in layer.params and f"{i}.W" in W_P:
            inputs[f"{i}.W"] = h.reshape(-1, h.shape[-1]).astype(np.float64)
        h = layer.forward(h)
        if f"{i}.H" in W_P:                       # the recurrent matrix sees y_{t-1}, t = 1..T-1
            inputs[f"{i}.H"] = h[:-1].reshape(-1, h.shape[-1]).astype(np.float64)
    return {name: (X, float(np.abs(X @ W_P[name]).sum())) for name, X in inputs.items()}


def compensation_factor(X, W_ref, W_t, reference_sum=None):
    """Global drift compensation of one matrix, :eq:`drift-comp`:
    alpha = sum |X W_ref| / sum |X W_t| (1 if the drifted currents are all zero).

    Parameters
    ----------
    X : float ndarray (rows, n_in), the calibration inputs
    W_ref : (n_in, n_out), the weights at t = 0 (or None when ``reference_sum`` is given)
    W_t : (n_in, n_out), the weights read at time t
    reference_sum : float, optional, sum |X W_ref| measured before

    Returns
    -------
    alpha : float > 0; the layer's output currents are multiplied by it (equivalently, W_t is).
    """
    X = as_float_array(X, "X", ndim=2)
    W_t = as_float_array(W_t, "W_t", ndim=2)
    if reference_sum is None:
        W_ref = as_float_array(W_ref, "W_ref", shape=W_t.shape)
        reference_sum = float(np.abs(X @ W_ref).sum())
    now = float(np.abs(X @ W_t).sum())                                                 # (drift-comp)
    return reference_sum / now if now > 0 else 1.0


def read_network(state, t, calibration=None, return_factors=False):
    """The network as the devices compute it t seconds after programming.

    Parameters
    ----------
    state : AnalogNetwork
    t : float >= 0, seconds after programming
    calibration : dict from :func:`calibrate`, optional
        Given: every matrix is rescaled by its compensation factor, :eq:`drift-comp`. None: no
        compensation (the raw drifted weights).
    return_factors : also return ``{name: alpha}``

    Returns
    -------
    net : Sequential, a new copy with the read (and compensated) weights; the digital parameters
    are the trained ones. With ``return_factors``: ``(net, factors)``.
    """
    _check_state(state)
    weights = read_weights(state, t)
    factors = {}
    if calibration is not None:
        missing = sorted(set(weights) - set(calibration))
        if missing:
            raise ValueError(f"calibration has no entry for {', '.join(missing)}: make it with "
                             f"calibrate(state, x) on this state")
        for name, W in weights.items():
            X, ref = calibration[name]
            factors[name] = compensation_factor(X, None, W, reference_sum=ref)
            weights[name] = factors[name] * W
    net = clone_network(state.net)
    _set_weights(net, weights)
    return (net, factors) if return_factors else net


def quantize_network(net, bits, stochastic=False, seed=None, keys=ANALOG_KEYS):
    """A copy of ``net`` whose weight matrices are rounded to ``2^bits - 1`` levels each (w_max =
    max|W| of the matrix), :eq:`quant-levels`: post-training quantisation. ``net`` is not changed."""
    from .._validate import as_rng
    from .mapping import quantize
    rng = as_rng(seed) if stochastic else None
    out = clone_network(net)
    for _, i, k in _analog_params(out, keys):
        p = out.layers[i].params[k]
        p[...] = quantize(p, bits, stochastic=stochastic, seed=rng)
    return out


def analog_sweep(net, score_fn, times, draws=10, calibration_x=None, compensate=True, seed=0, pcm_kwargs=None,
                 keys=ANALOG_KEYS, log=None):
    """Score a trained network on simulated PCM at several times, over several device draws.

    Draw d programs fresh devices from ``numpy.random.default_rng([seed, d])``, so two sweeps with
    the same seed (e.g. with and without compensation) see the same devices and the same reads.

    Parameters
    ----------
    net : Sequential, trained in float (not changed)
    score_fn : callable ``net -> float`` (e.g. test accuracy or NLL; see
        :func:`snu_np.analog.adapters.checkpoint_scorer`)
    times : sequence of float >= 0, seconds after programming (see :func:`~snu_np.analog.pcm.parse_times`)
    draws : int >= 1, device draws per time
    calibration_x : float ndarray (T, B, n_in); needed when ``compensate``
    compensate : bool, apply global drift compensation, :eq:`drift-comp`
    seed : int >= 0
    pcm_kwargs : dict, arguments of :class:`PCM` other than ``seed`` (e.g. ``drift_scale=0``)
    keys : the parameters stored on devices
    log : callable(str), optional, one line per draw

    Returns
    -------
    dict with ``"times"`` (seconds), ``"float"`` (the score of ``net`` itself), ``"mean"``,
    ``"std"`` (ddof = 1; 0 for one draw) and ``"values"`` (one list of ``draws`` scores per time),
    ``"factors"`` (per time, the mean compensation factor of every matrix; empty without
    compensation), and the settings.
    """
    from ..errors import UsageError
    if not callable(score_fn):
        raise TypeError("score_fn must be a callable net -> float")
    draws = check_int(draws, "draws", low=1)
    seed = check_int(seed, "seed", low=0)
    try:
        times = [float(t) for t in times]
    except (TypeError, ValueError):
        raise TypeError(f"times must be a sequence of seconds, got {times!r}") from None
    if not times or any(not np.isfinite(t) or t < 0 for t in times):
        raise UsageError(f"times must be a non-empty list of finite seconds >= 0, got {times}")
    if compensate and calibration_x is None:
        raise UsageError("compensate=True needs calibration_x (a few input sequences (T, B, n_in))")
    pcm_kwargs = dict(pcm_kwargs or {})
    pcm_kwargs.pop("seed", None)
    values = np.zeros((len(times), draws))
    factors = [dict() for _ in times]
    for d in range(draws):
        state = program_network(net, PCM(**pcm_kwargs, seed=np.random.default_rng([seed, d])), keys)
        calib = calibrate(state, calibration_x) if compensate else None
        for j, t in enumerate(times):
            net_t, f = read_network(state, t, calib, return_factors=True)
            values[j, d] = float(score_fn(net_t))
            for name, a in f.items():
                factors[j][name] = factors[j].get(name, 0.0) + a / draws
        if log is not None:
            log(f"draw {d + 1}/{draws}: " + ", ".join(f"{v:.4g}" for v in values[:, d]))
    return {
        "times": times, "draws": draws, "seed": seed, "compensate": bool(compensate),
        "pcm": pcm_kwargs, "float": float(score_fn(net)),
        "mean": values.mean(1).tolist(),
        "std": (values.std(1, ddof=1) if draws > 1 else np.zeros(len(times))).tolist(),
        "values": values.tolist(), "factors": factors,
    }
