"""From LIF to SNU: an SNU layer with decay = 1 - dt/tau, W = (dt/tau) R, b = -v_th and the step
reproduces the Euler LIF with reset to zero, spike for spike, on a long random input."""
import numpy as np
import pytest

from snu_np import SNU, lif


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("g", ["relu", "identity"])
def test_snu_layer_is_the_euler_lif(backend, g):
    rng = np.random.default_rng(2020)
    T, N, dt, tau, R, v_th = 5000, 4, 0.5, 10.0, 2.0, 1.0
    I = rng.uniform(0.0, 1.2, size=(T, 1, N))                     # long random, positive current
    V, spikes, V_pre = lif.simulate(I, dt, tau, R=R, v_th=v_th, method="euler", return_pre_reset=True)
    layer = SNU(N, N, decay=1 - dt / tau, g=g, threshold=v_th, backend=backend, seed=0)
    layer.set_params(W=(dt / tau) * R * np.eye(N), b=np.full(N, -v_th))
    y = layer.forward(I)
    assert spikes.sum() > 500                                        # the test is about spikes
    np.testing.assert_array_equal(y, spikes)
    np.testing.assert_allclose(layer.cache["s"], V_pre, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.cache["s"] * (1 - y), V, rtol=1e-10, atol=1e-12)
