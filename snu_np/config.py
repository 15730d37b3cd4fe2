"""The run configuration: every setting of a training run, declared once.

A run is a value: a frozen :class:`RunConfig` with the task's name and four sections,

=================  =========================================================================
section            what it holds
=================  =========================================================================
``network``        the cells and their initialisation (``model``, ``layers``, ``decay``, ...)
``optim``          the optimiser and its schedule (``optimizer``, ``lr``, ``weight_decay``, ...)
``data``           encoding, loss and splits (``T``, ``loss``, ``val_size``, ...)
``run``            the loop (``epochs``, ``batch_size``, ``seed``, ``patience``, ``shards``, ...)
``analog``         simulated in-memory hardware during training (weight noise, clipping)
=================  =========================================================================

Each field is declared with :func:`setting`: its type, default, valid range or choices and help text
live in that one place, and everything else derives from it: the ``snu-np train`` flags
(:func:`add_arguments`), the TOML run files (:meth:`RunConfig.from_toml`, :meth:`RunConfig.to_toml`),
checkpoints and ``results.json`` (:meth:`RunConfig.to_dict` with ``"schema": 2``), the comparison on
``--resume`` (:meth:`RunConfig.differences`) and the table in the docs (:func:`settings_table`).
A field name is unique across sections, so a setting can be named flat (``lr``) or dotted
(``optim.lr``), and the CLI flag is the flat name with dashes (``--lr``).

A value of ``None`` in a field marked ``task_default`` means "the task's default"; :meth:`RunConfig.resolve`
fills those in, so a resolved configuration (what checkpoints and ``--print-config`` hold) names
every value explicitly and resolving it again changes nothing.

Adding a setting: declare one field here, then use it where it acts. The CLI, TOML, checkpoints
and docs follow.
"""
from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field, fields
from typing import Optional, Tuple

from .backend import BACKENDS
from .constants import G_CHOICES, SURROGATE_NAMES
from .errors import UsageError
from .functional.losses import LOSS_NAMES

__all__ = ["RunConfig", "NetworkConfig", "OptimConfig", "DataConfig", "LoopConfig", "AnalogConfig",
           "setting", "SECTIONS", "SCHEMA_VERSION", "add_arguments", "from_arguments", "settings_table",
           "field_specs", "MODELS", "G_CHOICES", "OPTIMIZERS", "LOSS_NAMES", "DTYPES", "BACKENDS",
           "SURROGATE_NAMES", "CENTER_CHOICES"]

SCHEMA_VERSION = 2

# the choices: the modules that implement them own the lists; config only reads them
MODELS = ("snu", "ssnu", "rnn", "lstm", "gru")          # tasks.build_model builds each of these
OPTIMIZERS = ("adam", "sgd")                            # the keys of optim.OPTIMIZERS (a test checks)
DTYPES = ("float32", "float64")
CENTER_CHOICES = ("auto", "on", "off")


def setting(default, help, *, type=None, low=None, high=None, low_open=False, high_open=False,
            choices=None, optional=False, task_default=False, resume_free=False, flag=None, metavar=None):
    """Declare one setting: a dataclass field whose metadata drives validation, CLI, TOML and docs.

    ``type``: int, float, str, bool or "layers" / "window" (tuples of ints). ``optional``: None is
    allowed (``task_default``: None means the task's default, filled in by :meth:`RunConfig.resolve`).
    ``resume_free``: may change when a run is resumed (e.g. ``epochs``). ``flag``: the CLI flag when it
    is not ``--name-with-dashes`` (e.g. ``--no-download`` for a default-True bool).
    """
    if type is None:
        type = builtins_type(default)
    meta = dict(help=help, type=type, low=low, high=high, low_open=low_open, high_open=high_open,
                choices=None if choices is None else tuple(choices), optional=optional or task_default,
                task_default=task_default, resume_free=resume_free, flag=flag, metavar=metavar)
    return field(default=default, metadata=meta)


def builtins_type(value):
    return {bool: bool, int: int, float: float, str: str}.get(type(value), str)


# --------------------------------------------------------------------------------------------------
# the sections
# --------------------------------------------------------------------------------------------------
class _Section:
    """Every section checks and converts its values on construction (:func:`_coerce`)."""

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, _coerce(f.name, getattr(self, f.name), f.metadata))


