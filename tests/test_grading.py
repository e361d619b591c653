"""bplib.grading: the checks recognise each misconception, teach, and cannot be gamed."""
import importlib

import numpy as np
import pytest

from bplib import grading
from bplib.grading import CheckFailed, _guard, messages


@pytest.fixture(autouse=True)
def fresh_session():
    grading.start("03-loss-functions")
    grading._SESSION.tampered.clear()
    yield
    grading._SESSION.tampered.clear()


def failure(name, fn, hidden=False):
    """The message of a failing check (the test fails if the check passes)."""
    with pytest.raises(CheckFailed) as info:
        grading.check(name, fn, hidden=hidden)
    return info.value.text


def passes(name, fn):
    grading.check(name, fn)
    grading.check(name, fn, hidden=True)
    return True


# ---- correct student code passes -------------------------------------------------------------

def stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def mse(pred, target):
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: {pred.shape} and {target.shape}")
    return float(np.mean((pred - target) ** 2))


def mse_grad(pred, target):
    if pred.shape != target.shape:
        raise ValueError("shapes differ")
    return 2 * (pred - target) / pred.size


def sce_grad(logits, labels):
    p = softmax(logits)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


@pytest.mark.parametrize("name, fn", [
    ("sigmoid", stable_sigmoid),
    ("softmax", softmax),
    ("mse", mse),
    ("mse_grad", mse_grad),
    ("softmax_cross_entropy_grad", sce_grad),
    ("relu_grad", lambda x: (x > 0).astype(x.dtype)),
    ("mul_backward", lambda a, b, dout: (dout * b, dout * a)),
])
def test_correct_code_passes_visible_and_hidden(name, fn, capsys):
    assert passes(name, fn)
    out = capsys.readouterr().out
    assert out.count("passed") == 1, "the hidden part is silent on success"


# ---- each misconception gets its own hint -------------------------------------------------

def _no_shift_softmax(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def _sce_grad_no_mean(logits, labels):
    return sce_grad(logits, labels) * len(labels)


MISTAKES = [
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), "overflowed on the way", "catalog #1"),
    ("sigmoid", lambda x: np.exp(x) / (1 + np.exp(x)), "1 / (1 + np.exp(-x))", "catalog #1, the other branch"),
    ("softmax", _no_shift_softmax, "Subtract each row's maximum", "catalog #2"),
    ("softmax", lambda x, axis=-1: np.exp(x - x.max()) / np.exp(x - x.max()).sum(axis=0, keepdims=True),
     "wrong axis", "catalog #3"),
    ("softmax_cross_entropy", lambda z, y: float(-np.mean(np.log(softmax(z)[np.arange(len(y)), y]))),
     "log-sum-exp", "catalog #4"),
    ("sigmoid_grad", lambda x: stable_sigmoid(stable_sigmoid(x)) * (1 - stable_sigmoid(stable_sigmoid(x))),
     "activation a = f(z)", "catalog #5"),
    ("mse", lambda p, t: float(np.mean((p - t) ** 2)), "should raise ValueError", "catalog #7"),
    ("softmax_cross_entropy_grad", _sce_grad_no_mean, "times too large", "catalog #8"),
    ("mse_grad", lambda p, t: mse_grad(p, t) / 2, "half the right one", "catalog #9"),
    ("mse_grad", lambda p, t: -mse_grad(p, t), "wrong sign", "catalog #10"),
    ("softmax_cross_entropy_grad", lambda z, y: -(np.eye(z.shape[1])[y] * (1 - softmax(z))) / len(y),
     "off-diagonal", "catalog #13"),
    ("relu_grad", lambda x: (x >= 0).astype(x.dtype), "slope of the negative side", "kink convention"),
    ("centred_difference", lambda f, x, h=1e-5: (f(x + h) - f(x)) / h, "centred difference", "catalog #20"),
    ("centred_difference", lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / h, "twice the right one", "divides by h"),
    ("mul_backward", lambda a, b, dout: (dout * a, dout * b), "swapped", "local gradients swapped"),
    ("relu", lambda x: np.maximum(x, 0).astype(np.float64), "should be float32, like the input", "float32 upcast"),
    ("binary_cross_entropy",
     lambda p, t: float(-np.mean(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))),
     "log(0)", "catalog #4, clamped too late"),
    ("softmax_cross_entropy", lambda z, y: float(-np.mean(np.log(softmax(z)) * np.eye(z.shape[1])[y])),
     "averages over all N·C", "mean over classes"),
]


