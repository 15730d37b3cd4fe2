"""Plotting helpers used by the notebooks.

Every function returns a :class:`matplotlib.figure.Figure` and never calls ``plt.show()``.
Figures use constrained layout (no overlapping labels), label their axes with units, and add a
legend when several lines share axes. Several accept ``equation=True`` (draw the model's equation
above the plot, in matplotlib mathtext) or ``equation="$...$"`` (draw your own).

Time axes follow the package's convention: array index ``k`` is step ``t = k + 1`` and is drawn at
``t * dt`` (the end of the step, where ``snu_np.lif.simulate`` records ``V``).

In a notebook, write ``fig = plot_...(...)`` (or end the line with ``;``): a figure that is both
returned as the cell's value and left open by pyplot would be shown twice.
"""
from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colors
from matplotlib.ticker import MaxNLocator

from .surrogates import SURROGATES, get_surrogate

__all__ = ["plot_neuron", "plot_raster", "plot_states", "plot_surrogates", "plot_gradient_flow",
           "plot_piano_roll", "plot_training_curves", "plot_fi_curve", "plot_events",
           "LIF_EQUATION", "SNU_EQUATION", "GRADIENT_EQUATION", "RATE_EQUATION"]

LIF_EQUATION = (r"$V_t = (1-\Delta t/\tau)\,V_{t-1} + (\Delta t/\tau)\,R\,I_t$;"
                r"  spike if $V_t > v_{th}$, then $V_t \leftarrow v_{reset}$")
SNU_EQUATION = (r"$s_t = g(x_t W + l(\tau)\, s_{t-1}\,(1-y_{t-1}))$,"
                r"   $y_t = h(s_t + b)$")
GRADIENT_EQUATION = (r"$\partial L/\partial s_t = (\partial L/\partial y_t)\,h'(s_t+b)"
                     r" + (\partial L/\partial z_{t+1})\,l(\tau)\,(1-y_t)$")
RATE_EQUATION = (r"$f(I) = 1\,/\,\left(t_{ref} + \tau \ln \frac{R I - v_{reset}}{R I - v_{th}}\right)$"
                 r"  for $R I > v_{th}$, else 0")

THRESHOLD_STYLE = {"color": "tab:red", "linestyle": "--", "linewidth": 1.2}
RESET_STYLE = {"color": "tab:gray", "linestyle": "--", "linewidth": 1.2}
SPIKE_COLOR = "black"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _array(value, name, ndim=None, finite=True):
    """A real-valued float64 array (bools and ints accepted: plotting casts nothing important)."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"{name} must be array_like, got {type(value).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _optional_real(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number or None, got {value!r}")
    return float(value)


def _equation_text(equation, default):
    """None/False -> None; True -> the default equation; a string -> itself."""
    if equation is None or equation is False:
        return None
    if equation is True:
        return default
    if isinstance(equation, str):
        return equation
    raise TypeError(f"equation must be None, a bool or a string, got {type(equation).__name__}")


def _time_label(time_unit):
    if not isinstance(time_unit, str):
        raise TypeError(f"time_unit must be a string, got {type(time_unit).__name__}")
    return "time step $t$" if time_unit == "time step" else f"time ({time_unit})"


def _int_ticks(ax, time_unit, dt):
    """Whole-number ticks on a time axis counted in steps (no "step 2.5")."""
    if time_unit == "time step" and float(dt) == 1.0:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _times(T, dt):
    return dt * np.arange(1, T + 1)


def _new_figure(nrows=1, ncols=1, figsize=None, **kwargs):
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", squeeze=False,
                             **kwargs)
    return fig, axes


def _decorate(fig, top_ax, title, equation):
    """Title above the figure (suptitle), equation as the top axes' title."""
    if equation:
        top_ax.set_title(equation, fontsize="medium")
    if title:
        fig.suptitle(title)


def _single_axes_titles(ax, title, equation):
    """For one-panel plots (maybe in a user's axes): title and equation stacked in the axes title."""
    text = "\n".join(t for t in (title, equation) if t)
    if text:
        ax.set_title(text)


def _image_extent(T, n, dt, first=0):
    """imshow extent so that column k is centred on (k+1) dt and row i on first + i."""
    return (0.5 * dt, (T + 0.5) * dt, first - 0.5, first + n - 0.5)


