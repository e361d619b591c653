"""Exercises of 13-recurrent-networks: the RNN step forward and backward, BPTT, the LSTM step.

The inputs separate the mistakes: a square Wh (H, H) that is not symmetric, so Wh and Whᵀ
give different numbers where the shapes cannot tell them apart; gates that are neither
saturated nor alike, so a permuted gate order shows; a sequence whose loss reads every step
and one whose loss reads only the last (where BPTT without the gradient from the next step
gives nothing at all to the earlier steps); and gradients arriving at both h and c.
"""
from __future__ import annotations

import numpy as np

from ... import _checks, activations, recurrent
from ...activations import sigmoid
from ..exercise import Case, FunctionExercise

_SIGMOID = (activations, _checks)  # bplib's sigmoid and tanh (notebook 02) may be used

# ---------------------------------------------------------------- the RNN step


def _rnn_inputs(rng, n, d, h):
    x, h_prev = rng.standard_normal((n, d)), rng.standard_normal((n, h)) * 0.8
    Wx, Wh, b = rng.standard_normal((d, h)) * 0.6, rng.standard_normal((h, h)) * 0.6, rng.standard_normal(h) * 0.5
    return x, h_prev, Wx, Wh, b


def _step_sizes(hidden):
    return [(4, 2, 6), (1, 3, 5)] if hidden else [(3, 4, 5), (1, 2, 3)]


def _step_forward_cases(rng, hidden):
    return [Case(f"x of shape {(n, d)}, h_prev of shape {(n, h)}, Wx {(d, h)}, Wh {(h, h)}, b {(h,)}",
                 _rnn_inputs(rng, n, d, h), batch=n) for n, d, h in _step_sizes(hidden)]


_STEP_FORWARD_VARIANTS = {
    "rnn_sigmoid_not_tanh": lambda x, hp, Wx, Wh, b: sigmoid(x @ Wx + hp @ Wh + b),
    "rnn_wh_transposed": lambda x, hp, Wx, Wh, b: np.tanh(x @ Wx + hp @ Wh.T + b),
    "rnn_previous_state_ignored": lambda x, hp, Wx, Wh, b: np.tanh(x @ Wx + b),
    "rnn_bias_missing": lambda x, hp, Wx, Wh, b: np.tanh(x @ Wx + hp @ Wh),
    "rnn_no_tanh": lambda x, hp, Wx, Wh, b: x @ Wx + hp @ Wh + b,
}


def _step_backward_cases(rng, hidden):
    cases = []
    for n, d, h in _step_sizes(hidden):
        x, h_prev, Wx, Wh, b = _rnn_inputs(rng, n, d, h)
        state = recurrent.rnn_step_forward(x, h_prev, Wx, Wh, b)
        cases.append(Case(f"x of shape {(n, d)}, h of shape {(n, h)}, a random dh",
                          (rng.standard_normal((n, h)), x, h_prev, state, Wx, Wh), batch=n))
    return cases


def _rnn_step_grads(dh, x, h_prev, h, Wx, Wh, tanh_grad=None, dh_prev_with=None, dWh_transposed=False):
    da = dh * (tanh_grad(h) if tanh_grad else 1 - h**2)
    dWh = da.T @ h_prev if dWh_transposed else h_prev.T @ da
    return da @ Wx.T, da @ (dh_prev_with(Wh) if dh_prev_with else Wh.T), x.T @ da, dWh, da.sum(axis=0)


_STEP_BACKWARD_VARIANTS = {
    "rnn_tanh_grad_of_state": lambda *a: _rnn_step_grads(*a, tanh_grad=lambda h: 1 - np.tanh(h) ** 2),
    "rnn_tanh_grad_no_square": lambda *a: _rnn_step_grads(*a, tanh_grad=lambda h: 1 - h),
    "rnn_tanh_grad_missing": lambda *a: _rnn_step_grads(*a, tanh_grad=np.ones_like),
    "rnn_dh_prev_not_transposed": lambda *a: _rnn_step_grads(*a, dh_prev_with=lambda Wh: Wh),
    "rnn_dWh_transposed": lambda *a: _rnn_step_grads(*a, dWh_transposed=True),
}

# ---------------------------------------------------------------- BPTT


