"""Exercise 8: shift an image with zeros shifted in, and a jittered event-camera encoder."""
from __future__ import annotations

import numpy as np

from .. import helpers
from .base import ALWAYS_FORBIDDEN, Check, Mistake, _as_float, _by_key, _call, _compare, _Fail, _fmt

MISTAKES = {}

MISTAKES["shift_image"] = [
    Mistake("roll", "np.roll wraps around",
            "np.roll wraps pixels around the border: the pixels shifted in from outside must be 0."),
    Mistake("reversed", "shifted the wrong way",
            "wrong direction: a positive dy moves the content down (row r goes to row r + dy), a positive dx right."),
    Mistake("swapped", "dy and dx swapped",
            "dy is the row (vertical) offset and dx the column offset; you swapped them."),
]
MISTAKES["jitter_encode"] = [
    Mistake("vs_original", "compared with the unshifted image",
            "compare each frame with the PREVIOUS frame F_{t-1}, not with the unshifted image."),
    Mistake("on_only", "ON events only",
            "you kept only ON events (F_t - F_{t-1} > threshold); an event camera also reports darkening: "
            "use the absolute difference."),
    Mistake("no_threshold", "no threshold",
            "apply the threshold: a pixel spikes only where |F_t - F_{t-1}| > threshold."),
    Mistake("roll", "np.roll wraps around", "np.roll wraps pixels around the border: the pixels shifted in must be 0."),
    Mistake("not_deterministic", "not deterministic for a seed",
            "not deterministic for a fixed seed: draw every random number from rng = np.random.default_rng(seed)."),
    Mistake("seed_ignored", "seed ignored", "the seed is ignored: two different seeds gave identical spikes."),
    Mistake("not_binary", "events not 0/1", "events must be 0 or 1: threshold the differences, do not return them."),
    Mistake("no_motion", "the image never moves",
            "the image never moves, so an event camera sees nothing: change the offset at every step."),
]


def _shift(img, dy, dx, m=None):
    if m == "roll":
        return np.roll(np.roll(img, dy, axis=0), dx, axis=1)
    if m == "reversed":
        dy, dx = -dy, -dx
    elif m == "swapped":
        dy, dx = dx, dy
    out = np.zeros_like(img)
    H, W = img.shape
    out[max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        img[max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


SHIFTS = ((1, 0), (0, -2), (-1, 1), (2, 2), (0, 0), (-3, -1))


def _check_shift_image(fn):
    img = helpers.example_images(1, seed=3)[0]
    table = MISTAKES["shift_image"]
    for dy, dx in SHIFTS:
        got = {"image": _call(fn, img.copy(), dy, dx)}
        ref = {"image": _shift(img, dy, dx)}
        _compare(f"dy = {dy}, dx = {dx}", got, ref, {"image": ("row", "column")},
                 lambda dy=dy, dx=dx: [(mk, {"image": _shift(img, dy, dx, mk.key)}) for mk in table])
    return f"shifts with zeros shifted in are right for {len(SHIFTS)} offsets."


def _events_from(images, offsets, threshold, m=None):
    T = offsets.shape[0] - 1
    B = images.shape[0]
    frames = np.stack([[_shift(images[b], int(offsets[t, b, 0]), int(offsets[t, b, 1]),
                               "roll" if m == "roll" else None) for b in range(B)] for t in range(T + 1)])
    frames = frames.reshape(T + 1, B, -1)
    if m == "vs_original":
        diff = frames[1:] - images.reshape(1, B, -1)
    else:
        diff = frames[1:] - frames[:-1]
    if m == "on_only":
        return (diff > threshold).astype(np.float64)
    if m == "no_threshold":
        return (np.abs(diff) > 0).astype(np.float64)
    return (np.abs(diff) > threshold).astype(np.float64)


def _check_jitter_encode(fn):
    images = helpers.example_images(3, seed=8)
    T, max_shift, thr, seed = 12, 2, 0.15, 7
    table = _by_key(MISTAKES["jitter_encode"])

    def run(sd):
        out = _call(fn, images.copy(), T, max_shift, thr, sd)
        if not isinstance(out, tuple) or len(out) != 2:
            raise _Fail("jitter_encode must return (events, offsets).")
        return out

    events, offsets = run(seed)
    ev = _as_float(events)
    B = images.shape[0]
    if ev is None or ev.shape != (T, B, 784):
        shape = None if ev is None else ev.shape
        hint = ("flatten the pixels: reshape to (T, B, 784)." if shape == (T, B, 28, 28) else
                "time comes first: (T, B, 784)." if shape == (B, T, 784) else "")
        raise _Fail(f"events must have shape (T, B, 784) = {(T, B, 784)}, got {shape}.", hint)
    off = _as_float(offsets)
    if off is None or off.shape != (T + 1, B, 2):
        raise _Fail(f"offsets must have shape (T + 1, B, 2) = {(T + 1, B, 2)} (the reference frame F_-1 "
                    f"and the T frames), got {None if off is None else off.shape}.")
    if not np.all(np.isin(ev, (0.0, 1.0))):
        mk = table["not_binary"]
        raise _Fail(f"events hold values other than 0 and 1 (e.g. {_fmt(ev[~np.isin(ev, (0.0, 1.0))][0])}).",
                    mk.hint, mk.key)
    if not np.all(off == np.round(off)) or np.abs(off).max() > max_shift:
        raise _Fail(f"offsets must be integers in [-max_shift, max_shift] = [{-max_shift}, {max_shift}].")
    off = off.astype(np.int64)
    if np.all(off == off[:1]) or ev.sum() == 0:
        mk = table["no_motion"]
        raise _Fail("no event at all.", mk.hint, mk.key)
    ref = _events_from(images, off, thr)
    bad = ev != ref
    if bad.any():
        t, b, p = (int(i) for i in np.argwhere(bad)[0])
        key = next((k for k in ("vs_original", "on_only", "no_threshold", "roll")
                    if np.array_equal(ev, _events_from(images, off, thr, k))), "")
        what = ("an event where the intensity did not change by more than the threshold" if ev[t, b, p]
                else "no event where the intensity changed by more than the threshold")
        raise _Fail(f"events[{t}, {b}, {p}] (time step {t}, image {b}, pixel row {p // 28}, column {p % 28}): "
                    f"{what}, given your offsets {off[t, b].tolist()} -> {off[t + 1, b].tolist()} "
                    f"({int(bad.sum())} wrong entries).", table[key].hint if key else
                    "events[t] = |F_t - F_{t-1}| > threshold, where F_t is the image shifted by offsets[t + 1].",
                    key)
    events2, offsets2 = run(seed)
    if not (np.array_equal(_as_float(events2), ev) and np.array_equal(_as_float(offsets2), off)):
        mk = table["not_deterministic"]
        raise _Fail("two calls with seed = 7 gave different spikes.", mk.hint, mk.key)
    events3, _ = run(seed + 1)
    if np.array_equal(_as_float(events3), ev):
        mk = table["seed_ignored"]
        raise _Fail("seed = 7 and seed = 8 gave identical spikes.", mk.hint, mk.key)
    return (f"shape (T, B, 784), binary, reproducible by seed, and every event (and only those) marks a "
            f"change above the threshold between consecutive frames ({int(ev.sum())} events).")




_FORBIDDEN = ("snu_np.data.encoders",) + ALWAYS_FORBIDDEN

CHECKS = (
    Check("shift_image", 8, _check_shift_image, MISTAKES["shift_image"], forbidden=_FORBIDDEN),
    Check("jitter_encode", 8, _check_jitter_encode, MISTAKES["jitter_encode"], forbidden=_FORBIDDEN),
)
