# The solutions and teacher notes of exercise 11, snu_np/exercises/student/ex11_quantize.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 20 min). Mistakes recognised: min–max (affine, asymmetric) levels;
# > two's-complement levels ($-2^{b-1} \dots 2^{b-1} - 1$: the largest positive weight is clipped);
# > $2^b - 1$ levels on each side (sign bit forgotten); rounding towards zero (`astype(int)`,
# > `np.trunc`) or down (`np.floor`); returning the integer codes. Discussion: how many bits does a
# > trained SNU need before its accuracy drops? (Try the last cell with 2, 3, 4 bits.)


# %% solution: quantize
    W = np.asarray(W, dtype=float)
    levels = 2 ** (bits - 1) - 1
    w_max = np.max(np.abs(W)) if W.size else 0.0
    if w_max == 0:
        return np.zeros_like(W)
    step = w_max / levels
    return step * np.round(W / step)
