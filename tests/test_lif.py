"""The LIF neuron: integrators against the closed forms, convergence order, f-I curve, errors."""
import math
import re
from pathlib import Path

import numpy as np
import pytest

from snu_np import lif

TAU = 10.0


# ---------------------------------------------------------------- below threshold: trajectory
@pytest.mark.parametrize("method, tol", [("exact", 1e-12), ("euler", 2e-2)])
def test_subthreshold_trajectory_matches_analytic(method, tol):
    dt, T, I0, v0 = 0.1, 400, 0.8, 0.3
    V, spikes = lif.simulate(np.full(T, I0), dt, TAU, R=1.0, v_th=1.0, method=method, v0=v0)
    assert spikes.sum() == 0
    ref = lif.analytic_v(lif.time_axis(T, dt), I0, TAU, v0=v0)
    np.testing.assert_allclose(V, ref, atol=tol)


def test_analytic_v_limits():
    assert lif.analytic_v(0.0, 2.0, TAU, R=0.5, v0=0.25) == pytest.approx(0.25)
    assert lif.analytic_v(1e4, 2.0, TAU, R=0.5, v0=0.25) == pytest.approx(1.0)
    # it solves the ODE: tau dV/dt = -V + R I (central difference)
    t, h = 3.0, 1e-5
    dV = (lif.analytic_v(t + h, 2.0, TAU, 0.5) - lif.analytic_v(t - h, 2.0, TAU, 0.5)) / (2 * h)
    assert TAU * dV == pytest.approx(-lif.analytic_v(t, 2.0, TAU, 0.5) + 0.5 * 2.0, rel=1e-6)


def test_euler_error_first_order():
    """Halving dt halves Euler's error at a fixed time (ratio ~ 2 at dt, dt/2, dt/4)."""
    I0, t_end = 0.9, 20.0
    errors = []
    for dt in (0.4, 0.2, 0.1):
        n = int(round(t_end / dt))
        V, _ = lif.simulate(np.full(n, I0), dt, TAU, v_th=10.0, method="euler")
        errors.append(abs(V[-1] - lif.analytic_v(t_end, I0, TAU)))
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    assert ratios == pytest.approx([2.0, 2.0], abs=0.1)


# ---------------------------------------------------------------- piecewise constant input
def test_exact_method_exact_for_piecewise_constant_input():
    rng = np.random.default_rng(0)
    dt, seg_len, n_seg = 0.5, 7, 12
    levels = rng.uniform(-1.0, 3.0, size=n_seg)
    I = np.repeat(levels, seg_len)
    V, spikes = lif.simulate(I, dt, TAU, v_th=100.0, method="exact", v0=0.2)
    assert spikes.sum() == 0
    v = 0.2                                    # one closed-form solve per constant segment
    for j, level in enumerate(levels):
        v = lif.analytic_v(seg_len * dt, level, TAU, v0=v)
        assert V[(j + 1) * seg_len - 1] == pytest.approx(v, abs=1e-12)


def test_exact_method_any_dt_and_independent_neurons():
    """dt > tau is fine for the exact method; neurons on the trailing axes do not interact."""
    I = np.stack([np.full(5, 0.5), np.full(5, 2.0)], axis=1)           # (T, 2)
    V, spikes = lif.simulate(I, 25.0, TAU, v_th=1.0, method="exact")
    np.testing.assert_allclose(V[:, 0], lif.analytic_v(lif.time_axis(5, 25.0), 0.5, TAU), rtol=1e-12)
    assert spikes[:, 1].all() and not spikes[:, 0].any()
    I3 = np.random.default_rng(1).uniform(0, 3, size=(40, 3, 4))
    V3, s3 = lif.simulate(I3, 1.0, TAU)
    V2, s2 = lif.simulate(I3.reshape(40, 12), 1.0, TAU)
    np.testing.assert_array_equal(V3.reshape(40, 12), V2)
    np.testing.assert_array_equal(s3.reshape(40, 12), s2)


# ---------------------------------------------------------------- above threshold
@pytest.mark.parametrize("I0", [1.2, 2.0, 5.0])
def test_first_spike_exact_method_on_grid(I0):
    dt = 0.05
    t_star = lif.time_to_first_spike(I0, TAU)
    _, spikes = lif.simulate(np.full(int(3 * TAU / dt) + 200, I0), dt, TAU, method="exact")
    first_step = np.flatnonzero(spikes)[0] + 1                        # step t = k + 1
    assert first_step == math.floor(t_star / dt) + 1                  # first grid time > t*


