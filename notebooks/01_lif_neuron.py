# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · The leaky integrate-and-fire neuron
#
# The spiking neural unit (SNU) of Woźniak et al. (2020) is a leaky integrate-and-fire (LIF) neuron
# written as a recurrent-network cell. Before we train anything, we meet the LIF neuron itself:
#
# 1. the differential equation and what $\tau$ means;
# 2. three ways to compute $V(t)$ for a constant current — forward Euler, the exact update and the
#    closed-form solution — and why Euler's error shrinks like $\Delta t$;
# 3. threshold, spike and reset;
# 4. the time to the first spike and the f–I curve, simulated and analytic.
#
# Every equation is labelled as in `docs/derivations/lif.md` (labels in
# `code font`, e.g. `lif-ode`); the code is `snu_np.lif`. Times are in **ms** throughout, so rates
# come out per ms (× 1000 for Hz). Potentials are measured from rest, in units where the threshold
# is $v_{th} = 1$.

# %%
import numpy as np
import matplotlib.pyplot as plt

from snu_np import lif
from snu_np.plot import plot_neuron, plot_fi_curve

np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)        # the one source of randomness in this notebook

# %% [markdown]
# ## 1. The equation
#
# The membrane is a capacitor $C$ in parallel with a leak resistance $R$; with $\tau = RC$,
#
# $$ \tau \frac{\mathrm{d}V}{\mathrm{d}t} = -V(t) + R\,I(t) \qquad\qquad (\texttt{lif-ode}) $$
#
# For a constant current switched on at $t = 0$ with $V(0) = v_0$ the solution relaxes
# exponentially towards $V_\infty = R I$ with time constant $\tau$:
#
# $$ V(t) = R I + (v_0 - R I)\, e^{-t/\tau} \qquad\qquad (\texttt{lif-analytic}) $$
#
# A computer advances in steps of $\Delta t$. Step $t$ covers $((t-1)\Delta t, t\Delta t]$, its current
# is $I_t$ and $V_t$ is the potential at its end. Two updates:
#
# $$ \text{Euler:}\quad V_t = \Bigl(1 - \frac{\Delta t}{\tau}\Bigr) V_{t-1} + \frac{\Delta t}{\tau} R\, I_t
#    \qquad (\texttt{lif-euler}) $$
#
# $$ \text{exact:}\quad V_t = e^{-\Delta t/\tau} V_{t-1} + \bigl(1 - e^{-\Delta t/\tau}\bigr) R\, I_t
#    \qquad (\texttt{lif-exact}) $$
#
# The exact update is exact whenever the current is constant within each step. We compare all three
# for a current **below** the rheobase ($R I = 0.8 < v_{th} = 1$), so that no spike interferes, with a
# deliberately coarse step $\Delta t / \tau = 0.2$ to make Euler's error visible.

# %%
tau, R, v_th = 10.0, 1.0, 1.0          # ms, resistance, threshold
I0 = 0.8                               # constant current: R I0 = 0.8 < v_th, no spikes
dt_coarse, t_end = 2.0, 60.0           # ms
T = int(round(t_end / dt_coarse))
I = np.full(T, I0)

V_euler, _ = lif.simulate(I, dt_coarse, tau, R=R, v_th=v_th, method="euler")
V_exact, _ = lif.simulate(I, dt_coarse, tau, R=R, v_th=v_th, method="exact")
t_grid = lif.time_axis(T, dt_coarse)        # dt, 2 dt, ..., T dt: where V_t is recorded
t_fine = np.linspace(0.0, t_end, 601)
V_true = lif.analytic_v(t_fine, I0, tau, R=R)

fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
ax.plot(t_fine, V_true, color="black", lw=1.5, label="analytic $V(t)$ (lif-analytic)")
ax.plot(
    np.r_[0, t_grid],
    np.r_[0, V_exact],
    "o",
    color="tab:green",
    ms=5,
    label="exact update (lif-exact)",
)
ax.plot(np.r_[0, t_grid], np.r_[0, V_euler], "s--", color="tab:orange", ms=4, lw=1,
        label=r"forward Euler (lif-euler), $\Delta t/\tau = 0.2$")
