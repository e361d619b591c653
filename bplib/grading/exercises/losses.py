"""Exercises of 03-loss-functions: each loss and its gradient."""
from __future__ import annotations

import numpy as np

from ... import losses as ref
from ...activations import softmax
from ..exercise import Case, FunctionExercise

_BROADCAST_WHY = (
    "Misconception 7. pred of shape (N, 1) minus target of shape (N,) broadcasts to (N, N) and gives a "
    "finite but wrong loss. Compare pred.shape with target.shape and raise ValueError when they differ."
)


def _regression_cases(rng, hidden):
    n = 7 if hidden else 6
    cases = [
        Case(f"random predictions and targets of shape ({n}, 1)",
             (rng.standard_normal((n, 1)), rng.standard_normal((n, 1))), batch=n),
        Case("random (4, 3) predictions and targets", (rng.standard_normal((4, 3)), rng.standard_normal((4, 3))),
             batch=12),
        Case("a single sample (1, 1)", (rng.standard_normal((1, 1)), rng.standard_normal((1, 1)))),
        Case(f"float32 ({n}, 1) inputs",
             (rng.standard_normal((n, 1)).astype(np.float32), rng.standard_normal((n, 1)).astype(np.float32)),
             batch=n, float32=True),
        Case("pred of shape (5, 1) with target of shape (5,)", (rng.standard_normal((5, 1)), rng.standard_normal(5)),
             raises=_BROADCAST_WHY),
        # the same number of axes, and still a broadcast: comparing ndim is not enough
        Case("pred of shape (5, 1) with target of shape (1, 5)",
             (rng.standard_normal((5, 1)), rng.standard_normal((1, 5))), raises=_BROADCAST_WHY),
    ]
    if hidden:
        cases.append(Case("values as large as 1e4", (1e4 * rng.standard_normal((n, 1)), rng.standard_normal((n, 1))),
                          batch=n))
    return cases


def _probability_cases(rng, hidden, at_the_bounds=True):
    n = 7 if hidden else 6
    p = rng.uniform(0.05, 0.95, size=(n, 1))
    t = rng.integers(0, 2, size=(n, 1)).astype(np.float64)
    cases = [
        Case(f"random probabilities and 0/1 targets of shape ({n}, 1)", (p, t), batch=n),
        Case("soft targets in [0, 1]", (p, rng.uniform(size=(n, 1))), batch=n),
        Case(f"a 1-D input of shape ({n},)", (p.ravel(), t.ravel()), batch=n),
        Case("confident probabilities (1e-6 and 1 - 1e-6)",
             (np.array([[1e-6], [1 - 1e-6], [0.5]]), np.array([[0.0], [1.0], [1.0]])), batch=3),
    ]
    if at_the_bounds:  # the derivative is 0/0 at exactly 0 and 1, so only the loss is checked there
        confident = np.array([[0.0], [1.0], [0.3], [0.999]])
        cases.append(Case("probabilities of exactly 0 and 1, with matching targets",
                          (confident, np.array([[0.0], [1.0], [1.0], [1.0]])), batch=4))
    return cases


def _probability_grad_cases(rng, hidden):
    return _probability_cases(rng, hidden, at_the_bounds=False)


def _logit_cases(rng, hidden):
    n = 7 if hidden else 6
    z = 3 * rng.standard_normal((n, 1))
    t = rng.integers(0, 2, size=(n, 1)).astype(np.float64)
    big = np.array([[1e4], [-1e4], [800.0], [-800.0]])
    cases = [
        Case(f"random logits and 0/1 targets of shape ({n}, 1)", (z, t), batch=n),
        Case("logits as large as ±1e4", (big, np.array([[0.0], [1.0], [1.0], [0.0]])), batch=4),
        Case(f"float32 ({n}, 1) logits", (z.astype(np.float32), t.astype(np.float32)), batch=n, float32=True),
    ]
    if hidden:
        cases.append(Case("logits as large as ±1e4 with matching targets",
                          (big, np.array([[1.0], [0.0], [1.0], [0.0]])), batch=4))
    return cases


