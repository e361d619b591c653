import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib import recurrent
from bplib.activations import sigmoid
from bplib.gradcheck import check_layer, numerical_gradient, numerical_gradient_array, rel_error
from bplib.layers import LSTM, RNN, Layer

N, T, D, H = 2, 5, 3, 4  # every dimension different
CLASSES = {"rnn": RNN, "lstm": LSTM}


class _WithInitialState(Layer):
    """x -> layer.forward(x, *state): check_layer passes x alone, this adds a fixed h0 (and c0)."""

    def __init__(self, layer, state) -> None:
        self.layer, self.state = layer, state

    def forward(self, x):
        return self.layer.forward(x, *self.state)

    def backward(self, dout):
        return self.layer.backward(dout)

    def parameters(self):
        return self.layer.parameters()


def _states(name, rng, scale=1.0):
    return tuple(scale * rng.standard_normal((N, H)) for _ in range(1 if name == "rnn" else 2))


# ----------------------------------------------------------------------------------------
# Gradient checks (float64, random upstream gradients)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
def test_backward_matches_numerical_gradient(name, with_state, rng):
    layer = CLASSES[name](D, H, rng=0)
    if with_state:
        layer = _WithInitialState(layer, _states(name, rng))
    errors = check_layer(layer, rng.standard_normal((N, T, D)), rng=7)
    assert set(errors) == {"x", "Wx", "Wh", "b"}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("name", CLASSES)
def test_initial_state_gradients_match_numerical_gradient(name, rng):
    layer = CLASSES[name](D, H, rng=0)
    x = rng.standard_normal((N, T, D))
    states = _states(name, rng)
    dout = rng.standard_normal((N, T, H))
    layer.forward(x, *states)
    layer.backward(dout)
    analytic = [layer.dh0] if name == "rnn" else [layer.dh0, layer.dc0]
    for k, (state, grad) in enumerate(zip(states, analytic)):
        def output(s, k=k):
            args = list(states)
            args[k] = s
            return layer.forward(x, *args)

        assert grad.shape == (N, H)
        assert rel_error(grad, numerical_gradient_array(output, state, dout)) < 1e-7


# ----------------------------------------------------------------------------------------
# The equations
# ----------------------------------------------------------------------------------------
def test_rnn_equations(rng):
    rnn = RNN(D, H, rng=0)
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    hs = rnn.forward(x, h0)
    h = h0
    for t in range(T):
        h = np.tanh(x[:, t] @ rnn.Wx.value + h @ rnn.Wh.value + rnn.b.value)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-13, atol=1e-14)
    np.testing.assert_array_equal(rnn(x), rnn.forward(x, np.zeros((N, H))))  # h0 defaults to zeros


def test_lstm_equations_and_gate_order(rng):
    lstm = LSTM(D, H, rng=0)
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    hs = lstm.forward(x, h0, c0)
    h, c = h0, c0
    for t in range(T):
        a = x[:, t] @ lstm.Wx.value + h @ lstm.Wh.value + lstm.b.value
        i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        np.testing.assert_allclose(hs[:, t], h, rtol=1e-13, atol=1e-14)
    np.testing.assert_array_equal(lstm(x), lstm.forward(x, np.zeros((N, H)), np.zeros((N, H))))


def test_lstm_forget_gate_keeps_the_cell():
    """Forget gate open (f = 1), input gate shut (i = 0), output gate open (o = 1): h_t = tanh(c0) at every step."""
    lstm = LSTM(D, H, rng=0)
    lstm.Wx.value[:] = 0
    lstm.Wh.value[:] = 0
    lstm.b.value[:] = np.repeat([-50.0, 50.0, 0.0, 50.0], H)  # i, f, g, o
    c0 = np.linspace(-1, 1, N * H).reshape(N, H)
    hs = lstm.forward(np.ones((N, T, D)), np.zeros((N, H)), c0)
    np.testing.assert_allclose(hs, np.broadcast_to(np.tanh(c0)[:, None], (N, T, H)), atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3), t=st.integers(2, 6), split=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_rnn_runs_in_pieces(n, t, split, seed):
    """Running the first k steps, then the rest from the last hidden state, gives the same states."""
    split = min(split, t - 1)
    rng = np.random.default_rng(seed)
    rnn = RNN(D, H, rng=seed)
    x = rng.standard_normal((n, t, D))
    whole = rnn(x)
    first = rnn(x[:, :split])
    rest = rnn.forward(x[:, split:], first[:, -1])
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), whole, rtol=1e-13, atol=1e-14)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(CLASSES)), n=st.integers(1, 3), t=st.integers(1, 6), d=st.integers(1, 4),
       h=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_only_the_past_matters(name, n, t, d, h, seed):
    """Causality: a loss on the first hidden state alone gives the later inputs no gradient at all."""
    rng = np.random.default_rng(seed)
    layer = CLASSES[name](d, h, rng=seed)
    x = rng.standard_normal((n, t, d))
    out = layer(x)
    assert out.shape == (n, t, h)
    dout = np.zeros_like(out)
    dout[:, 0] = rng.standard_normal((n, h))
    dx = layer.backward(dout)
    assert dx.shape == x.shape and np.all(dx[:, 1:] == 0)


