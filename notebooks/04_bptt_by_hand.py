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
# # 04 · Backpropagation through time, by hand
#
# An SNU layer is a recurrent network: step $t$ reads the state $s_{t-1}$ and the output $y_{t-1}$ of
# step $t-1$. To train it we need $\partial L/\partial W$, $\partial L/\partial b$ and the gradient for the
# layer below, $\partial L/\partial x_t$, and the chain rule has to run **backwards through time**.
#
# This notebook computes every term of `docs/derivations/bptt.md`
# (labels `bptt-du` … `bptt-loop`) for a tiny example you can follow with a pencil — 2 soft SNUs,
# 3 inputs, 4 steps — checks it against the package's `snu_backward`, then writes the general loop,
# checks it against finite differences, and finally looks at the one term that is special to the
# SNU: the gradient through the **reset gate**.

# %%
import numpy as np
import matplotlib.pyplot as plt

import snu_np
from snu_np import SNU
from snu_np.functional.snu import snu_forward, snu_backward
from snu_np.gradcheck import check_layer, check_gradients
from snu_np.surrogates import get_surrogate, sigmoid
from snu_np.plot import plot_gradient_flow, plot_neuron

snu_np.set_backend("numpy")          # the plain-NumPy reference
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(4)

# %% [markdown]
# ## 1. The example and its forward pass
#
# With $u_t = s_t + b$ (notation of `bptt.md`, feed-forward layer, $g$ = ReLU):
#
# $$ z_t = x_t W + \lambda\, s_{t-1} \odot (1 - y_{t-1}), \qquad s_t = g(z_t), \qquad y_t = \sigma(u_t),
#    \qquad s_0 = y_0 = 0 . $$
#
# As a loss we take the squared distance of the outputs from a target pattern $\hat y_t$:
#
# $$ L = \tfrac12 \sum_{t=1}^{4} \sum_{k=1}^{2} (y_{t,k} - \hat y_{t,k})^2, \qquad
#    \hat\delta y_t = \frac{\partial L}{\partial y_t}\Big|_{\text{direct}} = y_t - \hat y_t . $$
#
# $\hat\delta y_t$ is only the part of the gradient that arrives at $y_t$ *directly* (what the layer
# receives as `dy[t]`); the total $\delta y_t$ also has a part that comes back from step $t+1$.

# %%
T, n_in, n_out = 4, 3, 2
x = rng.uniform(0.0, 1.0, size=(T, 1, n_in))               # (T, B=1, n_in)
W = rng.uniform(0.1, 0.9, size=(n_in, n_out))     # positive weights: every z_t > 0 here
b = np.array([-1.0, -1.0])
decay = 0.8
# (T, 1, n_out)
target = np.array([[0, 0], [1, 0], [0, 1], [1, 0]], dtype=float)[:, None, :]

s, y, cache = snu_forward(x, W, b, decay, soft=True)        # the package's forward pass
z = np.zeros_like(s)
for t in range(T):                                          # z_t, for the table
    s_prev = s[t - 1] if t else 0.0
    y_prev = y[t - 1] if t else 0.0
    z[t] = x[t] @ W + decay * s_prev * (1 - y_prev)
assert np.all(z > 0) and np.allclose(s, z)             # ReLU is active everywhere here
dy_direct = y - target                                      # dL/dy_t from the loss
loss = 0.5 * np.sum((y - target) ** 2)

print("W =\n", W, "\nb =", b, "  decay =", decay)
a2s = lambda v: np.array2string(v, precision=3)   # short numbers: one line per step
print(
    f"\n{'t':>2} | {'x_t':^21} | {'z_t = s_t':^15} | {'y_t':^15} | {'target':^8} | "
    f"{'dy_t (direct)':^16}"
)
for t in range(T):
    print(
        f"{t + 1:>2} | {a2s(x[t, 0]):^21} | {a2s(s[t, 0]):^15} | {a2s(y[t, 0]):^15} | "
        f"{np.array2string(target[t, 0], precision=0):^8} | {a2s(dy_direct[t, 0]):^16}"
    )
print(f"\nloss L = {loss:.6f}")

