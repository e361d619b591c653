"""Layers: each one a forward pass that caches what its backward pass needs.

The contract, as in PyTorch's autograd:
- ``forward(x)`` computes the output and remembers its inputs;
- ``backward(dout)`` receives d loss / d output, *adds* the parameters' gradients into their
  ``.grad`` (gradients accumulate until ``zero_grad``), and returns d loss / d input.

Shapes are batch-first: x is (N, D).

As in PyTorch, every layer has a mode: ``training`` is True until ``eval()`` (or ``train(False)``)
switches it off, and ``train()`` switches it back on. Only ``Dropout`` and ``BatchNorm1d``
behave differently in the two modes; ``bplib.network.fit`` trains in training mode and
``evaluate`` measures in evaluation mode.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import activations as F
from ._checks import FLOAT_DTYPES, RngLike, as_float_array, as_rng, require_ndim
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

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs in the order of ``parameters()``, as in PyTorch.

        A layer names its parameters by their ``name`` ("W", "b"), with an index when names
        repeat ("W[0]", "W[2]"); containers prefix their layers' names with their position
        ("0.W", "2.b"), so that every name in a network is distinct.
        """
        params = self.parameters()
        names = [p.name or f"param{i}" for i, p in enumerate(params)]
        if len(set(names)) < len(names):
            names = [f"{name}[{i}]" for i, name in enumerate(names)]
        return list(zip(names, params))

    def train(self, mode: bool = True) -> "Layer":
        """Switch to training mode (``mode=False``: evaluation mode); returns self, as in PyTorch.

        The mode matters for layers that behave differently while training: ``Dropout`` drops
        units only in training mode, ``BatchNorm1d`` normalises with the batch's statistics in
        training mode and with its running statistics in evaluation mode. Containers
        (``Sequential``, ``Residual``) pass the mode on to every layer inside them.
        """
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"training mode is expected to be a bool (True or False); got {mode!r}")
        self.training = bool(mode)
        return self

    def eval(self) -> "Layer":
        """Switch to evaluation mode: the same as ``train(False)``; returns self."""
        return self.train(False)

    def _cached(self, attr: str):
        value = getattr(self, attr, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before forward(): "
                               "there is nothing to differentiate yet")
        return value

    def _check_dout(self, dout, shape: tuple) -> np.ndarray:
        dout = as_float_array(dout, "dout")
        if dout.shape != shape:
            raise ValueError(f"{type(self).__name__}.backward expects dout of the output's shape {shape}; "
                             f"got {dout.shape}")
        return dout

    def _scratch(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """An array of this shape and dtype that the layer keeps under ``name``, for a large
        intermediate result: the next call overwrites it, so it is never handed to the caller.

        bplib's one helper for keeping memory between calls, used where benchmarks/ measured that
        it matters. A new array as large as a weight matrix at every step can cost more than computing it: the memory
        allocator may give the memory back to the operating system when the array is freed, and
        the next step pays a page fault for every 4 KB to get it again. For Dense's xᵀ dout (784 ×
        128 in benchmarks/bench_mlp.py, float64, batch 256) that was 62,000 page faults and 0.10 s
        of a 0.54 s epoch; Conv2d's im2col columns, kh·kw times the input, made a step up to twice
        as slow (benchmarks/README.md).
        """
        kept = self.__dict__.setdefault("_scratch_arrays", {})
        if name not in kept or kept[name].shape != shape or kept[name].dtype != dtype:
            kept[name] = np.empty(shape, dtype=dtype)
        return kept[name]


class Dense(Layer):
    """Fully connected layer: out = x @ W + b.

    Its backward pass, from dout = d loss / d out::

        dW = xᵀ dout        db = Σₙ dout        dx = dout Wᵀ

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
        Whether ``backward`` returns dx (the default). False suits the first layer of a network,
        whose input is the data: nothing uses d loss / d data, so ``backward`` returns None and
        skips the product dout Wᵀ, which costs as much as the forward pass. PyTorch skips it for
        the same reason: data tensors have requires_grad=False.

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
        self.W = Parameter(initializer(in_features, out_features, as_rng(rng), dtype), "W")
        self.b = Parameter(np.zeros(out_features, dtype=dtype), "b")
        self.input_grad = input_grad
        self._x: np.ndarray | None = None

    def forward(self, x) -> np.ndarray:
        """x: (N, D) -> out: (N, H), in the parameters' dtype."""
        x = as_float_array(x, "x")
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self!r} expects input of shape (N, {self.in_features}); got {x.shape}")
        x = x.astype(self.W.value.dtype, copy=False)
        self._x = x
        return x @ self.W.value + self.b.value

    def backward(self, dout) -> np.ndarray | None:
        """dout: (N, H) -> dx: (N, D), or None if ``input_grad`` is False; adds dW (D, H) and db (H,)."""
        x = self._cached("_x")
        dout = self._check_dout(dout, (x.shape[0], self.out_features)).astype(x.dtype, copy=False)
        self.W.grad += np.matmul(x.T, dout, out=self._scratch("xT_dout", self.W.value.shape, x.dtype))  # xᵀ dout
        self.b.grad += dout.sum(axis=0)
        return dout @ self.W.value.T if self.input_grad else None

    def parameters(self) -> list[Parameter]:
        return [self.W, self.b]

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})"