def _descent_aliased(grad_fn, w0, lr, steps):
    w = np.array(w0, dtype=float)
    trajectory = [w]
    for _ in range(steps):
        w -= lr * grad_fn(w)
        trajectory.append(w)
    return np.array(trajectory)


def _descent_without_start(grad_fn, w0, lr, steps):
    w, trajectory = w0, []
    for _ in range(steps):
        w = w - lr * grad_fn(w)
        trajectory.append(w)
    return np.array(trajectory).reshape(steps, -1)


MISTAKES += [
    ("gradient_descent", _descent_aliased, "same array was stored at every step", "aliased trajectory"),
    ("gradient_descent", _descent_without_start, "row 0 must be w0", "trajectory without w0"),
]


@pytest.mark.parametrize("name, fn, expected, why", MISTAKES, ids=[m[3] for m in MISTAKES])
def test_misconception_is_named(name, fn, expected, why):
    text = failure(name, fn)
    assert expected in text, text
    assert "Try:" in text


def test_mutated_input_is_named():
    def relu(x):
        x[x < 0] = 0
        return x
    assert "changed its input array `x`" in failure("relu", relu)


def test_notebook_global_is_named():
    global X_VISIBLE
    X_VISIBLE = np.ones((5, 3))
    sigmoid = eval("lambda x: 1 / (1 + np.exp(-X_VISIBLE))", globals())
    assert "X_VISIBLE" in failure("sigmoid", sigmoid)


def test_every_problem_is_reported_at_once():
    text = failure("softmax", lambda x, axis=-1: np.exp(x) / np.exp(x).sum(axis=0, keepdims=True))
    assert text.startswith("✘ softmax: 2 problems found")


def test_stub_and_exception_messages_point_at_the_student():
    def stub(x):
        raise NotImplementedError()
    assert "not implemented yet" in failure("relu", stub)

    def broken(x):
        return x @ np.ones((2, 2))
    text = failure("relu", broken)
    assert "ValueError" in text and "return x @ np.ones((2, 2))" in text


def test_messages_never_reveal_expected_values():
    expected = mse(np.arange(6.0).reshape(6, 1), np.zeros((6, 1)))
    text = failure("mse_grad", lambda p, t: mse_grad(p, t) * 3.7)
    assert repr(expected)[:5] not in text
    for case in grading.EXERCISES["mse_grad"].cases(np.random.default_rng(0), False)[:1]:
        assert f"{case.args[0].ravel()[0]:.4f}" not in text


def test_calling_an_unfinished_helper_names_the_helper():
    def softmax(x, axis=-1):
        raise NotImplementedError()

    def softmax_cross_entropy_grad(logits, labels):
        p = softmax(logits)
        p[np.arange(len(labels)), labels] -= 1
        return p / len(labels)
    assert ("calls softmax, which is not implemented yet"
            in failure("softmax_cross_entropy_grad", softmax_cross_entropy_grad))


def test_missing_function_is_a_teaching_message_not_a_name_error():
    with pytest.raises(CheckFailed, match="not defined in this notebook"):
        grading.check("softmax_cross_entropy_grad")


def test_failure_renders_without_traceback():
    with pytest.raises(CheckFailed) as info:
        grading.check("relu", lambda x: x)
    assert info.value._render_traceback_() == info.value.text.splitlines()
    assert "Traceback" not in info.value.text


def test_every_catalog_entry_renders():
    fields = dict(name="f", case="c", error="e", where="w", kind="k", got="g", expected="x", N=5, arg="a",
                  global_name="X", path="p", what="w", why="y", attr="W", when="t", hint="h", other="o",
                  start="ones", d=3)
    for key in messages.CATALOG:
        assert "Try:" in messages.render(key, **fields)


# ---- gaming ----------------------------------------------------------------------------------

from bplib.activations import sigmoid as reference_sigmoid  # noqa: E402


def test_reference_object_is_refused():
    assert "reference implementation" in failure("sigmoid", reference_sigmoid)