# %% [markdown]
# ## 2. The reversed loop, step by step
#
# Step $t$ influences the loss through $y_t$ and $s_t$, so going backwards we carry two arrays from
# step $t+1$ to step $t$: the gradient arriving at $y_t$ and the gradient arriving at $s_t$. Both are
# zero at $t = T$: nothing comes after the last step. Then, for $t = T, \dots, 1$:
#
# * total gradient at the output (`bptt-loop`):
#   $\delta y_t = \hat\delta y_t + \delta y_t^{(t+1)}$
# * through the sigmoid (`bptt-du`): $\delta u_t = \delta y_t \odot y_t(1 - y_t)$
# * bias (`bptt-db`): $\partial L/\partial b \mathrel{+}= \delta u_t$
# * the state (`bptt-ds`): $\delta s_t = \delta u_t + \delta s_t^{(t+1)}$
# * through $g$ = ReLU (`bptt-dz`): $\delta z_t = \delta s_t \odot [s_t > 0]$
# * input (`bptt-dx`): $\delta x_t = \delta z_t W^\top$
# * weights (`bptt-dW`): $\partial L/\partial W \mathrel{+}= x_t^\top \delta z_t$
# * carry to $s_{t-1}$, the decay term (`bptt-carry-s`):
#   $\delta s_{t-1}^{(t)} = \lambda\, \delta z_t \odot (1 - y_{t-1})$
# * carry to $y_{t-1}$, the **reset gate** (`bptt-reset`):
#   $\delta y_{t-1}^{(t)} = -\lambda\, \delta z_t \odot s_{t-1}$
#
# The last line exists because $y_{t-1}$ appears in $z_t$ through the gate $(1 - y_{t-1})$.

# %%
dW = np.zeros_like(W)
db = np.zeros_like(b)
dx = np.zeros_like(x)
ds_from_next = np.zeros((1, n_out))       # delta s_t^(t+1): nothing after the last step
dy_from_next = np.zeros((1, n_out))       # delta y_t^(t+1)
for t in reversed(range(T)):              # array index t is step t + 1
    s_prev = s[t - 1] if t > 0 else np.zeros((1, n_out))
    y_prev = y[t - 1] if t > 0 else np.zeros((1, n_out))
    dy_t = dy_direct[t] + dy_from_next                # (bptt-loop)
    du = dy_t * y[t] * (1 - y[t])                     # (bptt-du)   sigmoid' = y (1 - y)
    db += du.sum(axis=0)                              # (bptt-db)
    ds = du + ds_from_next                            # (bptt-ds)
    dz = ds * (s[t] > 0)                              # (bptt-dz)   ReLU'
    dx[t] = dz @ W.T                                  # (bptt-dx)
    dW += x[t].T @ dz                                 # (bptt-dW)
    ds_from_next = decay * dz * (1 - y_prev)          # (bptt-carry-s)  -> step t-1
    dy_from_next = -decay * dz * s_prev               # (bptt-reset)    -> step t-1
    print(f"step t = {t + 1}")
    print(
        f"   dy_t = direct {dy_direct[t, 0]} + from t+1 {dy_t[0] - dy_direct[t, 0]} = "
        f"{dy_t[0]}"
    )
    print(f"   du_t = {du[0]}    ds_t = {ds[0]}    dz_t = {dz[0]}")
    print(f"   dx_t = {dx[t, 0]}")
    print(
        f"   carried to step {t}:  ds (decay) = {ds_from_next[0]},  dy (reset) = "
        f"{dy_from_next[0]}"
    )
print("\ndL/dW =\n", dW, "\ndL/db =", db)

# %% [markdown]
# **Check.** The package's `snu_backward` runs the same loop (through `snu_step_backward`). Same
# numbers:

# %%
dx_pkg, grads_pkg = snu_backward(dy_direct, cache)
np.testing.assert_allclose(dx, dx_pkg, rtol=1e-12, atol=1e-15)
np.testing.assert_allclose(dW, grads_pkg["W"], rtol=1e-12, atol=1e-15)
np.testing.assert_allclose(db, grads_pkg["b"], rtol=1e-12, atol=1e-15)
print("hand-written loop == snu_backward")

# %% [markdown]
# Note that at $t = 1$ the carried terms are multiplied by $s_0 = 0$ and $1 - y_0 = 1$: they are
# computed and then thrown away, as there is no step 0.
#
# ## 3. The general loop
#
# The same lines, for any batch, for the SNU (step forward, pseudo-derivative backward; notebook 05)
# as well as the sSNU, and with the option to drop the reset term. We also keep $\delta s_t$ for every
# step, to look at how the gradient flows back in time.

