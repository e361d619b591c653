"""Recurrent layers: an Elman RNN and an LSTM, with backpropagation through time.

Sequences are batch-first, as ``torch.nn.RNN(..., batch_first=True)``: x has shape (N, T, D),
N sequences of T steps of D features, and each layer returns its hidden state at every step,
(N, T, H). Row vectors throughout, as in ``Dense`` (x_t is (N, D), Wx is (D, ·)); PyTorch stores
the transposes, W_ih = Wxᵀ and W_hh = Whᵀ, and two biases b_ih + b_hh where bplib has one, b.

The forward pass is a loop over time, because h_t needs h_{t−1}. Its input part, x_t Wx + b,
does not, so it is computed for every step at once, and so are the weight gradients after
the backward loop: they sum over t, Σ_t x_tᵀ da_t and Σ_t h_{t−1}ᵀ da_t, which is one matrix
product over all (n, t) rows.

**Backpropagation through time** runs the loop backwards. h_t feeds both the output at step t
and the next step, so its gradient is the sum of the two::

    dh_t = dout[:, t] + (gradient that step t + 1 sent back to h_t)

and the gradient that reaches h0 after the last step back is d loss / d h0, kept in ``dh0``.

The layers hold the weights and what backward needs; the arithmetic is in the functions below
them (``rnn_forward``, ``rnn_backward``, ``lstm_forward``, ``lstm_backward``), on explicit
arrays, as ``torch.nn.functional`` does. The one-step functions (``rnn_step_forward`` and its
kin) are notebook 13's exercises. While a submission of notebook 13 is graded, every function
here is withheld from its sandbox, so that the layers cannot stand in for the steps.
"""
from __future__ import annotations

import numpy as np

from . import activations as F
from ._checks import FLOAT_DTYPES, RngLike, as_float_array, as_rng, require_shape
from .layers import Layer, Parameter


