# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 6 — Derive and code a pseudo-derivative
#
# The SNU's output $y = [u > 0]$ has derivative 0 almost everywhere: no gradient would flow. The
# backward pass therefore uses a **pseudo-derivative** $\tilde h'(u)$, a bump around the threshold.
# A good way to build one is to pick a smooth, step-like function — its *primitive* — and
# differentiate it exactly. The authors use $\tanh(u)$, whose derivative is $1 - \tanh^2(u)$.
#
# Here: the **fast sigmoid** (Zenke & Ganguli's SuperSpike),
#
# $$P_\alpha(u) = \frac{u}{1 + \alpha |u|}.$$
#
# It goes from $-1/\alpha$ to $1/\alpha$, like a step, and is cheap (no exponential).
#
# **Your task.** Derive $P'_\alpha(u)$ on paper (quotient rule; careful with $|u|$ for $u < 0$),
# then code both `fast_sigmoid(u, alpha)` (the primitive) and `fast_sigmoid_grad(u, alpha)`
# (its derivative, the pseudo-derivative). The check compares the primitive with the formula, your
# derivative with finite differences of **your** primitive, $\big(P(u + h) - P(u - h)\big)/2h$, and with
# the correct formula.
#
# **Bonus.** Design your own pseudo-derivative (a primitive and its derivative) and check it with
# `check("pseudo_derivative", my_grad, primitive=my_primitive)`.
#
# <!-- BEGIN TEACHER -->
# > **Teacher notes** (about 25 min). Answer: $P'_\alpha(u) = 1/(1 + \alpha|u|)^2$, peak 1 at
# > $u = 0$ whatever $\alpha$. Derivation: numerator $(1 + \alpha|u|) - u \cdot \alpha\,\mathrm{sign}(u)$
# > $= 1$. Mistakes recognised: |u| missing (in the primitive or the derivative), the square missing,
# > an extra factor $\alpha$ (in the primitive or the derivative), a flipped sign, and
# > $\mathrm{d}|u|/\mathrm{d}u$ taken as 1 for $u < 0$ (correct for $u > 0$ only — the finite
# > differences show exactly where). The bonus solution uses a Gaussian bump with an erf primitive.
# <!-- END TEACHER -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np.exercises import check
from snu_np.surrogates import get_surrogate


# %%
def fast_sigmoid(u, alpha=1.0):
    """The primitive u / (1 + alpha |u|), elementwise on an array u."""
    # BEGIN SOLUTION: the formula above, with np.abs
    return u / (1.0 + alpha * np.abs(u))
    # END SOLUTION


def fast_sigmoid_grad(u, alpha=1.0):
    """The derivative of fast_sigmoid with respect to u: the pseudo-derivative."""
    # BEGIN SOLUTION: differentiate the primitive with the quotient rule
    return 1.0 / (1.0 + alpha * np.abs(u)) ** 2
    # END SOLUTION


# %%
check("fast_sigmoid", fast_sigmoid_grad, primitive=fast_sigmoid)

# %%
u = np.linspace(-4, 4, 401)
fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3))
a1.step(u, (u > 0).astype(float), "k", where="mid", label="step")
a1.plot(u, fast_sigmoid(u), label="fast sigmoid P(u)")
a1.plot(u, np.tanh(u), label="tanh(u)")
a1.legend()
a2.plot(u, fast_sigmoid_grad(u), label="P'(u) = 1/(1 + |u|)^2")
a2.plot(u, get_surrogate("tanh").grad(u), label="1 - tanh^2(u)")
a2.set_title("pseudo-derivatives")
a2.legend();


# %% [markdown]
# **Bonus: your own pseudo-derivative.** Replace the bodies below.

# %%
def my_primitive(u, alpha=1.0):
    """A smooth step-like function of your choice."""
    # BEGIN SOLUTION: any smooth, increasing, step-like function (here: an erf)
    from scipy.special import erf
    return erf(np.sqrt(np.pi) * alpha * u / 2.0) / alpha
    # END SOLUTION


def my_grad(u, alpha=1.0):
    """Its derivative."""
    # BEGIN SOLUTION: its exact derivative (here: a Gaussian bump of peak 1)
    return np.exp(-np.pi * (alpha * u) ** 2 / 4.0)
    # END SOLUTION


# %%
check("pseudo_derivative", my_grad, primitive=my_primitive)
