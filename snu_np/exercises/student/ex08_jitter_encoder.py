# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 8 — A jittered event-camera encoder
#
# The paper trains on "spikes from an asynchronous camera, conveying jittered images of the digits".
# An event camera does not send frames: each pixel emits an event when its brightness **changes** by
# more than a threshold. A still image therefore produces no events — it has to move.
#
# The encoder, for each image:
#
# 1. choose integer offsets $p_{-1}, p_0, \dots, p_{T-1}$ with $|p| \le$ `max_shift` along each axis
#    (for instance a random walk: each step moves to a neighbouring offset);
# 2. frame $F_t$ is the image shifted by $p_t$ — pixels shifted in from outside are 0;
# 3. event $x_t = \big[\,|F_t - F_{t-1}| > \text{threshold}\,\big]$ per pixel (ON and OFF merged).
#
# All randomness comes from `rng = np.random.default_rng(seed)`, so the same seed gives the same spikes.
#
# **Your task.** (1) `shift_image(image, dy, dx)`: row $r$ moves to row $r + dy$, column $c$ to
# $c + dx$, zeros shifted in. (2) `jitter_encode(images, T, max_shift, threshold, seed)` for images
# (B, 28, 28) in [0, 1], returning `events` of shape (T, B, 784) (zeros and ones) and `offsets`, an
# integer array (T + 1, B, 2): `offsets[0]` is $p_{-1}$, `offsets[t + 1]` is $p_t$ as (dy, dx).
#
# <!-- teacher notes -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np.data import load_embedded_mnist
from snu_np.exercises import check

# %%
def shift_image(image, dy, dx):
    """The (28, 28) image shifted down by dy rows and right by dx columns, zeros shifted in."""
    raise NotImplementedError("Exercise 8: copy the overlapping block into a zero array (np.roll would wrap around)")

# %%
check("shift_image", shift_image)

# %%
MOVES = np.array([(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)])


def jitter_encode(images, T=20, max_shift=2, threshold=0.15, seed=0):
    """Events (T, B, 784) of an event camera watching each image move; and the offsets (T + 1, B, 2)."""
    raise NotImplementedError("Exercise 8: random offsets from rng = np.random.default_rng(seed), shifted frames, thresholded differences")

# %%
check("jitter_encode", jitter_encode)

# %%
images, labels = load_embedded_mnist("test")
digits = images[:3].astype(float) / 255.0
events, offsets = jitter_encode(digits, T=8, seed=1)
fig, axes = plt.subplots(1, 8, figsize=(12, 1.8))
for t, ax in enumerate(axes):
    ax.imshow(events[t, 0].reshape(28, 28), cmap="gray_r")
    ax.set_title(f"t = {t}")
    ax.axis("off")
print("events per step:", events[:, 0].sum(axis=1))