ax.axhline(v_th, label=r"threshold $v_{th}$", color="tab:red", ls="--", lw=1.2)
ax.axhline(R * I0, label=r"$V_\infty = R I$", color="gray", ls=":", lw=1.2)
ax.axvline(tau, color="gray", lw=0.8)
ax.annotate(r"$t = \tau$: $V = (1 - 1/e)\,RI$", xy=(tau, (1 - np.exp(-1)) * R * I0),
            xytext=(tau + 6, 0.25), arrowprops={"arrowstyle": "->"})
ax.set_xlabel("time (ms)")
ax.set_ylabel("membrane potential $V$")
ax.set_title(
    f"constant current $I = {I0}$, $\\tau$ = {tau:g} ms, $\\Delta t$ = {dt_coarse:g} ms"
)
ax.legend(loc="lower right", fontsize="small")
ax.grid(alpha=0.3);

# %% [markdown]
# **Check.** The exact update lands *on* the analytic curve at every grid point (up to round-off),
# while Euler runs ahead of it: its decay $1 - \Delta t/\tau$ is smaller than $e^{-\Delta t/\tau}$, so
# the gap to $V_\infty$, which shrinks by the decay at every step, closes too fast.

# %%
V_true_grid = lif.analytic_v(t_grid, I0, tau, R=R)
print("max |exact - analytic| =", np.max(np.abs(V_exact - V_true_grid)))
print("max |Euler - analytic| =", np.max(np.abs(V_euler - V_true_grid)))
assert np.allclose(V_exact, V_true_grid, rtol=1e-12, atol=1e-14)
# Euler charges faster than the true membrane
assert np.all(V_euler >= V_true_grid - 1e-15)

# %% [markdown]
# ### Euler is first-order
#
# Halve $\Delta t$ and Euler's error at a fixed time halves: the error is $O(\Delta t)$. We measure the
# error at $t = 20$ ms for step sizes from 2 ms down to 1/16 ms and fit the slope on a log–log plot.
# (The exact update's error is round-off, zero or ~1e-16, so it has no place on this plot.)

# %%
t_check = 20.0
dts = np.array([2.0, 1.0, 0.5, 0.25, 0.125, 0.0625])
V_at = lif.analytic_v(t_check, I0, tau, R=R)
err_euler, err_exact = [], []
for dt in dts:
    n = int(round(t_check / dt))
    Ve, _ = lif.simulate(np.full(n, I0), dt, tau, R=R, v_th=v_th, method="euler")
    Vx, _ = lif.simulate(np.full(n, I0), dt, tau, R=R, v_th=v_th, method="exact")
    err_euler.append(abs(Ve[-1] - V_at))
    err_exact.append(abs(Vx[-1] - V_at))
err_euler, err_exact = np.array(err_euler), np.array(err_exact)
slope = np.polyfit(np.log(dts), np.log(err_euler), 1)[0]
print(f"fitted order of Euler: {slope:.3f}")
print("exact-update errors:", err_exact)

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
ax.loglog(
    dts, err_euler, "s-", color="tab:orange", label=f"forward Euler (slope {slope:.2f})"
)
ax.loglog(
    dts,
    err_euler[0] * dts / dts[0],
    ":",
    color="gray",
    label=r"$\propto \Delta t$ (first order)",
)
ax.set_xlabel(r"time step $\Delta t$ (ms)")
ax.set_ylabel(r"$|V_{\mathrm{sim}} - V(t)|$ at $t$ = 20 ms")
ax.set_title("error of the discretisation")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize="small");

# %%
assert 0.95 < slope < 1.05                 # first order: error ∝ Δt
assert np.all(err_exact < 1e-13)           # exact update: exact for a constant current

# %% [markdown]
# ## 2. Threshold, spike and reset
#
# The *fire* part is not in the ODE. After integrating, step $t$ compares the new potential with the
# threshold (strictly) and resets it:
#
# $$ \mathrm{spike}_t = \bigl[V^{\mathrm{pre}}_t > v_{th}\bigr],\qquad
#    V_t = \begin{cases} v_{\mathrm{reset}} & \mathrm{spike}_t = 1\\ V^{\mathrm{pre}}_t & \text{otherwise}\end{cases}
#    \qquad\qquad (\texttt{lif-reset}) $$
#
# A constant current above the rheobase $v_{th}/R$ makes the neuron fire regularly. Here the current
# switches on at 10 ms and steps up at 60 ms; $\Delta t = 0.1$ ms ($\Delta t/\tau = 0.01$).

