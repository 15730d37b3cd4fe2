"""Finite differences against the hand-written BPTT of the soft SNU, in every configuration."""
import itertools

import numpy as np
import pytest

from snu_np import SNU, Dense, Sequential
from snu_np.functional.losses import bernoulli_nll, softmax_cross_entropy, window_mse
from snu_np.gradcheck import check_layer, check_network

TOL = 1e-6


@pytest.mark.parametrize("recurrent,g,train_decay", list(itertools.product(
    [False, True], ["relu", "identity", "leaky_relu"], [False, True])))
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_ssnu_layer(recurrent, g, train_decay, backend, rng):
    layer = SNU(4, 3, soft=True, recurrent=recurrent, g=g, train_decay=train_decay,
                threshold=0.3, seed=1, backend=backend)
    x = rng.uniform(0, 1, (6, 2, 4))
    report = check_layer(layer, x)
    assert report.passed(TOL), f"\n{report}"
    assert set(report) == set(layer.params) | {"x"}


@pytest.mark.parametrize("loss", ["mse", "ce"])
@pytest.mark.parametrize("recurrent", [False, True])
def test_ssnu_stack_of_three(loss, recurrent, rng):
    net = Sequential([SNU(5, 6, soft=True, recurrent=recurrent, train_decay=True, threshold=0.5, seed=1),
                      SNU(6, 5, soft=True, g="leaky_relu", threshold=0.2, seed=2),
                      SNU(5, 3, soft=True, recurrent=recurrent, threshold=0.2, seed=3)])
    x = rng.uniform(0, 1, (7, 2, 5))
    fn = window_mse if loss == "mse" else softmax_cross_entropy
    report = check_network(net, fn, x, np.array([0, 2]), window=(2, 7))
    assert report.passed(TOL), f"\n{report}"


def test_ssnu_with_dense_and_bernoulli_nll(rng):
    net = Sequential([SNU(6, 5, soft=True, threshold=0.3, seed=1), Dense(5, 6, seed=2)])
    x = rng.uniform(0, 1, (8, 2, 6))   # continuous: binary rows of zeros would sit on ReLU's kink
    target = (rng.uniform(0, 1, (8, 2, 6)) < 0.3).astype(float)
    mask = np.ones((8, 2))
    mask[5:, 1] = 0
    report = check_network(net, bernoulli_nll, x, target, mask=mask)
    assert report.passed(TOL), f"\n{report}"


def test_dense_sigmoid_layer(rng):
    report = check_layer(Dense(4, 3, activation="sigmoid", seed=0), rng.normal(0, 1, (3, 2, 4)))
    assert report.passed(TOL), f"\n{report}"


def test_sampled_entries_on_a_large_layer(rng):
    layer = SNU(60, 40, soft=True, recurrent=True, threshold=0.5, seed=0)
    report = check_layer(layer, rng.uniform(0, 0.2, (5, 3, 60)), n_samples=25)
    assert all(n == 25 for _, _, n in report.values())
    assert report.passed(TOL), f"\n{report}"


def test_gradcheck_detects_a_wrong_gradient(rng):
    layer = SNU(4, 3, soft=True, threshold=0.3, seed=1)
    x = rng.uniform(0, 1, (5, 2, 4))
    orig = layer.backward

    def wrong_backward(dy):
        dx = orig(dy)
        layer.grads["b"] = -layer.grads["b"]       # a sign error, as a student might make
        return dx

    layer.backward = wrong_backward
    report = check_layer(layer, x)
    assert report["b"][1] > 0.5 and not report.passed(TOL)
