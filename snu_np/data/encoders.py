"""Turn static images into spike trains: rate coding and jittered (event-camera) MNIST.

Every encoder returns a time-major float array ``(T, B, n_in)`` of zeros and ones (``n_in = 784``
for MNIST), the layout the SNU layers take. Every random draw comes from ``seed`` (an int or a
``numpy.random.Generator``): the same seed and the same batch give the same spikes.

Jittered MNIST
--------------
Woźniak et al. (2020) train on "spikes from an asynchronous camera, conveying jittered images of the
digits" without publishing the generator; :func:`jitter_encode` is our documented reconstruction
(docs: ``derivations/encoders.md``):

1. The digit moves on a *random walk* of integer offsets ``p_t = (dy, dx)``: each step it moves
   to one of the 8 neighbouring offsets, chosen uniformly, and a move that would leave the box
   ``|dy|, |dx| <= max_shift`` is reflected (its direction flipped on that axis). The start offset
   ``p_{-1}`` is uniform in the box. Pixels shifted in from outside the image are 0.
2. An event camera compares each new frame ``F_t`` (the digit at ``p_t``) with the previous one and
   emits a spike where the intensity changed by more than ``threshold``:
   ``x_t = 1[|F_t - F_{t-1}| > threshold]``, ON and OFF events merged into one channel per pixel.
3. Step 0 is like every other step: ``F_{-1}`` is the digit at the random start offset ``p_{-1}``,
   so events at step 0 come from the first move. With ``onset=True`` ``F_{-1}`` is a blank frame
   instead, and step 0 shows the whole digit appearing (every pixel brighter than ``threshold``).

Why a random walk and not independent jitter: an event camera sees only *changes*, so the digit must
move; a static digit gives no events at all. Small continuous moves (like the fixational eye
movements, or the saccades N-MNIST recorded with a real camera) change every frame by at most one
pixel per axis, so the events trace the digit's edges, as a real sensor's would. Independent jitter
of up to ``max_shift`` pixels per frame would instead produce the difference of two far-apart
copies of the digit. Moves are never "stay": a still frame would carry no events.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._validate import as_rng, check_choice, check_float_dtype, check_int, check_real

__all__ = ["rate_encode", "jitter_encode", "jitter_frames", "encode_dataset", "one_hot",
           "as_intensity", "JITTER_MOVES"]

# The 8 neighbouring moves (dy, dx) of the random walk; "stay" is excluded on purpose.
JITTER_MOVES = np.array([(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)], dtype=np.int64)
SIDE = 28


def _pixels(images, name="images"):
    """Validate MNIST-like images; return (B, 784) as uint8 (unchanged) or float32 in [0, 1]."""
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array of shape (B, 28, 28) or (B, 784), got {type(images).__name__}")
    if images.ndim == 3 and images.shape[1:] == (SIDE, SIDE):
        flat = images.reshape(images.shape[0], SIDE * SIDE)
    elif images.ndim == 2 and images.shape[1] == SIDE * SIDE:
        flat = images
    else:
        raise ValueError(f"{name} must have shape (B, 28, 28) or (B, 784), got {images.shape}"
                         + ("; add a batch axis with images[None]" if images.shape == (SIDE, SIDE) else ""))
    if flat.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image, got shape {images.shape}")
    if flat.dtype == np.uint8:
        return flat
    if flat.dtype in (np.float32, np.float64):
        if not np.all(np.isfinite(flat)):
            raise ValueError(f"{name} contains NaN or inf")
        lo, hi = float(flat.min()), float(flat.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"float {name} must lie in [0, 1], got values in [{lo:g}, {hi:g}]; "
                             f"divide uint8 images by 255 (or pass them as uint8)")
        return flat.astype(np.float32, copy=False)
    raise TypeError(f"{name} must be uint8 (0..255) or float32/float64 in [0, 1], got dtype {images.dtype}")


def as_intensity(images, name="images"):
    """Check MNIST-like images and return intensities in [0, 1] as float32 of shape (B, 784).

    Parameters
    ----------
    images : numpy.ndarray, shape (B, 28, 28) or (B, 784)
        uint8 (0..255, divided by 255) or float32/float64 already in [0, 1].
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.ndarray of float32, shape (B, 784)
    """
    flat = _pixels(images, name)
    if flat.dtype == np.uint8:
        return flat.astype(np.float32) / np.float32(255.0)
    return flat


# ------------------------------------------------------------------------------------- rate coding
def rate_encode(images, T=20, max_rate=1.0, seed=None, dtype=np.float32):
    """Bernoulli (rate) coding: a pixel of intensity ``I`` spikes with probability ``max_rate * I``.

    Docs: :eq:`rate-encode`.

    Each step and pixel is an independent draw: ``x[t, b, i] = 1[u < max_rate * I[b, i]]`` with
    ``u ~ U[0, 1)``, so the expected spike count of a pixel over T steps is ``T * max_rate * I``.
    Black pixels (I = 0) never spike; with ``max_rate = 1`` white pixels spike at every step.
    About 4-5 ms for 128 images and T = 20 on one core (drawing the float32 uniforms dominates).

    Parameters
    ----------
    images : numpy.ndarray, shape (B, 28, 28) or (B, 784)
        uint8 0..255, or float in [0, 1].
    T : int
        Number of time steps (>= 1).
    max_rate : float
        Spike probability per step of a pixel of intensity 1, in [0, 1].
    seed : None, int or numpy.random.Generator
    dtype : np.float32 or np.float64

    Returns
    -------
    numpy.ndarray, shape (T, B, 784), of 0.0 and 1.0
    """
    intensity = as_intensity(images)
    T = check_int(T, "T", low=1)
    max_rate = check_real(max_rate, "max_rate", low=0.0, high=1.0)
    dt = check_float_dtype(dtype)
    rng = as_rng(seed)
    u = rng.random((T,) + intensity.shape, dtype=np.float32)
    return _rate_spikes(intensity, max_rate, u, dt)


def _rate_spikes(intensity, max_rate, u, dt):
    p = intensity * np.float32(max_rate)
    return (u < p).astype(dt)  # (rate-encode)


# ---------------------------------------------------------------------------------- jittered MNIST
def _check_jitter_args(T, max_shift, threshold, onset):
    T = check_int(T, "T", low=1)
    max_shift = check_int(max_shift, "max_shift", low=1, high=SIDE - 1)
    threshold = check_real(threshold, "threshold", low=0.0, high=1.0, high_open=True)
    if not isinstance(onset, (bool, np.bool_)):
        raise TypeError(f"onset must be True or False, got {onset!r}")
    return T, max_shift, threshold, bool(onset)


def _random_walk(start, moves, max_shift):
    """Offsets (T+1, B, 2) of the reflected walk from ``start`` (B, 2) with move indices (T, B).

    Docs: :eq:`jitter-walk`.
    """
    T, B = moves.shape
    pos = np.empty((T + 1, B, 2), dtype=np.int64)
    pos[0] = start
    steps = JITTER_MOVES[moves]  # (T, B, 2)
    for t in range(T):  # T is small; each step is vectorised over the batch
        new = pos[t] + steps[t]
        # Reflect: flip the move on an axis where it would leave the box. pos[t] is inside the box
        # and |move| <= 1 <= max_shift, so the reflected position is inside too.
        pos[t + 1] = np.where(np.abs(new) > max_shift, pos[t] - steps[t], new)
    return pos


def _shifted_frames(pixels, pos, max_shift):
    """Frames (T+1, B, 28, 28), pixels' dtype: image b shifted by pos[t, b] = (dy, dx), zeros shifted in.

    Docs: :eq:`jitter-frame`.
    """
    B = pixels.shape[0]
    m = max_shift
    padded = np.zeros((B, SIDE + 2 * m, SIDE + 2 * m), pixels.dtype)
    padded[:, m:m + SIDE, m:m + SIDE] = pixels.reshape(B, SIDE, SIDE)
    # windows[b, i, j] is the 28x28 crop starting at padded[b, i, j]; frame[y, x] = image[y - dy, x - dx]
    # is the crop starting at (m - dy, m - dx). One fancy-indexing gather copies all T+1 frames
    # (several times faster than np.take with a flat index array).
    windows = sliding_window_view(padded, (SIDE, SIDE), axis=(1, 2))
    return windows[np.arange(B)[None, :], m - pos[..., 0], m - pos[..., 1]]


def _jitter_core(pixels, start, moves, max_shift, threshold, onset):
    """Offsets, frames (pixels' dtype) and boolean events (T, B, 784) of the jitter model."""
    pos = _random_walk(start, moves, max_shift)
    frames = _shifted_frames(pixels, pos, max_shift)
    flat = frames.reshape(frames.shape[0], frames.shape[1], SIDE * SIDE)
    cur, prev = flat[1:], flat[:-1]
    if onset:
        prev = prev.copy()
        prev[0] = 0  # (jitter-onset) blank reference: step 0 sees the digit appear
    if pixels.dtype == np.uint8:
        # uint8 fast path, 3x faster than float32 (a quarter of the memory traffic) and exact:
        # |a - b| / 255 > threshold  <=>  |a - b| > floor(255 * threshold) for integer |a - b|
        # (Fraction: the float threshold's exact value, so 0.2 = 51/255 is not rounded either way).
        diff = np.maximum(cur, prev)
        diff -= np.minimum(cur, prev)  # |a - b| without leaving uint8
        events = diff > math.floor(Fraction(threshold) * 255)  # (jitter-events)
    else:
        events = np.abs(cur - prev) > np.float32(threshold)  # (jitter-events)
    return frames, pos, events


def _draw_walk(rng, T, B, max_shift):
    # Draw order is part of the seed contract: start offsets first, then the T x B move indices.
    start = rng.integers(-max_shift, max_shift + 1, size=(B, 2))
    moves = rng.integers(0, len(JITTER_MOVES), size=(T, B))
    return start, moves


def jitter_frames(images, T=20, max_shift=2, threshold=0.15, onset=False, seed=None, dtype=np.float32):
    """Jittered MNIST with everything a figure needs: frames, offsets and events.

    See :func:`jitter_encode` for the model; this returns the same events (same seed -> identical)
    together with the shifted frames that produced them.

    Parameters
    ----------
    images, T, max_shift, threshold, onset, seed, dtype
        As in :func:`jitter_encode`.

    Returns
    -------
    frames : numpy.ndarray, shape (T + 1, B, 28, 28), dtype ``dtype``
        ``frames[0]`` is the reference frame F_{-1} (the digit at the start offset; it is *not*
        blanked when ``onset=True``: it shows where the walk started), ``frames[t + 1]`` the frame
        F_t seen at step t.
    offsets : numpy.ndarray of int64, shape (T + 1, B, 2)
        ``offsets[t + 1, b] = (dy, dx)`` of frame t (positive = down / right).
    events : numpy.ndarray, shape (T, B, 784), dtype ``dtype``
        ``events[t] = 1[|F_t - F_{t-1}| > threshold]`` (F_{-1} = 0 for step 0 if ``onset``).
    """
    pixels = _pixels(images)
    T, max_shift, threshold, onset = _check_jitter_args(T, max_shift, threshold, onset)
    dt = check_float_dtype(dtype)
    rng = as_rng(seed)
    start, moves = _draw_walk(rng, T, pixels.shape[0], max_shift)
    frames, pos, events = _jitter_core(pixels, start, moves, max_shift, threshold, onset)
    frames = frames.astype(dt)
    if pixels.dtype == np.uint8:
        frames /= dt.type(255)
    return frames, pos, events.astype(dt)


def jitter_encode(images, T=20, max_shift=2, threshold=0.15, onset=False, seed=None, dtype=np.float32):
    """Jittered MNIST: events of a simulated event camera watching the digit move on a random walk.

    Model (details and rationale in the module docstring and ``derivations/encoders.md``):

    * offsets ``p_{-1} ~ U{-max_shift..max_shift}^2``; ``p_t = p_{t-1} + m_t`` with ``m_t`` one
      of the 8 neighbouring moves (uniform), reflected at the box edge ``|.| <= max_shift``;
    * frame ``F_t`` = the image shifted by ``p_t`` (zeros shifted in);
    * spike ``x_t = 1[|F_t - F_{t-1}| > threshold]`` per pixel (ON/OFF merged: 784 inputs).

    Step 0 compares with the frame at the random start offset (no special burst); ``onset=True``
    compares it with a blank frame instead, so step 0 shows the whole digit.

    Speed (measured on a shared 2-core machine, one thread, NumPy 2.4, float32 output, 128 images,
    T = 20): about 1.8 ms for uint8 images, about 3-3.5 ms for float images; re-encoding the 60,000
    training digits with fresh jitter takes about 1 s per epoch. The work is one fancy-indexing
    gather of the T + 1 frames, a subtraction and a comparison; uint8 images take an exact integer
    path with a quarter of the memory traffic.

    Parameters
    ----------
    images : numpy.ndarray, shape (B, 28, 28) or (B, 784)
        uint8 0..255, or float in [0, 1].
    T : int
        Number of time steps (>= 1).
    max_shift : int
        Largest offset in pixels along each axis (>= 1).
    threshold : float
        Intensity change (in [0, 1) units of full scale) a pixel must exceed to spike. For uint8
        images the comparison is exact (``|a - b| / 255 > threshold`` in integers); float images
        are compared in float32.
    onset : bool
        Compare step 0 with a blank frame (the digit appears) instead of the start frame.
    seed : None, int or numpy.random.Generator
    dtype : np.float32 or np.float64

    Returns
    -------
    numpy.ndarray, shape (T, B, 784), of 0.0 and 1.0
    """
    pixels = _pixels(images)  # uint8 stays uint8: the fast, exact path
    T, max_shift, threshold, onset = _check_jitter_args(T, max_shift, threshold, onset)
    dt = check_float_dtype(dtype)
    rng = as_rng(seed)
    start, moves = _draw_walk(rng, T, pixels.shape[0], max_shift)
    return _jitter_core(pixels, start, moves, max_shift, threshold, onset)[2].astype(dt)


# ------------------------------------------------------------------------------- whole data sets
_ENCODER_KW = {"rate": ("T", "max_rate"), "jitter": ("T", "max_shift", "threshold", "onset")}
_DEFAULTS = {"T": 20, "max_rate": 1.0, "max_shift": 2, "threshold": 0.15, "onset": False}


def encode_dataset(images, encoder="rate", seed=0, batch_size=128, dtype=np.float32, start_index=0, **kw):
    """Encode a whole data set batch by batch, reproducibly and independently of the batch size.

    Image ``i`` (its position in ``images`` plus ``start_index``) draws its randomness from its own
    generator ``numpy.random.default_rng([seed, i])``, so its spikes depend only on the seed, the
    image and ``i`` -- not on the batch size, nor on which other images share its batch. Use it for
    the test set: every evaluation sees exactly the same spikes. (Plain :func:`rate_encode` /
    :func:`jitter_encode` draw one stream per call: same seed and same batching give identical
    spikes, but a different batching does not.) Per-image generators cost some tens of
    microseconds each: the 10,000 test digits (T = 20) take about 0.5 s (jitter) or 0.7 s (rate).

    Parameters
    ----------
    images : numpy.ndarray, shape (N, 28, 28) or (N, 784)
        uint8 0..255 or float in [0, 1].
    encoder : {"rate", "jitter"}
    seed : int or numpy.random.Generator
        A Generator is used once, to draw the base seed.
    batch_size : int
    dtype : np.float32 or np.float64
    start_index : int
        Index of ``images[0]`` in the full data set, to encode a slice exactly as it would be encoded
        as part of the whole set.
    **kw
        The encoder's parameters: ``T``, ``max_rate`` (rate) or ``T``, ``max_shift``,
        ``threshold``, ``onset`` (jitter); defaults as in :func:`rate_encode` / :func:`jitter_encode`.

    Yields
    ------
    numpy.ndarray, shape (T, b, 784)
        Batch k encodes ``images[k * batch_size : (k + 1) * batch_size]`` (the last may be smaller).
    """
    check_choice(encoder, "encoder", tuple(_ENCODER_KW))
    unknown = set(kw) - set(_ENCODER_KW[encoder])
    if unknown:
        raise TypeError(f"unknown argument(s) {sorted(unknown)} for encoder {encoder!r}; "
                        f"it takes {list(_ENCODER_KW[encoder])}")
    params = {k: kw.get(k, _DEFAULTS[k]) for k in _ENCODER_KW[encoder]}
    pixels = _pixels(images)
    batch_size = check_int(batch_size, "batch_size", low=1)
    start_index = check_int(start_index, "start_index", low=0)
    dt = check_float_dtype(dtype)
    if encoder == "rate":
        T = check_int(params["T"], "T", low=1)
        max_rate = check_real(params["max_rate"], "max_rate", low=0.0, high=1.0)
    else:
        T, max_shift, threshold, onset = _check_jitter_args(
            params["T"], params["max_shift"], params["threshold"], params["onset"])
    if isinstance(seed, np.random.Generator):
        base = int(seed.integers(2**63))
    else:
        if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise TypeError(f"seed must be a non-negative int or a numpy.random.Generator, got {seed!r}")
        base = int(seed)
    return _encode_batches(pixels, encoder, base, batch_size, dt, start_index,
                           T, *((max_rate,) if encoder == "rate" else (max_shift, threshold, onset)))


def _encode_batches(pixels, encoder, base, batch_size, dt, start_index, T, *args):
    n = pixels.shape[0]
    for lo in range(0, n, batch_size):
        chunk = pixels[lo:lo + batch_size]
        b = chunk.shape[0]
        rngs = [np.random.default_rng([base, start_index + lo + j]) for j in range(b)]
        if encoder == "rate":
            u = np.empty((T, b, chunk.shape[1]), np.float32)
            for j, r in enumerate(rngs):
                u[:, j] = r.random((T, chunk.shape[1]), dtype=np.float32)
            yield _rate_spikes(as_intensity(chunk), args[0], u, dt)
        else:
            max_shift, threshold, onset = args
            start = np.empty((b, 2), np.int64)
            moves = np.empty((T, b), np.int64)
            for j, r in enumerate(rngs):
                s, mv = _draw_walk(r, T, 1, max_shift)
                start[j], moves[:, j] = s[0], mv[:, 0]
            yield _jitter_core(chunk, start, moves, max_shift, threshold, onset)[2].astype(dt)


# -------------------------------------------------------------------------------------------- labels
def one_hot(labels, n_classes=10, dtype=np.float32):
    """One-hot targets.

    Parameters
    ----------
    labels : array_like of int, shape (B,)
        Class indices in ``0 .. n_classes - 1``.
    n_classes : int
    dtype : np.float32 or np.float64

    Returns
    -------
    numpy.ndarray, shape (B, n_classes)
        ``out[b, labels[b]] = 1``, zeros elsewhere.
    """
    n_classes = check_int(n_classes, "n_classes", low=1)
    dt = check_float_dtype(dtype)
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"labels must have shape (B,), got {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        bad = int(np.argmax((arr < 0) | (arr >= n_classes)))
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, found {int(arr[bad])} at index {bad}")
    out = np.zeros((arr.size, n_classes), dt)
    out[np.arange(arr.size), arr] = 1
    return out