@dataclass(frozen=True)
class NetworkConfig(_Section):
    """The network: which cell, how many units, and how it starts (:func:`snu_np.tasks.build_model`)."""

    model: str = setting("snu", "the cell of every hidden (and classification output) layer", choices=MODELS)
    layers: Tuple[int, ...] = setting((256, 256), "hidden layer sizes, comma-separated", type="layers")
    recurrent: bool = setting(False, "SNU/sSNU with recurrent weights H")
    decay: float = setting(0.8, "SNU/sSNU membrane decay l(tau) = 1 - dt/tau", low=0.0, high=1.0)
    g: str = setting("relu", "SNU/sSNU state non-linearity", choices=G_CHOICES)
    threshold: float = setting(1.0, "initial threshold of the hidden SNU/sSNU layers (b = -threshold)",
                               low=0.0, low_open=True)
    surrogate: str = setting("tanh", "SNU pseudo-derivative of the step for the backward pass (tanh: "
                                     "the authors')", choices=SURROGATE_NAMES)
    surrogate_scale: Optional[float] = setting(None, "the pseudo-derivative's width parameter alpha "
                                                     "(default: the surrogate's own)", type=float,
                                               low=0.0, low_open=True, optional=True)
    detach_reset: bool = setting(False, "drop the gradient through the reset gate (1 - y_{t-1})")
    h_scale: float = setting(1.0, "factor on the initial recurrent weights H", low=0.0)
    output_bias: Optional[float] = setting(None, "initial bias of a classification SNU/sSNU output layer "
                                                 "(default: -1 SNU, -4 sSNU)", type=float, task_default=True)
    center_output: Optional[bool] = setting(None, "centre each row of the classification output layer's W "
                                                  "(default: on for sSNU)", type=bool, task_default=True,
                                            flag="--center-output")
    center_inputs: str = setting("auto", "centre the columns of W in layers fed by SNUs (auto: on for sSNU)",
                                 choices=CENTER_CHOICES)
    dtype: str = setting("float32", "floating-point type of weights and activations", choices=DTYPES)
    backend: Optional[str] = setting(None, "numpy (the reference) or numba (the compiled twins); default: "
                                           "the global choice", type=str, choices=BACKENDS, optional=True)


@dataclass(frozen=True)
class OptimConfig(_Section):
    """The optimiser and its schedule (:mod:`snu_np.optim`)."""

    optimizer: str = setting("adam", "the optimiser", choices=OPTIMIZERS)
    lr: float = setting(1e-3, "learning rate at epoch 1", low=0.0, low_open=True)
    lr_decay: float = setting(1.0, "per-epoch learning-rate factor", low=0.0, high=1.0, low_open=True)
    clip: Optional[float] = setting(None, "clip the global gradient norm (default: no clipping)", type=float,
                                    low=0.0, low_open=True, optional=True)
    weight_decay: float = setting(0.0, "weight decay of the weight matrices, p <- (1 - lr * lambda) p",
                                  low=0.0)
    ema: Optional[float] = setting(None, "score and save a moving average of the weights, beta in (0, 1) "
                                         "(e.g. 0.999)", type=float, low=0.0, high=1.0, low_open=True,
                                   high_open=True, optional=True, metavar="BETA")


@dataclass(frozen=True)
class DataConfig(_Section):
    """Encoding, loss and splits (:mod:`snu_np.tasks`)."""

    T: Optional[int] = setting(None, "number of encoding steps (default: the task's, 20)", type=int, low=1,
                               task_default=True, flag="--T")
    loss: Optional[str] = setting(None, "the loss (default: the task's: mse for MNIST, bernoulli_nll for "
                                        "music)", type=str, choices=LOSS_NAMES, task_default=True)
    window: Optional[Tuple[int, int]] = setting(None, "classification: the steps a,b (0-based, b exclusive) "
                                                      "that the loss and accuracy average", type="window",
                                                optional=True)
    val_size: Optional[int] = setting(None, "classification: hold out the last N training examples for "
                                            "validation (default: the task's, 5,000 for MNIST); 0 reports "
                                            "the last epoch", type=int, low=0, task_default=True)
    limit_train: Optional[int] = setting(None, "use only the first N training examples", type=int, low=1,
                                         optional=True)
    limit_test: Optional[int] = setting(None, "use only the first N validation and test examples", type=int,
                                        low=1, optional=True)