class _Recurrent(Layer):
    """What RNN and LSTM share: the weights Wx (D, G·H), Wh (H, G·H), b (G·H,) for G gates, and the checks."""

    _n_gates = 1

    def __init__(self, input_size: int, hidden_size: int, rng: RngLike = None, dtype=np.float64) -> None:
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}")
        if np.dtype(dtype) not in FLOAT_DTYPES:
            raise ValueError(f"dtype must be float32 or float64; got {np.dtype(dtype)}")
        D, H, G = int(input_size), int(hidden_size), self._n_gates
        self.input_size, self.hidden_size = D, H
        gen = as_rng(rng)
        bound = 1.0 / np.sqrt(H)  # PyTorch's init for every weight and bias of RNN and LSTM
        self.Wx = Parameter(gen.uniform(-bound, bound, (D, G * H)).astype(dtype), "Wx")
        self.Wh = Parameter(gen.uniform(-bound, bound, (H, G * H)).astype(dtype), "Wh")
        self.b = Parameter(gen.uniform(-bound, bound, G * H).astype(dtype), "b")
        self.dh0: np.ndarray | None = None

    def _check_input(self, x) -> np.ndarray:
        x = as_float_array(x, "x")
        require_shape(x, ("N", "T", self.input_size), "x", type(self).__name__)
        if x.shape[1] == 0:
            raise ValueError(f"{type(self).__name__} needs sequences of at least one step; got x of shape {x.shape}")
        return x

    def _initial_state(self, state, x: np.ndarray, name: str) -> np.ndarray:
        """h0 or c0: zeros (N, H) when None, else checked to be (N, H) and converted to x's dtype."""
        shape = (x.shape[0], self.hidden_size)
        if state is None:
            return np.zeros(shape, dtype=x.dtype)
        state = as_float_array(state, name)
        require_shape(state, shape, name, type(self).__name__)
        return state.astype(x.dtype, copy=False)

    def _weights(self, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Wx, Wh and b in the computation's dtype (the input's)."""
        return tuple(p.value.astype(dtype, copy=False) for p in (self.Wx, self.Wh, self.b))

    def parameters(self) -> list[Parameter]:
        return [self.Wx, self.Wh, self.b]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"


class RNN(_Recurrent):
    """Elman RNN with tanh, as ``torch.nn.RNN(D, H, batch_first=True)``::

        h_t = tanh(x_t Wx + h_{t−1} Wh + b)        t = 1 … T, from h_0 = h0

    Backward, with a_t the pre-activation inside the tanh and dh_t as in the module's docstring::

        da_t     = dh_t ⊙ (1 − h_t²)               tanh' from the cached output
        dx_t     = da_t Wxᵀ                        dh_{t−1} += da_t Whᵀ
        dWx = Σ_t x_tᵀ da_t      dWh = Σ_t h_{t−1}ᵀ da_t      db = Σ_t Σ_n da_t

    Parameters
    ----------
    input_size, hidden_size : int
        D and H: the layer maps (N, T, D) to (N, T, H).
    rng : None, int or np.random.Generator
        Source of randomness for the initial weights.
    dtype : np.float64 or np.float32
        Dtype of the parameters. The computation runs in the input's dtype (float32 input gives
        float32 output), with the weights converted to it if they differ.

    Attributes
    ----------
    Wx : Parameter, shape (D, H)
    Wh : Parameter, shape (H, H)
    b : Parameter, shape (H,)
        All uniform on [−1/√H, 1/√H], as in PyTorch.
    dh0 : np.ndarray, shape (N, H), or None
        d loss / d h0 from the last backward pass (None before the first). Overwritten, not
        accumulated, by each backward pass; computed also when forward used the default h0 = 0.
    """

    def forward(self, x, h0=None) -> np.ndarray:
        """x: (N, T, D), h0: (N, H) or None (zeros) -> hs: (N, T, H), the hidden state at every step."""
        x = self._check_input(x)
        self._h0 = self._initial_state(h0, x, "h0")
        self._x, self._hs = x, rnn_forward(x, self._h0, *self._weights(x.dtype))
        return self._hs

    def backward(self, dout) -> np.ndarray:
        """dout: (N, T, H), d loss / d hs -> dx: (N, T, D); adds dWx, dWh, db and sets ``self.dh0``."""
        hs = self._cached("_hs")
        dout = self._check_dout(dout, hs.shape).astype(hs.dtype, copy=False)
        Wx, Wh, _ = self._weights(hs.dtype)
        dx, self.dh0, dWx, dWh, db = rnn_backward(dout, self._x, hs, self._h0, Wx, Wh)
        self.Wx.grad += dWx
        self.Wh.grad += dWh
        self.b.grad += db
        return dx


class LSTM(_Recurrent):
    """Long short-term memory, as ``torch.nn.LSTM(D, H, batch_first=True)``, gates in PyTorch's order i, f, g, o::

        a_t = x_t Wx + h_{t−1} Wh + b                    (N, 4H), split into four (N, H) blocks:
        i_t = σ(a_t[:, 0:H])        input gate           f_t = σ(a_t[:, H:2H])     forget gate
        g_t = tanh(a_t[:, 2H:3H])   candidate cell       o_t = σ(a_t[:, 3H:4H])    output gate
        c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t                   h_t = o_t ⊙ tanh(c_t)

    Backward: the cell state carries a gradient through time of its own. c_t reaches the loss
    through h_t and through c_{t+1}, so with dh_t as in the module's docstring::

        dc_t     = (what step t + 1 sent back to c_t) + dh_t ⊙ o_t ⊙ (1 − tanh²(c_t))
        do_t     = dh_t ⊙ tanh(c_t)
        di_t     = dc_t ⊙ g_t        dg_t = dc_t ⊙ i_t        df_t = dc_t ⊙ c_{t−1}
        dc_{t−1} = dc_t ⊙ f_t        (sent back to step t − 1: the "cell-state highway")

    then through each gate's nonlinearity (σ' = σ(1 − σ), tanh' = 1 − tanh²) to da_t (N, 4H),
    and from da_t as in the RNN: dx_t = da_t Wxᵀ, dh_{t−1} = da_t Whᵀ, dWx = Σ_t x_tᵀ da_t,
    dWh = Σ_t h_{t−1}ᵀ da_t, db = Σ_t Σ_n da_t.

    Parameters
    ----------
    input_size, hidden_size : int
        D and H: the layer maps (N, T, D) to (N, T, H).
    rng : None, int or np.random.Generator
        Source of randomness for the initial weights.
    dtype : np.float64 or np.float32
        Dtype of the parameters; the computation runs in the input's dtype, as in RNN.

    Attributes
    ----------
    Wx : Parameter, shape (D, 4H)
    Wh : Parameter, shape (H, 4H)
    b : Parameter, shape (4H,)
        Columns in gate order i, f, g, o; all uniform on [−1/√H, 1/√H], as in PyTorch.
    dh0, dc0 : np.ndarray, shape (N, H), or None
        d loss / d h0 and d loss / d c0 from the last backward pass (None before the first),
        overwritten by each backward pass.
    """

    _n_gates = 4
    dc0: np.ndarray | None = None

    def forward(self, x, h0=None, c0=None) -> np.ndarray:
        """x: (N, T, D), h0 and c0: (N, H) or None (zeros) -> hs: (N, T, H), the hidden state at every step."""
        x = self._check_input(x)
        self._h0, self._c0 = self._initial_state(h0, x, "h0"), self._initial_state(c0, x, "c0")
        hs, self._cache = lstm_forward(x, self._h0, self._c0, *self._weights(x.dtype))
        self._x, self._hs = x, hs
        return hs

    def backward(self, dout) -> np.ndarray:
        """dout: (N, T, H), d loss / d hs -> dx: (N, T, D); adds dWx, dWh, db, sets ``self.dh0`` and ``self.dc0``."""
        hs = self._cached("_hs")
        dout = self._check_dout(dout, hs.shape).astype(hs.dtype, copy=False)
        Wx, Wh, _ = self._weights(hs.dtype)
        dx, self.dh0, self.dc0, dWx, dWh, db = lstm_backward(dout, self._x, self._h0, self._c0, hs, Wx, Wh, self._cache)
        self.Wx.grad += dWx
        self.Wh.grad += dWh
        self.b.grad += db
        return dx


# ---------------------------------------------------------------- the equations, as functions
# The layers hold the weights and the cache; these functions do the arithmetic, on explicit
# arrays, as torch.nn.functional does (and as notebook 13's exercises ask, one step at a time).


def rnn_forward(x, h0, Wx, Wh, b) -> np.ndarray:
    """Every hidden state of the RNN: x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,) -> hs (N, T, H)."""
    N, T, _ = x.shape
    xw = x @ Wx + b  # (N, T, H): the input's part of every step, all at once
    hs = np.empty((N, T, Wh.shape[0]), dtype=x.dtype)
    h = h0
    for t in range(T):
        h = hs[:, t] = np.tanh(xw[:, t] + h @ Wh)
    return hs


def lstm_forward(x, h0, c0, Wx, Wh, b) -> tuple[np.ndarray, tuple]:
    """Every hidden state of the LSTM, and what backward needs.

    x (N, T, D), h0 and c0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,) -> hs (N, T, H) and the
    cache (gates (N, T, 4H) after their nonlinearities, cs and tanh(cs), each (N, T, H)).
    """
    N, T, _ = x.shape
    H = h0.shape[1]
    xw = x @ Wx + b  # (N, T, 4H): the input's part of every step, all at once
    gates = np.empty((N, T, 4 * H), dtype=x.dtype)
    cs, tanh_cs, hs = (np.empty((N, T, H), dtype=x.dtype) for _ in range(3))
    h, c = h0, c0
    for t in range(T):
        i, f, g, o = _gates(xw[:, t] + h @ Wh, H)
        c = f * c + i * g
        tanh_c = np.tanh(c)
        h = o * tanh_c
        gates[:, t] = np.concatenate([i, f, g, o], axis=1)
        cs[:, t], tanh_cs[:, t], hs[:, t] = c, tanh_c, h
    return hs, (gates, cs, tanh_cs)


def lstm_backward(dhs, x, h0, c0, hs, Wx, Wh, cache) -> tuple[np.ndarray, ...]:
    """BPTT through the LSTM: dhs (N, T, H), d loss / d hs from the outputs, and the forward's
    arrays -> (dx (N, T, D), dh0 (N, H), dc0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,))."""
    gates, cs, tanh_cs = cache
    H = h0.shape[1]
    da = np.empty_like(gates)  # d loss / d a_t for every t, filled backwards
    dh = np.zeros_like(h0)     # what step t + 1 sent back to h_t
    dc = np.zeros_like(c0)     # what step t + 1 sent back to c_t
    for t in reversed(range(hs.shape[1])):
        i, f, g, o = (gates[:, t, k * H:(k + 1) * H] for k in range(4))
        c_prev = cs[:, t - 1] if t > 0 else c0
        dh = dh + dhs[:, t]
        da[:, t], dc = _lstm_da(dh, dc, i, f, g, o, c_prev, tanh_cs[:, t])
        dh = da[:, t] @ Wh.T   # back to h_{t−1}
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # h_{t−1} for every t: (N, T, H)
    dx, dWx, dWh, db = _weight_gradients(x, h_prev, da, Wx)
    return dx, dh, dc, dWx, dWh, db


def _weight_gradients(x, h_prev, da, Wx) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From da (N, T, G·H), d loss / d pre-activations: dx (N, T, D), dWx, dWh and db, summed over n and t."""
    da_rows = da.reshape(-1, da.shape[-1])                  # one row per (n, t)
    dWx = x.reshape(-1, x.shape[-1]).T @ da_rows            # Σ_t x_tᵀ da_t
    dWh = h_prev.reshape(-1, h_prev.shape[-1]).T @ da_rows  # Σ_t h_{t−1}ᵀ da_t
    return da @ Wx.T, dWx, dWh, da_rows.sum(axis=0)         # dx_t = da_t Wxᵀ; db = Σ_t Σ_n da_t


