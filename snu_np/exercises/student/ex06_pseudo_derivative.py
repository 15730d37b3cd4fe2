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
# <!-- teacher notes -->

# %%
import matplotlib.pyplot as plt
import numpy as np

from snu_np.exercises import check
from snu_np.surrogates import get_surrogate

# %%
def fast_sigmoid(u, alpha=1.0):
    """The primitive u / (1 + alpha |u|), elementwise on an array u."""
    raise NotImplementedError("Exercise 6: the formula above, with np.abs")


def fast_sigmoid_grad(u, alpha=1.0):
    """The derivative of fast_sigmoid with respect to u: the pseudo-derivative."""
    raise NotImplementedError("Exercise 6: differentiate the primitive with the quotient rule")

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
    raise NotImplementedError("Exercise 6: any smooth, increasing, step-like function (here: an erf)")


def my_grad(u, alpha=1.0):
    """Its derivative."""
    raise NotImplementedError("Exercise 6: its exact derivative (here: a Gaussian bump of peak 1)")

# %%
check("pseudo_derivative", my_grad, primitive=my_primitive)
