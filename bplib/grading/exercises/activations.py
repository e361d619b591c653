"""Exercises of 02-activation-functions: each activation and its derivative."""
from __future__ import annotations

import numpy as np

from ... import activations as ref
from ..exercise import Case, FunctionExercise
from ._inputs import elementwise_cases


def _cases(rng, hidden):
    return elementwise_cases(rng, hidden)


def _kink_cases(rng, hidden):
    return elementwise_cases(rng, hidden, with_zeros=True)


def _leaky_cases(rng, hidden):
    cases = elementwise_cases(rng, hidden, with_zeros=True)
    x = rng.standard_normal((4, 6))
    x[1, 1] = 0.0
    cases.append(Case("a random (4, 6) input with alpha=0.2", (x,), {"alpha": 0.2}))
    return cases


def _softmax_cases(rng, hidden):
    n, c = (6, 5) if hidden else (5, 4)
    square = rng.standard_normal((4, 4))
    return [
        Case(f"random ({n}, {c}) logits", (2 * rng.standard_normal((n, c)),)),
        Case("square (4, 4) logits, where a wrong axis cannot hide behind a shape error", (square,)),
        Case("logits as large as ±1e4", (np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1, 5.0]]),)),
        Case("random (3, 5) logits with axis=0", (rng.standard_normal((3, 5)),), {"axis": 0}),
        Case(f"float32 ({n}, {c}) logits", (rng.standard_normal((n, c)).astype(np.float32),), float32=True),
        Case("a single sample (1, 6)", (rng.standard_normal((1, 6)),)),
        Case("float32 logits as large as ±1e4", (np.array([[1e4, 0.0, -1e4], [5.0, -1e4, 1e4]], dtype=np.float32),),
             float32=True),
        Case("rows whose largest logits differ by more than 800",
             (np.array([[1000.0, 0.0, -5.0], [3.0, 1.0, -2.0], [-900.0, -1000.0, -950.0]]),)),
    ]


def _softmax_no_keepdims(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis)


def _softmax_normalised_globally(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / e.sum()


def _softmax_global_max(x, axis=-1):
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=axis, keepdims=True)


def _softmax_other_axis(x, axis=-1):
    other = 0 if axis in (-1, np.ndim(x) - 1) else -1
    e = np.exp(x - np.max(x, axis=other, keepdims=True))
    return e / np.sum(e, axis=other, keepdims=True)


EXERCISES = [
    FunctionExercise("sigmoid", ref.sigmoid, _cases, nonfinite_key="overflow_sigmoid"),
    FunctionExercise(
        "sigmoid_grad", ref.sigmoid_grad, _cases, nonfinite_key="overflow_sigmoid_grad",
        variants={"grad_of_activated": lambda x: ref.sigmoid_grad(ref.sigmoid(x)),
                  "derivative_of_the_input": lambda x: np.asarray(x) * (1 - np.asarray(x))},
    ),
    FunctionExercise(
        "tanh_grad", ref.tanh_grad, _cases,
        variants={"grad_of_activated": lambda x: ref.tanh_grad(ref.tanh(x)),
                  "tanh_grad_without_square": lambda x: 1 - ref.tanh(x),
                  "derivative_of_the_input": lambda x: 1 - np.asarray(x) ** 2},
    ),
    FunctionExercise("relu", ref.relu, _kink_cases,
                     variants={"relu_max_not_maximum": lambda x: np.max(x, 0)}),
    FunctionExercise(
        "relu_grad", ref.relu_grad, _kink_cases,
        variants={"relu_grad_at_zero": lambda x: (np.asarray(x) >= 0).astype(np.asarray(x).dtype)},
    ),
    FunctionExercise("leaky_relu", ref.leaky_relu, _leaky_cases,
                     variants={"leaky_slope_on_positive_side":
                                   lambda x, alpha=0.01: np.where(np.asarray(x) > 0, alpha * np.asarray(x), x),
                               "ignores_alpha": lambda x, alpha=0.01: ref.leaky_relu(x),
                               "leaky_as_relu": lambda x, alpha=0.01: ref.relu(x)}),
    FunctionExercise(
        "leaky_relu_grad", ref.leaky_relu_grad, _leaky_cases,
        variants={"relu_grad_at_zero": lambda x, alpha=0.01: np.where(np.asarray(x) >= 0, 1.0, alpha),
                  "leaky_slope_on_positive_side": lambda x, alpha=0.01: np.where(np.asarray(x) > 0, alpha, 1.0),
                  "ignores_alpha": lambda x, alpha=0.01: ref.leaky_relu_grad(x)},
    ),
    FunctionExercise(
        "softmax", ref.softmax, _softmax_cases, nonfinite_key="overflow_softmax",
        variants={"softmax_wrong_axis": _softmax_other_axis, "softmax_no_keepdims": _softmax_no_keepdims,
                  "softmax_global_max": _softmax_global_max,
                  "softmax_normalised_globally": lambda x, axis=-1: _softmax_normalised_globally(x)},
    ),
]