def _check_axes(axes, n, name="axes"):
    if axes is None:
        return None
    axes = list(np.ravel(axes))
    if len(axes) != n:
        raise ValueError(f"{name} must hold {n} matplotlib Axes, got {len(axes)}")
    return axes


# --------------------------------------------------------------------------------------------
# a single neuron
# --------------------------------------------------------------------------------------------
def plot_neuron(I=None, V=None, spikes=None, v_th=None, v_reset=None, dt=1.0, time_unit="time step",
                title=None, equation=None, axes=None, V_label="membrane potential $V_t$"):
    """Input current, membrane potential and spikes of one neuron on a shared time axis.

    Parameters
    ----------
    I, V, spikes : 1-D arrays of length T, each optional (at least one). A panel is drawn for
        each one given, top to bottom. ``I`` is drawn as a staircase (constant over each step),
        ``V`` as a line, ``spikes`` (nonzero = spike) as vertical ticks.
    v_th, v_reset : float, optional. Drawn as dashed horizontal lines on the ``V`` panel.
    dt : float > 0. Step t = 1..T is drawn at ``t * dt``.
    time_unit : "time step" (default) or a unit such as "ms" (axis label "time (ms)").
    title : str, optional. Figure title.
    equation : True for the Euler LIF equation, or a mathtext string.
    axes : sequence of Axes, one per panel, to draw into an existing figure.
    V_label : str, legend label of the ``V`` line (e.g. ``"SNU state $s_t$"``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = [(n, a) for n, a in (("I", I), ("V", V), ("spikes", spikes)) if a is not None]
    if not panels:
        raise ValueError("plot_neuron needs at least one of I, V or spikes")
    arrays = {}
    for name, value in panels:
        arr = _array(value, name)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D (one neuron, shape (T,)), got shape {arr.shape}; "
                             f"pick one neuron, e.g. {name}[:, {', '.join(['0'] * max(1, arr.ndim - 1))}]")
        arrays[name] = arr
    lengths = {name: a.size for name, a in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"I, V and spikes must have the same length T, got {lengths}")
    T = next(iter(lengths.values()))
    dt = _positive(dt, "dt")
    v_th = _optional_real(v_th, "v_th")
    v_reset = _optional_real(v_reset, "v_reset")
    equation = _equation_text(equation, LIF_EQUATION)
    xlabel = _time_label(time_unit)
    t = _times(T, dt)

    axes = _check_axes(axes, len(panels))
    if axes is None:
        heights = [1.0 if n == "spikes" else 2.0 for n, _ in panels]
        fig, grid = _new_figure(len(panels), 1, figsize=(8, 1.2 + 1.6 * len(panels)), sharex=True,
                                gridspec_kw={"height_ratios": heights})
        axes = list(grid[:, 0])
    else:
        for ax in axes[1:]:
            if ax.get_shared_x_axes().joined(ax, axes[0]):
                continue                  # already shared (e.g. plt.subplots(sharex=True))
            ax.sharex(axes[0])
        fig = axes[0].figure

    for ax, (name, _) in zip(axes, panels):
        arr = arrays[name]
        if name == "I":
            ax.plot(t, arr, drawstyle="steps-pre", color="tab:green", label="input current $I_t$")
            ax.set_ylabel("input current $I$")
        elif name == "V":
            ax.plot(t, arr, color="tab:blue", label=V_label)
            if v_th is not None:
                ax.axhline(v_th, label=r"threshold $v_{th}$", **THRESHOLD_STYLE)
            if v_reset is not None:
                ax.axhline(v_reset, label=r"reset $v_{reset}$", **RESET_STYLE)
            ax.set_ylabel("membrane potential $V$")
            if v_th is not None or v_reset is not None:
                # outside the axes: a threshold-crossing trace is never hidden behind the legend
                ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0.0)
        else:
            k = np.flatnonzero(arr)
            ax.vlines(t[k], 0.0, 1.0, color=SPIKE_COLOR, linewidth=1.5, label="spikes")
            ax.set_ylim(-0.1, 1.1)
            ax.set_yticks([])
            ax.set_ylabel("spikes")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel(xlabel)
    _int_ticks(axes[-1], time_unit, dt)
    axes[-1].set_xlim(0.0, (T + 0.5) * dt)
    _decorate(fig, axes[0], title, equation)
    return fig


def plot_fi_curve(I, rates_sim=None, rates_analytic=None, rheobase=None, rate_unit=None,
                  current_unit=None, ax=None, title=None, equation=None):
    """The f-I curve: firing rate against a constant input current.

    Parameters
    ----------
    I : 1-D array of currents.
    rates_sim : 1-D array like ``I``, optional. Simulated rates (markers), e.g. ``lif.fi_curve``.
    rates_analytic : 1-D array like ``I``, optional. Analytic rates (line), ``lif.firing_rate``.
    rheobase : float, optional. Drawn as a dashed vertical line (``v_th / R``).
    rate_unit, current_unit : str, optional. Units for the axis labels.
    ax : Axes, optional.  title : str, optional.
    equation : True for the LIF rate formula, or a mathtext string.
    """
    I = _array(I, "I", ndim=1)
    curves = {"rates_sim": rates_sim, "rates_analytic": rates_analytic}
    curves = {k: _array(v, k, ndim=1) for k, v in curves.items() if v is not None}
    if not curves:
        raise ValueError("plot_fi_curve needs rates_sim and/or rates_analytic")
    for k, v in curves.items():
        if v.shape != I.shape:
            raise ValueError(f"{k} must have the same shape as I {I.shape}, got {v.shape}")
    rheobase = _optional_real(rheobase, "rheobase")
    equation = _equation_text(equation, RATE_EQUATION)
    if ax is None:
        fig, grid = _new_figure(figsize=(6, 4))
        ax = grid[0, 0]
    else:
        fig = ax.figure
    if "rates_analytic" in curves:
        ax.plot(I, curves["rates_analytic"], color="tab:blue", label="analytic")
    if "rates_sim" in curves:
        ax.plot(I, curves["rates_sim"], "o", color="tab:orange", markersize=4, label="simulated")
    if rheobase is not None:
        ax.axvline(rheobase, label=r"rheobase $v_{th}/R$", **THRESHOLD_STYLE)
    ax.set_xlabel("input current $I$" + (f" ({current_unit})" if current_unit else ""))
    ax.set_ylabel("firing rate" + (f" ({rate_unit})" if rate_unit else " (spikes / time unit)"))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    _single_axes_titles(ax, title, equation)
    return fig


# --------------------------------------------------------------------------------------------
# layers
# --------------------------------------------------------------------------------------------
def plot_raster(spikes, dt=1.0, ax=None, title=None, time_unit="time step", ylabel="neuron index"):
    """Spike raster: a tick at (time, neuron index) for each spike.

    Parameters
    ----------
    spikes : (T, N) array (or (T,) for one neuron); nonzero entries are spikes.
    dt : float > 0.  ax : Axes, optional.  title : str, optional.
    time_unit : "time step" or a unit such as "ms".
    ylabel : what the rows are (e.g. "input pixel", "output unit (digit)").
    """
    spikes = _array(spikes, "spikes", ndim=(1, 2))
    if spikes.ndim == 1:
        spikes = spikes[:, None]
    T, N = spikes.shape
    dt = _positive(dt, "dt")
    xlabel = _time_label(time_unit)
    if ax is None:
        fig, grid = _new_figure(figsize=(8, min(1.5 + 0.25 * N, 8)))
        ax = grid[0, 0]
    else:
        fig = ax.figure
    if N <= 40:
        k, n = np.nonzero(spikes)
        ax.scatter((k + 1) * dt, n, marker="|", s=60, color=SPIKE_COLOR, linewidths=1.2)
    else:   # many neurons: ticks would merge into bars; one black pixel per spike reads better
        ax.imshow((spikes != 0).T, aspect="auto", origin="lower", interpolation="nearest", cmap="Greys",
                  vmin=0, vmax=1, extent=_image_extent(T, N, dt))
    ax.set_xlim(0.0, (T + 0.5) * dt)
    ax.set_ylim(-0.5, N - 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=min(N, 8), integer=True))
    ax.set_xlabel(xlabel)
    _int_ticks(ax, time_unit, dt)
    ax.set_ylabel(str(ylabel))
    if title:
        ax.set_title(title)
    return fig


def plot_states(s, y=None, threshold=None, title=None, dt=1.0, time_unit="time step", equation=None):
    """A layer's states over time as a heat map (neuron index vs time), with a colorbar.

    Parameters
    ----------
    s : (T, N) states (e.g. the SNU's ``s`` for one sample: ``s[:, 0]`` of a (T, B, N) run).
    y : (T, N) output spikes, optional. Drawn as a raster in a second panel below, same time axis.
    threshold : float, optional. Marked on the (linear) colour bar with a dashed line, so that the
        states above it stand out. For an SNU, ``threshold = -b``.
    title : str, optional.  dt, time_unit : as in :func:`plot_raster`.
    equation : True for the SNU equations, or a mathtext string.
    """
    s = _array(s, "s", ndim=2)
    T, N = s.shape
    if y is not None:
        y = _array(y, "y", ndim=2)
        if y.shape != s.shape:
            raise ValueError(f"y must have the same shape as s {s.shape}, got {y.shape}")
    threshold = _optional_real(threshold, "threshold")
    dt = _positive(dt, "dt")
    equation = _equation_text(equation, SNU_EQUATION)
    xlabel = _time_label(time_unit)
    nrows = 1 if y is None else 2
    fig, grid = _new_figure(nrows, 1, figsize=(8, 3 + 2 * (nrows - 1)), sharex=True,
                            gridspec_kw={"height_ratios": [3, 2][:nrows]})
    ax = grid[0, 0]
    lo, hi = float(s.min()), float(s.max())
    if threshold is not None:                 # keep the threshold on the (linear) scale
        lo, hi = min(lo, threshold), max(hi, threshold)
    if hi <= lo:
        hi = lo + 1.0
    norm, cmap = colors.Normalize(vmin=lo, vmax=hi), "viridis"
    im = ax.imshow(s.T, aspect="auto", origin="lower", interpolation="nearest", cmap=cmap, norm=norm,
                   extent=_image_extent(T, N, dt))
    label = "state $s_t$" if threshold is None else "state $s_t$ (dashed: threshold)"
    cbar = fig.colorbar(im, ax=ax, label=label)
    if threshold is not None:
        cbar.ax.axhline(threshold, color="white", linestyle="--", linewidth=1.5)
    ax.set_ylabel("neuron index")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=min(N, 8), integer=True))
    if y is not None and np.all((y == 0) | (y == 1)):
        plot_raster(y, dt=dt, ax=grid[1, 0], time_unit=time_unit)
        grid[1, 0].set_ylabel("neuron index\n(output spikes $y_t$)")
    elif y is not None:               # soft SNU: y is a spiking probability, not a spike
        im_y = grid[1, 0].imshow(y.T, aspect="auto", origin="lower", interpolation="nearest", cmap="Greys",
                                 vmin=0.0, vmax=1.0, extent=_image_extent(T, N, dt))
        fig.colorbar(im_y, ax=grid[1, 0], label="output $y_t$")
        grid[1, 0].set_ylabel("neuron index")
    grid[-1, 0].set_xlabel(xlabel)
    _int_ticks(grid[-1, 0], time_unit, dt)
    _decorate(fig, ax, title, equation)
    return fig


def plot_gradient_flow(ds, title=None, log=True, dt=1.0, time_unit="time step", equation=None):
    """How the gradient flows back in time: ``|dL/ds_t|`` per neuron and step, and its mean.

    Parameters
    ----------
    ds : (T, N) gradient of the loss with respect to the states, or (T, B, N) (the absolute
        value is then averaged over the batch axis).
    title : str, optional.
    log : bool. Logarithmic colour scale and y axis (zeros are shown as the lowest colour).
    dt, time_unit : as in :func:`plot_raster`.
    equation : True for the BPTT recursion of ``dL/ds_t``, or a mathtext string.
    """
    ds = _array(ds, "ds", ndim=(2, 3))
    mag = np.abs(ds) if ds.ndim == 2 else np.abs(ds).mean(axis=1)
    T, N = mag.shape
    dt = _positive(dt, "dt")
    if not isinstance(log, (bool, np.bool_)):
        raise TypeError(f"log must be a bool, got {type(log).__name__}")
    equation = _equation_text(equation, GRADIENT_EQUATION)
    xlabel = _time_label(time_unit)
    positive = mag[mag > 0]
    use_log = bool(log) and positive.size > 0
    fig, grid = _new_figure(2, 1, figsize=(8, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    ax, ax_mean = grid[0, 0], grid[1, 0]
    if use_log:
        vmin, vmax = float(positive.min()), float(positive.max())
        if vmax <= vmin:
            vmax = 10.0 * vmin
        norm = colors.LogNorm(vmin=vmin, vmax=vmax)
        shown = np.where(mag > 0, mag, vmin)
    else:
        norm, shown = None, mag
    im = ax.imshow(shown.T, aspect="auto", origin="lower", interpolation="nearest", cmap="magma",
                   norm=norm, extent=_image_extent(T, N, dt))
    fig.colorbar(im, ax=ax, label=r"$|\partial L / \partial s_t|$")
    ax.set_ylabel("neuron index")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=min(N, 8), integer=True))
    mean = mag.mean(axis=1)
    shown = np.where(mean > 0, mean, np.nan) if use_log else mean   # zeros have no place on a log axis
    ax_mean.plot(_times(T, dt), shown, color="tab:purple", marker=".", label="mean over neurons")
    if use_log and np.any(mean > 0):
        ax_mean.set_yscale("log")
        if np.any(mean == 0):
            ax_mean.text(0.01, 0.03, "steps with zero gradient not drawn", transform=ax_mean.transAxes,
                         fontsize="x-small", color="0.35")
    ax_mean.set_ylabel(r"mean $|\partial L / \partial s_t|$")
    ax_mean.set_xlabel(xlabel)
    _int_ticks(ax_mean, time_unit, dt)
    ax_mean.grid(alpha=0.3)
    ax_mean.legend(loc="best", fontsize="small")
    _decorate(fig, ax, title, equation)
    return fig


# --------------------------------------------------------------------------------------------
# surrogates
# --------------------------------------------------------------------------------------------
def plot_surrogates(names=None, scale=None, u_range=(-4.0, 4.0), title=None):
    """The surrogate gallery: for each surrogate, the step, its pseudo-derivative and its primitive.

    One row per surrogate, three columns: the forward step ``h(u)`` (the same for all), the
    pseudo-derivative ``h'(u)`` used by the backward pass (titled with ``surrogate.formula``) and
    the smooth function it is the exact derivative of (titled with ``surrogate.primitive_formula``).

    Parameters
    ----------
    names : list of surrogate names (keys of ``SURROGATES``), default all.
    scale : None (each surrogate's default), a float for all, or a dict name -> float.
    u_range : (low, high) of the horizontal axis ``u = s + b``.
    title : str, optional.
    """
    if names is None:
        names = list(SURROGATES)
    elif isinstance(names, str):
        names = [names]
    names = list(names)
    if not names:
        raise ValueError("names must list at least one surrogate")
    if isinstance(scale, dict):
        unknown = set(scale) - set(names)
        if unknown:
            raise ValueError(f"scale has entries for surrogates not in names: {sorted(unknown)}")
        surrogates = [get_surrogate(n, scale.get(n)) for n in names]
    else:
        surrogates = [get_surrogate(n, scale) for n in names]
    try:
        lo, hi = (float(v) for v in u_range)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"u_range must be a pair of numbers, got {u_range!r}") from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"u_range must satisfy low < high, got {u_range!r}")
    u = np.linspace(lo, hi, 801)

    fig, grid = _new_figure(len(surrogates), 3, figsize=(10, 1.2 + 2.1 * len(surrogates)), sharex=True)
    for row, sur in zip(grid, surrogates):
        ax_step, ax_grad, ax_prim = row
        ax_step.plot(u, sur.fn(u), color=SPIKE_COLOR, drawstyle="steps-post", label="step $h(u)$")
        ax_step.set_title(f"{sur.name} ($\\alpha$ = {sur.scale:g}): forward step", fontsize="medium")
        ax_step.set_ylabel(sur.name)
        ax_grad.plot(u, sur.grad(u), color="tab:blue", label=r"pseudo-derivative $h'(u)$")
        ax_grad.set_title(sur.formula)
        ax_prim.plot(u, sur.primitive(u), color="tab:green", label="primitive")
        ax_prim.set_title(sur.primitive_formula)
        for ax in row:
            ax.axvline(0.0, color="gray", linewidth=0.8, linestyle=":")
            ax.grid(alpha=0.3)
    for ax in grid[-1]:
        ax.set_xlabel("$u = s + b$")
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------------------------
# music and training
# --------------------------------------------------------------------------------------------
def _pitch_ticks(ax, low, high):
    ticks = [p for p in range(low, high + 1) if p % 12 == 0]
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"C{p // 12 - 1} ({p})" for p in ticks])


def plot_piano_roll(roll, probs=None, midi_offset=21, title=None, dt=1.0, time_unit="time step"):
    """A piano roll (time on x, MIDI pitch on y) and, optionally, predicted note probabilities.

    Parameters
    ----------
    roll : (T, P) array, 1 where a note sounds (P = 88 for a piano).
    probs : (T, P) array in [0, 1], optional. Drawn beside the roll on the same axes (shared
        time and pitch scales), with a colorbar.
    midi_offset : int. MIDI number of column 0 (21 = A0 for an 88-key piano).
    title : str, optional.  dt, time_unit : as in :func:`plot_raster`.
    """
    roll = _array(roll, "roll", ndim=2)
    T, P = roll.shape
    if isinstance(midi_offset, bool) or not isinstance(midi_offset, numbers.Integral) or midi_offset < 0:
        raise ValueError(f"midi_offset must be a non-negative integer, got {midi_offset!r}")
    midi_offset = int(midi_offset)
    dt = _positive(dt, "dt")
    xlabel = _time_label(time_unit)
    if probs is not None:
        probs = _array(probs, "probs", ndim=2)
        if probs.shape != roll.shape:
            raise ValueError(f"probs must have the same shape as roll {roll.shape}, got {probs.shape}")
        if probs.min() < 0 or probs.max() > 1:
            raise ValueError("probs must lie in [0, 1]")
    ncols = 1 if probs is None else 2
    fig, grid = _new_figure(1, ncols, figsize=(6 * ncols, 4.5), sharex=True, sharey=True)
    extent = _image_extent(T, P, dt, first=midi_offset)
    ax = grid[0, 0]
    ax.imshow(roll.T, aspect="auto", origin="lower", interpolation="nearest", cmap="Greys",
              vmin=0.0, vmax=max(1.0, float(roll.max())), extent=extent)
    ax.set_title("piano roll (target notes)")
    ax.set_ylabel("MIDI pitch")
    _pitch_ticks(ax, midi_offset, midi_offset + P - 1)
    if probs is not None:
        axp = grid[0, 1]
        im = axp.imshow(probs.T, aspect="auto", origin="lower", interpolation="nearest",
                        cmap="viridis", vmin=0.0, vmax=1.0, extent=extent)
        axp.set_title("predicted probabilities")
        fig.colorbar(im, ax=axp, label="probability")
    for a in grid[0]:
        a.set_xlabel(xlabel)
        _int_ticks(a, time_unit, dt)
    if title:
        fig.suptitle(title)
    return fig


_SPLITS = (("train", "train"), ("val", "validation"), ("test", "test"))


def plot_training_curves(history, metrics=("loss", "accuracy"), title=None, axes=None):
    """One panel per metric, each with its train / validation / test curves over epochs.

    Parameters
    ----------
    history : list of dicts (one per epoch) or a dict of lists
        For example ``[{"epoch": 1, "train_loss": 0.7, "val_loss": 0.8}, ...]``. Values may be
        missing (or None) in some epochs, e.g. a validation score computed every 5 epochs. The x
        axis is ``"epoch"`` when present, else 1, 2, ...
    metrics : names; for each, the keys ``train_<m>``, ``val_<m>``, ``test_<m>`` and ``<m>`` are
        plotted when present (e.g. ``"nll"`` plots ``val_nll``).
    title : str, optional.  axes : sequence of Axes, one per metric, optional.
    """
    if isinstance(history, dict):
        lengths = {k: len(v) for k, v in history.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"history as a dict of lists needs equal lengths, got {lengths}")
        n = next(iter(lengths.values()), 0)
        history = [{k: history[k][i] for k in history} for i in range(n)]
    if not isinstance(history, (list, tuple)) or not all(isinstance(h, dict) for h in history):
        raise TypeError("history must be a list of dicts (one per epoch) or a dict of lists")
    if not history:
        raise ValueError("history is empty")
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = tuple(metrics)
    if not metrics:
        raise ValueError("metrics must name at least one metric")
    keys = sorted({k for h in history for k in h})

    def series(key):
        xs, ys = [], []
        for i, h in enumerate(history):
            v = h.get(key)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"history value {key!r} at epoch index {i} must be a number, got {v!r}")
            xs.append(h.get("epoch", i + 1))
            ys.append(float(v))
        return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)

    found = {}
    for m in metrics:
        lines = [(f"{p}_{m}", label) for p, label in _SPLITS if f"{p}_{m}" in keys]
        if m in keys:
            lines.append((m, m))
        if not lines:
            raise ValueError(f"metric {m!r} not found in history: expected a key like 'train_{m}' or "
                             f"'val_{m}'; available keys: {keys}")
        found[m] = [(key, label, series(key)) for key, label in lines]

    axes = _check_axes(axes, len(metrics))
    if axes is None:
        fig, grid = _new_figure(1, len(metrics), figsize=(4.5 * len(metrics), 3.5))
        axes = list(grid[0])
    else:
        fig = axes[0].figure
    for ax, m in zip(axes, metrics):
        for key, label, (x, y) in found[m]:
            ax.plot(x, y, marker="o" if x.size <= 30 else None, markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(m.replace("_", " "))
        ax.set_title(m.replace("_", " "))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------------------------
# event-based input
# --------------------------------------------------------------------------------------------
def _as_images(x, name, allow_single):
    """(T, D) / (T, h, w) / (T, 2, h, w) / (T, 2*D) -> (T, h, w), two polarities as ON - OFF.

    Returns the images and whether they are signed (two polarities).
    """
    x = _array(x, name, ndim=(2, 3, 4))
    if allow_single and x.ndim == 2 and x.shape[0] == x.shape[1]:
        return x[None], False                                           # one (h, w) image
    if x.ndim == 4:
        if x.shape[1] != 2:
            raise ValueError(f"{name} with 4 dimensions must be (T, 2, h, w) (ON/OFF), got {x.shape}")
        return x[:, 0] - x[:, 1], True
    if x.ndim == 3:
        return x, False
    T, D = x.shape
    side = int(round(np.sqrt(D)))
    if side * side == D:
        return x.reshape(T, side, side), False
    side = int(round(np.sqrt(D / 2)))
    if 2 * side * side == D:
        two = x.reshape(T, 2, side, side)
        return two[:, 0] - two[:, 1], True
    raise ValueError(f"{name} must be (T, h*w) with square images (e.g. 784 = 28*28) or "
                     f"(T, 2*h*w), got shape {x.shape}")


def plot_events(frames, events, n_steps=None, title=None):
    """Input frames above the events they produce: one column per time step.

    Parameters
    ----------
    frames : (T, 28, 28) or (T, 784) input frames (e.g. the jittered image at each step), or a
        single (28, 28) image shown above every column.
    events : (T, 784), (T, 28, 28), or with two polarities (T, 2, 28, 28) / (T, 1568), shown as
        ON - OFF in red/blue.
    n_steps : int, optional. Number of steps (columns) shown, the first ones; default min(T, 10).
    title : str, optional.
    """
    imgs, _ = _as_images(frames, "frames", allow_single=True)
    ev, polar = _as_images(events, "events", allow_single=False)
    T = ev.shape[0]
    if imgs.shape[0] not in (1, T):
        raise ValueError(f"frames and events must have the same number of steps, got "
                         f"{imgs.shape[0]} and {T}")
    if imgs.shape[1:] != ev.shape[1:]:
        raise ValueError(f"frames and events must have the same image size, got {imgs.shape[1:]} "
                         f"and {ev.shape[1:]}")
    if n_steps is None:
        n_steps = min(T, 10)
    if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral) or not 1 <= n_steps <= T:
        raise ValueError(f"n_steps must be an integer in [1, T = {T}], got {n_steps!r}")
    n_steps = int(n_steps)
    fig, grid = _new_figure(2, n_steps, figsize=(1.3 * n_steps + 1.0, 3.2))
    fmax = max(float(np.abs(imgs).max()), 1e-12)
    emax = max(float(np.abs(ev[:n_steps]).max()), 1e-12)
    for k in range(n_steps):
        a_in, a_ev = grid[0, k], grid[1, k]
        a_in.imshow(imgs[k if imgs.shape[0] > 1 else 0], cmap="gray", vmin=0.0, vmax=fmax,
                    interpolation="nearest")
        if polar:
            a_ev.imshow(ev[k], cmap="bwr", vmin=-emax, vmax=emax, interpolation="nearest")
        else:
            a_ev.imshow(ev[k], cmap="gray_r", vmin=0.0, vmax=emax, interpolation="nearest")
        a_in.set_title(f"t = {k + 1}", fontsize="small")
        for a in (a_in, a_ev):
            a.set_xticks([])
            a.set_yticks([])
    grid[0, 0].set_ylabel("input")
    grid[1, 0].set_ylabel("events (ON−OFF)" if polar else "events")
    if title:
        fig.suptitle(title)
    return fig
