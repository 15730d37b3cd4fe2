"""The leaky integrate-and-fire (LIF) neuron: simulation and its closed-form solutions.

The LIF neuron (docs: derivations/lif.md) integrates its input current with a leak,

    tau dV/dt = -V + R I(t)                                            (lif-ode)

and emits a spike when V crosses the threshold ``v_th``; V is then reset to ``v_reset``.

Time-step convention (the same as the SNU's, so the two can be compared spike for spike)
-----------------------------------------------------------------------------------------
``I[k]`` (k = 0 .. T-1) is the current during step t = k + 1, i.e. on the interval
((t-1) dt, t dt]. ``V[k]`` is the membrane potential at the *end* of that step, time t dt, after
the reset; ``V_{0} = v0`` (default 0, rest) is the potential at time 0 and is not returned.
Each step does three things, in this order:

1. integrate (Euler or exact), starting from the previous, already reset, potential::

       V_pre[t] = decay * V[t-1] + gain * I[t]
       euler: decay = 1 - dt/tau,        gain = (dt/tau) R             (lif-euler)
       exact: decay = exp(-dt/tau),      gain = (1 - exp(-dt/tau)) R   (lif-exact)

2. detect the spike on the integrated potential: ``spike[t] = V_pre[t] > v_th`` (strictly);
3. reset: ``V[t] = v_reset`` where ``spike[t]``, else ``V[t] = V_pre[t]``.

So ``V`` records the reset value at a spike step; ``V_pre`` (returned with
``return_pre_reset=True``) records the potential that crossed the threshold. With
``v_reset = 0`` the reset is the SNU's gate: ``V[t-1] = V_pre[t-1] * (1 - spike[t-1])`` and

    V_pre[t] = (1 - dt/tau) V_pre[t-1] (1 - spike[t-1]) + (dt/tau) R I[t]

which is the SNU ``s_t = g(x_t W + l(tau) s_{t-1} (1 - y_{t-1}))``, ``y_t = step(s_t + b)`` with
``l(tau) = 1 - dt/tau``, ``W = (dt/tau) R``, ``b = -v_th``, ``g`` = identity (or ReLU when the
potential stays >= 0), ``s_t = V_pre[t]`` and ``y_t = spike[t]`` (docs: :eq:`lif-snu`).

Units are whatever you choose, consistently: if ``tau`` and ``dt`` are in ms, rates are in 1/ms.
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import as_float_array, check_choice, check_real

METHODS = ("euler", "exact")
ESTIMATORS = ("count", "isi")

__all__ = ["METHODS", "simulate", "step_coefficients", "time_axis", "analytic_v",
           "time_to_first_spike", "firing_rate", "fi_curve"]


# --------------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------------
def _check_neuron(tau, R, v_th, v_reset=None):
    tau = check_real(tau, "tau", low=0.0, low_open=True)
    R = check_real(R, "R", low=0.0, low_open=True)
    v_th = check_real(v_th, "v_th")
    if v_reset is not None:
        v_reset = check_real(v_reset, "v_reset")
        if v_reset >= v_th:
            raise ValueError(f"v_reset must be < v_th (= {v_th}), got {v_reset}: a neuron reset at or "
                             f"above its threshold would fire at every step")
    return tau, R, v_th, v_reset


def _check_dt(dt, tau, method):
    method = check_choice(method, "method", METHODS)
    dt = check_real(dt, "dt", low=0.0, low_open=True)
    if method == "euler" and dt > tau:
        raise ValueError(
            f"dt must be <= tau for method='euler' (got dt={dt}, tau={tau}): the Euler decay "
            f"1 - dt/tau = {1 - dt / tau:.3g} would be negative and V would oscillate in sign. "
            f"Use a smaller dt (dt/tau <= 0.1 for accuracy) or method='exact'")
    return dt, method


def _as_current(I, name="I"):
    """A finite float array, or a Python scalar/list turned into float64."""
    return as_float_array(I, name)


def _scalar_or_array(x):
    return float(x) if np.ndim(x) == 0 else x


# --------------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------------
def step_coefficients(dt, tau, R=1.0, method="euler"):
    """The per-step ``(decay, gain)`` of ``V_pre[t] = decay * V[t-1] + gain * I[t]``.

    Docs: :eq:`lif-euler` (``decay = 1 - dt/tau``, ``gain = (dt/tau) R``) and :eq:`lif-exact`
    (``decay = exp(-dt/tau)``, ``gain = (1 - exp(-dt/tau)) R``). ``decay`` is the SNU's
    ``l(tau)`` and ``gain`` its input weight (:eq:`lif-snu`).

    Raises ``ValueError`` if ``dt > tau`` with ``method="euler"`` (negative decay).
    """
    tau = check_real(tau, "tau", low=0.0, low_open=True)
    R = check_real(R, "R", low=0.0, low_open=True)
    dt, method = _check_dt(dt, tau, method)
    if method == "euler":
        return 1.0 - dt / tau, (dt / tau) * R
    decay = math.exp(-dt / tau)
    return decay, -math.expm1(-dt / tau) * R


def time_axis(n_steps, dt=1.0):
    """Times ``t dt`` (t = 1 .. n_steps) at which ``simulate`` records ``V[t-1]``.

    Docs: :eq:`lif-euler`, :eq:`lif-exact` (step t integrates ``I[t-1]`` over ((t-1) dt, t dt]).
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise TypeError(f"n_steps must be a non-negative integer, got {n_steps!r}")
    dt = check_real(dt, "dt", low=0.0, low_open=True)
    return dt * np.arange(1, int(n_steps) + 1, dtype=np.float64)