# %%
dt = 0.1                                          # ms
T = 1200
t_ms = lif.time_axis(T, dt)
I_step = np.where(t_ms > 10.0, 1.5, 0.0) + np.where(t_ms > 60.0, 1.0, 0.0)
V, spikes = lif.simulate(I_step, dt, tau, R=R, v_th=v_th, v_reset=0.0, method="euler")
print("number of spikes:", int(spikes.sum()))
fig = plot_neuron(
    I=I_step,
    V=V,
    spikes=spikes,
    v_th=v_th,
    v_reset=0.0,
    dt=dt,
    time_unit="ms",
    title="LIF neuron: integrate, fire, reset",
    equation=True,
)
# legend beside the trace
fig.axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small");

# %% [markdown]
# **Check.** The potential never exceeds the threshold after the reset, it is at $v_{\mathrm{reset}}$
# exactly at the spike steps, and a larger current gives a higher rate.

# %%
assert np.all(V <= v_th)
assert np.all(V[spikes == 1] == 0.0)
n_low = spikes[(t_ms > 10) & (t_ms <= 60)].sum()       # 50 ms at I = 1.5
n_high = spikes[t_ms > 60].sum()                        # 60 ms at I = 2.5
assert n_high / 60 > n_low / 50

# %% [markdown]
# ## 3. Time to the first spike
#
# Setting $V(t^*) = v_{th}$ in `lif-analytic` (with $v_0 = 0$):
#
# $$ t^* = \tau \ln \frac{R I}{R I - v_{th}} \quad\text{if } R I > v_{th},\qquad t^* = \infty \text{ otherwise}
#    \qquad\qquad (\texttt{lif-first-spike}) $$
#
# On the time grid the first spike with the exact update happens at step
# $\lfloor t^*/\Delta t\rfloor + 1$: the first grid time strictly after $t^*$. Let us check that for
# several currents at once (each column of `I` is an independent neuron).

# %%
currents = np.array([0.9, 1.1, 1.3, 1.5, 2.0, 3.0, 5.0])
t_star = lif.time_to_first_spike(currents, tau, R=R, v_th=v_th)
T = 600                                                  # 60 ms, enough for all of them
_, sp = lif.simulate(np.tile(currents, (T, 1)), dt, tau, R=R, v_th=v_th, method="exact")
first_step = np.array(
    [
        np.argmax(sp[:, n]) + 1 if sp[:, n].any() else np.inf
        for n in range(currents.size)
    ]
)
predicted = np.where(np.isfinite(t_star), np.floor(t_star / dt) + 1, np.inf)
for I_, ts, fs, ps in zip(currents, t_star, first_step, predicted):
    print(
        f"I = {I_:3.1f}:  t* = {ts:7.3f} ms   first spike at step {fs:>4g} (predicted "
        f"{ps:>4g})"
    )

# %%
assert np.isinf(t_star[0]) and not sp[:, 0].any()          # below rheobase: never fires
assert np.array_equal(first_step, predicted)

# %% [markdown]
# ## 4. The f–I curve
#
# After each spike the neuron restarts from $v_{\mathrm{reset}}$ under the same current, so it fires
# periodically with the interval $t^*$ (from $v_0 = v_{\mathrm{reset}}$) plus any refractory period:
#
# $$ f(I) = \Bigl[t_{\mathrm{ref}} + \tau \ln \frac{R I - v_{\mathrm{reset}}}{R I - v_{th}}\Bigr]^{-1}
#    \ \text{ for } R I > v_{th},\ \text{else } 0 \qquad\qquad (\texttt{lif-rate}) $$
#
# `lif.fi_curve` measures the rate of simulated neurons (here for $100\,\tau$ = 1 s each);
# `lif.firing_rate` evaluates the formula.

# %%
I_values = np.linspace(0.0, 5.0, 41)
# per ms
rate_sim = lif.fi_curve(
    I_values, dt, tau, R=R, v_th=v_th, method="exact", estimator="isi"
)
rate_ana = lif.firing_rate(I_values, tau, R=R, v_th=v_th)
fig = plot_fi_curve(
    I_values,
    1000 * rate_sim,
    1000 * rate_ana,
    rheobase=v_th / R,
    rate_unit="Hz",
    current_unit=r"units of $v_{th}/R$",
    equation=True,
    title=f"LIF f–I curve ($\\tau$ = {tau:g} ms, $\\Delta t$ = {dt:g} ms)",
)