@pytest.mark.parametrize("I0", [1.2, 2.0, 5.0])
def test_first_spike_euler_within_order_dt(I0):
    t_star = lif.time_to_first_spike(I0, TAU)
    for dt in (0.1, 0.01):
        _, spikes = lif.simulate(np.full(int(t_star / dt) + 100, I0), dt, TAU, method="euler")
        t_sim = (np.flatnonzero(spikes)[0] + 1) * dt
        assert abs(t_sim - t_star) <= 2 * dt + 0.5 * dt * t_star / TAU


def test_time_to_first_spike_formula_and_below_rheobase():
    t = lif.time_to_first_spike(np.array([0.5, 1.0, 2.0]), TAU, R=1.0, v_th=1.0)
    assert t[0] == np.inf and t[1] == np.inf
    assert t[2] == pytest.approx(TAU * math.log(2.0))
    assert lif.analytic_v(t[2], 2.0, TAU) == pytest.approx(1.0)         # V(t*) = v_th
    assert lif.time_to_first_spike(3.0, TAU, R=2.0, v_th=1.5, v0=0.5) == pytest.approx(
        TAU * math.log((6.0 - 0.5) / (6.0 - 1.5)))


def test_firing_rate_formula():
    I = np.array([-1.0, 0.0, 1.0, 1.5, 4.0])
    r = lif.firing_rate(I, TAU, R=1.0, v_th=1.0, t_ref=2.0)
    assert r.shape == I.shape
    np.testing.assert_array_equal(r[:3], 0.0)
    assert r[3] == pytest.approx(1.0 / (2.0 + TAU * math.log(1.5 / 0.5)))
    assert np.all(np.diff(r[2:]) > 0)
    assert isinstance(lif.firing_rate(2.0, TAU), float)
    assert lif.firing_rate(1e6, TAU, t_ref=2.0) == pytest.approx(0.5, rel=1e-3)   # capped at 1/t_ref


@pytest.mark.parametrize("method, estimator", [("exact", "count"), ("exact", "isi"), ("euler", "isi")])
def test_fi_curve_matches_analytic(method, estimator):
    I = np.linspace(0.0, 4.0, 17)
    dt, t_ref = 0.02, 2.0
    sim = lif.fi_curve(I, dt, TAU, t_ref=t_ref, duration=20 * TAU, method=method, estimator=estimator)
    ana = lif.firing_rate(I, TAU, t_ref=t_ref)
    assert sim.shape == I.shape
    np.testing.assert_array_equal(sim[I <= 1.0], 0.0)
    # a grid interval is a whole number of steps: within ~dt of the analytic interval (+1 count)
    tol = ana * ana * 2 * dt + (1.0 / (20 * TAU) if estimator == "count" else 0.0)
    if method == "euler":
        tol = tol + 0.02 * ana
    assert np.all(np.abs(sim - ana) <= tol + 1e-12)


def test_periodic_firing_reset_and_interval():
    dt, I0 = 0.1, 1.5
    V, spikes, V_pre = lif.simulate(np.full(1000, I0), dt, TAU, v_reset=-0.2, method="exact",
                                    return_pre_reset=True)
    k = np.flatnonzero(spikes)
    assert np.all(V[k] == -0.2) and np.all(V_pre[k] > 1.0)
    np.testing.assert_array_equal(V, np.where(spikes > 0, -0.2, V_pre))
    isi_steps = np.diff(k)
    assert np.all(isi_steps == isi_steps[0])
    t_isi = lif.time_to_first_spike(I0, TAU, v0=-0.2)
    assert isi_steps[0] == math.floor(t_isi / dt) + 1


def test_refractory_period_holds_at_reset():
    V, spikes = lif.simulate(np.full(300, 3.0), 0.1, TAU, t_ref=1.0, method="exact")
    k = np.flatnonzero(spikes)
    for j in k[:-1]:
        np.testing.assert_array_equal(V[j + 1:j + 11], 0.0)           # 10 held steps
    assert np.diff(k)[0] == 10 + math.floor(lif.time_to_first_spike(3.0, TAU) / 0.1) + 1


