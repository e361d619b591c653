"""Optimizers with the update equations and defaults of ``torch.optim``.

Usage is PyTorch's::

    optimizer = Adam(model.parameters(), lr=1e-3)
    for xb, yb in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        model.backward(loss_fn.backward())
        optimizer.step()

Each ``step`` is the equation of its docstring, written with numpy's operators. What an
optimizer remembers between steps lives where PyTorch keeps it, in ``optimizer.state``: one
dict per parameter, holding arrays of the parameter's shape and dtype under torch's names
(``state[p]["momentum_buffer"]`` for SGD, ``"sum"`` for AdaGrad, ``"square_avg"`` for RMSProp,
``"exp_avg"`` and ``"exp_avg_sq"`` for Adam). A step overwrites those arrays in place
(``m[...] = ...``, or ``b *= ...`` in SGD, the benchmarked one): writing ``m = ...`` would only
rebind a local name, and the next step would start again from the old array. Python floats
times float32 arrays stay float32, so float32 training stays float32 throughout.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .layers import Parameter


class Optimizer:
    """Holds the parameters and what the optimizer remembers about them; subclasses implement ``step``.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train, each with ``.value`` and ``.grad`` of the same shape; the same
        Parameter may appear only once.
    lr : float >= 0
        The learning rate.

    Attributes
    ----------
    params : list of Parameter
    lr : float
        Read at every step, so a schedule may change it between steps.
    state : dict[Parameter, dict[str, np.ndarray]]
        ``state[p]``: the arrays kept for parameter p between steps (its shape and dtype), named
        as in ``torch.optim``; created with the optimizer, full of zeros, and updated in place.
        Empty dicts for an optimizer without memory (SGD without momentum).
    steps : int
        Steps taken so far (Adam's t in its bias corrections).
    """

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty parameter list")
        if len({id(p) for p in self.params}) < len(self.params):
            raise ValueError("the optimizer got the same Parameter twice: it would update it twice per step")
        if lr < 0:
            raise ValueError(f"lr must be non-negative; got {lr}")
        self.lr = lr
        self.state: dict[Parameter, dict[str, np.ndarray]] = {p: {} for p in self.params}
        self.steps = 0

    def _zero_state(self, *names: str) -> None:
        """Give every parameter p a ``state[p][name]`` of zeros, of p's shape and dtype, for each name."""
        for p, state in self.state.items():
            for name in names:
                state[name] = np.zeros_like(p.value)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (gradients otherwise accumulate)."""
        for p in self.params:
            p.grad.fill(0)

    def step(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum and weight decay.

    ``torch.optim.SGD`` with dampening 0, b = ``state[p]["momentum_buffer"]``::

        g = grad + weight_decay · w
        b = momentum · b + g          (b starts at 0, so the first step gives b = g, as in torch)
        g = g + momentum · b          if nesterov, else g = b
        w = w - lr · g

    Without momentum the state is empty and the step is w = w - lr · g.
    """

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum requires momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        if momentum:
            self._zero_state("momentum_buffer")

    def step(self) -> None:
        for p in self.params:
            g = p.grad + self.weight_decay * p.value if self.weight_decay else p.grad
            if self.momentum:
                b = self.state[p]["momentum_buffer"]
                b *= self.momentum  # b = momentum · b + g, in two in-place steps: the one-line form
                b += g              # makes a temporary as large as the weights (see benchmarks/README.md)
                g = g + self.momentum * b if self.nesterov else b
            p.value -= self.lr * g
        self.steps += 1


class AdaGrad(Optimizer):
    """AdaGrad: each weight's step shrinks with the sum of its squared gradients.

    ``torch.optim.Adagrad``, s = ``state[p]["sum"]``::

        s = s + g²
        w = w - lr · g / (√s + eps)
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 0.01, eps: float = 1e-10) -> None:
        super().__init__(params, lr)
        self.eps = eps
        self._zero_state("sum")

    def step(self) -> None:
        for p in self.params:
            s = self.state[p]["sum"]
            s[...] = s + p.grad**2
            p.value -= self.lr * p.grad / (np.sqrt(s) + self.eps)
        self.steps += 1


class RMSProp(Optimizer):
    """RMSProp: divide by a running root-mean-square of recent gradients.

    ``torch.optim.RMSprop``, v = ``state[p]["square_avg"]``::

        v = alpha · v + (1 - alpha) · g²
        w = w - lr · g / (√v + eps)
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        self.alpha, self.eps = alpha, eps
        self._zero_state("square_avg")

    def step(self) -> None:
        for p in self.params:
            v = self.state[p]["square_avg"]
            v[...] = self.alpha * v + (1 - self.alpha) * p.grad**2
            p.value -= self.lr * p.grad / (np.sqrt(v) + self.eps)
        self.steps += 1


class Adam(Optimizer):
    """Adam: momentum on the gradient and RMSProp's scaling, both bias-corrected.

    ``torch.optim.Adam`` (weight decay as an L2 term in g), m = ``state[p]["exp_avg"]`` and
    v = ``state[p]["exp_avg_sq"]``, at step t = 1, 2, ...::

        g = grad + weight_decay · w
        m = β1 · m + (1 - β1) · g
        v = β2 · v + (1 - β2) · g²
        m̂ = m / (1 - β1ᵗ)
        v̂ = v / (1 - β2ᵗ)            (m and v start at 0; the corrections undo that pull towards 0)
        w = w - lr · m̂ / (√v̂ + eps)
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self._zero_state("exp_avg", "exp_avg_sq")

    def step(self) -> None:
        beta1, beta2 = self.betas
        t = self.steps + 1
        for p in self.params:
            g = p.grad + self.weight_decay * p.value if self.weight_decay else p.grad
            m, v = self.state[p]["exp_avg"], self.state[p]["exp_avg_sq"]
            m[...] = beta1 * m + (1 - beta1) * g
            v[...] = beta2 * v + (1 - beta2) * g**2
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            p.value -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
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
