"""Exercises of 04-gradient-descent."""
from __future__ import annotations

import numpy as np

from ...data import minibatches
from ..exercise import Case, FunctionExercise
from ..stateful import MinibatchExercise


def linear_regression_grad(X, y, w, b):
    residual = X @ w + b - y
    return 2 * X.T @ residual / len(y), float(2 * np.mean(residual))


def _regression_cases(rng, hidden):
    cases = []
    # N / D is never 2 (dividing by D would look like a lost factor 2) and never 1.
    for n, d in ((8, 3), (11, 2)) if hidden else ((9, 4), (5, 3)):
        X, y, w = rng.standard_normal((n, d)), rng.standard_normal(n), rng.standard_normal(d)
        cases.append(Case(f"random X of shape ({n}, {d})", (X, y, w, float(rng.standard_normal())), batch=n))
    one = (rng.standard_normal((1, 4)), rng.standard_normal(1), rng.standard_normal(4), 0.5)
    cases.append(Case("a single sample, X of shape (1, 4)", one, batch=1))
    return cases


def gradient_descent(grad_fn, w0, lr, steps):
    trajectory = [np.array(w0, dtype=np.float64)]
    for _ in range(steps):
        trajectory.append(trajectory[-1] - lr * grad_fn(trajectory[-1]))
    return np.array(trajectory)


class _Quadratic:
    """The gradient A w - c of 0.5 wᵀAw - cᵀw (a named class: messages can describe it)."""

    def __init__(self, A, c):
        self.A, self.c = A, c

    def __call__(self, w):
        return self.A @ w - self.c


def _descent_cases(rng, hidden):
    bowl = _Quadratic(np.array([[3.0, 0.5], [0.5, 1.0]]), np.array([1.0, -2.0]))
    M = rng.standard_normal((3, 3))
    steep = _Quadratic(M @ M.T + np.eye(3), rng.standard_normal(3))
    cases = [
        Case("a 2-D quadratic bowl, lr = 0.1, 20 steps", (bowl, rng.standard_normal(2), 0.1, 20)),
        Case("a 3-D quadratic, lr = 0.05, 15 steps", (steep, rng.standard_normal(3), 0.05, 15)),
        Case("zero steps", (bowl, rng.standard_normal(2), 0.1, 0)),
    ]
    if hidden:
        cases.append(Case("a learning rate too large to converge, 8 steps", (bowl, rng.standard_normal(2), 0.9, 8)))
    return cases


def _ascent(grad_fn, w0, lr, steps):
    return gradient_descent(grad_fn, w0, -lr, steps)


def _aliased(grad_fn, w0, lr, steps):
    """Every row the same array, updated in place: all rows equal the last point."""
    final = gradient_descent(grad_fn, w0, lr, steps)[-1]
    return np.tile(final, (steps + 1, 1))


EXERCISES = [
    FunctionExercise("linear_regression_grad", linear_regression_grad, _regression_cases, outputs=("dw", "db")),
    FunctionExercise("gradient_descent", gradient_descent, _descent_cases,
                     variants={"ascent": _ascent, "trajectory_aliased": _aliased,
                               "trajectory_missing_start": lambda *args: gradient_descent(*args)[1:],
                               "one_step_short":
                                   lambda f, w0, lr, steps: gradient_descent(f, w0, lr, max(steps - 1, 0)),
                               "one_step_too_many": lambda f, w0, lr, steps: gradient_descent(f, w0, lr, steps + 1)}),
    MinibatchExercise("minibatches", minibatches),
]
