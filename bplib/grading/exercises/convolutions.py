"""Exercises of 12-convolutions: the output size, conv2d forward and backward, max pooling.

The inputs are built so that the mistakes give different numbers: kernels that are not
square and not symmetric (a flipped kernel shows), stride 2 with padding 1 (padding and
stride forgotten change the shape), several channels and filters and a batch of more than
one image (the sums over them), and for pooling integer-valued images, where windows hold
tied maxima, and overlapping windows (stride < kernel), where one pixel is the maximum of two.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...conv import conv2d, conv2d_backward, max_pool2d, max_pool2d_backward, output_size
from ..compare import compare
from ..exercise import Case, FunctionExercise, call_student
from ..report import Report

# ---------------------------------------------------------------- conv_output_size

# Each mistake is alone in giving its number on some case: with padding 2 and stride 1, "no + 1",
# "padding once" and "no padding" give three different sizes; stride 2 on 8 does not divide.
_SIZES = [(28, 3, 1, 0), (28, 5, 1, 2), (8, 3, 2, 0), (6, 3, 1, 1), (12, 5, 3, 2), (5, 5, 1, 0)]
_HIDDEN_SIZES = [(32, 5, 1, 2), (13, 3, 2, 2), (15, 3, 4, 3), (9, 3, 2, 0), (11, 4, 3, 1)]


def _size_cases(rng, hidden):
    return [Case(f"size={n}, kernel={k}, stride={s}, padding={p}", (n, k, s, p))
            for n, k, s, p in (_HIDDEN_SIZES if hidden else _SIZES)]


_SIZE_VARIANTS = {
    "conv_size_no_plus_one": lambda n, k, s=1, p=0: (n + 2 * p - k) // s,
    "conv_size_padding_once": lambda n, k, s=1, p=0: (n + p - k) // s + 1,
    "conv_size_padding_ignored": lambda n, k, s=1, p=0: (n - k) // s + 1,
    "conv_size_ceil": lambda n, k, s=1, p=0: math.ceil((n + 2 * p - k) / s) + 1,
    "conv_size_true_division": lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1,
}


@dataclass
class OutputSizeExercise(FunctionExercise):
    """An int: the right value as a float (4.0) fails too, since a shape needs ints."""

    def _run_case(self, student, case: Case, report: Report) -> None:
        status, got = call_student(report, student, case, self.allowed)
        if status == "nonfinite":
            report.fail("wrong_values", case=case.description)
        if status != "ok":
            return
        variants = {key: wrong(*case.args) for key, wrong in self.variants.items()}
        if compare(report, got, self.reference(*case.args), case.description, variants=variants,
                   rtol=0, atol=0, ratios=False):
            if not isinstance(got, (int, np.integer)) or isinstance(got, (bool, np.bool_)):
                report.fail("conv_size_not_int", case=case.description, kind=type(got).__name__)


# ---------------------------------------------------------------- conv2d forward and backward


def _conv_cases(rng, hidden):
    # (N, C, H, W), (F, kh, kw), stride, padding: all dimensions different, kernels not square
    shapes = ([((3, 2, 7, 6), (4, 3, 2), 1, 0), ((2, 3, 8, 7), (5, 2, 3), 2, 1), ((2, 2, 5, 6), (3, 3, 3), 1, 2)]
              if hidden else
              [((2, 3, 6, 5), (4, 3, 2), 1, 0), ((3, 2, 7, 8), (4, 3, 3), 2, 1), ((2, 3, 5, 4), (2, 2, 3), 1, 1)])
    cases = []
    for (n, c, h, w), (f, kh, kw), stride, padding in shapes:
        x, W, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, kh, kw)), rng.standard_normal(f)
        cases.append(Case(f"x of shape {(n, c, h, w)}, W of shape {(f, c, kh, kw)}, stride={stride}, padding={padding}",
                          (x, W, b, stride, padding), batch=n))
    return cases


def _flipped(W):
    return W[:, :, ::-1, ::-1]


_FORWARD_VARIANTS = {
    "conv_kernel_flipped_in_forward": lambda x, W, b, s=1, p=0: conv2d(x, _flipped(W), b, s, p),
    "conv_bias_missing": lambda x, W, b, s=1, p=0: conv2d(x, W, np.zeros_like(b), s, p),
    "conv_padding_ignored": lambda x, W, b, s=1, p=0: conv2d(x, W, b, s, 0),
    "conv_stride_ignored": lambda x, W, b, s=1, p=0: conv2d(x, W, b, 1, p),
    "conv_last_channel_only": lambda x, W, b, s=1, p=0: conv2d(x[:, -1:], W[:, -1:], b, s, p),
}


def _backward_cases(rng, hidden):
    cases = []
    for case in _conv_cases(rng, hidden):
        x, W, b, stride, padding = case.args
        dout = rng.standard_normal(conv2d(x, W, b, stride, padding).shape)
        cases.append(Case(f"{case.description}, a random dout of shape {dout.shape}", (dout, x, W, stride, padding),
                          batch=len(x)))
    return cases


def _padded_dx(dout, x, W, s=1, p=0):
    """(dx, dW, db) with dx still the shape of the padded input: the padding never cut off."""
    return conv2d_backward(dout, np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))), W, s, 0)


def _backward_variant(change):
    """A wrong (dx, dW, db): the right triple with some parts replaced by change(...)."""
    def variant(dout, x, W, s=1, p=0):
        right = list(conv2d_backward(dout, x, W, s, p))
        for i, part in change(dout, x, W, s, p).items():
            right[i] = part
        return tuple(right)
    return variant


_BACKWARD_VARIANTS = {
    "conv_dx_kernel_not_flipped":
        _backward_variant(lambda d, x, W, s, p: {0: conv2d_backward(d, x, _flipped(W), s, p)[0]}),
    "conv_backward_padding_kept": _padded_dx,
    "conv_dW_last_image_only":
        _backward_variant(lambda d, x, W, s, p: {1: conv2d_backward(d[-1:], x[-1:], W, s, p)[1]}),
    "conv_dx_last_filter_only":
        _backward_variant(lambda d, x, W, s, p: {0: conv2d_backward(d[:, -1:], x, W[-1:], s, p)[0]}),
    "conv_db_mean_over_positions": _backward_variant(lambda d, x, W, s, p: {2: d.mean(axis=(2, 3)).sum(axis=0)}),
    "conv_backward_stride_ignored": _backward_variant(lambda d, x, W, s, p: _stride_one_grads(d, x, W, s, p)),
}


def _stride_one_grads(dout, x, W, s, p):
    """dx and dW of a backward loop that moves its windows by 1 (i, j) instead of by the stride
    (s·i, s·j): as the stride-1 backward of dout placed in the first Ho × Wo positions."""
    if s == 1:
        return {}
    dense = np.zeros(dout.shape[:2] + (output_size(x.shape[2], W.shape[2], 1, p),
                                       output_size(x.shape[3], W.shape[3], 1, p)))
    dense[:, :, :dout.shape[2], :dout.shape[3]] = dout
    dx, dW, _ = conv2d_backward(dense, x, W, 1, p)
    return {0: dx, 1: dW}


# ---------------------------------------------------------------- max pooling


def _pool_cases(rng, hidden, with_dout: bool):
    # (N, C, H, W), kernel, stride: tiling windows, a remainder that is dropped, overlapping windows
    configs = ([((2, 3, 6, 8), 2, None), ((3, 2, 7, 5), 3, 2), ((2, 2, 5, 7), 2, 1)] if hidden else
               [((2, 3, 4, 6), 2, None), ((2, 2, 7, 9), 3, 2), ((3, 2, 5, 4), 2, 1)])
    cases = []
    for ties in (False, True):
        for (n, c, h, w), k, s in configs:
            # integer pixel values in 0..3: most windows then hold several equal maxima
            x = rng.integers(0, 4, (n, c, h, w)).astype(np.float64) if ties else rng.standard_normal((n, c, h, w))
            what = (f"{'an integer-valued' if ties else 'a random'} x of shape {(n, c, h, w)}, "
                    f"kernel_size={k}, stride={s}")
            args = (x, k) if s is None else (x, k, s)
            if with_dout:
                dout = rng.standard_normal(max_pool2d(x, k, s).shape)
                cases.append(Case(f"{what}, a random dout of shape {dout.shape}", (dout,) + args, batch=n))
            else:
                cases.append(Case(what, args, batch=n))
            if not with_dout and ties:
                break  # ties change no maximum: one integer case is enough for forward
    return cases


def _windows(x, k, s):
    """Every window of x as (N, C, Ho, Wo, k·k), with its top-left corner (for the variants)."""
    s = k if s is None else s
    n, c, h, w = x.shape
    ho, wo = output_size(h, k, s), output_size(w, k, s)
    out = np.empty((n, c, ho, wo, k * k))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].reshape(n, c, -1)
    return out, s


def _route(x, dout, k, s, weights, how="add"):
    """dx that sends dout[n, c, i, j] · weights(window)[p] to pixel p of each window: added, or
    written with `=` over the whole window ("block") or over the pixels that get a share ("pixels")."""
    windows, s = _windows(x, k, s)
    dx = np.zeros_like(x)
    for i in range(windows.shape[2]):
        for j in range(windows.shape[3]):
            block = dx[:, :, i * s:i * s + k, j * s:j * s + k]
            share = (weights(windows[:, :, i, j]) * dout[:, :, i, j, None]).reshape(block.shape)
            if how == "add":
                block += share
            elif how == "block":
                block[...] = share
            else:
                block[...] = np.where(share != 0, share, block)
    return dx


def _one_hot_at(index, size):
    return np.eye(size)[index]


def _first_max(win):
    return _one_hot_at(win.argmax(axis=-1), win.shape[-1])


def _last_max(win):
    return _one_hot_at(win.shape[-1] - 1 - win[..., ::-1].argmax(axis=-1), win.shape[-1])


def _every_max(win):
    return (win == win.max(axis=-1, keepdims=True)).astype(np.float64)


_POOL_FORWARD_VARIANTS = {
    "pool_average_not_max": lambda x, k, s=None: _windows(x, k, s)[0].mean(axis=-1),
    "pool_default_stride_one": lambda x, k, s=None: max_pool2d(x, k, 1 if s is None else s),
    "pool_absolute_max": lambda x, k, s=None: np.abs(_windows(x, k, s)[0]).max(axis=-1),
}

_POOL_BACKWARD_VARIANTS = {
    "pool_grad_spread_over_window":
        lambda d, x, k, s=None: _route(x, d, k, s, lambda w: np.full(w.shape, 1.0 / w.shape[-1])),
    "pool_grad_to_every_pixel": lambda d, x, k, s=None: _route(x, d, k, s, lambda w: np.ones(w.shape)),
    "pool_grad_to_every_tie": lambda d, x, k, s=None: _route(x, d, k, s, _every_max),
    "pool_grad_to_last_tie": lambda d, x, k, s=None: _route(x, d, k, s, _last_max),
    "pool_overlap_overwritten": lambda d, x, k, s=None: _route(x, d, k, s, _first_max, how="block"),
    "pool_overlap_assigned": lambda d, x, k, s=None: _route(x, d, k, s, _first_max, how="pixels"),
}


# bplib's layers compute what the exercises ask: absent from the sandbox while they are graded
# (so the notebook's CNN is built from the student's functions).
_LAYERS = ("bplib.conv.Conv2d", "bplib.conv.MaxPool2d", "bplib.conv.im2col", "bplib.conv.col2im",
           "bplib.conv._conv2d_layer")

EXERCISES = [
    OutputSizeExercise("conv_output_size", output_size, _size_cases, _SIZE_VARIANTS),
    FunctionExercise("conv2d_forward", conv2d, _conv_cases, _FORWARD_VARIANTS, withholds=_LAYERS),
    FunctionExercise("conv2d_backward", conv2d_backward, _backward_cases, _BACKWARD_VARIANTS,
                     outputs=("dx", "dW", "db")),
    FunctionExercise("max_pool2d_forward", max_pool2d, lambda rng, hidden: _pool_cases(rng, hidden, False),
                     _POOL_FORWARD_VARIANTS),
    FunctionExercise("max_pool2d_backward", max_pool2d_backward, lambda rng, hidden: _pool_cases(rng, hidden, True),
                     _POOL_BACKWARD_VARIANTS),
]
