"""The checks of 10-deep-networks and 11-regularisation: right answers pass, and each typical
wrong answer fails with the hint that names its mistake.

The tables ``MISTAKES`` are the specification: every row is a wrong answer a student writes,
and the hint key the check must give it. The right answers are written the way students
write them (not copied from bplib), with the alternative formulations that must also pass.
"""
from __future__ import annotations

import numpy as np
import pytest

from bplib import grading
from bplib.grading import CheckFailed
from bplib.grading.report import Report
from bplib.layers import Layer, Parameter


@pytest.fixture(autouse=True)
def session():
    grading.start("10-deep-networks")
    grading._SESSION.tampered.clear()
    yield


def problems(name, student, hidden=False):
    """The hint keys that the check of ``name`` gives ``student`` (visible part by default)."""
    report = Report(name)
    grading.EXERCISES[name].run(student, report, grading._rng(name, hidden), hidden)
    return [key for key, _ in report.problems]


def assert_passes(name, student):
    for hidden in (False, True):
        found = problems(name, student, hidden)
        assert not found, f"{name} ({'hidden' if hidden else 'visible'} part) should pass; got {found}"


# ---------------------------------------------------------------- right answers


def he_normal(fan_in, fan_out, rng):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def he_normal_with_normal(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2 / fan_in), size=(fan_in, fan_out))


def clip_grad_norm(params, max_norm):
    params = list(params)
    total = np.sqrt(sum(np.sum(p.grad**2) for p in params))
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for p in params:
            p.grad *= scale
    return float(total)


def clip_grad_norm_concatenated(params, max_norm):
    total = np.linalg.norm(np.concatenate([p.grad.ravel() for p in params]))
    if total > max_norm:
        for p in params:
            p.grad[...] = p.grad * max_norm / (total + 1e-6)
    return total


class BatchNorm1d(Layer):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.eps, self.momentum = eps, momentum
        self.gamma = Parameter(np.ones(num_features), "gamma")
        self.beta = Parameter(np.zeros(num_features), "beta")
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)

    def parameters(self):
        return [self.gamma, self.beta]

    def forward(self, x):
        if self.training:
            n = x.shape[0]
            mean, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = (x - mean) * self.inv_std
        return self.gamma.value * self.xhat + self.beta.value

    def backward(self, dout):
        self.gamma.grad += (dout * self.xhat).sum(axis=0)
        self.beta.grad += dout.sum(axis=0)
        if not self.training:
            return self.gamma.value * self.inv_std * dout
        return self.gamma.value * self.inv_std * (dout - dout.mean(0) - self.xhat * (dout * self.xhat).mean(0))


class BatchNorm1dInPlace(BatchNorm1d):
    """Running statistics updated in place, and the long form of backward: also right."""

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        mean = x.mean(axis=0)
        var = ((x - mean) ** 2).mean(axis=0)
        self.running_mean *= 1 - self.momentum
        self.running_mean += self.momentum * mean
        self.running_var *= 1 - self.momentum
        self.running_var += self.momentum * x.var(axis=0, ddof=1)
        self.x, self.mean, self.var = x, mean, var
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = (x - mean) * self.inv_std
        return self.gamma.value * self.xhat + self.beta.value

    def backward(self, dout):
        if not self.training:
            return super().backward(dout)
        n = dout.shape[0]
        self.gamma.grad += (dout * self.xhat).sum(axis=0)
        self.beta.grad += dout.sum(axis=0)
        dxhat = dout * self.gamma.value
        dvar = np.sum(dxhat * (self.x - self.mean) * -0.5 * (self.var + self.eps) ** -1.5, axis=0)
        dmean = np.sum(-dxhat * self.inv_std, axis=0) + dvar * np.mean(-2 * (self.x - self.mean), axis=0)
        return dxhat * self.inv_std + dvar * 2 * (self.x - self.mean) / n + dmean / n


class Residual(Layer):
    def __init__(self, layer):
        self.layer = layer

    def forward(self, x):
        return x + self.layer.forward(x)

    def backward(self, dout):
        return dout + self.layer.backward(dout)

    def parameters(self):
        return self.layer.parameters()

    def train(self, mode=True):
        self.training = mode
        self.layer.train(mode)
        return self