# ----------------------------------------------------------------------------------------
# Init, accumulation, dtypes, stability
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, gates", [("rnn", 1), ("lstm", 4)])
def test_init_is_pytorchs(name, gates):
    layer = CLASSES[name](30, 50, rng=0)
    bound = 1 / np.sqrt(50)
    shapes = [(30, gates * 50), (50, gates * 50), (gates * 50,)]
    assert [p.value.shape for p in layer.parameters()] == shapes
    assert [p.name for p in layer.parameters()] == ["Wx", "Wh", "b"]
    for p in layer.parameters():
        assert np.abs(p.value).max() <= bound and np.all(p.grad == 0)
    assert layer.Wh.value.var() == pytest.approx(bound**2 / 3, rel=0.05)  # uniform on [-a, a]: a² / 3
    np.testing.assert_array_equal(CLASSES[name](3, 4, rng=5).Wh.value, CLASSES[name](3, 4, rng=5).Wh.value)
    assert repr(layer) == f"{name.upper()}(30, 50)"
    assert layer.dh0 is None


@pytest.mark.parametrize("name", CLASSES)
def test_gradients_accumulate_and_dh0_is_overwritten(name, rng):
    layer = CLASSES[name](D, H, rng=0)
    x, dout = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    layer(x)
    layer.backward(dout)
    first, dh0 = [p.grad.copy() for p in layer.parameters()], layer.dh0.copy()
    layer.backward(dout)
    for p, g in zip(layer.parameters(), first):
        np.testing.assert_allclose(p.grad, 2 * g)
    np.testing.assert_array_equal(layer.dh0, dh0)
    layer.zero_grad()
    assert all(np.all(p.grad == 0) for p in layer.parameters())


