"""Spike encoders: statistics, the jitter model against a loop reference, seeding, argument checks."""
import numpy as np
import pytest

from snu_np.data import encode_dataset, jitter_encode, jitter_frames, load_embedded_mnist, one_hot, rate_encode
from snu_np.data.encoders import JITTER_MOVES

pytestmark = pytest.mark.nojit


@pytest.fixture(scope="module")
def digits():
    x, y = load_embedded_mnist("test")
    return x[:64], y[:64]


def levels_image():
    """Four float images of constant intensity 0, 0.25, 0.5, 1."""
    return np.repeat(np.array([0.0, 0.25, 0.5, 1.0])[:, None], 784, axis=1)


# -------------------------------------------------------------------------------------- rate coding
@pytest.mark.parametrize("max_rate", [1.0, 0.4])
def test_rate_encode_mean_matches_probability(max_rate):
    x = rate_encode(levels_image(), T=200, max_rate=max_rate, seed=0)
    assert x.shape == (200, 4, 784) and x.dtype == np.float32
    assert set(np.unique(x)) <= {0.0, 1.0}
    # 156,800 Bernoulli draws per level: standard error <= 0.0013, tolerance ~7 SE.
    np.testing.assert_allclose(x.mean(axis=(0, 2)), max_rate * np.array([0, 0.25, 0.5, 1.0]), atol=0.01)
    assert x[:, 0].sum() == 0
    if max_rate == 1.0:
        assert x[:, 3].min() == 1.0


def test_rate_encode_uint8_and_shapes(digits):
    x, _ = digits
    a = rate_encode(x, T=5, seed=3)
    b = rate_encode(x.reshape(len(x), 784), T=5, seed=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a.sum(0)[x.reshape(len(x), -1) == 0], 0)  # black pixels never spike
    assert rate_encode(x, T=2, seed=1, dtype=np.float64).dtype == np.float64


def test_rate_encode_seeding(digits):
    x, _ = digits
    np.testing.assert_array_equal(rate_encode(x, seed=7), rate_encode(x, seed=7))
    assert not np.array_equal(rate_encode(x, seed=7), rate_encode(x, seed=8))
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(rate_encode(x, seed=g1), rate_encode(x, seed=g2))


# ----------------------------------------------------------------------------------- jittered MNIST
def reference_frames(image, offsets):
    """Loop implementation of F_t(y, x) = I(y - dy, x - dx), zeros outside."""
    out = np.zeros((len(offsets), 28, 28))
    for t, (dy, dx) in enumerate(offsets):
        for y in range(28):
            for x in range(28):
                if 0 <= y - dy < 28 and 0 <= x - dx < 28:
                    out[t, y, x] = image[y - dy, x - dx]
    return out


@pytest.mark.parametrize("max_shift", [1, 2, 4])
def test_jitter_walk_stays_in_box_and_moves_to_a_neighbour(digits, max_shift):
    x, _ = digits
    _, off, _ = jitter_frames(x, T=60, max_shift=max_shift, seed=1)
    assert off.shape == (61, len(x), 2) and off.dtype == np.int64
    assert np.abs(off).max() == max_shift  # reaches the edge of the box but never leaves it
    step = np.diff(off, axis=0)
    assert np.abs(step).max() == 1 and np.all(np.abs(step).sum(-1) > 0)  # never "stay"
    # All 8 moves occur with similar frequency (the reflection keeps them balanced).
    codes = (step[..., 0] + 1) * 3 + (step[..., 1] + 1)
    counts = np.bincount(codes.ravel(), minlength=9)
    assert counts[4] == 0 and counts.min() == 0 and np.all(counts[[0, 1, 2, 3, 5, 6, 7, 8]] > 200)
    # The start offsets cover the whole box.
    assert len({tuple(p) for p in off[0]}) > (2 * max_shift + 1) ** 2 // 2


def test_jitter_frames_and_events_match_loop_reference(digits):
    x, _ = digits
    intensity = x[:3].astype(np.float64) / 255
    # 0.21 is off the k/255 grid: at exactly k/255 float32 and float64 rounding could disagree.
    frames, off, ev = jitter_frames(x[:3], T=6, max_shift=3, threshold=0.21, seed=11, dtype=np.float64)
    assert frames.shape == (7, 3, 28, 28) and ev.shape == (6, 3, 784)
    for b in range(3):
        ref = reference_frames(intensity[b], off[:, b])
        np.testing.assert_allclose(frames[:, b], ref, atol=1e-6)
        ref_ev = (np.abs(np.diff(ref, axis=0)) > 0.21).reshape(6, 784)
        np.testing.assert_array_equal(ev[:, b], ref_ev)


