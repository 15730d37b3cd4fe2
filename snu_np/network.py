"""``Sequential``: layers in a row, forward in order and backward in reverse."""
from __future__ import annotations

import numpy as np

from .layers import LAYER_TYPES, Layer


class Sequential:
    """A stack of layers: ``forward(x) -> y`` and ``backward(dy) -> dx``.

    Parameters
    ----------
    layers : list of Layer
        Each layer's ``n_in`` must equal the previous layer's ``n_out``.

    Data flow: x (T, B, n_in) -> layer 0 -> ... -> y (T, B, n_out). After ``backward`` each layer's
    ``grads`` holds the gradients of the loss whose ``dy`` was passed in.
    """

    def __init__(self, layers):
        layers = list(layers)
        if not layers:
            raise ValueError("layers must be a non-empty list of layers")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a Layer, got {type(layer).__name__}")
            if i and layer.n_in != layers[i - 1].n_out:
                raise ValueError(f"layers[{i}].n_in = {layer.n_in} does not match "
                                 f"layers[{i - 1}].n_out = {layers[i - 1].n_out}")
        self.layers = layers

    @property
    def n_in(self):
        return self.layers[0].n_in

    @property
    def n_out(self):
        return self.layers[-1].n_out

    @property
    def dtype(self):
        return self.layers[0].dtype

    def forward(self, x):
        """x (T, B, n_in) -> y (T, B, n_out). The input is checked by the first layer; what a
        layer hands to the next is trusted (see ``Layer._trusted``)."""
        for i, layer in enumerate(self.layers):
            layer._trusted = i > 0
            try:
                x = layer.forward(x)
            finally:
                layer._trusted = False
        return x

    __call__ = forward

    def backward(self, dy, need_dx=True):
        """dy (T, B, n_out) -> dx (T, B, n_in); fills every layer's ``grads``.

        ``need_dx=False`` skips the input gradient of the first layer (training never reads it) and
        returns None on backends that honour it."""
        self.layers[0].need_dx = bool(need_dx)
        last = len(self.layers) - 1
        try:
            for i in range(last, -1, -1):
                self.layers[i]._trusted = i < last        # dy from the loss is checked, the rest trusted
                dy = self.layers[i].backward(dy)
        finally:
            self.layers[0].need_dx = True
            for layer in self.layers:
                layer._trusted = False
        return dy

    def parameters(self):
        """List of ``(name, param, grad)`` with names like ``"0.W"``; params are updated in place."""
        return [(f"{i}.{k}", layer.params[k], layer.grads[k])
                for i, layer in enumerate(self.layers) for k in layer.params]

    def constrain(self):
        """Keep every parameter in its allowed range (called by the optimisers after a step)."""
        for layer in self.layers:
            layer.constrain()

    @property
    def n_params(self):
        """Number of trainable scalars in all layers."""
        return sum(layer.n_params for layer in self.layers)

    def state_dict(self):
        """``{"0.W": array, ...}``: copies of all parameters (for ``np.savez``)."""
        return {f"{i}.{k}": p.copy() for i, layer in enumerate(self.layers) for k, p in layer.params.items()}

    def load_state_dict(self, state):
        """Copy parameters from ``state`` (as given by :meth:`state_dict`); keys and shapes must match."""
        want = {f"{i}.{k}" for i, layer in enumerate(self.layers) for k in layer.params}
        got = set(state)
        if want != got:
            raise ValueError(f"state keys do not match the network: missing {sorted(want - got)}, "
                             f"unexpected {sorted(got - want)}")
        for i, layer in enumerate(self.layers):
            layer.set_params(**{k: state[f"{i}.{k}"] for k in layer.params})

    def get_config(self):
        """JSON-serialisable description: ``{"layers": [{"kind": ..., **config}, ...]}``."""
        return {"layers": [dict(kind=layer.kind, **layer.get_config()) for layer in self.layers]}

    @classmethod
    def from_config(cls, config):
        """Rebuild a network (fresh weights) from :meth:`get_config`."""
        layers = []
        for i, cfg in enumerate(config["layers"]):
            cfg = dict(cfg)
            kind = cfg.pop("kind")
            if kind not in LAYER_TYPES:
                raise ValueError(f"config layer {i}: unknown kind {kind!r}; known: {sorted(LAYER_TYPES)}")
            cfg["dtype"] = np.dtype(cfg["dtype"])
            layers.append(LAYER_TYPES[kind](**cfg))
        return cls(layers)

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n  {inner}\n])  # {self.n_params:,} parameters"