# %%
def bptt(x, s, y, W, b, decay, dy, soft, surrogate="tanh", detach_reset=False):
    """BPTT for a feed-forward SNU/sSNU layer with g = ReLU. Returns dx, dW, db and ds
    (T, B, n)."""
    surrogate = get_surrogate(surrogate)
    T, B, n = s.shape
    dx, dW, db, ds_all = (
        np.zeros_like(x),
        np.zeros_like(W),
        np.zeros_like(b),
        np.zeros_like(s),
    )
    ds_next, dy_next = np.zeros((B, n)), np.zeros((B, n))
    for t in reversed(range(T)):
        s_prev = s[t - 1] if t > 0 else np.zeros((B, n))
        y_prev = y[t - 1] if t > 0 else np.zeros((B, n))
        h_prime = y[t] * (1 - y[t]) if soft else surrogate.grad(s[t] + b)
        du = (dy[t] + dy_next) * h_prime                        # (bptt-loop), (bptt-du)
        db += du.sum(axis=0)                                    # (bptt-db)
        ds_all[t] = du + ds_next                                # (bptt-ds)
        dz = ds_all[t] * (s[t] > 0)                             # (bptt-dz)
        dx[t] = dz @ W.T                                        # (bptt-dx)
        dW += x[t].T @ dz                                       # (bptt-dW)
        ds_next = decay * dz * (1 - y_prev)                     # (bptt-carry-s)
        # (bptt-reset)
        dy_next = np.zeros((B, n)) if detach_reset else -decay * dz * s_prev
    return dx, dW, db, ds_all


# %% [markdown]
# **Check** against the package on a bigger random case: both unit types, reset kept and detached.