def test_jitter_encode_equals_jitter_frames_events(digits):
    x, _ = digits
    ev = jitter_encode(x, T=8, seed=4)
    np.testing.assert_array_equal(ev, jitter_frames(x, T=8, seed=4)[2])
    assert ev.dtype == np.float32 and set(np.unique(ev)) == {0.0, 1.0}
    density = ev.mean()
    assert 0.05 < density < 0.3  # edges only: about 100 of 784 pixels per step with the defaults
    assert np.all(ev.sum(axis=2) > 0)  # the digit always moves, so every step has events


def test_jitter_onset_step_zero_shows_the_digit(digits):
    x, _ = digits
    frames, _, ev = jitter_frames(x, T=4, threshold=0.15, onset=True, seed=2)
    np.testing.assert_array_equal(ev[0], (frames[1] > 0.15).reshape(len(x), 784))
    _, _, ev_plain = jitter_frames(x, T=4, threshold=0.15, onset=False, seed=2)
    np.testing.assert_array_equal(ev[1:], ev_plain[1:])  # only step 0 differs
    assert ev[0].sum() > ev_plain[0].sum()


def test_jitter_static_threshold_behaviour():
    # A single bright pixel: an event where it was and where it is, nowhere else.
    img = np.zeros((1, 28, 28))
    img[0, 14, 14] = 1.0
    frames, off, ev = jitter_frames(img, T=5, max_shift=2, threshold=0.5, seed=0)
    for t in range(5):
        on = np.flatnonzero(ev[t, 0])
        expect = sorted({(14 + off[t, 0, 0]) * 28 + 14 + off[t, 0, 1], (14 + off[t + 1, 0, 0]) * 28 + 14 + off[t + 1, 0, 1]})
        assert list(on) == expect
    assert jitter_encode(img, T=5, threshold=0.999, seed=0).sum() > 0
    assert jitter_encode(img * 0.5, T=5, threshold=0.5, seed=0).sum() == 0  # change must exceed threshold


def test_jitter_uint8_threshold_is_exact_and_matches_float(digits):
    # Pixel steps of exactly 51 = 0.2 * 255 must not spike at threshold 0.2; 52 must.
    img = np.zeros((2, 28, 28), np.uint8)
    img[0, 10:18, 10:18] = 51
    img[1, 10:18, 10:18] = 52
    ev = jitter_encode(img, T=4, threshold=0.2, seed=0)
    assert ev[:, 0].sum() == 0 and np.all(ev[:, 1].sum(-1) > 0)
    # Off the k/255 grid, uint8 and float images give the same events.
    x, _ = digits
    np.testing.assert_array_equal(jitter_encode(x, threshold=0.15, seed=3),
                                  jitter_encode(x.astype(np.float64) / 255, threshold=0.15, seed=3))


def test_jitter_seeding(digits):
    x, _ = digits
    np.testing.assert_array_equal(jitter_encode(x, seed=9), jitter_encode(x, seed=9))
    assert not np.array_equal(jitter_encode(x, seed=9), jitter_encode(x, seed=10))
    assert jitter_encode(x[:2], T=3, seed=0, dtype=np.float64).dtype == np.float64


def test_jitter_moves_table():
    assert len({tuple(m) for m in JITTER_MOVES}) == 8 and (0, 0) not in {tuple(m) for m in JITTER_MOVES}


# -------------------------------------------------------------------------------- encode_dataset
@pytest.mark.parametrize("encoder, kw", [("rate", {"T": 6, "max_rate": 0.7}),
                                         ("jitter", {"T": 6, "max_shift": 3, "onset": True})])
def test_encode_dataset_is_independent_of_batching(digits, encoder, kw):
    x, _ = digits
    full = [np.concatenate(list(encode_dataset(x, encoder, seed=5, batch_size=bs, **kw)), axis=1)
            for bs in (64, 7, 1)]
    assert full[0].shape == (6, 64, 784)
    np.testing.assert_array_equal(full[0], full[1])
    np.testing.assert_array_equal(full[0], full[2])
    # A slice encoded on its own, with start_index, equals the same images in the full set.
    part = np.concatenate(list(encode_dataset(x[20:40], encoder, seed=5, batch_size=8, start_index=20, **kw)), axis=1)
    np.testing.assert_array_equal(part, full[0][:, 20:40])
    other = np.concatenate(list(encode_dataset(x, encoder, seed=6, batch_size=64, **kw)), axis=1)
    assert not np.array_equal(other, full[0])


