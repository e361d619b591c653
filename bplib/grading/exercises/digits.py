"""Exercises of 08-training-on-real-data: measuring a classifier, and training one."""
from __future__ import annotations

import numpy as np

from ...data import load_digits
from ...metrics import accuracy, confusion_matrix
from ..exercise import ANY_BPLIB, Case, FunctionExercise
from ..stateful import AccuracyGoalExercise


def _accuracy_cases(rng, hidden):
    n, c = (9, 4) if hidden else (8, 10)
    return [
        Case(f"random ({n}, {c}) scores", (rng.standard_normal((n, c)), rng.integers(0, c, n)), batch=n),
        _partly_right(rng, hidden),
        Case("scores that are all right", (np.eye(5), np.arange(5))),
    ]


# 4 of 7 rows right, N != C: integer division, np.all or a division by C give 0 or 1 by
# accident on random or all-right scores, not here. In one right row the largest score equals
# the label itself, so comparing np.max(scores) with the labels gives 1/7; and no two of the
# usual mistakes (nor half or twice the accuracy) give the same number.
_LABELS = np.array([0, 1, 1, 1, 0, 1, 1])
_SCORES = np.array([[1.2, 2.3, -0.2], [-0.1, 1.0, 0.4], [0.2, -0.9, 1.2],  # wrong, right, wrong
                    [-0.4, 2.1, -0.4],                                      # right
                    [-0.8, 2.0, 1.3], [0.4, 1.4, 0.9], [-0.5, 2.2, 0.1]])                      # wrong, right, right


def _partly_right(rng, hidden) -> Case:
    if not hidden:
        return Case("(7, 3) scores, 4 of the 7 rows right", (_SCORES.copy(), _LABELS.copy()), batch=7)
    m, k, right = 11, 3, 6
    labels = rng.integers(0, k, m)
    scores = rng.standard_normal((m, k))
    scores[np.arange(right), labels[:right]] += 10.0                   # the first rows right ...
    scores[np.arange(right, m), (labels[right:] + 1) % k] += 10.0      # ... the others wrong
    return Case(f"({m}, {k}) scores, {right} of the {m} rows right", (scores, labels), batch=m)


def _confusion_cases(rng, hidden):
    n, c = (40, 5) if hidden else (30, 4)
    y = rng.integers(0, c, n)
    noisy = np.where(rng.uniform(size=n) < 0.3, rng.integers(0, c, n), y)
    return [
        Case(f"{n} random labels in {c} classes", (y, noisy, c)),
        Case("a class that never occurs", (np.array([0, 0, 2]), np.array([0, 2, 2]), 4)),
    ]


def _fancy_index_confusion(y_true, y_pred, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    matrix[y_true, y_pred] += 1
    return matrix


def _predict_reference(X):
    raise NotImplementedError("the reference for predict_digits is the notebook's own model")


EXERCISES = [
    FunctionExercise("accuracy", accuracy, _accuracy_cases, ratios=False,
                     variants={"argmax_axis": lambda s, y: float(np.mean(np.argmax(s) == y)),
                               "accuracy_count": lambda s, y: float(np.sum(np.argmax(s, axis=1) == y)),
                               # // and np.all are the same observation: 0 unless every row is right
                               "accuracy_zero_unless_all_right": lambda s, y: float(np.all(np.argmax(s, axis=1) == y)),
                               "accuracy_divided_by_classes":
                                   lambda s, y: float(np.sum(np.argmax(s, axis=1) == y) / s.shape[1]),
                               "accuracy_compares_scores": lambda s, y: float(np.mean(np.max(s, axis=1) == y)),
                               "accuracy_error_rate": lambda s, y: float(np.mean(np.argmax(s, axis=1) != y))}),
    FunctionExercise("confusion_matrix", confusion_matrix, _confusion_cases, integers=True,
                     variants={"confusion_transposed": lambda t, p, c: confusion_matrix(p, t, c),
                               "fancy_index_add": _fancy_index_confusion}),
    # The split of the notebook's section 2, which tests/test_notebooks.py checks against this one.
    AccuracyGoalExercise("predict_digits", _predict_reference, load_digits, split=dict(test_size=0.25, rng=0),
                         goal=0.95,
                         allowed=ANY_BPLIB),
]
