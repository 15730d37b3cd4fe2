"""Spike rate of every layer of a deep feed-forward SNU at initialisation (docs/training.md, "Deep SNUs").

    python scripts/deep_activity.py [DEPTH] [THRESHOLD ...]     defaults: 6 hidden layers; 1.0 0.5 0.3

Rate-codes 256 MNIST test digits (the embedded subset unless SNU_NP_DATA names the full data), builds
784-256x DEPTH-10 with each hidden threshold and prints the mean spike rate of each layer. With the
paper's threshold of 1 the activity fades layer by layer and the output never spikes, so training
has no signal to start from (window-MSE loss stays at exactly 0.1, accuracy at chance).
"""
import os
import sys

import numpy as np

from snu_np.data import load_embedded_mnist, load_mnist, rate_encode
from snu_np.tasks import build_model


def main(argv):
    depth = int(argv[0]) if argv else 6
    thresholds = [float(a) for a in argv[1:]] or [1.0, 0.5, 0.3]
    data = os.environ.get('SNU_NP_DATA')
    X = load_mnist(data, download=False, split='test')[0] if data else load_embedded_mnist('test')[0]
    x = rate_encode(X[:256], T=20, seed=0)
    print(f"mean spike rate per layer, 784-{'-'.join(['256'] * depth)}-10 SNU at initialisation")
    for th in thresholds:
        net = build_model('mnist', 'snu', (256,) * depth, seed=0, threshold=th)
        h, rates = x, []
        for layer in net.layers:
            h = layer.forward(h)
            rates.append(float(h.mean()))
        print(f"threshold {th:g}: " + " ".join(f"{r:.3f}" for r in rates))


if __name__ == '__main__':
    main(sys.argv[1:])
