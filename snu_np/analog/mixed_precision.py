"""Training in memory, simulated: the mixed-precision scheme of Nandakumar et al. (Frontiers in
Neuroscience 14, 406, 2020).

The weights live on PCM devices, where the forward and backward passes use them. A digital unit
computes the desired update dW (here: any snu-np optimiser's step) and accumulates it in a
high-precision variable chi. Only whole multiples of the device granularity epsilon reach the
devices, as programming pulses, each with its own noise; the rest stays in chi for later::

    chi <- chi + dW / beta                              (mp-accumulate)
    n   <- trunc(chi / epsilon);  chi <- chi - n epsilon (mp-pulses)
    G+  <- G+ + n epsilon + rho epsilon sqrt(n) xi   (n > 0; G- likewise for n < 0)

Usage, in place of the optimiser::

    opt = MixedPrecision(Adam(net, lr=1e-3), epsilon=0.2, pulse_noise=0.5, seed=0)
    loss, y = forward_backward(net, x, target, loss_fn)
    opt.step()

Docs: ``docs/derivations/analog.md``.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from .._validate import as_rng, check_int, check_real
from .mapping import weights_to_conductances
from .pcm import PCM

__all__ = ["MixedPrecision", "DEFAULT_EPSILON", "DEFAULT_PULSE_NOISE"]

#: device granularity, µS: the mean conductance change of one programming pulse (see the docs
#: for why 0.2 µS: about g_max / 125, the finest step the PCM literature reports for single pulses)
DEFAULT_EPSILON = 0.2
#: pulse-to-pulse std of one pulse's conductance change, as a fraction of epsilon
DEFAULT_PULSE_NOISE = 0.5
#: a pair is refreshed only if the partner of the full device holds more than this fraction of g_max
#: (after a refresh the partner sits near 0 µS, so a weight at the edge of the range is not
#: re-programmed at every step)
REFRESH_PARTNER = 0.05


def _encode_rng(rng):
    """A PCG64 generator's state as a uint64 array (a checkpoint holds only numeric arrays)."""
    st = rng.bit_generator.state
    if st["bit_generator"] != "PCG64":
        raise TypeError(f"only PCG64 generators can be saved, got {st['bit_generator']}")
    m = (1 << 64) - 1
    s, inc = st["state"]["state"], st["state"]["inc"]
    return np.array([s >> 64, s & m, inc >> 64, inc & m, st["has_uint32"], st["uinteger"]], dtype=np.uint64)


def _decode_rng(rng, arr):
    a = [int(v) for v in np.asarray(arr, dtype=np.uint64)]
    rng.bit_generator.state = {"bit_generator": "PCG64",
                               "state": {"state": (a[0] << 64) | a[1], "inc": (a[2] << 64) | a[3]},
                               "has_uint32": a[4], "uinteger": a[5]}


