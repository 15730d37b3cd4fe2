"""Layer objects. Each maps (T, B, n_in) -> (T, B, n_out) and has ``params``/``grads`` dicts."""
from .base import Layer, glorot_uniform
from .dense import Dense
from .snu import SNU

LAYER_TYPES = {"snu": SNU, "dense": Dense}


def register_layer(cls):
    """Make a layer class known to ``Sequential.from_config`` (by its ``kind``)."""
    LAYER_TYPES[cls.kind] = cls
    return cls


from .rnn import GRU, LSTM, RNN  # noqa: E402  (registers itself with register_layer above)

__all__ = ["Layer", "Dense", "SNU", "RNN", "LSTM", "GRU", "LAYER_TYPES", "register_layer", "glorot_uniform"]