def test_wrapper_closure_default_and_container_are_refused():
    def wrapper(x):
        return reference_sigmoid(x)

    def make_closure():
        f = reference_sigmoid
        return lambda x: f(x)

    def with_default(x, f=reference_sigmoid):
        return f(x)

    table = {"f": reference_sigmoid}
    via_container = eval("lambda x: table['f'](x)", {"table": table})
    import bplib
    via_module = eval("lambda x: bplib.activations.sigmoid(x)", {"bplib": bplib})
    for fn in (wrapper, make_closure(), with_default, via_container, via_module):
        assert "reference implementation" in failure("sigmoid", fn)


def test_reference_reached_at_run_time_is_refused():
    def sneaky(x):
        # joined at run time, so that no constant in the code mentions the package
        module = importlib.import_module("".join(["bp", "lib.activ", "ations"]))
        return getattr(module, "".join(["sig", "moid"]))(x)
    text = failure("sigmoid", sneaky)
    assert "reference implementation" in text and "activations.sigmoid" in text


def test_bplib_named_in_a_docstring_is_not_a_reference_use():
    """The string scan looks for a module path in the code ("bplib.activations" handed to
    importlib), not in what the student wrote about it."""
    def documented(x):
        """The same maths as bplib.activations.sigmoid, written out."""
        return 0.5 * (1 + np.tanh(x / 2))

    def imports_by_name(x):
        return importlib.import_module("bplib.activations").sigmoid(x)

    assert _guard.reference_path(documented) is None
    assert _guard.reference_path(imports_by_name) is not None
    assert _guard.reference_path(lambda x: ["bplib" for _ in x]) is not None  # a comprehension has no docstring


def test_subclass_of_reference_is_refused():
    from bplib.layers import ReLU

    class MyReLU(ReLU):
        pass
    assert _guard.reference_path(MyReLU) is not None
    assert _guard.reference_path(MyReLU, allowed=[ReLU]) is None


def test_always_equal_result_is_refused():
    class AlwaysEqual:
        def __eq__(self, other):
            return True
        __array_priority__ = 1000
    assert "numpy array" in failure("sigmoid", lambda x: AlwaysEqual())

    class SneakyArray(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(other), bool)
    assert "numpy array" in failure("sigmoid", lambda x: np.zeros_like(x).view(SneakyArray))


def test_patched_numpy_is_detected_and_restored():
    original = np.allclose
    np.allclose = lambda *a, **k: True
    try:
        text = failure("sigmoid", stable_sigmoid)
        assert "np.allclose" in text and "implemented with numpy" in text
        assert np.allclose is original  # put back
    finally:
        np.allclose = original


def test_patched_testing_assert_is_detected():
    original = np.testing.assert_allclose
    np.testing.assert_allclose = lambda *a, **k: None
    try:
        assert "np.testing.assert_allclose" in failure("sigmoid", stable_sigmoid)
    finally:
        np.testing.assert_allclose = original


def test_grading_is_read_only_and_replacements_are_detected():
    with pytest.raises(AttributeError, match="read-only"):
        grading.check = lambda *a, **k: None
    original = vars(grading)["check"]
    vars(grading)["check"] = lambda *a, **k: None
    try:
        problems = _guard.integrity_problems()
        assert "bplib.grading.check" in problems and vars(grading)["check"] is original
    finally:
        vars(grading)["check"] = original


def test_switching_off_the_watcher_is_detected():
    import sys

    def sneaky(x):
        sys.setprofile(None)
        return stable_sigmoid(x)
    assert "reference implementation" in failure("sigmoid", sneaky)


# ---- session helpers ---------------------------------------------------------------------------

def test_summary_and_or_reference(capsys):
    grading.start("02-activation-functions")
    assert grading.or_reference("relu", lambda x: x) is grading.EXERCISES["relu"].reference
    grading.check("relu", lambda x: np.maximum(x, 0))
    student = lambda x: np.maximum(x, 0)  # noqa: E731
    assert grading.or_reference("relu", student) is student
    with pytest.raises(CheckFailed):
        grading.check("relu_grad", lambda x: x)
    capsys.readouterr()
    grading.summary()
    out = capsys.readouterr().out
    assert "1 of 8 exercises pass" in out
    assert "relu  " in out and "✔ passed" in out and "✘ not yet" in out and "not checked yet" in out


