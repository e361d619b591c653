"""Numerical gradient checking: the test every backward pass must pass.

The centred difference (f(x + h) - f(x - h)) / 2h has error O(h²), against O(h) for the
one-sided difference; with h ≈ 1e-6 in float64 the truncation and round-off errors balance
near 1e-10. In float32 round-off alone is ~1e-4 relative, so always check in float64.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._checks import RngLike, as_rng


def _centred_differences(f: Callable, x: np.ndarray, eps: float, difference: Callable) -> np.ndarray:
    """Perturb x one entry at a time; entry ix of the result is difference(f(x+h), f(x-h)) / 2h.

    Each f(x) is copied at once: f may return x itself (or a view of it), which the next
    perturbation would otherwise change.
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise ValueError("x must be a float ndarray (float64 recommended); "
                         f"got {type(x).__name__} {getattr(x, 'dtype', '')}")
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        original = x[ix]
        x[ix] = original + eps
        f_plus = np.array(f(x), dtype=np.float64)
        x[ix] = original - eps
        f_minus = np.array(f(x), dtype=np.float64)
        x[ix] = original  # restore exactly, not by adding eps back (that can round)
        grad[ix] = difference(f_plus, f_minus) / (2 * eps)
    return grad


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d x by centred differences, one entry at a time.

    Parameters
    ----------
    f : callable
        Maps an array shaped like x to a float. It is called with x itself, perturbed in place
        one entry at a time, so it may read x or a closure over it.
    x : np.ndarray, any shape, float
        The point. Every entry is restored to its exact original value afterwards.
    eps : float
        The step h.

    Returns
    -------
    np.ndarray, same shape as x
    """
    return _centred_differences(f, x, eps, lambda f_plus, f_minus: float(f_plus - f_minus))


def numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray,
                             eps: float = 1e-5) -> np.ndarray:
    """d sum(f(x) * dout) / d x by centred differences, for an array-valued f.

    The same as ``numerical_gradient(lambda x: np.sum(f(x) * dout), x)``, but the difference
    f(x + h) - f(x - h) is taken elementwise *before* summing, which keeps round-off from
    large entries out of small ones. Use this one to check a layer's backward pass.

    Parameters
    ----------
    f : callable
        Maps x to an array shaped like ``dout``.
    x : np.ndarray, float
        The point; restored exactly afterwards.
    dout : np.ndarray, shape of f(x)
        The upstream gradient.
    """
    return _centred_differences(f, x, eps, lambda f_plus, f_minus: np.sum((f_plus - f_minus) * dout))


def rel_error(a, b) -> float:
    """Largest elementwise relative error |a - b| / max(|a| + |b|, 1e-8).

    The floor keeps entries where both gradients are ~0 from dividing by zero. Below 1e-7 the
    gradients agree; around 1e-2 or above something is wrong.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs two arrays of the same shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


def check_layer(layer, x, rng: RngLike = 0, eps: float = 1e-5) -> dict[str, float]:
    """Compare a layer's backward pass with numerical gradients.

    The scalar checked is sum(layer(x) * dout) for a random upstream gradient ``dout``: its
    gradient with respect to the output is exactly dout, so backward(dout) must return its
    gradient with respect to x (and add it for each parameter). A random dout, unlike all ones,
    exposes mistakes that happen to cancel when every entry is equal.

    Parameters
    ----------
    layer : Layer
        Anything with forward, backward and parameters().
    x : np.ndarray, shape (N, D), float64
    rng : None, int or np.random.Generator
        Source of the upstream gradient; the default 0 gives the same one on every call.

    Returns
    -------
    dict
        Relative error per tensor: "x", then each parameter by its name ("W", "b"; with an
        index, "W[0]", when names repeat).
        Parameter gradients are left as they were before the call.
    """
    x = np.array(x, dtype=np.float64)
    dout = as_rng(rng).standard_normal(np.shape(layer.forward(x)))
    params = layer.parameters()
    saved = [p.grad.copy() for p in params]
    for p in params:
        p.zero_grad()
    layer.forward(x)
    dx = layer.backward(dout)
    analytic = [p.grad.copy() for p in params]
    for p, g in zip(params, saved):
        p.grad[...] = g

    def output(_: np.ndarray) -> np.ndarray:
        return layer.forward(x)

    names = [p.name or f"param{i}" for i, p in enumerate(params)]
    if len(set(names)) < len(names):  # e.g. several Dense layers in a Sequential, each with a "W"
        names = [f"{name}[{i}]" for i, name in enumerate(names)]
    errors = {"x": rel_error(dx, numerical_gradient_array(output, x, dout, eps))}
    for name, p, grad in zip(names, params, analytic):
        errors[name] = rel_error(grad, numerical_gradient_array(output, p.value, dout, eps))
    return errors