def test_encode_dataset_batches_and_statistics(digits):
    x, _ = digits
    batches = list(encode_dataset(x, "rate", seed=0, batch_size=30, T=50))
    assert [b.shape[1] for b in batches] == [30, 30, 4]
    allx = np.concatenate(batches, axis=1)
    np.testing.assert_allclose(allx.mean(0), x.reshape(64, 784) / 255, atol=0.4)  # ~6 SE at T=50
    np.testing.assert_allclose(allx.mean(), x.mean() / 255, atol=0.005)


def test_encode_dataset_argument_checks(digits):
    x, _ = digits
    with pytest.raises(ValueError, match="encoder must be one of"):
        encode_dataset(x, "poisson")
    with pytest.raises(TypeError, match=r"unknown argument\(s\) \['max_rate'\] for encoder 'jitter'"):
        encode_dataset(x, "jitter", max_rate=0.5)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        encode_dataset(x, batch_size=0)
    with pytest.raises(TypeError, match="seed must be a non-negative int"):
        encode_dataset(x, seed=None)
    with pytest.raises(ValueError, match="threshold"):
        encode_dataset(x, "jitter", threshold=1.5)


# ------------------------------------------------------------------------------------------ one_hot
def test_one_hot():
    y = one_hot(np.array([3, 0, 9], np.uint8))
    assert y.shape == (3, 10) and y.dtype == np.float32
    np.testing.assert_array_equal(y.argmax(1), [3, 0, 9])
    np.testing.assert_array_equal(y.sum(1), 1)
    assert one_hot([1, 2], n_classes=3, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="labels must lie in 0..9, found 10 at index 1"):
        one_hot(np.array([1, 10]))
    with pytest.raises(TypeError, match="labels must be integers"):
        one_hot(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"labels must have shape \(B,\)"):
        one_hot(np.zeros((2, 2), int))


# ----------------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("encode", [rate_encode, jitter_encode])
def test_bad_images_are_refused_naming_the_argument(encode):
    with pytest.raises(TypeError, match="images must be a NumPy array"):
        encode([[0.0] * 784])
    with pytest.raises(ValueError, match=r"images must have shape \(B, 28, 28\) or \(B, 784\).*batch axis"):
        encode(np.zeros((28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"images must have shape"):
        encode(np.zeros((2, 785)))
    with pytest.raises(ValueError, match=r"float images must lie in \[0, 1\], got values in \[255, 255\]"):
        encode(np.full((1, 784), 255.0))
    with pytest.raises(ValueError, match="images contains NaN"):
        encode(np.full((1, 784), np.nan))
    with pytest.raises(TypeError, match="images must be uint8.*got dtype int64"):
        encode(np.zeros((1, 784), np.int64))
    with pytest.raises(ValueError, match="images must hold at least one image"):
        encode(np.zeros((0, 784), np.uint8))
    with pytest.raises(ValueError, match="T must be >= 1"):
        encode(np.zeros((1, 784), np.uint8), T=0)
    with pytest.raises(TypeError, match="T must be an integer"):
        encode(np.zeros((1, 784), np.uint8), T=2.5)
    with pytest.raises(TypeError, match="seed must be None"):
        encode(np.zeros((1, 784), np.uint8), seed="abc")
    with pytest.raises(TypeError, match="dtype must be np.float32 or np.float64"):
        encode(np.zeros((1, 784), np.uint8), dtype=np.int32)


def test_bad_encoder_parameters():
    img = np.zeros((1, 784), np.uint8)
    with pytest.raises(ValueError, match="max_rate must be <= 1.0"):
        rate_encode(img, max_rate=1.5)
    with pytest.raises(ValueError, match="max_shift must be >= 1"):
        jitter_encode(img, max_shift=0)
    with pytest.raises(TypeError, match="max_shift must be an integer"):
        jitter_encode(img, max_shift=1.5)
    with pytest.raises(ValueError, match="threshold must be >= 0.0"):
        jitter_encode(img, threshold=-0.1)
    with pytest.raises(ValueError, match="threshold must be < 1.0"):
        jitter_encode(img, threshold=1.0)
    with pytest.raises(TypeError, match="onset must be True or False"):
        jitter_frames(img, onset="yes")
