"""Losses: hand-computed values, gradients by finite differences, stability, bad input."""
import numpy as np
import pytest

from snu_np.functional.losses import accuracy, bernoulli_nll, softmax_cross_entropy, window_mse
from snu_np.gradcheck import check_gradients

pytestmark = pytest.mark.nojit


def fd_check(fn, y, target, **kw):
    _, dy = fn(y, target, **kw)
    return check_gradients(lambda: fn(y, target, **kw)[0], {"y": y}, {"y": dy})


def test_window_mse_value_and_grad(rng):
    y = np.zeros((4, 1, 2))
    y[1:3, 0, 0] = 1.0                       # mean over window (1, 3) = [1, 0]
    loss, dy = window_mse(y, np.array([1]), window=(1, 3))
    assert loss == pytest.approx(((1 - 0) ** 2 + (0 - 1) ** 2) / 2)
    assert not dy[0].any() and not dy[3].any()
    assert fd_check(window_mse, rng.uniform(0, 1, (5, 3, 4)), np.array([0, 3, 1]), window=(1, 4)).passed()


def test_softmax_ce_value_and_grad(rng):
    y = np.zeros((2, 1, 3))
    loss, _ = softmax_cross_entropy(y, np.array([2]))
    assert loss == pytest.approx(np.log(3))
    assert fd_check(softmax_cross_entropy, rng.normal(0, 3, (4, 3, 5)), np.array([0, 4, 2])).passed()


def test_softmax_ce_is_stable_for_huge_outputs():
    y = np.full((3, 2, 4), 1e4)
    y[:, 0, 1] = 2e4
    loss, dy = softmax_cross_entropy(y, np.array([1, 0]))
    assert np.isfinite(loss) and np.all(np.isfinite(dy))


def test_bernoulli_nll_hand_value():
    # p = sigmoid(0) = 0.5 for every key: each step costs K * log 2
    logits = np.zeros((3, 2, 4))
    target = np.zeros((3, 2, 4))
    target[0, 0, 1] = 1
    loss, _ = bernoulli_nll(logits, target)
    assert loss == pytest.approx(4 * np.log(2))
    # one explicit entry: logit 2, target 1 -> -log sigmoid(2); logit -1, target 0 -> -log(1 - sigmoid(-1))
    lg = np.array([[[2.0, -1.0]]])
    tg = np.array([[[1.0, 0.0]]])
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    assert bernoulli_nll(lg, tg)[0] == pytest.approx(-np.log(sig(2.0)) - np.log(1 - sig(-1.0)))


def test_bernoulli_nll_mask_and_grad(rng):
    logits = rng.normal(0, 2, (5, 3, 4))
    target = (rng.uniform(0, 1, (5, 3, 4)) < 0.3).astype(float)
    mask = np.ones((5, 3))
    mask[3:, 2] = 0
    assert fd_check(bernoulli_nll, logits, target, mask=mask).passed()
    # padding contributes nothing: change padded logits, same loss
    l2 = logits.copy()
    l2[3:, 2] = 100.0
    assert bernoulli_nll(l2, target, mask)[0] == pytest.approx(bernoulli_nll(logits, target, mask)[0])


def test_bernoulli_nll_stable_for_huge_logits():
    logits = np.array([[[800.0, -800.0]]])
    loss, d = bernoulli_nll(logits, np.array([[[0.0, 1.0]]]))
    assert loss == pytest.approx(1600.0) and np.all(np.isfinite(d))


def test_accuracy():
    y = np.zeros((2, 3, 2))
    y[:, 0, 1] = y[:, 1, 0] = y[:, 2, 1] = 1
    assert accuracy(y, np.array([1, 0, 0])) == pytest.approx(2 / 3)


@pytest.mark.parametrize("call,match", [
    (lambda: window_mse(np.zeros((3, 2, 4)), np.zeros((2, 5))), "target must have shape"),
    (lambda: window_mse(np.zeros((3, 2, 4)), np.array([0, 4])), "labels must be in"),
    (lambda: window_mse(np.zeros((3, 2, 4)), np.array([0, 1]), window=(2, 5)), "window"),
    (lambda: window_mse(np.zeros((3, 2, 4)), np.array([0, 1]), window=(2, 2)), "window"),
    (lambda: window_mse(np.zeros((3, 4)), np.array([0, 1])), "y must have 3 dimensions"),
    (lambda: softmax_cross_entropy(np.full((3, 2, 4), np.nan), np.array([0, 1])), "NaN"),
    (lambda: bernoulli_nll(np.zeros((3, 2, 4)), np.zeros((3, 2, 5))), "target must have shape"),
    (lambda: bernoulli_nll(np.zeros((3, 2, 4)), np.full((3, 2, 4), 2.0)), r"\[0, 1\]"),
    (lambda: bernoulli_nll(np.zeros((3, 2, 4)), np.zeros((3, 2, 4)), np.zeros((3, 2))), "mask"),
])
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