@dataclass(frozen=True)
class LoopConfig(_Section):
    """The training loop (:mod:`snu_np.loop`)."""

    epochs: int = setting(10, "training epochs", low=1, resume_free=True)
    batch_size: Optional[int] = setting(None, "examples per step (default: 128 for MNIST, 1 sequence for "
                                              "music)", type=int, low=1, task_default=True)
    seed: int = setting(0, "initial weights, shuffling and training spikes all derive from it", low=0)
    patience: Optional[int] = setting(None, "stop after this many epochs without validation improvement; "
                                            "0: never (default: the task's, 20 for music, 0 for MNIST)",
                                      type=int, low=0, task_default=True, resume_free=True)
    shards: int = setting(1, "classification: run each batch as this many pieces in parallel threads", low=1)
    trials: int = setting(1, "train K seeds: seed, seed+1, ... (each in OUT/seed<s>)", low=1, resume_free=True)
    diverge_factor: Optional[float] = setting(
        100.0, "stop as diverged when a step's training loss exceeds this multiple of the run's first "
               "step's loss (0: off)", type=float, low=0.0, optional=True, resume_free=True)
    max_weight: Optional[float] = setting(
        1e4, "stop as diverged when a weight's magnitude exceeds this (0: off); trained SNU weights are "
             "of order 1", type=float, low=0.0, optional=True, resume_free=True)


@dataclass(frozen=True)
class AnalogConfig(_Section):
    """Training with simulated analog in-memory hardware in the loop (:mod:`snu_np.analog`)."""

    weight_noise: float = setting(0.0, "hardware-aware training: programming-noise-shaped noise times this "
                                       "factor injected into W and H at every step (0: off)", low=0.0)
    weight_clip: Optional[float] = setting(None, "clip the weights W and H to +-this value after each step",
                                           type=float, low=0.0, low_open=True, optional=True)
    weight_clip_std: Optional[float] = setting(None, "clip each weight matrix to +-this many of its standard "
                                                     "deviations after each step (Joshi et al. 2020)",
                                               type=float, low=0.0, low_open=True, optional=True)
    quantize_bits: Optional[int] = setting(None, "quantisation-aware training: forward passes with weights "
                                                 "on this many bits (straight-through gradient)",
                                           type=int, low=2, high=16, optional=True)
    in_memory_epsilon: Optional[float] = setting(
        None, "training in memory, simulated: updates accumulate and reach the PCM devices in pulses of this "
              "many uS (mixed precision; e.g. 0.2; default: off)", type=float, low=0.0, low_open=True,
        optional=True)
    in_memory_noise: float = setting(0.5, "with --in-memory-epsilon: the std of one pulse's conductance change, "
                                          "as a fraction of epsilon", low=0.0)


SECTIONS = {"network": NetworkConfig, "optim": OptimConfig, "data": DataConfig, "run": LoopConfig,
            "analog": AnalogConfig}


def field_specs():
    """``{name: (section, dataclasses.Field)}`` for every setting (names are unique across sections)."""
    out = {}
    for sec, cls in SECTIONS.items():
        for f in fields(cls):
            assert f.name not in out and f.name != "task", f"setting {f.name!r} declared twice"
            out[f.name] = (sec, f)
    return out


# --------------------------------------------------------------------------------------------------
# validation of one value
# --------------------------------------------------------------------------------------------------
def _bad(name, expected, value):
    return UsageError(f"{name} must be {expected}, got {value!r}")


def _coerce(name, value, meta):
    """Check and convert one value against its declaration; raise UsageError naming the setting."""
    if value is None:
        if meta["optional"]:
            return None
        raise _bad(name, "given (it has no 'task default')", value)
    kind = meta["type"]
    if kind == "layers":
        return _layers(name, value)
    if kind == "window":
        return _window(name, value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "on", "yes", "1", "false", "off", "no", "0"):
            return value.lower() in ("true", "on", "yes", "1")
        raise _bad(name, "true or false", value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, str)) and not _is_integral(value):
            raise _bad(name, "an integer", value)
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise _bad(name, "an integer", value) from None
    elif kind is float:
        if isinstance(value, bool):
            raise _bad(name, "a number", value)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise _bad(name, "a number", value) from None
        if not math.isfinite(value):
            raise _bad(name, "a finite number", value)
    elif kind is str:
        if not isinstance(value, str):
            raise _bad(name, "a string", value)
    if meta["choices"] is not None and value not in meta["choices"]:
        raise UsageError(f"unknown {name} {value!r}; choose one of: {', '.join(meta['choices'])}")
    lo, hi = meta["low"], meta["high"]
    if lo is not None and (value < lo or (meta["low_open"] and value == lo)):
        raise _bad(name, f"{'>' if meta['low_open'] else '>='} {lo}", value)
    if hi is not None and (value > hi or (meta["high_open"] and value == hi)):
        raise _bad(name, f"{'<' if meta['high_open'] else '<='} {hi}", value)
    return value


