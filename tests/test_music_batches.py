"""Masked mini-batches of piano rolls give the same loss and gradients as one sequence at a time."""
import numpy as np
import pytest

from snu_np import SNU, Dense, Sequential, bernoulli_nll
from snu_np.data import pad_sequences


@pytest.mark.parametrize("soft", [False, True])
def test_padded_batch_equals_sequences_one_by_one(soft):
    rng = np.random.default_rng(0)
    rolls = [(rng.uniform(size=(T, 88)) < 0.05).astype(np.uint8) for T in (9, 5, 12)]

    def make():
        return Sequential([SNU(88, 16, soft=soft, seed=1), Dense(16, 88, seed=2)])

    # one sequence at a time: input roll[t], target roll[t+1]; the pooled loss weighs each step alike
    net = make()
    n_steps = [len(r) - 1 for r in rolls]
    N = sum(n_steps)
    loss_seq = 0.0
    grads_seq = {k: np.zeros_like(p) for k, p, _ in net.parameters()}
    for r, n in zip(rolls, n_steps):
        x = r[:-1, None, :].astype(np.float64)
        target = r[1:, None, :].astype(np.float64)
        loss, dy = bernoulli_nll(net.forward(x), target)
        net.backward(dy)
        loss_seq += loss * n / N
        for k, _, g in net.parameters():
            grads_seq[k] += g * n / N
    # one padded batch with a mask
    net2 = make()
    x, mask = pad_sequences([r[:-1] for r in rolls], dtype=np.float64)
    target, _ = pad_sequences([r[1:] for r in rolls], dtype=np.float64)
    loss_b, dy = bernoulli_nll(net2.forward(x), target, mask)
    net2.backward(dy)
    assert loss_b == pytest.approx(loss_seq, rel=1e-12)
    for k, _, g in net2.parameters():
        np.testing.assert_allclose(g, grads_seq[k], rtol=1e-10, atol=1e-12, err_msg=k)