def _gates(a, H: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The LSTM's gates i, f, g, o from the pre-activations a (N, 4H), in PyTorch's order."""
    return F.sigmoid(a[:, :H]), F.sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), F.sigmoid(a[:, 3 * H:])


def _lstm_da(dh, dc, i, f, g, o, c_prev, tanh_c) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step back: dh (everything reaching h_t) and dc (from step t + 1) -> da (N, 4H) and dc_{t−1}."""
    dc = dc + dh * o * (1 - tanh_c**2)          # c_t reaches the loss through h_t and through c_{t+1}
    da = np.concatenate([dc * g * i * (1 - i),   # di ⊙ σ'
                         dc * c_prev * f * (1 - f),  # df ⊙ σ'
                         dc * i * (1 - g**2),    # dg ⊙ tanh'
                         dh * tanh_c * o * (1 - o)], axis=1)  # do ⊙ σ'
    return da, dc * f                           # back to c_{t−1}: the cell-state highway


# One step at a time (x (N, D), h_prev and c_prev (N, H)): notebook 13's exercises.


def _step_arrays(owner: str, gates: int, x, h_prev, Wx, Wh, b=None, **states) -> list[np.ndarray]:
    """x, h_prev, Wx, Wh (b, then the other states) as float arrays, their shapes checked against
    x (N, D), h_prev (N, H), Wx (D, G·H), Wh (H, G·H), b (G·H,) and each state (N, H): a wrong
    shape is a ValueError that names the right one, not a silent broadcast."""
    x, h_prev, Wx, Wh = (as_float_array(a, n) for a, n in ((x, "x"), (h_prev, "h_prev"), (Wx, "Wx"), (Wh, "Wh")))
    require_shape(x, ("N", "D"), "x", owner)
    require_shape(h_prev, (x.shape[0], "H"), "h_prev", owner)
    N, D, H = x.shape[0], x.shape[1], h_prev.shape[1]
    require_shape(Wx, (D, gates * H), "Wx", owner)
    require_shape(Wh, (H, gates * H), "Wh", owner)
    arrays = [x, h_prev, Wx, Wh]
    if b is not None:
        arrays.append(as_float_array(b, "b"))
        require_shape(arrays[-1], (gates * H,), "b", owner)
    for name, state in states.items():
        arrays.append(as_float_array(state, name))
        require_shape(arrays[-1], (N, H), name, owner)
    return arrays


def rnn_step_forward(x, h_prev, Wx, Wh, b) -> np.ndarray:
    """h = tanh(x Wx + h_prev Wh + b): x (N, D), h_prev (N, H), Wx (D, H), Wh (H, H), b (H,) -> h (N, H)."""
    x, h_prev, Wx, Wh, b = _step_arrays("rnn_step_forward", 1, x, h_prev, Wx, Wh, b)
    return np.tanh(x @ Wx + h_prev @ Wh + b)


def rnn_step_backward(dh, x, h_prev, h, Wx, Wh) -> tuple[np.ndarray, ...]:
    """One RNN step back: dh (N, H), everything that reaches h -> (dx, dh_prev, dWx, dWh, db).

    tanh' is taken from the output, 1 − h², so the pre-activation is not needed.
    """
    x, h_prev, Wx, Wh, dh, h = _step_arrays("rnn_step_backward", 1, x, h_prev, Wx, Wh, dh=dh, h=h)
    da = dh * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_backward(dhs, x, hs, h0, Wx, Wh) -> tuple[np.ndarray, ...]:
    """Backpropagation through time over a whole sequence.

    Parameters
    ----------
    dhs : np.ndarray, shape (N, T, H)
        d loss / d hs[:, t] from the outputs at each step (not through the later steps).
    x : np.ndarray, shape (N, T, D)
    hs : np.ndarray, shape (N, T, H)
        Every hidden state of the forward pass.
    h0 : np.ndarray, shape (N, H)
    Wx, Wh : np.ndarray, shapes (D, H) and (H, H)

    Returns
    -------
    dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,)
    """
    dhs, x, hs = as_float_array(dhs, "dhs"), as_float_array(x, "x"), as_float_array(hs, "hs")
    require_shape(x, ("N", "T", "D"), "x", "rnn_backward")
    require_shape(hs, x.shape[:2] + ("H",), "hs", "rnn_backward")
    require_shape(dhs, hs.shape, "dhs", "rnn_backward")
    _, h0, Wx, Wh = _step_arrays("rnn_backward", 1, x[:, 0], h0, Wx, Wh)
    da = np.empty_like(hs)        # d loss / d a_t for every t, filled backwards
    dh = np.zeros_like(h0)        # what step t + 1 sent back to h_t (nothing, after the last step)
    for t in reversed(range(hs.shape[1])):
        dh = dh + dhs[:, t]                  # h_t feeds the output at t and step t + 1
        da[:, t] = dh * (1 - hs[:, t] ** 2)  # back through the tanh
        dh = da[:, t] @ Wh.T                 # back to h_{t−1}
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # h_{t−1} for every t: (N, T, H)
    dx, dWx, dWh, db = _weight_gradients(x, h_prev, da, Wx)
    return dx, dh, dWx, dWh, db


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step: x (N, D), h_prev and c_prev (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,) -> (h, c), each (N, H)."""
    x, h_prev, Wx, Wh, b, c_prev = _step_arrays("lstm_step_forward", 4, x, h_prev, Wx, Wh, b, c_prev=c_prev)
    i, f, g, o = _gates(x @ Wx + h_prev @ Wh + b, h_prev.shape[1])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, b) -> tuple[np.ndarray, ...]:
    """One LSTM step back, recomputing its forward.

    dh, dc (N, H): the gradients arriving at this step's h and c (dc from the next step only).
    Returns (dx (N, D), dh_prev (N, H), dc_prev (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,)).
    """
    x, h_prev, Wx, Wh, b, c_prev, dh, dc = _step_arrays("lstm_step_backward", 4, x, h_prev, Wx, Wh, b, c_prev=c_prev,
                                                          dh=dh, dc=dc)
    i, f, g, o = _gates(x @ Wx + h_prev @ Wh + b, h_prev.shape[1])
    c = f * c_prev + i * g
    da, dc_prev = _lstm_da(dh, dc, i, f, g, o, c_prev, np.tanh(c))
    return da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)
