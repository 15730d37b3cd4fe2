"""A statistical model of phase-change-memory (PCM) devices: programming noise, drift, read noise.

The model is the one fitted by Nandakumar et al. (ICECS 2019) on a million-device PCM chip and used
for inference studies by Joshi et al. (Nature Communications 11, 2473, 2020). Everything is in
microsiemens (µS) and seconds. Docs: ``docs/derivations/analog.md``.

A device's life in three calls::

    pcm = PCM(seed=0)
    g_p = pcm.program(g_target)             # write: the target plus programming noise   (pcm-prog)
    nu = pcm.drift_coefficients(g_target)   # each device's drift exponent, drawn once   (pcm-nu)
    g_t = pcm.read(g_p, nu, t=86400.0)      # read one day later: drift + 1/f read noise  (pcm-read)
"""
from __future__ import annotations

import numpy as np

from .._validate import as_float_array, as_rng, check_real

__all__ = ["PCM", "parse_time", "parse_times", "TIME_UNITS"]

#: the coefficients of the fits (Nandakumar et al. 2019), kept here so a student can find them
PROG_COEFFS = (0.26348, 1.9650, -1.1731)      # sigma_prog = c0 + c1 g + c2 g^2   [µS at g_max = 25 µS]
NU_MEAN = (-0.0155, 0.0244, 0.049, 0.1)       # mu_nu = clip(a ln g + b, lo, hi)
NU_STD = (-0.0125, -0.0059, 0.008, 0.045)     # sigma_nu = clip(a ln g + b, lo, hi)
READ_Q = (0.0088, 0.65, 0.2)                  # Q_s = min(q / g_P^e, q_max)
G_FLOOR_DRIFT = 1e-7                          # ln g needs g > 0: a device at 0 µS drifts as one at 1e-7 g_max
G_FLOOR_READ = 1e-3


