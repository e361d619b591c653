"""Tests for bplib.metrics: the two rules that read classes, and that every caller uses the same rule."""
import doctest
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bplib import metrics, network
from bplib import plot as P


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_docstring_examples_run():
    result = doctest.testmod(metrics)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------------------- predicted_classes


@pytest.mark.parametrize(
    "scores, expected",
    [
        (np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5]]), [1, 0]),  # scores (N, C): argmax
        (np.array([[0.2, 0.8], [0.7, 0.3]]), [1, 0]),  # probabilities (N, C): argmax as well
        (np.array([-1.5, 0.3, 0.0, -0.0]), [0, 1, 0, 0]),  # float (N,): logits, class 1 where > 0
        (np.array([[2.0], [-2.0]]), [1, 0]),  # float (N, 1): logits
        (np.array([2, 0, 1]), [2, 0, 1]),  # integer (N,): labels, however many classes
        (np.array([[1], [0]]), [1, 0]),  # integer (N, 1): labels
        (np.array([True, False]), [1, 0]),  # bool (N,): labels
        (np.zeros((0, 3)), []),  # no samples
    ],
    ids=["scores", "probabilities-NC", "logits", "logits-N1", "labels", "labels-N1", "bool", "empty"],
)
def test_predicted_classes_reads_shape_and_dtype(scores, expected):
    got = metrics.predicted_classes(scores)
    assert got.dtype == np.int64 and got.shape == (len(scores),)
    np.testing.assert_array_equal(got, expected)


def test_predicted_classes_never_guesses_probabilities_from_the_values():
    # [0.2, 0.9] look like probabilities, but float (N,) outputs are logits: both are > 0.
    np.testing.assert_array_equal(metrics.predicted_classes([0.2, 0.9]), [1, 1])
    np.testing.assert_array_equal(metrics.predicted_classes(np.array([0.2, 0.9]) > 0.5), [0, 1])


@pytest.mark.parametrize("scores", [np.zeros((2, 2, 2)), np.float64(1.0), np.array(["a", "b"])],
                         ids=["3-D", "scalar", "strings"])
def test_predicted_classes_refuses_other_shapes_and_dtypes(scores):
    with pytest.raises(ValueError, match="scores"):
        metrics.predicted_classes(scores)


# ----------------------------------------------------------------------------- true_classes


@pytest.mark.parametrize(
    "y, expected",
    [
        (np.array([0, 2, 1]), [0, 2, 1]),
        (np.array([0.0, 1.0, 1.0]), [0, 1, 1]),  # whole-number floats, as BCE targets are
        (np.array([[1.0], [0.0]]), [1, 0]),  # (N, 1)
        (np.eye(3)[[2, 0]], [2, 0]),  # one-hot rows
    ],
    ids=["labels", "whole-floats", "column", "one-hot"],
)
def test_true_classes(y, expected):
    got = metrics.true_classes(y)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


def test_true_classes_refuses_probabilities_and_other_shapes():
    with pytest.raises(ValueError, match="integer class labels"):
        metrics.true_classes([0.2, 0.9])
    with pytest.raises(ValueError, match="shape"):
        metrics.true_classes(np.zeros((2, 2, 2)))


# ----------------------------------------------------------------------------- accuracy


def test_accuracy_reads_scores_logits_and_labels():
    y = np.array([0, 1, 1])
    assert metrics.accuracy(np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), y) == pytest.approx(2 / 3)
    assert metrics.accuracy(np.array([[-1.0], [2.0], [0.5]]), y.reshape(-1, 1).astype(float)) == 1.0
    assert metrics.accuracy(np.array([0, 1, 0]), y) == pytest.approx(2 / 3)  # labels, not logits
    assert metrics.accuracy(np.array([2, 1, 1]), np.eye(3)[[2, 1, 0]]) == pytest.approx(2 / 3)  # one-hot y


def test_accuracy_refuses_a_different_number_of_samples():
    with pytest.raises(ValueError, match="same number of samples"):
        metrics.accuracy(np.zeros((3, 2)), np.array([0, 1]))


def test_network_measures_with_the_same_accuracy():
    assert network.accuracy is metrics.accuracy


# ----------------------------------------------------------------------------- confusion_matrix


def test_confusion_matrix_hand_example():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 2]
    cm = metrics.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    assert cm.dtype == np.int64
    assert np.trace(cm) / cm.sum() == pytest.approx(4 / 6)


