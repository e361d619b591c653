"""Layers: each one a forward pass that caches what its backward pass needs.

The contract, as in PyTorch's autograd:
- ``forward(x)`` computes the output and remembers its inputs;
- ``backward(dout)`` receives d loss / d output, *adds* the parameters' gradients into their
  ``.grad`` (gradients accumulate until ``zero_grad``), and returns d loss / d input.

Shapes are batch-first: x is (N, D).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import activations as F
from ._checks import FLOAT_DTYPES, as_float_array
from .init import INITIALIZERS


class Parameter:
    """A trainable array and the gradient accumulated for it.

    Attributes
    ----------
    value : np.ndarray
        The parameter itself; optimizers update it in place.
    grad : np.ndarray
        d loss / d value, same shape and dtype, zero until a backward pass adds into it.
    name : str
        A label for reports such as gradient checks ("W", "b").
    """

    def __init__(self, value, name: str = "") -> None:
        self.value = as_float_array(value, "value").copy()
        self.grad = np.zeros_like(self.value)
        self.name = name

    def zero_grad(self) -> None:
        """Reset the gradient to zero, in place so that references to it stay valid."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(name={self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


class Layer:
    """Base class: subclasses implement ``forward`` and ``backward``."""

    training: bool = True

    def __call__(self, x) -> np.ndarray:
        return self.forward(x)

    def forward(self, x) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout) -> np.ndarray:
        raise NotImplementedError

    def parameters(self) -> list[Parameter]:
        """The layer's trainable parameters (none by default)."""
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self) -> "Layer":
        """Switch to training mode (matters for layers such as dropout)."""
        self.training = True
        return self

    def eval(self) -> "Layer":
        """Switch to evaluation mode."""
        self.training = False
        return self

    def _cached(self, attr: str):
        value = getattr(self, attr, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward(): there is nothing to differentiate yet")
        return value

    def _check_dout(self, dout, shape: tuple) -> np.ndarray:
        dout = as_float_array(dout, "dout")
        if dout.shape != shape:
            raise ValueError(f"{type(self).__name__}.backward expects dout of the output's shape {shape}; got {dout.shape}")
        return dout


class Dense(Layer):
    """Fully connected layer: out = x @ W + b.

    Parameters
    ----------
    in_features, out_features : int
        D and H: the layer maps (N, D) to (N, H).
    rng : None, int or np.random.Generator
        Source of randomness for the initial weights.
    init : str or callable
        "he" (default, for ReLU), "xavier" (for tanh/sigmoid), "zeros", or any
        ``f(fan_in, fan_out, rng, dtype)`` from ``bplib.init``.
    dtype : np.float64 or np.float32
        Dtype of the parameters; inputs are converted to it.
    input_grad : bool
        Whether ``backward`` computes and returns d loss / d x (the default). Pass False for the
        first layer of a network, whose input is the data: nothing uses d loss / d data, and
        skipping it saves a matrix product as large as the forward pass (PyTorch skips it too,
        because data tensors have requires_grad=False). ``backward`` then returns None.

    Attributes
    ----------
    W : Parameter, shape (D, H)
    b : Parameter, shape (H,), initialised to zero
    """

    def __init__(self, in_features: int, out_features: int, rng=None, init: str | Callable = "he", dtype=np.float64,
                 input_grad: bool = True) -> None:
        if np.dtype(dtype) not in FLOAT_DTYPES:
            raise ValueError(f"dtype must be float32 or float64; got {np.dtype(dtype)}")
        initializer = INITIALIZERS[init] if isinstance(init, str) else init
        self.in_features, self.out_features = in_features, out_features
        self.W = Parameter(initializer(in_features, out_features, np.random.default_rng(rng), dtype), "W")
        self.b = Parameter(np.zeros(out_features, dtype=dtype), "b")
        self.input_grad = input_grad
        self._x: np.ndarray | None = None
        # Room for xᵀ dout, reused by every backward pass. A fresh (D, H) array at every step is
        # slow when it is large: the allocator may give the memory back to the OS after each
        # step, and getting it again costs a page fault for every 4 KB.
        self._dW = np.empty_like(self.W.value)

    def forward(self, x) -> np.ndarray:
        """x: (N, D) -> out: (N, H)."""
        x = as_float_array(x, "x")
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self!r} expects input of shape (N, {self.in_features}); got {x.shape}")
        x = x.astype(self.W.value.dtype, copy=False)
        self._x = x
        return x @ self.W.value + self.b.value

    def backward(self, dout) -> np.ndarray:
        """dout: (N, H) -> dx: (N, D); adds dW = xᵀ dout (D, H) and db = Σₙ dout (H,).

        Returns None instead of dx when the layer was built with ``input_grad=False``.
        """
        x = self._cached("_x")
        dout = self._check_dout(dout, (x.shape[0], self.out_features)).astype(x.dtype, copy=False)
        self.W.grad += np.matmul(x.T, dout, out=self._dW)
        self.b.grad += dout.sum(axis=0)
        if not self.input_grad:
            return None  # see input_grad above: dout @ Wᵀ would cost as much as the forward pass
        return dout @ self.W.value.T

    def parameters(self) -> list[Parameter]:
        return [self.W, self.b]

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})"


class _Elementwise(Layer):
    """An activation applied elementwise; backward multiplies dout by f'(x)."""

    def forward(self, x) -> np.ndarray:
        x = as_float_array(x, "x")
        self._x = x
        return self._f(x)

    def backward(self, dout) -> np.ndarray:
        x = self._cached("_x")
        return self._check_dout(dout, x.shape) * self._f_grad(x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(_Elementwise):
    """σ(x) = 1 / (1 + e^{-x}); backward uses σ'(x) = σ(x)(1 - σ(x)), from the cached output."""

    def forward(self, x) -> np.ndarray:
        self._out = F.sigmoid(x)
        return self._out

    def backward(self, dout) -> np.ndarray:
        out = self._cached("_out")
        return self._check_dout(dout, out.shape) * out * (1 - out)


class Tanh(_Elementwise):
    """tanh(x); backward uses tanh'(x) = 1 - tanh(x)², from the cached output."""

    def forward(self, x) -> np.ndarray:
        self._out = F.tanh(x)
        return self._out

    def backward(self, dout) -> np.ndarray:
        out = self._cached("_out")
        return self._check_dout(dout, out.shape) * (1 - out * out)


class ReLU(_Elementwise):
    """max(x, 0); backward lets the gradient through where x > 0."""

    _f = staticmethod(F.relu)
    _f_grad = staticmethod(F.relu_grad)


class LeakyReLU(_Elementwise):
    """x for x > 0, alpha·x otherwise."""

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha

    def _f(self, x):
        return F.leaky_relu(x, self.alpha)

    def _f_grad(self, x):
        return F.leaky_relu_grad(x, self.alpha)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Identity(_Elementwise):
    """Passes x through unchanged; its gradient is dout itself."""

    def _f(self, x):
        return x

    def _f_grad(self, x):
        return np.ones_like(x)
