# The solutions and teacher notes of exercise 12, snu_np/exercises/student/ex12_drift_compensation.py.
# `snu-np exercises build` puts each block below where its marker stands in the exercise
# (see exercises/README.md).

# %% teacher notes
# > **Teacher notes** (about 20 min). Mistakes recognised: the compensation factor inverted, signed
# > sums instead of sums of |y| (positive and negative outputs cancel), one factor per output unit
# > instead of one for the layer, the mean of elementwise ratios, and the calibration batch rescaled
# > instead of `y`. Discussion: why does one global factor work although every device drifts
# > differently? (The mean of many $(t/t_0)^{-\nu}$ factors is what the outputs see; the spread of
# > $\nu$ is left as noise, which the last cell shows.)


# %% solution: compensate_drift
    now = np.sum(np.abs(y_cal_t))
    factor = np.sum(np.abs(y_cal_0)) / now if now > 0 else 1.0
    return y * factor