def test_confusion_matrix_num_classes_scores_logits_and_bad_labels():
    cm = metrics.confusion_matrix([0, 1], [1, 1], num_classes=4)
    assert cm.shape == (4, 4) and cm.sum() == 2 and cm[0, 1] == 1 and cm[1, 1] == 1
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])  # argmax -> 0, 1, 0
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 1, 1], scores), [[1, 0], [1, 1]])
    logits = np.array([-0.5, 0.5, -2.0])  # float (N,): logits -> 0, 1, 0, as accuracy reads them
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 1, 1], logits), [[1, 0], [1, 1]])
    with pytest.raises(ValueError):
        metrics.confusion_matrix([0, 3], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match="y_true"):
        metrics.confusion_matrix([0.2, 0.9], [0, 1])  # true labels that are probabilities
    with pytest.raises(ValueError, match="same number of samples"):
        metrics.confusion_matrix([0, 1], [0, 1, 1])


def test_confusion_matrix_lives_only_in_metrics():
    assert not hasattr(P, "confusion_matrix")


# ----------------------------------------------------------------------------- one rule everywhere

finite = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False)
# Logits of either sign, often between 0 and 1, where reading them as probabilities (> 0.5) would differ.
logits = st.sampled_from([-0.7, -0.0, 0.0, 0.2, 0.5, 0.8, 1.0]) | finite


@st.composite
def outputs_and_labels(draw):
    """Model outputs of every kind predicted_classes reads, with true labels for them.

    N is a square (1, 4 or 9), so that decision_grid at resolution sqrt(N) asks for N outputs.
    Returns (outputs, y (N,) of int, number of classes C).
    """
    side = draw(st.integers(1, 3))
    n = side * side
    kind = draw(st.sampled_from(["scores", "logits", "logit column", "labels", "label column", "bool"]))
    if kind == "scores":
        c = draw(st.integers(2, 4))
        out = draw(arrays(np.float64, (n, c), elements=finite))
    elif kind in ("logits", "logit column"):
        c = 2
        out = draw(arrays(np.float64, (n,) if kind == "logits" else (n, 1), elements=logits))
    elif kind == "bool":
        c = 2
        out = draw(arrays(np.bool_, (n,)))
    else:
        c = draw(st.integers(1, 4))
        out = draw(arrays(np.int64, (n,) if kind == "labels" else (n, 1), elements=st.integers(0, c - 1)))
    y = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return out, y, c


# Logits between 0 and 1 are class 1, where a rule for probabilities (> 0.5) would say 0 for 0.2 and 0.5.
LOGITS_LIKE_PROBABILITIES = (np.array([0.2, 0.5, 0.9, -0.3]), np.array([1, 1, 0, 0]), 2)


@settings(max_examples=60, deadline=None)
@given(outputs_and_labels())
@example(LOGITS_LIKE_PROBABILITIES)
def test_accuracy_confusion_matrix_and_the_decision_boundary_read_outputs_alike(case):
    out, y, c = case
    predicted = metrics.predicted_classes(out)

    assert metrics.accuracy(out, y) == np.mean(predicted == y)
    cm = metrics.confusion_matrix(y, out, num_classes=c)
    np.testing.assert_array_equal(cm.sum(axis=0), np.bincount(predicted, minlength=c))  # columns: predictions
    assert np.trace(cm) / cm.sum() == metrics.accuracy(out, y)

    # The decision boundary's background: a predict that returns these outputs for the grid's points.
    side = math.isqrt(len(out))
    _, _, zz = P.decision_grid(lambda grid: out, np.array([[0.0, 0.0], [1.0, 1.0]]), resolution=side)
    np.testing.assert_array_equal(zz.ravel(), predicted)


@settings(max_examples=15, deadline=None)  # fewer: every example draws two figures
@given(outputs_and_labels())
@example(LOGITS_LIKE_PROBABILITIES)
def test_the_confusion_matrix_and_digit_figures_read_outputs_as_accuracy_does(case):
    out, y, c = case
    predicted = metrics.predicted_classes(out)
    try:
        shown = P.plot_confusion_matrix(y, out, num_classes=c).images[0].get_array()
        np.testing.assert_array_equal(shown, metrics.confusion_matrix(y, out, num_classes=c))

        fig = P.plot_digits(np.zeros((len(out), 4)), labels=y, predictions=out)
        assert [ax.get_title() for ax in fig.axes] == [f"true {t}\npred {p}" for t, p in zip(y, predicted)]
        assert [ax.title.get_color() == "red" for ax in fig.axes] == list(predicted != y)  # red: misclassified
    finally:
        plt.close("all")  # the autouse fixture closes figures once per test, not once per example
