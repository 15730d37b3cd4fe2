# The solutions and teacher notes of exercise 8, snu_np/exercises/student/ex08_jitter_encoder.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 40 min). The check verifies `shift_image` on six offsets (catching
# > `np.roll`, which wraps around, a reversed direction and swapped axes), then `jitter_encode`:
# > shapes, binary values, offsets within the box, that every event — and only those — marks a change
# > above the threshold between consecutive frames given the student's own offsets, that the same seed
# > gives the same output, and that another seed gives another output. Its test images have content up
# > to the border: with MNIST digits (empty margins) `np.roll` would go unnoticed. Also recognised:
# > comparing with the unshifted image instead of the previous frame, ON events only, no threshold, an
# > image that never moves. The package's version is `snu_np.data.jitter_encode` (a reflected random walk).


# %% solution: shift_image
    H, W = image.shape
    out = np.zeros_like(image)
    out[max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        image[max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


# %% solution: jitter_encode
    rng = np.random.default_rng(seed)
    B = images.shape[0]
    offsets = np.zeros((T + 1, B, 2), dtype=int)
    offsets[0] = rng.integers(-max_shift, max_shift + 1, size=(B, 2))
    for t in range(T):
        step = MOVES[rng.integers(0, len(MOVES), size=B)]
        new = offsets[t] + step
        offsets[t + 1] = np.where(np.abs(new) > max_shift, offsets[t] - step, new)   # reflect at the edge
    frames = np.array([[shift_image(images[b], *offsets[t, b]) for b in range(B)] for t in range(T + 1)])
    frames = frames.reshape(T + 1, B, -1)
    events = (np.abs(frames[1:] - frames[:-1]) > threshold).astype(float)
    return events, offsets
