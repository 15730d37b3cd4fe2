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
# # 20 · Advanced: why the compiled backend is faster, and how to measure it
#
# *An optional notebook after the tutorials: nothing in 01–10 depends on it.*
#
# Every equation of snu-np exists twice:
#
# * `snu_np.functional` is the **reference**: plain NumPy, one visible loop over time, written to be
#   read next to the derivations (notebooks 02–05 use it);
# * `snu_np.kernels` holds its **Numba twins**: compiled loops that compute the same numbers faster.
#
# A layer picks one with `snu_np.set_backend("numpy" | "numba")` (for every layer) or its own
# `backend=` argument; `"numba"` is the default. This notebook shows that the two give the same
# numbers, why the compiled one is faster, and how to time them yourself.

# %%
import inspect
import re
import textwrap
import time

import numpy as np

import snu_np
from snu_np import SNU
from snu_np.functional.snu import snu_step_forward
from snu_np.train import set_blas_threads

set_blas_threads(1)          # one BLAS thread: steadier timings on a shared machine
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Two backends, the same numbers
#
# A faster twin is only useful if it computes the same thing. In float64 both backends agree to
# round-off (`tests/test_backends.py` checks $10^{-10}$ for every option); the SNU's spikes are
# identical.

# %%
T, B = 20, 32
x = (rng.uniform(size=(T, B, 784)) < 0.15).astype(np.float64)   # spikes, rate 0.15
dy = rng.standard_normal((T, B, 128))                            # a gradient from above

results = {}
for backend in ("numpy", "numba"):
    layer = SNU(784, 128, seed=1, backend=backend)
    y = layer.forward(x)
    dx = layer.backward(dy)
    results[backend] = (y.copy(), dx.copy(), layer.grads["W"].copy())

(y_np, dx_np, dW_np), (y_nb, dx_nb, dW_nb) = results["numpy"], results["numba"]
print("same spikes:", np.array_equal(y_np, y_nb))
print(f"largest |dW difference| {np.abs(dW_np - dW_nb).max():.1e}, "
      f"largest |dx difference| {np.abs(dx_np - dx_nb).max():.1e}")
assert np.array_equal(y_np, y_nb)
assert np.allclose(dW_np, dW_nb, rtol=1e-10, atol=1e-12)
assert np.allclose(dx_np, dx_nb, rtol=1e-10, atol=1e-12)

# %% [markdown]
# ## 2. Why the compiled one is faster
#
# An SNU layer computes, for $t = 1, \dots, T$ (docs: `snu-state`, `snu-g`, `snu-output`),
#
# $$ s_t = g\bigl(x_t W + \lambda\, s_{t-1} \odot (1 - y_{t-1})\bigr), \qquad y_t = h(s_t + b). $$
#
# The reference is a Python loop over $t$ that calls one step function. Here it is:

# %%
head, _docstring, body = inspect.getsource(snu_step_forward).split('"""', 2)
for line in (head + '"""(docstring)"""' + body).splitlines():
    line = re.sub(r"(\S)\s{2,}#", r"\1  #", line)      # one gap before each comment
    print(textwrap.fill(line, 84, subsequent_indent=" " * 8, break_long_words=False))

# %% [markdown]
# Each step does one small matrix product `x_t @ W` and then about ten element-wise NumPy
# operations. Each operation allocates a new (B, n_out) array, walks over memory once, and costs a
# few microseconds of Python overhead, T times per layer, forward and backward.
#
# The Numba backend (`snu_np/kernels/snu.py`) does the same arithmetic in another order:
#
# * **One matrix product for all steps.** $x_t W$ does not depend on the state, so it is computed
#   for all $T$ steps at once, `x.reshape(T * B, n_in) @ W`: one large BLAS call instead of $T$
#   small ones. Backward, $\partial L/\partial W$ and $\partial L/\partial x$ are one call each too.
# * **One compiled loop for the rest.** The recurrence (decay, reset gate, ReLU, threshold) runs in
#   one compiled loop over $(t, i, j)$ with no temporary arrays, and BPTT (`bptt-loop`) runs in
#   one loop backwards in time.
#
# So the compiled layer costs three matrix products plus a few passes over (T, B, n_out) arrays,
# and the Python overhead is paid once per layer, not once per operation and step. The gain is
# largest where the matrix products are small: long sequences of few samples, like the music task.
# The kernels are compiled the first time they run (cached on disk afterwards), so the first call is
# slow: always time the later ones.

# %% [markdown]
# ## 3. How to measure
#
# Time a few repetitions after one warm-up call and keep the median: single timings on a busy
# machine swing by 2x. Compare *ratios*, not milliseconds: they depend on your CPU.

# %%
def median_time(fn, reps=5):
    """Median wall time of fn() in seconds, after one warm-up call (which compiles)."""
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def forward_backward_time(n_in, n_out, T, B, backend):
    x = (rng.uniform(size=(T, B, n_in)) < 0.15).astype(np.float32)
    dy = rng.standard_normal((T, B, n_out)).astype(np.float32)
    layer = SNU(n_in, n_out, seed=0, dtype=np.float32, backend=backend)

    def step():
        layer.forward(x)
        layer.backward(dy)

    return median_time(step)


workloads = {                      # name: (n_in, n_out, T, B)
    "MNIST-like: 784-128, T=20, B=32": (784, 128, 20, 32),
    "music-like: 88-150, T=200, B=1": (88, 150, 200, 1),
}
times = {}
for name, (n_in, n_out, T_w, B_w) in workloads.items():
    times[name] = {be: forward_backward_time(n_in, n_out, T_w, B_w, be)
                   for be in ("numpy", "numba")}
    t = times[name]
    print(f"{name:<32} numpy {1e3 * t['numpy']:7.2f} ms",
          f"  numba {1e3 * t['numba']:6.2f} ms"
          f"   ratio {t['numpy'] / t['numba']:5.1f}x")

# %% [markdown]
# On the MNIST-like layer the matrix products are most of the work on both backends, so the two
# are close: the kernels gain a small factor at most, and on a busy machine nothing. On the
# music-like layer every product is tiny, the reference spends its time in Python, and the kernels
# win by one to two orders of magnitude.
#
# **Check.** On the music-like workload the kernels must beat the reference clearly (the exact
# factor depends on the machine):

# %%
music = times["music-like: 88-150, T=200, B=1"]
assert music["numpy"] / music["numba"] > 2.0

# %% [markdown]
# ## 4. The full benchmark
#
# `snu-np bench` times whole training steps (forward, BPTT, Adam) of the paper-sized networks on both
# backends, each in a fresh process, and prints the ratios (`docs/performance.md` shows them for
# one machine, and how they were measured):
#
# ```bash
# snu-np bench            # everything (a few minutes)
# snu-np bench --quick    # tiny sizes: a smoke run in seconds
# ```
#
# ## Exercises
#
# 1. **Batch size.** For the 784-128 layer, plot the time per *sample* against the batch size
#    (1, 4, 16, 64, 256) for both backends. Where does the reference stop being dominated by
#    overhead?
# 2. **float64 vs float32.** Repeat section 3 in float64. What gets slower, and by how much?
#    *Hint:* twice the bytes per number.
# 3. **The first call.** Time the very first `forward` of a fresh Python process and a later one.
#    What does the difference pay for?
