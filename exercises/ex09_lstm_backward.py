# The solutions and teacher notes of exercise 9, snu_np/exercises/student/ex09_lstm_backward.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 45 min). A good contrast with the SNU: here every function is
# > differentiable and the cell state $c$ plays the role of $s$, with the forget gate instead of the
# > fixed decay and reset. Mistakes recognised: $\tanh c$ instead of $1 - \tanh^2 c$, `dc_next`
# > dropped, $c_t$ instead of $c_{t-1}$ in $\delta f$ (off by one in time), the sigmoid derivative
# > missing, $g$ differentiated as a sigmoid, $f$ missing in `dc_prev`, gate blocks out of order.
# > The check ends with finite differences on every input and parameter.


# %% solution: lstm_step_backward
    tc = np.tanh(c)
    do = dh * tc
    dc = dc_next + dh * o * (1.0 - tc ** 2)
    di, df, dg = dc * g, dc * c_prev, dc * i
    dc_prev = dc * f
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)
    return {"dx": da @ W.T, "dh_prev": da @ H.T, "dc_prev": dc_prev,
            "dW": x_t.T @ da, "dH": h_prev.T @ da, "db": da.sum(axis=0)}
