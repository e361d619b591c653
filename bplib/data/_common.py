"""Argument checks and the seeding rule shared by the modules of :mod:`bplib.data`."""
from __future__ import annotations

import numpy as np


def make_rng(seed: int, rng: np.random.Generator | None) -> np.random.Generator:
    """Return ``rng`` if given, else a fresh Generator seeded with ``seed``.

    A fresh ``default_rng(seed)`` per call (rather than numpy's global state) is what makes
    ``spirals()`` return the same points in every notebook, whatever ran before it.
    """
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)) or None; "
                f"got {type(rng).__name__}"
            )
        return rng
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int; got {type(seed).__name__}")
    return np.random.default_rng(seed)


def check_count(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ValueError if it is not an int >= ``minimum``."""
    # bool is a subclass of int; xor(n=True) is surely a mistake, so refuse it.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value}")
    return int(value)