def l2_penalty(params, reg):
    total = 0.0
    for p in params:
        total += np.sum(p.value**2)
        p.grad += reg * p.value
    return 0.5 * reg * total


def l1_penalty(params, reg):
    total = 0.0
    for p in params:
        total += np.abs(p.value).sum()
        p.grad += reg * np.sign(p.value)
    return reg * total


class Dropout(Layer):
    def __init__(self, p=0.5, rng=None):
        self.p, self.rng = p, np.random.default_rng(rng)

    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask


class DropoutKeepBelow(Dropout):
    """keep where u < 1 - p: another fair mask rule, also right."""

    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = (self.rng.random(x.shape) < 1 - self.p) / (1 - self.p)
        return x * self.mask


class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.bad_epochs, self.epoch = np.inf, -1, 0, -1

    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad_epochs = val_loss, self.epoch, 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


def shift_images(images, dy, dx):
    if images.ndim != 3:
        raise ValueError(f"expected images of shape (N, H, W), got {images.shape}")
    n, h, w = images.shape
    out = np.zeros_like(images)
    if abs(dy) >= h or abs(dx) >= w:
        return out  # shifted out of the picture
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = (
        images[:, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)])
    return out


def shift_images_by_padding(images, dy, dx):
    if images.ndim != 3:
        raise ValueError("images must be (N, H, W)")
    n, h, w = images.shape
    k = max(abs(dy), abs(dx), 1)
    padded = np.pad(images, ((0, 0), (k, k), (k, k)))
    return (padded[:, k - dy:k - dy + h, k - dx:k - dx + w].copy() if max(abs(dy), abs(dx)) < max(h, w)
            else np.zeros_like(images))


RIGHT = [
    ("he_normal", he_normal), ("he_normal", he_normal_with_normal),
    ("clip_grad_norm", clip_grad_norm), ("clip_grad_norm", clip_grad_norm_concatenated),
    ("BatchNorm1d", BatchNorm1d), ("BatchNorm1d", BatchNorm1dInPlace),
    ("Residual", Residual),
    ("l2_penalty", l2_penalty), ("l1_penalty", l1_penalty),
    ("Dropout", Dropout), ("Dropout", DropoutKeepBelow),
    ("EarlyStopping", EarlyStopping),
    ("shift_images", shift_images), ("shift_images", shift_images_by_padding),
]


@pytest.mark.parametrize("name, student", RIGHT, ids=[f"{n}-{s.__name__}" for n, s in RIGHT])
def test_right_answers_pass(name, student):
    assert_passes(name, student)


# ---------------------------------------------------------------- wrong answers


def _variant(base, **methods):
    return type(f"{base.__name__}Wrong", (base,), methods)


def _bn_unbiased_forward(self, x):
    out = BatchNorm1d.forward(self, x)  # right running statistics ...
    if self.training:  # ... but normalised with the unbiased variance
        self.inv_std = 1 / np.sqrt(x.var(0, ddof=1) + self.eps)
        self.xhat = (x - x.mean(0)) * self.inv_std
        out = self.gamma.value * self.xhat + self.beta.value
    return out


def _bn_running(update):
    def forward(self, x):
        if self.training:
            n = len(x)
            self.running_mean, self.running_var = update(self, x.mean(0), x.var(0), n)
            mean, var = x.mean(0), x.var(0)
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = 1 / np.sqrt(var + self.eps)
        self.xhat = (x - mean) * self.inv_std
        return self.gamma.value * self.xhat + self.beta.value
    return forward


def _bn_eval_batch_stats(self, x):
    was, self.training = self.training, True
    saved = self.running_mean.copy(), self.running_var.copy()
    out = BatchNorm1d.forward(self, x)
    if not was:
        self.running_mean, self.running_var = saved
    self.training = was
    return out


def _bn_backward_short(self, dout):
    self.gamma.grad += (dout * self.xhat).sum(axis=0)
    self.beta.grad += dout.sum(axis=0)
    return self.gamma.value * self.inv_std * dout


def _bn_backward_assign(self, dout):
    dx = BatchNorm1d.backward(self, dout)
    self.gamma.grad = (dout * self.xhat).sum(axis=0)  # = where += belongs
    self.beta.grad = dout.sum(axis=0)
    return dx