class MixedPrecision:
    """Wrap an optimiser so that its updates reach the weight matrices only as device pulses.

    Parameters
    ----------
    optimizer : snu_np.optim.Optimizer (SGD, Adam), or a model
        Computes the desired update. A model (anything with ``parameters()``) gets plain SGD with
        ``lr``, the optimiser of the paper's hardware experiment.
    epsilon : float > 0, µS
        Device granularity: the mean conductance change of one pulse.
    pulse_noise : float >= 0
        Std of one pulse's conductance change as a fraction of epsilon (rho).
    pcm : PCM, optional
        The device's g_max and programming noise (for the initial programming and the refresh);
        its random generator is not used (all draws come from ``seed``). Default ``PCM()``.
    w_max : float, optional
        The weight that g_max stands for, for every matrix (default: ``headroom`` times the
        matrix's max|W| when wrapped). Weights cannot leave [-w_max, w_max].
    headroom : float >= 1
        Trained weights outgrow their initial range; with 2 instead of 4, the sSNU on the embedded
        JSB subset ended 0.17 nats per step worse, its weights stuck at +-w_max.
    refresh : float in (0, 1]
        When a device of a pair passes ``refresh * g_max`` (and its partner holds more than
        ``REFRESH_PARTNER * g_max``), the pair is re-programmed: its weight read, both devices
        reset, and the weight programmed again onto one of them (with programming noise).
        Conductance can only grow by pulses, so without it both devices of a busy pair end up
        saturated.
    keys : the parameters stored on devices (W and H); all others (biases, decays) are updated in
        full precision by the inner optimiser.
    seed : None, int or Generator: initial programming, pulse noise, refresh.
    lr : learning rate of the SGD made when ``optimizer`` is a model.

    ``state_dict()`` holds the inner optimiser's state, chi, both conductances of every pair, the
    counters and the random generator's state, so a resumed run continues exactly.
    """

    def __init__(self, optimizer, epsilon=DEFAULT_EPSILON, pulse_noise=DEFAULT_PULSE_NOISE, pcm=None, seed=None,
                 w_max=None, headroom=4.0, refresh=0.95, keys=("W", "H"), lr=0.01):
        from ..errors import UsageError
        from ..optim import SGD
        if hasattr(optimizer, "step") and hasattr(optimizer, "model"):
            self.inner = optimizer
        elif hasattr(optimizer, "parameters"):
            self.inner = SGD(optimizer, lr=lr)
        else:
            raise TypeError("optimizer must be an snu_np optimiser (SGD, Adam) or a model with parameters()")
        if getattr(self.inner, "ema", None) is not None:
            raise UsageError("MixedPrecision does not support an inner optimiser with ema: its average "
                             "would follow the desired weights, not the devices'")
        self.epsilon = check_real(epsilon, "epsilon", low=0.0, low_open=True)
        self.pulse_noise = check_real(pulse_noise, "pulse_noise", low=0.0)
        self.headroom = check_real(headroom, "headroom", low=1.0)
        self.refresh = check_real(refresh, "refresh", 0.0, 1.0, low_open=True)
        if pcm is not None and not isinstance(pcm, PCM):
            raise TypeError(f"pcm must be a PCM, got {type(pcm).__name__}")
        self.rng = as_rng(seed)
        p0 = PCM() if pcm is None else pcm
        self.pcm = PCM(g_max=p0.g_max, t0=p0.t0, t_read=p0.t_read, prog_noise_scale=p0.prog_noise_scale,
                       drift_scale=p0.drift_scale, read_noise_scale=p0.read_noise_scale, seed=self.rng)
        self.keys = tuple(keys)
        self.n_pulses = 0
        self.n_refresh = 0
        self.devices = {}
        for name, p, _ in self.model.parameters():
            if name.rsplit(".", 1)[-1] not in self.keys or p.ndim != 2:
                continue
            wm = (check_real(w_max, "w_max", low=0.0, low_open=True) if w_max is not None
                  else self.headroom * max(float(np.max(np.abs(p))), 1e-12))
            gp_t, gm_t, _ = weights_to_conductances(p, self.pcm.g_max, wm)
            self.devices[name] = {"beta": wm / self.pcm.g_max,          # weight units per µS
                                  "g_plus": self.pcm.program(gp_t), "g_minus": self.pcm.program(gm_t),
                                  "chi": np.zeros(p.shape, np.float64)}
            self._write(p, self.devices[name])
        if not self.devices:
            raise ValueError(f"the model has no weight matrices named {', '.join(self.keys)}")

    # --- what the training loop sees of an optimiser ---------------------------------------------
    @property
    def model(self):
        return self.inner.model

    @property
    def lr(self):
        return self.inner.lr

    @lr.setter
    def lr(self, value):
        self.inner.lr = check_real(value, "lr", low=0.0, low_open=True)

    @property
    def t(self):
        return self.inner.t

    def hyper(self):
        """The inner optimiser's hyper-parameters, and the device granularity and pulse noise."""
        return dict(self.inner.hyper(), epsilon=float(self.epsilon), pulse_noise=float(self.pulse_noise))

    ema = None

    @contextmanager
    def averaged(self):
        """No averaging: the block sees the device weights (the inner optimiser keeps no ema)."""
        yield self.model

    # --- the scheme ------------------------------------------------------------------------------
    @staticmethod
    def _write(p, d):
        """The weight the pair holds, W = beta (G+ - G-), written into the parameter array."""
        p[...] = (d["beta"] * (d["g_plus"] - d["g_minus"])).astype(p.dtype)             # (pcm-pair)

    def step(self):
        """One update: the inner optimiser's step, then its dW on each matrix via chi and pulses.

        Raises FloatingPointError (from the inner optimiser, before anything changes) if a
        gradient holds NaN or inf."""
        params = {name: p for name, p, _ in self.model.parameters() if name in self.devices}
        before = {name: p.copy() for name, p in params.items()}
        self.inner.step()                 # the desired update of every parameter, biases included
        eps, g_max = self.epsilon, self.pcm.g_max
        for name, p in params.items():
            d = self.devices[name]
            d["chi"] += (p.astype(np.float64) - before[name]) / d["beta"]                 # (mp-accumulate)
            # rounded to 9 decimals first: chi = 1.0 µS built from float updates may be 0.99999... and
            # must still give 5 pulses of 0.2 µS
            n = np.trunc(np.round(d["chi"] / eps, 9))                                     # (mp-pulses)
            d["chi"] -= n * eps
            k = np.abs(n)
            # the sum of k pulses, each eps (1 + rho xi): mean k eps, std rho eps sqrt(k)
            dg = k * eps + self.pulse_noise * eps * np.sqrt(k) * self.rng.standard_normal(n.shape)
            dg = np.maximum(dg, 0.0) * (k > 0)    # a pulse never lowers a PCM conductance
            d["g_plus"] = np.minimum(d["g_plus"] + dg * (n > 0), g_max)     # SET pulses on G+ raise W,
            d["g_minus"] = np.minimum(d["g_minus"] + dg * (n < 0), g_max)   # on G- lower it
            self.n_pulses += int(k.sum())
            self._refresh(d)
            self._write(p, d)

    def _refresh(self, d):
        """Re-program the pairs that have a device past ``refresh * g_max`` while the partner holds
        more than ``REFRESH_PARTNER * g_max``: there is range to win back. The weight is kept up to
        programming noise; conductances stay within [0, g_max], the device's range."""
        g_max = self.pcm.g_max
        full = ((np.maximum(d["g_plus"], d["g_minus"]) > self.refresh * g_max)
                & (np.minimum(d["g_plus"], d["g_minus"]) > REFRESH_PARTNER * g_max))
        if not full.any():
            return
        diff = (d["g_plus"] - d["g_minus"])[full]
        d["g_plus"][full] = np.minimum(self.pcm.program(np.clip(diff, 0.0, g_max)), g_max)
        d["g_minus"][full] = np.minimum(self.pcm.program(np.clip(-diff, 0.0, g_max)), g_max)
        self.n_refresh += int(full.sum())

    # --- checkpoints -------------------------------------------------------------------------------
    def state_dict(self):
        """Flat dict of arrays: ``inner/...``, ``chi/<name>``, ``g_plus/<name>``, ``g_minus/<name>``,
        ``beta/<name>``, the counters and ``rng``."""
        # copies: the inner optimiser hands out its live moment arrays, which the next step would change
        out = {f"inner/{k}": np.array(v, copy=True) for k, v in self.inner.state_dict().items()}
        for name, d in self.devices.items():
            out[f"chi/{name}"] = d["chi"].copy()
            out[f"g_plus/{name}"] = d["g_plus"].copy()
            out[f"g_minus/{name}"] = d["g_minus"].copy()
            out[f"beta/{name}"] = np.array(d["beta"])
        out["n_pulses"] = np.array(self.n_pulses)
        out["n_refresh"] = np.array(self.n_refresh)
        out["epsilon"] = np.array(self.epsilon)
        out["rng"] = _encode_rng(self.rng)
        return out

    def load_state_dict(self, state):
        """Restore from :meth:`state_dict` and write the device weights back into the model."""
        missing = [f"{k}/{n}" for n in self.devices for k in ("chi", "g_plus", "g_minus", "beta")
                   if f"{k}/{n}" not in state]
        if missing:
            raise KeyError(f"the saved state has no {', '.join(missing[:4])}: was it saved by MixedPrecision "
                           f"on the same network?")
        self.inner.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("inner/")})
        params = {name: p for name, p, _ in self.model.parameters()}
        for name, d in self.devices.items():
            for k in ("chi", "g_plus", "g_minus"):
                d[k] = np.array(state[f"{k}/{name}"], dtype=np.float64)
                if d[k].shape != params[name].shape:
                    raise ValueError(f"saved {k}/{name} has shape {d[k].shape}, the model's {params[name].shape}")
            d["beta"] = float(state[f"beta/{name}"])
            self._write(params[name], d)
        self.n_pulses = check_int(int(state["n_pulses"]), "n_pulses", low=0)
        self.n_refresh = check_int(int(state["n_refresh"]), "n_refresh", low=0)
        _decode_rng(self.rng, state["rng"])
