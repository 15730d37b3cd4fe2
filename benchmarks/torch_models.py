"""The PyTorch comparison model of ``snu-np bench``: the same SNU network and training step as
snu-np's, written with PyTorch autograd. Kept out of the installed package: ``snu_np.bench`` loads
this file from a source checkout (or from ``$SNU_NP_TORCH_MODELS``) when PyTorch is installed.
"""
import numpy as np


def torch_step(workload, dtype, threads, seed=0):
    """A PyTorch training step (forward, autograd backward, Adam) of ``workload`` = (kind, layer
    sizes, T, batch, recurrent), built as ``snu_np.bench._snu_np_step`` builds snu-np's: returns a
    function that runs one step and returns the loss."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    kind, sizes, T, B, rec = workload

    class Step(torch.autograd.Function):
        @staticmethod
        def forward(ctx, u):
            ctx.save_for_backward(u)
            return (u > 0).to(u.dtype)

        @staticmethod
        def backward(ctx, g):
            (u,) = ctx.saved_tensors
            t = torch.tanh(u)
            return g * (1 - t * t)

    def layer_params(n_in, n_out):
        a = (6.0 / (n_in + n_out)) ** 0.5
        W = (torch.rand(n_in, n_out, dtype=tdtype) * 2 - 1) * a
        H = (torch.rand(n_out, n_out, dtype=tdtype) * 2 - 1) * (6.0 / (2 * n_out)) ** 0.5 if rec else None
        ps = [W.requires_grad_(), torch.full((n_out,), -1.0, dtype=tdtype, requires_grad=True)]
        if H is not None:
            ps.append(H.requires_grad_())
        return ps

    def snu(x, p):
        W, b = p[0], p[1]
        H = p[2] if len(p) > 2 else None
        a = x @ W                                    # all steps in one product, as snu-np does
        s = torch.zeros_like(a[0])
        y = torch.zeros_like(a[0])
        out = []
        for t in range(x.shape[0]):
            z = a[t] + 0.8 * s * (1 - y)
            if H is not None:
                z = z + y @ H
            s = torch.relu(z)
            y = Step.apply(s + b)
            out.append(y)
        return torch.stack(out)

    rng = np.random.default_rng(seed)
    if kind == "classify":
        params = [layer_params(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        x = torch.from_numpy((rng.uniform(size=(T, B, sizes[0])) < 0.15).astype(dtype))
        onehot = torch.nn.functional.one_hot(torch.from_numpy(rng.integers(0, sizes[-1], B)), sizes[-1]).to(tdtype)

        def loss_fn():
            h = x
            for p in params:
                h = snu(h, p)
            return ((h.mean(0) - onehot) ** 2).mean()
    else:
        params = [layer_params(sizes[0], sizes[1])]
        a = (6.0 / (sizes[1] + sizes[2])) ** 0.5
        Wo = ((torch.rand(sizes[1], sizes[2], dtype=tdtype) * 2 - 1) * a).requires_grad_()
        bo = torch.zeros(sizes[2], dtype=tdtype, requires_grad=True)
        params.append([Wo, bo])
        roll = torch.from_numpy((rng.uniform(size=(T + 1, B, sizes[0])) < 0.05).astype(dtype))
        x, target = roll[:-1], roll[1:]

        def loss_fn():
            logits = snu(x, params[0]) @ Wo + bo
            bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
            return bce.sum(-1).mean()

    opt = torch.optim.Adam([p for ps in params for p in ps], lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return float(loss)

    return step
