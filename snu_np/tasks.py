"""The task registry: which data, how it is encoded, which network, which loss and which metric.

==================  ==============  =====  =====  =======================================================
task                kind            n_in   n_out  data
==================  ==============  =====  =====  =======================================================
``mnist``           classification  784    10     full MNIST, rate-coded spike trains (T = 20 steps)
``jittered-mnist``  classification  784    10     full MNIST, jittered spike events (T = 20 steps)
``demo``            classification  784    10     the MNIST subset shipped in the package (offline),
                                                  rate-coded; 3,000 train (last 500 = validation),
                                                  1,000 test
``jsb``             music           88     88     JSB Chorales piano rolls
``nottingham``      music           88     88     Nottingham
``musedata``        music           88     88     MuseData
``piano-midi``      music           88     88     Piano-midi.de
==================  ==============  =====  =====  =======================================================

Classification (Woźniak et al. 2020, MNIST experiments): every layer is the chosen cell, the output
layer too (10 units); the prediction is the output unit with the largest mean activity over the
loss window, and the default loss is the window MSE against the one-hot label. With the defaults
``layers=(256, 256)``: 784-256-256-10, which has 269,322 parameters for SNU/sSNU and 400,494 for
the plain RNN.

Music (next-step prediction of piano rolls): input at step t is ``roll[t]``, target is
``roll[t + 1]``; the network is 88 -> hidden cells -> ``Dense(..., 88)`` with *linear* outputs, and
the loss is :func:`~snu_np.bernoulli_nll` on those logits (= sigmoid outputs + binary cross-entropy
summed over the 88 keys). The 88-150-88 SNU/sSNU net has 26,638 parameters. The metric is the
negative log-likelihood in nats per predicted time step, pooled over a split.

The sSNU output-layer pitfall (see the docs): an sSNU output is ``sigmoid(s + b)`` with a state
``s >= 0`` (ReLU), so with the usual ``b = -1`` every output starts at >= sigmoid(-1) = 0.27 while
nine of ten one-hot targets are 0. Window-MSE then pushes all output states to 0, where no gradient
flows, and accuracy stays at chance. :func:`build_model` therefore starts the *output* sSNU's bias
at ``SSNU_OUTPUT_BIAS = -4`` (sigmoid(-4) = 0.018, outputs start near 0) and centres each input row
of its weight matrix (zero mean over the 10 output units, so one input spike does not raise every
output together). Both are options (``output_bias``, ``center_output``). The SNU output keeps the
paper's threshold 1 (``b = -1``).

New tasks (e.g. synthetic data in tests) can be added with :func:`register_task`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

import math

from ._validate import check_float_dtype, check_int, check_real
from .config import MODELS
from .errors import UsageError

__all__ = ["Task", "ClassificationTask", "MusicTask", "TASK_KINDS", "Batch", "TASKS", "MODELS", "get_task",
           "register_task", "build_model", "build_from_config", "load_task_data", "encode_images",
           "derive_seed", "music_batch", "SSNU_OUTPUT_BIAS", "SNU_OUTPUT_BIAS", "EVAL_SEED", "EVAL_CHUNK"]

SNU_OUTPUT_BIAS = -1.0      # threshold 1, as for the hidden units (the authors' default)
SSNU_OUTPUT_BIAS = -4.0     # sigmoid(-4) = 0.018: sSNU outputs start near the 0 of the one-hot targets


@dataclass(frozen=True)
class Task:
    """What a training run needs to know about its data, and how it batches, scores and evaluates.

    A task *owns its behaviour*: the training loop calls :meth:`train_batches`, :meth:`batch_metric`
    and :meth:`evaluate` and never asks what kind of task it runs. Two kinds exist,
    :class:`ClassificationTask` (spike-encoded images, one label each) and :class:`MusicTask`
    (piano rolls, next-step prediction); ``Task(kind="music", ...)`` builds the matching one.

    Attributes
    ----------
    name : str
    kind : "classification" or "music"
    n_in, n_out : int
        Input and output sizes of the network.
    description : str
    loss : str
        Default loss: "mse" (window MSE), "ce" (softmax cross-entropy) or "bernoulli_nll".
    metric : "accuracy" (higher is better) or "nll" (lower is better).
    encoding : "rate", "jitter" or None (music: the piano roll is the input as is).
    T : int or None
        Number of time steps of the spike encoding (classification).
    val_size : int
        Classification: how many of the *last* training examples are held out for validation.
    patience : int or None
        Default early-stopping patience in epochs (None: train all epochs).
    load : callable(data_dir, download) -> dict
        Returns the raw splits: classification ``{"train": (images, labels), "test": (...)}``
        (uint8 images (N, 28, 28) or float (N, n_in), int labels (N,)); music ``{"train": [roll,
        ...], "valid": [...], "test": [...]}``.
    encode : callable(images, T, seed, dtype) -> (T, B, n_in), optional
        Overrides the built-in rate/jitter encoders (e.g. for synthetic tasks).
    """

    name: str
    kind: str
    n_in: int
    n_out: int
    description: str
    loss: str
    metric: str
    load: Callable = field(repr=False, compare=False)
    encoding: Optional[str] = None
    T: Optional[int] = None
    val_size: int = 0
    patience: Optional[int] = None
    encode: Optional[Callable] = field(default=None, repr=False, compare=False)

    def __new__(cls, *args, **kwargs):
        if cls is Task:                    # Task(kind=...) -> the subclass that implements that kind
            kind = kwargs.get("kind", args[1] if len(args) > 1 else None)
            if kind not in TASK_KINDS:
                raise ValueError(f"task kind must be one of {', '.join(TASK_KINDS)}, got {kind!r}")
            cls = TASK_KINDS[kind]
        return object.__new__(cls)

    def __post_init__(self):
        if self.kind != type(self).KIND:
            raise ValueError(f"{type(self).__name__} has kind {type(self).KIND!r}, got kind={self.kind!r}")

    @property
    def higher_is_better(self):
        return self.metric == "accuracy"

    def better(self, new, old):
        """Is score ``new`` better than ``old`` (None: nothing yet)?"""
        if old is None:
            return True
        return new > old if self.higher_is_better else new < old

    def format_metric(self, value):
        """``97.41%`` or ``8.3900``; ``-`` for a missing or non-finite value."""
        if value is None or not math.isfinite(value):
            return "-"
        return f"{100 * value:.2f}%" if self.metric == "accuracy" else f"{value:.4f}"

    # --- what each kind implements --------------------------------------------------------------
    def defaults(self, cfg):
        """The task's values for the settings left to it (see :meth:`snu_np.config.RunConfig.resolve`)."""
        out = {"loss": self.loss, "patience": self.patience or 0, "val_size": self.val_size}
        if self.T is not None:
            out["T"] = self.T
        return out

    def check_config(self, cfg):
        """Raise UsageError if a setting does not fit this task."""
        loss_ok = self.allowed_losses
        if cfg.data.loss not in loss_ok:
            raise UsageError(f"loss {cfg.data.loss!r} does not fit the {self.kind} task {self.name!r}; "
                             f"use {' or '.join(loss_ok)}")

    def loss_fn(self, cfg):
        """The loss function ``(y, target, **batch.loss_kw) -> (loss, dy)`` of the configuration."""
        from .functional.losses import LOSSES
        return LOSSES[cfg.data.loss]


