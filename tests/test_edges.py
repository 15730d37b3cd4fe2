"""Edges refused at the boundary with a clear message (issue 16): empty sequences, a layer twice in
a network, bad labels for the metrics, parameters that the constructor would never make."""
import numpy as np
import pytest

from snu_np import GRU, LSTM, RNN, SNU, Dense, Sequential
from snu_np.functional import dense as FD
from snu_np.functional import gru as FG
from snu_np.functional import lstm as FL
from snu_np.functional import rnn as FR
from snu_np.functional import snu as FS
from snu_np.functional.losses import accuracy
from snu_np.kernels import recurrent as KR
from snu_np.kernels import snu as KS

pytestmark = pytest.mark.nojit

BACKENDS = ["numpy", "numba"]
LAYERS = {
    "snu": lambda be: SNU(3, 2, seed=0, backend=be),
    "ssnu-recurrent": lambda be: SNU(3, 2, soft=True, recurrent=True, seed=0, backend=be),
    "rnn": lambda be: RNN(3, 2, seed=0, backend=be),
    "lstm": lambda be: LSTM(3, 2, seed=0, backend=be),
    "gru": lambda be: GRU(3, 2, seed=0, backend=be),
    "dense": lambda be: Dense(3, 2, seed=0),
}
EMPTY = [(0, 2), (4, 0), (0, 0)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("T,B", EMPTY)
def test_layers_refuse_empty_sequences(backend, kind, T, B):
    import snu_np
    snu_np.set_backend(backend)                  # Dense follows the global backend
    layer = LAYERS[kind](backend)
    with pytest.raises(ValueError, match=r"x has shape .*at least one time step \(T >= 1\) and one sample"):
        layer.forward(np.zeros((T, B, 3)))
    with pytest.raises(ValueError, match="at least one time step"):
        Sequential([layer]).forward(np.zeros((T, B, 3)))
    with pytest.raises(ValueError, match="at least one time step"):   # also when not scanned for NaN
        layer.forward(np.zeros((T, B, 3)), check_finite=False)


def _functions():
    W, b, H = np.ones((3, 2)), -np.ones(2), np.eye(2)
    W4, H4, b4 = np.ones((3, 8)), np.ones((2, 8)), np.zeros(8)
    W3, H3, b3 = np.ones((3, 6)), np.ones((2, 6)), np.zeros(6)
    return {
        "functional.snu": lambda x: FS.snu_forward(x, W, b, 0.8, H),
        "kernels.snu": lambda x: KS.snu_forward(x, W, b, 0.8, H),
        "kernels.snu-ff": lambda x: KS.snu_forward(x, W, b, 0.8),
        "functional.rnn": lambda x: FR.rnn_forward(x, W, H, b),
        "kernels.rnn": lambda x: KR.rnn_forward_fast(x, W, H, b),
        "functional.lstm": lambda x: FL.lstm_forward(x, W4, H4, b4),
        "kernels.lstm": lambda x: KR.lstm_forward_fast(x, W4, H4, b4),
        "functional.gru": lambda x: FG.gru_forward(x, W3, H3, b3),
        "kernels.gru": lambda x: KR.gru_forward_fast(x, W3, H3, b3),
        "functional.dense": lambda x: FD.dense_forward(x, W, b),
    }


@pytest.mark.parametrize("name", sorted(_functions()))
@pytest.mark.parametrize("T,B", EMPTY)
def test_functions_refuse_empty_sequences(name, T, B):
    with pytest.raises(ValueError, match="at least one time step"):
        _functions()[name](np.zeros((T, B, 3)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_backward_refuses_a_dy_of_the_wrong_shape(backend, kind):
    layer = LAYERS[kind](backend)
    layer.forward(np.ones((4, 2, 3)))
    with pytest.raises(ValueError, match="dy must have shape"):
        layer.backward(np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match="dy must have shape"):
        layer.backward(np.ones((3, 2, 2)), check_finite=False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_step_sequences_still_work(backend):
    for kind, make in LAYERS.items():
        layer = make(backend)
        y = layer.forward(np.ones((1, 1, 3)))
        dx = layer.backward(np.ones_like(y))
        assert dx.shape == (1, 1, 3), kind


def test_a_layer_object_twice_is_refused():
    layer = SNU(3, 3, seed=0)
    with pytest.raises(ValueError, match=r"layers\[1\] is the same object as layers\[0\]"):
        Sequential([layer, layer])
    with pytest.raises(ValueError, match=r"layers\[2\] is the same object as layers\[0\]"):
        Sequential([layer, SNU(3, 3), layer])
    Sequential([layer, SNU(3, 3)])               # two equal but distinct layers are fine


@pytest.mark.parametrize("labels,exc,match", [
    (np.array([10, 0]), ValueError, r"labels: class labels must be in \[0, 3\] for 4 outputs"),
    (np.array([-1, 0]), ValueError, r"labels: class labels must be in \[0, 3\] for 4 outputs"),
    (np.array([0.5, 1.0]), TypeError, r"labels .*integer class labels in \[0, 3\]"),
    (np.array(["a", "b"]), TypeError, r"labels .*integer class labels in \[0, 3\]"),
    (["1", "2"], TypeError, r"labels .*integer class labels"),
    (np.array([True, False]), TypeError, r"labels .*integer class labels"),
    (np.array([0, 1, 2]), ValueError, r"labels must have shape \(2\), got \(3,\)"),
    (np.zeros((2, 5)), ValueError, r"labels must have shape \(2, 4\)"),
    (np.array([["a"] * 4] * 2), TypeError, "labels with shape"),
])
def test_accuracy_validates_its_labels(labels, exc, match):
    y = np.zeros((3, 2, 4))
    with pytest.raises(exc, match=match):
        accuracy(y, labels)


def test_accuracy_accepts_labels_and_one_hot_rows():
    y = np.zeros((3, 2, 4))
    y[:, 0, 3] = y[:, 1, 1] = 1.0
    assert accuracy(y, np.array([3, 1])) == 1.0
    assert accuracy(y, np.eye(4)[[3, 0]]) == 0.5


@pytest.mark.parametrize("value,exc,match", [
    (np.full((3, 2), np.nan), ValueError, "W contains NaN or inf"),
    (np.full((3, 2), np.inf), ValueError, "W contains NaN or inf"),
    (np.ones((3, 2)) + 1j, TypeError, "W must be real, got the complex dtype"),
    (np.full((3, 2), "x"), TypeError, "W must hold real numbers"),
    (np.ones((2, 3)), ValueError, r"W must have shape \(3, 2\)"),
    (np.ones((3, 2), dtype=object), TypeError, "W must hold real numbers"),
])
@pytest.mark.parametrize("make", [lambda: SNU(3, 2, seed=0), lambda: Dense(3, 2, seed=0)])
def test_set_params_validates_like_the_constructor(make, value, exc, match):
    layer = make()
    before = {k: p.copy() for k, p in layer.params.items()}
    with pytest.raises(exc, match=match):
        layer.set_params(b=np.zeros(2), W=value)
    for k, p in layer.params.items():            # nothing written, not even the valid b
        np.testing.assert_array_equal(p, before[k], err_msg=k)


def test_set_params_checks_ranges_and_names():
    layer = SNU(3, 2, train_decay=True, seed=0)
    with pytest.raises(ValueError, match="decay must be <= 1"):
        layer.set_params(decay=np.array(1.5))
    with pytest.raises(KeyError, match="no parameter 'H'"):
        layer.set_params(H=np.zeros((2, 2)))
    layer.set_params(decay=np.array(0.5), W=np.ones((3, 2), dtype=np.int64))   # integers are numbers
    assert layer.decay == 0.5 and layer.params["W"].dtype == np.float64


@pytest.mark.parametrize("bad,exc,match", [
    (lambda W: W + 1j, TypeError, r"state of layer 1 \(SNU\): W must be real"),
    (lambda W: W * np.nan, ValueError, r"state of layer 1 \(SNU\): W contains NaN"),
    (lambda W: W.astype(str), TypeError, r"state of layer 1 \(SNU\): W must hold real numbers"),
])
def test_load_state_dict_inherits_the_checks(bad, exc, match):
    net = Sequential([SNU(3, 4, seed=0), SNU(4, 2, seed=1)])
    state = net.state_dict()
    state["1.W"] = bad(state["1.W"])
    state["0.W"] = state["0.W"] + 1.0            # valid, but must not be written either
    before = net.state_dict()
    with pytest.raises(exc, match=match):
        net.load_state_dict(state)
    for k, p in net.state_dict().items():
        np.testing.assert_array_equal(p, before[k], err_msg=k)
