# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 10 — Train an SNU network to 90 %
#
# Time to put everything together. `make_training_task()` gives a small spike-pattern classification
# task: 4 classes, spike trains of T = 20 steps on 32 input channels; each class makes two
# class-specific groups of channels fire more, one in the first half of the sequence and one in the
# second, over a noisy background. 512 training and 512 test samples.
#
# A training iteration is: take a minibatch `x[:, idx]` (time-major, (T, B, n_in)), run
# `y = net.forward(x)`, compute `loss, dy = window_mse(y, labels)`, `net.backward(dy)`, `opt.step()`.
# Useful pieces: `SNU(n_in, n_out, backend="numpy", seed=...)`, `Sequential([...])`,
# `Adam(net, lr=...)`, `window_mse`, `accuracy` — all from `snu_np`.
#
# **Your task.** Write `train(x_train, y_train)` returning `(net, losses)` (the list of the loss at
# every update). The check trains with it and accepts a test accuracy of at least 90 %
# (`accuracy(net.forward(x_test), y_test)`, the mean output over all steps) within 30 s.
#
# <!-- teacher notes -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np import SNU, Adam, Sequential, accuracy, window_mse
from snu_np.exercises import check, make_training_task

task = make_training_task()
print({k: getattr(v, "shape", v) for k, v in task.items()})

# %%
def train(x_train, y_train):
    """Build and train an SNU network on (x_train (T, N, n_in), y_train (N,) integer labels).
    Returns (net, losses)."""
    raise NotImplementedError("Exercise 10: build the network and the optimiser once, then loop over epochs and minibatches")

# %%
result = check("train", train)

# %%
net, losses = train(task["x_train"], task["y_train"])
print("test accuracy:", accuracy(net.forward(task["x_test"]), task["y_test"]))
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses)
ax.set_xlabel("update")
ax.set_ylabel("window MSE");
