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
        seen = {}
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a Layer, got {type(layer).__name__}")
            if id(layer) in seen:        # one cache and one grads for two places: wrong gradients
                raise ValueError(f"layers[{i}] is the same object as layers[{seen[id(layer)]}]; a layer "
                                 f"can appear only once in a Sequential (build a second layer)")
            seen[id(layer)] = i
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

    @property
    def backend(self):
        """"numba" if every layer runs on numba now, else "numpy" (what the optimisers follow)."""
        return "numba" if all(layer.resolved_backend() == "numba" for layer in self.layers) else "numpy"

    def forward(self, x):
        """x (T, B, n_in) -> y (T, B, n_out). The first layer checks the input fully; what a layer
        hands to the next has the right shape and dtype by construction and is not scanned for NaN
        again (``check_finite=False``, see :mod:`snu_np.layers.base`)."""
        for i, layer in enumerate(self.layers):
            x = layer.forward(x, check_finite=i == 0)
        return x

    __call__ = forward

    def backward(self, dy, need_dx=True):
        """dy (T, B, n_out) -> dx (T, B, n_in); fills every layer's ``grads``.

        ``need_dx=False`` skips the input gradient of the first layer (training never reads it) and
        returns None. The dy of the loss is checked fully, what a layer hands down is not scanned
        for NaN again."""
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            dy = self.layers[i].backward(dy, need_dx=bool(need_dx) or i > 0, check_finite=i == last)
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
        """Copy parameters from ``state`` (as given by :meth:`state_dict`); keys must match and every
        array passes the layer's checks (``Layer.check_params``: shape, real, finite, range). Nothing
        is written unless all pass."""
        want = {f"{i}.{k}" for i, layer in enumerate(self.layers) for k in layer.params}
        got = set(state)
        if want != got:
            raise ValueError(f"state keys do not match the network: missing {sorted(want - got)}, "
                             f"unexpected {sorted(got - want)}")
        checked = []
        for i, layer in enumerate(self.layers):
            try:
                checked.append(layer.check_params(**{k: state[f"{i}.{k}"] for k in layer.params}))
            except (TypeError, ValueError) as err:
                raise type(err)(f"state of layer {i} ({type(layer).__name__}): {err}") from err
        for layer, arrays in zip(self.layers, checked):
            layer.set_params(**arrays)

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