class PCM:
    """A population of PCM devices, described by its statistics (no state: arrays go in and out).

    Parameters
    ----------
    g_max : float
        Largest programmable conductance, µS (25 in the papers). A weight w maps to
        ``g = |w| / w_max`` (a fraction of g_max).
    t0 : float
        Drift reference time, seconds: the first read after programming happens t0 after it.
    t_read : float
        Duration of one read, seconds (sets the low-frequency cut-off of the 1/f noise).
    prog_noise_scale, drift_scale, read_noise_scale : float >= 0
        Multiply the programming-noise std, the drift exponent nu and the read-noise amplitude
        (1 = the published device; 0 switches the effect off, e.g. to study one effect at a time).
    seed : None, int or numpy.random.Generator
        All random draws (programming noise, nu, read noise) come from this one generator.
    """

    def __init__(self, g_max=25.0, t0=20.0, t_read=250e-9, prog_noise_scale=1.0, drift_scale=1.0,
                 read_noise_scale=1.0, seed=None):
        self.g_max = check_real(g_max, "g_max", low=0.0, low_open=True)
        self.t0 = check_real(t0, "t0", low=0.0, low_open=True)
        self.t_read = check_real(t_read, "t_read", low=0.0, low_open=True)
        self.prog_noise_scale = check_real(prog_noise_scale, "prog_noise_scale", low=0.0)
        self.drift_scale = check_real(drift_scale, "drift_scale", low=0.0)
        self.read_noise_scale = check_real(read_noise_scale, "read_noise_scale", low=0.0)
        self.rng = as_rng(seed)

    def __repr__(self):
        return (f"PCM(g_max={self.g_max:g}, t0={self.t0:g}, t_read={self.t_read:g}, "
                f"prog_noise_scale={self.prog_noise_scale:g}, drift_scale={self.drift_scale:g}, "
                f"read_noise_scale={self.read_noise_scale:g})")

    # --- checks --------------------------------------------------------------------------------
    def _conductance(self, g, name):
        """A float64 array of conductances in [0, g_max] µS (a tiny overshoot from rounding is clipped)."""
        g = as_float_array(g, name, dtype=np.float64)
        if g.size and g.min() < 0:
            raise ValueError(f"{name} must be >= 0 µS (a conductance), got a minimum of {g.min():g}")
        if g.size and g.max() > self.g_max * (1 + 1e-6):
            raise ValueError(f"{name} must be <= g_max = {self.g_max:g} µS, got a maximum of {g.max():g}; "
                             f"map the weights with weights_to_conductances first")
        return np.minimum(g, self.g_max)

    # --- programming ---------------------------------------------------------------------------
    def prog_std(self, g_target):
        """Standard deviation of the programming noise, :eq:`pcm-prog`.

        Parameters
        ----------
        g_target : array_like, µS in [0, g_max]

        Returns
        -------
        sigma_prog : ndarray, µS, same shape (before ``prog_noise_scale``)
        """
        G = self._conductance(g_target, "g_target")
        g = G / self.g_max
        c0, c1, c2 = PROG_COEFFS
        # the fit was made at g_max = 25 µS; another g_max scales the noise with the range   (pcm-prog)
        return (c0 + c1 * g + c2 * g ** 2) * self.g_max / 25.0

    def program(self, g_target):
        """Program devices to ``g_target``: G_P = max(G_T + sigma_prog N(0, 1), 0), :eq:`pcm-prog`.

        Parameters
        ----------
        g_target : array_like, µS in [0, g_max], any shape

        Returns
        -------
        g_prog : ndarray (float64), µS, same shape; >= 0 (a device cannot go below zero conductance)
        """
        G = self._conductance(g_target, "g_target")
        sigma = self.prog_noise_scale * self.prog_std(G)
        return np.maximum(G + sigma * self.rng.standard_normal(G.shape), 0.0)      # (pcm-prog)

    # --- drift ---------------------------------------------------------------------------------
    def drift_stats(self, g_target):
        """Mean and std of the drift exponent's normal law, :eq:`pcm-nu`: ``(mu_nu, sigma_nu)``."""
        G = self._conductance(g_target, "g_target")
        lg = np.log(np.maximum(G / self.g_max, G_FLOOR_DRIFT))
        a, b, lo, hi = NU_MEAN
        mu = np.clip(a * lg + b, lo, hi)                                              # (pcm-nu)
        a, b, lo, hi = NU_STD
        sd = np.clip(a * lg + b, lo, hi)
        return mu, sd

    def drift_coefficients(self, g_target):
        """Each device's drift exponent, drawn once: nu = drift_scale |N(mu_nu, sigma_nu)|, :eq:`pcm-nu`.

        Parameters
        ----------
        g_target : array_like, µS in [0, g_max]
            The conductance the device was programmed *to* (the law depends on the target).

        Returns
        -------
        nu : ndarray (float64), same shape, >= 0 (dimensionless)
        """
        mu, sd = self.drift_stats(g_target)
        # |.| because conductance never grows by drift: a negative draw is folded back   (pcm-nu)
        return self.drift_scale * np.abs(mu + sd * self.rng.standard_normal(mu.shape))

    def drift(self, g_prog, nu, t):
        """Noise-free drifted conductance G(t) = G_P ((t + t0) / t0)^(-nu), :eq:`pcm-drift` (µS)."""
        G = as_float_array(g_prog, "g_prog", dtype=np.float64)
        nu = as_float_array(nu, "nu", dtype=np.float64)
        t = self._time(t)
        return G * ((t + self.t0) / self.t0) ** (-nu)                                 # (pcm-drift)

    def read_std(self, g_prog, nu, t):
        """Standard deviation of one read at time t (before clipping at 0), :eq:`pcm-read` (µS)."""
        G = as_float_array(g_prog, "g_prog", dtype=np.float64)
        Gt = self.drift(G, nu, t)
        t = self._time(t)
        gp = np.maximum(G / self.g_max, G_FLOOR_READ)
        q, e, qmax = READ_Q
        Qs = np.minimum(q / gp ** e, qmax)                                            # (pcm-read)
        # 1/f noise integrated from 1 / (t + t0) to 1 / (2 t_read): grows like sqrt(ln t)
        spread = np.sqrt(np.log((t + self.t0 + self.t_read) / (2 * self.t_read)))
        return self.read_noise_scale * np.abs(Gt) * Qs * spread

    def read(self, g_prog, nu, t):
        """Read the devices t seconds after programming: drift, then 1/f read noise, :eq:`pcm-read`.

        Parameters
        ----------
        g_prog : array_like, µS
            Programmed conductances (from :meth:`program`).
        nu : array_like, broadcastable to g_prog
            Drift exponents (from :meth:`drift_coefficients`).
        t : float or array_like >= 0, seconds after programming (broadcastable to g_prog)

        Returns
        -------
        g_t : ndarray (float64), µS, >= 0. Every call draws new read noise: two reads of the same
        device differ, as on the chip.
        """
        Gt = self.drift(g_prog, nu, t)
        sd = self.read_std(g_prog, nu, t)
        return np.maximum(Gt + sd * self.rng.standard_normal(np.shape(Gt)), 0.0)      # (pcm-read)

    def _time(self, t):
        t = np.asarray(t, dtype=np.float64) if not isinstance(t, np.ndarray) else t.astype(np.float64)
        if not np.all(np.isfinite(t)):
            raise ValueError("t must be finite (seconds after programming)")
        if t.size and t.min() < 0:
            raise ValueError(f"t must be >= 0 seconds after programming, got {t.min():g}")
        return t


# --------------------------------------------------------------------------------------------------
# times such as "1h" or "1y"
# --------------------------------------------------------------------------------------------------
TIME_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0, "y": 365 * 86400.0}


def parse_time(text):
    """``"30m"`` -> 1800.0 seconds. Units: s, m (minutes), h, d, w, y (365 days); a bare number is
    seconds. Raises :class:`~snu_np.errors.UsageError` naming the bad text."""
    from ..errors import UsageError
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, s = float(text), str(text)
    else:
        if not isinstance(text, str):
            raise UsageError(f"a time must be a string like '1h' or a number of seconds, got {text!r}")
        s = text.strip().lower()
        unit = s[-1:] if s[-1:] in TIME_UNITS else "s"
        num = s[:-1] if s[-1:] in TIME_UNITS else s
        try:
            value = float(num) * TIME_UNITS[unit]
        except ValueError:
            raise UsageError(f"cannot read the time {text!r}: write a number and a unit "
                             f"({', '.join(TIME_UNITS)}), e.g. 1s, 30m, 1h, 1d, 1y") from None
    if not np.isfinite(value) or value < 0:
        raise UsageError(f"a time after programming must be finite and >= 0, got {s!r}")
    return value


def parse_times(text):
    """``"1s,1h,1d,1y"`` (or a list of such items) -> list of seconds, in the given order."""
    from ..errors import UsageError
    items = text.split(",") if isinstance(text, str) else list(text)
    items = [i for i in items if not (isinstance(i, str) and not i.strip())]
    if not items:
        raise UsageError(f"no times given in {text!r}; write e.g. 1s,1h,1d,1y")
    return [parse_time(i) for i in items]
