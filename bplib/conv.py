"""Convolution and pooling layers for images, through im2col and col2im.

Images are NCHW, as in PyTorch: x has shape (N, C, H, W), N images of C channels of H × W
pixels. A convolution with F filters of kh × kw, stride s and zero padding p computes (a
cross-correlation, like ``torch.nn.Conv2d``; x_pad is x with p zeros on every side)::

    out[n, f, y, x] = b[f] + Σ_{c, i, j} W[f, c, i, j] · x_pad[n, c, s·y + i, s·x + j]

for y < Ho = ⌊(H + 2p − kh) / s⌋ + 1 and x < Wo = ⌊(W + 2p − kw) / s⌋ + 1.

**im2col** turns this into one matrix product. It copies every patch that a filter sees into
a column: ``cols`` has one row per (c, i, j), C·kh·kw of them, and one column per output
pixel (y, x) of each image n, Ho·Wo·N of them. With the filters as rows,
``W_row = W.reshape(F, C·kh·kw)``::

    out = W_row @ cols + b                          (F, Ho·Wo·N), rearranged to (N, F, Ho, Wo)

and the backward pass is the one of a Dense layer, plus one step::

    dW_row = dout_row @ colsᵀ                       dout_row: dout as (F, Ho·Wo·N)
    db     = Σ over the columns of dout_row
    dcols  = W_rowᵀ @ dout_row                      (C·kh·kw, Ho·Wo·N)
    dx     = col2im(dcols)

**col2im** puts every column back where its patch came from and *adds* where patches
overlap: a pixel seen by several windows gets the gradient from each of them (the chain rule
sums over every use of a variable). It is the adjoint of im2col, not its inverse.

Both loop in Python only over the kh·kw offsets (i, j) of the kernel: each step copies (or
adds) one pixel of every window of every image at once, a strided slice of the whole batch.
The image index n comes last, in the columns (as in CS231n's im2col) and in the padded copy
of the images that im2col reads, (C, H, W, N). With stride 1, what one of those steps copies
for one row of windows then lies in one run of Wo·N consecutive numbers, and numpy copies
long runs much faster than short ones: with n first, runs of Wo, im2col and col2im took 2.7
and 1.6 times as long on 32 images of 8 × 14 × 14. The price is reordering the output to
NCHW, and dout from it, once per step.

Max pooling reuses the same two helpers: the maximum of each window is the maximum of its
column, and backward sends each window's gradient to the one pixel that was its maximum.
"""
from __future__ import annotations

import operator

import numpy as np

from ._checks import FLOAT_DTYPES, RngLike, as_float_array, as_rng, require_shape
from .layers import Layer, Parameter


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (as in PyTorch) as a pair (height, width), each >= minimum."""
    try:
        pair = (value, value) if np.ndim(value) == 0 else tuple(value)
        pair = tuple(operator.index(v) for v in pair)
    except TypeError:
        pair = ()
    if len(pair) != 2 or isinstance(value, bool) or any(isinstance(v, bool) or v < minimum for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints (height, width), each >= {minimum}; got {value!r}")
    return pair


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Output length along one axis: ⌊(size + 2·padding − kernel) / stride⌋ + 1.

    The windows start at 0, stride, 2·stride, ... and must fit in the padded input; a
    remainder that is too short for a window is dropped, as in PyTorch.
    """
    return (size + 2 * padding - kernel) // stride + 1


def _check_fits(x: np.ndarray, kernel: tuple[int, int], padding: tuple[int, int], owner: str) -> None:
    """Raise ValueError unless a window of ``kernel`` fits in the padded image at least once."""
    if x.shape[2] + 2 * padding[0] < kernel[0] or x.shape[3] + 2 * padding[1] < kernel[1]:
        raise ValueError(f"{owner} needs images of at least the kernel's size {kernel} once padded by {padding}: "
                         f"H + 2·padding >= kernel height and W + 2·padding >= kernel width; got x of shape {x.shape}")


