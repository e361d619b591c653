import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bplib import losses as L
from bplib.activations import sigmoid, softmax
from bplib.gradcheck import numerical_gradient, rel_error

N, C = 7, 4  # every dimension different


def _grad_error(loss, grad, pred, target):
    numeric = numerical_gradient(lambda z: loss(z, target), pred.copy())
    return rel_error(grad(pred, target), numeric)


def test_mse_value_and_gradient(rng):
    pred, target = rng.standard_normal((N, 3)), rng.standard_normal((N, 3))
    assert L.mse(pred, target) == pytest.approx(np.mean((pred - target) ** 2))
    assert _grad_error(L.mse, L.mse_grad, pred, target) < 1e-7


def test_mse_refuses_silent_broadcasting():
    with pytest.raises(ValueError, match=r"\(5,\).*\(5, 1\)"):
        L.mse(np.zeros(5), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="same shape"):
        L.mse_grad(np.zeros((5, 1)), np.zeros(5))


@pytest.mark.parametrize("loss", [L.mse, L.binary_cross_entropy, L.binary_cross_entropy_with_logits])
def test_nan_input_is_refused(loss):
    with pytest.raises(ValueError, match="NaN"):
        loss(np.array([0.5, np.nan]), np.array([0.0, 1.0]))


def test_nan_logits_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        L.softmax_cross_entropy(np.array([[0.0, np.nan]]), np.array([1]))


def test_bce_value_and_gradient(rng):
    p = rng.uniform(0.05, 0.95, size=(N, 1))
    t = rng.integers(0, 2, size=(N, 1)).astype(float)
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert L.binary_cross_entropy(p, t) == pytest.approx(expected, rel=1e-12)
    assert _grad_error(L.binary_cross_entropy, L.binary_cross_entropy_grad, p, t) < 1e-7


def test_bce_clamps_log_like_pytorch():
    # torch.nn.functional.binary_cross_entropy(tensor([0., 1.]), tensor([1., 0.])) == 100
    assert L.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0])) == pytest.approx(100.0)
    assert np.all(np.isfinite(L.binary_cross_entropy_grad(np.array([0.0, 1.0]), np.array([1.0, 0.0]))))


def test_bce_refuses_probabilities_outside_unit_interval():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        L.binary_cross_entropy(np.array([1.5]), np.array([1.0]))


def test_bce_with_logits_agrees_with_bce_on_probabilities(rng):
    z = rng.standard_normal((N, 1)) * 3
    t = rng.uniform(size=(N, 1))
    assert L.binary_cross_entropy_with_logits(z, t) == pytest.approx(L.binary_cross_entropy(sigmoid(z), t), rel=1e-10)
    assert _grad_error(L.binary_cross_entropy_with_logits, L.binary_cross_entropy_with_logits_grad, z, t) < 1e-7


@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e4, 1e4)), st.integers(0, 1))
def test_bce_with_logits_stable_and_non_negative(z, label):
    t = np.full_like(z, float(label))
    loss = L.binary_cross_entropy_with_logits(z, t)
    grad = L.binary_cross_entropy_with_logits_grad(z, t)
    assert np.isfinite(loss) and loss >= 0
    assert np.all(np.isfinite(grad)) and np.all(np.abs(grad) <= 1.0 / z.size + 1e-15)


def test_softmax_cross_entropy_index_and_one_hot_labels_agree(rng):
    logits = rng.standard_normal((N, C))
    labels = rng.integers(0, C, size=N)
    one_hot = np.eye(C)[labels]
    expected = -np.mean(np.log(softmax(logits)[np.arange(N), labels]))
    assert L.softmax_cross_entropy(logits, labels) == pytest.approx(expected, rel=1e-12)
    assert L.softmax_cross_entropy(logits, one_hot) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(L.softmax_cross_entropy_grad(logits, labels), (softmax(logits) - one_hot) / N)


@pytest.mark.parametrize("soft", [False, True])
def test_softmax_cross_entropy_gradient(rng, soft):
    logits = rng.standard_normal((N, C))
    labels = softmax(rng.standard_normal((N, C))) if soft else rng.integers(0, C, size=N)
    assert _grad_error(L.softmax_cross_entropy, L.softmax_cross_entropy_grad, logits, labels) < 1e-7


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 6)), elements=st.floats(-1e4, 1e4)), st.data())
def test_softmax_cross_entropy_stable(logits, data):
    labels = np.array(data.draw(st.lists(st.integers(0, logits.shape[1] - 1), min_size=logits.shape[0],
                                         max_size=logits.shape[0])))
    loss = L.softmax_cross_entropy(logits, labels)
    grad = L.softmax_cross_entropy_grad(logits, labels)
    assert np.isfinite(loss) and loss >= 0
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-12)  # softmax minus one-hot sums to 0


@pytest.mark.parametrize("labels, match", [
    (np.array([0, 4, 1]), r"\[0, 3\]"),
    (np.array([0, -1, 1]), r"\[0, 3\]"),
    (np.array([0.0, 1.0, 2.0]), "integer"),
    (np.array([0, 1]), r"\(N,\) = \(3,\)"),
    (np.zeros((3, 5)), r"\(N, C\) = \(3, 4\)"),
])
def test_softmax_cross_entropy_bad_labels(labels, match):
    with pytest.raises(ValueError, match=match):
        L.softmax_cross_entropy(np.zeros((3, 4)), labels)


def test_softmax_cross_entropy_needs_2d_logits():
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        L.softmax_cross_entropy(np.zeros(4), np.array([1]))


def test_float32_is_kept():
    z = np.ones((3, 2), dtype=np.float32)
    assert L.softmax_cross_entropy_grad(z, np.array([0, 1, 1])).dtype == np.float32
    assert L.mse_grad(z, np.zeros((3, 2), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("cls, pred, target", [
    (L.MSELoss, np.arange(6.0).reshape(3, 2), np.ones((3, 2))),
    (L.BCEWithLogitsLoss, np.array([[-2.0], [0.5], [3.0]]), np.array([[0.0], [1.0], [1.0]])),
    (L.SoftmaxCrossEntropy, np.arange(6.0).reshape(3, 2), np.array([1, 0, 1])),
])
def test_loss_objects_wrap_the_functions(cls, pred, target):
    functions = {
        L.MSELoss: (L.mse, L.mse_grad),
        L.BCEWithLogitsLoss: (L.binary_cross_entropy_with_logits, L.binary_cross_entropy_with_logits_grad),
        L.SoftmaxCrossEntropy: (L.softmax_cross_entropy, L.softmax_cross_entropy_grad),
    }[cls]
    loss_fn = cls()
    with pytest.raises(RuntimeError, match="before"):
        loss_fn.backward()
    value = loss_fn(pred, target)
    assert isinstance(value, float) and value == functions[0](pred, target)
    np.testing.assert_array_equal(loss_fn.backward(), functions[1](pred, target))
