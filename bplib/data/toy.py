"""Seeded toy datasets: the same call gives the same data on every machine.

Every generator returns ``(X, y)``: float64 inputs, and float64 targets (``linear``) or int64
class labels. ``spirals``, ``moons`` and ``circles`` list their points class by class, so
shuffle them with ``minibatches`` or ``train_test_split``. ``rng`` is an int seed (default 0:
the same data on every call), a Generator or None, as described in :mod:`bplib`.
"""
from __future__ import annotations

import numpy as np

from .._checks import RngLike, as_rng
from ._common import check_count


def _check_noise(noise) -> float:
    noise = float(noise)
    if not noise >= 0.0:  # also catches NaN
        raise ValueError(f"noise must be a float >= 0; got {noise}")
    return noise


def linear(
    n: int = 100,
    slope: float = 2.0,
    intercept: float = 1.0,
    noise: float = 0.1,
    rng: RngLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy points on a line, ``y = slope * x + intercept + noise * N(0, 1)``.

    The first dataset of the course: a single linear neuron should recover ``slope`` and
    ``intercept`` up to the noise.

    Parameters
    ----------
    n : int
        Number of points.
    slope, intercept : float
        The true line.
    noise : float
        Standard deviation of the Gaussian noise added to ``y``.
    rng : None, int or numpy.random.Generator
        Source of the randomness; the default 0 gives the same data on every call.

    Returns
    -------
    X : ndarray of shape (n, 1), float64
        Inputs drawn uniformly from [-1, 1].
    y : ndarray of shape (n, 1), float64
        Targets. A column, not shape (n,), so that ``y - X @ w`` cannot broadcast to (n, n).
    """
    n = check_count(n, "n")
    noise = _check_noise(noise)
    gen = as_rng(rng)
    X = gen.uniform(-1.0, 1.0, size=(n, 1))
    y = slope * X + intercept + noise * gen.standard_normal((n, 1))
    return X, y


# The four XOR corners and their labels: the class is 1 exactly when the two bits differ.
_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([0, 1, 1, 0], dtype=np.int64)


def xor(
    n: int | None = None,
    noise: float = 0.0,
    rng: RngLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: the smallest dataset a single linear layer cannot separate.

    Parameters
    ----------
    n : int or None
        None gives exactly the four corners (0,0), (0,1), (1,0), (1,1), in that order. An
        int ``n >= 4`` gives ``n`` points cycling through the corners (``n // 4`` or
        ``n // 4 + 1`` each).
    noise : float
        Standard deviation of Gaussian jitter on every coordinate; with the default 0.0 the
        result is fully deterministic.
    rng : None, int or numpy.random.Generator
        Source of the randomness; the default 0 gives the same data on every call.

    Returns
    -------
    X : ndarray of shape (4, 2) or (n, 2), float64
    y : ndarray of shape (4,) or (n,), int64
        Labels in {0, 1}: 1 when the two coordinates' corners differ.
    """
    noise = _check_noise(noise)
    gen = as_rng(rng)  # also without noise, so that a wrong rng is refused whatever the noise
    if n is None:
        corner = np.arange(4)
    else:
        corner = np.arange(check_count(n, "n", minimum=4)) % 4
    X = _XOR_X[corner].copy()
    y = _XOR_Y[corner].copy()
    if noise > 0.0:
        X += noise * gen.standard_normal(X.shape)
    return X, y


def spirals(
    n: int = 100,
    classes: int = 3,
    noise: float = 0.2,
    rng: RngLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n "spiral" dataset).

    Arm ``k`` has radius going linearly from 0 to 1 while its angle goes from ``4k`` to
    ``4(k + 1)`` radians, plus Gaussian noise on the angle. No linear classifier separates
    the arms; a small hidden layer does.

    Parameters
    ----------
    n : int
        Number of points PER CLASS (the total is ``n * classes``).
    classes : int
        Number of arms / classes, >= 2.
    noise : float
        Standard deviation of the Gaussian noise on the angle (radians).
    rng : None, int or numpy.random.Generator
        Source of the randomness; the default 0 gives the same data on every call.

    Returns
    -------
    X : ndarray of shape (n * classes, 2), float64
        Points inside the unit disc, class 0 first.
    y : ndarray of shape (n * classes,), int64
        Labels in ``[0, classes)``, exactly ``n`` of each.
    """
    n = check_count(n, "n")
    classes = check_count(classes, "classes", minimum=2)
    noise = _check_noise(noise)
    gen = as_rng(rng)
    X = np.empty((n * classes, 2))
    y = np.repeat(np.arange(classes, dtype=np.int64), n)
    r = np.linspace(0.0, 1.0, n)
    for k in range(classes):
        t = np.linspace(4.0 * k, 4.0 * (k + 1), n) + noise * gen.standard_normal(n)
        X[k * n : (k + 1) * n, 0] = r * np.sin(t)
        X[k * n : (k + 1) * n, 1] = r * np.cos(t)
    return X, y


def _arc(stop: float, n: int, endpoint: bool = True) -> np.ndarray:
    """``n`` points of the unit circle at angles from 0 to ``stop``, shape (n, 2)."""
    t = np.linspace(0.0, stop, n, endpoint=endpoint)
    return np.column_stack([np.cos(t), np.sin(t)])


def _two_classes(class0: np.ndarray, class1: np.ndarray, noise: float, gen: np.random.Generator):
    """Stack the points of class 0 on those of class 1, then jitter every coordinate."""
    X = np.vstack([class0, class1])
    y = np.repeat(np.array([0, 1], dtype=np.int64), [len(class0), len(class1)])
    X += noise * gen.standard_normal(X.shape)
    return X, y


def moons(
    n: int = 200,
    noise: float = 0.1,
    rng: RngLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles ("moons"), the geometry of scikit-learn's ``make_moons``.

    Class 0 is the upper half of the unit circle centred at (0, 0); class 1 is the lower
    half circle centred at (1, 0.5).

    Parameters
    ----------
    n : int
        Total number of points, >= 2; class 0 gets ``n // 2``, class 1 the rest.
    noise : float
        Standard deviation of Gaussian noise added to every coordinate.
    rng : None, int or numpy.random.Generator
        Source of the randomness; the default 0 gives the same data on every call.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
        Points grouped by class (class 0 first).
    y : ndarray of shape (n,), int64
        Labels in {0, 1}.
    """
    n = check_count(n, "n", minimum=2)
    noise = _check_noise(noise)
    gen = as_rng(rng)
    n0 = n // 2
    upper = _arc(np.pi, n0)
    lower = np.array([1.0, 0.5]) - _arc(np.pi, n - n0)  # the upper arc flipped, centred at (1, 0.5)
    return _two_classes(upper, lower, noise, gen)


def circles(
    n: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    rng: RngLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: a dataset that needs a non-linear decision boundary.

    Parameters
    ----------
    n : int
        Total number of points, >= 2; the outer circle (class 0) gets ``n // 2``, the
        inner circle (class 1) the rest.
    noise : float
        Standard deviation of Gaussian noise added to every coordinate.
    factor : float
        Radius of the inner circle relative to the outer one (radius 1), in (0, 1).
    rng : None, int or numpy.random.Generator
        Source of the randomness; the default 0 gives the same data on every call.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
        Points grouped by class (class 0 first).
    y : ndarray of shape (n,), int64
        Labels in {0, 1}: 0 = outer circle, 1 = inner circle.
    """
    n = check_count(n, "n", minimum=2)
    noise = _check_noise(noise)
    factor = float(factor)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be a float in (0, 1); got {factor}")
    gen = as_rng(rng)
    n0 = n // 2
    # endpoint=False: angle 2*pi is angle 0, and a duplicated point would be a wasted sample.
    outer = _arc(2.0 * np.pi, n0, endpoint=False)
    inner = factor * _arc(2.0 * np.pi, n - n0, endpoint=False)
    return _two_classes(outer, inner, noise, gen)