def simulate(I, dt, tau, R=1.0, v_th=1.0, v_reset=0.0, method="euler", v0=None, t_ref=0.0,
             return_pre_reset=False):
    """Simulate LIF neurons driven by the current ``I``. Docs: :eq:`lif-ode`, :eq:`lif-euler`,
    :eq:`lif-exact`, :eq:`lif-reset`, :eq:`lif-snu`.

    Each step t = 1..T (array index k = t - 1): integrate ``V_pre = decay * V_prev + gain * I[k]``
    from the previous, already reset, potential; spike where ``V_pre > v_th``; then
    ``V = v_reset`` at spikes and ``V = V_pre`` elsewhere (see the module docstring).

    Parameters
    ----------
    I : float array, shape (T,), (T, N) or (T, B, N)
        Input current during each step (held constant over the step). All axes after the
        first are independent neurons.
    dt : float > 0
        Time step. ``method="euler"`` needs ``dt <= tau`` (else ``ValueError``); it is accurate
        to O(dt/tau), so keep ``dt/tau <= 0.1``. ``method="exact"`` accepts any ``dt``.
    tau : float > 0
        Membrane time constant (same unit as ``dt``).
    R : float > 0
        Membrane resistance.
    v_th : float
        Threshold; a spike needs ``V_pre > v_th`` strictly.
    v_reset : float < v_th
        Potential after a spike.
    method : "euler" | "exact"
        ``"euler"``: forward Euler, decay ``1 - dt/tau`` (:eq:`lif-euler`, what the SNU computes);
        ``"exact"``: exponential integrator, exact for piecewise constant input (:eq:`lif-exact`).
    v0 : float or array broadcastable to ``I.shape[1:]``, optional
        Potential at time 0 (before the first step). Default 0 (rest), like the SNU's ``s_0``.
    t_ref : float >= 0
        Absolute refractory period: after a spike the neuron is held at ``v_reset`` (and cannot
        fire) for ``round(t_ref / dt)`` steps. 0 (the default) is the SNU's behaviour.
    return_pre_reset : bool
        Also return ``V_pre``, the potential before the reset, which equals the SNU state ``s_t``.

    Returns
    -------
    V : array like ``I``
        Membrane potential at the end of each step, after the reset (``v_reset`` at spike steps).
    spikes : array like ``I``
        1.0 where the neuron fired at that step, else 0.0 (same dtype as ``I``).
    V_pre : array like ``I``, only if ``return_pre_reset``
        Potential before the reset; ``V = where(spikes, v_reset, V_pre)``.
    """
    I = _as_current(I)
    if I.ndim not in (1, 2, 3):
        raise ValueError(f"I must have shape (T,), (T, N) or (T, B, N), got {I.shape}")
    tau, R, v_th, v_reset = _check_neuron(tau, R, v_th, v_reset)
    dt, method = _check_dt(dt, tau, method)
    t_ref = check_real(t_ref, "t_ref", low=0.0)
    if not isinstance(return_pre_reset, (bool, np.bool_)):
        raise TypeError(f"return_pre_reset must be a bool, got {type(return_pre_reset).__name__}")
    decay, gain = step_coefficients(dt, tau, R, method)
    n_ref = int(round(t_ref / dt))

    neuron_shape = I.shape[1:]
    if v0 is None:
        v = np.zeros(neuron_shape, dtype=I.dtype)
    else:
        v0 = as_float_array(v0, "v0")
        try:
            v = np.broadcast_to(v0, neuron_shape).astype(I.dtype)       # a copy
        except ValueError:
            raise ValueError(f"v0 must be a scalar or broadcastable to I.shape[1:] = {neuron_shape}, "
                             f"got shape {v0.shape}") from None

    V = np.empty_like(I)
    V_pre = np.empty_like(I)
    spikes = np.empty_like(I)
    held = np.zeros(neuron_shape, dtype=np.int64)       # refractory steps left
    for k in range(I.shape[0]):
        v_pre = decay * v + gain * I[k]                  # (lif-euler) / (lif-exact)
        if n_ref:
            v_pre = np.where(held > 0, v_reset, v_pre).astype(I.dtype)
        fired = v_pre > v_th                             # (lif-reset): detect on the integrated V
        v = np.where(fired, v_reset, v_pre).astype(I.dtype)   # ... then reset
        if n_ref:
            held = np.where(fired, n_ref, np.maximum(held - 1, 0))
        V_pre[k] = v_pre
        V[k] = v
        spikes[k] = fired
    if return_pre_reset:
        return V, spikes, V_pre
    return V, spikes


