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
# # 06 · Speed: the NumPy reference and its Numba twin
#
# Every equation of snu-np exists twice. `snu_np.functional` is the **reference**: plain NumPy, one
# visible loop over time, written to be read next to the derivations (notebooks 02–05 used it).
# `snu_np.kernels` holds its **Numba twins**, compiled loops that compute the same numbers faster.
# A layer picks one through `snu_np.set_backend("numpy" | "numba")` (global) or its own `backend=`
# argument; `"numba"` is the default.
#
# In this notebook we
#
# 1. look at what the reference does at each step and what the kernels do instead;
# 2. measure the compile cost (first call vs later calls);
# 3. check that both backends give the same numbers;
# 4. time forward + backward of one SNU layer and of small networks, **on the machine this notebook
#    runs on**, and compare with the **GEMM bound**: the time the matrix products alone take;
# 5. put the second core to work on a training step by data parallelism.
#
# All timings below are medians of a few repetitions at small sizes (T = 20 steps, batch 32), so the
# notebook runs in well under a minute. They depend on your CPU and on what else is running: read the
# ratios, not the milliseconds. The full benchmark is one command (section 7); section 6 puts the second core to work.

# %%
import inspect
import time

import numpy as np
import matplotlib.pyplot as plt

import snu_np
from snu_np import SNU, Dense, Sequential, window_mse, bernoulli_nll
from snu_np.bench import gemm_bound, measure_compile
from snu_np.functional.snu import snu_step_forward
from snu_np.train import machine_info, set_blas_threads

set_blas_threads(1)                  # one BLAS thread: small products are fastest on one core, and
                                     # the timings do not fight with other processes for a second one
snu_np.set_backend("numba")          # the default; layers built with backend=None follow it
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)       # the one source of randomness in this notebook

info = machine_info()
print({k: info[k] for k in ("processor", "cpu_count", "python", "numpy", "numba", "blas_threads")})

# %% [markdown]
# ## 1. What the reference does, and what the kernels do instead
#
# An SNU layer computes, for $t = 1, \dots, T$ (docs: `snu-state`, `snu-g`, `snu-output`),
#
# $$ s_t = g\bigl(x_t W + \lambda\, s_{t-1} \odot (1 - y_{t-1})\bigr), \qquad y_t = h(s_t + b). $$
#
# The reference is a Python loop over $t$ that calls one step function. Here is that step, verbatim:

# %%
head, _docstring, body = inspect.getsource(snu_step_forward).split('"""', 2)
print(head + '"""(docstring)"""' + body)

# %% [markdown]
# Each step does a small matrix product `x_t @ W` of shape (B, n_in) × (n_in, n_out) and then about ten
# element-wise NumPy operations, each of which allocates a new (B, n_out) array and walks over memory
# once. Python pays a fixed overhead per operation (a few µs), T times per layer, forward and backward.
#
# The Numba path (`SNU.forward`/`SNU.backward` with the `"numba"` backend, `snu_np/kernels/snu.py`)
# reorganises the same arithmetic:
#
# * **One GEMM for all steps.** $x_t W$ does not depend on the state, so it is computed for all $T$
#   steps at once: `x.reshape(T*B, n_in) @ W`, one large BLAS call instead of $T$ small ones.
# * **Fused element-wise loop.** `snu_forward_kernel` then runs the recurrence
#   (decay, reset gate, ReLU, threshold) in one compiled loop over $(t, i, j)$, with no temporary
#   arrays: each number is read and written once. (A wide sSNU layer hands each step's sigmoid to
#   NumPy, whose `exp` uses SIMD instructions, which the compiled scalar loop does not.)
# * **The pseudo-derivative pass.** Backward, `pseudo_grad` first fills $h'(s_t + b)$ for all
#   steps (the tanh pseudo-derivative, or $y(1-y)$ for the sSNU). It has no dependence between
#   steps. A compiled loop that calls `math.tanh` cannot use SIMD instructions, so in float32 the
#   kernel computes tanh as a ratio of two polynomials (multiplications, additions, one division),
#   which the compiler does vectorise, in float64 and within $3 \cdot 10^{-8}$ of the true tanh
#   (docs: performance.md). In float64 it is NumPy's `np.tanh` in place, a few steps at a time.
# * **Fused BPTT loop.** `snu_backward_kernel` runs the backward recursion (`bptt-loop`) in reverse
#   time in one loop and writes $\partial L/\partial z_t$ for every step, into an array of its own:
#   written over the $h'$ array, the compiler could not rule out an overlap and left the loop scalar.
#   Every sum in it goes into a per-unit array (`db[j] +=`), never into one scalar: the compiler
#   may not reorder floating-point additions, so a scalar sum would keep the loop from using SIMD.
# * **Two more GEMMs.** $\partial L/\partial W = x^\top \delta z$ and $\partial L/\partial x = \delta z\,
#   W^\top$ over all steps at once, again one BLAS call each.
#
# So a feed-forward SNU layer costs three matrix products plus a few passes over (T, B, n_out) arrays.
# The kernels are serial (no threads, so results are deterministic), do no `fastmath`, and are compiled
# with `cache=True`: the compiled code is stored on disk next to the package and reused.
#
# ## 2. Compile time: first call vs later calls
#
# The first call of a kernel in a Python process, for a given dtype, must either compile it (seconds)
# or load the compiled code from the on-disk cache (a fraction of a second). Nothing has called a
# kernel yet in this notebook, so we can see that cost directly:

# %%
def fwd_bwd(net, x, dy):
    """One forward and one backward pass (all gradients, including dL/dx)."""
    net.forward(x)
    net.backward(dy)


T, B = 20, 32
x = (rng.uniform(size=(T, B, 784)) < 0.15).astype(np.float32)       # random input spikes, rate 0.15
layer = SNU(784, 128, seed=0, dtype=np.float32)
dy = rng.standard_normal((T, B, 128)).astype(np.float32)           # some gradient from above

t0 = time.perf_counter()
fwd_bwd(layer, x, dy)
first_call = time.perf_counter() - t0
later = []
for _ in range(5):
    t0 = time.perf_counter()
    fwd_bwd(layer, x, dy)
    later.append(time.perf_counter() - t0)
print(f"first call: {1e3 * first_call:8.1f} ms   (loads or compiles the kernels)")
print(f"later calls: {1e3 * np.median(later):7.1f} ms   (median of 5)")

# %% [markdown]
# The cost of compiling from scratch is measured by `snu_np.bench.measure_compile`: it starts two fresh
# Python processes with an empty, temporary cache directory (`NUMBA_CACHE_DIR`), times the first
# training step of a tiny network in each ("cold": compile everything; "cached": the second process
# finds the first one's cache), and deletes the directory again. This takes a few seconds.

# %%
comp = measure_compile("float32")
print(f"first training step in a new process: cold {comp['cold_s']:.1f} s, cached {comp['cached_s']:.1f} s "
      f"(both include starting Python and importing snu_np)")
assert comp["cold_s"] > comp["cached_s"]        # the cache saves the compilation

# %% [markdown]
# You pay the cold cost once per machine (and again after upgrading Numba or snu-np); every later
# process pays the cached cost once. Against a training run of minutes, both are noise.
#
# ## 3. Same numbers
#
# A faster twin is only useful if it computes the same thing. In float64, both backends must agree to
# round-off (`tests/test_backends.py` checks $10^{-10}$ for every option). The two paths differ in the
# order of some additions (one big GEMM vs $T$ small ones), so we compare with a tolerance (for the
# SNU the output difference is exactly 0: not a single spike differs). We check a feed-forward and a
# recurrent SNU layer, an sSNU layer, and a 784-128-10 network.

# %%
def run(make, backend, x, dy):
    """Build a layer/network with `make`, run forward+backward on `backend`; return all results."""
    snu_np.set_backend(backend)
    net = make()
    y = net.forward(x)
    dx = net.backward(dy)
    layers = net.layers if isinstance(net, Sequential) else [net]
    grads = {f"{i}.{k}": g.copy() for i, l in enumerate(layers) for k, g in l.grads.items()}
    states = [l.cache["s"].copy() for l in layers]
    return y.copy(), dx.copy(), grads, states


