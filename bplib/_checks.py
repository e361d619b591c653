"""Input checks shared by bplib's functions.

A wrong shape that numpy broadcasts silently is the hardest bug a student meets, so bplib
refuses ambiguous input early, with a message that names the shape or dtype it expected.
"""
from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a float ndarray: float32 and float64 are kept, ints and bools become float64.

    Parameters
    ----------
    x : array_like
        Any numeric array or scalar.
    name : str
        The argument's name, used in the error message.

    Raises
    ------
    ValueError
        If ``x`` is not real-valued numeric (complex, object or string data).
    """
    arr = np.asarray(x)
    if arr.dtype in FLOAT_DTYPES:
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype.kind == "f":  # float16 and longdouble: compute in float64
        return arr.astype(np.float64)
    raise ValueError(f"{name} must be a real-valued numeric array (float64 expected); got dtype {arr.dtype}")


def require_finite(x: np.ndarray, name: str) -> None:
    """Raise ValueError if ``x`` holds NaN or infinity, which would poison every later step."""
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinity; expected finite values")


def require_ndim(x: np.ndarray, ndim: int, name: str, expected: str) -> None:
    """Raise ValueError naming the ``expected`` shape (e.g. "(N, C)") if ``x.ndim != ndim``."""
    if x.ndim != ndim:
        raise ValueError(f"{name} must have shape {expected}; got shape {x.shape}")


def require_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ValueError unless ``a`` and ``b`` have exactly the same shape (no broadcasting)."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {name_a} {a.shape} and "
            f"{name_b} {b.shape}. Reshape one of them explicitly (for example y.reshape(-1, 1)): "
            "numpy would otherwise broadcast them to a larger array silently."
        )
