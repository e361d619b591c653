"""Exercises of 10-deep-networks: He initialisation, gradient clipping, BatchNorm1d, Residual.

Each check is built so that the mistakes students make here give different numbers: a
fan_in four times fan_out (He against Xavier, fan_in against fan_out), a norm that is clipped
in one case and left alone in another, a batch whose features have different scales and a
large eps (the batch-norm variance and eps mistakes), and a wrapped layer whose gradient is
not the identity (Residual's two paths).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ... import _checks, activations, init, optim
from ...layers import BatchNorm1d, Dense, Layer, Parameter, Residual, Tanh
from ...network import Sequential
from ..compare import as_checked_array, close, compare
from ..exercise import Exercise
from ..remote import add_into, assign_into, hand_over
from ..report import Report
from ..stateful import _call, _parameter

_HANDED_OUT = (Layer, Parameter, _checks)
# Residual wraps a layer that the check builds from bplib: the student's code runs it.
_WRAPPED = _HANDED_OUT + (Dense, Tanh, Sequential, activations, init)


# ---------------------------------------------------------------- he_normal


@dataclass
class InitialiserExercise(Exercise):
    """An initialiser that draws from N(0, gain / fan_in): checked by the statistics of a large draw.

    A draw cannot be compared with the reference entry by entry (``rng.normal(0, s, shape)``
    and ``s * rng.standard_normal(shape)`` are both right), so the check measures the shape,
    the mean, the spread (against the spreads that the usual mistakes give), the tails
    (normal, not uniform), and that the draws come from the ``rng`` given.
    """

    name: str
    reference: Callable
    gain: float = 2.0
    allowed: tuple = ()

    def run(self, fn: Callable, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        fan_in, fan_out = (90, 360) if hidden else (400, 100)
        seed = int(rng.integers(2**31))
        case = f"he_normal({fan_in}, {fan_out}, rng)"
        report.cases += 1
        W = self._draw(fn, fan_in, fan_out, seed, report, case)
        if W is None:
            return
        if W.shape != (fan_in, fan_out):
            key = "init_transposed" if W.shape == (fan_out, fan_in) else "wrong_shape"
            report.fail(key, case=case, got=W.shape, expected=(fan_in, fan_out))
            return
        target = np.sqrt(self.gain / fan_in)
        spreads = {  # the standard deviation each mistake gives, as a multiple of the right one
            "init_fan_out": np.sqrt(self.gain / fan_out) / target,
            "init_xavier": np.sqrt(2.0 / (fan_in + fan_out)) / target,
            "init_lecun": np.sqrt(1.0 / fan_in) / target,
            "init_variance_as_std": (self.gain / fan_in) / target,
        }
        ratio = float(W.std()) / target
        mean_tolerance = 6 * target / np.sqrt(W.size)  # six standard errors of the mean
        report.cases += 1
        if abs(float(W.mean())) > max(mean_tolerance, 0.2 * abs(float(W.std()))):
            report.fail("init_not_centred", case=case)
        elif abs(ratio - 1) > 0.04:
            key = next((k for k, r in spreads.items() if abs(ratio / r - 1) < 0.04), None)
            if key:
                report.fail(key, case=case)
            else:
                report.fail("init_wrong_scale", case=case, got=f"{ratio:.2f}")
        else:
            centred = W - W.mean()
            kurtosis = float(np.mean(centred**4) / np.mean(centred**2) ** 2)  # 3 for a normal, 1.8 for a uniform
            if kurtosis < 2.5:
                report.fail("init_uniform_not_normal", case=case)
        if report.passed:
            report.cases += 1
            again = self._draw(fn, fan_in, fan_out, seed, report, case)
            other = self._draw(fn, fan_in, fan_out, seed + 1, report, case)
            if again is not None and other is not None and not (_same(W, again) and not _same(W, other)):
                report.fail("init_ignores_rng", case=case)

    def _draw(self, fn, fan_in, fan_out, seed, report, case) -> np.ndarray | None:
        ok, W = _call(report, fn, case, fan_in, fan_out, np.random.default_rng(seed), allowed=self.allowed)
        W = as_checked_array(W, report, case) if ok else None
        if W is not None and W.ndim != 2:
            report.fail("wrong_shape", case=case, got=W.shape, expected=(fan_in, fan_out))
            return None
        return W


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool((a == b).all())


# ---------------------------------------------------------------- clip_grad_norm


def _clip_each_entry(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return total, [np.clip(g, -max_norm, max_norm) for g in grads]


def _clip_each_parameter(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return total, [g * min(1.0, max_norm / (np.sqrt(np.sum(g**2)) + 1e-6)) for g in grads]


def _clip_always(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return total, [g * max_norm / (total + 1e-6) for g in grads]


def _clip_without_root(grads, max_norm):
    total = sum(np.sum(g**2) for g in grads)
    return total, [g * min(1.0, max_norm / (total + 1e-6)) for g in grads]


_CLIP_VARIANTS = {"clip_each_entry": _clip_each_entry, "clip_each_parameter": _clip_each_parameter,
                  "clip_always_rescales": _clip_always, "clip_norm_squared": _clip_without_root}


@dataclass
class ClipExercise(Exercise):
    """clip_grad_norm(params, max_norm): rescales every .grad in place, returns the norm before."""

    name: str
    reference: Callable
    allowed: tuple = _HANDED_OUT

    def run(self, fn: Callable, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        shapes = [(5, 3), (3,), (2, 4)] if hidden else [(4, 3), (3,), (3, 2)]
        # Large gradients (clipped), then small ones (left alone), then one parameter alone.
        for scale, max_norm, count in ((3.0, 1.5, 3), (0.05, 2.0, 3), (2.0, 0.5, 1)):
            report.cases += 1
            grads = [rng.standard_normal(s) * scale for s in shapes[:count]]
            grads[0].flat[0] = 4 * scale  # one large entry: clipping entries and clipping the norm differ there
            case = (f"{count} parameter{'s' if count > 1 else ''} with gradient norm "
                    f"{'above' if scale > 1 else 'below'} max_norm = {max_norm}")
            params = [hand_over(fn, Parameter(rng.standard_normal(s))) for s in shapes[:count]]
            for p, g in zip(params, grads):
                add_into(p, "grad", g)
            ok, total = _call(report, fn, case, params, max_norm, allowed=self.allowed, copy=False)
            if not ok:
                return
            expected_params = [Parameter(np.zeros(s)) for s in shapes[:count]]
            for p, g in zip(expected_params, grads):
                p.grad[...] = g
            expected_total = self.reference(expected_params, max_norm)
            wrong = {key: variant([g.copy() for g in grads], max_norm) for key, variant in _CLIP_VARIANTS.items()}
            got_grads = [as_checked_array(p.grad, report, case) for p in params]
            if any(g is None for g in got_grads):
                return
            if scale > 1 and all(close(g, w, 1e-9, 1e-12) for g, w in zip(got_grads, grads)):
                report.fail("clip_not_in_place", case=case)
                return
            for i, (got, p) in enumerate(zip(got_grads, expected_params)):
                if not compare(report, got, p.grad, f"{case} (the gradient of parameter {i})",
                               variants={k: v[1][i] for k, v in wrong.items()}):
                    return
            compare(report, total, expected_total, f"{case} (the norm returned)",
                    variants={"clip_returns_clipped_norm": min(expected_total, max_norm),
                              "clip_norm_squared": expected_total**2})


# ---------------------------------------------------------------- BatchNorm1d


def _normalised(x, eps, ddof=0):
    mean, var = x.mean(axis=0), x.var(axis=0, ddof=ddof)
    return (x - mean) / np.sqrt(var + eps), mean, var


def _bn_forward_variants(x, gamma, beta, eps):
    return {
        "bn_unbiased_variance": gamma * _normalised(x, eps, ddof=1)[0] + beta,
        "bn_eps_outside_sqrt": gamma * (x - x.mean(0)) / (x.std(0) + eps) + beta,
        "bn_wrong_axis": gamma * ((x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps)) + beta,
        "bn_affine_missing": _normalised(x, eps)[0],
    }


def _bn_train_dx(x, dout, gamma, eps):
    """The training-mode dx: what eval mode gives when it still treats μ and σ² as the batch's."""
    xhat, _, var = _normalised(x, eps)
    return gamma / np.sqrt(var + eps) * (dout - dout.mean(0) - xhat * (dout * xhat).mean(0))


