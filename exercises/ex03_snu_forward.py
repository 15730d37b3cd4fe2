# The solutions and teacher notes of exercise 3, snu_np/exercises/student/ex03_snu_forward.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 20 min). Link back to exercise 1: with $W = (\Delta t/\tau) R$,
# > $b = -v_{th}$ and ReLU, $s_t$ is the LIF's $V^{pre}_t$ (the last cell shows it). Mistakes
# > recognised: the reset gate missing or inverted ($y$ instead of $1 - y$), sign of the decay term,
# > $s - b$ instead of $s + b$, the bias inside the ReLU, no ReLU, $s_{t-1} H$ or $y_{t-1} H^\top$
# > instead of $y_{t-1} H$, the recurrent term ignored, the step used for the soft SNU, the decay
# > applied to the input as well, and `>=` instead of `>` (one configuration puts states exactly on
# > the threshold, $s + b = 0$, where the SNU must not spike).


# %% solution: snu_step_forward
    z = x_t @ W + decay * s_prev * (1.0 - y_prev)
    if H is not None:
        z = z + y_prev @ H
    s = np.maximum(z, 0.0)
    u = s + b
    y = 1.0 / (1.0 + np.exp(-u)) if soft else (u > 0).astype(float)
    return s, y
