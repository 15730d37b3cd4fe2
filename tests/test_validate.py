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


def test_check_sequence_and_check_dy_shape():
    from snu_np._validate import check_dy_shape, check_sequence
    x = np.zeros((2, 3, 4))
    assert check_sequence(x) is x and check_dy_shape(x, (2, 3, 4)) is x
    for bad in (np.zeros((0, 3, 4)), np.zeros((2, 0, 4))):
        with pytest.raises(ValueError, match=r"spikes has shape .* at least one time step \(T >= 1\)"):
            check_sequence(bad, "spikes")
    with pytest.raises(ValueError, match=r"x must be an array of shape \(T, B, n\), got shape \(2, 3\)"):
        check_sequence(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"got list"):
        check_sequence([1, 2])
    with pytest.raises(ValueError, match=r"dy must have the forward output's shape \(2, 3, 5\), got \(2, 3, 4\)"):
        check_dy_shape(x, (2, 3, 5))


def test_as_param_array():
    from snu_np._validate import as_param_array
    out = as_param_array(np.arange(6).reshape(2, 3), "W", (2, 3), np.float32)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    with pytest.raises(TypeError, match="W must be real, got the complex dtype complex128"):
        as_param_array(np.ones((2, 3)) * 1j, "W", (2, 3), np.float64)
    with pytest.raises(TypeError, match="W must hold real numbers, got dtype bool"):
        as_param_array(np.ones((2, 3), bool), "W", (2, 3), np.float64)
    with pytest.raises(ValueError, match=r"W contains NaN or inf \(first at index \(1, 0\)\)"):
        as_param_array([[0, 0, 0], [np.nan, 0, 0]], "W", (2, 3), np.float64)
    with pytest.raises(ValueError, match=r"decay contains NaN or inf \(first at index \(\)\)"):
        as_param_array(np.inf, "decay", (), np.float64)
    with pytest.raises(ValueError, match=r"W must have shape \(2, 3\)"):
        as_param_array(np.ones(6), "W", (2, 3), np.float64)
