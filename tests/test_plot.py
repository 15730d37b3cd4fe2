"""The plotting helpers: each returns a Figure with the expected artists, and checks its inputs."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from snu_np import lif, plot  # noqa: E402
from snu_np.surrogates import SURROGATES  # noqa: E402


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plot helpers must not call plt.show()")
    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


def texts(fig):
    """Every non-empty string drawn in the figure (titles, labels, legend entries, texts)."""
    out = [a.get_text() for a in fig.findobj(lambda a: hasattr(a, "get_text"))]
    return [t for t in out if t]


def legend_labels(ax):
    leg = ax.get_legend()
    return [] if leg is None else [t.get_text() for t in leg.get_texts()]


def images(ax):
    return [c for c in ax.get_children() if isinstance(c, AxesImage)]


@pytest.fixture
def neuron():
    I = np.r_[np.zeros(5), np.full(40, 1.5), np.full(15, 0.3)]
    V, spikes = lif.simulate(I, 1.0, 10.0, v_reset=-0.1)
    return I, V, spikes


# ---------------------------------------------------------------- plot_neuron
def test_plot_neuron_three_panels(neuron):
    I, V, spikes = neuron
    fig = plot.plot_neuron(I, V, spikes, v_th=1.0, v_reset=-0.1, dt=0.5, time_unit="ms",
                           title="LIF", equation=True)
    assert isinstance(fig, Figure)
    ax_i, ax_v, ax_s = fig.axes
    assert len(fig.axes) == 3
    assert ax_i.get_shared_x_axes().joined(ax_i, ax_s)
    assert ax_s.get_xlabel() == "time (ms)"
    assert "current" in ax_i.get_ylabel() and "potential" in ax_v.get_ylabel()
    labels = legend_labels(ax_v)
    assert any("threshold" in s for s in labels) and any("reset" in s for s in labels)
    hlines = [ln for ln in ax_v.get_lines() if ln.get_linestyle() == "--"]
    assert sorted(ln.get_ydata()[0] for ln in hlines) == [-0.1, 1.0]
    ticks = [c for c in ax_s.collections if isinstance(c, LineCollection)]
    assert len(ticks) == 1 and len(ticks[0].get_segments()) == int(spikes.sum()) > 0
    assert ticks[0].get_segments()[0][0, 0] == pytest.approx(0.5 * (np.flatnonzero(spikes)[0] + 1))
    assert fig._suptitle.get_text() == "LIF"
    assert ax_i.get_title() == plot.LIF_EQUATION
    fig.canvas.draw()                                  # mathtext parses, layout runs


def test_plot_neuron_single_panel_custom_equation_and_axes(neuron):
    _, V, _ = neuron
    fig = plot.plot_neuron(V=V, v_th=1.0, equation=r"$\tau \dot V = -V + RI$")
    assert len(fig.axes) == 1
    assert fig.axes[0].get_xlabel() == "time step $t$"
    assert r"$\tau \dot V = -V + RI$" in texts(fig)
    fig2, axes = plt.subplots(2, 1)
    out = plot.plot_neuron(V=V, spikes=neuron[2], axes=axes)
    assert out is fig2


@pytest.mark.parametrize("kwargs, exc, word", [
    ({}, ValueError, "at least one"),
    ({"V": np.ones((5, 2))}, ValueError, "1-D"),
    ({"V": np.ones(5), "I": np.ones(4)}, ValueError, "same length"),
    ({"V": np.ones(5), "dt": 0.0}, ValueError, "dt"),
    ({"V": np.array([1.0, np.nan])}, ValueError, "NaN"),
    ({"V": np.array(["a", "b"])}, TypeError, "V"),
    ({"V": np.ones(5), "v_th": "1"}, ValueError, "v_th"),
    ({"V": np.ones(5), "equation": 3}, TypeError, "equation"),
    ({"V": np.ones(5), "axes": [None, None]}, ValueError, "axes"),
])
def test_plot_neuron_bad_input(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        plot.plot_neuron(**kwargs)


# ---------------------------------------------------------------- raster, states
def test_plot_raster():
    spikes = np.zeros((30, 6), dtype=bool)
    spikes[[3, 7, 7, 20], [0, 1, 5, 2]] = True
    fig = plot.plot_raster(spikes, dt=2.0, title="raster", time_unit="ms")
    (ax,) = fig.axes
    (pts,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    offs = pts.get_offsets()
    assert len(offs) == 4
    assert sorted(map(tuple, np.asarray(offs))) == [(8.0, 0), (16.0, 1), (16.0, 5), (42.0, 2)]
    assert ax.get_ylabel() == "neuron index" and ax.get_xlabel() == "time (ms)"
    assert ax.get_title() == "raster"
    fig2, ax2 = plt.subplots()
    assert plot.plot_raster(np.zeros(10), ax=ax2) is fig2                 # 1-D, no spikes
    with pytest.raises(ValueError, match="spikes"):
        plot.plot_raster(np.zeros((2, 3, 4)))


def test_plot_states_with_threshold_and_spikes():
    rng = np.random.default_rng(0)
    s = rng.normal(0.5, 0.5, size=(40, 7))
    y = (s > 1.0).astype(float)
    fig = plot.plot_states(s, y, threshold=1.0, title="layer", equation=True)
    heat, raster, cbar = fig.axes[0], fig.axes[1], fig.axes[2]
    assert len(fig.axes) == 3                                           # heat map, raster, colorbar
    (im,) = images(heat)
    assert im.get_array().shape == (7, 40)                              # neurons x time
    # a linear colour scale that contains the threshold (issue: a two-slope scale misleads the eye)
    assert type(im.norm) is Normalize and im.norm.vmin <= 1.0 <= im.norm.vmax
    assert any(ln.get_linestyle() == "--" and ln.get_ydata()[0] == 1.0 for ln in cbar.get_lines())
    assert "threshold" in cbar.get_ylabel()
    pts = [c for c in raster.collections if isinstance(c, PathCollection)]
    assert len(pts[0].get_offsets()) == int(y.sum())
    assert heat.get_title() == plot.SNU_EQUATION and fig._suptitle.get_text() == "layer"
    fig.canvas.draw()


def test_plot_states_plain_and_errors():
    fig = plot.plot_states(np.ones((5, 3)))                              # constant, no threshold
    assert len(fig.axes) == 2
    fig = plot.plot_states(np.zeros((5, 3)), threshold=1.0)              # all below threshold
    norm = images(fig.axes[0])[0].norm                                 # linear, the threshold on it
    assert type(norm) is Normalize and norm.vmin == 0.0 and norm.vmax == 1.0
    with pytest.raises(ValueError, match="y must have the same shape"):
        plot.plot_states(np.ones((5, 3)), y=np.ones((5, 4)))
    with pytest.raises(ValueError, match="s must have 2"):
        plot.plot_states(np.ones((5, 3, 2)))


# ---------------------------------------------------------------- surrogates
def test_plot_surrogates_gallery():
    fig = plot.plot_surrogates(title="gallery")
    n = len(SURROGATES)
    assert len(fig.axes) == 3 * n
    titles = [ax.get_title() for ax in fig.axes]
    for name, cls in SURROGATES.items():
        assert cls.formula in titles and cls.primitive_formula in titles
        assert any(t.startswith(name) for t in titles)
    for ax in fig.axes:
        assert len(ax.get_lines()) >= 1
    # the step panel really is the step, the derivative panel the pseudo-derivative
    u, h = fig.axes[0].get_lines()[0].get_data()
    np.testing.assert_array_equal(h, (u > 0).astype(float))
    u, g = fig.axes[1].get_lines()[0].get_data()
    np.testing.assert_allclose(g, SURROGATES["tanh"]().grad(u))
    fig.canvas.draw()


def test_plot_surrogates_subset_and_scale():
    fig = plot.plot_surrogates(["sigmoid", "boxcar"], scale={"boxcar": 2.0})
    assert len(fig.axes) == 6
    assert "boxcar ($\\alpha$ = 2)" in fig.axes[3].get_title()
    fig = plot.plot_surrogates("tanh", scale=3.0)
    assert len(fig.axes) == 3 and "= 3" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="surrogate"):
        plot.plot_surrogates(["nope"])
    with pytest.raises(ValueError, match="scale"):
        plot.plot_surrogates(["tanh"], scale={"arctan": 1.0})
    with pytest.raises(ValueError, match="u_range"):
        plot.plot_surrogates(u_range=(1.0, -1.0))


# ---------------------------------------------------------------- gradient flow
def test_plot_gradient_flow_log():
    rng = np.random.default_rng(1)
    ds = rng.normal(size=(30, 5)) * np.exp(-np.arange(30)[::-1] / 5.0)[:, None]
    ds[0, 0] = 0.0
    fig = plot.plot_gradient_flow(ds, title="grad", equation=True)
    heat, mean_ax = fig.axes[0], fig.axes[1]
    assert len(fig.axes) == 3                                            # + colorbar
    (im,) = images(heat)
    assert isinstance(im.norm, LogNorm)
    (line,) = mean_ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), np.abs(ds).mean(axis=1))
    assert mean_ax.get_yscale() == "log"
    assert "mean over neurons" in legend_labels(mean_ax)
    assert heat.get_title() == plot.GRADIENT_EQUATION
    fig.canvas.draw()


def test_plot_gradient_flow_batch_linear_and_zero():
    ds = np.random.default_rng(2).normal(size=(10, 3, 4))
    fig = plot.plot_gradient_flow(ds, log=False)
    np.testing.assert_allclose(images(fig.axes[0])[0].get_array().T, np.abs(ds).mean(axis=1))
    assert fig.axes[1].get_yscale() == "linear"
    fig = plot.plot_gradient_flow(np.zeros((6, 2)))                      # log falls back to linear
    assert not isinstance(images(fig.axes[0])[0].norm, LogNorm)
    with pytest.raises(TypeError, match="log"):
        plot.plot_gradient_flow(ds, log="yes")


# ---------------------------------------------------------------- piano roll
def test_plot_piano_roll():
    rng = np.random.default_rng(3)
    roll = (rng.random((25, 88)) < 0.05).astype(np.uint8)
    fig = plot.plot_piano_roll(roll, title="song")
    assert len(fig.axes) == 1
    (im,) = images(fig.axes[0])
    assert im.get_extent()[2:] == [20.5, 108.5]                          # A0 (21) .. C8 (108)
    assert fig.axes[0].get_ylabel() == "MIDI pitch"
    assert "C4 (60)" in [t.get_text() for t in fig.axes[0].get_yticklabels()]

    probs = rng.random((25, 88))
    fig = plot.plot_piano_roll(roll, probs, midi_offset=21)
    assert len(fig.axes) == 3                                            # roll, probs, colorbar
    a, b = fig.axes[0], fig.axes[1]
    assert a.get_shared_y_axes().joined(a, b) and a.get_shared_x_axes().joined(a, b)
    assert images(b)[0].get_extent() == images(a)[0].get_extent()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        plot.plot_piano_roll(roll, probs * 2)
    with pytest.raises(ValueError, match="same shape"):
        plot.plot_piano_roll(roll, probs[:, :10])
    with pytest.raises(ValueError, match="midi_offset"):
        plot.plot_piano_roll(roll, midi_offset=-1)


# ---------------------------------------------------------------- training curves
def test_plot_training_curves():
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e,
                "train_accuracy": 1 - 1 / (e + 1), "val_accuracy": 1 - 1.2 / (e + 1) if e % 2 else None}
               for e in range(1, 7)]
    fig = plot.plot_training_curves(history, title="run")
    assert len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert legend_labels(loss_ax) == ["train", "validation"]
    assert loss_ax.get_xlabel() == "epoch" and acc_ax.get_title() == "accuracy"
    val_acc = acc_ax.get_lines()[1]
    np.testing.assert_array_equal(val_acc.get_xdata(), [1, 3, 5])       # missing epochs skipped


def test_plot_training_curves_nll_dict_and_errors():
    fig = plot.plot_training_curves({"train_loss": [3.0, 2.0], "val_nll": [4.0, 3.5]},
                                    metrics=["loss", "nll"])
    assert [legend_labels(ax) for ax in fig.axes] == [["train"], ["validation"]]
    np.testing.assert_array_equal(fig.axes[1].get_lines()[0].get_xdata(), [1, 2])
    with pytest.raises(ValueError, match="metric 'f1' not found"):
        plot.plot_training_curves([{"train_loss": 1.0}], metrics=("f1",))
    with pytest.raises(ValueError, match="empty"):
        plot.plot_training_curves([])
    with pytest.raises(TypeError, match="history"):
        plot.plot_training_curves("loss")
    with pytest.raises(TypeError, match="number"):
        plot.plot_training_curves([{"train_loss": "x"}], metrics="loss")


# ---------------------------------------------------------------- f-I curve
def test_plot_fi_curve():
    I = np.linspace(0.0, 3.0, 13)
    fig = plot.plot_fi_curve(I, lif.fi_curve(I, 0.1, 10.0), lif.firing_rate(I, 10.0), rheobase=1.0,
                             rate_unit="1/ms", equation=True, title="f-I")
    (ax,) = fig.axes
    assert legend_labels(ax) == ["analytic", "simulated", r"rheobase $v_{th}/R$"]
    assert ax.get_ylabel() == "firing rate (1/ms)"
    assert ax.get_title() == "f-I\n" + plot.RATE_EQUATION
    fig.canvas.draw()
    fig = plot.plot_fi_curve(I, rates_analytic=lif.firing_rate(I, 10.0))
    assert legend_labels(fig.axes[0]) == ["analytic"]
    with pytest.raises(ValueError, match="rates_sim and/or rates_analytic"):
        plot.plot_fi_curve(I)
    with pytest.raises(ValueError, match="rates_sim must have the same shape"):
        plot.plot_fi_curve(I, rates_sim=np.ones(3))


# ---------------------------------------------------------------- events
def test_plot_events():
    rng = np.random.default_rng(4)
    frames = rng.random((8, 28, 28))
    events = (rng.random((8, 784)) < 0.1).astype(np.float32)
    fig = plot.plot_events(frames, events, n_steps=4, title="jittered MNIST")
    assert len(fig.axes) == 8                                            # 2 rows x 4 steps
    assert all(len(images(ax)) == 1 for ax in fig.axes)
    np.testing.assert_array_equal(images(fig.axes[4])[0].get_array(), events[0].reshape(28, 28))
    assert fig.axes[0].get_ylabel() == "input" and fig.axes[4].get_ylabel() == "events"
    assert fig.axes[0].get_title() == "t = 1"
    fig = plot.plot_events(frames[0], rng.random((3, 2, 28, 28)))         # one image, ON/OFF events
    assert len(fig.axes) == 6 and "ON" in fig.axes[3].get_ylabel()
    assert len(plot.plot_events(frames.reshape(8, 784), events).axes) == 16   # default 8 steps


@pytest.mark.parametrize("frames, events, kwargs, word", [
    (np.ones((5, 28, 28)), np.ones((4, 784)), {}, "number of steps"),
    (np.ones((5, 28, 28)), np.ones((5, 100)), {}, "image size"),
    (np.ones((5, 28, 28)), np.ones((5, 700)), {}, "square"),
    (np.ones((5, 28, 28)), np.ones((5, 784)), {"n_steps": 6}, "n_steps"),
    (np.ones((5, 28, 28)), np.ones((5, 3, 28, 28)), {}, "ON/OFF"),
])
def test_plot_events_bad_input(frames, events, kwargs, word):
    with pytest.raises(ValueError, match=word):
        plot.plot_events(frames, events, **kwargs)


def test_plot_neuron_on_pre_shared_axes_and_custom_label():
    import matplotlib.pyplot as plt
    from snu_np import plot as P
    fig, axes = plt.subplots(2, 1, sharex=True)
    P.plot_neuron(V=np.linspace(0, 1.2, 10), spikes=(np.arange(10) == 7).astype(float), v_th=1.0,
                  axes=axes, V_label="SNU state $s_t$")
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert "SNU state $s_t$" in labels
    plt.close(fig)


def test_plot_states_soft_outputs_are_a_heat_map_not_a_raster():
    import matplotlib.pyplot as plt
    from snu_np import plot as P
    rng = np.random.default_rng(0)
    fig = P.plot_states(rng.uniform(0, 2, (12, 5)), y=rng.uniform(0, 1, (12, 5)), threshold=1.0)
    assert len(fig.axes[1].images) == 1          # probabilities shown as an image
    plt.close(fig)
    fig = P.plot_states(rng.uniform(0, 2, (12, 5)), y=(rng.uniform(0, 1, (12, 5)) > 0.5).astype(float))
    assert len(fig.axes[1].images) == 0          # spikes shown as a raster
    plt.close(fig)


def test_gradient_flow_keeps_log_scale_with_zero_steps():
    import matplotlib.pyplot as plt
    from snu_np import plot as P
    ds = np.ones((6, 3))
    ds[:2] = 0.0
    fig = P.plot_gradient_flow(ds)
    assert any(ax.get_yscale() == "log" for ax in fig.axes)
    plt.close(fig)
