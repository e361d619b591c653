"""Preparing features and labels for a network: :func:`standardize` and :func:`one_hot`."""
from __future__ import annotations

import numpy as np

from ._common import check_count


def _as_2d_float(X, name: str) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a real numeric array of shape (N, D); got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(
            f"{name} must have shape (N, D); got shape {X.shape} "
            f"(flatten images first, e.g. X.reshape(len(X), -1))"
        )
    return X.astype(np.float64)


def standardize(
    X_train: np.ndarray,
    X_test: np.ndarray | None = None,
    eps: float = 1e-8,
):
    """Scale every feature to zero mean and unit variance, using TRAINING statistics only.

    The test set is transformed with the training mean and std, never its own: computing
    them on the test data would leak information about it into the model.

    Parameters
    ----------
    X_train : ndarray of shape (N, D)
    X_test : ndarray of shape (M, D), optional
    eps : float
        Features whose training std is below ``eps`` (constant columns, e.g. the digits'
        always-blank corner pixels) are only centred: their std is taken as 1, so they
        become 0 instead of 0/0 = NaN.

    Returns
    -------
    ``standardize(X_train)`` returns ``(X_train_s, mean, std)``;
    ``standardize(X_train, X_test)`` returns ``(X_train_s, X_test_s, mean, std)``, where

    X_train_s : ndarray of shape (N, D), float64
    X_test_s : ndarray of shape (M, D), float64
    mean : ndarray of shape (D,), float64
        Per-feature training mean.
    std : ndarray of shape (D,), float64
        Per-feature training std with the near-zero ones replaced by 1, so that
        ``(X_new - mean) / std`` applies exactly the same transformation to new data.
    """
    X_train = _as_2d_float(X_train, "X_train")
    if len(X_train) == 0:
        raise ValueError("X_train must have shape (N, D) with N >= 1; got 0 samples")
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std < eps, 1.0, std)
    X_train_s = (X_train - mean) / std
    if X_test is None:
        return X_train_s, mean, std
    X_test = _as_2d_float(X_test, "X_test")
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"X_test must have shape (M, {X_train.shape[1]}) like X_train {X_train.shape}; got {X_test.shape}"
        )
    return X_train_s, (X_test - mean) / std, mean, std


def one_hot(labels: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Turn integer class labels into one-hot rows.

    Parameters
    ----------
    labels : array_like of shape (N,), integer
        Class indices in ``[0, num_classes)``.
    num_classes : int, optional
        Number of classes C. Default: ``labels.max() + 1``. Pass it explicitly when a batch
        might not contain the largest class, or the width would change from batch to batch.

    Returns
    -------
    ndarray of shape (N, C), float64
        Row i is all zeros except a 1.0 in column ``labels[i]``; ``one_hot(y).argmax(1)``
        gives ``y`` back.

    Raises
    ------
    ValueError
        If labels are not 1-D, not of an integer dtype, or outside ``[0, num_classes)``.
    """
    labels = np.asarray(labels)
    if labels.size == 0 and labels.dtype.kind == "f":
        labels = labels.astype(np.int64)  # np.asarray([]) is float64; an empty list is fine
    if labels.ndim != 1:
        raise ValueError(
            f"labels must have shape (N,); got shape {labels.shape}"
            + (" (already one-hot? use labels.argmax(axis=1))" if labels.ndim == 2 else "")
        )
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integers of shape (N,); got dtype {labels.dtype} "
            f"(convert class indices with labels.astype(np.int64))"
        )
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("num_classes must be given when labels is empty")
        num_classes = int(labels.max()) + 1
    num_classes = check_count(num_classes, "num_classes")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must be in [0, {num_classes}) for num_classes={num_classes}; "
            f"got values from {labels.min()} to {labels.max()}"
        )
    out = np.zeros((labels.size, num_classes), dtype=np.float64)
    out[np.arange(labels.size), labels] = 1.0
    return out