@pytest.mark.parametrize("name", CLASSES)
def test_forward_and_backward_leave_inputs_unchanged(name, rng):
    layer = CLASSES[name](D, H, rng=0)
    x, dout = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    states = _states(name, rng)
    before = [a.copy() for a in (x, dout, *states)]
    layer.forward(x, *states)
    layer.backward(dout)
    for a, b in zip((x, dout, *states), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", CLASSES)
def test_float32_stays_float32(name, rng):
    layer = CLASSES[name](D, H, rng=0)
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    out = layer.forward(x, *_states(name, rng))  # float64 initial states follow x
    assert out.dtype == np.float32
    dx = layer.backward(np.ones(out.shape))  # even from a float64 dout
    assert dx.dtype == np.float32 and layer.dh0.dtype == np.float32
    small = CLASSES[name](D, H, rng=0, dtype=np.float32)
    assert all(p.value.dtype == np.float32 for p in small.parameters())
    small.backward(np.ones(small(x).shape))
    assert all(p.grad.dtype == np.float32 for p in small.parameters())


@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_inputs_are_quiet(name, dtype, rng):
    """±1e4 inputs saturate tanh and sigmoid: finite states and gradients, no warning."""
    layer = CLASSES[name](D, H, rng=0)
    x = (1e4 * rng.standard_normal((N, T, D))).astype(dtype)
    states = tuple(s.astype(dtype) for s in _states(name, rng, scale=1e4))
    out = layer.forward(x, *states)
    dx = layer.backward(1e4 * np.ones(out.shape, dtype=dtype))
    assert out.dtype == dtype and np.all(np.isfinite(out)) and np.all(np.abs(out) <= 1)
    assert np.all(np.isfinite(dx)) and np.all(np.isfinite(layer.dh0))
    assert all(np.all(np.isfinite(p.grad)) for p in layer.parameters())


# ----------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSES)
def test_refuses_bad_shapes(name):
    cls = CLASSES[name]
    label = name.upper()
    layer = cls(4, 5, rng=0)
    with pytest.raises(ValueError, match=rf"{label} expects x of shape \(N, T, 4\), got \(2, 3\)"):
        layer(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=rf"{label} expects x of shape \(N, T, 4\), got \(2, 3, 5\)"):
        layer(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match="at least one step"):
        layer(np.zeros((2, 0, 4)))
    with pytest.raises(ValueError, match=rf"{label} expects h0 of shape \(2, 5\), got \(2, 4\)"):
        layer.forward(np.zeros((2, 3, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=rf"{label} expects h0 of shape \(2, 5\), got \(5,\)"):
        layer.forward(np.zeros((2, 3, 4)), np.zeros(5))
    if name == "lstm":
        with pytest.raises(ValueError, match=r"LSTM expects c0 of shape \(2, 5\), got \(1, 5\)"):
            layer.forward(np.zeros((2, 3, 4)), np.zeros((2, 5)), np.zeros((1, 5)))
    layer(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"\(2, 3, 5\).*\(2, 5\)"):
        layer.backward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="positive int"):
        cls(0, 5)
    with pytest.raises(ValueError, match="float32 or float64"):
        cls(4, 5, dtype=np.int32)


@pytest.mark.parametrize("name", CLASSES)
def test_backward_before_forward_is_a_clear_error(name):
    with pytest.raises(RuntimeError, match="before forward"):
        CLASSES[name](D, H).backward(np.zeros((N, T, H)))


# ----------------------------------------------------------------------------------------
# Against PyTorch (float64, weights copied across: W_ih = Wxᵀ, W_hh = Whᵀ, b_ih = b, b_hh = 0)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
def test_matches_pytorch(name, with_state, rng):
    torch = pytest.importorskip("torch")
    layer = CLASSES[name](D, H, rng=0)
    x, dout = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H))
    states = _states(name, rng) if with_state else (np.zeros((N, H)),) * (1 if name == "rnn" else 2)
    out = layer.forward(x, *states) if with_state else layer(x)
    dx = layer.backward(dout)

    module = (torch.nn.RNN if name == "rnn" else torch.nn.LSTM)(D, H, batch_first=True).double()
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(layer.Wx.value.T))
        module.weight_hh_l0.copy_(torch.from_numpy(layer.Wh.value.T))
        module.bias_ih_l0.copy_(torch.from_numpy(layer.b.value))
        module.bias_hh_l0.zero_()
    xt = torch.tensor(x, requires_grad=True)
    states_t = [torch.tensor(s[None], requires_grad=True) for s in states]  # (layers = 1, N, H)
    out_t, _ = module(xt, states_t[0] if name == "rnn" else tuple(states_t))
    out_t.backward(torch.from_numpy(dout))

    def close(a, b):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-10)

    close(out, out_t)
    close(dx, xt.grad)
    close(layer.Wx.grad, module.weight_ih_l0.grad.T)
    close(layer.Wh.grad, module.weight_hh_l0.grad.T)
    close(layer.b.grad, module.bias_ih_l0.grad)
    close(layer.b.grad, module.bias_hh_l0.grad)  # the two biases get the same gradient
    close(layer.dh0, states_t[0].grad[0])
    if name == "lstm":
        close(layer.dc0, states_t[1].grad[0])


# ----------------------------------------------------------------------------------------
# One step, as functions (notebook 13's references)
# ----------------------------------------------------------------------------------------


def _step_arrays(rng, gates):
    return (rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
            rng.standard_normal((D, gates * H)) * 0.5, rng.standard_normal((H, gates * H)) * 0.5,
            rng.standard_normal(gates * H) * 0.5)