def _is_integral(value):
    try:
        import numpy as np
        return isinstance(value, np.integer)
    except ImportError:  # pragma: no cover
        return False


def _layers(name, value):
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            value = [int(p) for p in parts]
        except ValueError:
            raise UsageError(f"{name} must be comma-separated positive integers such as '256,256', "
                             f"got {value!r}") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    try:
        value = tuple(value)
    except TypeError:
        raise _bad(name, "a sequence of positive integers", value) from None
    if not value:
        raise UsageError(f"{name} must name at least one hidden layer size, e.g. 256,256")
    out = []
    for i, h in enumerate(value):
        if isinstance(h, bool) or not (isinstance(h, int) or _is_integral(h)) or not 1 <= int(h) <= 100_000:
            raise UsageError(f"{name}[{i}] must be an integer from 1 to 100000, got {h!r}")
        out.append(int(h))
    return tuple(out)


def _window(name, value):
    if isinstance(value, str):
        try:
            value = tuple(int(v) for v in value.split(","))
        except ValueError:
            raise UsageError(f"{name} must be two step indices 'a,b', got {value!r}") from None
    try:
        a, b = (int(v) for v in value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be two step indices (a, b), got {value!r}") from None
    if not 0 <= a < b:
        raise UsageError(f"{name} must satisfy 0 <= a < b, got ({a}, {b})")
    return (a, b)




# --------------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunConfig:
    """One training run: the task and the five sections. Build it with :meth:`from_flat`,
    :meth:`from_dict` or :meth:`from_toml`; change it with :meth:`replace`."""

    task: str = "demo"
    network: NetworkConfig = field(default_factory=NetworkConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    run: LoopConfig = field(default_factory=LoopConfig)
    analog: AnalogConfig = field(default_factory=AnalogConfig)

    def __post_init__(self):
        if not isinstance(self.task, str) or not self.task:
            raise _bad("task", "a task name", self.task)

    # --- flat access ---------------------------------------------------------------------------
    def __getitem__(self, name):
        """``cfg["lr"]`` is ``cfg.optim.lr``: every setting by its flat name."""
        if name == "task":
            return self.task
        specs = field_specs()
        if name not in specs:
            raise KeyError(name)
        return getattr(getattr(self, specs[name][0]), name)

    def flat(self):
        """``{"task": ..., name: value, ...}`` for every setting."""
        out = {"task": self.task}
        for name, (sec, _) in field_specs().items():
            out[name] = getattr(getattr(self, sec), name)
        return out

    def replace(self, **changes):
        """A copy with some settings changed, named flat (``lr=...``) or dotted (``"optim.lr"``)."""
        return RunConfig.from_flat(**dict(self.flat(), **_undot(changes)))

    # --- construction --------------------------------------------------------------------------
    @classmethod
    def from_flat(cls, **values):
        """From flat names: ``RunConfig.from_flat(task="jsb", model="ssnu", lr=1e-3)``."""
        specs = field_specs()
        values = _undot(values)
        task = values.pop("task", "demo")
        if hasattr(task, "name"):                       # a Task object
            task = task.name
        unknown = sorted(set(values) - set(specs))
        if unknown:
            raise UsageError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(specs))}")
        per = {sec: {} for sec in SECTIONS}
        for name, value in values.items():
            per[specs[name][0]][name] = value
        return cls(task=task, **{sec: SECTIONS[sec](**kw) for sec, kw in per.items()})

    def to_dict(self):
        """JSON-ready: ``{"schema": 2, "task": ..., "network": {...}, ...}`` (tuples as lists)."""
        out = {"schema": SCHEMA_VERSION, "task": self.task}
        for sec in SECTIONS:
            out[sec] = {k: (list(v) if isinstance(v, tuple) else v)
                        for k, v in dataclasses.asdict(getattr(self, sec)).items()}
        return out

    @classmethod
    def from_dict(cls, d):
        """From :meth:`to_dict`'s form, or from the flat dict that runs saved before schema 2."""
        if not isinstance(d, dict):
            raise UsageError(f"a run configuration must be a table/dict, got {type(d).__name__}")
        d = dict(d)
        schema = d.pop("schema", 1)
        if schema == 1:
            return cls.from_flat(**_from_schema1(d))
        if schema != SCHEMA_VERSION:
            raise UsageError(f"run configuration schema {schema!r} is not known (this snu-np reads 1 and "
                             f"{SCHEMA_VERSION}); update snu-np")
        flat = {"task": d.pop("task", "demo")}
        for sec, body in d.items():
            if sec not in SECTIONS:
                raise UsageError(f"unknown section [{sec}] in the run configuration; known: "
                                 f"{', '.join(SECTIONS)}")
            if not isinstance(body, dict):
                raise UsageError(f"[{sec}] must be a table of settings, got {body!r}")
            own = {f.name for f in fields(SECTIONS[sec])}
            stray = sorted(set(body) - own)
            if stray:
                raise UsageError(f"unknown setting(s) {', '.join(stray)} in [{sec}]; it holds: "
                                 f"{', '.join(sorted(own))}")
            flat.update(body)
        return cls.from_flat(**flat)

    @classmethod
    def from_toml(cls, path_or_text):
        """Read a run file (TOML): top-level ``task = "..."``, then ``[network]``, ``[optim]``,
        ``[data]``, ``[run]``, ``[analog]`` tables; omitted settings keep their defaults. A table
        ``[recipe]`` (a reproduction recipe's description) is ignored here."""
        d = _read_toml(path_or_text)
        d.pop("recipe", None)
        d["schema"] = d.get("schema", SCHEMA_VERSION)
        return cls.from_dict(d)

    def to_toml(self, header=None):
        """The configuration as a TOML run file that :meth:`from_toml` reads back unchanged."""
        lines = []
        if header:
            lines += [f"# {h}" if h else "#" for h in header.splitlines()]
        lines += [f"task = {_toml_value(self.task)}", f"schema = {SCHEMA_VERSION}"]
        for sec in SECTIONS:
            lines += ["", f"[{sec}]"]
            for f in fields(SECTIONS[sec]):
                value = getattr(getattr(self, sec), f.name)
                if value is None:
                    lines.append(f"# {f.name} = (default: {_default_text(f)})")
                else:
                    lines.append(f"{f.name} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"

    # --- resolution and comparison -------------------------------------------------------------
    def resolve(self, task=None):
        """Fill every ``task_default`` setting from the task (see :meth:`snu_np.tasks.Task.defaults`)
        and check the settings against each other and the task. Returns a new RunConfig."""
        from .tasks import get_task
        t = get_task(task if task is not None else self.task)
        changes = {k: v for k, v in t.defaults(self).items() if self[k] is None}
        cfg = self.replace(**changes) if changes else self
        t.check_config(cfg)
        if cfg.run.shards > cfg.run.batch_size:
            raise UsageError(f"shards = {cfg.run.shards} is more than batch_size = {cfg.run.batch_size}")
        if cfg.data.window is not None and cfg.data.window[1] > cfg.data.T:
            raise UsageError(f"window = {cfg.data.window} must end at or before T = {cfg.data.T}")
        return cfg

    def differences(self, other, ignore_resume_free=True):
        """``[(name, mine, theirs), ...]`` for every setting that differs (resume-free ones skipped)."""
        specs = field_specs()
        out = []
        if self.task != other.task:
            out.append(("task", self.task, other.task))
        for name, (_, f) in specs.items():
            if ignore_resume_free and f.metadata["resume_free"]:
                continue
            a, b = self[name], other[name]
            if a != b:
                out.append((name, a, b))
        return out


def _undot(values):
    out = {}
    for k, v in values.items():
        key = k.split(".", 1)[1] if "." in k and k.split(".", 1)[0] in SECTIONS else k
        out[key] = v
    return out


# settings renamed or added since the first release, and the value runs saved without them used
_SCHEMA1_ADDED = {"g": "relu", "center_inputs": None, "threshold": 1.0, "surrogate": "tanh",
                  "surrogate_scale": None, "detach_reset": False, "weight_decay": 0.0, "h_scale": 1.0,
                  "shards": 1, "ema": None}
_SCHEMA1_DROPPED = ("data_dir", "out_dir", "progress", "verbose", "download")


def _from_schema1(d):
    """A flat configuration as runs saved it before schema 2 -> flat settings of today."""
    d = {k: v for k, v in d.items() if k not in _SCHEMA1_DROPPED}
    for k, v in _SCHEMA1_ADDED.items():
        d.setdefault(k, v)
    ci = d.get("center_inputs")
    d["center_inputs"] = {None: "auto", True: "on", False: "off"}.get(ci, ci)
    if d.get("patience", 0) is None:
        d["patience"] = 0
    d.setdefault("diverge_factor", None)          # runs before schema 2 had no divergence stop
    d.setdefault("max_weight", None)
    return d


# --------------------------------------------------------------------------------------------------
# TOML
# --------------------------------------------------------------------------------------------------
def _read_toml(path_or_text):
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11 only
        import tomli as tomllib
    from pathlib import Path
    text = path_or_text
    where = "the run file"
    if isinstance(path_or_text, Path) or (isinstance(path_or_text, str) and "\n" not in path_or_text
                                          and "=" not in path_or_text):
        p = Path(path_or_text)
        where = str(p)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"run file {p} does not exist") from None
        except OSError as exc:
            raise UsageError(f"cannot read run file {p}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{where} is not valid TOML: {exc}") from None


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {v!r}")