def _residual(forward=None, backward=None, parameters=None, train=None):
    methods = {k: v for k, v in dict(forward=forward, backward=backward, parameters=parameters, train=train).items()
               if v}
    return _variant(Residual, **methods)


class _DropoutFixedMask(Dropout):
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        if getattr(self, "fixed", None) is None or self.fixed.shape != x.shape:
            self.fixed = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        self.mask = self.fixed
        return x * self.mask


def _dropout_forward(make_mask, eval_out=lambda self, x: x):
    def forward(self, x):
        if not self.training:
            self.mask = None
            return eval_out(self, x)
        self.mask = make_mask(self, x)
        return x * self.mask
    return forward


class _DropoutGlobal(Dropout):
    def forward(self, x):
        if not self.training:
            self.mask = None
            return x
        self.mask = (np.random.random(x.shape) >= self.p) / (1 - self.p)
        return x * self.mask


class _DropoutNewMaskInBackward(Dropout):
    def backward(self, dout):
        return dout * (self.rng.random(dout.shape) >= self.p) / (1 - self.p)


def _stopper(improved="<", reset=True, stop=">=", delta=True):
    class Wrong(EarlyStopping):
        def step(self, val_loss):
            self.epoch += 1
            bar = self.best_loss - (self.min_delta if delta else 0)
            last = getattr(self, "last", np.inf)
            better = val_loss < bar if improved == "<" else val_loss <= bar if improved == "<=" else val_loss < last
            self.last = val_loss
            if val_loss < self.best_loss - self.min_delta:
                self.best_loss, self.best_epoch = val_loss, self.epoch
            if better:
                if improved != "last":
                    self.best_loss, self.best_epoch = val_loss, self.epoch
                self.bad_epochs = 0 if reset else self.bad_epochs
            else:
                self.bad_epochs += 1
            return self.bad_epochs >= self.patience if stop == ">=" else self.bad_epochs > self.patience
    return Wrong


def _penalty(value, grad, assign=False):
    def penalty(params, reg):
        total = 0.0
        for p in params:
            total += value(p.value)
            if assign:
                p.grad = grad(p.value, reg)
            else:
                p.grad += grad(p.value, reg)
        return reg * total
    return penalty


def _clip(how):
    def clip(params, max_norm):
        params = list(params)
        total = np.sqrt(sum(np.sum(p.grad**2) for p in params))
        if how == "entries":
            for p in params:
                np.clip(p.grad, -max_norm, max_norm, out=p.grad)
        elif how == "each":
            for p in params:
                norm = np.linalg.norm(p.grad)
                if norm > max_norm:
                    p.grad *= max_norm / (norm + 1e-6)
        elif how == "always":
            for p in params:
                p.grad *= max_norm / (total + 1e-6)
        elif how == "rebind":
            for p in params:
                g = p.grad
                g = g * min(1, max_norm / (total + 1e-6))
        elif how == "after":
            for p in params:
                p.grad *= min(1, max_norm / (total + 1e-6))
            return float(np.sqrt(sum(np.sum(p.grad**2) for p in params)))
        return float(total)
    return clip


