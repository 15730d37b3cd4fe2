"""The NumPy reference SNU: hand-computed values, step vs sequence, shapes."""
import numpy as np
import pytest

from snu_np.functional import snu as F
from snu_np.surrogates import sigmoid

pytestmark = pytest.mark.nojit


def test_hand_computed_single_neuron():
    # one neuron, W = 1, b = -1 (threshold 1), decay 0.8, input currents 0.6 each step
    x = np.full((4, 1, 1), 0.6)
    W = np.ones((1, 1))
    b = np.array([-1.0])
    s, y, _ = F.snu_forward(x, W, b, 0.8)
    # s1 = 0.6; s2 = 0.6 + 0.8*0.6 = 1.08 > 1 -> spike; s3 = 0.6 + 0.8*1.08*(1-1) = 0.6; s4 = 1.08
    np.testing.assert_allclose(s[:, 0, 0], [0.6, 1.08, 0.6, 1.08])
    np.testing.assert_array_equal(y[:, 0, 0], [0, 1, 0, 1])


def test_soft_snu_proportional_reset():
    x = np.full((2, 1, 1), 2.0)
    W, b = np.ones((1, 1)), np.array([-1.0])
    s, y, _ = F.snu_forward(x, W, b, 0.5, soft=True)
    y1 = sigmoid(np.array(1.0))
    np.testing.assert_allclose(y[0, 0, 0], y1)
    np.testing.assert_allclose(s[1, 0, 0], 2.0 + 0.5 * 2.0 * (1 - y1))   # reset in proportion to y


def test_recurrent_term_and_sequence_matches_steps(rng):
    T, B, n_in, n = 6, 3, 4, 5
    x = rng.uniform(0, 1, (T, B, n_in))
    W = rng.normal(0, 1, (n_in, n))
    H = rng.normal(0, 1, (n, n))
    b = -np.ones(n) * 0.5
    s, y, cache = F.snu_forward(x, W, b, 0.8, H=H, g="leaky_relu")
    sp = yp = np.zeros((B, n))
    for t in range(T):
        z = x[t] @ W + yp @ H + 0.8 * sp * (1 - yp)
        sp = np.where(z > 0, z, 0.1 * z)
        yp = (sp + b > 0).astype(float)
        np.testing.assert_allclose(s[t], sp)
        np.testing.assert_array_equal(y[t], yp)


def test_backward_loop_matches_step_backward(rng):
    T, B, n_in, n = 5, 2, 3, 4
    x = rng.uniform(0, 1, (T, B, n_in))
    W = rng.normal(0, 1, (n_in, n))
    b = -0.5 * np.ones(n)
    s, y, cache = F.snu_forward(x, W, b, 0.8, soft=True)
    dy = rng.standard_normal(y.shape)
    dx, grads = F.snu_backward(dy, cache)
    # last step alone: the gradients of step T with nothing arriving from T+1
    step_cache = (x[-1], s[-2], y[-2], s[-1], y[-1], W, b, 0.8, None, True, "relu", cache["surrogate"])
    d = F.snu_step_backward(dy[-1], np.zeros((B, n)), step_cache)
    np.testing.assert_allclose(dx[-1], d["dx"])
    assert dx.shape == x.shape and grads["W"].shape == W.shape and grads["b"].shape == b.shape


def test_zero_input_stays_silent():
    x = np.zeros((5, 2, 3))
    s, y, _ = F.snu_forward(x, np.ones((3, 4)), -np.ones(4), 0.8)
    assert not s.any() and not y.any()
