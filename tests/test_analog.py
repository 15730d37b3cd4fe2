"""snu_np.analog: the PCM device model against its formulas, weights on pairs, quantisation, drift
compensation, hardware-aware training, mixed-precision training, and ``snu-np analog``.

The statistics tests draw 10^5 devices or more per conductance, so a 2 % tolerance is many standard
errors wide (the std of a sample std is about 1 / sqrt(2 N) = 0.2 % of it), while a wrong formula
(a coefficient, a missing factor) moves the result well outside it.
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from snu_np.analog import (PCM, MixedPrecision, analog_sweep, calibrate, clip_weights, compensation_factor,
                           conductances_to_weights, hardware_aware, parse_times, program_network,
                           programmed_weights, quantize, quantize_network, quantized_weights, read_network,
                           read_weights, weight_noise, weights_to_conductances)
from snu_np.analog.training import noise_std, training_step_context
from snu_np.errors import UsageError
from snu_np.layers import SNU, Dense
from snu_np.network import Sequential
from snu_np.optim import SGD, Adam

N = 200_000
DAY = 86400.0


def folded_normal(mu, sd):
    """Mean and std of |X|, X ~ N(mu, sd^2): the law of the drift exponent (pcm-nu)."""
    phi = 0.5 * (1 + math.erf(-mu / (sd * math.sqrt(2))))           # P(X < 0)
    mean = sd * math.sqrt(2 / math.pi) * math.exp(-mu ** 2 / (2 * sd ** 2)) + mu * (1 - 2 * phi)
    return mean, math.sqrt(mu ** 2 + sd ** 2 - mean ** 2)


# --------------------------------------------------------------------------------------------------
# the device model
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("G_T", [3.0, 8.0, 15.0, 25.0])
def test_programming_noise_std_matches_formula(G_T):
    pcm = PCM(seed=1)
    g = G_T / 25.0
    want = 0.26348 + 1.9650 * g - 1.1731 * g ** 2              # (pcm-prog), written out here again
    G_P = pcm.program(np.full(N, G_T))
    assert G_P.std() == pytest.approx(want, rel=0.02)
    assert G_P.mean() == pytest.approx(G_T, abs=5 * want / math.sqrt(N))
    assert G_P.min() >= 0


def test_programming_noise_scales_with_g_max_and_is_clipped_at_zero():
    pcm = PCM(g_max=50.0, prog_noise_scale=2.0, seed=2)
    G_P = pcm.program(np.full(N, 25.0))                          # g = 0.5
    want = 2.0 * (0.26348 + 1.9650 * 0.5 - 1.1731 * 0.25) * 50 / 25
    assert G_P.std() == pytest.approx(want, rel=0.02)
    zero = PCM(seed=3).program(np.zeros(N))
    assert zero.min() == 0.0 and 0.4 < np.mean(zero == 0) < 0.6  # half the draws land below 0


@pytest.mark.parametrize("G_T", [0.0, 0.25, 2.5, 10.0, 25.0])
def test_drift_exponent_mean_and_std_match_formula(G_T):
    pcm = PCM(seed=4)
    g = max(G_T / 25.0, 1e-7)
    mu = min(max(-0.0155 * math.log(g) + 0.0244, 0.049), 0.1)    # (pcm-nu)
    sd = min(max(-0.0125 * math.log(g) - 0.0059, 0.008), 0.045)
    want_mean, want_std = folded_normal(mu, sd)
    nu = pcm.drift_coefficients(np.full(N, G_T))
    assert nu.min() >= 0
    assert nu.mean() == pytest.approx(want_mean, rel=0.02)
    assert nu.std() == pytest.approx(want_std, rel=0.02)


@pytest.mark.parametrize("G_P", [1.0, 10.0, 20.0])
def test_read_noise_spread_at_one_day(G_P):
    pcm = PCM(seed=5)
    nu = 0.06
    Gt = G_P * ((DAY + 20.0) / 20.0) ** -nu                       # (pcm-drift)
    gp = max(G_P / 25.0, 1e-3)
    Qs = min(0.0088 / gp ** 0.65, 0.2)
    want = Gt * Qs * math.sqrt(math.log((DAY + 20.0 + 250e-9) / (2 * 250e-9)))   # (pcm-read)
    reads = pcm.read(np.full(N, G_P), np.full(N, nu), DAY)
    assert reads.std() == pytest.approx(want, rel=0.02)
    assert reads.mean() == pytest.approx(Gt, abs=5 * want / math.sqrt(N))


def test_drift_is_monotone_and_t0_reads_the_programmed_value():
    pcm = PCM(read_noise_scale=0.0, seed=6)
    G_T = np.linspace(0, 25, 101)
    G_P = pcm.program(G_T)
    nu = pcm.drift_coefficients(G_T)
    times = [0.0, 1.0, 60.0, 3600.0, DAY, 365 * DAY]
    reads = np.array([pcm.read(G_P, nu, t) for t in times])
    np.testing.assert_array_equal(reads[0], G_P)                   # no drift, no noise at t = 0
    assert np.all(np.diff(reads, axis=0) <= 0)
    assert np.all(reads[-1][G_P > 0] < reads[1][G_P > 0])
    noisy = PCM(seed=7)                                            # with read noise: right on average
    r0 = noisy.read(np.full(N, 10.0), np.full(N, 0.05), 0.0)
    assert r0.mean() == pytest.approx(10.0, rel=2e-3)


def test_device_model_rejects_bad_arguments():
    pcm = PCM()
    with pytest.raises(ValueError, match="t must be >= 0"):
        pcm.read(np.ones(3), np.ones(3) * 0.05, -1.0)
    with pytest.raises(ValueError, match="g_target must be >= 0"):
        pcm.program(np.array([-1.0]))
    with pytest.raises(ValueError, match="g_max"):
        pcm.program(np.array([30.0]))
    with pytest.raises(ValueError, match="g_max must be > 0"):
        PCM(g_max=0.0)
    with pytest.raises(TypeError, match="seed"):
        PCM(seed="x")


def test_parse_times_and_its_errors():
    assert parse_times("1s,1h,1d,1y,30m") == [1.0, 3600.0, DAY, 365 * DAY, 1800.0]
    assert parse_times("0, 2.5h") == [0.0, 9000.0]
    for bad in ("1x", "abc", "-1s", "", "1d,,q"):
        with pytest.raises(UsageError):
            parse_times(bad)


# --------------------------------------------------------------------------------------------------
# pairs and quantisation
# --------------------------------------------------------------------------------------------------
def test_pairs_round_trip(rng):
    W = rng.normal(size=(30, 20))
    gp, gm, w_max = weights_to_conductances(W, 25.0)
    assert w_max == np.abs(W).max()
    assert gp.min() >= 0 and gm.min() >= 0 and max(gp.max(), gm.max()) == pytest.approx(25.0)
    assert np.all((gp == 0) | (gm == 0))                           # one device of each pair at 0
    np.testing.assert_allclose(conductances_to_weights(gp, gm, w_max, 25.0), W, rtol=1e-12, atol=1e-15)
    gp2, gm2, _ = weights_to_conductances(W, 25.0, w_max=1.0)      # beyond w_max: clipped
    assert gp2.max() == 25.0
    with pytest.raises(ValueError, match="w_max"):
        weights_to_conductances(W, w_max=-1.0)


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_quantize_levels_count_and_symmetry(bits, rng):
    W = rng.uniform(-1, 1, size=20000)
    W[0] = 1.0
    q = quantize(W, bits)
    levels = np.unique(q)
    assert len(levels) == 2 ** bits - 1
    np.testing.assert_allclose(levels, -levels[::-1])              # symmetric, zero included
    assert 0.0 in levels
    np.testing.assert_allclose(quantize(-W, bits), -q)
    np.testing.assert_array_equal(quantize(q, bits), q)            # a level stays where it is
    assert np.abs(q - W).max() <= 0.5 / (2 ** (bits - 1) - 1) + 1e-12


def test_stochastic_rounding_is_unbiased_and_on_levels():
    w = np.full(N, 0.3)
    q = quantize(w, 3, w_max=1.0, stochastic=True, seed=0)       # levels k/3: 0.3 between 1/3 and 0
    np.testing.assert_allclose(np.unique(q), [0.0, 1 / 3])
    assert q.mean() == pytest.approx(0.3, abs=5 * (1 / 3) * 0.5 / math.sqrt(N))
    np.testing.assert_array_equal(q, quantize(w, 3, w_max=1.0, stochastic=True, seed=0))


def test_quantize_network_copies_and_rounds_every_matrix():
    net = Sequential([SNU(10, 8, recurrent=True, seed=0), Dense(8, 3, seed=1)])
    before = net.state_dict()
    q = quantize_network(net, 3)
    for name in ("0.W", "0.H", "1.W"):
        i, k = name.split(".")
        assert len(np.unique(q.layers[int(i)].params[k])) <= 7
        np.testing.assert_array_equal(q.layers[int(i)].params[k], quantize(before[name], 3))
    np.testing.assert_array_equal(q.layers[0].params["b"], before["0.b"])
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_quantize_rejects_bad_bits():
    for bad in (0, 1, 33):
        with pytest.raises(ValueError, match="bits"):
            quantize(np.ones(3), bad)
    with pytest.raises(TypeError, match="bits"):
        quantize(np.ones(3), 2.5)


# --------------------------------------------------------------------------------------------------
# inference on devices and drift compensation
# --------------------------------------------------------------------------------------------------
def _dense_net(seed=0, n_in=40, n_out=12):
    return Sequential([Dense(n_in, n_out, seed=seed)])


def test_program_and_read_network_leave_the_original_alone(rng):
    net = Sequential([SNU(10, 8, recurrent=True, seed=0), Dense(8, 3, seed=1)])
    before = net.state_dict()
    state = program_network(net, PCM(seed=0))
    assert set(state.devices) == {"0.W", "0.H", "1.W"}
    net_t = read_network(state, DAY)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    assert not np.array_equal(net_t.layers[0].params["W"], net.layers[0].params["W"])
    np.testing.assert_array_equal(net_t.layers[0].params["b"], net.layers[0].params["b"])   # digital
    y = net_t.forward(rng.uniform(0, 1, (5, 2, 10)))
    assert y.shape == (5, 2, 3)


def test_compensation_restores_the_scale_of_a_drifted_linear_layer(rng):
    net = _dense_net()
    W = net.layers[0].params["W"].copy()
    pcm = PCM(prog_noise_scale=0.0, read_noise_scale=0.0, seed=0)  # drift only
    state = program_network(net, pcm)
    x = rng.uniform(0, 1, (4, 16, 40))
    calib = calibrate(state, x)
    drifted = read_network(state, 365 * DAY)
    comp, factors = read_network(state, 365 * DAY, calib, return_factors=True)
    X = x.reshape(-1, 40)
    ref = np.abs(X @ W).sum()
    assert np.abs(X @ drifted.layers[0].params["W"]).sum() < 0.7 * ref       # drift shrank it
    assert np.abs(X @ comp.layers[0].params["W"]).sum() == pytest.approx(ref, rel=1e-9)
    assert factors["0.W"] > 1.4
    err = lambda V: np.linalg.norm(V - W) / np.linalg.norm(W)          # noqa: E731
    assert err(comp.layers[0].params["W"]) < 0.3 * err(drifted.layers[0].params["W"])
    # the factor by itself, from its definition (drift-comp)
    W_t = read_weights(state, DAY)["0.W"]
    W0 = programmed_weights(state)["0.W"]
    assert compensation_factor(X, W0, W_t) == pytest.approx(np.abs(X @ W0).sum() / np.abs(X @ W_t).sum())


def test_analog_sweep_same_devices_with_and_without_compensation(rng):
    net = _dense_net()
    x = rng.uniform(0, 1, (3, 8, 40))
    target = net.forward(x).copy()

    def score(n):       # how close the analog layer's output stays to the float one (1 = perfect)
        return 1.0 - float(np.linalg.norm(n.forward(x) - target) / np.linalg.norm(target))

    times = [1.0, DAY, 365 * DAY]
    a = analog_sweep(net, score, times, draws=3, calibration_x=x, compensate=True, seed=3)
    b = analog_sweep(net, score, times, draws=3, calibration_x=x, compensate=False, seed=3)
    assert a["float"] == pytest.approx(1.0)
    assert np.array(a["values"]).shape == (3, 3)
    assert a["mean"][-1] > b["mean"][-1] + 0.2                     # compensation matters after a year
    assert b["mean"][0] > b["mean"][-1]                            # uncompensated: worse with time
    assert a == analog_sweep(net, score, times, draws=3, calibration_x=x, compensate=True, seed=3)
    with pytest.raises(UsageError, match="calibration_x"):
        analog_sweep(net, score, times, draws=1, compensate=True)
    with pytest.raises(UsageError, match="times"):
        analog_sweep(net, score, [-1.0], draws=1, compensate=False)
    with pytest.raises(ValueError, match="draws"):
        analog_sweep(net, score, times, draws=0, compensate=False)


# --------------------------------------------------------------------------------------------------
# hardware-aware training
# --------------------------------------------------------------------------------------------------
def _snu_net():
    return Sequential([SNU(12, 10, recurrent=True, soft=True, seed=0), Dense(10, 4, seed=1)])


def _grads(net, x, dy):
    net.forward(x)
    net.backward(dy)
    return {name: g.copy() for name, _, g in net.parameters()}


def test_weight_noise_restores_weights_and_passes_the_gradient_straight_through(rng):
    net, twin = _snu_net(), _snu_net()
    x = rng.uniform(0, 1, (6, 3, 12))
    dy = rng.normal(size=(6, 3, 4))
    clean = net.state_dict()
    with weight_noise(net, eta=3.0, rng=np.random.default_rng(9)):
        noisy = net.state_dict()
        g = _grads(net, x, dy)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, clean[k])                 # bit for bit
    # the manual version: the same noise drawn by hand (hwa-noise), the gradient at it
    r = np.random.default_rng(9)
    for name, p, _ in twin.parameters():
        if name.endswith((".W", ".H")):
            p += 3.0 * noise_std(p) * r.standard_normal(p.shape)
            np.testing.assert_allclose(p, noisy[name], rtol=1e-12)
        else:
            np.testing.assert_array_equal(p, noisy[name])           # biases untouched
    g_manual = _grads(twin, x, dy)
    for k in g:
        np.testing.assert_allclose(g[k], g_manual[k], rtol=1e-10, atol=1e-12)
    # the optimiser applies that gradient to the clean weights (hwa-ste)
    opt = SGD(net, lr=0.1)
    opt.step()
    for k, v in net.state_dict().items():
        np.testing.assert_allclose(v, clean[k] - 0.1 * g[k], rtol=1e-12, atol=1e-14)


def test_weight_noise_restores_weights_after_an_exception_and_eta_zero_is_a_no_op():
    net = _snu_net()
    clean = net.state_dict()
    with pytest.raises(RuntimeError):
        with weight_noise(net, eta=1.0, rng=0):
            raise RuntimeError("boom")
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, clean[k])
    with weight_noise(net, eta=0.0, rng=0):
        for k, v in net.state_dict().items():
            np.testing.assert_array_equal(v, clean[k])
    with pytest.raises(ValueError, match="eta"):
        with weight_noise(net, eta=-1.0, rng=0):
            pass


def test_noise_std_is_the_programming_noise_of_both_devices():
    W = np.array([[0.0, 0.5, -1.0, 2.0]])
    s = noise_std(W)
    pcm = PCM()
    G = np.abs(W) / 2.0 * 25.0
    want = (2.0 / 25.0) * np.sqrt(pcm.prog_std(G) ** 2 + pcm.prog_std(np.zeros(1)) ** 2)
    np.testing.assert_allclose(s, want, rtol=1e-12)


def test_quantized_weights_forward_on_levels_gradient_straight_through(rng):
    net = _snu_net()
    clean = net.state_dict()
    with quantized_weights(net, 3):
        W = net.layers[0].params["W"]
        assert len(np.unique(W)) <= 7
        np.testing.assert_array_equal(W, quantize(clean["0.W"], 3))
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, clean[k])
    with hardware_aware(net, eta=0.0, bits=None):                   # nothing asked: nothing changes
        np.testing.assert_array_equal(net.layers[0].params["W"], clean["0.W"])
    with pytest.raises(ValueError, match="bits"):
        hardware_aware(net, bits=0)


def test_training_step_context_is_seeded_by_seed_epoch_step():
    net = _snu_net()

    class Cfg:               # the shape of RunConfig's sections that the hook reads
        class analog:
            weight_noise, quantize_bits = 2.0, None

        class run:
            seed = 5

    with training_step_context(net, Cfg, 1, 2):
        a = net.layers[0].params["W"].copy()
    with training_step_context(net, Cfg, 1, 2):
        b = net.layers[0].params["W"].copy()
    with training_step_context(net, Cfg, 1, 3):
        c = net.layers[0].params["W"].copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_clip_weights_absolute_and_relative():
    net = _snu_net()
    n = clip_weights(net, 0.1)
    assert n > 0 and all(np.abs(p).max() <= 0.1 for name, p, _ in net.parameters() if name.endswith((".W", ".H")))
    net = _snu_net()
    W = net.layers[0].params["W"]
    bound = 1.5 * W.std()
    clip_weights(net, 1.5, relative=True)
    assert np.abs(W).max() <= bound + 1e-15
    assert clip_weights(net, None) == 0
    with pytest.raises(ValueError, match="w_clip"):
        clip_weights(net, 0.0)


# --------------------------------------------------------------------------------------------------
# mixed-precision training
# --------------------------------------------------------------------------------------------------
def _set_grads(net, value):
    for layer in net.layers:
        for k, p in layer.params.items():
            layer.grads[k] = np.full_like(p, value)


def test_mixed_precision_accumulates_small_updates_and_applies_whole_pulses():
    net = Sequential([Dense(3, 2, seed=0)])
    pcm = PCM(prog_noise_scale=0.0)
    mp = MixedPrecision(SGD(net, lr=1.0), epsilon=0.5, pulse_noise=0.0, pcm=pcm, seed=0, w_max=2.0)
    beta = 2.0 / 25.0                                 # weight per µS
    W0 = net.layers[0].params["W"].copy()
    b0 = net.layers[0].params["b"].copy()
    step_w = -0.2 * beta                              # each step asks for -0.2 µS: below epsilon = 0.5
    _set_grads(net, 0.2 * beta)
    mp.step()
    mp.step()
    np.testing.assert_allclose(net.layers[0].params["W"], W0, atol=1e-12)      # nothing reached the devices
    np.testing.assert_allclose(mp.devices["0.W"]["chi"], -0.4, atol=1e-9)      # (mp-accumulate)
    np.testing.assert_allclose(net.layers[0].params["b"], b0 + 2 * step_w)      # digital: full precision
    mp.step()                                         # chi = -0.6: one pulse of -0.5 on G-
    np.testing.assert_allclose(net.layers[0].params["W"], W0 - 0.5 * beta, atol=1e-12)
    np.testing.assert_allclose(mp.devices["0.W"]["chi"], -0.1, atol=1e-9)      # (mp-pulses)
    assert mp.n_pulses == 6
    assert mp.t == 3 and mp.lr == 1.0


def test_mixed_precision_pulse_noise_and_refresh():
    net = Sequential([Dense(200, 50, seed=0)])
    mp = MixedPrecision(SGD(net, lr=1.0), epsilon=0.2, pulse_noise=0.5, seed=1)
    d = mp.devices["0.W"]
    beta = d["beta"]
    gp0 = d["g_plus"].copy()
    _set_grads(net, -1.0 * beta)                      # +1 µS asked: five pulses of 0.2 on G+
    mp.step()
    inc = d["g_plus"] - gp0
    moved = gp0 < 0.9 * 25.0
    assert inc[moved].mean() == pytest.approx(1.0, rel=0.02)
    assert inc[moved].std() == pytest.approx(0.5 * 0.2 * math.sqrt(5), rel=0.05)
    for _ in range(60):                               # drive every weight to the top of its range
        mp.step()
    assert max(d["g_plus"].max(), d["g_minus"].max()) <= 25.0
    W = net.layers[0].params["W"]
    assert W.min() > 0.9 * 25.0 * beta                # all saturated at +w_max ...
    assert mp.n_refresh > 0                           # ... the negative ones via a refresh of their G-
    assert np.abs(W).max() <= 25.0 * beta + 1e-12


def test_mixed_precision_state_dict_round_trip(rng, tmp_path):
    def make():
        net = Sequential([SNU(6, 5, recurrent=True, seed=0), Dense(5, 2, seed=1)])
        return net, MixedPrecision(Adam(net, lr=0.01), epsilon=0.1, pulse_noise=0.5, seed=3)

    net, mp = make()
    grads = [rng.normal(size=p.shape) for _ in range(6) for _, p, _ in net.parameters()]
    names = [n for n, _, _ in net.parameters()]

    def run_steps(net, mp, k0, k1):
        for s in range(k0, k1):
            for j, (layer_i, key) in enumerate(n.split(".") for n in names):
                net.layers[int(layer_i)].grads[key] = grads[s * len(names) + j].copy()
            mp.step()

    run_steps(net, mp, 0, 3)
    from snu_np.io import load_checkpoint, save_checkpoint
    save_checkpoint(tmp_path / "ck", net, mp)          # through a real checkpoint file
    saved = mp.state_dict()
    assert all(isinstance(v, np.ndarray) for v in saved.values())
    run_steps(net, mp, 3, 6)
    net2, mp2 = make()                                # a fresh run, resumed from the saved state
    net_ck, opt_state, _ = load_checkpoint(tmp_path / "ck")
    net2.load_state_dict(net_ck.state_dict())
    mp2.load_state_dict(opt_state)
    run_steps(net2, mp2, 3, 6)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, net2.state_dict()[k])
    assert mp.n_pulses == mp2.n_pulses
    with pytest.raises(KeyError, match="chi"):
        mp2.load_state_dict({k: v for k, v in saved.items() if not k.startswith("chi/")})


def test_mixed_precision_rejects_bad_arguments():
    net = Sequential([Dense(3, 2, seed=0)])
    with pytest.raises(ValueError, match="epsilon"):
        MixedPrecision(SGD(net), epsilon=0.0)
    with pytest.raises(ValueError, match="pulse_noise"):
        MixedPrecision(SGD(net), pulse_noise=-1.0)
    with pytest.raises(UsageError, match="ema"):
        MixedPrecision(SGD(net, ema=0.9))
    with pytest.raises(TypeError, match="optimizer"):
        MixedPrecision(object())
    assert isinstance(MixedPrecision(net, lr=0.1).inner, SGD)    # a bare model gets plain SGD


# --------------------------------------------------------------------------------------------------
# snu-np analog
# --------------------------------------------------------------------------------------------------
def checkpoint_of(run_dir):
    """Where train() leaves the best checkpoint of a run (one place, should the layout change)."""
    return Path(run_dir) / "best"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from snu_np.train import train
    tmp = tmp_path_factory.mktemp("analog_run")
    train("demo", model="snu", layers=(16,), epochs=1, limit_train=200, limit_test=100, out_dir=tmp,
          progress=False, verbose=False)
    return tmp


def _cli(argv):
    import argparse

    from snu_np.analog import cli
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return cli.run(p.parse_args(argv))


def test_cli_analog_prints_and_writes(tiny_run, tmp_path, capsys):
    out = tmp_path / "an"
    code = _cli([str(checkpoint_of(tiny_run)), "--times", "1s,1d,1y", "--draws", "2", "--out", str(out),
                 "--limit-test", "50"])
    assert code == 0
    text = capsys.readouterr().out
    assert "float" in text and "1d" in text and "+-" in text
    res = json.loads((out / "analog_compensated.json").read_text())
    assert res["times"] == [1.0, DAY, 365 * DAY] and res["draws"] == 2 and res["metric"] == "accuracy"
    assert len(res["values"]) == 3 and all(len(v) == 2 for v in res["values"])
    assert (out / "analog_compensated.png").stat().st_size > 1000
    assert _cli([str(tiny_run), "--times", "1h", "--draws", "1", "--out", str(out), "--no-compensation",
                 "--no-plot", "--limit-test", "20"]) == 0          # a run folder works too
    assert json.loads((out / "analog_uncompensated.json").read_text())["compensate"] is False


def test_cli_analog_bad_inputs(tiny_run, tmp_path):
    ck = str(checkpoint_of(tiny_run))
    with pytest.raises(UsageError, match="cannot read the time"):
        _cli([ck, "--times", "1s,soon", "--out", str(tmp_path)])
    with pytest.raises(UsageError, match=">= 0"):
        _cli([ck, "--times=-5s", "--out", str(tmp_path)])
    with pytest.raises(UsageError, match="--draws"):
        _cli([ck, "--draws", "0", "--out", str(tmp_path)])
    with pytest.raises((FileNotFoundError, ValueError)):
        _cli([str(tmp_path / "nothing"), "--out", str(tmp_path)])


def test_cli_analog_registered_in_snu_np():
    from snu_np import cli
    assert "analog" in cli.COMMANDS
    assert cli.main(["analog", "--help"]) == 0