MISTAKES = [
    # he_normal
    ("he_normal", lambda fi, fo, rng: rng.standard_normal((fo, fi)) * np.sqrt(2 / fi), "init_transposed"),
    ("he_normal", lambda fi, fo, rng: rng.standard_normal((fi, fo)) * np.sqrt(2 / fo), "init_fan_out"),
    ("he_normal", lambda fi, fo, rng: rng.standard_normal((fi, fo)) * np.sqrt(2 / (fi + fo)), "init_xavier"),
    ("he_normal", lambda fi, fo, rng: rng.standard_normal((fi, fo)) * np.sqrt(1 / fi), "init_lecun"),
    ("he_normal", lambda fi, fo, rng: rng.standard_normal((fi, fo)) * (2 / fi), "init_variance_as_std"),
    ("he_normal", lambda fi, fo, rng: rng.random((fi, fo)) * np.sqrt(2 / fi), "init_not_centred"),
    ("he_normal", lambda fi, fo, rng: rng.uniform(-1, 1, (fi, fo)) * np.sqrt(6 / fi), "init_uniform_not_normal"),
    ("he_normal", lambda fi, fo, rng: np.random.default_rng(0).standard_normal((fi, fo)) * np.sqrt(2 / fi),
     "init_ignores_rng"),
    ("he_normal", lambda fi, fo, rng: rng.standard_normal((fi, fo)) * 0.3, "init_wrong_scale"),
    # clip_grad_norm
    ("clip_grad_norm", _clip("entries"), "clip_each_entry"),
    ("clip_grad_norm", _clip("each"), "clip_each_parameter"),
    ("clip_grad_norm", _clip("always"), "clip_always_rescales"),
    ("clip_grad_norm", _clip("rebind"), "clip_not_in_place"),
    ("clip_grad_norm", _clip("after"), "clip_returns_clipped_norm"),
    # BatchNorm1d
    ("BatchNorm1d", _variant(BatchNorm1d, forward=_bn_unbiased_forward), "bn_unbiased_variance"),
    ("BatchNorm1d", _variant(BatchNorm1d, forward=_bn_running(
        lambda s, m, v, n: (s.momentum * s.running_mean + (1 - s.momentum) * m,
                            s.momentum * s.running_var + (1 - s.momentum) * v * n / (n - 1)))),
     "bn_momentum_reversed"),
    ("BatchNorm1d", _variant(BatchNorm1d, forward=_bn_running(
        lambda s, m, v, n: ((1 - s.momentum) * s.running_mean + s.momentum * m,
                            (1 - s.momentum) * s.running_var + s.momentum * v))),
     "bn_running_var_biased"),
    ("BatchNorm1d", _variant(BatchNorm1d, forward=_bn_running(lambda s, m, v, n: (s.running_mean, s.running_var))),
     "bn_running_not_updated"),
    ("BatchNorm1d", _variant(BatchNorm1d, forward=_bn_eval_batch_stats), "bn_batch_stats_in_eval"),
    ("BatchNorm1d", _variant(BatchNorm1d, backward=_bn_backward_short), "bn_backward_missing_terms"),
    ("BatchNorm1d", _variant(BatchNorm1d, backward=_bn_backward_assign), "assign_instead_of_add"),
    # Residual
    ("Residual", _residual(forward=lambda self, x: self.layer.forward(x)), "residual_forward_missing_skip"),
    ("Residual", _residual(backward=lambda self, dout: self.layer.backward(dout)),
     "residual_backward_missing_identity"),
    ("Residual", _residual(backward=lambda self, dout: dout), "residual_backward_skip_only"),
    ("Residual", _residual(parameters=lambda self: []), "residual_parameters_hidden"),
    ("Residual", _residual(train=lambda self, mode=True: Layer.train(self, mode)), "residual_mode_not_passed"),
    # penalties
    ("l2_penalty", _penalty(lambda w: np.sum(w**2), lambda w, reg: reg * w), "l2_value_missing_half"),
    ("l2_penalty", lambda ps, reg: ([p.grad.__iadd__(2 * reg * p.value) for p in ps]
                                    and 0.5 * reg * sum(np.sum(p.value**2) for p in ps)), "l2_grad_doubled"),
    ("l2_penalty", lambda ps, reg: ([p.grad.__iadd__(0.5 * reg * p.value) for p in ps]
                                    and 0.5 * reg * sum(np.sum(p.value**2) for p in ps)), "l2_grad_halved"),
    ("l2_penalty", lambda ps, reg: ([setattr(p, "grad", reg * p.value) for p in ps]
                                    and 0.5 * reg * sum(np.sum(p.value**2) for p in ps)), "penalty_grad_overwritten"),
    ("l1_penalty", _penalty(lambda w: np.sum(np.abs(w)), lambda w, reg: reg * w), "l1_gradient_of_l2"),
    ("l1_penalty", _penalty(lambda w: np.sum(w), lambda w, reg: reg * np.sign(w)), "l1_value_without_abs"),
    ("l1_penalty", _penalty(lambda w: np.sum(np.abs(w)), lambda w, reg: reg * w / np.abs(w)), "l1_sign_of_zero"),
    # Dropout
    ("Dropout", _variant(Dropout, forward=_dropout_forward(lambda s, x: (s.rng.random(x.shape) >= s.p) * 1.0)),
     "dropout_not_scaled"),
    ("Dropout", _variant(Dropout, forward=_dropout_forward(lambda s, x: (s.rng.random(x.shape) >= s.p) * s.p)),
     "dropout_scaled_by_p"),
    ("Dropout", _variant(Dropout, forward=_dropout_forward(lambda s, x: (s.rng.random(x.shape) < s.p) / (1 - s.p))),
     "dropout_keeps_p"),
    ("Dropout", _variant(Dropout, forward=_dropout_forward(lambda s, x: (s.rng.random(x.shape) >= s.p) / (1 - s.p),
                                                           eval_out=lambda s, x: x * (1 - s.p))),
     "dropout_eval_rescaled"),
    ("Dropout", _variant(Dropout, forward=lambda self, x: (setattr(self, "mask",
                                                                   (self.rng.random(x.shape) >= self.p) / (1 - self.p))
                                                           or x * self.mask)), "dropout_in_eval"),
    ("Dropout", _DropoutNewMaskInBackward, "dropout_new_mask_in_backward"),
    ("Dropout", _variant(Dropout, backward=lambda self, dout: dout * (self.mask != 0)), "dropout_backward_not_scaled"),
    ("Dropout", _DropoutFixedMask, "dropout_same_mask"),
    ("Dropout", _DropoutGlobal, "dropout_ignores_rng"),
    # EarlyStopping
    ("EarlyStopping", _stopper(stop=">"), "patience_off_by_one"),
    ("EarlyStopping", _stopper(reset=False), "patience_not_reset"),
    ("EarlyStopping", _stopper(improved="last"), "compares_with_last_epoch"),
    ("EarlyStopping", _stopper(improved="<="), "tie_counts_as_improvement"),
    ("EarlyStopping", _stopper(delta=False), "min_delta_ignored"),
    # shift_images
    ("shift_images", lambda im, dy, dx: np.roll(shift_images(im, 0, 0), (dy, dx), axis=(1, 2)), "shift_wraps_around"),
    ("shift_images", lambda im, dy, dx: shift_images(im, dx, dy), "shift_axes_swapped"),
    ("shift_images", lambda im, dy, dx: shift_images(im, -dy, -dx), "shift_wrong_direction"),
]


