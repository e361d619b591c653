"""Choosing samples: mini-batches for SGD and train/test splits."""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .._checks import RngLike, as_rng
from ._common import check_count


def _check_pair(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"X and y must be arrays with the samples along axis 0, e.g. X (N, D) and y (N,); "
            f"got X {X.shape} and y {y.shape}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of samples (axis 0); got X {X.shape} and y {y.shape}"
        )
    return X, y


def minibatches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    rng: RngLike = 0,
    shuffle: bool = True,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Iterate over ``(X_batch, y_batch)`` pairs covering every sample exactly once.

    Parameters
    ----------
    X : ndarray of shape (N, ...)
        Inputs, samples along axis 0.
    y : ndarray of shape (N, ...)
        Targets, same N.
    batch_size : int
        Samples per batch, >= 1. When N is not a multiple, the last batch holds the
        remaining ``N % batch_size`` samples (it is not dropped, so no sample is skipped).
    rng : None, int or numpy.random.Generator
        Source of the shuffle. An int (the default, 0) is reproducible, but then every call
        gives the SAME order. For a new order in every epoch create one Generator before the
        epoch loop and pass it to every call. It is the fourth argument, as in the
        ``minibatches(X, y, batch_size, rng)`` that students write in notebook 04.
    shuffle : bool
        Visit the samples in a random order (the usual choice for SGD) instead of 0..N-1.

    Yields
    ------
    X_batch : ndarray of shape (B, ...)
    y_batch : ndarray of shape (B, ...)
        ``B == batch_size`` except possibly for the last batch.

    Raises
    ------
    ValueError
        At the call (not at the first ``next``) if ``len(X) != len(y)`` or
        ``batch_size < 1``.
    """
    # Validate here, outside the generator: a generator function's body would only run at
    # the first next(), so the error would surface far from the faulty call.
    X, y = _check_pair(X, y)
    batch_size = check_count(batch_size, "batch_size")
    gen = as_rng(rng)  # also when not shuffling, so that a wrong rng is refused at once
    order = gen.permutation(len(X)) if shuffle else np.arange(len(X))
    return _batches(X, y, order, batch_size)


def _batches(X: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int):
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    test_size: float | int = 0.2,
    rng: RngLike = 0,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into a training and a test part (same order of outputs as sklearn).

    Parameters
    ----------
    X : ndarray of shape (N, ...)
        Inputs, samples along axis 0.
    y : ndarray of shape (N, ...)
        Targets, same N. With ``stratify=True`` y must be integer class labels of shape (N,).
    test_size : float or int
        A float in (0, 1) is the fraction of samples for the test set (rounded up, like
        scikit-learn); an int in [1, N - 1] is the exact number of test samples.
    rng : None, int or numpy.random.Generator
        Source of the shuffle; the default 0 gives the same split on every call.
    stratify : bool
        Keep the class proportions of ``y`` in both parts (each class contributes its share
        of the test set, rounded so that the total is still the requested size).

    Returns
    -------
    X_train : ndarray of shape (N - n_test, ...)
    X_test : ndarray of shape (n_test, ...)
    y_train : ndarray of shape (N - n_test, ...)
    y_test : ndarray of shape (n_test, ...)
        Disjoint, and together exactly the original samples, each part in random order.
    """
    X, y = _check_pair(X, y)
    n = len(X)
    if n < 2:
        raise ValueError(f"need at least 2 samples to split; got X {X.shape}")
    if isinstance(test_size, bool):
        raise ValueError(f"test_size must be a float in (0, 1) or an int in [1, {n - 1}]; got {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        n_test = int(test_size)
        if not 1 <= n_test <= n - 1:
            raise ValueError(f"test_size as an int must be in [1, {n - 1}] for {n} samples; got {n_test}")
    elif isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a float must be in (0, 1); got {test_size}")
        # ceil like scikit-learn, then clip so both parts stay non-empty.
        n_test = min(max(math.ceil(test_size * n), 1), n - 1)
    else:
        raise ValueError(f"test_size must be a float in (0, 1) or an int in [1, {n - 1}]; got {test_size!r}")

    gen = as_rng(rng)
    if not stratify:
        perm = gen.permutation(n)
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    else:
        if y.ndim != 1 or y.dtype.kind not in "iub":
            raise ValueError(
                f"stratify=True needs integer class labels y of shape (N,); got {y.dtype} {y.shape}"
            )
        classes, y_idx = np.unique(y, return_inverse=True)
        counts = np.bincount(y_idx, minlength=len(classes))
        # Largest-remainder rounding: every class gets floor(its exact share), then the seats
        # still missing go to the classes with the largest fractional parts, so the class
        # shares are as close as possible AND the total is exactly n_test.
        exact = counts * n_test / n
        per_class = np.floor(exact).astype(np.int64)
        missing = n_test - int(per_class.sum())
        if missing > 0:
            # stable sort + negation: ties go to the lower class index, deterministically
            per_class[np.argsort(-(exact - per_class), kind="stable")[:missing]] += 1
        test_parts, train_parts = [], []
        for c in range(len(classes)):
            members = gen.permutation(np.flatnonzero(y_idx == c))
            test_parts.append(members[: per_class[c]])
            train_parts.append(members[per_class[c] :])
        # Shuffle again so that neither part is ordered by class.
        test_idx = gen.permutation(np.concatenate(test_parts))
        train_idx = gen.permutation(np.concatenate(train_parts))
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]