def _bptt_cases(rng, hidden):
    n, t, d, h = (2, 6, 3, 4) if hidden else (3, 5, 2, 4)
    cases = []
    for loss_on in ("every step", "the last step only"):
        x = rng.standard_normal((n, t, d))
        h0 = rng.standard_normal((n, h)) * 0.5
        Wx, Wh, b = rng.standard_normal((d, h)) * 0.6, rng.standard_normal((h, h)) * 0.5, rng.standard_normal(h) * 0.3
        hs, state = np.empty((n, t, h)), h0
        for step in range(t):
            state = hs[:, step] = recurrent.rnn_step_forward(x[:, step], state, Wx, Wh, b)
        dhs = rng.standard_normal((n, t, h))
        if loss_on != "every step":
            dhs[:, :-1] = 0.0
        cases.append(Case(f"a sequence x of shape {(n, t, d)}, H = {h}, with a loss on {loss_on}",
                          (dhs, x, hs, h0, Wx, Wh), batch=n))
    return cases


def _bptt(dhs, x, hs, h0, Wx, Wh, carry=True, accumulate=True, wrap_h_prev=False, forward_order=False):
    """BPTT with the usual mistakes switched on: (dx, dh0, dWx, dWh, db)."""
    N, T, _ = x.shape
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in (range(T) if forward_order else reversed(range(T))):
        h_prev = hs[:, t - 1] if t > 0 or wrap_h_prev else h0
        da = (dhs[:, t] + (dh_next if carry else 0)) * (1 - hs[:, t] ** 2)
        grads = (x[:, t].T @ da, h_prev.T @ da, da.sum(axis=0))
        if accumulate:
            dWx, dWh, db = dWx + grads[0], dWh + grads[1], db + grads[2]
        else:
            dWx, dWh, db = grads
        dx[:, t] = da @ Wx.T
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


_BPTT_VARIANTS = {
    "bptt_next_step_dropped": lambda *a: _bptt(*a, carry=False),
    "bptt_weights_not_accumulated": lambda *a: _bptt(*a, accumulate=False),
    "bptt_h_prev_wraps_around": lambda *a: _bptt(*a, wrap_h_prev=True),
    "bptt_forward_order": lambda *a: _bptt(*a, forward_order=True),
}

# ---------------------------------------------------------------- the LSTM step

_ORDERS = {"ifgo": (0, 1, 2, 3), "ifog": (0, 1, 3, 2), "igfo": (0, 2, 1, 3)}  # where i, f, g, o sit among the 4 blocks


