"""The soft-SNU initialisation sweeps of docs/training.md: 784-256-256-10 on jittered MNIST, 3 epochs,
Adam decayed by 0.9 per epoch, batch 128, window-MSE unless the variant says otherwise.

    python scripts/ssnu_sweep.py VARIANT [VARIANT ...]          12,000 training / 2,000 test digits
    python scripts/ssnu_sweep.py --full VARIANT [VARIANT ...]   55,000 training / 5,000 test digits

Set SNU_NP_DATA to the folder with the four MNIST files. Variants: see ``VARIANTS`` below
("colc" = columns of W centred in layers fed by sSNUs, build_model's default for the sSNU since;
"hb" = initial hidden biases, i.e. minus the hidden threshold).
"""
import os
import sys
import time

import numpy as np

from snu_np import Adam, softmax_cross_entropy, window_mse
from snu_np.data import jitter_encode, load_mnist
from snu_np.parallel import forward_backward
from snu_np.tasks import build_model
from snu_np.train import set_blas_threads

VARIANTS = {
    # the small sweep (12,000 digits), columns not centred unless named
    'default': dict(colc=False),
    'lr1e-3': dict(colc=False, lr=1e-3),
    'leaky': dict(colc=False, g='leaky_relu'),
    'ce': dict(colc=False, loss=softmax_cross_entropy),
    'nocenter_b-4': dict(colc=False, center_output=False),
    'b-2': dict(colc=False, output_bias=-2.0),
    'hb-2': dict(colc=False, hb=-2.0),
    'hb-3': dict(colc=False, hb=-3.0),
    'hb-3lr1e-3': dict(colc=False, hb=-3.0, lr=1e-3),
    'hb-2leaky': dict(colc=False, hb=-2.0, g='leaky_relu'),
    'colc': dict(colc=True),
    'colc-lr1e-3': dict(colc=True, lr=1e-3),
    'colc-ce': dict(colc=True, loss=softmax_cross_entropy),
    'colc-leaky': dict(colc=True, g='leaky_relu'),
    'colc-nocenter': dict(colc=True, center_output=False),
    'colc-hb-2-leaky': dict(colc=True, hb=-2.0, g='leaky_relu'),
    'snu': dict(model='snu', colc=False),
    # the full-data sweep (--full): all with centred columns and leaky ReLU unless named
    'full-base': dict(g='leaky_relu'),
    'full-lr1.5e-3': dict(g='leaky_relu', lr=1.5e-3),
    'full-lr6e-3': dict(g='leaky_relu', lr=6e-3),
    'full-lr1e-2': dict(g='leaky_relu', lr=1e-2),
    'full-hb-2': dict(g='leaky_relu', hb=-2.0),
    'full-hb-3': dict(g='leaky_relu', hb=-3.0),
    'full-hb-2-lr6e-3': dict(g='leaky_relu', hb=-2.0, lr=6e-3),
    'full-hb-3-lr6e-3': dict(g='leaky_relu', hb=-3.0, lr=6e-3),
    'full-decay0.9': dict(g='leaky_relu', decay=0.9),
    'full-relu': dict(),
    'full-ce': dict(g='leaky_relu', loss=softmax_cross_entropy),
    'full-snu': dict(model='snu'),
}


def run(name, Xtr, ytr, xte, yte, epochs=3, lr=3e-3, loss=window_mse, hb=None, colc=None, model='ssnu', **kw):
    if hb is not None:                 # the hidden layers' initial bias: b = -threshold
        kw['threshold'] = -hb
    net = build_model('jittered-mnist', model, (256, 256), seed=0, center_inputs=colc, **kw)
    opt = Adam(net, lr=lr)
    rng = np.random.default_rng(0)
    t0 = time.time()
    for ep in range(epochs):
        perm = rng.permutation(len(Xtr))
        for k in range(0, len(Xtr), 128):
            idx = perm[k:k + 128]
            forward_backward(net, jitter_encode(Xtr[idx], seed=rng), ytr[idx].astype(np.int64), loss)
            opt.step()
        opt.lr *= 0.9
        acc = np.mean([np.mean(net.forward(xte[:, k:k + 500]).mean(0).argmax(1) == yte[k:k + 500])
                       for k in range(0, len(yte), 500)])
        print(f"{name} ep{ep + 1} acc {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)


def main(argv):
    full = '--full' in argv
    names = [a for a in argv if a != '--full']
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        sys.exit(f"usage: ssnu_sweep.py [--full] VARIANT ...; unknown {unknown}; variants: {', '.join(VARIANTS)}")
    set_blas_threads(1)
    data = os.environ.get('SNU_NP_DATA')
    Xtr, ytr = load_mnist(data, download=False, split='train')
    Xte, yte = load_mnist(data, download=False, split='test')
    ntr, nte = (55000, 5000) if full else (12000, 2000)
    Xtr, ytr, Xte, yte = Xtr[:ntr], ytr[:ntr], Xte[:nte], yte[:nte]
    xte = jitter_encode(Xte, seed=123)
    for name in names:
        run(name, Xtr, ytr, xte, yte, **VARIANTS[name])


if __name__ == '__main__':
    main(sys.argv[1:])