# ---------------------------------------------------------------- the convention the SNU relies on
def test_euler_recursion_matches_gated_form():
    rng = np.random.default_rng(3)
    I = rng.uniform(0.0, 1.2, size=(200, 5))
    dt = 1.0
    V, spk, Vp = lif.simulate(I, dt, TAU, R=2.0, v_th=1.0, return_pre_reset=True)
    assert spk.sum() > 10
    prev_s, prev_y = np.zeros(5), np.zeros(5)
    for t in range(200):
        s = (1 - dt / TAU) * prev_s * (1 - prev_y) + (dt / TAU) * 2.0 * I[t]
        y = (s > 1.0).astype(float)
        np.testing.assert_allclose(Vp[t], s, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(spk[t], y)
        np.testing.assert_allclose(V[t], s * (1 - y), rtol=1e-12, atol=1e-14)
        prev_s, prev_y = s, y


@pytest.mark.parametrize("g", ["identity", "relu"])
def test_euler_lif_equals_snu_forward(g):
    snu = pytest.importorskip("snu_np.functional.snu")
    rng = np.random.default_rng(4)
    T, B, N, dt, R, v_th = 120, 2, 3, 1.0, 1.5, 1.0
    I = rng.uniform(0.0, 1.6, size=(T, B, N))
    V, spk, Vp = lif.simulate(I, dt, TAU, R=R, v_th=v_th, return_pre_reset=True)
    decay, gain = lif.step_coefficients(dt, TAU, R, "euler")
    s, y, _ = snu.snu_forward(I, gain * np.eye(N), np.full(N, -v_th), decay, g=g)
    assert spk.sum() > 5
    np.testing.assert_array_equal(y, spk)
    np.testing.assert_allclose(s, Vp, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(s * (1 - y), V, rtol=1e-12, atol=1e-14)


def test_dtype_preserved_and_v0_broadcast():
    I = np.full((10, 3), 0.5, dtype=np.float32)
    V, s = lif.simulate(I, 1.0, TAU, v0=np.array([0.0, 0.5, 0.9], dtype=np.float32))
    assert V.dtype == np.float32 and s.dtype == np.float32
    assert V[0, 2] > V[0, 0]


def test_step_coefficients():
    assert lif.step_coefficients(1.0, TAU, 2.0, "euler") == pytest.approx((0.9, 0.2))
    d, g = lif.step_coefficients(1.0, TAU, 2.0, "exact")
    assert d == pytest.approx(math.exp(-0.1)) and g == pytest.approx(2.0 * (1 - math.exp(-0.1)))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, exc, word", [
    ({"dt": 0.0}, ValueError, "dt"),
    ({"dt": -1.0}, ValueError, "dt"),
    ({"dt": 20.0}, ValueError, "dt"),                   # euler with dt > tau
    ({"tau": 0.0}, ValueError, "tau"),
    ({"tau": "10"}, TypeError, "tau"),
    ({"R": -1.0}, ValueError, "R"),
    ({"v_reset": 1.0}, ValueError, "v_reset"),
    ({"method": "rk4"}, ValueError, "method"),
    ({"I": np.array([1.0, np.nan])}, ValueError, "I"),
    ({"I": np.arange(3)}, TypeError, "I"),
    ({"I": np.ones((2, 2, 2, 2))}, ValueError, "I"),
    ({"v0": np.ones(4)}, ValueError, "v0"),
    ({"t_ref": -1.0}, ValueError, "t_ref"),
    ({"dt": float("inf")}, ValueError, "dt"),
])
def test_simulate_bad_arguments(kwargs, exc, word):
    args = {"I": np.ones((5, 3)), "dt": 1.0, "tau": TAU}
    args.update(kwargs)
    with pytest.raises(exc, match=word):
        lif.simulate(**args)


def test_closed_form_bad_arguments():
    with pytest.raises(ValueError, match="t must be >= 0"):
        lif.analytic_v(-1.0, 1.0, TAU)
    with pytest.raises(ValueError, match="v0"):
        lif.time_to_first_spike(2.0, TAU, v0=1.5)
    with pytest.raises(ValueError, match="tau"):
        lif.firing_rate(2.0, -TAU)
    with pytest.raises(ValueError, match="estimator"):
        lif.fi_curve(np.array([2.0]), 0.1, TAU, estimator="mean")
    with pytest.raises(ValueError, match="duration"):
        lif.fi_curve(np.array([2.0]), 0.1, TAU, duration=0.01)
    with pytest.raises(ValueError, match="I_values"):
        lif.fi_curve(np.ones((2, 2)), 0.1, TAU)


# ---------------------------------------------------------------- docs cross-references
def test_equation_labels_match_docs():
    doc = Path(__file__).resolve().parents[1] / "docs" / "derivations" / "lif.md"
    labels = set(re.findall(r"\$\$\s*\((lif-[a-z-]+)\)", doc.read_text()))
    src = Path(lif.__file__).read_text()
    cited = set(re.findall(r":eq:`(lif-[a-z-]+)`", src))
    assert {"lif-ode", "lif-euler", "lif-exact", "lif-analytic", "lif-first-spike", "lif-rate"} <= labels
    assert labels == cited
    for name in lif.__all__:
        obj = getattr(lif, name)
        if callable(obj):
            assert ":eq:`lif-" in (obj.__doc__ or ""), name
