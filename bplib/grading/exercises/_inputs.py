"""Input makers shared by the exercise definitions."""
from __future__ import annotations

import numpy as np

from ..exercise import Case

EXTREMES = np.array([[-1e4, -800.0, -50.0, -1.0, 0.0, 1.0, 50.0, 800.0, 1e4]])


def elementwise_cases(rng: np.random.Generator, hidden: bool, with_zeros: bool = False) -> list[Case]:
    """Inputs for an elementwise function: random, a vector, extremes, float32, one sample."""
    n, d = (7, 4) if hidden else (5, 3)
    x = 3 * rng.standard_normal((n, d))
    if with_zeros:
        x[0, :2] = 0.0  # the kink of relu-like functions
    cases = [
        Case(f"a random ({n}, {d}) input", (x,)),
        Case("a 1-D input", (rng.standard_normal(6),)),
        Case("inputs as large as ±1e4", (EXTREMES.copy(),)),
        Case(f"a float32 ({n}, {d}) input", (x.astype(np.float32),), float32=True),
        Case("a single sample (1, 4)", (rng.standard_normal((1, 4)),)),
        Case("float32 inputs as large as ±1e4", (EXTREMES.astype(np.float32),), float32=True),
    ]
    if hidden:
        cases.append(Case("a 3-D input", (rng.standard_normal((2, 3, 4)),)))
    return cases
