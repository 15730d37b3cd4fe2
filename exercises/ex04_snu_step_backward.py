# The solutions and teacher notes of exercise 4, snu_np/exercises/student/ex04_snu_step_backward.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 45 min, the core of the course). Let students write the shape of every
# > array next to each line. The check runs four configurations (SNU feed-forward, SNU recurrent,
# > soft SNU recurrent, SNU with `detach_reset=True`) and then a finite-difference check of a soft,
# > recurrent step. It recognises: the reset gradient missing (= the `detach_reset=True` result), its
# > sign, an extra gate factor in it, `detach_reset` ignored, the pseudo-derivative missing or with its
# > sign flipped, `tanh`
# > instead of $1 - \tanh^2$, the pseudo-derivative evaluated at $s$ instead of $s + b$, the
# > pseudo-derivative used for the soft SNU, $\sigma' = y$, `ds_next` dropped, the ReLU derivative
# > missing, the gate or the decay missing in `ds_prev`, `dx` computed from $\delta u$, `dH` from
# > $s_{t-1}$, and the recurrent part of `dy_prev` missing.


# %% solution: snu_step_backward
    dh = y * (1.0 - y) if soft else surrogate.grad(s + b)
    du = dy * dh
    db = du.sum(axis=0)
    ds = du + ds_next
    dz = ds * (s > 0)
    dx = dz @ W.T
    dW = x_t.T @ dz
    gate = 1.0 - y_prev
    ds_prev = decay * dz * gate
    dy_prev = np.zeros_like(y_prev) if detach_reset else -decay * dz * s_prev
    dH = None
    if H is not None:
        dH = y_prev.T @ dz
        dy_prev = dy_prev + dz @ H.T
    ddecay = float(np.sum(dz * s_prev * gate))
    return {"dx": dx, "dW": dW, "db": db, "ds_prev": ds_prev, "dy_prev": dy_prev, "dH": dH, "ddecay": ddecay}
