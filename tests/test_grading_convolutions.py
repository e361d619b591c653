"""The checks of 12-convolutions: right answers pass, and each typical wrong answer fails with
the hint that names its mistake (the table ``MISTAKES`` is the specification).

The right answers are written the way students write them: loops over the kernel's offsets
or over the output pixels, not bplib's im2col.
"""
from __future__ import annotations

import math

import numpy as np

from tests.grading_tables import table_tests, with_args

# ---------------------------------------------------------------- right answers


def conv_output_size(size, kernel, stride=1, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


def conv_output_size_int_of_division(size, kernel, stride=1, padding=0):
    return int((size + 2 * padding - kernel) / stride) + 1  # floor for non-negative numbers


def _pad(x, p):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


def conv2d_forward(x, W, b, stride=1, padding=0, flip=False, bias=True, channels=None):
    """A loop over the kernel's offsets (i, j), vectorised over images, channels and positions."""
    F, C, kh, kw = W.shape
    if flip:
        W = W[:, :, ::-1, ::-1]
    x_pad = _pad(x, padding)
    Ho = (x.shape[2] + 2 * padding - kh) // stride + 1
    Wo = (x.shape[3] + 2 * padding - kw) // stride + 1
    out = np.zeros((x.shape[0], F, Ho, Wo))
    for i in range(kh):
        for j in range(kw):
            patch = x_pad[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride]  # (N, C, Ho, Wo)
            if channels == "last":
                patch, Wij = patch[:, -1:], W[:, -1:, i, j]
            else:
                Wij = W[:, :, i, j]
            out += np.einsum("nchw,fc->nfhw", patch, Wij)
    return out + b[None, :, None, None] if bias else out


def conv2d_forward_pixel_loop(x, W, b, stride=1, padding=0):
    """A loop over output pixels with tensordot, as CS231n's naive version."""
    F, C, kh, kw = W.shape
    x_pad = _pad(x, padding)
    Ho = (x.shape[2] + 2 * padding - kh) // stride + 1
    Wo = (x.shape[3] + 2 * padding - kw) // stride + 1
    out = np.empty((x.shape[0], F, Ho, Wo))
    for r in range(Ho):
        for c in range(Wo):
            window = x_pad[:, :, r * stride:r * stride + kh, c * stride:c * stride + kw]
            out[:, :, r, c] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def conv2d_backward(dout, x, W, stride=1, padding=0, flip_dx=False, crop=True, dW_images=None, dx_filters=None,
                    db_mean=False, stride_in_backward=True):
    F, C, kh, kw = W.shape
    N, _, Ho, Wo = dout.shape
    x_pad = _pad(x, padding)
    dx_pad = np.zeros_like(x_pad)
    dW = np.zeros_like(W)
    Wd = W[:, :, ::-1, ::-1] if flip_dx else W
    s = stride if stride_in_backward else 1
    for i in range(kh):
        for j in range(kw):
            rows, cols = slice(i, i + s * Ho, s), slice(j, j + s * Wo, s)
            patch = x_pad[:, :, rows, cols]
            if dW_images == "last":
                dW[:, :, i, j] = np.einsum("nfhw,nchw->fc", dout[-1:], patch[-1:])
            else:
                dW[:, :, i, j] = np.einsum("nfhw,nchw->fc", dout, patch)
            if dx_filters == "last":
                dx_pad[:, :, rows, cols] += np.einsum("nfhw,fc->nchw", dout[:, -1:], Wd[-1:, :, i, j])
            else:
                dx_pad[:, :, rows, cols] += np.einsum("nfhw,fc->nchw", dout, Wd[:, :, i, j])
    db = dout.mean(axis=(2, 3)).sum(axis=0) if db_mean else dout.sum(axis=(0, 2, 3))
    dx = dx_pad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]] if crop else dx_pad
    return dx, dW, db


def max_pool2d_forward(x, kernel_size, stride=None, how="max", default_stride=None):
    s = kernel_size if stride is None else stride
    if stride is None and default_stride is not None:
        s = default_stride
    k = kernel_size
    N, C, H, W = x.shape
    Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
    out = np.empty((N, C, Ho, Wo))
    for r in range(Ho):
        for c in range(Wo):
            window = x[:, :, r * s:r * s + k, c * s:c * s + k]
            out[:, :, r, c] = window.mean(axis=(2, 3)) if how == "mean" else window.max(axis=(2, 3))
    return out


