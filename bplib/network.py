"""Networks built from layers, and a training loop written the way PyTorch users write theirs."""
from __future__ import annotations

import numpy as np

from ._checks import RngLike, as_rng
from .layers import Layer, Parameter, _named_parameters
from .losses import BCEWithLogitsLoss, SoftmaxCrossEntropy
from .metrics import accuracy


class Sequential(Layer):
    """Layers applied one after another.

    ``forward`` runs them in order; ``backward`` runs their backward passes in reverse order,
    handing each layer the gradient that the layer after it returned: that is the chain rule.
    """

    def __init__(self, *layers: Layer) -> None:
        self.layers = list(layers)

    def forward(self, x) -> np.ndarray:
        """x: (N, D) -> output of the last layer."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout) -> np.ndarray:
        """dout: d loss / d output -> d loss / d input; parameter gradients accumulate on the way."""
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs, each name prefixed with its layer's index: "0.W", "0.b", "2.W"."""
        return [(f"{i}.{name}", p) for i, layer in enumerate(self.layers) for name, p in _named_parameters(layer)]

    def train(self, mode: bool = True) -> "Sequential":
        """Put every layer (and the layers inside them) in training mode, or evaluation mode if
        ``mode`` is False; returns self."""
        super().train(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> "Sequential":
        """Put every layer in evaluation mode: ``train(False)``; returns self."""
        return self.train(False)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"


def _has_accuracy(loss_fn) -> bool:
    return isinstance(loss_fn, (SoftmaxCrossEntropy, BCEWithLogitsLoss))


def evaluate(model: Layer, loss_fn, X, y) -> dict[str, float]:
    """Loss (and accuracy, for classification losses) of ``model`` on (X, y), in eval mode."""
    was_training = model.training
    model.eval()
    try:
        scores = model.forward(X)
    finally:
        if was_training:
            model.train()
    result = {"loss": loss_fn(scores, y)}
    if _has_accuracy(loss_fn):
        result["accuracy"] = accuracy(scores, y)
    return result


def fit(
    model: Layer,
    loss_fn,
    optimizer,
    X,
    y,
    epochs: int = 10,
    batch_size: int = 32,
    validation: tuple | None = None,
    rng: RngLike = 0,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Train ``model`` with mini-batches and return its history.

    Each step is the PyTorch loop::

        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        model.backward(loss_fn.backward())
        optimizer.step()

    The steps run in training mode (``model.train()``: dropout drops, batch norm uses batch
    statistics) and validation in evaluation mode, through ``evaluate``; afterwards the model
    is back in the mode it had before the call, as with ``evaluate``.

    Parameters
    ----------
    model : Layer, e.g. a Sequential
    loss_fn : MSELoss, BCEWithLogitsLoss or SoftmaxCrossEntropy
    optimizer : an optimizer from ``bplib.optim`` built on ``model.parameters()``
    X : array, shape (N, D)
    y : array, shape (N,) labels or (N, K) targets
    epochs, batch_size : int
    validation : (X_val, y_val), optional
        Evaluated after each epoch into "val_loss" (and "val_accuracy").
    rng : None, int or np.random.Generator
        Shuffles the batches, anew in every epoch; the default 0 gives the same batches on
        every call.
    progress : bool
        Show a tqdm progress bar over the epochs.

    Returns
    -------
    dict
        "loss" (mean training loss per epoch), and "accuracy", "val_loss", "val_accuracy" where
        they apply: one value per epoch.
    """
    from tqdm.auto import tqdm

    from .data import minibatches

    rng = as_rng(rng)
    history: dict[str, list[float]] = {"loss": []}
    epochs_bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    was_training = model.training
    try:
        for _ in epochs_bar:
            model.train()  # evaluate() below switches to evaluation mode and back
            total, count, correct = 0.0, 0, 0.0
            for xb, yb in minibatches(X, y, batch_size, shuffle=True, rng=rng):
                optimizer.zero_grad()
                scores = model(xb)
                loss = loss_fn(scores, yb)
                model.backward(loss_fn.backward())
                optimizer.step()
                total += loss * len(xb)
                count += len(xb)
                if _has_accuracy(loss_fn):
                    correct += accuracy(scores, yb) * len(xb)
            history["loss"].append(total / count)
            if _has_accuracy(loss_fn):
                history.setdefault("accuracy", []).append(correct / count)
            if validation is not None:
                for key, value in evaluate(model, loss_fn, *validation).items():
                    history.setdefault(f"val_{key}", []).append(value)
            epochs_bar.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.items()})
    finally:
        model.train() if was_training else model.eval()  # the mode it came in, as evaluate does
    return history


def gradient_norms(model: Layer) -> dict[str, float]:
    """The L2 norm ‖grad‖ of each parameter's gradient, to spot vanishing or exploding gradients.

    Call it after ``model.backward`` (and before ``optimizer.zero_grad``). In a deep sigmoid
    network the norms of the first layers are orders of magnitude below the last layers':
    those layers barely learn. ``bplib.plot.plot_gradient_norms`` draws the result.

    Parameters
    ----------
    model : Layer, e.g. a Sequential
        Anything with ``parameters()``.

    Returns
    -------
    dict
        ``name -> norm`` (a float), in the order of ``model.parameters()``. The names are those
        of ``model.named_parameters()``: layer index, then the parameter's name ("0.W", "0.b",
        "2.W"; "1.layer.0.W" inside a Residual at index 1), as PyTorch's ``named_parameters``.
    """
    named = _named_parameters(model)
    names = [name for name, _ in named]
    if len(set(names)) < len(names):  # a container whose names collide: make them distinct
        names = [f"{name}[{i}]" for i, name in enumerate(names)]
    # Summed in float64, as clip_grad_norm does: float32 squares of large gradients can overflow.
    return {name: float(np.sqrt(np.sum(np.square(p.grad, dtype=np.float64)))) for name, (_, p) in zip(names, named)}


class EarlyStopping:
    """Stop training once the validation loss has not improved for ``patience`` epochs.

    Call ``step`` once per epoch with that epoch's validation loss; it returns True when
    training should stop. An epoch counts as an improvement only when its loss is below the
    best so far by more than ``min_delta`` (a tie is no improvement), and every improvement
    starts the count of bad epochs again. Keep the weights of ``best_epoch``: the later ones
    have started to overfit. This is the rule of Keras' ``EarlyStopping(patience, min_delta)``.

    Parameters
    ----------
    patience : int >= 1
        How many epochs in a row without improvement end training.
    min_delta : float >= 0
        How much lower than the best loss a loss must be to count as an improvement.

    Attributes
    ----------
    best_loss : float
        The lowest validation loss so far (inf before the first step).
    best_epoch : int
        Its epoch, counting ``step`` calls from 0 (-1 before the first step).
    bad_epochs : int
        Epochs since the last improvement.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0) -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
            raise ValueError(f"patience must be an int >= 1 (epochs without improvement); got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"min_delta must be a number >= 0; got {min_delta!r}")
        self.patience, self.min_delta = int(patience), float(min_delta)
        self.best_loss, self.best_epoch, self.bad_epochs = np.inf, -1, 0
        self._epoch = -1

    def step(self, val_loss: float) -> bool:
        """Record one epoch's validation loss; True when training should stop."""
        self._epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad_epochs = float(val_loss), self._epoch, 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta})"