# --------------------------------------------------------------------------------------------
# closed forms for a constant current
# --------------------------------------------------------------------------------------------
def analytic_v(t, I, tau, R=1.0, v0=0.0):
    """``V(t) = R I + (v0 - R I) exp(-t / tau)``: the solution for a constant current, no threshold.

    Docs: :eq:`lif-analytic`. ``t`` (>= 0) and ``I`` are broadcast against each other; a scalar
    result is returned as a float.
    """
    t = as_float_array(t, "t")
    if np.any(t < 0):
        raise ValueError("t must be >= 0 (time since the current was switched on)")
    I = _as_current(I)
    tau, R, _, _ = _check_neuron(tau, R, 0.0)
    v0 = check_real(v0, "v0")
    v_inf = R * I
    return _scalar_or_array(v_inf + (v0 - v_inf) * np.exp(-t / tau))


def time_to_first_spike(I, tau, R=1.0, v_th=1.0, v0=0.0):
    """Time for the potential to rise from ``v0`` to ``v_th`` under a constant current.

    ``t* = tau ln((R I - v0) / (R I - v_th))`` if ``R I > v_th`` (with ``v0 = 0``:
    ``tau ln(R I / (R I - v_th))``), ``inf`` otherwise. Docs: :eq:`lif-first-spike`.
    Vectorised over ``I``; ``v0`` must be ``<= v_th``.
    """
    I = _as_current(I)
    tau, R, v_th, _ = _check_neuron(tau, R, v_th)
    v0 = check_real(v0, "v0")
    if v0 > v_th:
        raise ValueError(f"v0 must be <= v_th (= {v_th}), got {v0}: the neuron would start above threshold")
    v_inf = R * I
    above = v_inf > v_th
    out = np.full(I.shape, np.inf)
    out[above] = tau * np.log((v_inf[above] - v0) / (v_inf[above] - v_th))
    return _scalar_or_array(out)


