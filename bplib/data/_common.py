"""Argument checks shared by the modules of :mod:`bplib.data` (the ``rng`` rule is ``bplib._checks.as_rng``)."""
from __future__ import annotations

import numpy as np


def check_count(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ValueError if it is not an int >= ``minimum``."""
    # bool is a subclass of int; xor(n=True) is surely a mistake, so refuse it.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value}")
    return int(value)
