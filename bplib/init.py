"""Weight initialisers, with the formulas of ``torch.nn.init``.

Weights must start random (identical weights give identical hidden units that stay identical:
symmetry is never broken) and at the right scale: each layer should keep the variance of the
signal roughly constant, or activations vanish or explode with depth.

- Xavier/Glorot (for tanh/sigmoid): Var(W) = 2 / (fan_in + fan_out).
- He/Kaiming (for ReLU, which zeroes half its inputs): Var(W) = 2 / fan_in.

Every function returns an array of shape (fan_in, fan_out), the layout of ``Dense.W``, drawn
from ``rng``: an int seed, a Generator or None (the default: new weights on every call), as
described in :mod:`bplib`.
"""
from __future__ import annotations

import numpy as np

from ._checks import RngLike, as_rng


def xavier_uniform(fan_in: int, fan_out: int, rng: RngLike = None, dtype=np.float64) -> np.ndarray:
    """Uniform on [-a, a] with a = sqrt(6 / (fan_in + fan_out)), so Var = 2 / (fan_in + fan_out)."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return as_rng(rng).uniform(-bound, bound, size=(fan_in, fan_out)).astype(dtype)


def xavier_normal(fan_in: int, fan_out: int, rng: RngLike = None, dtype=np.float64) -> np.ndarray:
    """Normal with std = sqrt(2 / (fan_in + fan_out))."""
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return (std * as_rng(rng).standard_normal((fan_in, fan_out))).astype(dtype)


def he_uniform(fan_in: int, fan_out: int, rng: RngLike = None, dtype=np.float64) -> np.ndarray:
    """Uniform on [-a, a] with a = sqrt(6 / fan_in), so Var = 2 / fan_in."""
    bound = np.sqrt(6.0 / fan_in)
    return as_rng(rng).uniform(-bound, bound, size=(fan_in, fan_out)).astype(dtype)


def he_normal(fan_in: int, fan_out: int, rng: RngLike = None, dtype=np.float64) -> np.ndarray:
    """Normal with std = sqrt(2 / fan_in)."""
    std = np.sqrt(2.0 / fan_in)
    return (std * as_rng(rng).standard_normal((fan_in, fan_out))).astype(dtype)


def zeros(fan_in: int, fan_out: int, rng: RngLike = None, dtype=np.float64) -> np.ndarray:
    """All zeros: a deliberately bad choice, kept to show why symmetry must be broken."""
    as_rng(rng)  # unused, but refused when wrong, as by the other initialisers
    return np.zeros((fan_in, fan_out), dtype=dtype)


INITIALIZERS = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "xavier": xavier_normal,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "zeros": zeros,
}
