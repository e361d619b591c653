import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bplib import activations as A
from bplib.gradcheck import numerical_gradient, rel_error

ELEMENTWISE = {
    "sigmoid": (A.sigmoid, A.sigmoid_grad),
    "tanh": (A.tanh, A.tanh_grad),
    "relu": (A.relu, A.relu_grad),
    "leaky_relu": (A.leaky_relu, A.leaky_relu_grad),
}
NAIVE = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
    "relu": lambda x: x * (x > 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
}
finite = st.floats(-1e4, 1e4, allow_nan=False)


def away_from_kink(x):
    """Numerical derivatives are meaningless within eps of the kink at 0."""
    return np.where(np.abs(x) < 1e-3, 0.5, x)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_matches_textbook_formula_in_safe_range(name, rng):
    x = rng.uniform(-20, 20, size=(7, 5))
    np.testing.assert_allclose(ELEMENTWISE[name][0](x), NAIVE[name](x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_numerical_gradient(name, rng):
    f, f_grad = ELEMENTWISE[name]
    x = away_from_kink(rng.standard_normal((4, 3)))
    dout = rng.standard_normal(x.shape)
    numeric = numerical_gradient(lambda z: np.sum(f(z) * dout), x)
    assert rel_error(f_grad(x) * dout, numeric) < 1e-7, name


def test_derivatives_at_the_kink_follow_pytorch():
    assert A.relu_grad(np.array(0.0)) == 0.0
    assert A.leaky_relu_grad(np.array(0.0), alpha=0.2) == pytest.approx(0.2)
    assert A.sigmoid_grad(np.array(0.0)) == pytest.approx(0.25)
    assert A.tanh_grad(np.array(0.0)) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(name, dtype):
    x = np.linspace(-3, 3, 11).astype(dtype)
    f, f_grad = ELEMENTWISE[name]
    assert f(x).dtype == dtype and f_grad(x).dtype == dtype


def test_integer_input_becomes_float64():
    assert A.sigmoid(np.array([0, 1, 2])).dtype == np.float64


def test_non_numeric_input_is_refused():
    with pytest.raises(ValueError, match="dtype"):
        A.relu(np.array(["a", "b"]))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_stable_at_extremes(name):
    f, f_grad = ELEMENTWISE[name]
    for dtype in (np.float32, np.float64):
        x = np.array([-1e4, -800.0, -100.0, 0.0, 100.0, 800.0, 1e4], dtype=dtype)
        assert np.all(np.isfinite(f(x))) and np.all(np.isfinite(f_grad(x)))


def test_sigmoid_limits():
    s = A.sigmoid(np.array([-1e4, 1e4]))
    assert s[0] == 0.0 and s[1] == 1.0


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=finite))
def test_sigmoid_is_a_probability_and_symmetric(x):
    s = A.sigmoid(x)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(A.sigmoid(-x), 1 - s, atol=1e-15)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=finite))
def test_softmax_rows_are_distributions(x):
    p = A.softmax(x)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)


@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 5)), elements=st.floats(-50, 50)),
    st.floats(-1e3, 1e3),
)
def test_softmax_is_shift_invariant(x, c):
    np.testing.assert_allclose(A.softmax(x + c), A.softmax(x), atol=1e-10)


def test_softmax_normalises_along_the_requested_axis(rng):
    x = rng.standard_normal((3, 4))
    np.testing.assert_allclose(A.softmax(x, axis=0).sum(axis=0), 1.0)
    np.testing.assert_allclose(A.softmax(x).sum(axis=1), 1.0)
    assert not np.allclose(A.softmax(x, axis=0), A.softmax(x))


def test_softmax_extreme_logits():
    p = A.softmax(np.array([[1e4, 0.0, -1e4]]))
    np.testing.assert_array_equal(p, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(np.exp(A.log_softmax(np.array([[1.0, 2.0, 3.0]]))),
                               A.softmax(np.array([[1.0, 2.0, 3.0]])))


def test_softmax_jacobian_vector_product(rng):
    """The softmax Jacobian diag(p) - p pᵀ, applied to a random upstream gradient."""
    x = rng.standard_normal((3, 5))
    dout = rng.standard_normal(x.shape)
    p = A.softmax(x)
    analytic = p * (dout - np.sum(dout * p, axis=1, keepdims=True))
    numeric = numerical_gradient(lambda z: np.sum(A.softmax(z) * dout), x)
    assert rel_error(analytic, numeric) < 1e-7