def test_step_functions_are_one_step_of_the_layers(rng):
    x, h0, c0, Wx, Wh, b = _step_arrays(rng, 1)
    rnn = RNN(D, H)
    rnn.Wx.value[...], rnn.Wh.value[...], rnn.b.value[...] = Wx, Wh, b
    np.testing.assert_allclose(recurrent.rnn_step_forward(x, h0, Wx, Wh, b), rnn.forward(x[:, None], h0)[:, 0],
                               rtol=1e-12)
    x, h0, c0, Wx, Wh, b = _step_arrays(rng, 4)
    lstm = LSTM(D, H)
    lstm.Wx.value[...], lstm.Wh.value[...], lstm.b.value[...] = Wx, Wh, b
    h, c = recurrent.lstm_step_forward(x, h0, c0, Wx, Wh, b)
    np.testing.assert_allclose(h, lstm.forward(x[:, None], h0, c0)[:, 0], rtol=1e-12)
    dh, dc = rng.standard_normal((N, H)), np.zeros((N, H))
    dx, dh0, dc0, dWx, dWh, db = recurrent.lstm_step_backward(dh, dc, x, h0, c0, Wx, Wh, b)
    np.testing.assert_allclose(dx, lstm.backward(dh[:, None])[:, 0], rtol=1e-10)
    for got, want in ((dh0, lstm.dh0), (dc0, lstm.dc0), (dWx, lstm.Wx.grad), (dWh, lstm.Wh.grad), (db, lstm.b.grad)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_step_backwards_match_numerical_gradients(rng):
    x, h_prev, c_prev, Wx, Wh, b = _step_arrays(rng, 1)
    h = recurrent.rnn_step_forward(x, h_prev, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    grads = recurrent.rnn_step_backward(dh, x, h_prev, h, Wx, Wh)
    for i, (name, arg) in enumerate([("x", 0), ("h_prev", 1), ("Wx", 2), ("Wh", 3), ("b", 4)]):
        args = [x, h_prev, Wx, Wh, b]
        def f(v, arg=arg):
            return recurrent.rnn_step_forward(*[v if j == arg else a for j, a in enumerate(args)])
        assert rel_error(grads[i], numerical_gradient_array(f, args[arg].copy(), dh)) < 1e-7, name
    x, h_prev, c_prev, Wx, Wh, b = _step_arrays(rng, 4)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    grads = recurrent.lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b)
    args = [x, h_prev, c_prev, Wx, Wh, b]
    for i, arg in zip(range(6), (0, 1, 2, 3, 4, 5)):
        def loss(v, arg=arg):  # d/dv of Σ dh·h + Σ dc·c: both of the step's outputs carry a gradient
            h, c = recurrent.lstm_step_forward(*[v if j == arg else a for j, a in enumerate(args)])
            return float(np.sum(dh * h) + np.sum(dc * c))
        assert rel_error(grads[i], numerical_gradient(loss, args[arg].copy())) < 1e-7, f"argument {arg}"


def test_rnn_backward_is_the_layers_bptt(rng):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    rnn = RNN(D, H, rng=3)
    hs = rnn.forward(x, h0)
    dhs = rng.standard_normal(hs.shape)
    dx, dh0, dWx, dWh, db = recurrent.rnn_backward(dhs, x, hs, h0, rnn.Wx.value, rnn.Wh.value)
    np.testing.assert_allclose(dx, rnn.backward(dhs), rtol=1e-12)
    for got, want in ((dh0, rnn.dh0), (dWx, rnn.Wx.grad), (dWh, rnn.Wh.grad), (db, rnn.b.grad)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("call, expected", [
    (lambda a: recurrent.rnn_step_forward(a["x"], a["h"], a["Wx"], a["Wh"], np.zeros((N, H))),
     r"b of shape \(4,\)"),
    (lambda a: recurrent.rnn_step_forward(a["x"], a["h"], a["Wx"].T, a["Wh"], a["b"]), r"Wx of shape \(3, 4\)"),
    (lambda a: recurrent.rnn_step_backward(a["h"][:1], a["x"], a["h"], a["h"], a["Wx"], a["Wh"]),
     r"dh of shape \(2, 4\)"),
    (lambda a: recurrent.lstm_step_forward(a["x"], a["h"], a["h"][:, :1], a["Wx4"], a["Wh4"], a["b4"]),
     r"c_prev of shape \(2, 4\)"),
    (lambda a: recurrent.rnn_backward(np.zeros((N, T + 1, H)), np.zeros((N, T, D)), np.zeros((N, T, H)), a["h"],
                                      a["Wx"], a["Wh"]), r"dhs of shape \(2, 5, 4\)"),
])
def test_step_functions_refuse_bad_shapes(call, expected, rng):
    arrays = {"x": rng.standard_normal((N, D)), "h": rng.standard_normal((N, H)), "Wx": rng.standard_normal((D, H)),
              "Wh": rng.standard_normal((H, H)), "b": np.zeros(H), "Wx4": rng.standard_normal((D, 4 * H)),
              "Wh4": rng.standard_normal((H, 4 * H)), "b4": np.zeros(4 * H)}
    with pytest.raises(ValueError, match=expected):
        call(arrays)