def firing_rate(I, tau, R=1.0, v_th=1.0, t_ref=0.0, v_reset=0.0):
    """The f-I curve: ``1 / (t_ref + tau ln((R I - v_reset) / (R I - v_th)))`` above rheobase.

    With ``v_reset = 0`` this is ``1 / (t_ref + tau ln(R I / (R I - v_th)))``; it is 0 where
    ``R I <= v_th`` (below the rheobase current ``v_th / R``). Rates are per unit of ``tau``.
    Docs: :eq:`lif-rate`. Vectorised over ``I``.
    """
    I = _as_current(I)
    tau, R, v_th, v_reset = _check_neuron(tau, R, v_th, v_reset)
    t_ref = check_real(t_ref, "t_ref", low=0.0)
    isi = np.asarray(time_to_first_spike(I, tau, R, v_th, v0=v_reset)) + t_ref
    with np.errstate(divide="ignore"):
        rate = np.where(np.isfinite(isi), 1.0 / isi, 0.0)
    return _scalar_or_array(rate)


def fi_curve(I_values, dt, tau, R=1.0, v_th=1.0, v_reset=0.0, t_ref=0.0, duration=None,
             method="exact", estimator="count"):
    """Measure the firing rate of simulated neurons, one per current in ``I_values``.

    Docs: :eq:`lif-rate` (the analytic curve :func:`firing_rate` it approaches as dt -> 0),
    :eq:`lif-euler`, :eq:`lif-exact`. All currents are simulated at once, as independent neurons
    starting at ``v_reset``, for ``duration`` (default ``100 tau``), i.e. ``round(duration/dt)``
    steps.

    Parameters
    ----------
    I_values : 1-D float array of constant currents.
    dt, tau, R, v_th, v_reset, t_ref, method : as in :func:`simulate`.
    duration : float > 0, optional
        Simulated time, at least ``dt``.
    estimator : "count" | "isi"
        ``"count"``: number of spikes / duration (error < 1/duration);
        ``"isi"``: 1 / mean inter-spike interval (exact for a periodic neuron; falls back to
        the count for neurons with fewer than two spikes).

    Returns
    -------
    rates : 1-D array, spikes per unit time. Because spikes happen on the time grid, the
    simulated interval is a whole number of steps: the rate is within O(dt) of the analytic one.
    """
    I_values = as_float_array(I_values, "I_values", ndim=(0, 1))
    scalar = I_values.ndim == 0
    I_values = np.atleast_1d(I_values)
    tau, R, v_th, v_reset = _check_neuron(tau, R, v_th, v_reset)
    dt, method = _check_dt(dt, tau, method)
    estimator = check_choice(estimator, "estimator", ESTIMATORS)
    duration = 100.0 * tau if duration is None else check_real(duration, "duration", low=dt)
    n_steps = int(round(duration / dt))
    duration = n_steps * dt
    I = np.broadcast_to(I_values, (n_steps, I_values.size))
    _, spikes = simulate(I, dt, tau, R, v_th, v_reset, method, v0=v_reset, t_ref=t_ref)
    counts = spikes.sum(axis=0)
    rates = counts / duration
    if estimator == "isi":
        times = time_axis(n_steps, dt)
        for n in np.flatnonzero(counts >= 2):
            ts = times[spikes[:, n] > 0]
            rates[n] = (ts.size - 1) / (ts[-1] - ts[0])
    return float(rates[0]) if scalar else rates