x64 = (rng.uniform(size=(T, B, 784)) < 0.15).astype(np.float64)
cases = {
    "SNU 784-128": (lambda: SNU(784, 128, seed=1), 128),
    "SNU 784-128, recurrent": (lambda: SNU(784, 128, recurrent=True, seed=1), 128),
    "sSNU 784-128": (lambda: SNU(784, 128, soft=True, seed=1), 128),
    "SNU net 784-128-10": (lambda: Sequential([SNU(784, 128, seed=1), SNU(128, 10, seed=2)]), 10),
}
for name, (make, n_out) in cases.items():
    dy64 = rng.standard_normal((T, B, n_out))
    y_np, dx_np, g_np, s_np = run(make, "numpy", x64, dy64)
    y_nb, dx_nb, g_nb, s_nb = run(make, "numba", x64, dy64)
    worst = max(np.max(np.abs(g_np[k] - g_nb[k])) for k in g_np)
    print(f"{name:<24} max |output diff| = {np.max(np.abs(y_np - y_nb)):.1e}   "
          f"max |state diff| = {max(np.max(np.abs(a - b)) for a, b in zip(s_np, s_nb)):.1e}   "
          f"max |grad diff| = {worst:.1e}   max |dx diff| = {np.max(np.abs(dx_np - dx_nb)):.1e}")
    for a, b in zip(s_np, s_nb):
        assert np.allclose(a, b, rtol=1e-10, atol=1e-12)
    assert np.allclose(y_np, y_nb, rtol=1e-10, atol=1e-12)
    if "sSNU" not in name:
        assert np.array_equal(y_np, y_nb)                # the very same spikes
    assert np.allclose(dx_np, dx_nb, rtol=1e-10, atol=1e-12)
    for k in g_np:
        assert np.allclose(g_np[k], g_nb[k], rtol=1e-10, atol=1e-12), k
snu_np.set_backend("numba")

# %% [markdown]
# ## 4. One SNU layer: reference vs kernels
#
# Now the timings: forward + backward of one feed-forward SNU layer with 784 inputs, for three widths,
# in float32 (the training default), once on each backend. We also measure the **GEMM bound**
# (`snu_np.bench.gemm_bound`): the time NumPy's BLAS needs for exactly the three matrix products of
# this forward + backward pass (`x W`, `x^T dz`, `dz W^T`, each over all $T \cdot B$ rows), with nothing
# else. No implementation on this machine that uses the same BLAS can be faster than that; the gap
# between the Numba time and the bound is what the element-wise work (and Python's overhead) costs.
#
# A fourth workload is shaped like the music task (notebook 08): 88 inputs, 150 units, a batch of
# **one** sequence of T = 200 steps. There the matrix products are tiny and per-step overhead is
# everything.