# %%
T, B, n_in, n_out = 30, 4, 6, 5
x_big = (rng.random((T, B, n_in)) < 0.3).astype(float)
W_big = rng.uniform(-0.3, 1.0, size=(n_in, n_out))
b_big = np.full(n_out, -1.0)
dy_big = rng.standard_normal((T, B, n_out))
for soft in (False, True):
    s_b, y_b, cache_b = snu_forward(x_big, W_big, b_big, decay, soft=soft)
    for detach in (False, True):
        dx_h, dW_h, db_h, _ = bptt(
            x_big, s_b, y_b, W_big, b_big, decay, dy_big, soft, detach_reset=detach
        )
        dx_p, g_p = snu_backward(dy_big, cache_b, detach_reset=detach)
        np.testing.assert_allclose(dx_h, dx_p, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dW_h, g_p["W"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(db_h, g_p["b"], rtol=1e-10, atol=1e-12)
        print(
            f"{'sSNU' if soft else 'SNU ':4}  detach_reset={detach!s:5}:  agrees with "
            "snu_backward"
        )

# %% [markdown]
# ## 4. Checking against finite differences
#
# A hand-written backward pass is right when it agrees with
# $\bigl(L(p + \epsilon) - L(p - \epsilon)\bigr)/2\epsilon$ for every parameter $p$. `check_layer` does this
# for a layer with the loss $L = \sum_t y_t \cdot R_t$ for a fixed random $R$, for every parameter and
# for the input. We use a *recurrent* sSNU with a trainable decay, so that every term of `bptt.md`,
# including `bptt-dH`, `bptt-carry-y` and `bptt-ddecay`, is exercised.

# %%
layer = SNU(4, 3, soft=True, recurrent=True, train_decay=True, seed=0)
x_chk = rng.uniform(0.0, 1.0, size=(8, 2, 4))                     # (T, B, n_in)
report = check_layer(layer, x_chk)
print(report)
print(f"\nlargest relative error: {report.max_error:.1e}")
assert report.passed(1e-6)

# %% [markdown]
# The same check on an **SNU** fails, and it should: finite differences see the step's *true*
# derivative, zero almost everywhere and infinite at the threshold, while the backward pass uses a
# pseudo-derivative on purpose (notebook 05). The two gradients are simply not the same quantity.

# %%
report_snu = check_layer(SNU(4, 3, seed=0), 3 * x_chk)
print(report_snu)
assert not report_snu.passed(1e-2)

# %% [markdown]
# ## 5. The reset gradient: kept or detached
#
# `bptt-reset`, $\delta y_{t-1} \mathrel{+}= -\lambda\,\delta z_t \odot s_{t-1}$, says: *had the neuron
# spiked at $t-1$, it would have wiped the state $s_{t-1}$ that step $t$ was about to use.* The authors
# keep it. `detach_reset=True` drops it, i.e. treats the gate $(1 - y_{t-1})$ as a constant.
#
# We look at an SNU layer (tanh pseudo-derivative) over 40 steps with the loss only at the **last**
# step, so that everything earlier learns only through the backward recursion, and compare
# $|\partial L/\partial s_t|$ with and without the reset term.

# %%
T, B, n_in, n_out = 40, 8, 10, 6
x_f = (rng.random((T, B, n_in)) < 0.25).astype(float)
W_f = rng.uniform(-0.2, 0.4, size=(n_in, n_out))
b_f = np.full(n_out, -1.0)
s_f, y_f, cache_f = snu_forward(x_f, W_f, b_f, decay, soft=False)
dy_f = np.zeros_like(y_f)
dy_f[-1] = rng.standard_normal((B, n_out))               # loss reads only the last step

_, dW_keep, db_keep, ds_keep = bptt(x_f, s_f, y_f, W_f, b_f, decay, dy_f, soft=False)
_, dW_det, db_det, ds_det = bptt(
    x_f, s_f, y_f, W_f, b_f, decay, dy_f, soft=False, detach_reset=True
)
print(f"spikes: {int(y_f.sum())} in {T} steps x {B} samples x {n_out} neurons")
print("dL/db, reset kept:    ", db_keep)
print("dL/db, reset detached:", db_det)
rel = np.linalg.norm(dW_keep - dW_det) / np.linalg.norm(dW_keep)
print(f"relative difference of dL/dW: {rel:.2f}")

# %% [markdown]
# One neuron of one sample first, to see the spikes the gradient has to cross:

# %%
k = int(np.argmax(y_f[:, 0].sum(axis=0)))               # the busiest neuron of sample 0
fig = plot_neuron(
    V=s_f[:, 0, k],
    spikes=y_f[:, 0, k],
    v_th=-b_f[k],
    title=f"forward pass: neuron {k} of sample 0 (state $s_t$ and spikes $y_t$)",
)
fig.axes[0].set_ylabel("state $s_t$")
fig.axes[0].lines[0].set_label("SNU state $s_t$")
fig.axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small");

# %% [markdown]
# What to expect. Here the loss reads only the last step, so $\hat\delta y_t = 0$ for $t < T$, and
# combining `bptt-du`, `bptt-ds`, `bptt-carry-s` and `bptt-reset` gives a one-line recursion
# (with $\tilde h'$ the pseudo-derivative, $\delta z_{t+1} = \delta s_{t+1} \odot [s_{t+1} > 0]$):
#
# $$ \text{kept:}\quad \delta s_t = \lambda\, \delta z_{t+1} \odot \bigl[(1 - y_t) - s_t\, \tilde h'(u_t)\bigr],
#    \qquad \text{detached:}\quad \delta s_t = \lambda\, \delta z_{t+1} \odot (1 - y_t). $$
#
# * **Detached:** a spike at step $t$ sets $1 - y_t = 0$: the gradient stops dead at every spike.
# * **Kept:** at a spike the factor is $-\lambda s_t \tilde h'(u_t) \ne 0$: the gradient crosses the
#   spike through the pseudo-derivative. Between spikes, however, the reset term *opposes* the leak
#   term — raising $s_t$ brings the neuron closer to a spike, and a spike would wipe the state — so
#   the kept gradient crosses spikes but shrinks faster between them.
# * **Both** stop wherever a state is 0: there ReLU's derivative, and so $\delta z_t$, is 0. That is
#   what ends the kept gradient of some neurons in the heat map below.

# %%
fig = plot_gradient_flow(
    ds_keep, equation=True, title="reset gradient kept (the authors' choice)"
)

# %%
fig = plot_gradient_flow(ds_det, title="reset gradient detached (detach_reset=True)")

# %%
fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
tt = np.arange(1, T + 1)
ax.semilogy(tt, np.abs(ds_keep).mean(axis=(1, 2)), ".-", label="reset gradient kept")
ax.semilogy(tt, np.abs(ds_det).mean(axis=(1, 2)), ".-", label="reset gradient detached")
ax.set_xlabel("time step $t$")
ax.set_ylabel(r"mean $|\partial L/\partial s_t|$ (samples, neurons)")
ax.set_title("the gradient going back in time from the last step")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize="small");

# %% [markdown]
# **Check.** Both recursions above hold at every step, the two gradients differ, and with the reset
# detached the gradient at a neuron's state is *exactly zero* at and before its last spike (not
# counting a spike at the final step itself, which the loss reads directly), while the kept one is not.

# %%
h_prime = get_surrogate("tanh").grad(s_f + b_f)
for ds, kept in ((ds_keep, True), (ds_det, False)):
    dz_next = ds[1:] * (s_f[1:] > 0)                                     # delta z_{t+1}
    factor = (1 - y_f[:-1]) - (s_f[:-1] * h_prime[:-1] if kept else 0.0)
    np.testing.assert_allclose(
        ds[:-1], decay * dz_next * factor, rtol=1e-12, atol=1e-300
    )
assert not np.allclose(dW_keep, dW_det)
spiked = y_f[:-1] > 0                                     # spikes before the final step
# (B, n_out)
last = np.where(spiked.any(axis=0), T - 2 - np.argmax(spiked[::-1], axis=0), -1)
blocked = np.arange(T)[:, None, None] <= last[None]                      # (T, B, n_out)
assert np.all(ds_det[blocked] == 0)
assert np.count_nonzero(ds_keep[blocked]) > 0
print(
    f"{blocked.sum()} (step, sample, neuron) entries at or before a neuron's last "
    "spike: "
    f"all zero when detached, {np.count_nonzero(ds_keep[blocked])} nonzero when kept"
)

# %% [markdown]
# ### What the detached gradient is the gradient *of*
#
# Dropping a term usually makes a gradient wrong. Here it makes it the exact gradient of a slightly
# different network: one whose gates $G_t = 1 - y_{t-1}$ are constants, frozen at the values of the
# forward pass. For the sSNU (differentiable, so finite differences apply) we can check that:

# %%
T, B = 6, 2
x_s = rng.uniform(0.0, 1.0, size=(T, B, 3))
W_s, b_s = rng.uniform(0.0, 0.8, size=(3, 2)), np.array([-1.0, -0.5])
R = rng.standard_normal((T, B, 2))                                # L = sum(y * R)
s_s, y_s, cache_s = snu_forward(x_s, W_s, b_s, decay, soft=True)
gates = 1 - np.concatenate([np.zeros((1, B, 2)), y_s[:-1]])  # G_t = 1 - y_{t-1}, frozen


def frozen_gate_loss():
    s_t, total = np.zeros((B, 2)), 0.0
    for t in range(T):
        s_t = np.maximum(x_s[t] @ W_s + decay * s_t * gates[t], 0.0)
        total += np.sum(sigmoid(s_t + b_s) * R[t])
    return total


_, g_det = snu_backward(R, cache_s, detach_reset=True)
_, g_keep = snu_backward(R, cache_s, detach_reset=False)
rep_frozen = check_gradients(
    frozen_gate_loss, {"W": W_s, "b": b_s}, {"W": g_det["W"], "b": g_det["b"]}
)
rep_mixed = check_gradients(
    frozen_gate_loss, {"W": W_s, "b": b_s}, {"W": g_keep["W"], "b": g_keep["b"]}
)
print(
    "detached gradient vs finite differences of the frozen-gate network:\n",
    rep_frozen,
    sep="",
)
print("\nkept gradient vs the same finite differences:\n", rep_mixed, sep="")
assert rep_frozen.passed(1e-6) and not rep_mixed.passed(1e-6)

# %% [markdown]
# So both are "correct"; they answer different questions. Keeping the reset term tells each spike
# what it costs to wipe the state, which is information the detached gradient never sees.
#
# ## Exercises
#
# 1. **Recurrent weights by hand.** Add the term $y_{t-1} H$ to the step-by-step loop of section 2
#    and the two gradient terms `bptt-dH` and `bptt-carry-y`. Check against
#    `snu_backward` with `H` given. *Hint:* `snu_forward(x, W, b, decay, H=H, soft=True)`.
# 2. **A trainable decay.** Add $\partial L/\partial\lambda$ (`bptt-ddecay`) to `bptt` and check it
#    with `check_gradients` on the sSNU. What happens when $\lambda = 1$ (no leak)?
# 3. **Vanishing gradients.** In section 5, how does the mean $|\partial L/\partial s_t|$ decay with
#    $T - t$ when no neuron spikes (e.g. `b_f = -100`)? Compare with $\lambda^{T-t}$.
# 4. **Does it matter for learning?** Train a small SNU network (as in notebook 05) with
#    `detach_reset=False` and `True` from the same initial weights, and compare the loss curves.