def test_unknown_notebook():
    with pytest.raises(ValueError, match="unknown notebook"):
        grading.start("99-nope")


def test_softmax_shifted_by_the_global_maximum_is_named():
    def global_shift(x, axis=-1):
        e = np.exp(x - np.max(x))
        return e / np.sum(e, axis=axis, keepdims=True)

    def global_shift_loss(z, y):
        s = z - np.max(z)
        log_p = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
        return float(-np.mean(log_p[np.arange(len(y)), y]))

    grading.start("02-activation-functions")
    assert "of the whole array, not of each row" in failure("softmax", global_shift)
    grading.start("03-loss-functions")
    assert "of the whole array, not of each row" in failure("softmax_cross_entropy", global_shift_loss)


def test_relu_mask_at_zero_fails_in_the_two_layer_backward():
    grading.start("07-gradient-checking-and-debugging")
    assert "Use x > 0, not x >= 0" in failure("two_layer_backward", _two_layer_backward(lambda h_pre: h_pre >= 0))
    assert passes("two_layer_backward", _two_layer_backward(lambda h_pre: h_pre > 0))


def test_a_check_that_runs_a_failing_exercise_says_so_first():
    def logistic_grad(X, y, w, b):  # wrong: forgets the mean over the batch
        error = 1 / (1 + np.exp(-(X @ w + b))) - y
        return X.T @ error, float(np.sum(error))

    def train_logistic(X, y, lr=0.1, epochs=100):  # right, but runs the wrong gradient
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(epochs):
            dw, db = logistic_grad(X, y, w, b)
            w, b = w - lr * dw, b - lr * db
        return w, b

    grading.start("05-logistic-regression")
    failure("logistic_grad", logistic_grad)
    text = failure("train_logistic", train_logistic)
    assert text.splitlines()[1].strip().startswith(
        "1. train_logistic runs your logistic_grad, which fails its own check"), text


def test_observations_are_stated_where_the_cause_is_not_known():
    grading.start("01-derivatives-and-the-chain-rule")
    text = failure("mul_backward", lambda a, b, dout: (dout * b, dout * b))  # (da, da): not a swap
    assert "swapped" not in text
    grading.start("08-training-on-real-data")
    text = failure("accuracy", lambda s, y: float(np.mean(np.argmax(s, axis=1) == y)) / 2)
    assert "(ŷ - y)" not in text and "factor 2" not in text
    grading.start("07-gradient-checking-and-debugging")
    text = failure("rel_error", lambda a, b: float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-8))))
    assert "max(|a|, |b|) as the denominator" not in text


# ---- the diagnosis table: each typical wrong answer and the hint key it must get -----------------
# (notebooks 10 and 11: tests/test_grading_deep.py). A new exercise adds its rows here.

def _hint_keys(name, fn, hidden=False):
    from bplib.grading.report import Report

    report = Report(name)
    grading.EXERCISES[name].run(fn, report, grading._rng(name, hidden), hidden)
    return [key for key, _ in report.problems], report.text()


def _expected_numbers(name):
    """The reference's visible results, as a check would have to print them to give them away."""
    exercise = grading.EXERCISES[name]
    numbers = set()
    for case in exercise.cases(grading._rng(name, False), False):
        if case.raises:
            continue
        with np.errstate(all="ignore"):
            result = exercise.reference(*case.args, **case.kwargs)
        for value in np.ravel(np.asarray(result if not isinstance(result, tuple)
                                         else np.concatenate([np.ravel(r) for r in result]), dtype=float)):
            text = f"{value:.4g}"
            if np.isfinite(value) and len(text.lstrip("-")) >= 5:  # 0.1234, 12.34: not a shape or a count
                numbers.add(text)
    return numbers


def _tanh(x):
    return np.tanh(x)


def _two_layer_backward(relu_mask):
    def two_layer_backward(x, y, W1, b1, W2, b2):
        h_pre = x @ W1 + b1
        h = np.maximum(h_pre, 0)
        dscores = softmax(h @ W2 + b2)
        dscores[np.arange(len(y)), y] -= 1
        dscores /= len(y)
        dh = (dscores @ W2.T) * relu_mask(h_pre)
        return x.T @ dh, dh.sum(axis=0), h.T @ dscores, dscores.sum(axis=0)
    return two_layer_backward


