# The solutions and teacher notes of exercise 10, snu_np/exercises/student/ex10_training_run.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 30 min). The solution (64 hidden SNUs, Adam lr 1e-2, 30 epochs of batches
# > of 64) reaches 96.5 % in about a second on the NumPy backend; 32 hidden units and 20 epochs give
# > about 93 %. Typical failures, recognised
# > from the returned loss curve: no parameter update (`opt.step()` missing, or a new optimiser
# > created inside the loop: the loss does not go down), too few epochs or a tiny learning rate (loss
# > goes down, accuracy below target), divergence (NaN), the wrong number of output units, too slow.
# > The numba backend also works but compiles for several seconds on first use.


# %% solution: train
    n_in, n_classes = x_train.shape[2], int(y_train.max()) + 1
    net = Sequential([SNU(n_in, 64, seed=0, backend="numpy"),
                      SNU(64, n_classes, seed=1, backend="numpy")])
    opt = Adam(net, lr=1e-2)
    rng = np.random.default_rng(0)
    losses = []
    for epoch in range(30):
        order = rng.permutation(x_train.shape[1])
        for start in range(0, order.size, 64):
            idx = order[start:start + 64]
            loss, dy = window_mse(net.forward(x_train[:, idx]), y_train[idx])
            net.backward(dy)
            opt.step()
            losses.append(loss)
    return net, losses