def im2col(x: np.ndarray, kernel_size, stride=1, padding=0, out: np.ndarray | None = None) -> np.ndarray:
    """Every window of the padded images as a column of one matrix.

    Parameters
    ----------
    x : np.ndarray, shape (N, C, H, W)
    kernel_size, stride, padding : int or pair of ints (height, width)
        kh × kw windows, moved by stride, over x padded with zeros on every side.
    out : np.ndarray, shape (C·kh·kw, Ho·Wo·N), x's dtype, optional
        Where to write the result (a layer passes the same array at every step); by default
        a new array.

    Returns
    -------
    cols : np.ndarray, shape (C·kh·kw, Ho·Wo·N), x's dtype
        ``cols[(c, i, j), (y, x, n)] = x_pad[n, c, s·y + i, s·x + j]``, with the row index
        (c, i, j) and the column index (y, x, n) flattened in that order (row-major).
    """
    (kh, kw), (sh, sw), (ph, pw) = (_pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1),
                                    _pair(padding, "padding", 0))
    N, C, H, W = x.shape
    Ho, Wo = output_size(H, kh, sh, ph), output_size(W, kw, sw, pw)
    # The padded images in the order of cols, channels first and images last: (C, Hp, Wp, N).
    # (np.pad would pad more slowly, and could not reorder the axes on the way.)
    x_pad = np.zeros((C, H + 2 * ph, W + 2 * pw, N), dtype=x.dtype)
    x_pad[:, ph:ph + H, pw:pw + W, :] = x.transpose(1, 2, 3, 0)
    if out is None:
        out = np.empty((C * kh * kw, Ho * Wo * N), dtype=x.dtype)
    cols = out.reshape(C, kh, kw, Ho, Wo, N)  # a view: filling it fills out
    for i in range(kh):
        for j in range(kw):
            # Offset (i, j) of every window of every image: the pixels (s·y + i, s·x + j).
            cols[:, i, j] = x_pad[:, i:i + sh * Ho:sh, j:j + sw * Wo:sw, :]
    return out


def col2im(cols: np.ndarray, x_shape: tuple, kernel_size, stride=1, padding=0) -> np.ndarray:
    """The adjoint of im2col: each column added back onto the window it came from.

    If ``cols = im2col(x, ...)`` then ``sum(cols * dcols) == sum(x * col2im(dcols, x.shape, ...))``
    for any dcols: that is why col2im turns d loss / d cols into d loss / d x. Pixels that
    several windows share receive the sum of their gradients; padding is cut off at the end.

    Parameters
    ----------
    cols : np.ndarray, shape (C·kh·kw, Ho·Wo·N)
        Laid out as im2col returns it.
    x_shape : tuple (N, C, H, W)
        The shape of the images that im2col was given.
    kernel_size, stride, padding : int or pair of ints
        As given to im2col.

    Returns
    -------
    dx : np.ndarray, shape (N, C, H, W), cols' dtype
    """
    (kh, kw), (sh, sw), (ph, pw) = (_pair(kernel_size, "kernel_size", 1), _pair(stride, "stride", 1),
                                    _pair(padding, "padding", 0))
    N, C, H, W = x_shape
    Ho, Wo = output_size(H, kh, sh, ph), output_size(W, kw, sw, pw)
    cols = cols.reshape(C, kh, kw, Ho, Wo, N)
    dx_pad = np.zeros((C, H + 2 * ph, W + 2 * pw, N), dtype=cols.dtype)  # the layout of im2col's x_pad
    for i in range(kh):
        for j in range(kw):
            dx_pad[:, i:i + sh * Ho:sh, j:j + sw * Wo:sw, :] += cols[:, i, j]
    return dx_pad[:, ph:ph + H, pw:pw + W, :].transpose(3, 0, 1, 2).copy()  # unpadded, back to (N, C, H, W)


