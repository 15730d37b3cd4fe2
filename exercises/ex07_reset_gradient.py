# The solutions and teacher notes of exercise 7, snu_np/exercises/student/ex07_reset_gradient.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 30 min). Mistakes recognised: the sign, the decay missing, an extra
# > $(1 - y_{t-1})$ factor, returning zero (the detached version), using $y_{t-1}$ instead of
# > $s_{t-1}$. The check also runs the term inside a full BPTT pass and compares with the reference.
# > On this task (seeds 0-3, 8 epochs, Adam lr 3e-3) keeping the reset gradient gave a lower final
# > loss in every run (about 0.11-0.13 vs 0.13-0.17) and a higher test accuracy (for seed 0 about
# > 77 % vs 73 %). Do not oversell it: other tasks and other surrogate widths can reverse the order,
# > which is why both options exist (`SNU(detach_reset=...)`). A good discussion: the reset term is
# > negative where $s_{t-1} > 0$, so it discourages spikes that would destroy useful state.


# %% solution: reset_term
    return -decay * dz * s_prev
