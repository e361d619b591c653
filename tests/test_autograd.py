"""Tests for bplib.autograd: every gradient is checked against a centred finite difference."""
from __future__ import annotations

import ast
import doctest
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bplib.autograd
from bplib.autograd import Value, topological_order


def numerical_derivative(f, x: float, eps: float = 1e-6) -> float:
    """Centred difference (f(x+eps) - f(x-eps)) / 2eps, error O(eps**2)."""
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def assert_gradients_match(f, *xs: float, rel: float = 1e-5, abs_: float = 1e-6) -> None:
    """Backprop through f(*Values) and compare each input's grad with a finite difference.

    ``f`` takes Values and returns a Value; the numerical derivative evaluates the same
    function on fresh leaves, so the two computations cannot drift apart.
    """
    inputs = [Value(x) for x in xs]
    f(*inputs).backward()
    for i in range(len(xs)):
        def partial(t: float, i: int = i) -> float:
            args = [Value(x) for x in xs]
            args[i] = Value(t)
            return f(*args).data

        expected = numerical_derivative(partial, xs[i])
        assert inputs[i].grad == pytest.approx(expected, rel=rel, abs=abs_), f"input {i}"


# --------------------------------------------------------------------- basic object
def test_value_attributes_and_repr():
    a = Value(2, label="a")
    assert isinstance(a.data, float) and a.data == 2.0
    assert a.grad == 0.0 and a.label == "a" and a._prev == () and a._op == ""
    assert repr(a) == "Value(data=2.0, grad=0.0)"
    b = Value(-3.0)
    c = a * b
    assert c._prev == (a, b) and c._op == "*" and c.data == -6.0


def test_module_docstring_example_runs():
    result = doctest.testmod(bplib.autograd)
    assert result.attempted > 0 and result.failed == 0


# -------------------------------------------------------------- each op vs numerics
BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("name", sorted(BINARY_OPS))
@pytest.mark.parametrize("a, b", [(1.3, -0.7), (-2.5, 4.0), (0.2, 0.9)])
def test_binary_op_gradients(name, a, b):
    op = BINARY_OPS[name]
    assert_gradients_match(op, a, b)
    # Forward values agree with plain float arithmetic.
    assert op(Value(a), Value(b)).data == pytest.approx(op(a, b))


UNARY_OPS = {
    "radd": (lambda a: 2 + a, 0.7),
    "rsub": (lambda a: 1 - a, 0.7),
    "rmul": (lambda a: 2 * a, 0.7),
    "rtruediv": (lambda a: 1 / a, 0.7),
    "add_number": (lambda a: a + 2.5, -1.1),
    "sub_number": (lambda a: a - 2.5, -1.1),
    "mul_number": (lambda a: a * 2.5, -1.1),
    "div_number": (lambda a: a / 2.5, -1.1),
    "neg": (lambda a: -a, 1.9),
    "pow_int": (lambda a: a ** 3, -1.2),
    "pow_negative": (lambda a: a ** -2, 0.8),
    "pow_float": (lambda a: a ** 0.5, 2.3),
    "pow_float_exponent_on_negative_base": (lambda a: a ** 2.0, -1.5),
    "exp": (lambda a: a.exp(), 0.6),
    "log": (lambda a: a.log(), 0.6),
    "tanh": (lambda a: a.tanh(), -0.4),
    "sigmoid_pos": (lambda a: a.sigmoid(), 1.7),
    "sigmoid_neg": (lambda a: a.sigmoid(), -1.7),
    "relu_pos": (lambda a: a.relu(), 0.8),
    "relu_neg": (lambda a: a.relu(), -0.8),
}


@pytest.mark.parametrize("name", sorted(UNARY_OPS))
def test_unary_op_gradients(name):
    f, x = UNARY_OPS[name]
    assert_gradients_match(f, x)


@pytest.mark.parametrize("method, reference", [
    ("exp", math.exp), ("tanh", math.tanh),
    ("sigmoid", lambda x: 1 / (1 + math.exp(-x))), ("relu", lambda x: max(x, 0.0)),
])
@pytest.mark.parametrize("x", [-2.0, -0.3, 0.5, 3.0])
def test_unary_forward_values(method, reference, x):
    assert getattr(Value(x), method)().data == pytest.approx(reference(x), rel=1e-12)