class Conv2d(Layer):
    """2-d convolution over NCHW images, as ``torch.nn.Conv2d`` (see the module's docstring).

    Parameters
    ----------
    in_channels, out_channels : int
        C and F: the layer maps (N, C, H, W) to (N, F, Ho, Wo).
    kernel_size : int or pair of ints (kh, kw)
    stride : int or pair of ints (sh, sw)
        Step between windows; 1 by default.
    padding : int or pair of ints (ph, pw)
        Zeros added on each side of each image (ph rows above and below, pw columns left and
        right); 0 by default. Ho = ⌊(H + 2ph − kh) / sh⌋ + 1, and likewise Wo.
    rng : None, int or np.random.Generator
        Source of randomness for the initial weights.
    dtype : np.float64 or np.float32
        Dtype of the parameters. The computation runs in the input's dtype (float32 input gives
        float32 output), with the weights converted to it if they differ.

    Attributes
    ----------
    W : Parameter, shape (F, C, kh, kw)
    b : Parameter, shape (F,)
        Both initialised as in PyTorch, uniform on [−1/√fan_in, 1/√fan_in] with
        fan_in = C·kh·kw (``kaiming_uniform_`` with a = √5, for W).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, rng: RngLike = None,
                 dtype=np.float64) -> None:
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int; got {value!r}")
        if np.dtype(dtype) not in FLOAT_DTYPES:
            raise ValueError(f"dtype must be float32 or float64; got {np.dtype(dtype)}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        kh, kw = self.kernel_size
        bound = 1.0 / np.sqrt(in_channels * kh * kw)
        gen = as_rng(rng)
        self.W = Parameter(gen.uniform(-bound, bound, (out_channels, in_channels, kh, kw)).astype(dtype), "W")
        self.b = Parameter(gen.uniform(-bound, bound, out_channels).astype(dtype), "b")
        self._cols: np.ndarray | None = None
        self._x_shape: tuple | None = None

    def _geometry(self) -> dict:
        return {"kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}

    def _output_size(self, x_shape: tuple) -> tuple[int, int]:
        return tuple(output_size(size, k, s, p)
                     for size, k, s, p in zip(x_shape[2:], self.kernel_size, self.stride, self.padding))

    def forward(self, x) -> np.ndarray:
        """x: (N, C, H, W) -> out: (N, F, Ho, Wo), in x's dtype."""
        x = as_float_array(x, "x")
        require_shape(x, ("N", self.in_channels, "H", "W"), "x", "Conv2d")
        _check_fits(x, self.kernel_size, self.padding, repr(self))
        N, F, (Ho, Wo), dtype = x.shape[0], self.out_channels, self._output_size(x.shape), x.dtype
        K, P = self.W.value[0].size, Ho * Wo * N                     # C·kh·kw rows, Ho·Wo·N columns
        W_row = self.W.value.reshape(F, K).astype(dtype, copy=False)  # one filter per row
        cols = im2col(x, **self._geometry(), out=self._scratch("cols", (K, P), dtype))
        out_row = np.matmul(W_row, cols, out=self._scratch("out_row", (F, P), dtype))
        self._cols, self._x_shape = cols, x.shape
        out = out_row.reshape(F, Ho, Wo, N).transpose(3, 0, 1, 2).copy()  # NCHW, a new array
        out += self.b.value.astype(dtype, copy=False)[:, None, None]
        return out

    def backward(self, dout) -> np.ndarray:
        """dout: (N, F, Ho, Wo) -> dx: (N, C, H, W); adds dW (F, C, kh, kw) and db (F,)."""
        cols = self._cached("_cols")
        N, F, (Ho, Wo), dtype = self._x_shape[0], self.out_channels, self._output_size(self._x_shape), cols.dtype
        dout = self._check_dout(dout, (N, F, Ho, Wo))
        dout_row = self._scratch("dout_row", (F, Ho * Wo * N), dtype)  # dout in the layout of out_row
        dout_row.reshape(F, Ho, Wo, N)[...] = dout.transpose(1, 2, 3, 0)
        self.W.grad += (dout_row @ cols.T).reshape(self.W.grad.shape)
        self.b.grad += dout_row.sum(axis=1)
        W_row = self.W.value.reshape(F, -1).astype(dtype, copy=False)
        dcols = np.matmul(W_row.T, dout_row, out=self._scratch("dcols", cols.shape, dtype))  # (C·kh·kw, Ho·Wo·N)
        return col2im(dcols, self._x_shape, **self._geometry())

    def parameters(self) -> list[Parameter]:
        return [self.W, self.b]

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")


class MaxPool2d(Layer):
    """Max pooling over NCHW images, as ``torch.nn.MaxPool2d`` (no padding, no dilation)::

        out[n, c, y, x] = max_{i < kh, j < kw} x[n, c, s·y + i, s·x + j]

    The maximum passes its input's gradient straight through and the other pixels of the
    window get none, so backward routes each window's gradient to the one pixel that was its
    maximum. On ties that is the first maximum in row-major window order (the smallest i, then
    the smallest j), as in PyTorch; where windows overlap (stride < kernel_size) a pixel that is
    the maximum of several windows receives the sum of their gradients.

    Parameters
    ----------
    kernel_size : int or pair of ints (kh, kw)
    stride : int, pair of ints, or None
        Step between windows; None (the default) means kernel_size: windows that tile the
        image without overlapping.
    """

    def __init__(self, kernel_size, stride=None) -> None:
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", 1)
        self._argmax: np.ndarray | None = None
        self._x_shape: tuple | None = None

    def forward(self, x) -> np.ndarray:
        """x: (N, C, H, W) -> out: (N, C, Ho, Wo) with Ho = ⌊(H − kh) / sh⌋ + 1, likewise Wo."""
        x = as_float_array(x, "x")
        require_shape(x, ("N", "C", "H", "W"), "x", "MaxPool2d")
        _check_fits(x, self.kernel_size, (0, 0), repr(self))
        N, C, H, W = x.shape
        kh, kw = self.kernel_size
        Ho, Wo = output_size(H, kh, self.stride[0]), output_size(W, kw, self.stride[1])
        windows = im2col(x, self.kernel_size, self.stride).reshape(C, kh * kw, Ho, Wo, N)
        self._argmax = windows.argmax(axis=1)  # (C, Ho, Wo, N); argmax returns the first maximum
        self._x_shape, self._dtype = x.shape, x.dtype
        out = windows.max(axis=1)              # (C, Ho, Wo, N)
        return out.transpose(3, 0, 1, 2).copy()

    def backward(self, dout) -> np.ndarray:
        """dout: (N, C, Ho, Wo) -> dx: (N, C, H, W), nonzero only at the windows' maxima."""
        argmax = self._cached("_argmax")
        C, Ho, Wo, N = argmax.shape
        kh, kw = self.kernel_size
        dout = self._check_dout(dout, (N, C, Ho, Wo)).astype(self._dtype, copy=False)
        dwindows = np.zeros((C, kh * kw, Ho, Wo, N), dtype=self._dtype)
        np.put_along_axis(dwindows, argmax[:, None], dout.transpose(1, 2, 3, 0)[:, None], axis=1)
        return col2im(dwindows.reshape(C * kh * kw, -1), self._x_shape, self.kernel_size, self.stride)

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride})"


