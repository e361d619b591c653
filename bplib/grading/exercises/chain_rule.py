"""Exercises of 01-derivatives-and-the-chain-rule."""
from __future__ import annotations

import numpy as np

from ...autograd import Value
from ..exercise import Case, FunctionExercise


def centred_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def _difference_cases(rng, hidden):
    points = rng.uniform(-1.5, 1.5, size=4)
    cases = [
        Case(f"f = sin at x = {points[0]:.3f}", (np.sin, float(points[0]))),
        Case(f"f = exp at x = {points[1]:.3f} with h = 1e-3", (np.exp, float(points[1])), {"h": 1e-3}),
        Case(f"f(x) = x**3 at x = {points[2]:.3f} with h = 1e-2", (_cube, float(points[2])), {"h": 1e-2}),
        Case("f = tanh at x = 0 with h = 1e-4", (np.tanh, 0.0), {"h": 1e-4}),
    ]
    if hidden:
        cases.append(Case(f"f = cos at x = {points[3]:.3f} with h = 1e-3", (np.cos, float(points[3])), {"h": 1e-3}))
    return cases


def _cube(x):
    return x**3


def _forward_difference(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


def neuron_gradients(w, x, b, t):
    """dL/dw and dL/db for L = (sigmoid(w·x + b) - t)², by reverse mode on Values."""
    w_, b_ = Value(w), Value(b)
    loss = ((w_ * x + b_).sigmoid() - t) ** 2
    loss.backward()
    return w_.grad, b_.grad


def _neuron_with_activated_derivative(w, x, b, t):
    """Misconception 5: σ′ evaluated at a = σ(z) instead of z."""
    def sig(z):
        return 1 / (1 + np.exp(-z))

    a = sig(w * x + b)
    delta = 2 * (a - t) * sig(a) * (1 - sig(a))
    return delta * x, delta


def _neuron_cases(rng, hidden):
    draws = rng.uniform(-2, 2, size=(6, 4))
    count = 6 if hidden else 4
    return [Case(f"w = {w:.2f}, x = {x:.2f}, b = {b:.2f}, t = {t:.2f}", (float(w), float(x), float(b), float(t)))
            for w, x, b, t in draws[:count]]


def mul_backward(a, b, dout):
    return dout * b, dout * a


def _mul_cases(rng, hidden):
    shape = (4, 3) if hidden else (3, 5)
    a, b, dout = (rng.standard_normal(shape) for _ in range(3))
    same = rng.standard_normal(shape)
    return [
        # no 2, 1/2 or -1 among them: a wrong answer must not look like a factor 2 or a sign
        Case("scalars a = 1.7, b = -3 with dout = 1.3", (1.7, -3.0, 1.3)),
        Case(f"random {shape} arrays", (a, b, dout)),
        Case("the same array as both inputs (out = a·a)", (same, same, dout)),
    ]


EXERCISES = [
    FunctionExercise("centred_difference", centred_difference, _difference_cases, rtol=1e-9, atol=1e-12,
                     variants={"forward_difference": _forward_difference,
                               "ignores_h": lambda f, x, h=1e-5: centred_difference(f, x)}),
    # Tight: a hand-derived formula agrees with reverse mode to ~1e-16, while a finite
    # difference (which would skip the derivation) is off by ~1e-10.
    FunctionExercise("neuron_gradients", neuron_gradients, _neuron_cases, outputs=("dL_dw", "dL_db"),
                     rtol=1e-11, atol=1e-14,
                     variants={"grad_of_activated": _neuron_with_activated_derivative}),
    FunctionExercise("mul_backward", mul_backward, _mul_cases, outputs=("da", "db"),
                     variants={"local_grad_swapped": lambda a, b, dout: (dout * a, dout * b),
                               "forgot_upstream": lambda a, b, dout: (b, a)}),
]
