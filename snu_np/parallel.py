"""Data parallelism on one machine: the batch cut into shards, one thread per shard.

A training step of a feed-forward SNU net is matrix products (BLAS, which can use every core) and
element-wise loops (the Numba kernels, serial: one core). With two cores, BLAS on two threads and
the loops on one leave a core idle for about a third of the step. Cutting the batch in two and
running each half's forward and backward pass in its own thread, each with a single-threaded BLAS,
keeps both cores busy for the whole step: the kernels and BLAS release the GIL, so the threads run
truly in parallel (what it gains: docs/performance.md).

Shard 0 runs on the network itself, every other shard on a *replica*: a shallow copy of every layer
that shares the parameter arrays (``params`` is the same dict) but keeps its own ``cache`` and ``grads``. For a loss
that is a mean over the batch, L = sum_k (B_k / B) L_k, so ::

    dL/dtheta = sum_k (B_k / B) dL_k/dtheta          (the batch gradient, up to float rounding)

which is what :meth:`DataParallel.loss_and_grads` leaves in the network's ``grads``, summed in shard
order: the result does not depend on which thread finishes first. ::

    dp = DataParallel(net, shards=2)
    set_blas_threads(1)               # one BLAS thread per shard (snu_np.train.set_blas_threads)
    loss, y = dp.loss_and_grads(x, labels, window_mse)
    opt.step()                        # the optimiser of ``net``, as usual
"""
from __future__ import annotations

import copy
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._validate import all_finite, check_int

__all__ = ["DataParallel", "forward_backward", "shard_bounds"]


def forward_backward(net, x, target, loss_fn, *loss_args, scale=1.0, where="", **loss_kw):
    """One training pass: ``y = net.forward(x)``, ``loss, dy = loss_fn(y, target, *loss_args,
    **loss_kw)``, then ``net.backward(scale * dy)`` without the input gradient (training never reads
    it). Returns ``(loss, y)``.

    Raises FloatingPointError, before the backward pass, if the loss or dL/dy is not finite
    (``where`` is added to the message, e.g. " of shard 1")."""
    y = net.forward(x)
    loss, dy = loss_fn(y, target, *loss_args, **loss_kw)
    loss = float(loss)
    if not math.isfinite(loss):
        raise FloatingPointError(f"the loss{where} is not finite ({loss})")
    if not all_finite(dy):
        raise FloatingPointError(f"the loss gradient dy{where} contains NaN or inf")
    if scale != 1.0:
        dy *= dy.dtype.type(scale)                                     # dL/dy_k = (B_k / B) dL_k/dy_k
    net.backward(dy, need_dx=False)
    return loss, y


def shard_bounds(B, shards):
    """Split ``range(B)`` into ``shards`` contiguous pieces as equal as possible: [(start, stop), ...].

    The first ``B % shards`` pieces get one more element."""
    B = check_int(B, "B", low=1)
    shards = check_int(shards, "shards", low=1)
    if shards > B:
        raise ValueError(f"shards = {shards} is more than the batch size B = {B}")
    q, r = divmod(B, shards)
    bounds, start = [], 0
    for k in range(shards):
        stop = start + q + (k < r)
        bounds.append((start, stop))
        start = stop
    return bounds


def _replica(net):
    """A twin of ``net`` whose layers share its parameters but keep their own caches and gradients."""
    twin = copy.copy(net)
    twin.layers = []
    for layer in net.layers:
        t = copy.copy(layer)            # its own instance dict (per-call options are arguments, not attributes)
        t.params = layer.params         # the same dict: optimiser updates and set_params reach every replica
        t.grads = {k: np.zeros_like(p) for k, p in layer.params.items()}
        t.cache = None
        twin.layers.append(t)
    return twin


class DataParallel:
    """Run a network's forward and backward pass on ``shards`` pieces of the batch at once.

    Works for losses that are means over the batch axis (``window_mse``, ``softmax_cross_entropy``),
    called as ``loss_fn(y, target, window=...)`` and returning ``(loss, dy)``.

    Parameters
    ----------
    net : Sequential
        The network; its ``grads`` receive the batch gradient, its parameters are shared, not copied.
    shards : int >= 1
        Number of pieces (and threads). 1 runs the plain serial step, in the calling thread.
    """

    def __init__(self, net, shards=2):
        if not hasattr(net, "layers") or not hasattr(net, "backward"):
            raise TypeError(f"net must be a Sequential, got {type(net).__name__}")
        self.net = net
        self.shards = check_int(shards, "shards", low=1)
        # shard 0 runs on the network itself: its grads are where the others are added
        self._replicas = [net] + [_replica(net) for _ in range(self.shards - 1)]
        self._pool = ThreadPoolExecutor(self.shards - 1) if self.shards > 1 else None

    def close(self):
        """Stop the worker threads (also done at interpreter exit)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _run_shard(self, k, x, target, loss_fn, loss_kw, weight):
        # a contiguous copy, made in this shard's thread: a strided half-batch would defeat BLAS
        # and the kernels' loops
        return forward_backward(self._replicas[k], np.ascontiguousarray(x), target, loss_fn,
                                scale=weight, where=f" of shard {k}", **loss_kw)

    def loss_and_grads(self, x, target, loss_fn, **loss_kw):
        """Forward, loss and backward of the whole batch; fills ``net``'s grads with dL/dtheta.

        x : (T, B, n_in) input; target : (B,) labels or (B, n_out) targets (batch on axis 0).
        Returns ``(loss, y)``: the batch's mean loss and the output (T, B, n_out). A batch smaller
        than ``shards`` is cut into B shards of one example. The input gradient is not computed
        (training never reads it). Raises FloatingPointError if a shard's loss or dL/dy is not
        finite; every shard has finished before anything is raised."""
        B = x.shape[1] if isinstance(x, np.ndarray) and x.ndim == 3 else None
        if self.shards == 1 or B == 1:     # nothing to cut (a last batch of one example, say)
            return forward_backward(self.net, x, target, loss_fn, **loss_kw)
        if not isinstance(x, np.ndarray) or x.ndim != 3:
            raise ValueError(f"x must be an array of shape (T, B, n_in), got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        target = np.asarray(target)
        if target.ndim == 0 or target.shape[0] != B:
            raise ValueError(f"target must have the batch size {B} on its first axis, got shape {target.shape}")
        bounds = shard_bounds(B, min(self.shards, B))   # a small last batch: fewer, smaller shards
        if self._pool is None:
            raise RuntimeError("this DataParallel was closed")
        jobs = [(k, x[:, a:b], target[a:b], loss_fn, loss_kw, (b - a) / B)
                for k, (a, b) in enumerate(bounds)]
        futures = [self._pool.submit(self._run_shard, *job) for job in jobs[1:]]
        results, error = [], None
        try:
            results.append(self._run_shard(*jobs[0]))
        except Exception as err:            # noqa: BLE001 - re-raised below, after the workers end
            error = err
        for f in futures:
            try:
                results.append(f.result())
            except Exception as err:        # noqa: BLE001
                error = error or err
        if error is not None:
            raise error
        for i, layer in enumerate(self.net.layers):                    # sum in shard order
            for name in layer.params:
                g = layer.grads[name]          # shard 0's, written afresh by its backward pass
                for rep in self._replicas[1:len(bounds)]:     # only the shards of this batch
                    g += rep.layers[i].grads[name]
        loss = sum(((b - a) / B) * r[0] for (a, b), r in zip(bounds, results))
        y = np.concatenate([r[1] for r in results], axis=1)
        return float(loss), y