class _Elementwise(Layer):
    """An activation applied elementwise: out = f(x), and backward returns dx = dout · f'(x).

    Each subclass writes f as ``_f(x)`` and its derivative as ``_df(x, out)``. The derivative
    receives the output too, because some are cheapest written with it: σ' = σ(1 - σ) and
    tanh' = 1 - tanh² need no second exponential.
    """

    def forward(self, x) -> np.ndarray:
        """x: any shape -> out = f(x), same shape and dtype."""
        x = as_float_array(x, "x")
        out = self._f(x)
        self._x, self._out = x, out
        return out

    def backward(self, dout) -> np.ndarray:
        """dout: the output's shape -> dx = dout · f'(x), same shape."""
        x = self._cached("_x")
        return self._check_dout(dout, x.shape) * self._df(x, self._out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(_Elementwise):
    """σ(x) = 1 / (1 + e^{-x}); σ'(x) = σ(x)(1 - σ(x))."""

    def _f(self, x: np.ndarray) -> np.ndarray:
        return F.sigmoid(x)

    def _df(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return out * (1 - out)


class Tanh(_Elementwise):
    """tanh(x); tanh'(x) = 1 - tanh(x)²."""

    def _f(self, x: np.ndarray) -> np.ndarray:
        return F.tanh(x)

    def _df(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return 1 - out * out


class ReLU(_Elementwise):
    """max(x, 0); its derivative is 1 where x > 0, else 0: the gradient passes where x > 0."""

    def _f(self, x: np.ndarray) -> np.ndarray:
        return F.relu(x)

    def _df(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return F.relu_grad(x)


class LeakyReLU(_Elementwise):
    """x for x > 0, alpha·x otherwise; the derivative is 1 or alpha."""

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha

    def _f(self, x: np.ndarray) -> np.ndarray:
        return F.leaky_relu(x, self.alpha)

    def _df(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return F.leaky_relu_grad(x, self.alpha)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Identity(_Elementwise):
    """Passes x through unchanged; its derivative is 1, so dx is dout itself."""

    def _f(self, x: np.ndarray) -> np.ndarray:
        return x

    def _df(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.ones_like(x)


# ----------------------------------------------------------------------------- regularisation
# Layers whose forward pass depends on the mode: see Layer.train and Layer.eval.


class BatchNorm1d(Layer):
    """Batch normalisation over the batch axis, as ``torch.nn.BatchNorm1d`` on (N, D) input.

    In training mode each feature is normalised with the statistics of the batch itself::

        μ = mean_n x                  σ² = mean_n (x - μ)²      (the biased variance)
        x̂ = (x - μ) / √(σ² + eps)     out = γ x̂ + β

    and the running statistics, which evaluation mode uses instead of μ and σ², move towards
    the batch's ones (PyTorch's convention: ``momentum`` is the weight of the *new* value, and
    the variance stored is the unbiased one, σ² · N / (N - 1))::

        running_mean = (1 - momentum) · running_mean + momentum · μ
        running_var  = (1 - momentum) · running_var  + momentum · σ² · N / (N - 1)

    Backward in training mode must account for μ and σ² depending on every row of x; the
    chain rule through them collapses to (means over the batch)::

        dx = (γ / √(σ² + eps)) · (dout - mean_n dout - x̂ · mean_n (dout · x̂))

    In evaluation mode μ and σ² are constants, so the layer is affine and dx = γ dout / √(σ² + eps).
    Either way dγ = Σₙ dout · x̂ and dβ = Σₙ dout.

    Parameters
    ----------
    num_features : int
        D: the layer maps (N, D) to (N, D).
    eps : float
        Added to the variance before the square root, so that a constant feature gives x̂ = 0
        instead of 0 / 0.
    momentum : float in [0, 1], or None
        Weight of the batch's statistics in the running ones (PyTorch's convention, where
        0.1 keeps 90 % of the old value). None averages every batch seen so far equally
        (a cumulative average), as in PyTorch.

    Attributes
    ----------
    gamma : Parameter, shape (D,), initialised to ones
    beta : Parameter, shape (D,), initialised to zeros
    running_mean : np.ndarray, shape (D,), initialised to zeros
    running_var : np.ndarray, shape (D,), initialised to ones
        Buffers, not parameters: updated by forward passes in training mode, never by optimizers.
    num_batches_tracked : int
        Training-mode forward passes so far (used when momentum is None).

    Notes
    -----
    The computation runs in the input's dtype (float32 input gives float32 output); the
    parameters and running statistics are float64.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1) -> None:
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"num_features must be a positive int (D of the (N, D) input); got {num_features!r}")
        if not eps > 0:
            raise ValueError(f"eps must be positive, so that a constant feature is not divided by zero; got {eps!r}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError("momentum must be in [0, 1] (the weight of the new batch's statistics) or None; "
                             f"got {momentum!r}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.gamma = Parameter(np.ones(self.num_features), "gamma")
        self.beta = Parameter(np.zeros(self.num_features), "beta")
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)
        self.num_batches_tracked = 0
        self._xhat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None
        self._batch_stats = True  # whether the last forward used the batch's statistics

    def forward(self, x) -> np.ndarray:
        """x: (N, D) -> out: (N, D), in x's dtype; in training mode N must be at least 2."""
        x = as_float_array(x, "x")
        require_ndim(x, 2, f"the input of {self!r}", f"(N, {self.num_features})")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{self!r} expects input of shape (N, {self.num_features}); got {x.shape}")
        dtype = x.dtype
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    f"Expected more than 1 value per channel when training, got input of shape {x.shape}: "
                    f"{self!r} needs a batch of N >= 2 rows to compute a variance (or call .eval() first)"
                )
            mean = x.mean(axis=0)
            centred = x - mean
            var = np.mean(centred * centred, axis=0)  # two passes: never negative, unlike E[x²] - μ²
            inv_std = 1.0 / np.sqrt(var + self.eps)
            self._update_running_stats(mean, var, n)
        else:
            centred = x - self.running_mean.astype(dtype, copy=False)
            inv_std = 1.0 / np.sqrt(self.running_var.astype(dtype, copy=False) + self.eps)
        xhat = centred * inv_std
        self._xhat, self._inv_std, self._batch_stats = xhat, inv_std, self.training
        return self.gamma.value.astype(dtype, copy=False) * xhat + self.beta.value.astype(dtype, copy=False)

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        self.num_batches_tracked += 1
        m = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        self.running_mean *= 1 - m
        self.running_mean += m * mean
        self.running_var *= 1 - m
        self.running_var += m * (var * (n / (n - 1)))  # unbiased, as torch stores it

    def backward(self, dout) -> np.ndarray:
        """dout: (N, D) -> dx: (N, D); adds dgamma = Σₙ dout · x̂ (D,) and dbeta = Σₙ dout (D,)."""
        xhat = self._cached("_xhat")
        dout = self._check_dout(dout, xhat.shape).astype(xhat.dtype, copy=False)
        self.gamma.grad += np.sum(dout * xhat, axis=0)
        self.beta.grad += dout.sum(axis=0)
        scale = self.gamma.value.astype(xhat.dtype, copy=False) * self._inv_std  # γ / √(σ² + eps), (D,)
        if not self._batch_stats:
            return dout * scale
        return scale * (dout - dout.mean(axis=0) - xhat * np.mean(dout * xhat, axis=0))

    def parameters(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    def __repr__(self) -> str:
        return f"BatchNorm1d({self.num_features}, eps={self.eps:g}, momentum={self.momentum})"


class Dropout(Layer):
    """Inverted dropout, as ``torch.nn.Dropout``: zero each unit with probability p while training.

    In training mode each entry of x is kept with probability 1 - p and scaled by 1 / (1 - p),
    so that every unit's expected output equals its input and nothing needs rescaling at test
    time; in evaluation mode the layer is the identity::

        mask = (u >= p) / (1 - p),   u ~ Uniform[0, 1) drawn afresh at each forward pass
        out  = x · mask              dx = dout · mask   (the same mask)

    Parameters
    ----------
    p : float in [0, 1]
        Probability of zeroing a unit. p = 0 is the identity; p = 1 zeroes everything (the
        output is all zeros, with no division by 1 - p = 0), as in PyTorch.
    rng : None, int or np.random.Generator
        Source of randomness for the masks, stored as the generator ``self.rng``. An int seed
        makes the sequence of masks reproducible; a Generator is used (and advanced) as is; None
        (the default) draws new masks in every run.
    """

    def __init__(self, p: float = 0.5, rng: RngLike = None) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability p must be a number in [0, 1]; got {p!r}")
        self.p = float(p)
        self.rng = as_rng(rng)
        self._shape: tuple | None = None
        self._mask: np.ndarray | None = None  # None after an evaluation-mode (or p = 0) forward: the identity

    def forward(self, x) -> np.ndarray:
        """x: any shape, e.g. (N, D) -> out: the same shape and dtype."""
        x = as_float_array(x, "x")
        self._shape = x.shape
        if not self.training or self.p == 0:
            self._mask = None
            return x
        if self.p == 1:
            self._mask = np.zeros_like(x)
        else:
            keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p
            self._mask = np.multiply(keep, 1.0 / (1.0 - self.p), dtype=x.dtype)
        return x * self._mask

    def backward(self, dout) -> np.ndarray:
        """dout: shape of the output -> dx = dout · mask, with the mask of the last forward pass."""
        shape = self._cached("_shape")
        dout = self._check_dout(dout, shape)
        if self._mask is None:
            return dout
        return dout * self._mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Residual(Layer):
    """A skip connection around a layer: out = x + layer(x).

    The identity path hands the upstream gradient straight back, so however small the inner
    layer's gradient becomes, dx keeps a term equal to dout: this is why deep residual networks
    escape vanishing gradients::

        dx = dout + layer.backward(dout)

    Parameters
    ----------
    layer : Layer
        Maps (N, D) to (N, D): its output must have the input's shape, so that the sum exists.
        Any layer works, a ``Sequential`` block included.

    Attributes
    ----------
    layer : Layer
        The wrapped layer; ``parameters()``, ``train()`` and ``eval()`` reach it.
    """

    def __init__(self, layer: Layer) -> None:
        if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))):
            raise TypeError(f"Residual wraps a layer with forward and backward methods; got {type(layer).__name__}")
        self.layer = layer
        self._shape: tuple | None = None

    def forward(self, x) -> np.ndarray:
        """x: (N, D) -> out = x + layer(x): (N, D)."""
        x = as_float_array(x, "x")
        inner = self.layer.forward(x)
        if np.shape(inner) != x.shape:
            raise ValueError(
                f"{self!r}: the inner layer must return the input's shape {x.shape} so that x + layer(x) "
                f"is defined; got {np.shape(inner)}. Give it as many outputs as inputs."
            )
        self._shape = x.shape
        return x + inner

    def backward(self, dout) -> np.ndarray:
        """dout: (N, D) -> dx = dout + layer.backward(dout): (N, D).

        Returns None when the inner layer does (a first ``Dense`` with ``input_grad=False``):
        nothing needs d loss / d x then.
        """
        shape = self._cached("_shape")
        dout = self._check_dout(dout, shape)
        inner = self.layer.backward(dout)
        if inner is None:
            return None
        if np.shape(inner) != shape:
            raise ValueError(f"{self!r}: the inner layer's backward must return dx of the input's shape {shape}; "
                             f"got {np.shape(inner)}")
        return dout + inner

    def parameters(self) -> list[Parameter]:
        return self.layer.parameters()

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """The inner layer's, prefixed with "layer." as PyTorch names an attribute's ("layer.W")."""
        return [(f"layer.{name}", p) for name, p in _named_parameters(self.layer)]

    def train(self, mode: bool = True) -> "Residual":
        super().train(mode)
        self.layer.train(mode)
        return self

    def __repr__(self) -> str:
        return f"Residual({self.layer!r})"


def _named_parameters(layer) -> list[tuple[str, Parameter]]:
    """``layer.named_parameters()``, or names made from ``parameters()`` for objects without it."""
    if callable(getattr(layer, "named_parameters", None)):
        return list(layer.named_parameters())
    return Layer.named_parameters(layer)


from .conv import Conv2d, Flatten, MaxPool2d  # noqa: E402, F401  (re-exported: bplib.layers.Conv2d)
from .recurrent import LSTM, RNN  # noqa: E402, F401  (re-exported)