# %% [markdown]
# **Check.** Spikes happen on the grid, so each simulated interval is the first grid time after
# $t^*$: between $t^*$ and $t^* + \Delta t$. The simulated rate therefore lies between
# $1/(t^* + \Delta t)$ and the analytic $1/t^*$ — exactly what we assert.

# %%
above = I_values * R > v_th
assert np.all(rate_sim[~above] == 0.0) and np.all(rate_ana[~above] == 0.0)
isi = 1.0 / rate_ana[above]
assert np.all(rate_sim[above] <= rate_ana[above] * (1 + 1e-9))
assert np.all(rate_sim[above] >= 1.0 / (isi + dt) * (1 - 1e-9))
print(f"largest rate difference: {1000 * np.max(np.abs(rate_sim - rate_ana)):.2f} Hz")

# %% [markdown]
# ## 5. What $\tau$ and $\Delta t$ mean
#
# * $\tau$ is a property of the **neuron**: its memory. After a current switches on, $V$ covers
#   $1 - 1/e \approx 63\,\%$ of the way to $RI$ in one $\tau$; after it switches off, $V$ loses 63 % of
#   its value in one $\tau$. A neuron with a long $\tau$ integrates (sums inputs over a long window), one
#   with a short $\tau$ follows its input closely.
# * $\Delta t$ is a property of the **simulation**: the grid on which we look. The physics does not
#   depend on it; the Euler error does (∝ $\Delta t/\tau$). In the SNU, only the ratio $\Delta t/\tau$
#   survives, in the decay $1 - \Delta t/\tau$ (notebook 02).
#
# The same 40 ms current pulse, for three membranes:

# %%
T = 1000                                         # 100 ms at dt = 0.1 ms
t_ms = lif.time_axis(T, dt)
pulse = np.where((t_ms > 10.0) & (t_ms <= 50.0), 0.8, 0.0)
fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
for tau_i, color in zip([2.0, 10.0, 30.0], ["tab:blue", "tab:orange", "tab:green"]):
    V_i, _ = lif.simulate(pulse, dt, tau_i, R=R, v_th=v_th, method="exact")
    ax.plot(t_ms, V_i, color=color, label=rf"$\tau$ = {tau_i:g} ms")
    v_one_tau = V_i[int(round((10.0 + tau_i) / dt)) - 1]     # V one tau after the onset
    # (lif-analytic) at t = tau
    assert np.isclose(v_one_tau, (1 - np.exp(-1)) * R * 0.8)
ax.plot(
    t_ms, pulse, drawstyle="steps-pre", color="gray", ls=":", label=r"$R I(t)$ (input)"
)
ax.set_xlabel("time (ms)")
ax.set_ylabel("membrane potential $V$")
ax.set_title("one input, three membrane time constants")
ax.legend(loc="upper right", fontsize="small")
ax.grid(alpha=0.3);

# %% [markdown]
# Euler needs $\Delta t \le \tau$: for $\Delta t > \tau$ its decay $1 - \Delta t/\tau$ would be negative and
# $V$ would flip sign at every step, which no membrane does. `simulate` refuses:

# %%
try:
    lif.simulate(np.ones(10), dt=15.0, tau=10.0, method="euler")
except ValueError as err:
    print("ValueError:", err)
else:
    raise AssertionError("Euler with dt > tau should be refused")

# %% [markdown]
# ## Exercises
#
# 1. **Second order?** Replace Euler by Heun's method (predict with Euler, then average the slopes at
#    both ends of the step) in a few lines of NumPy, repeat the error-vs-$\Delta t$ plot and fit the
#    slope. *Hint:* you should find 2.
# 2. **Refractory period.** Compute the f–I curve with `t_ref=2.0` (ms) in both `lif.fi_curve` and
#    `lif.firing_rate`. What is the largest possible rate? *Hint:* look at `lif-rate` for $I \to \infty$.
# 3. **Euler and spike times.** For $I = 1.5$, find the first spike of the Euler simulation for
#    $\Delta t$ = 1, 0.5, 0.1, 0.01 ms and compare with $t^*$. Is Euler early or late, and why? *Hint:*
#    compare $1 - x$ with $e^{-x}$ and $x$ with $1 - e^{-x}$.
# 4. **Noisy input.** Drive the neuron with `I = 1.0 + 0.5 * rng.standard_normal(T)` (mean exactly at
#    the rheobase). Does it fire? How does the rate change with the noise amplitude? Plot with
#    `plot_neuron`.
