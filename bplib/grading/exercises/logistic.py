"""Exercises of 05-logistic-regression."""
from __future__ import annotations

import numpy as np

from ...activations import sigmoid
from ..exercise import Case, FunctionExercise


def predict_proba(X, w, b):
    return sigmoid(X @ w + b)


def logistic_grad(X, y, w, b):
    error = predict_proba(X, w, b) - y
    return X.T @ error / len(y), float(np.mean(error))


def train_logistic(X, y, lr=0.1, epochs=100):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        dw, db = logistic_grad(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b


def _data(rng, n, d):
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n) > 0).astype(np.float64)
    return X, y


def _proba_cases(rng, hidden):
    n, d = (9, 4) if hidden else (7, 3)
    X, _ = _data(rng, n, d)
    return [
        Case(f"random X of shape ({n}, {d})", (X, rng.standard_normal(d), 0.3)),
        Case("scores as large as ±1e4", (np.array([[1e4, 0.0], [-1e4, 1.0], [0.0, 0.0]]), np.array([1.0, 0.0]), 0.0)),
        Case("a single sample, X of shape (1, 2)", (np.array([[0.5, -1.0]]), np.array([2.0, 1.0]), -0.25)),
    ]


def _grad_cases(rng, hidden):
    n, d = (9, 4) if hidden else (7, 3)
    X, y = _data(rng, n, d)
    X2, y2 = _data(rng, 12, 2)
    return [
        Case(f"random X of shape ({n}, {d})", (X, y, rng.standard_normal(d), 0.1), batch=n),
        Case("random X of shape (12, 2), at w = 0", (X2, y2, np.zeros(2), 0.0), batch=12),
    ]


def _with_sigmoid_derivative(X, y, w, b):
    p = predict_proba(X, w, b)
    error = (p - y) * p * (1 - p)
    return X.T @ error / len(y), float(np.mean(error))


def _mse_on_sigmoid(X, y, w, b):
    p = predict_proba(X, w, b)
    error = 2 * (p - y) * p * (1 - p)
    return X.T @ error / len(y), float(np.mean(error))


def _train_without_bias(X, y, lr=0.1, epochs=100):
    w = np.zeros(X.shape[1])
    for _ in range(epochs):
        w = w - lr * logistic_grad(X, y, w, 0.0)[0]
    return w, 0.0


def _train_cases(rng, hidden):
    X, y = _data(rng, 20 if not hidden else 25, 2)
    # Another number of features: a loop that sizes w from a notebook variable fails here.
    X3, y3 = _data(rng, 15 if not hidden else 11, 3 if not hidden else 4)
    return [
        Case("20 samples, lr = 0.5, 30 epochs" if not hidden else "25 samples, lr = 0.5, 30 epochs", (X, y),
             {"lr": 0.5, "epochs": 30}),
        Case("lr = 0.1, 5 epochs", (X, y), {"lr": 0.1, "epochs": 5}),
        Case(f"{len(X3)} samples with {X3.shape[1]} features, lr = 0.3, 8 epochs", (X3, y3), {"lr": 0.3, "epochs": 8}),
    ]


def _train_ascent(X, y, lr=0.1, epochs=100):
    return train_logistic(X, y, -lr, epochs)


EXERCISES = [
    FunctionExercise("predict_proba", predict_proba, _proba_cases, nonfinite_key="overflow_sigmoid",
                     variants={"bias_missing": lambda X, w, b: sigmoid(X @ w),
                               "bias_after_sigmoid": lambda X, w, b: sigmoid(X @ w) + b}),
    FunctionExercise("logistic_grad", logistic_grad, _grad_cases, outputs=("dw", "db"),
                     variants={"bce_sigmoid_cancel": _with_sigmoid_derivative, "mse_on_sigmoid": _mse_on_sigmoid,
                               "bias_missing": lambda X, y, w, b: logistic_grad(X, y, w, 0.0),
                               "divided_by_features": lambda X, y, w, b: (
                                   X.T @ (predict_proba(X, w, b) - y) / X.shape[1],
                                   float(np.mean(predict_proba(X, w, b) - y)))}),
    FunctionExercise("train_logistic", train_logistic, _train_cases, outputs=("w", "b"),
                     depends_on=("logistic_grad",),
                     variants={"ascent": _train_ascent, "bias_not_updated": _train_without_bias,
                               "wrong_step_count":
                                   lambda X, y, lr=0.1, epochs=100: train_logistic(X, y, lr, epochs + 1),
                               "one_step_short":
                                   lambda X, y, lr=0.1, epochs=100: train_logistic(X, y, lr, epochs - 1)}),
]