DIAGNOSES = [
    ("02-activation-functions", "tanh_grad", lambda x: 1 - np.tanh(x), "tanh_grad_without_square"),
    ("02-activation-functions", "tanh_grad", lambda x: 1 - np.asarray(x) ** 2, "derivative_of_the_input"),
    ("02-activation-functions", "sigmoid_grad", lambda x: np.asarray(x) * (1 - np.asarray(x)),
     "derivative_of_the_input"),
    ("02-activation-functions", "leaky_relu", lambda x, alpha=0.01: np.where(x > 0, alpha * x, x),
     "leaky_slope_on_positive_side"),
    ("02-activation-functions", "leaky_relu_grad",
     lambda x, alpha=0.01: np.where(x > 0, alpha, 1.0).astype(np.asarray(x).dtype),
     "leaky_slope_on_positive_side"),
    ("02-activation-functions", "leaky_relu", lambda x, alpha=0.01: np.where(x > 0, x, 0.01 * x), "ignores_alpha"),
    ("02-activation-functions", "relu_grad", lambda x: (x >= 0).astype(x.dtype), "relu_grad_at_zero"),
    ("02-activation-functions", "softmax",
     lambda x, axis=-1: np.exp(x - np.max(x)) / np.sum(np.exp(x - np.max(x)), axis=axis, keepdims=True),
     "softmax_global_max"),
    ("03-loss-functions", "binary_cross_entropy", lambda p, t: float(-np.mean(t * np.log(p) + (1 - t) * np.log(p))),
     "bce_log_p_twice"),
    ("03-loss-functions", "mse_grad", lambda p, t: mse_grad(p, t) * p.size / len(p), "mean_over_rows_only"),
    ("01-derivatives-and-the-chain-rule", "centred_difference", lambda f, x, h=1e-5: (f(x + 1e-5) - f(x - 1e-5)) / 2e-5,
     "ignores_h"),
    ("01-derivatives-and-the-chain-rule", "mul_backward", lambda a, b, dout: (dout * a, dout * b),
     "local_grad_swapped"),
    ("01-derivatives-and-the-chain-rule", "mul_backward", lambda a, b, dout: (dout * b, dout * b),
     "wrong_values"),  # not "swapped"
    ("03-loss-functions", "softmax_cross_entropy", lambda z, y: _global_max_loss(z, y), "softmax_global_max"),
    ("05-logistic-regression", "train_logistic", lambda X, y, lr=0.1, epochs=100: _train(X, y, lr, epochs - 1),
     "one_step_short"),
    ("07-gradient-checking-and-debugging", "two_layer_backward", _two_layer_backward(lambda h_pre: h_pre >= 0),
     "relu_grad_at_zero"),
    ("07-gradient-checking-and-debugging", "rel_error",
     lambda a, b: float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-8))),
     "rel_error_denominator"),
    ("08-training-on-real-data", "accuracy", lambda s, y: float(np.mean(np.argmax(s, axis=1) == y)) / 2,
     "wrong_values"),  # no MSE hint
    # found by the audit of 01-09 (wrong answers that passed, or were named a wrong cause)
    ("01-derivatives-and-the-chain-rule", "centred_difference", lambda f, x, h=1e-6: (f(x + h) - f(x - h)) / (2 * h),
     "wrong_default"),
    ("02-activation-functions", "leaky_relu", lambda x, alpha=0.1: np.where(x > 0, x, alpha * x), "wrong_default"),
    ("03-loss-functions", "mse", lambda p, t: _same_ndim_only(p, t, lambda: float(np.mean((p - t) ** 2))),
     "should_raise"),
    ("03-loss-functions", "binary_cross_entropy", lambda p, t: float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))),
     "log_of_zero"),  # not "log p twice": a right formula's NaN matched that mistake's NaN
    ("07-gradient-checking-and-debugging", "rel_error",
     lambda a, b: float(np.max(np.abs(a - b) / np.maximum(np.abs(a + b), 1e-8))),
     "rel_error_abs_of_sum"),
    ("07-gradient-checking-and-debugging", "dense_backward",
     lambda x, W, dout: (dout @ W.T, x.T @ dout, np.full(dout.shape[1], dout.sum())),
     "summed_over_everything"),
    ("07-gradient-checking-and-debugging", "sigmoid_backward", lambda out, dout: dout, "missing_local_derivative"),
    ("07-gradient-checking-and-debugging", "sigmoid_backward", lambda out, dout: out * (1 - out), "forgot_upstream"),
    ("07-gradient-checking-and-debugging", "l2_grads",
     lambda x, dout, W, b, reg: (x.T @ dout + 2 * reg * W, dout.sum(axis=0)),
     "l2_grad_doubled"),
    ("08-training-on-real-data", "accuracy", lambda s, y: float(np.sum(np.argmax(s, axis=1) == y) // len(y)),
     "accuracy_zero_unless_all_right"),
    ("08-training-on-real-data", "accuracy", lambda s, y: float(np.all(np.argmax(s, axis=1) == y)),
     "accuracy_zero_unless_all_right"),
    ("08-training-on-real-data", "accuracy", lambda s, y: np.sum(np.argmax(s, axis=1) == y) / s.shape[1],
     "accuracy_divided_by_classes"),
    ("08-training-on-real-data", "accuracy", lambda s, y: float(np.mean(np.max(s, axis=1) == y)),
     "accuracy_compares_scores"),
    ("08-training-on-real-data", "accuracy", lambda s, y: float(np.mean(np.argmax(s, axis=1) != y)),
     "accuracy_error_rate"),
    ("08-training-on-real-data", "confusion_matrix", lambda t, p, c: _float_confusion(t, p, c), "counts_not_integers"),
    ("02-activation-functions", "relu", lambda x: np.max(x, 0), "relu_max_not_maximum"),
    ("02-activation-functions", "leaky_relu", lambda x, alpha=0.01: np.maximum(x, 0), "leaky_as_relu"),
    ("02-activation-functions", "softmax", lambda x, axis=-1: _exp_shifted(x) / _exp_shifted(x).sum(),
     "softmax_normalised_globally"),
    ("02-activation-functions", "softmax", lambda x, axis=-1: np.exp(x - np.max(x, axis=axis)), "broadcast_shapes"),
    ("04-gradient-descent", "gradient_descent", lambda f, w0, lr, steps: _descend(f, w0, lr, steps - 1),
     "one_step_short"),
    ("04-gradient-descent", "gradient_descent", lambda f, w0, lr, steps: _descend(f, w0, lr, steps + 1),
     "one_step_too_many"),
    ("05-logistic-regression", "predict_proba", lambda X, w, b: 0.5 * (1 + np.tanh(X @ w / 2)), "bias_missing"),
    ("05-logistic-regression", "predict_proba", lambda X, w, b: 0.5 * (1 + np.tanh(X @ w / 2)) + b,
     "bias_after_sigmoid"),
    ("05-logistic-regression", "logistic_grad", lambda X, y, w, b: _logistic_grad(X, y, w, b, X.shape[1]),
     "divided_by_features"),
]


