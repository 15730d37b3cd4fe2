"""Argument checks shared by every public function.

Each check names the argument it looks at and says what was expected, so that a student who passes
the wrong thing reads *which* thing and *why*, instead of a broadcasting error ten frames deeper.
"""
from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(value, name, ndim=None, dtype=None, finite=True, shape=None):
    """Return ``value`` as a float ndarray after checking it.

    Parameters
    ----------
    value : array_like
        The argument to check.
    name : str
        The argument's name, used in the error message.
    ndim : int or tuple of int, optional
        The allowed number(s) of dimensions.
    dtype : numpy dtype, optional
        Cast to this float dtype (float32 or float64). When omitted the array must already be
        float32 or float64 (integers and bools are refused: a silent cast hides bugs).
    finite : bool
        Refuse NaN and inf.
    shape : tuple, optional
        Expected shape; ``None`` entries match any size.
    """
    if isinstance(value, (list, tuple)) or np.isscalar(value):
        value = np.asarray(value, dtype=dtype if dtype is not None else np.float64)
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(value).__name__}")
    if value.dtype.kind not in "f":
        raise TypeError(
            f"{name} must be a float array (float32 or float64), got dtype {value.dtype}; "
            f"convert it with {name}.astype(np.float64) (or float32) first")
    if dtype is not None and value.dtype != dtype:
        value = value.astype(dtype)
    if value.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must be float32 or float64, got {value.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dimensions, got shape {value.shape}")
    if shape is not None:
        check_shape(value, shape, name)
    if finite and not all_finite(value):
        bad = np.argwhere(~np.isfinite(value))[0]
        raise ValueError(f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)})")
    return value


def all_finite(value):
    """True if no entry of the float array is NaN or inf. A sum is NaN or inf as soon as one term
    is, and costs less than ``np.isfinite``'s boolean array (this check runs on every batch); a sum
    of finite terms that overflows falls back to the exact test."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = value.sum()
    return bool(np.isfinite(total)) or bool(np.all(np.isfinite(value)))


def check_sequence(x, name="x"):
    """Raise unless ``x`` is an array of shape (T, B, n) with T >= 1 steps and B >= 1 samples.

    The cheap check at the boundary of every sequence function (its dtype and values are the
    caller's: a layer checks them with :func:`as_float_array`). Returns ``x``."""
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) != 3:
        raise ValueError(f"{name} must be an array of shape (T, B, n), got "
                         f"{type(x).__name__ if shape is None else f'shape {shape}'}")
    if shape[0] == 0 or shape[1] == 0:
        raise ValueError(f"{name} has shape {shape}: a sequence needs at least one time step "
                         f"(T >= 1) and one sample (B >= 1)")
    return x


def check_dy_shape(dy, shape, name="dy"):
    """Raise unless ``dy`` is an array of exactly the forward output's ``shape``. Returns ``dy``."""
    got = getattr(dy, "shape", None)
    if got != tuple(shape):
        pretty = "(" + ", ".join(str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have the forward output's shape {pretty}, got "
                         f"{type(dy).__name__ if got is None else got}")
    return dy


def as_param_array(value, name, shape, dtype):
    """Return ``value`` as a C-contiguous array of ``dtype`` and ``shape`` for a parameter, after
    the checks a constructor's own arrays pass: real numbers (not complex, bool, string or object),
    the right shape, finite."""
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got the complex dtype {arr.dtype} "
                        f"(its imaginary part would be dropped)")
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    check_shape(arr, shape, name)
    arr = arr.astype(dtype, copy=False)
    if not all_finite(arr):
        bad = np.argwhere(~np.isfinite(arr))[0] if arr.ndim else ()
        raise ValueError(f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)})")
    return arr


def check_shape(value, shape, name):
    """Raise ValueError unless ``value.shape`` matches ``shape`` (``None`` matches any size)."""
    ok = len(value.shape) == len(shape) and all(
        want is None or want == got for want, got in zip(shape, value.shape))
    if not ok:
        pretty = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {pretty}, got {value.shape}")


def check_real(value, name, low=None, high=None, low_open=False, high_open=False):
    """Check a real scalar and its range; return it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind == "f":
            value = float(value)
        else:
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def check_int(value, name, low=None, high=None):
    """Check an integer scalar (bools refused) and its range; return it as int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_choice(value, name, choices):
    """Check that ``value`` is one of ``choices`` (strings)."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_float_dtype(dtype, name="dtype"):
    """Return ``np.dtype(dtype)`` if it is float32 or float64."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be np.float32 or np.float64, got {dtype!r}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must be np.float32 or np.float64, got {dt}")
    return dt


def as_rng(seed, name="seed"):
    """Return a ``numpy.random.Generator`` from None, an int seed or a Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"{name} must be None, a non-negative int or numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def check_window(window, T, name="window"):
    """Return ``(a, b)`` with 0 <= a < b <= T; ``None`` means all steps ``(0, T)``."""
    if window is None:
        return 0, T
    try:
        a, b = window
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a pair (a, b) of step indices, got {window!r}") from exc
    a = check_int(a, f"{name}[0]")
    b = check_int(b, f"{name}[1]")
    if not 0 <= a < b <= T:
        raise ValueError(f"{name} must satisfy 0 <= a < b <= T = {T}, got ({a}, {b})")
    return a, b