def _default_text(f):
    return "the task's" if f.metadata["task_default"] else "none"


# --------------------------------------------------------------------------------------------------
# the CLI, generated
# --------------------------------------------------------------------------------------------------
def _flag(name, f):
    return f.metadata["flag"] or "--" + name.replace("_", "-")


def _help(f):
    default = f.default
    if default is None:
        shown = "the task's" if f.metadata["task_default"] else "none"
    elif isinstance(default, tuple):
        shown = ",".join(str(x) for x in default)
    else:
        shown = str(default)
    if "default:" in f.metadata["help"]:
        return f.metadata["help"]
    return f"{f.metadata['help']} (default: {shown})"


def _plain(text):
    """A docstring's first line without Sphinx roles, for --help."""
    import re
    line = (text or "").strip().splitlines()[0] if text else ""
    return re.sub(r":\w+:`~?([^`]+)`", r"\1", line)


def add_arguments(parser):
    """Add one flag per setting to an argparse parser, grouped by section. Every flag defaults to
    ``None`` (not given), so :func:`from_arguments` can tell given flags from a run file's values;
    the help text shows each setting's real default."""
    import argparse
    for sec, cls in SECTIONS.items():
        group = parser.add_argument_group(f"[{sec}] settings", _plain(cls.__doc__))
        for f in fields(cls):
            m = f.metadata
            flag = _flag(f.name, f)
            kw = dict(dest=f.name, default=None, help=_help(f))
            if m["metavar"]:
                kw["metavar"] = m["metavar"]
            if m["type"] is bool:
                kw["action"] = argparse.BooleanOptionalAction
                kw["help"] = _help(f)
            elif m["choices"] is not None:
                kw["choices"] = m["choices"]
            elif m["type"] in (int, float):
                kw["type"] = m["type"]
            group.add_argument(flag, **kw)
    return parser


def from_arguments(args, base=None):
    """The RunConfig of parsed arguments: ``base`` (e.g. from ``--config RUN.toml``) with every given
    flag overriding it. ``args.task`` (a positional, may be None when a run file names it) too."""
    base = base or RunConfig()
    given = {name: getattr(args, name) for name in field_specs() if getattr(args, name, None) is not None}
    task = getattr(args, "task", None)
    if task is not None:
        given["task"] = task
    return base.replace(**given) if given else base


def settings_table():
    """A Markdown table of every setting (section, name, flag, type, default, help) for the docs."""
    rows = ["| section | setting | flag | default | meaning |", "|---|---|---|---|---|"]
    for name, (sec, f) in field_specs().items():
        default = f.default
        shown = ("the task's" if f.metadata["task_default"] else "none") if default is None else (
            ",".join(map(str, default)) if isinstance(default, tuple) else default)
        choices = f" ({', '.join(f.metadata['choices'])})" if f.metadata["choices"] else ""
        rows.append(f"| {sec} | `{name}` | `{_flag(name, f)}` | {shown} | {f.metadata['help']}{choices} |")
    return "\n".join(rows) + "\n"
