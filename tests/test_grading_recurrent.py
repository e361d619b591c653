"""The checks of 13-recurrent-networks: right answers pass, and each typical wrong answer
fails with the hint that names its mistake (the table ``MISTAKES`` is the specification)."""
from __future__ import annotations

import numpy as np

from tests.grading_tables import table_tests, with_args


def sigmoid(a):
    return 0.5 * (1 + np.tanh(a / 2))


# ---------------------------------------------------------------- right answers, as students write them


def rnn_step_forward(x, h_prev, Wx, Wh, b, act=np.tanh, wh=lambda Wh: Wh, bias=True, recurrent=True):
    a = x @ Wx + (h_prev @ wh(Wh) if recurrent else 0) + (b if bias else 0)
    return act(a)


def rnn_step_backward(dh, x, h_prev, h, Wx, Wh, slope=lambda h: 1 - h**2, back=lambda Wh: Wh.T, dWh_order="right"):
    da = dh * slope(h)
    dWh = h_prev.T @ da if dWh_order == "right" else da.T @ h_prev
    return da @ Wx.T, da @ back(Wh), x.T @ da, dWh, np.sum(da, axis=0)


def rnn_backward(dhs, x, hs, h0, Wx, Wh, carry=True, accumulate=True, wrap=False, order="backward"):
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    steps = range(T - 1, -1, -1) if order == "backward" else range(T)
    for t in steps:
        h_prev = hs[:, t - 1] if (t > 0 or wrap) else h0
        dh = dhs[:, t] + dh_next if carry else dhs[:, t]
        dx[:, t], dh_next, gWx, gWh, gb = rnn_step_backward(dh, x[:, t], h_prev, hs[:, t], Wx, Wh)
        if accumulate:
            dWx += gWx
            dWh += gWh
            db += gb
        else:
            dWx, dWh, db = gWx, gWh, gb
    return dx, dh_next, dWx, dWh, db


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, order="ifgo", g_act=np.tanh, forget=True, h_tanh=True):
    a = x @ Wx + h_prev @ Wh + b
    blocks = dict(zip(order, np.split(a, 4, axis=1)))
    i, f, o, g = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"]), g_act(blocks["g"])
    c = (f * c_prev if forget else 0) + i * g
    return (o * np.tanh(c) if h_tanh else o * c), c


def lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b, order="ifgo", incoming=True, times_f=True,
                       slope_of="tanh_c", h_path=True):
    a = x @ Wx + h_prev @ Wh + b
    blocks = dict(zip(order, np.split(a, 4, axis=1)))
    i, f, o, g = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"]), np.tanh(blocks["g"])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    slope = 1 - tc**2 if slope_of == "tanh_c" else 1 - c**2
    dc_t = (dc if incoming else 0) + (dh * o * slope if h_path else 0)
    grads = {"i": dc_t * g * i * (1 - i), "f": dc_t * c_prev * f * (1 - f), "g": dc_t * i * (1 - g**2),
             "o": dh * tc * o * (1 - o)}
    da = np.concatenate([grads[k] for k in order], axis=1)
    return da @ Wx.T, da @ Wh.T, dc_t * f if times_f else dc_t, x.T @ da, h_prev.T @ da, da.sum(0)


def lstm_step_backward_through_forward(dh, dc, x, h_prev, c_prev, Wx, Wh, b):
    """Another right formulation: gates named one by one, the cell's gradient in two lines."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    do = dh * np.tanh(c)
    dc = dc + dh * o * (1 - np.tanh(c) ** 2)
    di, df, dg = dc * g, dc * c_prev, dc * i
    da = np.hstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)])
    return da @ Wx.T, da @ Wh.T, f * dc, x.T @ da, h_prev.T @ da, da.sum(axis=0)


RIGHT = [
    ("rnn_step_forward", rnn_step_forward),
    ("rnn_step_backward", rnn_step_backward),
    ("rnn_backward", rnn_backward),
    ("lstm_step_forward", lstm_step_forward),
    ("lstm_step_backward", lstm_step_backward),
    ("lstm_step_backward", lstm_step_backward_through_forward),
]


MISTAKES = [
    ("rnn_step_forward", with_args(rnn_step_forward, act=sigmoid), "rnn_sigmoid_not_tanh"),
    ("rnn_step_forward", with_args(rnn_step_forward, wh=lambda Wh: Wh.T), "rnn_wh_transposed"),
    ("rnn_step_forward", with_args(rnn_step_forward, recurrent=False), "rnn_previous_state_ignored"),
    ("rnn_step_forward", with_args(rnn_step_forward, bias=False), "rnn_bias_missing"),
    ("rnn_step_forward", with_args(rnn_step_forward, act=lambda a: a), "rnn_no_tanh"),
    ("rnn_step_backward", with_args(rnn_step_backward, slope=lambda h: 1 - np.tanh(h) ** 2), "rnn_tanh_grad_of_state"),
    ("rnn_step_backward", with_args(rnn_step_backward, slope=lambda h: 1 - h), "rnn_tanh_grad_no_square"),
    ("rnn_step_backward", with_args(rnn_step_backward, slope=np.ones_like), "rnn_tanh_grad_missing"),
    ("rnn_step_backward", with_args(rnn_step_backward, back=lambda Wh: Wh), "rnn_dh_prev_not_transposed"),
    ("rnn_step_backward", with_args(rnn_step_backward, dWh_order="swapped"), "rnn_dWh_transposed"),
    ("rnn_backward", with_args(rnn_backward, carry=False), "bptt_next_step_dropped"),
    ("rnn_backward", with_args(rnn_backward, accumulate=False), "bptt_weights_not_accumulated"),
    ("rnn_backward", with_args(rnn_backward, wrap=True), "bptt_h_prev_wraps_around"),
    ("rnn_backward", with_args(rnn_backward, order="forward"), "bptt_forward_order"),
    ("lstm_step_forward", with_args(lstm_step_forward, order="ifog"), "lstm_gates_ifog"),
    ("lstm_step_forward", with_args(lstm_step_forward, order="igfo"), "lstm_gates_igfo"),
    ("lstm_step_forward", with_args(lstm_step_forward, g_act=sigmoid), "lstm_g_sigmoid"),
    ("lstm_step_forward", with_args(lstm_step_forward, forget=False), "lstm_forget_path_missing"),
    ("lstm_step_forward", with_args(lstm_step_forward, h_tanh=False), "lstm_h_without_tanh"),
    ("lstm_step_backward", with_args(lstm_step_backward, order="ifog"), "lstm_gates_ifog"),
    ("lstm_step_backward", with_args(lstm_step_backward, order="igfo"), "lstm_gates_igfo"),
    ("lstm_step_backward", with_args(lstm_step_backward, incoming=False), "lstm_incoming_dc_ignored"),
    ("lstm_step_backward", with_args(lstm_step_backward, times_f=False), "lstm_dc_prev_missing_f"),
    ("lstm_step_backward", with_args(lstm_step_backward, slope_of="c"), "lstm_tanh_grad_of_c"),
    ("lstm_step_backward", with_args(lstm_step_backward, h_path=False), "lstm_dc_missing_h_path"),
]

session, test_right_answers_pass, test_each_mistake_gets_its_hint_in_both_parts = table_tests(
    "13-recurrent-networks", RIGHT, MISTAKES)
