"""The equations, in plain NumPy: what a student reads next to the derivation docs."""
from .activations import g_forward, g_grad_from_output
from .dense import dense_backward, dense_forward
from .losses import LOSS_NAMES, LOSSES, accuracy, bernoulli_nll, softmax_cross_entropy, window_mse
from .snu import snu_backward, snu_forward, snu_step_backward, snu_step_forward

__all__ = ["snu_step_forward", "snu_step_backward", "snu_forward", "snu_backward",
           "dense_forward", "dense_backward", "g_forward", "g_grad_from_output",
           "window_mse", "softmax_cross_entropy", "bernoulli_nll", "accuracy", "LOSSES", "LOSS_NAMES"]
