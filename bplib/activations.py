"""Activation functions and their derivatives.

Each elementwise activation ``f`` has a partner ``f_grad`` that returns df/dx evaluated at the
*input* x (not at the output f(x): mixing the two is a classic backprop bug). At a kink the
derivative takes the slope of the negative side, as PyTorch does: ``relu_grad(0) == 0``.

Inputs may be any shape; float32 stays float32, everything else is computed in float64.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_float_array


def sigmoid(x) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)), stable for any finite x.

    ``exp(-x)`` overflows for x below about -709 (float64), so both branches are written with
    ``exp(-|x|)``, which lies in (0, 1] and cannot overflow.
    """
    x = as_float_array(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def sigmoid_grad(x) -> np.ndarray:
    """Derivative of sigmoid at x: sigmoid(x) * (1 - sigmoid(x))."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x) -> np.ndarray:
    """Hyperbolic tangent (numpy's tanh is already stable: it saturates at ±1)."""
    return np.tanh(as_float_array(x))


def tanh_grad(x) -> np.ndarray:
    """Derivative of tanh at x: 1 - tanh(x)**2."""
    t = tanh(x)
    return 1 - t * t


def relu(x) -> np.ndarray:
    """Rectified linear unit max(x, 0)."""
    x = as_float_array(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_grad(x) -> np.ndarray:
    """Derivative of ReLU at x: 1 where x > 0, else 0 (0 at the kink, as in PyTorch)."""
    x = as_float_array(x)
    return (x > 0).astype(x.dtype)


def leaky_relu(x, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU: x where x > 0, alpha * x elsewhere, so negative inputs still pass a gradient."""
    x = as_float_array(x)
    return np.where(x > 0, x, alpha * x).astype(x.dtype, copy=False)


def leaky_relu_grad(x, alpha: float = 0.01) -> np.ndarray:
    """Derivative of leaky ReLU at x: 1 where x > 0, alpha elsewhere (alpha at the kink)."""
    x = as_float_array(x)
    return np.where(x > 0, 1.0, alpha).astype(x.dtype, copy=False)


def softmax(x, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: exp(x) / sum(exp(x)).

    Softmax does not change when a constant is subtracted from every entry, so we subtract the
    maximum: the largest exponent becomes exp(0) = 1 and nothing can overflow.

    Parameters
    ----------
    x : array_like, shape (N, C) typically
        Scores (logits); any shape works.
    axis : int
        The class axis, normalised to sum to one. Defaults to the last axis.
    """
    x = as_float_array(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis: int = -1) -> np.ndarray:
    """log(softmax(x)) computed without ever taking log(0): x - max - log(sum(exp(x - max)))."""
    x = as_float_array(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