def max_pool2d_backward(dout, x, kernel_size, stride=None, route="first", assign=False):
    s = kernel_size if stride is None else stride
    k = kernel_size
    dx = np.zeros_like(x)
    N, C, Ho, Wo = dout.shape
    for r in range(Ho):
        for c in range(Wo):
            window = x[:, :, r * s:r * s + k, c * s:c * s + k].reshape(N, C, -1)
            if route == "first":
                mask = np.eye(k * k)[window.argmax(axis=2)]
            elif route == "last":
                mask = np.eye(k * k)[k * k - 1 - window[:, :, ::-1].argmax(axis=2)]
            elif route == "ties":
                mask = (window == window.max(axis=2, keepdims=True)).astype(float)
            else:  # spread over the window, as average pooling
                mask = np.full(window.shape, 1.0 / (k * k))
            share = (mask * dout[:, :, r, c, None]).reshape(N, C, k, k)
            if assign:
                dx[:, :, r * s:r * s + k, c * s:c * s + k] = share
            else:
                dx[:, :, r * s:r * s + k, c * s:c * s + k] += share
    return dx


def max_pool2d_backward_argmax_unravel(dout, x, kernel_size, stride=None):
    """Another right formulation: np.unravel_index of each window's argmax, one window at a time."""
    s = kernel_size if stride is None else stride
    dx = np.zeros_like(x)
    N, C, Ho, Wo = dout.shape
    for n in range(N):
        for ch in range(C):
            for r in range(Ho):
                for c in range(Wo):
                    window = x[n, ch, r * s:r * s + kernel_size, c * s:c * s + kernel_size]
                    i, j = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, ch, r * s + i, c * s + j] += dout[n, ch, r, c]
    return dx


RIGHT = [
    ("conv_output_size", conv_output_size),
    ("conv_output_size", conv_output_size_int_of_division),
    ("conv2d_forward", conv2d_forward),
    ("conv2d_forward", conv2d_forward_pixel_loop),
    ("conv2d_backward", conv2d_backward),
    ("max_pool2d_forward", max_pool2d_forward),
    ("max_pool2d_backward", max_pool2d_backward),
    ("max_pool2d_backward", max_pool2d_backward_argmax_unravel),
]


# ---------------------------------------------------------------- mistakes


MISTAKES = [
    ("conv_output_size", lambda n, k, s=1, p=0: (n + 2 * p - k) // s, "conv_size_no_plus_one"),
    ("conv_output_size", lambda n, k, s=1, p=0: (n + p - k) // s + 1, "conv_size_padding_once"),
    ("conv_output_size", lambda n, k, s=1, p=0: (n - k) // s + 1, "conv_size_padding_ignored"),
    ("conv_output_size", lambda n, k, s=1, p=0: math.ceil((n + 2 * p - k) / s) + 1, "conv_size_ceil"),
    ("conv_output_size", lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1, "conv_size_true_division"),
    ("conv_output_size", lambda n, k, s=1, p=0: float((n + 2 * p - k) // s + 1), "conv_size_not_int"),
    ("conv2d_forward", with_args(conv2d_forward, flip=True), "conv_kernel_flipped_in_forward"),
    ("conv2d_forward", with_args(conv2d_forward, bias=False), "conv_bias_missing"),
    ("conv2d_forward", lambda x, W, b, s=1, p=0: conv2d_forward(x, W, b, s, 0), "conv_padding_ignored"),
    ("conv2d_forward", lambda x, W, b, s=1, p=0: conv2d_forward(x, W, b, 1, p), "conv_stride_ignored"),
    ("conv2d_forward", with_args(conv2d_forward, channels="last"), "conv_last_channel_only"),
    ("conv2d_backward", with_args(conv2d_backward, flip_dx=True), "conv_dx_kernel_not_flipped"),
    ("conv2d_backward", with_args(conv2d_backward, crop=False), "conv_backward_padding_kept"),
    ("conv2d_backward", with_args(conv2d_backward, dW_images="last"), "conv_dW_last_image_only"),
    ("conv2d_backward", with_args(conv2d_backward, dx_filters="last"), "conv_dx_last_filter_only"),
    ("conv2d_backward", with_args(conv2d_backward, db_mean=True), "conv_db_mean_over_positions"),
    ("conv2d_backward", with_args(conv2d_backward, stride_in_backward=False), "conv_backward_stride_ignored"),
    ("max_pool2d_forward", with_args(max_pool2d_forward, how="mean"), "pool_average_not_max"),
    ("max_pool2d_forward", with_args(max_pool2d_forward, default_stride=1), "pool_default_stride_one"),
    ("max_pool2d_backward", with_args(max_pool2d_backward, route="spread"), "pool_grad_spread_over_window"),
    ("max_pool2d_backward", with_args(max_pool2d_backward, route="ties"), "pool_grad_to_every_tie"),
    ("max_pool2d_backward", with_args(max_pool2d_backward, route="last"), "pool_grad_to_last_tie"),
    ("max_pool2d_backward", with_args(max_pool2d_backward, assign=True), "pool_overlap_overwritten"),
]

session, test_right_answers_pass, test_each_mistake_gets_its_hint_in_both_parts = table_tests(
    "12-convolutions", RIGHT, MISTAKES)
