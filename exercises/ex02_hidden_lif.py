# The solutions and teacher notes of exercise 2, snu_np/exercises/student/ex02_hidden_lif.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 25 min). In the spirit of the *Neuronal Dynamics* exercises (Gerstner
# > et al.): parameters are drawn from the seed, tau in [8, 30] ms and v_th in [0.7, 1.5]; the weak
# > current (R I = 0.5) never fires, the strong one (R I = 2) fires regularly. Robust methods: a linear
# > fit of $-\ln(1 - V/RI)$ on the rise (or of $\ln V$ on the decay); the 63 % rise time also works
# > (error below 2 %). For the threshold, max(V) under the strong current is within about 2 %; the
# > solution below takes the midpoint between the last V before a reset and the V it would have reached.
# > Mistakes recognised: tau in steps (forgot dt), the half-rise time (tau ln 2), tau in seconds,
# > v_th read as R I of the strong current, as the sub-threshold plateau, or as the reset value.


# %% solution: estimate_lif_parameters
    dt = t[1] - t[0]
    R = 1.0
    on = int(np.flatnonzero(I > 0)[0])              # the weak current starts here
    off = on + int(np.argmax(I[on:] != I[on]))      # ... and stops here
    rise = V[on:off] / (R * I[on])
    keep = rise < 0.95                              # far from the plateau, where the log is noisy
    slope = np.polyfit(t[on:off][keep], -np.log(1.0 - rise[keep]), 1)[0]
    tau = 1.0 / slope
    # spikes: V drops to the reset; the threshold lies between V before the spike and the V it would reach
    k = np.flatnonzero((V[1:] < V[:-1] - 1e-9) & (I[1:] > I[on]))
    before = V[k]
    decay = np.exp(-dt / tau)
    reached = decay * before + (1.0 - decay) * R * I[k + 1]
    v_th = float(np.mean(0.5 * (before + reached)))
    return {"tau": float(tau), "v_th": v_th}
