"""Exercises of 06-backprop-in-a-network: layers with forward/backward, and Sequential.backward."""
from __future__ import annotations

import numpy as np

from ... import _checks, activations, init, layers
from ...layers import Dense, Layer, Parameter, ReLU, Sigmoid
from ...network import Sequential
from ..stateful import LayerExercise, SequentialExercise

# Students subclass Layer and store Parameters; those, and the layers that Sequential chains,
# are handed out, so using them is allowed.
_HANDED_OUT = (Layer, Parameter, _checks)
_LAYERS = (layers, _checks, activations, init)


def _dense(cls, seed, d, h):
    return cls(d, h, rng=np.random.default_rng(seed))


def _activation(cls, seed, d, h):
    return cls()


def _sigmoid_of_output(x, dout, ref):
    s = activations.sigmoid(activations.sigmoid(x))
    return dout * s * (1 - s)


def _sigmoid_slope(x):
    s = activations.sigmoid(x)
    return s * (1 - s)


def _layers(seed, d, h, c):
    return [Dense(d, h, rng=seed), ReLU(), Dense(h, h + 1, rng=seed + 1), Sigmoid(), Dense(h + 1, c, rng=seed + 2)]


EXERCISES = [
    LayerExercise("Dense", Dense, _dense, params=("W", "b"), allowed=_HANDED_OUT,
                  forward_variants={"bias_missing_in_forward": lambda x, ref: x @ ref.W.value},
                  grad_variants={"b": {"summed_over_everything":
                                           lambda x, dout, ref: np.full(dout.shape[1], dout.sum()),
                                       "bias_grad_missing": lambda x, dout, ref: np.zeros(dout.shape[1])}}),
    LayerExercise("ReLU", ReLU, _activation, allowed=_HANDED_OUT, kinks=True,
                  variants={"missing_local_derivative": lambda x, dout, ref: dout,
                            "relu_grad_at_zero": lambda x, dout, ref: dout * (x >= 0),
                            "forgot_upstream": lambda x, dout, ref: (x > 0).astype(float)}),
    LayerExercise("Sigmoid", Sigmoid, _activation, allowed=_HANDED_OUT, large_inputs=True,
                  variants={"grad_of_activated": _sigmoid_of_output,
                            "missing_local_derivative": lambda x, dout, ref: dout,
                            "forgot_upstream": lambda x, dout, ref: _sigmoid_slope(x),
                            "derivative_of_the_input": lambda x, dout, ref: dout * x * (1 - x)}),
    SequentialExercise("Sequential", Sequential, _layers, allowed=_LAYERS + (Layer,)),
]