@pytest.mark.parametrize("x", [1e-8, 0.5, 1.0, 3.0])
def test_log_forward_values(x):
    assert Value(x).log().data == pytest.approx(math.log(x), rel=1e-12, abs=1e-15)


def test_reflected_operators_keep_operand_order():
    v = Value(4.0)
    assert (2 + v).data == 6.0
    assert (1 - v).data == -3.0
    assert (2 * v).data == 8.0
    assert (1 / v).data == 0.25
    assert (v - 1).data == 3.0 and (v / 2).data == 2.0 and (-v).data == -4.0
    assert (v ** 0.5).data == 2.0


def test_pow_zero_exponent_has_zero_gradient_even_at_zero():
    a = Value(0.0)
    b = a ** 0
    b.backward()
    assert b.data == 1.0 and a.grad == 0.0


def test_relu_derivative_at_zero_is_zero():
    a = Value(0.0)
    a.relu().backward()
    assert a.grad == 0.0


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300])
def test_log_of_non_positive_raises(x):
    with pytest.raises(ValueError, match="positive"):
        Value(x).log()


def test_pow_rejects_value_exponent_and_complex_results():
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="non-integer"):
        Value(-8.0) ** (1 / 3)


def test_unsupported_operand_types_raise_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        [1] * Value(2.0)


def test_numpy_scalars_are_accepted():
    c = Value(1.5) * np.float32(2.0) + np.int64(1)
    assert isinstance(c, Value) and c.data == 4.0


# ------------------------------------------------------------- nodes used twice
def test_square_via_self_multiplication():
    a = Value(3.0)
    b = a * a
    b.backward()
    assert a.grad == 6.0


def test_self_addition():
    a = Value(3.0)
    c = a + a
    c.backward()
    assert a.grad == 2.0


def test_self_subtraction_and_division_cancel():
    a = Value(3.0)
    (a - a).backward()
    assert a.grad == 0.0
    a = Value(3.0)
    (a / a).backward()
    assert a.grad == pytest.approx(0.0, abs=1e-15)


def test_diamond_graph():
    # a feeds b and c, which meet again in d: d = (2a) * (a + 3), dd/da = 4a + 6.
    a = Value(1.5, label="a")
    b = a * 2
    c = a + 3
    d = b * c
    d.backward()
    assert a.grad == pytest.approx(4 * 1.5 + 6)
    assert b.grad == c.data and c.grad == b.data and d.grad == 1.0
    assert_gradients_match(lambda a: (a * 2) * (a + 3), 1.5)


def test_value_used_by_two_losses_accumulates():
    w = Value(0.5)
    (w * 2).backward()
    (w * 3).backward()
    assert w.grad == 5.0


# ------------------------------------------------------- accumulation and zero_grad
def _two_layer():
    a, b = Value(0.4), Value(-1.2)
    h = (a * b).tanh()  # intermediate nodes between the output and the leaves
    out = (h * a + b).sigmoid()
    return a, b, h, out


def test_backward_twice_accumulates_exactly_double():
    a, b, h, out = _two_layer()
    out.backward()
    first = (a.grad, b.grad, h.grad)
    out.backward()
    assert (a.grad, b.grad, h.grad) == pytest.approx(tuple(2 * g for g in first))
    assert out.grad == 2.0


def test_zero_grad_resets_whole_graph():
    a, b, h, out = _two_layer()
    out.backward()
    first = (a.grad, b.grad, h.grad)
    assert all(g != 0.0 for g in first)
    out.zero_grad()
    assert (a.grad, b.grad, h.grad, out.grad) == (0.0, 0.0, 0.0, 0.0)
    out.backward()
    assert (a.grad, b.grad, h.grad) == pytest.approx(first)


def test_backward_seeds_output_gradient_with_one():
    a = Value(2.0)
    out = a * 5
    out.backward()
    assert out.grad == 1.0 and a.grad == 5.0


# ------------------------------------------------------------ property-based tests
safe = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False)


def composite(x: Value, y: Value) -> Value:
    """Uses every op at least once, and x and y several times."""
    num = x * y + x.tanh() - 0.5 * y.sigmoid() * x.exp()
    den = 1 + y ** 2 + (x * x + 1).log()
    return num / den - (-x) ** 3 / 10 + 2 / (2 + y * y)


