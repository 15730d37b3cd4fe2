# The solutions and teacher notes of exercise 5, snu_np/exercises/student/ex05_bptt_loop.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 30 min). The check runs four configurations over T = 6 steps, then
# > finite differences of a soft recurrent layer. Mistakes recognised: `=` instead of `+=` (only the
# > first step's gradient survives), off by one in time (using $y_t$ as the previous output), the
# > wrap-around `s[t - 1]` at `t = 0` (Python's `s[-1]` is the *last* step — a classic), dropping
# > either carry, looping forwards, swapping the two carries, not passing `detach_reset` on.


# %% solution: snu_backward
    zeros = np.zeros_like(s[0])
    dx = np.zeros_like(x)
    grads = {"W": np.zeros_like(W), "b": np.zeros_like(b), "decay": 0.0}
    if H is not None:
        grads["H"] = np.zeros_like(H)
    ds_next, dy_next = zeros, zeros
    for t in reversed(range(T)):
        s_prev = s[t - 1] if t > 0 else zeros
        y_prev = y[t - 1] if t > 0 else zeros
        step_cache = (x[t], s_prev, y_prev, s[t], y[t], W, b, decay, H, soft, g, surrogate)
        d = snu_step_backward(dy[t] + dy_next, ds_next, step_cache, detach_reset)
        dx[t] = d["dx"]
        grads["W"] += d["dW"]
        grads["b"] += d["db"]
        grads["decay"] += d["ddecay"]
        if H is not None:
            grads["H"] += d["dH"]
        ds_next, dy_next = d["ds_prev"], d["dy_prev"]
    return dx, grads