# %%
def median_time(fn, reps=7):
    """Median wall time of fn() in seconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def time_layer_or_net(sizes, T, B, make):
    """Time forward+backward on both backends and the GEMM bound of the same products (seconds)."""
    x = (rng.uniform(size=(T, B, sizes[0])) < 0.15).astype(np.float32)
    dy = rng.standard_normal((T, B, sizes[-1])).astype(np.float32)
    out = {}
    for backend in ("numpy", "numba"):
        net = make(backend)
        out[backend] = median_time(lambda: fwd_bwd(net, x, dy))
    out["GEMM bound"], _ = gemm_bound(("classify", tuple(sizes), T, B, False), np.float32)
    return out


workloads = {
    "784-32, B=32": ((784, 32), 20, 32),
    "784-128, B=32": ((784, 128), 20, 32),
    "784-512, B=32": ((784, 512), 20, 32),
    "88-150, B=1, T=200": ((88, 150), 200, 1),
}
layer_times = {}
for name, (sizes, T_w, B_w) in workloads.items():
    layer_times[name] = time_layer_or_net(
        sizes, T_w, B_w, lambda be, s=sizes: SNU(s[0], s[1], seed=0, dtype=np.float32, backend=be))
    r = layer_times[name]
    print(f"{name:<20} numpy {1e3 * r['numpy']:7.2f} ms   numba {1e3 * r['numba']:7.2f} ms   "
          f"GEMM bound {1e3 * r['GEMM bound']:6.2f} ms   speed-up {r['numpy'] / r['numba']:5.1f}x   "
          f"numba at {100 * r['GEMM bound'] / r['numba']:3.0f}% of the bound")

# %%
def bar_chart(times, title):
    """Grouped bars of ms per forward+backward (log scale) and the numba/numpy speed-up."""
    names = list(times)
    labels = [n.replace(", ", "\n") for n in names]          # one line per part: no overlapping labels
    kinds = ["numpy", "numba", "GEMM bound"]
    colors = {"numpy": "tab:blue", "numba": "tab:orange", "GEMM bound": "tab:gray"}
    xpos = np.arange(len(names))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained",
                                  gridspec_kw={"width_ratios": [2, 1]})
    for k, kind in enumerate(kinds):
        ax.bar(xpos + (k - 1) * 0.27, [1e3 * times[n][kind] for n in names], width=0.27,
               color=colors[kind], label=kind + (" (matrix products only)" if kind == "GEMM bound" else " backend"))
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * 8)                                   # room for the legend above the bars
    ax.set_xticks(xpos, labels)
    ax.set_xlabel("workload (layer sizes, batch B, steps T; T = 20 unless given)")
    ax.set_ylabel("time per forward + backward (ms, log scale)")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left", ncols=2)
    ax.grid(alpha=0.3, axis="y", which="both")
    speedup = [times[n]["numpy"] / times[n]["numba"] for n in names]
    ax2.bar(xpos, speedup, color="tab:green")
    ax2.axhline(1.0, color="black", lw=0.8)
    for i, v in enumerate(speedup):
        ax2.annotate(f"{v:.1f}x", (i, v), ha="center", va="bottom", fontsize="small")
    ax2.set_xticks(xpos, labels, fontsize="small")
    ax2.set_xlabel("workload")
    ax2.set_ylabel("speed-up numba / numpy")
    ax2.set_title("how much faster the kernels are")
    ax2.set_ylim(0, 1.2 * max(speedup))
    ax2.grid(alpha=0.3, axis="y")
    return fig


fig = bar_chart(layer_times, "one SNU layer (float32, 1 BLAS thread)")

# %% [markdown]
# What to read in it:
#
# * **The bound grows with the layer; the per-step overhead does not.** In the MNIST-shaped layers
#   (T = 20 steps of 32 samples) the matrix products are a large part of the work even in the
#   reference, and the kernels gain a factor of about two, mostly from fusing the element-wise
#   operations. In the music-shaped workload (200 steps of one sample each) every matrix product is
#   tiny: the reference spends its time in Python and in NumPy's fixed cost per call, ten or so calls
#   per step, forward and backward, and the kernels win by an order of magnitude or more.
# * **Numba close to the bound** (a percentage near 100 %) means there is little left to gain on this
#   machine without changing the arithmetic (e.g. skipping work, or another BLAS). Percentages above
#   100 % are measurement noise between two separate timings.
#
# **Check.** On the music-shaped workload the kernels must beat the reference clearly (the exact factor
# depends on the machine and its load):

# %%
music = layer_times["88-150, B=1, T=200"]
assert music["numpy"] / music["numba"] > 2.0

# %% [markdown]
# ## 5. Small networks
#
# The same measurement for two whole networks: the 784-128-10 SNU of notebook 07 (T = 20, batch 32)
# and the 88-150-88 music network of notebook 08 (an SNU layer and a linear `Dense` read-out, one
# sequence of T = 200). `Dense` is one matrix product per pass on both backends.

# %%
net_workloads = {
    "784-128-10 SNU, B=32": ((784, 128, 10), 20, 32,
                             lambda be: Sequential([SNU(784, 128, seed=0, dtype=np.float32, backend=be),
                                                    SNU(128, 10, seed=1, dtype=np.float32, backend=be)])),
    "88-150-88 SNU+Dense, B=1, T=200": ((88, 150, 88), 200, 1,
                                        lambda be: Sequential([SNU(88, 150, seed=0, dtype=np.float32, backend=be),
                                                               Dense(150, 88, seed=1, dtype=np.float32)])),
}
net_times = {}
for name, (sizes, T_w, B_w, make) in net_workloads.items():
    net_times[name] = r = time_layer_or_net(sizes, T_w, B_w, make)
    print(f"{name:<34} numpy {1e3 * r['numpy']:7.2f} ms   numba {1e3 * r['numba']:7.2f} ms   "
          f"GEMM bound {1e3 * r['GEMM bound']:6.2f} ms   speed-up {r['numpy'] / r['numba']:5.1f}x")
fig = bar_chart(net_times, "small networks (float32, 1 BLAS thread)")

# %% [markdown]
# How long would an epoch take? For 784-128-10 one forward + backward of 32 digits takes the Numba time
# above; an epoch of the 60,000 MNIST training digits is 1,875 such steps (plus the optimiser update and
# encoding the spikes, which are small):

# %%
r = net_times["784-128-10 SNU, B=32"]
for backend in ("numpy", "numba"):
    print(f"{backend}: about {60000 / 32 * r[backend]:.0f} s per MNIST epoch for the forward+backward passes")

# %% [markdown]
# ## 6. Both cores at once: data parallelism
#
# A training step is matrix products (BLAS can spread them over every core) and element-wise loops
# (our kernels run on one core). With two BLAS threads, one core idles whenever a kernel runs.
# `snu_np.parallel.DataParallel` keeps both busy for the whole step: it cuts the batch into
# **shards**, runs each shard's forward and backward pass in its own thread on a *replica* of the
# network (the same parameter arrays, its own caches and gradients), each with a single-threaded BLAS,
# and adds up the shards' gradients weighted by their share of the batch. The loss is a mean over the
# batch, $L = \sum_k \frac{B_k}{B} L_k$, so this is the batch gradient, up to float rounding:
#
# $$\frac{\partial L}{\partial \theta} = \sum_k \frac{B_k}{B}\,\frac{\partial L_k}{\partial \theta}.$$
#
# The check first, then the timing, on the paper's jittered-MNIST net at batch 128, where the
# element-wise loops are a large share of the step (on one core the two take about as long; the gain
# needs two).

# %%
from snu_np.parallel import DataParallel

sizes_dp, B_dp = (784, 256, 256, 10), 128
x_dp = (rng.uniform(size=(20, B_dp, 784)) < 0.15).astype(np.float32)
labels_dp = rng.integers(0, 10, B_dp)
net_dp = Sequential([SNU(a, b, seed=i, dtype=np.float32) for i, (a, b) in enumerate(zip(sizes_dp[:-1], sizes_dp[1:]))])

loss_one, dy_one = window_mse(net_dp.forward(x_dp), labels_dp)
net_dp.backward(dy_one, need_dx=False)
grads_one = [g.copy() for _, _, g in net_dp.parameters()]
with DataParallel(net_dp, shards=2) as dp:
    loss_two, _ = dp.loss_and_grads(x_dp, labels_dp, window_mse)
    grads_two = [g.copy() for _, _, g in net_dp.parameters()]
    print(f"loss: one batch {loss_one:.6f}, two shards {loss_two:.6f}")
    for (name, _, _), g1, g2 in zip(net_dp.parameters(), grads_one, grads_two):
        err = np.abs(g1 - g2).max() / (np.abs(g1).max() + 1e-30)
        print(f"  d{name:<4} largest difference {err:.1e} of the largest entry")
        assert err < 1e-4                       # float32 rounding, summed in another order

    def serial_step():
        loss, dy = window_mse(net_dp.forward(x_dp), labels_dp)
        net_dp.backward(dy, need_dx=False)

    # shards first: after a two-thread product OpenBLAS's second thread keeps spinning for a while,
    # and it would sit on the core a shard needs
    t_shards = median_time(lambda: dp.loss_and_grads(x_dp, labels_dp, window_mse))
    set_blas_threads(2)
    t_serial = median_time(serial_step)
    set_blas_threads(1)                          # back to this notebook's setting
print(f"forward + backward, 784-256-256-10, B={B_dp}: kernels on one core + 2 BLAS threads "
      f"{1e3 * t_serial:.1f} ms, 2 shards {1e3 * t_shards:.1f} ms ({t_serial / t_shards:.2f}x)")

# %% [markdown]
# On this project's 2-core machines the shards make this step about 4-10 % faster (a full training
# epoch: 11.2 s instead of 12.2 s on the AMD EPYC, 9.7 s instead of 10.8 s on the Intel Xeon). For
# smaller networks (784-128-10, say) they gain nothing: there the matrix products, which already use
# both cores, are most of the step. Measure before you choose.
#
# `snu-np train ... --shards 2` trains this way (classification tasks). The shards' sum is taken in
# a fixed order, so a run is reproducible; it differs from the one-shard run in the last bits, as
# the check above shows.
#
# ## 7. The full benchmark
#
# `snu-np bench` runs the paper-sized workloads (784-256-256-10 at batch 32 and 128, with and without
# recurrence; 88-150-88 at T = 60 and T = 500) as full training steps (forward, BPTT, Adam), each in a
# fresh process with a fixed number of BLAS threads, and prints samples per second, the first-step
# time, peak memory, the numba/numpy ratio, the share of the GEMM bound reached, and the cold and
# cached compile times. The row `numba-dp` is the numba backend with data parallelism (section 6):
#
# ```bash
# snu-np bench                           # everything (a few minutes)
# snu-np bench --quick                   # tiny sizes, a smoke run in seconds
# snu-np bench --threads 1 --out bench.json
# python benchmarks/run.py               # the same, from a source checkout
# ```
#
# **PyTorch is optional.** If `torch` is installed, `snu-np bench` adds a column for an equivalent
# PyTorch autograd model (the same SNU with the same tanh pseudo-derivative) so you can compare with
# a mainstream framework; without it, that column is simply left out. snu-np itself never needs PyTorch
# (`pip install -e ".[bench]"` installs the version the docs' figures were measured with).
#
# ## Exercises
#
# 1. **Skip what nobody reads.** Training never uses $\partial L/\partial x$ of the first layer:
#    `Sequential.backward(dy, need_dx=False)` skips that matrix product. Time the 784-128-10 network
#    with and without it. Which share of the time does it save, and does that match the share of
#    the GEMM bound that `dz W^T` of the first layer accounts for?
# 2. **float64 vs float32.** Repeat section 4 in float64. Which gets slower, the GEMMs or the
#    element-wise kernels, and by how much? *Hint:* twice the bytes per number.
# 3. **Batch size.** For the 784-128 layer, plot the time per *sample* against the batch size
#    (1, 4, 16, 64, 256) for both backends. Where does the reference stop being dominated by overhead?
# 4. **Threads.** `set_blas_threads(2)` lets BLAS use two cores. Does it help the 784-512 layer? The
#    music workload? (On a busy machine it may even hurt: see the docstring of `set_blas_threads`.)
#    With PyTorch installed, compare one quick row: `snu_np.bench.run_one("torch", "mnist-ff-b32",
#    quick=True)` against the same call with `"numba"`.
# 5. **Shards.** Time `DataParallel(net_dp, shards)` for 1, 2 and 4 shards (one BLAS thread) on the
#    784-256-256-10 net at batch 128 and at batch 32. Why do 4 shards not beat 2 on two cores, and why
#    does batch 32 gain little? *Hint:* what does one shard of 8 examples leave for BLAS to do, and
#    what does every shard pay whatever its size (its input copy, the Python calls, the wait for the
#    slowest)?