@settings(max_examples=60, deadline=None)
@given(safe, safe)
def test_composite_gradient_matches_finite_differences(x, y):
    assert_gradients_match(composite, x, y, rel=1e-5, abs_=1e-6)


@settings(max_examples=30, deadline=None)
@given(safe, safe)
def test_composite_forward_matches_plain_math(x, y):
    sig = 1 / (1 + math.exp(-y))
    num = x * y + math.tanh(x) - 0.5 * sig * math.exp(x)
    den = 1 + y ** 2 + math.log(x * x + 1)
    expected = num / den - (-x) ** 3 / 10 + 2 / (2 + y * y)
    assert composite(Value(x), Value(y)).data == pytest.approx(expected, rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(safe, safe)
def test_relu_composite_away_from_kink(x, y):
    # Finite differences straddling the kink of relu are meaningless, so stay clear of it.
    assume(abs(x - y) > 1e-3 and abs(x + 0.5) > 1e-3)
    assert_gradients_match(lambda x, y: (x - y).relu() * (x + 0.5).relu() + x, x, y)


@settings(max_examples=40, deadline=None)
@given(safe, safe)
def test_gradient_of_sum_is_sum_of_gradients(x, y):
    a1, b1 = Value(x), Value(y)
    composite(a1, b1).backward()
    a2, b2 = Value(x), Value(y)
    (a2 * b2).exp().backward()
    a3, b3 = Value(x), Value(y)
    (composite(a3, b3) + (a3 * b3).exp()).backward()
    assert a3.grad == pytest.approx(a1.grad + a2.grad, rel=1e-9, abs=1e-12)
    assert b3.grad == pytest.approx(b1.grad + b2.grad, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_sigmoid_symmetric_bounded_and_stable(x):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        a = Value(x)
        s = a.sigmoid()
        s.backward()
    assert 0.0 <= s.data <= 1.0
    assert s.data + Value(-x).sigmoid().data == pytest.approx(1.0, abs=1e-12)
    assert 0.0 <= a.grad <= 0.25


@pytest.mark.parametrize("x, expected", [(1e4, 1.0), (-1e4, 0.0), (800.0, 1.0), (-800.0, 0.0)])
def test_sigmoid_extremes_do_not_overflow(x, expected):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        a = Value(x)
        s = a.sigmoid()
        s.backward()
    assert s.data == expected and a.grad == 0.0


# ------------------------------------------------------------------- deep graphs
def test_ten_thousand_node_chain():
    n = 10_000
    assert n > sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = -y  # one new node per step
    y.backward()
    assert x.grad == 1.0  # an even number of negations
    y.zero_grad()
    assert x.grad == 0.0


def test_long_product_chain_gradient():
    x = Value(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 10_000, rel=1e-9)


# ------------------------------------------------------------ topological order
def test_topological_order_puts_every_node_once_after_its_children():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a  # a is used twice: it must still appear once
    e = (d * d).tanh() + c
    order = topological_order(e)
    assert len(order) == len(set(order)) == 7  # a, b, c, d, d*d, tanh, e
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[child] < position[node] for child in node._prev)
    assert order[-1] is e
    assert order[:3] == [a, b, c]  # depth first, first operand first: the order a drawing shows


def test_topological_order_of_a_leaf_is_the_leaf():
    a = Value(1.0)
    assert topological_order(a) == [a]


def test_topological_order_of_a_deep_chain_needs_no_recursion():
    x = Value(1.0)
    y = x
    for _ in range(10_000):
        y = y + 1
    order = topological_order(y)
    assert len(order) == 20_001 and order[0] is x and order[-1] is y  # x, then each constant and sum


# ------------------------------------------------------------------- the engine alone
def test_import_does_not_import_matplotlib():
    code = "import bplib.autograd, sys; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_engine_imports_nothing_but_the_standard_library():
    """autograd.py is the engine only (like micrograd's engine.py): the drawing lives in bplib.plot."""
    tree = ast.parse(Path(bplib.autograd.__file__).read_text(encoding="utf-8"))
    imported = set()  # top-level names; a relative import (of another bplib module) keeps its dots
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or "").split(".")[0])
    assert imported <= {"__future__", "math", "numbers", "typing"}, imported
