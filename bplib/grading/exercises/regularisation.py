"""Exercises of 11-regularisation: the L2 and L1 penalties, Dropout, EarlyStopping, shift_images.

The inputs are chosen to separate the usual mistakes: gradients that already hold a value
(``=`` against ``+=``) and weights that are exactly 0 (L1's sign), two dropout rates far
from 1/2 (keeping p against dropping p), loss curves with ties, plateaus and a second
improvement (the early-stopping rules), and images that are not square (swapped axes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ... import _checks
from ...data import shift_images
from ...layers import Dropout, Layer, Parameter
from ...losses import l1_penalty, l2_penalty
from ...network import EarlyStopping
from ..compare import as_checked_array, close, compare
from ..exercise import Case, Exercise, FunctionExercise
from ..remote import add_into, hand_over
from ..report import Report
from ..stateful import _call

_HANDED_OUT = (Layer, Parameter, _checks)


# ---------------------------------------------------------------- l2_penalty, l1_penalty


def _l2_variants(ws, reg):
    return {"l2_value_missing_half": (reg * sum(np.sum(w**2) for w in ws), [reg * w for w in ws]),
            "l2_grad_doubled": (0.5 * reg * sum(np.sum(w**2) for w in ws), [2 * reg * w for w in ws]),
            "l2_grad_halved": (0.5 * reg * sum(np.sum(w**2) for w in ws), [0.5 * reg * w for w in ws]),
            "l2_norm_not_squared": (reg * np.sqrt(sum(np.sum(w**2) for w in ws)), [reg * w for w in ws])}


def _l1_variants(ws, reg):
    return {"l1_value_without_abs": (reg * sum(np.sum(w) for w in ws), [reg * np.sign(w) for w in ws]),
            "l1_gradient_of_l2": (reg * sum(np.sum(np.abs(w)) for w in ws), [reg * w for w in ws]),
            "l1_gradient_without_sign": (reg * sum(np.sum(np.abs(w)) for w in ws), [np.full_like(w, reg) for w in ws])}


@dataclass
class PenaltyExercise(Exercise):
    """penalty(params, reg): returns the penalty and adds its gradient into every p.grad."""

    name: str
    reference: Callable
    variants: Callable[[list, float], dict]
    nonfinite_key: str = "overflow"
    allowed: tuple = _HANDED_OUT

    def run(self, fn: Callable, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        shapes = [(5, 3), (3, 4)] if hidden else [(4, 3), (3, 2)]
        for reg in ((0.07,) if hidden else (0.1, 0.03)):
            report.cases += 1
            ws = [rng.standard_normal(s) for s in shapes]
            ws[0][0, :2] = 0.0  # exact zeros: where |w| has no slope, and sign(0) = 0
            grads = [rng.standard_normal(s) for s in shapes]  # what backward already put there
            case = f"{len(shapes)} weight matrices with gradients already filled by backward, reg = {reg}"
            params = [hand_over(fn, Parameter(w.copy())) for w in ws]
            for p, g in zip(params, grads):
                add_into(p, "grad", g)
            ok, value = _call(report, fn, case, params, reg, allowed=self.allowed, copy=False,
                              nonfinite_key=self.nonfinite_key)
            if not ok:
                return
            expected_params = [Parameter(w.copy()) for w in ws]
            for p, g in zip(expected_params, grads):
                p.grad[...] = g
            expected = self.reference(expected_params, reg)
            wrong = self.variants(ws, reg)
            for i, (p, want) in enumerate(zip(params, expected_params)):
                label = f"{case} (the gradient of weight matrix {i})"
                got = as_checked_array(p.grad, report, label)
                if got is None:
                    return
                if close(got, want.grad - grads[i], 1e-6, 1e-9):
                    report.fail("penalty_grad_overwritten", case=label)
                    return
                if close(got, grads[i], 1e-12, 1e-12):
                    report.fail("penalty_grad_not_added", case=label)
                    return
                if not compare(report, got, want.grad, label, nonfinite_key=self.nonfinite_key,
                               variants={k: grads[i] + v[1][i] for k, v in wrong.items()}):
                    return
            compare(report, value, expected, f"{case} (the penalty returned)",
                    variants={k: v[0] for k, v in wrong.items()})


# ---------------------------------------------------------------- Dropout


@dataclass
class DropoutExercise(Exercise):
    """Dropout(p, rng): checked by its properties, since any fair mask rule is right.

    In training mode every output is 0 or x / (1 - p), about a fraction p of them 0, a new
    mask at each forward pass drawn from the layer's own rng, and backward uses the forward
    pass's mask; in evaluation mode the layer is the identity.
    """

    name: str
    reference: type
    allowed: tuple = _HANDED_OUT

    def run(self, cls: type, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        n, d = (240, 45) if hidden else (200, 50)
        for p in ((0.35,) if hidden else (0.25, 0.6)):
            self._run_rate(cls, p, n, d, report, rng)
            if not report.passed:
                return

    def _build(self, cls, p, seed, report, case):
        ok, layer = _call(report, cls, f"creating {case}", p, allowed=self.allowed, rng=seed)
        return layer if ok else None

    def _run_rate(self, cls, p, n, d, report: Report, rng) -> None:
        seed = int(rng.integers(2**31))
        case = f"Dropout(p={p}, rng=seed)"
        report.cases += 1
        layer = self._build(cls, p, seed, report, case)
        if layer is None:
            return
        x = rng.uniform(0.5, 2.0, (n, d)) * rng.choice([-1.0, 1.0], (n, d))  # never 0: a zero output means dropped
        what = f"{case} in training mode on a random ({n}, {d}) input"
        ok, out = _call(report, layer.forward, f"forward of {what}", x, allowed=self.allowed)
        out = as_checked_array(out, report, what) if ok else None
        if out is None:
            return
        if out.shape != x.shape:
            report.fail("wrong_shape", case=f"forward of {what}", got=out.shape, expected=x.shape)
            return
        if not self._mask_is_fair(out / x, p, f"forward of {what}", report):
            return
        mask = out / x
        dout = rng.standard_normal((n, d))
        report.cases += 1
        ok, dx = _call(report, layer.backward, f"backward of {what}", dout, allowed=self.allowed)
        dx = as_checked_array(dx, report, what) if ok else None
        if dx is None:
            return
        kept = mask != 0
        label = f"backward of {what}"
        if dx.shape == dout.shape and not close(dx, dout * mask, 1e-6, 1e-9):
            ratio = dx / dout
            if close(dx, dout * kept, 1e-6, 1e-9):
                report.fail("dropout_backward_not_scaled", case=label)
            elif close(dx, dout, 1e-6, 1e-9):
                report.fail("dropout_backward_identity", case=label)
            elif np.isin(np.round(ratio * (1 - p), 9), (0.0, 1.0)).all():  # a mask, but not forward's
                report.fail("dropout_new_mask_in_backward", case=label)
            else:
                compare(report, dx, dout * mask, f"{label} (dx)")
            return
        compare(report, dx, dout * mask, f"backward of {what} (dx)")
        if not report.passed:
            return
        report.cases += 1
        ok, again = _call(report, layer.forward, f"a second forward of {what}", x, allowed=self.allowed)
        again = as_checked_array(again, report, what) if ok else None
        if again is None:
            return
        if close(again, out, 0, 0):
            report.fail("dropout_same_mask", case=f"a second forward of {what}")
            return
        self._uses_its_rng(cls, p, x, seed, report, case)
        if report.passed:
            self._eval_mode(layer, p, x, rng, report, case)

    def _mask_is_fair(self, ratio: np.ndarray, p: float, case: str, report: Report) -> bool:
        dropped = np.isclose(ratio, 0, atol=1e-12)
        kept_values = ratio[~dropped]
        fraction = float(dropped.mean())
        if not dropped.any() and np.allclose(ratio, 1):
            report.fail("dropout_not_applied", case=case)
            return False
        scales = {"dropout_not_scaled": 1.0, "dropout_scaled_by_p": p, "dropout_divided_by_p": 1 / p,
                  "dropout_scaled_by_keep": 1 - p}
        if kept_values.size and not np.allclose(kept_values, 1 / (1 - p), rtol=1e-6):
            key = next((k for k, s in scales.items() if np.allclose(kept_values, s, rtol=1e-6)), "dropout_not_a_mask")
            report.fail(key, case=case)
            return False
        tolerance = 6 * np.sqrt(p * (1 - p) / ratio.size)  # six standard errors of a binomial fraction
        if abs(fraction - p) > tolerance:
            report.fail("dropout_keeps_p" if abs(fraction - (1 - p)) <= tolerance else "dropout_wrong_rate",
                        case=case, got=f"{fraction:.1%}")
            return False
        return True

    def _uses_its_rng(self, cls, p, x, seed, report: Report, case: str) -> None:
        report.cases += 1
        outs = []
        for s in (seed, seed, seed + 1):
            layer = self._build(cls, p, s, report, case)
            if layer is None:
                return
            ok, out = _call(report, layer.forward, f"forward of {case}", x, allowed=self.allowed)
            out = as_checked_array(out, report, case) if ok else None
            if out is None:
                return
            outs.append(out)
        if not (close(outs[0], outs[1], 0, 0) and not close(outs[0], outs[2], 0, 0)):
            report.fail("dropout_ignores_rng", case=case)

    def _eval_mode(self, layer, p, x, rng, report: Report, case: str) -> None:
        if not callable(getattr(layer, "eval", None)):
            report.fail("missing_attribute", attr="eval", when="__init__",
                        hint="subclass Layer, which provides train() and eval()")
            return
        report.cases += 1
        what = f"{case} in evaluation mode"
        ok, _ = _call(report, layer.eval, f"{case}.eval()", allowed=self.allowed)
        if not ok:
            return
        ok, out = _call(report, layer.forward, f"forward of {what}", x, allowed=self.allowed)
        if not ok or not compare(report, out, x, f"forward of {what}",
                                 variants={"dropout_eval_rescaled": x * (1 - p), "dropout_eval_divided": x / (1 - p)}):
            got = as_checked_array(out, Report(""), "") if ok else None
            if (got is not None and got.shape == x.shape and (got == 0).any()
                    and report.last_problem in ("wrong_values", "constant_ratio")):
                report.revise("dropout_in_eval", case=f"forward of {what}")
            return
        dout = rng.standard_normal(x.shape)
        ok, dx = _call(report, layer.backward, f"backward of {what}", dout, allowed=self.allowed)
        if ok:
            compare(report, dx, dout, f"backward of {what} (dx)", variants={"dropout_eval_rescaled": dout * (1 - p)})


# ---------------------------------------------------------------- EarlyStopping


class _StopAfterMore(EarlyStopping):
    def step(self, val_loss):
        super().step(val_loss)
        return self.bad_epochs > self.patience


class _NeverReset(EarlyStopping):
    def step(self, val_loss):
        bad = self.bad_epochs
        stop = super().step(val_loss)
        if self.bad_epochs == 0 and self._epoch > 0:
            self.bad_epochs = bad
            stop = self.bad_epochs >= self.patience
        return stop


class _ComparesWithLast(EarlyStopping):
    def step(self, val_loss):
        self._epoch += 1
        last = getattr(self, "_last", np.inf)
        self._last = val_loss
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = float(val_loss), self._epoch
        self.bad_epochs = 0 if val_loss < last - self.min_delta else self.bad_epochs + 1
        return self.bad_epochs >= self.patience


class _TieImproves(EarlyStopping):
    def step(self, val_loss):
        self._epoch += 1
        if val_loss <= self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad_epochs = float(val_loss), self._epoch, 0
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


class _MinDeltaIgnored(EarlyStopping):
    def step(self, val_loss):
        delta, self.min_delta = self.min_delta, 0.0
        try:
            return super().step(val_loss)
        finally:
            self.min_delta = delta


# A curve that improves, ties its best, wobbles just below it by less than min_delta, then
# improves again after a plateau: each wrong rule stops at another epoch (or keeps another best).
_CURVES = {
    False: [(2, 0.0, [1.0, 0.8, 0.8, 0.85, 0.7, 0.75, 0.72, 0.69, 0.74, 0.73, 0.71]),
            (3, 0.05, [1.0, 0.9, 0.88, 0.8, 0.79, 0.83, 0.77, 0.76, 0.74, 0.9])],
    True: [(3, 0.0, [0.9, 0.9, 0.85, 0.86, 0.87, 0.84, 0.84, 0.88, 0.86, 0.85]),
           (2, 0.02, [1.2, 1.1, 1.09, 1.05, 1.04, 1.06, 1.0, 1.01, 1.03])],
}
_STOPPING_VARIANTS = {"patience_off_by_one": _StopAfterMore, "patience_not_reset": _NeverReset,
                      "compares_with_last_epoch": _ComparesWithLast, "tie_counts_as_improvement": _TieImproves,
                      "min_delta_ignored": _MinDeltaIgnored}


def _run_stopper(cls, patience, min_delta, losses, report: Report | None = None, case: str = "", allowed=()):
    """(decisions, best epochs, best losses) after each step; with a report, as student code."""
    if report is None:
        stopper = cls(patience, min_delta)
        rows = [(bool(stopper.step(v)), stopper.best_epoch, stopper.best_loss) for v in losses]
        return [np.array(column, dtype=float) for column in zip(*rows)]
    ok, stopper = _call(report, cls, case, patience, allowed=allowed, min_delta=min_delta)
    if not ok:
        return None
    decisions, epochs, bests = [], [], []
    for loss in losses:
        ok, stop = _call(report, stopper.step, case, loss, allowed=allowed)
        if not ok:
            return None
        if type(stop) not in (bool, np.bool_):
            report.fail("wrong_type", case=f"{case} (step returned)", kind=type(stop).__name__)
            return None
        decisions.append(float(stop))
        for attr, column in (("best_epoch", epochs), ("best_loss", bests)):
            value = getattr(stopper, attr, None)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                report.fail("missing_attribute", attr=attr, when="step",
                            hint="keep self.best_epoch (an int) and self.best_loss (a float) up to date in step")
                return None
            column.append(float(value))
    return decisions, epochs, bests


@dataclass
class EarlyStoppingExercise(Exercise):
    """EarlyStopping(patience, min_delta).step(loss) -> stop?, with best_epoch and best_loss."""

    name: str
    reference: type
    allowed: tuple = ()

    def run(self, cls: type, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        for patience, min_delta, losses in _CURVES[hidden]:
            report.cases += 1
            case = (f"EarlyStopping(patience={patience}, min_delta={min_delta}) stepped through a validation curve "
                    f"of {len(losses)} epochs")
            got = _run_stopper(cls, patience, min_delta, losses, report, case, self.allowed)
            if got is None:
                return
            expected = _run_stopper(self.reference, patience, min_delta, losses)
            wrong = {k: _run_stopper(v, patience, min_delta, losses) for k, v in _STOPPING_VARIANTS.items()}
            for i, what in enumerate(("the values step returned", "best_epoch after each step",
                                      "best_loss after each step")):
                if not compare(report, np.array(got[i], dtype=float), expected[i], f"{case} ({what})",
                               variants={k: v[i] for k, v in wrong.items()}):
                    return


# ---------------------------------------------------------------- shift_images


def _shift_cases(rng, hidden):
    n, h, w = (2, 6, 7) if hidden else (3, 5, 4)
    shifts = [(-2, 3), (3, 0), (1, -1), (0, 2)] if hidden else [(1, 0), (0, -1), (2, 1), (-1, -2), (0, 0)]
    cases = [Case(f"random ({n}, {h}, {w}) images, dy={dy}, dx={dx}", (rng.random((n, h, w)), dy, dx))
             for dy, dx in shifts]
    cases += [
        Case(f"random ({n}, {h}, {w}) images shifted by more than their height, dy={h + 1}, dx=0",
             (rng.random((n, h, w)), h + 1, 0)),
        Case(f"flat ({n}, {h * w}) images", (rng.random((n, h * w)), 1, 0),
             raises="shift_images takes images of shape (N, H, W): raise a ValueError naming that shape "
                    "when images.ndim != 3, rather than shifting the wrong axes"),
    ]
    return cases


def _rolled(images, dy, dx):
    return np.roll(images, (dy, dx), axis=(1, 2))


def _swapped(images, dy, dx):
    return shift_images(images, dx, dy)


def _backwards(images, dy, dx):
    return shift_images(images, -dy, -dx)


EXERCISES = [
    PenaltyExercise("l2_penalty", l2_penalty, _l2_variants),
    PenaltyExercise("l1_penalty", l1_penalty, _l1_variants, nonfinite_key="l1_sign_of_zero"),
    DropoutExercise("Dropout", Dropout),
    EarlyStoppingExercise("EarlyStopping", EarlyStopping),
    FunctionExercise("shift_images", shift_images, _shift_cases,
                     variants={"shift_wraps_around": _rolled, "shift_axes_swapped": _swapped,
                               "shift_wrong_direction": _backwards}),
]
