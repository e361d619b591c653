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
    ("softmax", lambda x, axis=-1: np.exp(x - x.max()) / np.exp(x - x.max()).sum(axis=0, keepdims=True), "wrong axis", "catalog #3"),
    ("softmax_cross_entropy", lambda z, y: float(-np.mean(np.log(softmax(z)[np.arange(len(y)), y]))), "log-sum-exp", "catalog #4"),
    ("sigmoid_grad", lambda x: stable_sigmoid(stable_sigmoid(x)) * (1 - stable_sigmoid(stable_sigmoid(x))), "activation a = f(z)", "catalog #5"),
    ("mse", lambda p, t: float(np.mean((p - t) ** 2)), "should raise ValueError", "catalog #7"),
    ("softmax_cross_entropy_grad", _sce_grad_no_mean, "times too large", "catalog #8"),
    ("mse_grad", lambda p, t: mse_grad(p, t) / 2, "half the right one", "catalog #9"),
    ("mse_grad", lambda p, t: -mse_grad(p, t), "wrong sign", "catalog #10"),
    ("softmax_cross_entropy_grad", lambda z, y: -(np.eye(z.shape[1])[y] * (1 - softmax(z))) / len(y), "off-diagonal", "catalog #13"),
    ("relu_grad", lambda x: (x >= 0).astype(x.dtype), "slope of the negative side", "kink convention"),
    ("centred_difference", lambda f, x, h=1e-5: (f(x + h) - f(x)) / h, "centred difference", "catalog #20"),
    ("centred_difference", lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / h, "twice the right one", "divides by h"),
    ("mul_backward", lambda a, b, dout: (dout * a, dout * b), "swapped", "local gradients swapped"),
    ("relu", lambda x: np.maximum(x, 0).astype(np.float64), "should be float32, like the input", "float32 upcast"),
    ("binary_cross_entropy", lambda p, t: float(-np.mean(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))),
     "log(0)", "catalog #4, clamped too late"),
    ("softmax_cross_entropy", lambda z, y: float(-np.mean(np.log(softmax(z)) * np.eye(z.shape[1])[y])), "averages over all N·C", "mean over classes"),
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
    assert "calls softmax, which is not implemented yet" in failure("softmax_cross_entropy_grad", softmax_cross_entropy_grad)


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
                  global_name="X", path="p", what="w", why="y", attr="W", when="t", hint="h", other="o")
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