class ClassificationTask(Task):
    """Images, spike-encoded; one label each; the metric is accuracy over the loss window."""

    KIND = "classification"
    allowed_losses = ("mse", "ce")

    def defaults(self, cfg):
        soft = cfg.network.model == "ssnu"
        return dict(super().defaults(cfg), batch_size=128,
                    output_bias=(SSNU_OUTPUT_BIAS if soft else SNU_OUTPUT_BIAS)
                    if cfg.network.model in ("snu", "ssnu") else 0.0,
                    center_output=soft)

    def n_examples(self, split):
        return len(split[1])

    def output_layer(self, n_hidden, make_cell, rng, dtype, model, output_bias, center_output):
        """The output layer is a cell like the hidden ones (10 units); an SNU/sSNU output starts with
        bias ``output_bias`` (default -1 SNU, ``SSNU_OUTPUT_BIAS`` sSNU) and, for the sSNU by default,
        rows of W centred over the output units (see the module docs)."""
        soft = model == "ssnu"
        if output_bias is None and model in ("snu", "ssnu"):
            output_bias = SSNU_OUTPUT_BIAS if soft else SNU_OUTPUT_BIAS
        out = make_cell(n_hidden, self.n_out, output_bias)
        if center_output is None:
            center_output = soft
        if center_output and model in ("snu", "ssnu"):
            W = out.params["W"]
            W -= W.mean(axis=1, keepdims=True)
        return out

    def split_data(self, raw, cfg):
        images, labels = raw["train"]
        n = len(labels)
        nv = cfg.data.val_size
        if nv >= n:
            raise UsageError(f"val_size = {nv} leaves no training data ({n} training examples)")
        out = {"train": (images[:n - nv], labels[:n - nv]), "valid": (images[n - nv:], labels[n - nv:]),
               "test": raw["test"]}
        k = _limit(n - nv, cfg.data.limit_train, "limit_train")
        out["train"] = (out["train"][0][:k], out["train"][1][:k])
        for s in ("valid", "test"):
            m = _limit(len(out[s][1]), cfg.data.limit_test, "limit_test")
            out[s] = (out[s][0][:m], out[s][1][:m])
        return out

    def train_batches(self, split, cfg, epoch, dtype):
        """Shuffled mini-batches of epoch ``epoch``: spikes seeded by ``(seed, epoch, step)``."""
        images, labels = split
        bs, seed = cfg.run.batch_size, cfg.run.seed
        perm = np.random.default_rng([seed, epoch]).permutation(len(labels))
        for k in range(-(-len(labels) // bs)):
            idx = np.sort(perm[k * bs:(k + 1) * bs])
            x = encode_images(self, images[idx], derive_seed(seed, epoch, k), dtype, cfg.data.T)
            yield Batch(x, np.asarray(labels[idx]).astype(np.int64), len(idx), {"window": cfg.data.window})

    def n_train_steps(self, split, cfg):
        return -(-self.n_examples(split) // cfg.run.batch_size)

    def batch_metric(self, y, batch, cfg):
        from .functional.losses import accuracy
        return accuracy(y, batch.target, window=cfg.data.window)

    def evaluate(self, net, split, cfg, name="test", loss_fn=None):
        """``{"loss", "accuracy"}`` averaged over the split's examples. Spikes are encoded in chunks of
        ``EVAL_CHUNK`` with seeds derived from ``(EVAL_SEED, split, chunk)``: every run and every trial
        is scored on the very same spike trains."""
        from .functional.losses import accuracy
        images, labels = split
        loss_fn = loss_fn or self.loss_fn(cfg)
        n = len(labels)
        if n == 0:
            return {"loss": float("nan"), "accuracy": float("nan")}
        tot_loss = tot_acc = 0.0
        for c, i in enumerate(range(0, n, EVAL_CHUNK)):
            x = encode_images(self, images[i:i + EVAL_CHUNK], derive_seed(EVAL_SEED, _SPLIT_CODES.get(name, 3), c),
                              net.dtype, cfg.data.T)
            lab = np.asarray(labels[i:i + EVAL_CHUNK]).astype(np.int64)
            y = net.forward(x)
            loss, _ = loss_fn(y, lab, window=cfg.data.window)
            tot_loss += loss * len(lab)
            tot_acc += accuracy(y, lab, window=cfg.data.window) * len(lab)
        return {"loss": tot_loss / n, "accuracy": tot_acc / n}


class MusicTask(Task):
    """Piano rolls: the input at step t is ``roll[t]``, the target ``roll[t + 1]``; the metric is the
    negative log-likelihood in nats per predicted step, pooled over a split."""

    KIND = "music"
    allowed_losses = ("bernoulli_nll",)

    def defaults(self, cfg):
        return dict(super().defaults(cfg), batch_size=1, output_bias=0.0, center_output=False)

    def check_config(self, cfg):
        super().check_config(cfg)
        if cfg.data.window is not None:
            raise UsageError("window applies to classification tasks only")
        if cfg.run.shards > 1:
            raise UsageError(f"shards = {cfg.run.shards}: data-parallel shards work for classification tasks "
                             f"only (their losses are means over the batch); {self.name!r} is a music task")

    def n_examples(self, split):
        return len(split)

    def output_layer(self, n_hidden, make_cell, rng, dtype, model, output_bias, center_output):
        """A linear ``Dense(n_hidden, 88)``: logits for :func:`~snu_np.bernoulli_nll` (the sigmoid sits in
        the loss); its bias starts at 0, ``output_bias`` and ``center_output`` do not apply."""
        from .layers import Dense
        return Dense(n_hidden, self.n_out, activation="linear", dtype=dtype, seed=rng)

    def split_data(self, raw, cfg):
        out = {s: list(raw[s]) for s in ("train", "valid", "test")}
        out["train"] = out["train"][:_limit(len(out["train"]), cfg.data.limit_train, "limit_train")]
        for s in ("valid", "test"):
            out[s] = out[s][:_limit(len(out[s]), cfg.data.limit_test, "limit_test")]
        return out

    def n_train_steps(self, split, cfg):
        return -(-self.n_examples(split) // cfg.run.batch_size)

    def train_batches(self, split, cfg, epoch, dtype):
        """Shuffled batches of sequences; a batch of several is padded and masked (``pad_sequences``).
        Batches with nothing to predict (sequences of one step) are skipped."""
        bs = cfg.run.batch_size
        perm = np.random.default_rng([cfg.run.seed, epoch]).permutation(len(split))
        for k in range(-(-len(split) // bs)):
            seqs = [split[i] for i in perm[k * bs:(k + 1) * bs] if len(split[i]) > 1]
            if not seqs:
                yield None
                continue
            x, target, mask, n_pred = music_batch(seqs, dtype)
            yield Batch(x, target, n_pred, {"mask": mask})

    def batch_metric(self, y, batch, cfg):
        return None                                  # the metric is the loss itself

    def evaluate(self, net, split, cfg, name="test", loss_fn=None):
        """``{"loss", "nll"}``: the pooled NLL per predicted step (sequences sorted by length and
        padded in chunks of ``MUSIC_EVAL_CHUNK``)."""
        from .functional.losses import bernoulli_nll
        seqs = sorted((s for s in split if len(s) > 1), key=len)
        total, steps = 0.0, 0
        for i in range(0, len(seqs), MUSIC_EVAL_CHUNK):
            x, tgt, mask, n_pred = music_batch(seqs[i:i + MUSIC_EVAL_CHUNK], net.dtype)
            loss, _ = bernoulli_nll(net.forward(x), tgt, mask)
            total += loss * n_pred
            steps += n_pred
        nll = total / steps if steps else float("nan")
        return {"loss": nll, "nll": nll}


TASK_KINDS = {"classification": ClassificationTask, "music": MusicTask}


@dataclass
class Batch:
    """One training step's data: x (T, B, n_in), the target, its weight in the epoch's mean (examples
    or predicted steps), and the keyword arguments of the loss (``window`` or ``mask``)."""

    x: np.ndarray
    target: np.ndarray
    weight: int
    loss_kw: dict


EVAL_SEED = 2020          # validation/test spikes: fixed, independent of the training seed
EVAL_CHUNK = 500          # examples per evaluation batch (fixed: the eval spikes depend on it)
MUSIC_EVAL_CHUNK = 16     # sequences per evaluation batch (sorted by length, padded)
_SPLIT_CODES = {"train": 0, "valid": 1, "test": 2}


def derive_seed(*keys):
    """A 32-bit seed from a tuple of non-negative ints (``numpy.random.SeedSequence``)."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1, np.uint32)[0])


def music_batch(seqs, dtype):
    """Sequences -> (x (T-1, B, 88), target (T-1, B, 88), mask (T-1, B) or None, n_predicted)."""
    from .data.music import pad_sequences
    if len(seqs) == 1:
        roll = np.asarray(seqs[0], dtype=dtype)
        x = roll[:-1, None, :]
        return x, roll[1:, None, :], None, x.shape[0]
    xp, mask = pad_sequences(list(seqs), dtype=dtype)
    m = mask[1:]                                  # target t+1 exists  <=>  step t+1 < length
    return xp[:-1], xp[1:], m, int(m.sum())


# --------------------------------------------------------------------------------------------------
# data loaders (imported lazily: the data package is only needed when a task actually loads data)
# --------------------------------------------------------------------------------------------------
def _load_mnist(data_dir, download):
    from .data.mnist import load_mnist
    return {s: load_mnist(data_dir=data_dir, download=download, split=s) for s in ("train", "test")}


def _load_demo(data_dir, download):
    from .data.mnist import load_embedded_mnist
    return {s: load_embedded_mnist(split=s) for s in ("train", "test")}


def _music_loader(name):
    def load(data_dir, download):
        from .data.music import load_music
        return load_music(name, data_dir=data_dir, download=download)
    load.__name__ = f"load_{name}"
    return load


def _encoders():
    try:
        from .data import encoders as E
    except ImportError as exc:  # pragma: no cover - the data package ships the encoders
        raise ImportError("snu_np.data.encoders (rate_encode, jitter_encode) is not available") from exc
    return E


def encode_images(task, images, seed, dtype, T=None):
    """Spike-encode a batch of images for ``task``: (B, 28, 28) or (B, n_in) -> (T, B, n_in).

    ``seed`` (an int) fixes the random spikes, so the same batch with the same seed always gives
    the same spike trains.
    """
    task = get_task(task)
    T = task.T if T is None else T
    if task.encode is not None:
        return task.encode(images, T=T, seed=seed, dtype=dtype)
    E = _encoders()
    fn = {"rate": E.rate_encode, "jitter": E.jitter_encode}[task.encoding]
    x = fn(images, T=T, seed=seed, dtype=dtype)
    if x.ndim != 3:  # encoders may keep the image shape: flatten the pixels
        x = x.reshape(x.shape[0], x.shape[1], -1)
    return x


# --------------------------------------------------------------------------------------------------
# the registry
# --------------------------------------------------------------------------------------------------
TASKS = {}


def register_task(task):
    """Add (or replace) a :class:`Task` in the registry; returns it."""
    if not isinstance(task, Task):
        raise TypeError(f"task must be a Task, got {type(task).__name__}")
    if isinstance(task, ClassificationTask) and task.encode is None and task.encoding not in ("rate", "jitter"):
        raise ValueError("a classification task needs encoding 'rate' or 'jitter', or its own encode function")
    TASKS[task.name] = task
    return task


_MNIST_COMMON = dict(kind="classification", n_in=784, n_out=10, loss="mse", metric="accuracy", T=20)
register_task(ClassificationTask(name="mnist", description="MNIST, rate-coded (T=20); last 5,000 training digits = validation",
                   load=_load_mnist, encoding="rate", val_size=5000, **_MNIST_COMMON))
register_task(ClassificationTask(name="jittered-mnist",
                   description="MNIST, jittered spike events (T=20); last 5,000 training digits = validation",
                   load=_load_mnist, encoding="jitter", val_size=5000, **_MNIST_COMMON))
register_task(ClassificationTask(name="demo", description="embedded MNIST subset (3,000/1,000 digits), rate-coded, offline",
                   load=_load_demo, encoding="rate", val_size=500, **_MNIST_COMMON))
for _name, _desc in (("jsb", "JSB Chorales"), ("nottingham", "Nottingham"), ("musedata", "MuseData"),
                     ("piano-midi", "Piano-midi.de")):
    register_task(MusicTask(name=_name, kind="music", n_in=88, n_out=88,
                       description=f"{_desc} piano rolls, next-step prediction (NLL per step)",
                       loss="bernoulli_nll", metric="nll", load=_music_loader(_name), patience=20))


def get_task(task):
    """The :class:`Task` for a name (or the Task itself); unknown names raise ValueError."""
    if isinstance(task, Task):
        return task
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    return TASKS[task]


# --------------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------------
def _limit(n, limit, name):
    if limit is None:
        return n
    return min(n, check_int(limit, name, low=1))


def load_task_data(task, data_dir=None, download=True, limit_train=None, limit_test=None, val_size=None):
    """Load a task's data and split it into train / valid / test.

    Classification: ``{"train": (images, labels), "valid": (...), "test": (...)}``; the validation
    set is the *last* ``val_size`` examples of the training split (default: the task's), the
    training set is what precedes it. Music: ``{"train": [roll, ...], "valid": [...], "test": [...]}``
    (the data set's own split).

    ``limit_train`` keeps the first N training examples (sequences for music); ``limit_test``
    keeps the first N of the validation and of the test set.
    """
    from .config import RunConfig
    task = get_task(task)
    cfg = RunConfig.from_flat(task=task.name, limit_train=limit_train, limit_test=limit_test,
                              val_size=task.val_size if val_size is None else val_size)
    return task.split_data(task.load(data_dir, download), cfg)


# --------------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------------
def parse_layers(layers):
    """``"256,256"`` or ``(256, 256)`` -> ``(256, 256)``; every size a positive int."""
    if isinstance(layers, str):
        parts = [p.strip() for p in layers.split(",") if p.strip()]
        try:
            layers = [int(p) for p in parts]
        except ValueError as exc:
            raise ValueError(f"layers must be comma-separated positive integers such as '256,256', "
                             f"got {layers!r}") from exc
    elif isinstance(layers, (int, np.integer)) and not isinstance(layers, bool):
        layers = [layers]
    try:
        layers = tuple(layers)
    except TypeError as exc:
        raise TypeError(f"layers must be a sequence of ints, got {type(layers).__name__}") from exc
    for i, h in enumerate(layers):
        check_int(h, f"layers[{i}]", low=1)
        if h > 100_000:
            raise ValueError(f"layers[{i}] = {h} is implausibly large (max 100000 units per layer)")
    return tuple(int(h) for h in layers)


def _cell(model, n_in, n_out, rng, dtype, recurrent, backend, decay, g, bias=None, threshold=1.0,
          **snu_kw):
    if model in ("snu", "ssnu"):
        from .layers import SNU
        layer = SNU(n_in, n_out, soft=(model == "ssnu"), recurrent=recurrent, decay=decay, g=g,
                    threshold=threshold if bias is None else -bias, dtype=dtype, seed=rng,
                    backend=backend, **snu_kw)
        return layer
    from .layers import rnn as R
    cls = {"rnn": R.RNN, "lstm": R.LSTM, "gru": R.GRU}[model]
    return cls(n_in, n_out, dtype=dtype, seed=rng, backend=backend)


def build_model(task, model="snu", layers=(256, 256), recurrent=False, dtype=np.float32, seed=0,
                output_bias=None, center_output=None, decay=0.8, g="relu", backend=None, center_inputs=None,
                threshold=1.0, surrogate="tanh", surrogate_scale=None, detach_reset=False, h_scale=1.0):
    """Build the paper's network for a task.

    Parameters
    ----------
    task : str or Task
    model : "snu", "ssnu", "rnn", "lstm" or "gru"
    layers : sequence of int or "256,256"
        Hidden layer sizes (at least one).
    recurrent : bool
        SNU/sSNU only: add the recurrent weights H to the hidden (and classification output) layers.
        RNN/LSTM/GRU are recurrent anyway.
    dtype : float32 or float64
    seed : int
        One generator seeded with it initialises all layers in order (reproducible).
    output_bias : float, optional
        Initial bias ``b`` of the classification output layer if it is an SNU/sSNU (its threshold
        is ``-b``). Default: -1 for SNU (threshold 1), ``SSNU_OUTPUT_BIAS`` = -4 for sSNU (see the
        module docs for why). Ignored for RNN/LSTM/GRU and for music (the Dense output's bias
        starts at 0).
    center_output : bool, optional
        Subtract from each row of the classification output layer's W its mean over the output
        units. Default: True for sSNU, False otherwise (SNU/sSNU classification only).
    decay, g : SNU/sSNU decay (0.8) and state non-linearity ("relu").
    threshold : float
        Initial threshold of the hidden SNU/sSNU layers (b = -threshold; 1 in the paper).
    surrogate, surrogate_scale, detach_reset
        SNU/sSNU layers' pseudo-derivative (SNU only), its width, and whether the gradient through
        the reset gate is dropped; see :class:`~snu_np.layers.SNU`.
    h_scale : float >= 0
        Recurrent SNU/sSNU layers: the factor on their initial H (see :class:`~snu_np.layers.SNU`).
    backend : None, "numpy" or "numba"
    center_inputs : bool, optional
        SNU/sSNU layers fed by another SNU/sSNU layer: subtract from each column of W its mean over
        the inputs, so that a constant activity of the layer below drives nothing. Default: True for
        sSNU, False otherwise. Why: a soft SNU with b = -1 emits at least sigmoid(-1) = 0.27 at every
        step, so every unit of the next layer receives 0.27 times its column sum of W as a constant
        drive; the units whose column sum is negative never reach a positive state, and with
        g = ReLU they never get a gradient either (measured at initialisation on jittered MNIST:
        20 % of the second hidden layer and 40 % of the output units dead). See docs/training.md.

    Returns
    -------
    Sequential
        Classification: cell(n_in, h1), ..., cell(h_k, 10). Music: cell(88, h1), ..., then
        ``Dense(h_k, 88)`` with linear outputs (logits for :func:`~snu_np.bernoulli_nll`).
    """
    from .network import Sequential
    task = get_task(task)
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}")
    layers = parse_layers(layers)
    if not layers:
        raise ValueError("layers must name at least one hidden layer size, e.g. (256, 256)")
    dtype = check_float_dtype(dtype)
    decay = check_real(decay, "decay", 0.0, 1.0)
    rng = np.random.default_rng(seed)
    sizes = (task.n_in,) + layers
    threshold = check_real(threshold, "threshold", 0.0, low_open=True)
    snu_kw = dict(surrogate=surrogate, surrogate_scale=surrogate_scale, detach_reset=bool(detach_reset),
                  h_scale=check_real(h_scale, "h_scale", low=0.0))
    net = [_cell(model, a, b, rng, dtype, recurrent, backend, decay, g, threshold=threshold, **snu_kw)
           for a, b in zip(sizes[:-1], sizes[1:])]
    def make_cell(n_in, n_out, bias):
        return _cell(model, n_in, n_out, rng, dtype, recurrent, backend, decay, g, bias=bias, **snu_kw)
    net.append(task.output_layer(layers[-1], make_cell, rng, dtype, model, output_bias, center_output))
    if center_inputs is None:
        center_inputs = model == "ssnu"
    if center_inputs and model in ("snu", "ssnu"):
        for layer in net[1:]:
            if layer.kind == "snu":
                W = layer.params["W"]
                W -= W.mean(axis=0, keepdims=True)
    return Sequential(net)


def build_from_config(cfg, task=None):
    """The network of a resolved :class:`~snu_np.config.RunConfig` (:func:`build_model` with its
    ``[network]`` settings and ``run.seed``)."""
    n = cfg.network
    return build_model(task or cfg.task, n.model, n.layers, recurrent=n.recurrent, dtype=n.dtype,
                       seed=cfg.run.seed, output_bias=n.output_bias, center_output=n.center_output,
                       decay=n.decay, g=n.g, backend=n.backend,
                       center_inputs={"auto": None, "on": True, "off": False}[n.center_inputs],
                       threshold=n.threshold, surrogate=n.surrogate, surrogate_scale=n.surrogate_scale,
                       detach_reset=n.detach_reset, h_scale=n.h_scale)