def _logistic_grad(X, y, w, b, count):
    error = 0.5 * (1 + np.tanh((X @ w + b) / 2)) - y
    return X.T @ error / count, float(np.mean(error))


def _exp_shifted(x):
    return np.exp(x - np.max(x, axis=-1, keepdims=True))


def _descend(grad_fn, w0, lr, updates):
    trajectory = [np.array(w0, dtype=float)]
    for _ in range(max(updates, 0)):
        trajectory.append(trajectory[-1] - lr * grad_fn(trajectory[-1]))
    return np.array(trajectory)


def _same_ndim_only(p, t, value):
    if np.ndim(p) != np.ndim(t):  # the shapes themselves are what must agree
        raise ValueError("pred and target must have the same number of axes")
    return value()


def _float_confusion(t, p, c):
    counts = np.zeros((c, c))
    np.add.at(counts, (t, p), 1)
    return counts


def _global_max_loss(z, y):
    shifted = z - np.max(z)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(y)), y]))


def _train(X, y, lr, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        error = 1 / (1 + np.exp(-(X @ w + b))) - y
        w, b = w - lr * X.T @ error / len(y), b - lr * float(np.mean(error))
    return w, b


@pytest.mark.parametrize("notebook, name, fn, key", DIAGNOSES, ids=[f"{n}-{k}" for _, n, _, k in DIAGNOSES])
def test_each_diagnosis_names_its_mistake_and_no_expected_value(notebook, name, fn, key):
    grading.start(notebook)
    keys, text = _hint_keys(name, fn)
    assert keys[:1] == [key], f"{name}: expected {key!r} first, got {keys}"
    leaked = [n for n in _expected_numbers(name) if n in text]
    assert not leaked, f"{name}'s message shows expected values {leaked}:\n{text}"
    hidden_keys, _ = _hint_keys(name, fn, hidden=True)
    assert hidden_keys, f"{name}: the wrong answer {key!r} passes the hidden part"


def test_every_cited_misconception_is_in_the_students_catalog():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    catalog = (root / "course" / "misconceptions.md").read_text()
    listed = {int(n) for n in re.findall(r"^## (\d+)\. ", catalog, re.M)}
    assert listed == set(range(1, max(listed) + 1)), "the catalog numbers its entries 1, 2, 3, ... without gaps"
    texts = [hint.problem + hint.try_next for hint in messages.CATALOG.values()]
    texts += [p.read_text() for p in (root / "solutions").glob("*/*.ipynb")]
    cited = {int(n) for text in texts for n in re.findall(r"[Mm]isconceptions? (\d+)", text)}
    assert cited and cited <= listed, f"cited but not in course/misconceptions.md: {sorted(cited - listed)}"
    assert "misconceptions.md" in (root / "course" / "00-welcome.ipynb").read_text()


FEATURES = 2  # a notebook variable that a wrong train_logistic reads instead of X.shape[1]


def test_a_size_read_from_the_notebook_is_named_first():
    def logistic_grad(X, y, w, b):
        error = 1 / (1 + np.exp(-(X @ w + b))) - y
        return X.T @ error / len(y), float(np.mean(error))

    def train_logistic(X, y, lr=0.1, epochs=100):
        w, b = np.zeros(FEATURES), 0.0
        for _ in range(epochs):
            dw, db = logistic_grad(X, y, w, b)
            w, b = w - lr * dw, b - lr * db
        return w, b

    grading.start("05-logistic-regression")
    assert passes("logistic_grad", logistic_grad)
    text = failure("train_logistic", train_logistic)
    assert text.splitlines()[1].strip().startswith(
        "1. train_logistic seems to read the notebook variable `FEATURES`"), text


def test_an_error_broadcast_to_n_by_n_is_named_where_it_happens():
    def linear_regression_grad(X, y, w, b):
        error = (X @ w + b).reshape(-1, 1) - y  # (N, 1) - (N,): an (N, N) array
        return 2 * X.T @ error / len(y), float(2 * np.mean(error))

    grading.start("04-gradient-descent")
    assert "broadcast to (N, N)" in failure("linear_regression_grad", linear_regression_grad)


def test_a_finite_difference_where_the_exact_derivative_is_asked_is_seen_as_nearly_right():
    def tanh_grad(x, h=1e-5):
        return (np.tanh(x + h) - np.tanh(x - h)) / (2 * h)

    grading.start("02-activation-functions")
    assert "close to the right ones (within 1 %)" in failure("tanh_grad", tanh_grad)


def _public_bplib_names() -> dict[str, str]:
    """Every public function and class that bplib defines (outside bplib.grading), by name."""
    import importlib
    import pkgutil

    import bplib

    names = {}
    for info in pkgutil.walk_packages(bplib.__path__, "bplib."):
        if info.name.startswith("bplib.grading"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if not name.startswith("_") and callable(obj) and getattr(obj, "__module__", "") == info.name:
                names[name] = info.name
    return names


def test_each_reference_has_one_home():
    """The rule of bplib/grading/exercises/__init__.py: a reference is bplib's own code, or defined in
    its notebook's exercise module when bplib has no such piece; never both."""
    public = _public_bplib_names()
    for name, exercise in grading.EXERCISES.items():
        reference = exercise.reference
        home = getattr(reference, "__module__", "")
        if home.startswith("bplib.grading.exercises."):
            defined_as = getattr(reference, "__name__", name)
            assert defined_as not in public, f"{name}: its reference is defined in {home} and in {public[defined_as]}"
        else:
            assert home in public.values() and not home.startswith("bplib.grading"), f"{name}: reference from {home}"
