"""The soft-SNU initialisation sweep of docs/training.md: 784-256-256-10 on jittered MNIST,
12,000 training and 2,000 test digits, 3 epochs, Adam 3e-3 decayed by 0.9 per epoch.

    python scripts/ssnu_sweep.py snu default leaky colc colc-leaky ...   (variants below)

Set SNU_NP_DATA (or edit DATA) to the folder with the four MNIST files.
"""
import os
import sys, time, numpy as np
import snu_np
from snu_np import Adam, window_mse, softmax_cross_entropy
from snu_np.tasks import build_model
from snu_np.data import load_mnist, jitter_encode
from snu_np.train import set_blas_threads
set_blas_threads(1)
DATA = os.environ.get('SNU_NP_DATA')
Xtr, ytr = load_mnist(DATA, download=False, split='train')
Xte, yte = load_mnist(DATA, download=False, split='test')
Ntr, Nte = 12000, 2000
Xtr, ytr, Xte, yte = Xtr[:Ntr], ytr[:Ntr], Xte[:Nte], yte[:Nte]
xte = jitter_encode(Xte, seed=123)
def run(name, epochs=3, lr=3e-3, loss=window_mse, hb=None, colc=False, model='ssnu', **kw):
    # colc: centre the columns of W in layers fed by sSNUs (now build_model's default for the sSNU)
    net = build_model('jittered-mnist', model, (256, 256), seed=0, center_inputs=colc, **kw)
    if hb is not None:
        for L in net.layers[:-1]: L.params['b'][:] = hb
    opt = Adam(net, lr=lr)
    rng = np.random.default_rng(0)
    t0 = time.time()
    for ep in range(epochs):
        perm = rng.permutation(Ntr)
        for k in range(0, Ntr, 128):
            idx = perm[k:k+128]
            x = jitter_encode(Xtr[idx], seed=rng)
            l, dy = loss(net.forward(x), ytr[idx].astype(np.int64))
            net.backward(dy, need_dx=False); opt.step()
        opt.lr *= 0.9
        accs = []
        for k in range(0, Nte, 500):
            y = net.forward(xte[:, k:k+500])
            accs.append(np.mean(y.mean(0).argmax(1) == yte[k:k+500]))
        print(f"{name} ep{ep+1} acc {np.mean(accs):.4f} ({time.time()-t0:.0f}s)", flush=True)
variants = {
  'default': {},
  'lr1e-3': dict(lr=1e-3),
  'leaky': dict(g='leaky_relu'),
  'ce': dict(loss=softmax_cross_entropy),
  'nocenter_b-4': dict(center_output=False),
  'b-2': dict(output_bias=-2.0),
  'hb-2': dict(hb=-2.0),
  'colc': dict(colc=True),
  'snu': dict(model='snu'),
  'colc-hb-2-leaky': dict(colc=True, hb=-2.0, g='leaky_relu'),
  'colc-lr1e-3': dict(colc=True, lr=1e-3),
  'colc-ce': dict(colc=True, loss=softmax_cross_entropy),
  'colc-leaky': dict(colc=True, g='leaky_relu'),
  'colc-nocenter': dict(colc=True, center_output=False),
  'hb-3': dict(hb=-3.0),
  'hb-3lr1e-3': dict(hb=-3.0, lr=1e-3),
  'hb-2leaky': dict(hb=-2.0, g='leaky_relu'),
}
for name in sys.argv[1:]:
    run(name, **variants[name])
