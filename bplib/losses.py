"""Loss functions and their gradients, with mean reduction as in ``torch.nn.functional``.

Every ``<loss>_grad`` returns d loss / d (first argument), with the first argument's shape.
Because the loss is a *mean*, every gradient carries a factor 1/N (or 1/size for MSE):
forgetting it makes the gradient N times too large.

Three loss objects wrap them for training loops: ``loss = loss_fn(pred, target)`` returns a
float and remembers its inputs, and ``loss_fn.backward()`` returns d loss / d pred.

Two weight penalties, ``l2_penalty`` and ``l1_penalty``, return the term to add to the loss
and add its gradient into the weights' ``.grad`` themselves.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_float_array, require_finite, require_ndim, require_same_shape
from .activations import log_softmax, sigmoid, softmax

# PyTorch clamps log(p) at -100 in binary_cross_entropy so that p = 0 gives a large, finite loss.
_LOG_FLOOR = -100.0
# ...and keeps the gradient finite at p = 0 or 1 by bounding p(1 - p) below.
_BCE_GRAD_EPS = 1e-12


def _pair(pred, target, pred_name: str, target_name: str) -> tuple[np.ndarray, np.ndarray]:
    pred = as_float_array(pred, pred_name)
    target = as_float_array(target, target_name)
    require_same_shape(pred, target, pred_name, target_name)
    require_finite(pred, pred_name)
    require_finite(target, target_name)
    return pred, target.astype(pred.dtype, copy=False)


def mse(pred, target) -> float:
    """Mean squared error mean((pred - target)**2) over every element.

    Parameters
    ----------
    pred, target : array_like, same shape, e.g. (N, 1)
        Shapes must match exactly: (N,) against (N, 1) is refused rather than broadcast to (N, N).
    """
    pred, target = _pair(pred, target, "pred", "target")
    return float(np.mean((pred - target) ** 2))


def mse_grad(pred, target) -> np.ndarray:
    """d mse / d pred = 2 (pred - target) / pred.size, shape of pred."""
    pred, target = _pair(pred, target, "pred", "target")
    return 2.0 * (pred - target) / pred.size


def _check_probabilities(p: np.ndarray, name: str) -> None:
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"{name} must hold probabilities in [0, 1]; pass logits to the *_with_logits loss")


def _clamped_log(v: np.ndarray) -> np.ndarray:
    """log(v) bounded below by -100; log(0) is never evaluated, so no divide warning."""
    out = np.full_like(v, _LOG_FLOOR)
    np.log(v, out=out, where=v > 0)
    return np.maximum(out, _LOG_FLOOR)


def binary_cross_entropy(p, target) -> float:
    """Binary cross-entropy -mean(t log p + (1 - t) log(1 - p)) from probabilities.

    Parameters
    ----------
    p : array_like, shape (N,) or (N, 1)
        Predicted probabilities in [0, 1]. log(p) is clamped at -100 (as in PyTorch), so p = 0
        or 1 gives a large finite loss instead of inf.
    target : array_like, same shape as p
        Targets in [0, 1].
    """
    p, target = _pair(p, target, "p", "target")
    _check_probabilities(p, "p")
    return float(-np.mean(target * _clamped_log(p) + (1 - target) * _clamped_log(1 - p)))


def binary_cross_entropy_grad(p, target) -> np.ndarray:
    """d BCE / d p = (p - t) / (p (1 - p)) / N, with p(1 - p) bounded below to stay finite."""
    p, target = _pair(p, target, "p", "target")
    _check_probabilities(p, "p")
    return (p - target) / np.maximum(p * (1 - p), _BCE_GRAD_EPS) / p.size


def binary_cross_entropy_with_logits(z, target) -> float:
    """Binary cross-entropy computed from logits z, where p = sigmoid(z).

    Expanding -[t log σ(z) + (1 - t) log(1 - σ(z))] gives max(z, 0) - z t + log(1 + exp(-|z|)),
    which never exponentiates a positive number and so cannot overflow.

    Parameters
    ----------
    z : array_like, shape (N,) or (N, 1)
        Logits (any real numbers).
    target : array_like, same shape as z
        Targets in [0, 1].
    """
    z, target = _pair(z, target, "z", "target")
    return float(np.mean(np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))))


def binary_cross_entropy_with_logits_grad(z, target) -> np.ndarray:
    """d BCE / d z = (sigmoid(z) - t) / N: the sigmoid's derivative cancels the log's."""
    z, target = _pair(z, target, "z", "target")
    return (sigmoid(z) - target) / z.size


def _class_targets(logits, labels) -> tuple[np.ndarray, np.ndarray]:
    """Validate (logits, labels) and return logits and a (N, C) target distribution."""
    logits = as_float_array(logits, "logits")
    require_ndim(logits, 2, "logits", "(N, C)")
    require_finite(logits, "logits")
    n, c = logits.shape
    labels = np.asarray(labels)
    if labels.ndim == 1:
        if labels.dtype.kind not in "iu":
            raise ValueError(f"labels of shape (N,) must be integer class indices; got dtype {labels.dtype}")
        if labels.shape[0] != n:
            raise ValueError(f"labels must have shape (N,) = ({n},) to match logits {logits.shape}; got {labels.shape}")
        if n and (labels.min() < 0 or labels.max() >= c):
            raise ValueError(f"labels must be class indices in [0, {c - 1}] for logits of shape (N, {c})")
        targets = np.zeros_like(logits)
        targets[np.arange(n), labels] = 1
        return logits, targets
    targets = as_float_array(labels, "labels")
    if targets.shape != logits.shape:
        raise ValueError(
            f"labels must be class indices of shape (N,) = ({n},) or one-hot/probabilities of shape "
            f"(N, C) = {logits.shape}; got shape {targets.shape}"
        )
    require_finite(targets, "labels")
    return logits, targets.astype(logits.dtype, copy=False)


def softmax_cross_entropy(logits, labels) -> float:
    """Cross-entropy of softmax(logits) against labels, averaged over the batch.

    Computed as -mean_i sum_c y_ic log_softmax(z)_ic, where log_softmax uses the log-sum-exp
    shift, so no probability is ever rounded to 0 and then logged.

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Unnormalised class scores.
    labels : array_like, shape (N,) of ints in [0, C), or shape (N, C)
        Class indices, or one-hot / probability rows.
    """
    logits, targets = _class_targets(logits, labels)
    return float(-np.sum(targets * log_softmax(logits)) / logits.shape[0])


def softmax_cross_entropy_grad(logits, labels) -> np.ndarray:
    """d loss / d logits = (softmax(logits) - y) / N, shape (N, C)."""
    logits, targets = _class_targets(logits, labels)
    return (softmax(logits) - targets) / logits.shape[0]


class _Loss:
    """A loss that remembers its last inputs so that ``backward()`` needs no arguments."""

    _value: staticmethod  # loss(pred, target) -> float, set by each subclass
    _grad: staticmethod  # d loss / d pred

    def __init__(self) -> None:
        self._inputs: tuple | None = None

    def __call__(self, pred, target) -> float:
        loss = type(self)._value(pred, target)
        self._inputs = (pred, target)
        return loss

    def backward(self) -> np.ndarray:
        """Return d loss / d pred for the inputs of the last call."""
        if self._inputs is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before the loss was computed")
        return type(self)._grad(*self._inputs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MSELoss(_Loss):
    """Mean squared error: ``loss_fn(pred, target)``, then ``loss_fn.backward()``."""

    _value = staticmethod(mse)
    _grad = staticmethod(mse_grad)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (sigmoid built in), as ``torch.nn.BCEWithLogitsLoss``."""

    _value = staticmethod(binary_cross_entropy_with_logits)
    _grad = staticmethod(binary_cross_entropy_with_logits_grad)