def _lstm(x, h_prev, c_prev, Wx, Wh, b, order="ifgo", g_sigmoid=False, forget=True, h_tanh=True):
    """The LSTM step's forward with the usual mistakes switched on; returns (h, c) and the gates."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    block = [a[:, k * H:(k + 1) * H] for k in _ORDERS[order]]
    i, f, o = sigmoid(block[0]), sigmoid(block[1]), sigmoid(block[3])
    g = sigmoid(block[2]) if g_sigmoid else np.tanh(block[2])
    c = (f * c_prev if forget else 0) + i * g
    h = o * np.tanh(c) if h_tanh else o * c
    return (h, c), (i, f, g, o, c)


def _lstm_inputs(rng, n, d, h):
    x, h_prev, c_prev = rng.standard_normal((n, d)), rng.standard_normal((n, h)) * 0.8, rng.standard_normal((n, h))
    Wx, Wh = rng.standard_normal((d, 4 * h)) * 0.5, rng.standard_normal((h, 4 * h)) * 0.5
    b = rng.standard_normal(4 * h) * 0.5
    return x, h_prev, c_prev, Wx, Wh, b


def _lstm_sizes(hidden):
    return [(2, 3, 5), (1, 4, 2)] if hidden else [(3, 5, 4), (1, 2, 3)]


def _lstm_forward_cases(rng, hidden):
    return [Case(f"x of shape {(n, d)}, h_prev and c_prev of shape {(n, h)}, Wx {(d, 4 * h)}, Wh {(h, 4 * h)}",
                 _lstm_inputs(rng, n, d, h), batch=n) for n, d, h in _lstm_sizes(hidden)]


_LSTM_FORWARD_VARIANTS = {
    "lstm_gates_ifog": lambda *a: _lstm(*a, order="ifog")[0],
    "lstm_gates_igfo": lambda *a: _lstm(*a, order="igfo")[0],
    "lstm_g_sigmoid": lambda *a: _lstm(*a, g_sigmoid=True)[0],
    "lstm_forget_path_missing": lambda *a: _lstm(*a, forget=False)[0],
    "lstm_h_without_tanh": lambda *a: _lstm(*a, h_tanh=False)[0],
}


def _lstm_backward_cases(rng, hidden):
    cases = []
    for n, d, h in _lstm_sizes(hidden):
        inputs = _lstm_inputs(rng, n, d, h)
        dh, dc = rng.standard_normal((n, h)), rng.standard_normal((n, h))
        cases.append(Case(f"x of shape {(n, d)}, H = {h}, random dh and dc", (dh, dc) + inputs, batch=n))
    return cases


def _lstm_grads(dh, dc, x, h_prev, c_prev, Wx, Wh, b, order="ifgo", incoming_dc=True, times_f=True,
                tanh_grad_of_c=False, h_path=True):
    """The LSTM step's backward with the usual mistakes switched on."""
    _, (i, f, g, o, c) = _lstm(x, h_prev, c_prev, Wx, Wh, b, order=order)
    tanh_c = np.tanh(c)
    slope = 1 - c**2 if tanh_grad_of_c else 1 - tanh_c**2
    dc_total = (dc if incoming_dc else 0) + (dh * o * slope if h_path else 0)
    parts = {"i": dc_total * g * i * (1 - i), "f": dc_total * c_prev * f * (1 - f),
             "g": dc_total * i * (1 - g**2), "o": dh * tanh_c * o * (1 - o)}
    H = h_prev.shape[1]
    da = np.empty((x.shape[0], 4 * H))
    for name, k in zip("ifgo", _ORDERS[order]):
        da[:, k * H:(k + 1) * H] = parts[name]
    dc_prev = dc_total * f if times_f else dc_total
    return da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)


_LSTM_BACKWARD_VARIANTS = {
    "lstm_gates_ifog": lambda *a: _lstm_grads(*a, order="ifog"),
    "lstm_gates_igfo": lambda *a: _lstm_grads(*a, order="igfo"),
    "lstm_incoming_dc_ignored": lambda *a: _lstm_grads(*a, incoming_dc=False),
    "lstm_dc_prev_missing_f": lambda *a: _lstm_grads(*a, times_f=False),
    "lstm_tanh_grad_of_c": lambda *a: _lstm_grads(*a, tanh_grad_of_c=True),
    "lstm_dc_missing_h_path": lambda *a: _lstm_grads(*a, h_path=False),
}

# What bplib's RNN and LSTM layers run: absent from the sandbox while the steps are graded (the
# layers still work in the notebook's cells, which the judge serves).
_LAYER_FUNCTIONS = tuple(f"bplib.recurrent.{name}"
                         for name in ("rnn_forward", "lstm_forward", "lstm_backward", "_gates",
                                      "_lstm_da", "_weight_gradients"))

EXERCISES = [
    FunctionExercise("rnn_step_forward", recurrent.rnn_step_forward, _step_forward_cases, _STEP_FORWARD_VARIANTS,
                     withholds=_LAYER_FUNCTIONS, allowed=_SIGMOID),
    FunctionExercise("rnn_step_backward", recurrent.rnn_step_backward, _step_backward_cases, _STEP_BACKWARD_VARIANTS,
                     outputs=("dx", "dh_prev", "dWx", "dWh", "db"), allowed=_SIGMOID),
    FunctionExercise("rnn_backward", recurrent.rnn_backward, _bptt_cases, _BPTT_VARIANTS,
                     outputs=("dx", "dh0", "dWx", "dWh", "db"), depends_on=("rnn_step_backward",), allowed=_SIGMOID),
    FunctionExercise("lstm_step_forward", recurrent.lstm_step_forward, _lstm_forward_cases, _LSTM_FORWARD_VARIANTS,
                     outputs=("h", "c"), allowed=_SIGMOID),
    FunctionExercise("lstm_step_backward", recurrent.lstm_step_backward, _lstm_backward_cases, _LSTM_BACKWARD_VARIANTS,
                     outputs=("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"), depends_on=("lstm_step_forward",),
                     allowed=_SIGMOID),
]