class Flatten(Layer):
    """(N, C, H, W) -> (N, C·H·W), as ``torch.nn.Flatten()``: every axis after the first becomes one.

    Between the convolutional part of a network and its Dense layers. No arithmetic happens,
    so backward only reshapes dout back to x's shape.
    """

    def forward(self, x) -> np.ndarray:
        """x: (N, d1, d2, ...) -> out: (N, d1·d2·...)."""
        x = as_float_array(x, "x")
        if x.ndim < 2:
            raise ValueError(f"Flatten expects x of shape (N, ...) with at least 2 axes, got {x.shape}")
        self._x_shape, self._dtype = x.shape, x.dtype
        return x.reshape(x.shape[0], -1)

    def backward(self, dout) -> np.ndarray:
        """dout: (N, d1·d2·...) -> dx: (N, d1, d2, ...)."""
        shape = self._cached("_x_shape")
        dout = self._check_dout(dout, (shape[0], int(np.prod(shape[1:]))))
        return dout.astype(self._dtype, copy=False).reshape(shape)

    def __repr__(self) -> str:
        return "Flatten()"


# ---------------------------------------------------------------- the same, as functions
# Notebook 12's exercises are functions of explicit arrays: these give the layers' results, and
# are the references the exercises are checked against. While notebook 12 is graded, the layers,
# im2col and col2im are withheld from the submission's sandbox with them.


def _conv2d_layer(W, b, stride, padding) -> Conv2d:
    W = as_float_array(W, "W")
    require_shape(W, ("F", "C", "kh", "kw"), "W", "conv2d")
    F, C, kh, kw = W.shape
    layer = Conv2d(C, F, (kh, kw), stride, padding, dtype=W.dtype)  # as_float_array: float32 or float64
    layer.W.value[...] = W
    if b is not None:
        b = as_float_array(b, "b")
        require_shape(b, (F,), "b", "conv2d")
        layer.b.value[...] = b
    else:
        layer.b.value[...] = 0
    return layer


def conv2d(x, W, b, stride=1, padding=0) -> np.ndarray:
    """What ``Conv2d`` computes, with given weights: x (N, C, H, W), W (F, C, kh, kw), b (F,) -> (N, F, Ho, Wo)."""
    return _conv2d_layer(W, b, stride, padding).forward(x)


def conv2d_backward(dout, x, W, stride=1, padding=0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of ``conv2d``: dout (N, F, Ho, Wo) -> dx (N, C, H, W), dW (F, C, kh, kw), db (F,)."""
    layer = _conv2d_layer(W, None, stride, padding)
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.W.grad, layer.b.grad


def max_pool2d(x, kernel_size, stride=None) -> np.ndarray:
    """What ``MaxPool2d`` computes: x (N, C, H, W) -> (N, C, Ho, Wo)."""
    return MaxPool2d(kernel_size, stride).forward(x)


def max_pool2d_backward(dout, x, kernel_size, stride=None) -> np.ndarray:
    """The gradient of ``max_pool2d``: dout (N, C, Ho, Wo) -> dx (N, C, H, W), one pixel per window."""
    pool = MaxPool2d(kernel_size, stride)
    pool.forward(x)
    return pool.backward(dout)
