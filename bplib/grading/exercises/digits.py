"""Exercises of 08-training-on-real-data: measuring a classifier, and training one."""
from __future__ import annotations

import numpy as np

from ...data import load_digits, train_test_split
from ...metrics import accuracy, confusion_matrix
from ..exercise import ANY_BPLIB, Case, FunctionExercise
from ..stateful import AccuracyGoalExercise


def _accuracy_cases(rng, hidden):
    n, c = (9, 4) if hidden else (8, 10)
    return [
        Case(f"random ({n}, {c}) scores", (rng.standard_normal((n, c)), rng.integers(0, c, n)), batch=n),
        Case("scores that are all right", (np.eye(5), np.arange(5))),
    ]


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


def held_out_digits():
    """The notebook's test split: train_test_split(X, y, test_size=0.25, seed=0)."""
    X, y = load_digits()
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    return X_test, y_test


def _predict_reference(X):
    raise NotImplementedError("the reference for predict_digits is the notebook's own model")


EXERCISES = [
    FunctionExercise("accuracy", accuracy, _accuracy_cases, ratios=False,
                     variants={"argmax_axis": lambda s, y: float(np.mean(np.argmax(s) == y)),
                               "accuracy_count": lambda s, y: float(np.sum(np.argmax(s, axis=1) == y))}),
    FunctionExercise("confusion_matrix", confusion_matrix, _confusion_cases,
                     variants={"confusion_transposed": lambda t, p, c: confusion_matrix(p, t, c),
                               "fancy_index_add": _fancy_index_confusion}),
    AccuracyGoalExercise("predict_digits", _predict_reference, held_out_digits, goal=0.95, allowed=ANY_BPLIB),
]
