# The solutions and teacher notes of exercise 1, snu_np/exercises/student/ex01_lif_euler.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 30 min). The three-part order matters: detect on the *integrated*
# > potential, then reset. Typical mistakes the check recognises: $(1 + \Delta t/\tau)$ instead of
# > $(1 - \Delta t/\tau)$, forgetting $\Delta t/\tau$ or $R$ on the input, `>=` instead of `>`,
# > resetting to 0 instead of `v_reset`, detecting on the previous $V$, using $e^{-\Delta t/\tau}$.
# > In part b students often divide by the number of steps instead of the duration, or return the
# > analytic formula. Discussion: the Euler rates lie *below* the analytic curve for coarse
# > $\Delta t$ (each interspike interval is rounded up to whole steps and Euler charges the membrane
# > more slowly than the exact solution); they converge as $\Delta t \to 0$.


# %% solution: lif_euler_step
    v_pre = (1.0 - dt / tau) * v + (dt / tau) * R * I
    spike = v_pre > v_th
    v_new = np.where(spike, v_reset, v_pre)
    return v_new, spike.astype(float)


# %% solution: firing_rates
    I_values = np.asarray(I_values, dtype=float)
    n_steps = int(round(duration / dt))
    v = np.zeros(I_values.shape)
    count = np.zeros(I_values.shape)
    for _ in range(n_steps):
        v, spike = lif_euler_step(v, I_values, dt, tau, R, v_th)
        count += spike
    return count / (n_steps * dt)