def _class_cases(rng, hidden):
    n, c = (7, 3) if hidden else (5, 4)
    return [
        Case(f"random ({n}, {c}) logits with integer labels",
             (2 * rng.standard_normal((n, c)), rng.integers(0, c, size=n)), batch=n),
        Case("logits as large as ±1e4",
             (np.array([[1e4, 0.0, -1e4, 5.0], [-1e4, 1e4, 0.0, 1.0], [0.0, -1e4, 1e4, -1e4]]), np.array([2, 1, 0])),
             batch=3),
        Case("a single sample (1, 6)", (rng.standard_normal((1, 6)), np.array([3])), batch=1),
        Case(f"float32 ({n}, {c}) logits", (rng.standard_normal((n, c)).astype(np.float32), rng.integers(0, c, size=n)),
             batch=n, float32=True),
        Case("rows whose largest logits differ by more than 800", (ROWS_FAR_APART, np.array([0, 2, 1])), batch=3),
    ]


# Shifting by one maximum for the whole array, instead of each row's, leaves the last row's
# exponentials all at 0 (they underflow): its softmax is then 0 / 0.
ROWS_FAR_APART = np.array([[1000.0, 0.0, -5.0, 2.0], [3.0, 1.0, -2.0, 0.5], [-900.0, -1000.0, -950.0, -905.0]])


def _global_max_log_softmax(z):
    shifted = np.asarray(z, dtype=np.float64) - np.max(z)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def _global_max_loss(z, y):
    return float(-np.mean(_global_max_log_softmax(z)[np.arange(len(y)), y]))


def _global_max_grad(z, y):
    p = np.exp(_global_max_log_softmax(z))
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def _elementwise_softmax_grad(logits, labels):
    """Misconception 13: the chain through p_i alone, p(1 - p) · (-y / p) / N."""
    p = softmax(logits)
    onehot = np.eye(p.shape[1])[labels]
    return -(onehot * (1 - p)) / p.shape[0]


EXERCISES = [
    FunctionExercise("mse", ref.mse, _regression_cases),
    FunctionExercise("mse_grad", ref.mse_grad, _regression_cases,
                     variants={"mean_over_rows_only": lambda p, t: 2 * (np.asarray(p) - t) / len(p)}),
    # Clipping p to [eps, 1 - eps] instead of clamping the log is fine: rtol leaves room for it.
    FunctionExercise("binary_cross_entropy", ref.binary_cross_entropy, _probability_cases, nonfinite_key="log_of_zero",
                     right_but_nonfinite_key="log_zero_on_the_way", rtol=1e-5,
                     variants={"bce_log_p_twice": lambda p, t: float(-np.mean(np.asarray(t) * np.log(p)
                                                                              + (1 - np.asarray(t)) * np.log(p)))}),
    FunctionExercise("binary_cross_entropy_grad", ref.binary_cross_entropy_grad, _probability_grad_cases, rtol=1e-5),
    FunctionExercise("binary_cross_entropy_with_logits", ref.binary_cross_entropy_with_logits, _logit_cases,
                     nonfinite_key="log_of_zero"),
    FunctionExercise("binary_cross_entropy_with_logits_grad", ref.binary_cross_entropy_with_logits_grad, _logit_cases,
                     nonfinite_key="overflow_sigmoid"),
    FunctionExercise("softmax_cross_entropy", ref.softmax_cross_entropy, _class_cases, nonfinite_key="log_of_zero",
                     right_but_nonfinite_key="log_zero_on_the_way",
                     variants={"mean_over_classes": lambda z, y: ref.softmax_cross_entropy(z, y) / np.shape(z)[1],
                               "softmax_global_max": _global_max_loss}),
    FunctionExercise("softmax_cross_entropy_grad", ref.softmax_cross_entropy_grad, _class_cases,
                     nonfinite_key="overflow_softmax",
                     variants={"softmax_elementwise_grad": _elementwise_softmax_grad,
                               "mean_over_classes": lambda z, y: ref.softmax_cross_entropy_grad(z, y) / np.shape(z)[1],
                               "softmax_global_max": _global_max_grad}),
]