class SoftmaxCrossEntropy(_Loss):
    """Softmax + cross-entropy on logits, as ``torch.nn.CrossEntropyLoss``.

    The same numbers as ``softmax_cross_entropy`` and ``softmax_cross_entropy_grad``, but the call
    computes the softmax once, for both: it keeps the probabilities p, and ``backward()`` returns
    (p - y) / N from them. The exponentials are this loss's costly part, in float64 above all.
    """

    def __init__(self) -> None:
        super().__init__()
        self._probs: np.ndarray | None = None
        self._targets: np.ndarray | None = None

    def __call__(self, logits, labels) -> float:
        """logits: (N, C); labels: (N,) class indices or (N, C) rows -> the mean cross-entropy."""
        logits, targets = _class_targets(logits, labels)
        shifted = logits - np.max(logits, axis=1, keepdims=True)  # largest score 0: exp cannot overflow
        exp = np.exp(shifted)
        sum_exp = np.sum(exp, axis=1, keepdims=True)
        log_probs = shifted - np.log(sum_exp)  # log softmax, without ever taking log(0)
        self._probs, self._targets = exp / sum_exp, targets
        return float(-np.sum(targets * log_probs) / logits.shape[0])

    def backward(self) -> np.ndarray:
        """d loss / d logits = (softmax(logits) - y) / N, shape (N, C), for the last call's inputs."""
        if self._probs is None:
            raise RuntimeError(f"{type(self).__name__}.backward() called before the loss was computed")
        return (self._probs - self._targets) / self._probs.shape[0]


