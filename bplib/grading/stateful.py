"""Exercises on objects rather than pure functions: layers, optimizers, batch generators, and
a trained model. Each drives the student's object and the reference side by side, through
the same guarded calls as ``FunctionExercise``.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..data import train_test_split
from ..layers import Parameter
from .compare import as_checked_array, close, compare
from .exercise import Case, Exercise, call_student, check_defaults
from .remote import Remote, add_into, assign_into, hand_over
from .report import Report


def _call(report: Report, fn: Callable, description: str, *args, allowed=(), copy=True, nonfinite_key="overflow",
          **kwargs) -> tuple[bool, Any]:
    status, result = call_student(report, fn, Case(description, args, kwargs, copy=copy), allowed)
    if status == "nonfinite":
        report.fail(nonfinite_key, case=description, error=result)
    return status == "ok", result


def _forward_backward(report: Report, student: Any, ref: Any, x: np.ndarray, rng: np.random.Generator, allowed: tuple,
                      variants: Callable[[np.ndarray], dict] = lambda dout: {},
                      forward_variants: dict | None = None) -> tuple[np.ndarray, str] | None:
    """Run forward on x, then backward with a random upstream gradient, on the student's
    object and the reference alike, comparing output and dx. Returns (dout, case) on success."""
    n, d = x.shape
    report.cases += 1
    case = f"forward on a random ({n}, {d}) input"
    ok, out = _call(report, student.forward, case, x, allowed=allowed)
    expected = ref.forward(x)
    if not ok or not compare(report, out, expected, case, variants=forward_variants):
        return None
    dout = rng.standard_normal(expected.shape)
    report.cases += 1
    case = f"backward with a random upstream gradient of shape {dout.shape}"
    ok, dx = _call(report, student.backward, case, dout, allowed=allowed)
    if not ok:
        return None
    compare(report, dx, ref.backward(dout), case + " (dx)", batch=n, variants=variants(dout))
    return dout, case


def _parameter(report: Report, obj: Any, attr: str, hint: str, when: str) -> Parameter | None:
    p = getattr(obj, attr, None)
    if not (hasattr(p, "value") and hasattr(p, "grad")):
        report.fail("missing_attribute", attr=attr, when=when, hint=hint)
        return None
    return p


@dataclass
class LayerExercise(Exercise):
    """A layer class: forward and backward compared with the reference, with param grads.

    Attributes
    ----------
    reference : the bplib layer class
    build : (cls, rng_seed, D, H) -> layer; builds the student's or the reference layer alike
    params : names of the Parameter attributes ("W", "b"), copied from reference to student
    variants : hint key -> f(x, dout, ref) giving a known wrong dx
    grad_variants : parameter name -> {hint key -> f(x, dout, ref)} giving a known wrong gradient
    large_inputs : also run forward on inputs as large as ±1e4 (for activations that overflow)
    """

    name: str
    reference: type
    build: Callable[[type, int, int, int], Any]
    params: tuple[str, ...] = ()
    variants: dict[str, Callable] = field(default_factory=dict)
    grad_variants: dict[str, dict[str, Callable]] = field(default_factory=dict)
    large_inputs: bool = False
    kinks: bool = False  # put exact zeros in the input, where ReLU's slope is taken as 0
    forward_variants: dict[str, Callable] = field(default_factory=dict)  # hint key -> f(x, ref): a wrong output
    allowed: tuple = ()

    def run(self, cls: type, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        n, d, h = (7, 6, 2) if hidden else (5, 4, 3)
        seed = int(rng.integers(1000))
        ref = self.build(self.reference, seed, d, h)
        ok, student = _call(report, self.build, f"creating the layer ({d} inputs, {h} outputs)", cls, seed, d, h,
                            allowed=self.allowed)
        if not ok:
            return
        for attr in self.params:
            p = _parameter(report, student, attr, f"self.{attr} = Parameter(...)", "__init__")
            if p is None:
                return
            if np.shape(p.value) != getattr(ref, attr).value.shape:
                report.fail("wrong_shape", case=f"self.{attr}.value", got=np.shape(p.value),
                            expected=getattr(ref, attr).value.shape)
                return
            # Random values (a new Dense's b is all zeros: a forward without + b would pass),
            # the same on both sides.
            reference_param = getattr(ref, attr)
            reference_param.value[...] = rng.standard_normal(reference_param.value.shape)
            assign_into(p, "value", reference_param.value)
        x = rng.standard_normal((n, d)) * 2
        x[np.abs(x) < 1e-3] = 0.5  # keep clear of kinks ...
        if self.kinks:
            x[0, ::2] = 0.0  # ... except where the kink itself is tested
        done = _forward_backward(report, student, ref, x, rng, self.allowed,
                                 lambda dout: {k: v(x, dout, ref) for k, v in self.variants.items()},
                                 {k: v(x, ref) for k, v in self.forward_variants.items()})
        if done is None:
            return
        dout, case = done
        for attr in self.params:
            wrong = {k: v(x, dout, ref) for k, v in self.grad_variants.get(attr, {}).items()}
            compare(report, getattr(student, attr).grad, getattr(ref, attr).grad, f"{case} ({attr}.grad)", batch=n,
                    variants=wrong)
        for attr in self.params:  # backward computes gradients; only an optimizer's step changes weights
            value = as_checked_array(getattr(student, attr).value, report, f"self.{attr}.value")
            if value is not None and not close(value, getattr(ref, attr).value, 0, 0):
                report.fail("backward_changes_weights", case=case, attr=attr)
                return
        if self.params and report.passed:
            self._check_accumulation(student, ref, dout, report)
        if self.large_inputs and report.passed:
            report.cases += 1
            big = np.clip(x * 5e3, -1e4, 1e4)
            case = "forward on inputs as large as ±1e4"
            ok, out = _call(report, student.forward, case, big, allowed=self.allowed, nonfinite_key="overflow_sigmoid")
            if ok:
                compare(report, out, ref.forward(big), case)

    def _check_accumulation(self, student, ref, dout, report: Report) -> None:
        report.cases += 1
        case = "a second backward pass without zero_grad"
        ok, _ = _call(report, student.backward, case, dout, allowed=self.allowed)
        once = {attr: getattr(ref, attr).grad.copy() for attr in self.params}
        ref.backward(dout)
        for attr in self.params if ok else ():
            got = as_checked_array(getattr(student, attr).grad, report, case)
            if got is not None and not close(got, getattr(ref, attr).grad, 1e-6, 1e-9):
                # = instead of += leaves exactly one pass's gradient; anything else means the
                # first pass changed what the second one read.
                key = "assign_instead_of_add" if close(got, once[attr], 1e-6, 1e-9) else "second_backward_differs"
                report.fail(key, case=case)
                return


@dataclass
class SequentialExercise(Exercise):
    """A Sequential class: its backward must chain bplib's reference layers correctly."""

    name: str
    reference: type
    build_layers: Callable[[int, int, int, int], list]
    allowed: tuple = ()

    def run(self, cls: type, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        n, d, h, c = (7, 5, 6, 3) if hidden else (5, 4, 6, 3)
        seed = int(rng.integers(1000))
        layers = self.build_layers(seed, d, h, c)
        ok, student = _call(report, cls, "creating Sequential(Dense, ReLU, Dense, ...)", *layers, allowed=self.allowed,
                            copy=False)
        if not ok:
            return
        ref = self.reference(*self.build_layers(seed, d, h, c))
        done = _forward_backward(report, student, ref, rng.standard_normal((n, d)), rng, self.allowed)
        if done is None:
            return
        _, case = done
        # The gradients are read from the layers handed to the student's Sequential, by their public
        # names, in the order of the reference's layers.
        with_params = [(i, mine, theirs) for i, (mine, theirs) in enumerate(zip(layers, ref.layers), 1)
                       if theirs.parameters()]
        for k, (i, mine, theirs) in enumerate(with_params):
            last = k == len(with_params) - 1
            for (name, got), want in zip(mine.named_parameters(), theirs.parameters()):
                what = f"{case} ({name}.grad of layer {i}, {type(theirs).__name__})"
                if not compare(report, got.grad, want.grad, what, batch=n):
                    if not last and report.last_problem == "wrong_values":
                        report.revise("hidden_delta_uses_output_error", case=case)
                    return


def _defaults(cls: type) -> dict:
    """The keyword defaults of cls's constructor, read from its signature."""
    return {name: p.default for name, p in inspect.signature(cls).parameters.items() if p.default is not p.empty}


def _optimizer_gradient(w: np.ndarray) -> np.ndarray:
    """A bounded, non-linear gradient, different in every entry (from sum(sin w + 0.1 w²))."""
    scale = np.linspace(0.5, 2.0, w.size).reshape(w.shape)
    return (np.cos(w) + 0.2 * w) * scale


@dataclass
class OptimizerExercise(Exercise):
    """An optimizer class, run for some steps beside bplib.optim's and compared."""

    name: str
    reference: type
    configs: Callable[[bool], list[dict]]
    variants: dict[str, type] = field(default_factory=dict)
    steps: int = 12
    allowed: tuple = ()

    def run(self, cls: type, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        check_defaults(cls, self.reference, report)
        start = [rng.standard_normal((4, 3)), rng.standard_normal(3)]
        for kwargs in self.configs(hidden):
            report.cases += 1
            case = (f"{self.steps} steps of {self.name}({', '.join(f'{k}={v}' for k, v in kwargs.items())}), "
                    f"with lr lowered after {self.steps // 2}")
            got = self._trajectory(cls, start, kwargs, report, case)
            if got is None:
                return
            expected = self._trajectory(self.reference, start, kwargs)
            # The wrong optimizers get every hyperparameter spelled out, the reference's defaults
            # included, so that they hold no copy of those defaults.
            spelled_out = {**_defaults(self.reference), **kwargs}
            variants = {}
            for key, wrong in self.variants.items():
                try:
                    variants[key] = self._trajectory(wrong, start, spelled_out)
                except Exception:
                    pass
            for i, (g, e) in enumerate(zip(got, expected)):
                compare(report, g, e, f"{case} (parameter {i})", variants={k: v[i] for k, v in variants.items()})

    def _trajectory(self, cls, start, kwargs, report: Report | None = None, case: str = ""):
        """Final parameter values after ``steps`` steps; with a report, run as student code."""
        params = [hand_over(cls, Parameter(w)) for w in start]
        if report is None:
            opt = cls(params, **kwargs)
            for step in range(self.steps):
                if step == self.steps // 2:
                    self._change_lr(opt)
                opt.zero_grad()
                for p in params:
                    p.grad += _optimizer_gradient(p.value)
                opt.step()
            return [p.value for p in params]
        ok, opt = _call(report, cls, case, params, allowed=self.allowed, copy=False, **kwargs)
        if not ok:
            return None
        for step in range(self.steps):
            if step == self.steps // 2:
                self._change_lr(opt, report, case)
            if not _call(report, opt.zero_grad, case, allowed=self.allowed)[0]:
                return None
            if any(p.grad.any() for p in params):
                report.fail("accumulates_across_steps", case=case)
                return None
            for p in params:
                add_into(p, "grad", _optimizer_gradient(p.value))
            if not _call(report, opt.step, case, allowed=self.allowed, nonfinite_key="optimizer_nonfinite")[0]:
                return None
        return [p.value for p in params]

    @staticmethod
    def _change_lr(opt: Any, report: Report | None = None, case: str = "") -> None:
        """Lower lr halfway, as a schedule does (09's section 9): rules that fold lr into the
        running state agree with torch.optim only while lr stays the same."""
        lr = getattr(opt, "lr", None)
        if not isinstance(lr, (int, float)) or isinstance(lr, bool):
            if report is not None:
                report.fail("missing_attribute", attr="lr", when="__init__",
                            hint="store the learning rate as self.lr and read it in step")
            return
        opt.lr = 0.4 * lr


_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


@dataclass
class MinibatchExercise(Exercise):
    """A mini-batch generator: every sample once per pass, aligned, shuffled by rng."""

    name: str
    reference: Callable

    def run(self, fn: Callable, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        for n, batch_size in ((23, 5), (40, 8)) if not hidden else ((31, 4), (12, 12)):
            report.cases += 1
            case = f"N = {n} samples in batches of {batch_size}"
            X = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
            y = np.arange(n) * 10
            batches = self._batches(fn, X, y, batch_size, 7, report, case)
            if batches is None:
                return
            xs = np.concatenate([b[0] for b in batches]) if batches else np.zeros((0, 3))
            ys = np.concatenate([b[1] for b in batches]) if batches else np.zeros(0)
            sizes = [len(b[0]) for b in batches]
            expected = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
            if sorted(xs[:, 0].tolist()) != X[:, 0].tolist():
                report.fail("batches_lose_samples", case=case)
            elif not np.array_equal(xs[:, 0] * 10 / 3, ys):
                report.fail("batches_misaligned", case=case)
            elif sizes != expected:
                report.fail("batches_wrong_sizes", case=case, got=sizes, expected=expected)
            elif n > batch_size and np.array_equal(xs, X):
                report.fail("batches_not_shuffled", case=case)
            else:
                again = self._batches(fn, X, y, batch_size, 7, report, case)
                other = self._batches(fn, X, y, batch_size, 8, report, case)
                if again is None or other is None:
                    return
                same = all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))
                differs = any(not np.array_equal(a[0], b[0]) for a, b in zip(batches, other))
                # Which samples share a batch must change with the seed too, not only the order of
                # the batches or of the samples inside them.
                def partition(bs):
                    return {frozenset(b[0][:, 0].tolist()) for b in bs}
                regrouped = partition(batches) != partition(other)
                if not (same and differs):
                    report.fail("ignores_rng", case=case)
                elif n > batch_size and not regrouped:
                    report.fail("batches_fixed_blocks", case=case)

    def served(self) -> Callable:
        return self._minibatches_for_the_sandbox

    def _minibatches_for_the_sandbox(self, X, y, batch_size, rng=0, *args, **kwargs):
        """bplib's minibatches for the sandbox's cells. The notebook's Generator stays in the sandbox
        (here it is a Remote): shuffle with a copy of its state, then hand the advanced state back,
        so that the cell gets the batches, and its rng the state, that bplib would give it."""
        if not isinstance(rng, Remote):
            return self.reference(X, y, batch_size, rng, *args, **kwargs)
        state = rng.bit_generator.state
        kind = state.get("bit_generator") if isinstance(state, dict) else None
        if kind not in _BIT_GENERATORS:
            raise ValueError("rng must be a numpy.random.Generator, e.g. np.random.default_rng(0)")
        local = np.random.Generator(getattr(np.random, kind)())
        local.bit_generator.state = state
        batches = list(self.reference(X, y, batch_size, local, *args, **kwargs))
        rng.bit_generator.state = local.bit_generator.state
        return batches

    @staticmethod
    def _batches(fn, X, y, batch_size, seed, report, case):
        def consume(X, y, batch_size, rng):  # run the generator to its end inside the guard
            return [(np.asarray(xb), np.asarray(yb)) for xb, yb in fn(X, y, batch_size, rng)]

        ok, batches = _call(report, consume, case, X, y, batch_size, np.random.default_rng(seed))
        return batches if ok else None


@dataclass
class AccuracyGoalExercise(Exercise):
    """A trained model, as a predict(X) function, must reach an accuracy on held-out data.

    The notebook declares its held-out set by the call it makes, ``train_test_split(X, y,
    **split)`` on the data of ``load()``; the exercise holds the same ``split``, and
    tests/test_notebooks.py checks that the notebook's call matches it.
    """

    name: str
    reference: Callable
    load: Callable[[], tuple[np.ndarray, np.ndarray]]
    split: dict
    goal: float = 0.95
    allowed: tuple = ()

    def held_out(self) -> tuple[np.ndarray, np.ndarray]:
        """The notebook's test set (X_test, y_test)."""
        _, X_test, _, y_test = train_test_split(*self.load(), **self.split)
        return X_test, y_test

    def run(self, predict: Callable, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        X, y = self.held_out()
        everything = self._accuracy(predict, X, y, f"all {len(X)} held-out samples", report)
        if everything is None:
            return
        # Other orders and selections of the same samples, in both parts (notebook 08 warns of
        # exactly this): a predict() that ignores X, or standardises X with its own
        # statistics, fails these.
        order = rng.permutation(len(X))
        classes = np.unique(y)[:3]
        few = np.flatnonzero(np.isin(y, classes))
        for idx, case, goal in ((order, "the held-out samples, shuffled", self.goal),
                                (few, f"only the held-out samples of classes {', '.join(map(str, classes))}",
                                 self.goal - 0.1)):
            accuracy = self._accuracy(predict, X[idx], y[idx], case, report, goal)
            if accuracy is None or accuracy < goal:
                if everything >= self.goal:
                    report.revise("ignores_input", case=case)
                return

    def _accuracy(self, predict, X, y, case, report: Report, goal: float | None = None) -> float | None:
        """Accuracy of predict on (X, y), recording a problem when below the goal."""
        goal = self.goal if goal is None else goal
        report.cases += 1
        ok, labels = _call(report, predict, case, X, allowed=self.allowed)
        got = as_checked_array(labels, report, case) if ok else None
        if got is None:
            return None
        if got.ndim == 2 and got.shape[0] == len(X) and got.shape[1] > 1:
            report.fail("returns_scores", case=case, got=got.shape)
            return None
        if got.shape != (len(X),):
            report.fail("wrong_shape", case=case, got=got.shape, expected=(len(X),))
            return None
        accuracy = float(np.mean(got == y))
        if accuracy < goal:
            report.fail("too_inaccurate", case=case, got=f"{accuracy:.1%} accuracy", expected=f"{goal:.0%}")
        return accuracy
