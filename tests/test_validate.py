"""The argument checks: finite test with its fast path, messages naming the argument."""
import numpy as np
import pytest

from snu_np._validate import all_finite, as_float_array

pytestmark = pytest.mark.nojit


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_fast_path_and_overflow_fallback(dtype):
    big = np.finfo(dtype).max
    x = np.full((4, 3), big, dtype=dtype)        # finite, but the sum overflows: exact test decides
    assert all_finite(x)
    for bad in (np.nan, np.inf, -np.inf):
        y = np.zeros((4, 3), dtype=dtype)
        y[2, 1] = bad
        assert not all_finite(y)
        z = x.copy()
        z[3, 2] = bad
        assert not all_finite(z)
    w = np.zeros(3, dtype=dtype)
    w[0], w[1] = np.inf, -np.inf                  # sum is NaN: still refused
    assert not all_finite(w)


def test_as_float_array_names_the_argument_and_first_bad_index():
    x = np.zeros((2, 3), dtype=np.float32)
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"spikes contains NaN or inf \(first at index \(1, 2\)\)"):
        as_float_array(x, "spikes")
    with pytest.raises(TypeError, match="spikes must be a float array"):
        as_float_array(np.zeros(3, dtype=int), "spikes")
    with pytest.raises(ValueError, match="spikes must have 3 dimensions"):
        as_float_array(np.zeros((2, 2)), "spikes", ndim=3)
