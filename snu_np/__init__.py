"""snu-np: Spiking Neural Units and LIF neurons in NumPy, with backpropagation through time by hand.

The public API in one screen::

    from snu_np import SNU, Dense, Sequential, Adam, set_backend
    net = Sequential([SNU(784, 256, seed=0), SNU(256, 10, seed=1)])
    y = net.forward(x)                      # x: (T, B, 784) -> y: (T, B, 10)
    loss, dy = window_mse(y, labels)        # the paper's classification loss
    net.backward(dy)                        # hand-written BPTT fills every layer's grads
    Adam(net, lr=1e-3).step()

Equations live in ``snu_np.functional`` (plain NumPy); ``snu_np.kernels`` holds their Numba twins.
"""
__version__ = "0.1.0"

from . import functional, gradcheck, lif, surrogates  # noqa: F401
from .backend import get_backend, set_backend
from .functional.losses import accuracy, bernoulli_nll, softmax_cross_entropy, window_mse
from .layers import GRU, LSTM, RNN, SNU, Dense, Layer
from .network import Sequential
from .optim import SGD, Adam, clip_grad_norm

__all__ = ["SNU", "Dense", "RNN", "LSTM", "GRU", "Layer", "Sequential", "SGD", "Adam", "clip_grad_norm",
           "window_mse", "softmax_cross_entropy", "bernoulli_nll", "accuracy",
           "set_backend", "get_backend", "functional", "gradcheck", "lif", "surrogates", "__version__"]
