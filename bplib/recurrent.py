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
"""
from __future__ import annotations

import numpy as np

from . import activations as F
from ._checks import FLOAT_DTYPES, as_float_array, require_shape
from .layers import Layer, Parameter


class _Recurrent(Layer):
    """What RNN and LSTM share: the weights Wx (D, G·H), Wh (H, G·H), b (G·H,) for G gates, and the checks."""

    _n_gates = 1

    def __init__(self, input_size: int, hidden_size: int, rng=None, dtype=np.float64) -> None:
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}")
        if np.dtype(dtype) not in FLOAT_DTYPES:
            raise ValueError(f"dtype must be float32 or float64; got {np.dtype(dtype)}")
        D, H, G = int(input_size), int(hidden_size), self._n_gates
        self.input_size, self.hidden_size = D, H
        gen = np.random.default_rng(rng)
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

    def _add_weight_gradients(self, x: np.ndarray, h_prev: np.ndarray, da: np.ndarray) -> np.ndarray:
        """Given da (N, T, G·H), d loss / d pre-activations: add dWx, dWh, db and return dx (N, T, D)."""
        GH = da.shape[-1]
        da_rows = da.reshape(-1, GH)                                          # one row per (n, t)
        self.Wx.grad += x.reshape(-1, self.input_size).T @ da_rows            # Σ_t x_tᵀ da_t
        self.Wh.grad += h_prev.reshape(-1, self.hidden_size).T @ da_rows      # Σ_t h_{t−1}ᵀ da_t
        self.b.grad += da_rows.sum(axis=0)                                    # Σ_t Σ_n da_t
        return da @ self._weights(da.dtype)[0].T                              # dx_t = da_t Wxᵀ

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
        h = self._h0 = self._initial_state(h0, x, "h0")
        Wx, Wh, b = self._weights(x.dtype)
        N, T, _ = x.shape
        xw = x @ Wx + b  # (N, T, H): the input's part of every step, all at once
        hs = np.empty((N, T, self.hidden_size), dtype=x.dtype)
        for t in range(T):
            h = np.tanh(xw[:, t] + h @ Wh)
            hs[:, t] = h
        self._x, self._hs = x, hs
        return hs

    def backward(self, dout) -> np.ndarray:
        """dout: (N, T, H), d loss / d hs -> dx: (N, T, D); adds dWx, dWh, db and sets ``self.dh0``."""
        hs = self._cached("_hs")
        x, h0 = self._x, self._h0
        dout = self._check_dout(dout, hs.shape).astype(hs.dtype, copy=False)
        Wh = self._weights(hs.dtype)[1]
        da = np.empty_like(hs)        # d loss / d a_t for every t, filled backwards
        dh = np.zeros_like(h0)        # what step t + 1 sent back to h_t (nothing, after the last step)
        for t in reversed(range(hs.shape[1])):
            dh = dh + dout[:, t]                 # h_t feeds the output at t and step t + 1
            da[:, t] = dh * (1 - hs[:, t] ** 2)  # back through the tanh
            dh = da[:, t] @ Wh.T                 # back to h_{t−1}
        self.dh0 = dh
        h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # h_{t−1} for every t: (N, T, H)
        return self._add_weight_gradients(x, h_prev, da)


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
        h, c = self._initial_state(h0, x, "h0"), self._initial_state(c0, x, "c0")
        self._h0, self._c0 = h, c
        Wx, Wh, b = self._weights(x.dtype)
        N, T, _ = x.shape
        H = self.hidden_size
        xw = x @ Wx + b  # (N, T, 4H): the input's part of every step, all at once
        gates = np.empty((N, T, 4 * H), dtype=x.dtype)  # i, f, g, o after their nonlinearities
        cs = np.empty((N, T, H), dtype=x.dtype)
        tanh_cs = np.empty((N, T, H), dtype=x.dtype)
        hs = np.empty((N, T, H), dtype=x.dtype)
        for t in range(T):
            a = xw[:, t] + h @ Wh
            i, f = F.sigmoid(a[:, :H]), F.sigmoid(a[:, H:2 * H])
            g, o = np.tanh(a[:, 2 * H:3 * H]), F.sigmoid(a[:, 3 * H:])
            c = f * c + i * g
            tanh_c = np.tanh(c)
            h = o * tanh_c
            gates[:, t] = np.concatenate([i, f, g, o], axis=1)
            cs[:, t], tanh_cs[:, t], hs[:, t] = c, tanh_c, h
        self._x, self._gates, self._cs, self._tanh_cs, self._hs = x, gates, cs, tanh_cs, hs
        return hs

    def backward(self, dout) -> np.ndarray:
        """dout: (N, T, H), d loss / d hs -> dx: (N, T, D); adds dWx, dWh, db, sets ``self.dh0`` and ``self.dc0``."""
        hs = self._cached("_hs")
        x, gates, cs, tanh_cs = self._x, self._gates, self._cs, self._tanh_cs
        dout = self._check_dout(dout, hs.shape).astype(hs.dtype, copy=False)
        Wh = self._weights(hs.dtype)[1]
        H = self.hidden_size
        da = np.empty_like(gates)         # d loss / d a_t for every t, filled backwards
        dh = np.zeros_like(self._h0)      # what step t + 1 sent back to h_t
        dc = np.zeros_like(self._c0)      # what step t + 1 sent back to c_t
        for t in reversed(range(hs.shape[1])):
            i, f, g, o = (gates[:, t, k * H:(k + 1) * H] for k in range(4))
            c_prev = cs[:, t - 1] if t > 0 else self._c0
            dh = dh + dout[:, t]
            dc = dc + dh * o * (1 - tanh_cs[:, t] ** 2)
            da[:, t, :H] = dc * g * i * (1 - i)                  # di ⊙ σ'
            da[:, t, H:2 * H] = dc * c_prev * f * (1 - f)        # df ⊙ σ'
            da[:, t, 2 * H:3 * H] = dc * i * (1 - g ** 2)        # dg ⊙ tanh'
            da[:, t, 3 * H:] = dh * tanh_cs[:, t] * o * (1 - o)  # do ⊙ σ'
            dc = dc * f                                          # back to c_{t−1}
            dh = da[:, t] @ Wh.T                                 # back to h_{t−1}
        self.dh0, self.dc0 = dh, dc
        h_prev = np.concatenate([self._h0[:, None], hs[:, :-1]], axis=1)  # h_{t−1} for every t: (N, T, H)
        return self._add_weight_gradients(x, h_prev, da)
