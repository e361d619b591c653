"""Exercises of 07-gradient-checking-and-debugging: the relative error, and fixes of buggy
backward passes, each bug taken from the catalog of misconceptions."""
from __future__ import annotations

import numpy as np

from ...activations import sigmoid, softmax
from ...gradcheck import rel_error
from ..exercise import Case, FunctionExercise


def _rel_error_cases(rng, hidden):
    a = rng.standard_normal((4, 3))
    return [
        Case("two random (4, 3) arrays", (a, a + 1e-3 * rng.standard_normal((4, 3)))),
        Case("arrays with entries where both are 0", (np.array([0.0, 1.0, -2.0]), np.array([0.0, 1.1, -2.0]))),
        Case("identical arrays", (a, a.copy())),
        Case("a random (4, 3) array and its negative (a sign error)", (a, -a)),
    ]


def dense_backward(x, W, dout):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def _dense_cases(rng, hidden):
    n, d, h = (7, 5, 2) if hidden else (5, 4, 3)
    return [Case(f"x ({n}, {d}), W ({d}, {h}), dout ({n}, {h})",
                 (rng.standard_normal((n, d)), rng.standard_normal((d, h)), rng.standard_normal((n, h))), batch=n)]


def sigmoid_backward(out, dout):
    return dout * out * (1 - out)


def _sigmoid_cases(rng, hidden):
    out = sigmoid(2 * rng.standard_normal((5, 4)))
    return [Case("a cached output of shape (5, 4)", (out, rng.standard_normal((5, 4))))]


def _two_layer_grads(x, y, W1, b1, W2, b2, relu_slope):
    """The gradients of the two-layer network, with ReLU's slope given as relu_slope(h_pre)."""
    n = len(y)
    h_pre = x @ W1 + b1
    h = np.maximum(h_pre, 0)
    dscores = softmax(h @ W2 + b2)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dh = (dscores @ W2.T) * relu_slope(h_pre)
    return x.T @ dh, dh.sum(axis=0), h.T @ dscores, dscores.sum(axis=0)


def two_layer_backward(x, y, W1, b1, W2, b2):
    return _two_layer_grads(x, y, W1, b1, W2, b2, lambda h_pre: h_pre > 0)


def _two_layer_with_mask(relu_slope):
    """A wrong variant: the same network with another slope for ReLU."""
    return lambda x, y, W1, b1, W2, b2: _two_layer_grads(x, y, W1, b1, W2, b2, relu_slope)


_no_relu_derivative = _two_layer_with_mask(lambda h_pre: 1.0)


def _two_layer_cases(rng, hidden):
    n, d, h, c = (8, 3, 5, 4) if hidden else (6, 4, 5, 3)
    args = (rng.standard_normal((n, d)), rng.integers(0, c, n), rng.standard_normal((d, h)),
            0.1 * rng.standard_normal(h), rng.standard_normal((h, c)), 0.1 * rng.standard_normal(c))
    # A blank sample and biases with exact zeros put pre-activations exactly on ReLU's kink,
    # where the slope taken is 0 (h_pre > 0, as PyTorch): a mask h_pre >= 0 differs there.
    x, y, W1, b1, W2, b2 = (a.copy() for a in args)
    x[0], b1[::2] = 0.0, 0.0
    return [Case(f"N={n}, D={d}, H={h}, C={c}", args, batch=n),
            Case(f"N={n}, D={d}, H={h}, C={c}, with a blank sample and zero biases (pre-activations exactly 0)",
                 (x, y, W1, b1, W2, b2), batch=n)]


def l2_grads(x, dout, W, b, reg):
    return x.T @ dout + reg * W, dout.sum(axis=0)


def _l2_cases(rng, hidden):
    n, d, h = (7, 3, 2) if hidden else (5, 4, 3)
    args = (rng.standard_normal((n, d)), rng.standard_normal((n, h)), rng.standard_normal((d, h)),
            rng.standard_normal(h))
    return [Case("reg = 0.1", args + (0.1,), batch=n), Case("reg = 0 (no penalty)", args + (0.0,), batch=n)]


def _mean_rel_error(a, b):
    return float(np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


def _rel_error_abs_of_sum(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a + b), 1e-8)))


def _rel_error_max_denominator(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)))


EXERCISES = [
    FunctionExercise("rel_error", rel_error, _rel_error_cases, nonfinite_key="rel_error_zero_division",
                     variants={"rel_error_mean": _mean_rel_error, "rel_error_denominator": _rel_error_max_denominator,
                               "rel_error_abs_of_sum": _rel_error_abs_of_sum}),
    FunctionExercise("dense_backward", dense_backward, _dense_cases, outputs=("dx", "dW", "db"),
                     variants={"summed_over_everything":
                                   lambda x, W, dout: (dout @ W.T, x.T @ dout, np.full(dout.shape[1], dout.sum()))}),
    FunctionExercise("sigmoid_backward", sigmoid_backward, _sigmoid_cases,
                     variants={"grad_of_activated": lambda out, dout: dout * sigmoid(out) * (1 - sigmoid(out)),
                               "missing_local_derivative": lambda out, dout: dout,
                               "forgot_upstream": lambda out, dout: out * (1 - out)}),
    FunctionExercise("two_layer_backward", two_layer_backward, _two_layer_cases, outputs=("dW1", "db1", "dW2", "db2"),
                     variants={"missing_activation_derivative": _no_relu_derivative,
                               "relu_grad_at_zero": _two_layer_with_mask(lambda h_pre: h_pre >= 0)}),
    FunctionExercise("l2_grads", l2_grads, _l2_cases, outputs=("dW", "db"),
                     variants={"regularised_bias":
                                   lambda x, dout, W, b, reg: (x.T @ dout + reg * W, dout.sum(axis=0) + reg * b),
                               "regularisation_missing": lambda x, dout, W, b, reg: (x.T @ dout, dout.sum(axis=0)),
                               "regularisation_halved":
                                   lambda x, dout, W, b, reg: (x.T @ dout + reg * W / 2, dout.sum(axis=0)),
                               "l2_grad_doubled":
                                   lambda x, dout, W, b, reg: (x.T @ dout + 2 * reg * W, dout.sum(axis=0))}),
]
