"""Measuring a classifier: :func:`accuracy` and :func:`confusion_matrix`.

Both read labels the same way (:func:`class_indices`): (N,) integer labels, or (N, C) scores
or one-hot rows, of which the argmax is the class. This module needs only numpy, so the
grader can import it without matplotlib.
"""
from __future__ import annotations

import numpy as np


def accuracy(scores, y) -> float:
    """Fraction of correct predictions.

    Parameters
    ----------
    scores : array_like, shape (N, C) class scores, or (N,) / (N, 1) binary logits
        Binary logits are read as class 1 where the logit is positive (probability > 0.5).
    y : array_like, shape (N,) integer labels (or (N, 1) for the binary case)
    """
    scores, y = np.asarray(scores), np.asarray(y)
    if scores.ndim == 2 and scores.shape[1] > 1:
        predicted = scores.argmax(axis=1)
    else:
        predicted = (scores.reshape(-1) > 0).astype(np.int64)
    return float(np.mean(predicted == y.reshape(-1)))


def class_indices(y, name: str = "y") -> np.ndarray:
    """Integer class indices (N,) from labels (N,) or from one-hot rows / scores (N, C).

    Float labels are accepted when they hold whole numbers (0.0, 1.0, ...); anything else
    (e.g. probabilities) is refused, because guessing a threshold would hide a bug.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2:  # (N, 1)
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name} must have shape (N,) or (N, C); got shape {y.shape}")
    if y.dtype.kind in "biu":
        return y.astype(np.int64)
    if y.dtype.kind == "f" and np.all(y == np.round(y)):
        return y.astype(np.int64)
    raise ValueError(
        f"{name} must hold integer class labels (or (N, C) scores); got dtype {y.dtype} "
        "with non-integer values. Threshold probabilities first, e.g. (p > 0.5).astype(int)."
    )


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true : ndarray, shape (N,) of int, or (N, C) one-hot
        True classes.
    y_pred : ndarray, shape (N,) of int, or (N, C) scores / probabilities (argmax is taken)
        Predicted classes.
    num_classes : int, optional
        C. Defaults to the largest label seen plus one.

    Returns
    -------
    ndarray of int64, shape (C, C)
        ``cm[i, j]`` = number of samples of true class ``i`` predicted as class ``j``
        (rows = true class, columns = predicted class). ``np.trace(cm) / cm.sum()`` is the accuracy.
    """
    t = class_indices(y_true, "y_true")
    p = class_indices(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must hold the same number of samples; got {t.shape} and {p.shape}")
    if num_classes is None:
        num_classes = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= num_classes):
        raise ValueError(f"labels must lie in 0 .. {num_classes - 1} (num_classes={num_classes})")
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)
