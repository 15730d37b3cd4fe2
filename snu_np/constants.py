"""The package's fixed codes, choices and numbers, declared once.

The NumPy reference, the Numba kernels and the command line import these names; none keeps a copy.
A jitted kernel reads an integer code where the reference reads a name: the code of a name is its
position in the tuple of choices.
"""
from __future__ import annotations

# --- the state non-linearity g (:eq:`snu-g`) -------------------------------------------------------
#: the choices of ``SNU(g=...)``, in code order
G_CHOICES = ("relu", "identity", "leaky_relu")
#: name -> the integer the kernels use
G_CODES = {name: code for code, name in enumerate(G_CHOICES)}
RELU, IDENTITY, LEAKY = (G_CODES[name] for name in G_CHOICES)
#: the slope of the leaky ReLU below zero
LEAKY_SLOPE = 0.1

# --- the surrogates (pseudo-derivatives of the step, :eq:`surr-tanh` ... :eq:`surr-arctan`) ---------
#: the built-in surrogates' names, in code order (``snu_np.surrogates.SURROGATES`` holds the classes)
SURROGATE_NAMES = ("tanh", "sigmoid", "boxcar", "fast_sigmoid", "arctan")
#: name -> the integer the kernels use (each class's ``code``)
SURROGATE_CODES = {name: code for code, name in enumerate(SURROGATE_NAMES)}
TANH, SIGMOID, BOXCAR, FAST_SIGMOID, ARCTAN = (SURROGATE_CODES[name] for name in SURROGATE_NAMES)

# --- the rational tanh of the compiled loops (``snu_np.kernels._math.tanh_rational``) ---------------
# tanh(x) ~ x P(x^2) / Q(x^2) for |x| <= TANH_CLIP, +-1 beyond (benchmarks/fit_tanh.py fits them:
# largest relative error 2.3e-8 in float64, below half a unit in the last place of float32)
TANH_P = (0.9999999773876225, 0.13374519515528374, 0.0034878622488154804, 2.0481969279659718e-05,
          1.3178496016674757e-08)
TANH_Q = (1.0, 0.46707833354621703, 0.02584758714940284, 0.00032730013385760294, 7.704467798533288e-07)
TANH_CLIP = 9.1

# --- sizes that choose between equivalent fast paths (docs/performance.md) -------------------------
#: elements per block of the NumPy pseudo-derivative pass: 512 KB in float32, so that a block's
#: several passes stay in the CPU cache
PSEUDO_GRAD_BLOCK = 1 << 17
#: B * n_out from which the soft SNU's sigmoid runs in NumPy, step by step, instead of inside the
#: jitted loop (NumPy's SIMD exp pays on wide layers; per-step calls cost more on narrow ones)
NUMPY_SIGMOID_MIN = 1024