def _bn_backward_variants(x, dout, gamma, eps):
    xhat, _, var = _normalised(x, eps)
    scale = gamma / np.sqrt(var + eps)
    return {
        "bn_backward_missing_terms": scale * dout,
        "bn_backward_missing_variance_term": scale * (dout - dout.mean(0)),
        "bn_backward_missing_mean_term": scale * (dout - xhat * (dout * xhat).mean(0)),
    }


def _running_variants(x, mean0, var0, momentum):
    mean, var = x.mean(0), x.var(0)
    n = len(x)
    return {
        "bn_momentum_reversed": (momentum * mean0 + (1 - momentum) * mean,
                                 momentum * var0 + (1 - momentum) * var * n / (n - 1)),
        "bn_running_var_biased": ((1 - momentum) * mean0 + momentum * mean, (1 - momentum) * var0 + momentum * var),
        "bn_running_overwritten": (mean, var * n / (n - 1)),
        "bn_running_not_updated": (mean0, var0),
    }


@dataclass
class BatchNormExercise(Exercise):
    """BatchNorm1d: train-mode forward, running statistics, backward; then eval mode."""

    name: str
    reference: type
    allowed: tuple = _HANDED_OUT

    def run(self, cls: type, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        n, d = (9, 5) if hidden else (6, 4)
        for kwargs in ({}, {"eps": 0.5, "momentum": 0.3}):
            self._run_config(cls, n, d, kwargs, report, rng)
            if not report.passed:
                return

    def _run_config(self, cls, n, d, kwargs, report: Report, rng: np.random.Generator) -> None:
        described = ", ".join([str(d)] + [f"{k}={v}" for k, v in kwargs.items()])
        case = f"BatchNorm1d({described})"
        report.cases += 1
        ok, student = _call(report, cls, f"creating {case}", d, allowed=self.allowed, **kwargs)
        if not ok:
            return
        ref = self.reference(d, **kwargs)
        eps, momentum = ref.eps, ref.momentum
        for attr, start in (("gamma", 1.0), ("beta", 0.0)):
            p = _parameter(report, student, attr, f"self.{attr} = Parameter(...)", "__init__")
            if p is None:
                return
            value = as_checked_array(p.value, report, f"{case}.{attr}")
            if value is None or value.shape != (d,) or not (value == start).all():
                report.fail("bn_wrong_init", case=case, attr=attr, start="ones" if start else "zeros", d=d)
                return
        for attr, start in (("running_mean", 0.0), ("running_var", 1.0)):
            value = as_checked_array(getattr(student, attr, None), report, f"{case}.{attr}")
            if value is None or value.shape != (d,) or not (value == start).all():
                report.fail("bn_wrong_init", case=case, attr=attr, start="ones" if start else "zeros", d=d)
                return
        gamma, beta = rng.uniform(0.5, 2.0, d), rng.standard_normal(d)
        for attr, value in (("gamma", gamma), ("beta", beta)):
            assign_into(getattr(student, attr), "value", value)
            getattr(ref, attr).value[...] = value
        # Features of very different scales and offsets, and a batch too small for N and
        # N - 1 to look alike: the variance mistakes change the numbers clearly.
        for step in range(2):
            x = rng.standard_normal((n, d)) * rng.uniform(0.5, 4.0, d) + rng.uniform(-3, 3, d)
            mean0, var0 = ref.running_mean.copy(), ref.running_var.copy()
            what = f"{case} in training mode, {'a first' if step == 0 else 'a second'} random ({n}, {d}) batch"
            report.cases += 1
            ok, out = _call(report, student.forward, f"forward of {what}", x, allowed=self.allowed)
            expected = ref.forward(x)
            if not ok or not compare(report, out, expected, f"forward of {what}",
                                     variants=_bn_forward_variants(x, gamma, beta, eps)):
                return
            if not self._running_stats(student, ref, report, f"after the forward of {what}",
                                       _running_variants(x, mean0, var0, momentum)):
                return
            dout = rng.standard_normal((n, d))
            report.cases += 1
            ok, dx = _call(report, student.backward, f"backward of {what}", dout, allowed=self.allowed)
            if not ok or not compare(report, dx, ref.backward(dout), f"backward of {what} (dx)", batch=n,
                                     variants=_bn_backward_variants(x, dout, gamma, eps)):
                return
            for attr in ("gamma", "beta"):
                label = f"backward of {what} ({attr}.grad{', added to the first' if step else ''})"
                got = as_checked_array(getattr(student, attr).grad, report, label)
                if got is None:
                    return
                if step and close(got, _last_grad(ref, attr, x, dout), 1e-6, 1e-9):
                    report.fail("assign_instead_of_add", case=label)
                    return
                if not compare(report, got, getattr(ref, attr).grad, label, batch=n):
                    return
        self._eval_mode(student, ref, n, d, case, report, rng)

    def _running_stats(self, student, ref, report: Report, when: str, variants: dict) -> bool:
        for i, attr in enumerate(("running_mean", "running_var")):
            got = getattr(student, attr, None)
            if not compare(report, got, getattr(ref, attr), f"{attr} {when}",
                           variants={k: v[i] for k, v in variants.items()}):
                return False
        return True

    def _eval_mode(self, student, ref, n, d, case, report: Report, rng) -> None:
        if not callable(getattr(student, "eval", None)):
            report.fail("missing_attribute", attr="eval", when="__init__",
                        hint="subclass Layer, which provides train() and eval()")
            return
        ok, _ = _call(report, student.eval, f"{case}.eval()", allowed=self.allowed)
        if not ok:
            return
        ref.eval()
        x = rng.standard_normal((n, d)) * 2 + 1
        what = f"{case} in evaluation mode, a random ({n}, {d}) batch"
        report.cases += 1
        before = ref.running_mean.copy(), ref.running_var.copy()
        ok, out = _call(report, student.forward, f"forward of {what}", x, allowed=self.allowed)
        expected = ref.forward(x)
        batch_stats = ref.gamma.value * _normalised(x, ref.eps)[0] + ref.beta.value
        if not ok or not compare(report, out, expected, f"forward of {what}",
                                 variants={"bn_batch_stats_in_eval": batch_stats}):
            return
        for i, attr in enumerate(("running_mean", "running_var")):
            got = as_checked_array(getattr(student, attr, None), report, attr)
            if got is None:
                return
            if not close(got, before[i], 1e-9, 1e-12):
                report.fail("bn_running_updated_in_eval", case=f"{attr} after the forward of {what}")
                return
        dout = rng.standard_normal((n, d))
        report.cases += 1
        ok, dx = _call(report, student.backward, f"backward of {what}", dout, allowed=self.allowed)
        if ok:
            compare(report, dx, ref.backward(dout), f"backward of {what} (dx)", batch=n,
                    variants={"bn_eval_backward_uses_batch": _bn_train_dx(x, dout, ref.gamma.value, ref.eps)})


def _last_grad(ref, attr, x, dout):
    """The gradient of gamma or beta from the last backward alone (what `=` instead of `+=` leaves)."""
    xhat = _normalised(x, ref.eps)[0]
    return (dout * xhat).sum(0) if attr == "gamma" else dout.sum(0)


# ---------------------------------------------------------------- Residual


def _inner(seed: int, d: int) -> Sequential:
    return Sequential(Dense(d, d, rng=seed), Tanh())


@dataclass
class ResidualExercise(Exercise):
    """Residual(layer): out = x + layer(x), dx = dout + layer.backward(dout), params and mode passed on."""

    name: str
    reference: type
    allowed: tuple = _WRAPPED

    def run(self, cls: type, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        n, d = (7, 6) if hidden else (5, 4)
        seed = int(rng.integers(1000))
        inner, ref = _inner(seed, d), self.reference(_inner(seed, d))
        case = f"Residual(Sequential(Dense({d}, {d}), Tanh()))"
        report.cases += 1
        ok, student = _call(report, cls, f"creating {case}", inner, allowed=self.allowed, copy=False)
        if not ok:
            return
        x = rng.standard_normal((n, d))
        what = f"{case} on a random ({n}, {d}) input"
        ok, out = _call(report, student.forward, f"forward of {what}", x, allowed=self.allowed)
        expected = ref.forward(x)
        if not ok or not compare(report, out, expected, f"forward of {what}",
                                 variants={"residual_forward_missing_skip": expected - x,
                                           "residual_forward_doubled": expected + x}):
            return
        dout = rng.standard_normal((n, d))
        report.cases += 1
        ok, dx = _call(report, student.backward, f"backward of {what}", dout, allowed=self.allowed)
        if not ok:
            return
        expected_dx = ref.backward(dout)
        if not compare(report, dx, expected_dx, f"backward of {what} (dx)", batch=n,
                       variants={"residual_backward_missing_identity": expected_dx - dout,
                                 "residual_backward_skip_only": dout}):
            return
        for got, want in zip(inner.parameters(), ref.parameters()):
            if not compare(report, got.grad, want.grad, f"backward of {what} ({want.name}.grad of the inner Dense)",
                           batch=n,
                           variants={"residual_inner_backward_skipped": np.zeros_like(want.grad)}):
                return
        self._parameters_and_mode(student, inner, report, case)

    def _parameters_and_mode(self, student, inner, report: Report, case: str) -> None:
        report.cases += 1
        ok, params = _call(report, student.parameters, f"{case}.parameters()", allowed=self.allowed)
        if not ok:
            return
        wanted = inner.parameters()
        try:
            values = [as_checked_array(p.value, Report(""), "") for p in params]
        except Exception:
            values = None
        if values is None or len(values) != len(wanted) or not all(
                v is not None and close(v, w.value, 1e-12, 1e-12) for v, w in zip(values, wanted)):
            report.fail("residual_parameters_hidden", case=f"{case}.parameters()")
            return
        layer = getattr(student, "layer", None)
        if layer is None:
            report.fail("missing_attribute", attr="layer", when="__init__", hint="self.layer = layer")
            return
        ok, _ = _call(report, student.eval, f"{case}.eval()", allowed=self.allowed)
        if ok and getattr(layer, "training", True):
            report.fail("residual_mode_not_passed", case=f"{case}.eval()")
        if ok:
            _call(report, student.train, f"{case}.train()", allowed=self.allowed)


EXERCISES = [
    InitialiserExercise("he_normal", init.he_normal),
    ClipExercise("clip_grad_norm", optim.clip_grad_norm),
    BatchNormExercise("BatchNorm1d", BatchNorm1d),
    ResidualExercise("Residual", Residual),
]