# ----------------------------------------------------------------------------- weight penalties


def _penalised(params, reg, name: str) -> list:
    """Validate (params, reg) for a penalty: a list of objects with .value and .grad, and reg >= 0."""
    if hasattr(params, "value") and hasattr(params, "grad"):
        params = [params]  # a single Parameter
    params = list(params)
    for i, p in enumerate(params):
        if not (hasattr(p, "value") and hasattr(p, "grad")):
            raise ValueError(
                f"{name} expects an iterable of Parameters (e.g. [layer.W for layer in dense_layers]); "
                f"item {i} is a {type(p).__name__}"
            )
    if (isinstance(reg, bool) or not isinstance(reg, (int, float, np.integer, np.floating))
            or not (np.isfinite(reg) and reg >= 0)):
        raise ValueError(f"{name}: reg must be a finite number >= 0; got {reg!r}")
    return params


def l2_penalty(params, reg: float) -> float:
    """L2 penalty (weight decay) reg/2 · Σ w² over the weights; adds its gradient reg · w into each ``.grad``.

    Add the value to the loss and call this once per step, after ``model.backward`` and before
    ``optimizer.step`` (it *adds* to the gradients, so it must come after ``zero_grad``)::

        loss = loss_fn(model(xb), yb) + l2_penalty(weights, reg)

    The factor 1/2 makes the gradient exactly reg · w: the convention of PyTorch's
    ``weight_decay``, which folds reg · w into the gradient without computing the penalty.
    ``bplib.optim.SGD(..., weight_decay=reg)`` and ``Adam(..., weight_decay=reg)`` do the same,
    so use one or the other, not both: that would decay the weights twice as fast. This
    function also returns the penalty, so that the loss you report is the one minimised.

    Parameters
    ----------
    params : iterable of Parameter (or a single Parameter)
        The weights only, e.g. ``[layer.W for layer in model.layers if isinstance(layer, Dense)]``:
        penalising biases (or batch norm's gamma and beta) does not reduce overfitting, only
        shifts the fit. Unlike the optimizers' ``weight_decay``, which applies to every
        parameter it is given, this lets you choose.
    reg : float >= 0
        The strength λ.

    Returns
    -------
    float
        reg/2 · Σ over params of Σ w².
    """
    params = _penalised(params, reg, "l2_penalty")
    total = 0.0
    for p in params:
        total += float(np.sum(np.square(p.value, dtype=np.float64)))  # float64: squares of float32 can overflow
        p.grad += reg * p.value
    return 0.5 * reg * total


def l1_penalty(params, reg: float) -> float:
    """L1 penalty reg · Σ |w| over the weights; adds its gradient reg · sign(w) into each ``.grad``.

    Used like ``l2_penalty``. Its gradient has the same size reg for every non-zero weight,
    however small, so it pushes weights all the way to zero (sparse weights), where L2's reg · w
    only shrinks them. At w = 0, where |w| has no derivative, sign(0) = 0 is used, as PyTorch's
    ``abs`` backward does. The optimizers have no L1 option; this is the only way here.

    Parameters
    ----------
    params : iterable of Parameter (or a single Parameter)
        The weights only, not the biases (see ``l2_penalty``).
    reg : float >= 0
        The strength λ.

    Returns
    -------
    float
        reg · Σ over params of Σ |w|.
    """
    params = _penalised(params, reg, "l1_penalty")
    total = 0.0
    for p in params:
        total += float(np.sum(np.abs(p.value), dtype=np.float64))
        p.grad += reg * np.sign(p.value)
    return reg * total
