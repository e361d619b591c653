"""Input checks shared by bplib's functions.

A wrong shape that numpy broadcasts silently is the hardest bug a student meets, so bplib
refuses ambiguous input early, with a message that names the shape or dtype it expected.

It also holds :func:`as_rng`, the one place where an ``rng`` argument becomes a Generator.
"""
from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)

# What every ``rng`` argument of bplib accepts: see as_rng.
RngLike = int | np.integer | np.random.Generator | None


def as_rng(rng: RngLike) -> np.random.Generator:
    """Return the Generator an ``rng`` argument stands for (the rule is in bplib's docstring, "Randomness").

    - an int seed ``k`` >= 0 gives a fresh ``np.random.default_rng(k)``;
    - a ``np.random.Generator`` is returned as it is, so the caller's draws advance it;
    - None gives a Generator seeded from the operating system, different on every call.

    Raises
    ------
    ValueError
        For anything else: a bool (``rng=True`` is surely a slip), a float, a negative int, or
        another kind of generator (``np.random.RandomState``, the ``np.random`` module).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    # bool is a subclass of int, so it must be refused before the int test lets it through.
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng as an int seed must be >= 0; got {rng}")
        return np.random.default_rng(int(rng))
    shown = f"{type(rng).__name__} {rng!r}" if len(repr(rng)) <= 40 else type(rng).__name__
    raise ValueError(
        f"rng must be None, an int seed or a numpy.random.Generator (e.g. np.random.default_rng(0)); got {shown}"
    )


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


def format_shape(shape: tuple) -> str:
    """A shape as text, with names for the free sizes: ("N", 3, "H", "W") -> "(N, 3, H, W)"."""
    return "(" + ", ".join(str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def require_shape(x: np.ndarray, expected: tuple, name: str, owner: str) -> None:
    """Raise ValueError unless ``x`` has the ``expected`` shape, naming it in the message.

    ``expected`` holds an int for each size that must match and a name (a str such as "N") for
    each size that may be anything, e.g. ``require_shape(x, ("N", 3, "H", "W"), "x", "Conv2d")``
    accepts any 4-d array with 3 channels and otherwise raises
    "Conv2d expects x of shape (N, 3, H, W), got (5, 2, 8, 8)".
    """
    if x.ndim != len(expected) or any(
        isinstance(size, (int, np.integer)) and x.shape[axis] != size for axis, size in enumerate(expected)
    ):
        raise ValueError(f"{owner} expects {name} of shape {format_shape(expected)}, got {format_shape(x.shape)}")