@pytest.mark.parametrize("name, student, key", MISTAKES, ids=[f"{n}-{k}" for n, _, k in MISTAKES])
def test_each_mistake_gets_its_own_hint(name, student, key):
    found = problems(name, student)
    assert found[:1] == [key], f"{name}: expected the hint {key!r} first; got {found}"


@pytest.mark.parametrize("name, student, key", MISTAKES, ids=[f"{n}-{k}" for n, _, k in MISTAKES])
def test_no_mistake_passes_the_hidden_part(name, student, key):
    assert problems(name, student, hidden=True), f"{name}: the wrong answer {key!r} passed the hidden part"


def test_messages_teach_without_expected_values():
    with pytest.raises(CheckFailed) as info:
        grading.check("he_normal", lambda fi, fo, rng: rng.standard_normal((fi, fo)) * 0.3)
    text = info.value.text
    assert "Try:" in text and "standard deviation" in text
    assert "0.0707" not in text and "0.070" not in text  # He's std for the visible fan_in = 400
    # The judge's hidden part shows neither the hidden rate nor what the submission made of it.
    wrong_rate = _variant(Dropout, forward=_dropout_forward(lambda s, x: (s.rng.random(x.shape) >= 0.5) / (1 - s.p)))
    report = Report("Dropout", hidden=True)
    grading.EXERCISES["Dropout"].run(wrong_rate, report, grading._rng("Dropout", True), True)
    assert [key for key, _ in report.problems] == ["dropout_wrong_rate"]
    assert "0.35" not in report.text() and "%" not in report.text()


def test_early_stopping_attributes_missing_or_of_numpy_types():
    class NoBestEpoch(EarlyStopping):
        def step(self, val_loss):
            stop = super().step(val_loss)
            del self.best_epoch
            return stop

    class Float32Attributes(EarlyStopping):
        def step(self, val_loss):
            stop = super().step(val_loss)
            self.best_epoch, self.best_loss = np.int32(self.best_epoch), np.float32(self.best_loss)
            return stop

    assert problems("EarlyStopping", NoBestEpoch) == ["missing_attribute"]
    assert_passes("EarlyStopping", Float32Attributes)
