"""Optimizers with the update equations and defaults of ``torch.optim``.

Usage is PyTorch's::

    optimizer = Adam(model.parameters(), lr=1e-3)
    for xb, yb in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        model.backward(loss_fn.backward())
        optimizer.step()

Every update is written in place into buffers allocated once, in the parameter's own dtype:
a training step allocates no new arrays and float32 training stays in float32. Each ``step``
shows its equation in the docstring; the code is that equation with ``out=`` arguments.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from .layers import Parameter


class Optimizer:
    """Holds the parameters; subclasses implement ``step``."""

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty parameter list")
        if lr < 0:
            raise ValueError(f"lr must be non-negative; got {lr}")
        self.lr = lr
        # One scratch array per parameter, so that steps reuse memory instead of allocating.
        self._scratch = [np.empty_like(p.value) for p in self.params]
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (gradients otherwise accumulate)."""
        for p in self.params:
            p.grad.fill(0)

    def _zeros(self) -> list[np.ndarray]:
        return [np.zeros_like(p.value) for p in self.params]

    def _grad(self, p: Parameter, i: int, weight_decay: float) -> np.ndarray:
        """g = grad + weight_decay · value (L2 penalty folded into the gradient, as torch does)."""
        if not weight_decay:
            return p.grad
        g = np.multiply(p.value, weight_decay, out=self._scratch[i])
        g += p.grad
        return g

    def step(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum and weight decay.

    ``torch.optim.SGD`` with dampening 0::

        g = grad + weight_decay · w
        b = g                      on the first step
        b = momentum · b + g       afterwards
        g = g + momentum · b       if nesterov, else g = b
        w = w - lr · g
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum requires momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        self._velocity = self._zeros() if momentum else []

    def step(self) -> None:
        for i, p in enumerate(self.params):
            g = self._grad(p, i, self.weight_decay)
            if self.momentum:
                b = self._velocity[i]
                if self.steps == 0:
                    b[...] = g
                else:
                    b *= self.momentum
                    b += g
                if self.nesterov:
                    g = np.add(g, self.momentum * b, out=self._scratch[i])
                else:
                    g = b
            p.value -= np.multiply(g, self.lr, out=self._scratch[i])
        self.steps += 1


class AdaGrad(Optimizer):
    """AdaGrad: each weight's step shrinks with the sum of its squared gradients.

    ``torch.optim.Adagrad``::

        s = s + g²
        w = w - lr · g / (√s + eps)
    """

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-10) -> None:
        super().__init__(params, lr)
        self.eps = eps
        self._sum_sq = self._zeros()

    def step(self) -> None:
        for p, s, tmp in zip(self.params, self._sum_sq, self._scratch):
            s += np.multiply(p.grad, p.grad, out=tmp)
            denom = np.sqrt(s, out=tmp)
            denom += self.eps
            update = np.divide(p.grad, denom, out=tmp)
            update *= self.lr
            p.value -= update
        self.steps += 1


class RMSProp(Optimizer):
    """RMSProp: divide by a running root-mean-square of recent gradients.

    ``torch.optim.RMSprop``::

        v = alpha · v + (1 - alpha) · g²
        w = w - lr · g / (√v + eps)
    """

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        self.alpha, self.eps = alpha, eps
        self._mean_sq = self._zeros()

    def step(self) -> None:
        for p, v, tmp in zip(self.params, self._mean_sq, self._scratch):
            v *= self.alpha
            sq = np.multiply(p.grad, p.grad, out=tmp)
            sq *= 1 - self.alpha
            v += sq
            denom = np.sqrt(v, out=tmp)
            denom += self.eps
            update = np.divide(p.grad, denom, out=tmp)
            update *= self.lr
            p.value -= update
        self.steps += 1


class Adam(Optimizer):
    """Adam: momentum on the gradient and RMSProp's scaling, both bias-corrected.

    ``torch.optim.Adam`` (weight decay as an L2 term in g), at step t = 1, 2, ...::

        g = grad + weight_decay · w
        m = β1 · m + (1 - β1) · g
        v = β2 · v + (1 - β2) · g²
        w = w - lr / (1 - β1ᵗ) · m / (√v / √(1 - β2ᵗ) + eps)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self._m, self._v = self._zeros(), self._zeros()
        self._tmp = self._zeros()

    def step(self) -> None:
        beta1, beta2 = self.betas
        t = self.steps + 1
        step_size = self.lr / (1 - beta1**t)
        # math.sqrt gives a Python float; np.sqrt would give an np.float64 scalar, and dividing a
        # float32 array by that runs the division in float64 (several times slower).
        sqrt_bias2 = math.sqrt(1 - beta2**t)
        for i, (p, m, v, tmp) in enumerate(zip(self.params, self._m, self._v, self._tmp)):
            g = self._grad(p, i, self.weight_decay)
            m *= beta1
            m += np.multiply(g, 1 - beta1, out=tmp)
            v *= beta2
            sq = np.multiply(g, g, out=tmp)
            sq *= 1 - beta2
            v += sq
            denom = np.sqrt(v, out=tmp)
            denom /= sqrt_bias2
            denom += self.eps
            update = np.divide(m, denom, out=tmp)
            update *= step_size
            p.value -= update
        self.steps = t


def clip_grad_norm(params: Iterable[Parameter], max_norm: float) -> float:
    """Rescale gradients in place so that their joint L2 norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: the norm is taken over all gradients together,
    and they are multiplied by max_norm / (norm + 1e-6) when that factor is below 1.

    Returns
    -------
    float
        The total norm before clipping (useful for spotting exploding gradients).
    """
    params = list(params)
    total = float(np.sqrt(sum(float(np.sum(p.grad.astype(np.float64) ** 2)) for p in params)))
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for p in params:
            p.grad *= scale
    return total
