import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bplib.gradcheck import check_layer, numerical_gradient, numerical_gradient_array, rel_error
from bplib.layers import Dense


@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=st.floats(-3, 3)))
@settings(max_examples=40)
def test_numerical_gradient_of_polynomial_and_x_untouched(x):
    before = x.copy()
    grad = numerical_gradient(lambda z: float(np.sum(z**3 - 2 * z)), x)
    np.testing.assert_allclose(grad, 3 * x**2 - 2, atol=1e-6)
    np.testing.assert_array_equal(x, before)  # exactly restored, bit for bit


def test_centred_difference_is_second_order():
    """Halving h divides the centred error by ~4; a one-sided difference would divide by ~2."""
    x = np.array([0.7])
    errors = [abs(numerical_gradient(lambda z: float(np.exp(z[0])), x, eps=h)[0] - np.exp(0.7)) for h in (1e-2, 5e-3)]
    assert 3.5 < errors[0] / errors[1] < 4.5


def test_numerical_gradient_refuses_integer_arrays():
    with pytest.raises(ValueError, match="float"):
        numerical_gradient(lambda z: float(np.sum(z)), np.arange(3))


def test_numerical_gradient_array_equals_scalar_version(rng):
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a = numerical_gradient_array(np.tanh, x, dout)
    b = numerical_gradient(lambda z: float(np.sum(np.tanh(z) * dout)), x, eps=1e-5)
    np.testing.assert_allclose(a, b, rtol=1e-6)


@given(arrays(np.float64, 5, elements=st.floats(-1e3, 1e3)), arrays(np.float64, 5, elements=st.floats(-1e3, 1e3)))
def test_rel_error_properties(a, b):
    e = rel_error(a, b)
    assert e == rel_error(b, a) and 0 <= e <= 1
    assert rel_error(a, a) == 0


def test_rel_error_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(3), np.zeros((3, 1)))


class _BadDense(Dense):
    """dW missing the batch sum's transpose order; forward is right, backward is wrong."""

    def backward(self, dout):
        self.W.grad += 2 * self._x.T @ dout
        self.b.grad += dout.sum(axis=0)
        return dout @ self.W.value.T


def test_check_layer_catches_a_wrong_backward(rng):
    errors = check_layer(_BadDense(4, 3, rng=0), rng.standard_normal((5, 4)))
    assert errors["W"] > 0.1 and errors["b"] < 1e-7 and errors["x"] < 1e-7


def test_check_layer_leaves_gradients_as_they_were(rng):
    layer = Dense(4, 3, rng=0)
    layer.W.grad += 1.5
    check_layer(layer, rng.standard_normal((5, 4)))
    assert np.all(layer.W.grad == 1.5) and np.all(layer.b.grad == 0)
