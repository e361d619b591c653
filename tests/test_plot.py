"""Tests for bplib.plot: every helper runs on small inputs, and what it shows is what it claims."""
import matplotlib

matplotlib.use("Agg")

import subprocess
import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

from bplib import metrics
from bplib import plot as P
from bplib.autograd import Value, topological_order


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_import_bplib_does_not_import_matplotlib():
    code = "import sys, bplib; assert 'matplotlib' not in sys.modules, 'import bplib loaded matplotlib'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- computational graphs


def _example_graph():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = (d * f).tanh() + d / 100  # d is used twice
    L.label = "L"
    L.backward()
    values = [a, b, c, e, d, f, L]
    return L, values


def _box_texts(ax: Axes) -> list[str]:
    """The texts of the Value boxes, in drawing order (operation circles hold no "data")."""
    return [t.get_text() for t in ax.texts if "data " in t.get_text()]


def test_plot_graph_one_label_per_value():
    L, named = _example_graph()
    ax = P.plot_graph(L)
    assert isinstance(ax, Axes)
    value_texts = _box_texts(ax)
    # 7 named values, plus d*f, its tanh and the constant 100 and d/100.
    assert len(value_texts) == 11
    a = named[0]
    assert f"a | data 2.000 | grad {a.grad:.3f}" in value_texts
    for v in named:
        assert sum(t.startswith(v.label + " |") for t in value_texts) == 1


def test_plot_graph_draws_the_values_in_the_engines_topological_order():
    L, _ = _example_graph()
    expected = [" | ".join(([v.label] if v.label else []) + [f"data {v.data + 0.0:.3f}", f"grad {v.grad + 0.0:.3f}"])
                for v in topological_order(L)]
    assert _box_texts(P.plot_graph(L)) == expected


def _diamond_graph():
    x = Value(0.5, label="x")
    u = x.exp()
    y = u.sigmoid() * u.tanh()  # two branches that start on the same row
    y.backward()
    return y, 5 + 4


def _reuse_graph():
    a = Value(3.0, label="a")
    z = (a * a + a).sigmoid() / (2 - a)  # a skips columns; a constant leaf
    z.backward()
    return z, 7 + 5


@pytest.mark.parametrize("make", [lambda: (_example_graph()[0], 11 + 6), _diamond_graph, _reuse_graph])
def test_plot_graph_boxes_do_not_overlap(make):
    out, n_boxes = make()
    fig = P.plot_graph(out).figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    patches = [t.get_bbox_patch().get_window_extent(renderer) for t in fig.axes[0].texts if t.get_text()]
    assert len(patches) == n_boxes  # value boxes + operation circles
    for i, p in enumerate(patches):
        for q in patches[i + 1:]:
            assert not p.overlaps(q), (p, q)


def test_plot_graph_uses_given_axes_and_handles_a_single_leaf():
    _, ax = plt.subplots()
    assert P.plot_graph(Value(1.0, label="x"), ax=ax) is ax
    assert [t.get_text() for t in ax.texts] == ["x | data 1.000 | grad 0.000"]


# ----------------------------------------------------------------------------- plot_history


def test_plot_history_loss_only_has_one_panel_with_the_curves():
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.2, 0.7, 0.6]}
    fig = P.plot_history(history)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["train"].get_xdata(), [1, 2, 3])  # epochs count from 1
    np.testing.assert_array_equal(lines["train"].get_ydata(), history["loss"])
    np.testing.assert_array_equal(lines["validation"].get_ydata(), history["val_loss"])
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


def test_plot_history_with_accuracy_adds_a_second_panel():
    history = {"loss": [1.0, 0.5], "accuracy": [0.6, 0.8], "val_accuracy": [0.55, 0.7]}
    fig = P.plot_history(history)
    assert len(fig.axes) == 2
    acc_ax = fig.axes[1]
    assert acc_ax.get_ylabel() == "accuracy"
    assert sorted(line.get_label() for line in acc_ax.get_lines()) == ["train", "validation"]


def test_plot_history_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert P.plot_history({"loss": [1.0], "accuracy": [0.5]}, ax=axes) is fig
    assert P.plot_history({"loss": [1.0]}, ax=axes[0]) is fig
    with pytest.raises(ValueError, match="two Axes"):
        P.plot_history({"loss": [1.0], "accuracy": [0.5]}, ax=axes[0])


# ----------------------------------------------------------------------------- decision boundary

X_SMALL = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])
Y_SMALL = np.array([0, 1, 0, 1])  # class 1 where x1 > 0


@pytest.mark.parametrize(
    "predict",
    [
        lambda Z: (Z[:, 0] > 0).astype(int),  # integer labels (M,)
        lambda Z: Z[:, 0] > 0,  # bool labels (M,)
        lambda Z: 5 * Z[:, 0],  # logits of class 1, (M,)
        lambda Z: 5 * Z[:, :1],  # logits of class 1, (M, 1)
        lambda Z: sigmoid(5 * Z[:, 0]) > 0.5,  # probabilities of class 1, thresholded into labels
        lambda Z: np.column_stack([-Z[:, 0], Z[:, 0]]),  # scores (M, 2)
        lambda Z: np.column_stack([sigmoid(-Z[:, 0]), sigmoid(Z[:, 0])]),  # probabilities (M, 2)
    ],
    ids=["int-labels", "bool-labels", "logit-M", "logit-M1", "thresholded-prob", "scores-MC", "probs-MC"],
)
def test_decision_grid_reads_every_kind_of_predict_output(predict):
    xx, yy, zz = P.decision_grid(predict, X_SMALL, resolution=21, padding=0.5)
    assert xx.shape == yy.shape == zz.shape == (21, 21)
    assert zz.dtype == np.int64
    off_boundary = np.abs(xx) > 1e-9
    np.testing.assert_array_equal(zz[off_boundary], (xx[off_boundary] > 0).astype(int))


def test_decision_grid_covers_the_padded_data_and_matches_predict():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    W = rng.normal(size=(2, 3))
    predict = lambda Z: Z @ W  # noqa: E731 - scores (M, 3)
    xx, yy, zz = P.decision_grid(predict, X, resolution=15, padding=0.25)
    assert xx.min() == pytest.approx(X[:, 0].min() - 0.25) and xx.max() == pytest.approx(X[:, 0].max() + 0.25)
    assert yy.min() == pytest.approx(X[:, 1].min() - 0.25) and yy.max() == pytest.approx(X[:, 1].max() + 0.25)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    np.testing.assert_array_equal(zz.ravel(), (grid @ W).argmax(axis=1))


def test_plot_decision_boundary_colours_regions_by_predicted_class():
    # three vertical stripes: class 0 for x1 < -0.5, class 1 in between, class 2 for x1 > 0.5
    predict = lambda Z: np.digitize(Z[:, 0], [-0.5, 0.5])  # noqa: E731
    X = np.array([[-1.5, 0.0], [0.0, 0.5], [1.5, -0.5]])
    y = np.array([0, 1, 2])
    ax = P.plot_decision_boundary(predict, X, y, resolution=50)
    assert isinstance(ax, Axes)

    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled][0]
    np.testing.assert_allclose(filled.levels, [-0.5, 0.5, 1.5, 2.5])  # one band per class
    # every test point well inside a stripe lies in the band of its predicted class, and no other
    xx, yy, zz = P.decision_grid(predict, X, resolution=50, padding=0.5)
    xx, yy, zz = xx[1:-1, 1:-1], yy[1:-1, 1:-1], zz[1:-1, 1:-1]  # the plot's outer edge is ambiguous
    away = np.abs(np.abs(xx) - 0.5) > 0.1
    points = np.column_stack([xx[away], yy[away]])
    for k, band in enumerate(filled.get_paths()):
        inside = band.contains_points(points)
        np.testing.assert_array_equal(inside, zz[away] == k)

    # the data points are coloured with the same colour as their class's region
    ax.figure.canvas.draw()  # scatter maps its values to colours at draw time
    scatter = [c for c in ax.collections if not isinstance(c, ContourSet)][0]
    expected = [to_rgba(f"C{k}") for k in y]
    np.testing.assert_allclose(scatter.get_facecolors(), expected)
    np.testing.assert_allclose(filled.cmap(filled.norm(filled.levels[:-1] + 0.5)), [to_rgba(f"C{k}") for k in range(3)])


def test_decision_grid_reads_float_binary_output_as_logits_never_as_probabilities():
    # A probability is > 0 everywhere, so read as a logit it is class 1 everywhere: the plot shows
    # the mistake instead of guessing from the values that these were probabilities.
    _, _, zz = P.decision_grid(lambda Z: sigmoid(5 * Z[:, 0]), X_SMALL, resolution=11)
    assert np.all(zz == 1)


def test_plot_decision_boundary_into_an_existing_axes():
    _, ax = plt.subplots()
    out = P.plot_decision_boundary(lambda Z: Z[:, 0], X_SMALL, Y_SMALL, ax=ax, resolution=20)
    assert out is ax


# ----------------------------------------------------------------------------- activations


def test_plot_activations_draws_functions_solid_and_derivatives_dashed():
    funcs = {"tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2), "sigmoid": sigmoid}
    ax = P.plot_activations(funcs)
    assert isinstance(ax, Axes)
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert set(lines) == {"tanh", "tanh'", "sigmoid"}
    x = np.linspace(-5, 5, 401)
    np.testing.assert_allclose(lines["tanh"].get_ydata(), np.tanh(x))
    np.testing.assert_allclose(lines["tanh'"].get_ydata(), 1 - np.tanh(x) ** 2)
    assert lines["tanh'"].get_linestyle() == "--" and lines["tanh"].get_linestyle() == "-"
    assert lines["tanh'"].get_color() == lines["tanh"].get_color()


def test_plot_activations_uses_the_given_x():
    ax = P.plot_activations({"relu": lambda x: np.maximum(x, 0)}, x=np.array([-1.0, 0.0, 2.0]))
    relu = [line for line in ax.get_lines() if line.get_label() == "relu"][0]
    np.testing.assert_array_equal(relu.get_ydata(), [0.0, 0.0, 2.0])


# ----------------------------------------------------------------------------- trajectories


def bowl(w1, w2):
    return w1**2 + 4 * w2**2


def test_plot_trajectories_draws_surface_and_paths():
    path = np.array([[-2.0, 1.0], [-1.0, 0.2], [-0.5, 0.05], [-0.2, 0.0]])
    ax = P.plot_trajectories(bowl, {"gd": path}, xlim=(-3, 3), ylim=(-2, 2), levels=10)
    assert isinstance(ax, Axes)
    assert ax.get_xlim() == (-3, 3) and ax.get_ylim() == (-2, 2)
    assert any(isinstance(c, ContourSet) for c in ax.collections)
    gd = [line for line in ax.get_lines() if line.get_label() == "gd"][0]
    np.testing.assert_array_equal(gd.get_xydata(), path)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["gd", "start", "end"]


def test_plot_trajectories_survives_diverging_runs_without_warnings():
    diverging = np.array([[1.0, 1.0], [-3.0, 2.5], [40.0, -30.0], [1e300, -1e300], [np.inf, np.nan], [np.nan, np.nan]])
    starts_nan = np.array([[np.nan, 0.0], [1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = P.plot_trajectories(
            bowl, {"lr=0.1": np.array([[1.0, 1.0], [0.5, 0.2]]), "lr=10": diverging, "broken": starts_nan},
            xlim=(-2, 2), ylim=(-2, 2),
        )
        ax.figure.canvas.draw()  # rendering must work too
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert "lr=10 (diverged)" in lines
    drawn = lines["lr=10 (diverged)"].get_xydata()
    assert len(drawn) == 4  # cut at the first inf/nan
    assert np.all(np.isfinite(drawn)) and np.all(np.abs(drawn) <= 6)  # clipped near the view
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-2, 2)


def test_plot_trajectories_handles_non_finite_and_negative_surfaces():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(divide="ignore"):  # the test surface itself is log(0) = -inf at one line
            ax = P.plot_trajectories(lambda a, b: np.log(np.abs(a)) + b, {}, xlim=(-1, 1), ylim=(-1, 1), levels=8)
        ax.figure.canvas.draw()
    assert "log-spaced" not in ax.get_title()  # negative loss: even spacing


# ----------------------------------------------------------------------------- gradient norms


def test_plot_gradient_norms_floats_give_one_bar_per_layer():
    norms = {"dense1": 1e-5, "dense2": 1e-2, "output": 0.5}
    ax = P.plot_gradient_norms(norms)
    assert isinstance(ax, Axes)
    np.testing.assert_allclose([bar.get_height() for bar in ax.patches], list(norms.values()))
    assert ax.get_yscale() == "log"  # spans more than a factor 100
    assert P.plot_gradient_norms({"a": 1.0, "b": 2.0}).get_yscale() == "linear"


def test_plot_gradient_norms_sequences_give_log_scale_lines():
    norms = {"layer1": [1.0, 0.5, 0.25], "layer2": [1e-3, 1e-3, 2e-3]}
    ax = P.plot_gradient_norms(norms)
    assert ax.get_yscale() == "log"
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["layer1"].get_ydata(), norms["layer1"])
    assert ax.get_xlabel() == "step"


def test_plot_gradient_norms_refuses_a_mix():
    with pytest.raises(ValueError):
        P.plot_gradient_norms({"a": 1.0, "b": [1.0, 2.0]})


# ----------------------------------------------------------------------------- digits


@pytest.mark.parametrize("shape", [(7, 64), (7, 8, 8), (7, 28, 28), (7, 784)])
def test_plot_digits_makes_one_image_axes_per_image(shape):
    images = np.random.default_rng(0).random(shape)
    fig = P.plot_digits(images, ncols=3)
    assert isinstance(fig, Figure)
    image_axes = [ax for ax in fig.axes if ax.images]
    assert len(image_axes) == 7
    side = 8 if shape[1] in (8, 64) else 28
    assert image_axes[0].images[0].get_array().shape == (side, side)


def test_plot_digits_titles_errors_in_red():
    images = np.zeros((5, 64))
    labels = np.array([0, 1, 2, 3, 4])
    predictions = np.array([0, 7, 2, 3, 9])
    fig = P.plot_digits(images, labels, predictions)
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == [f"true {label}\npred {p}" for label, p in zip(labels, predictions)]
    red = [to_rgba(t.get_color()) == to_rgba("red") for t in titles]
    assert red == list(labels != predictions)


def test_plot_digits_into_given_axes_hides_the_spare_ones():
    fig, axes = plt.subplots(2, 3)
    assert P.plot_digits(np.zeros((4, 8, 8)), labels=[1, 2, 3, 4], ax=axes) is fig
    assert sum(bool(ax.images) for ax in axes.ravel()) == 4
    assert not axes[1, 2].axison
    with pytest.raises(ValueError):
        P.plot_digits(np.zeros((7, 64)), ax=axes)


# ----------------------------------------------------------------------------- confusion matrix


def test_plot_confusion_matrix_annotates_counts():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 2]
    ax = P.plot_confusion_matrix(y_true, y_pred)
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    cm = metrics.confusion_matrix(y_true, y_pred)
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert texts == {(i, j): str(cm[i, j]) for i in range(3) for j in range(3)}  # (row=true, col=predicted)
    np.testing.assert_array_equal(ax.images[0].get_array(), cm)


def test_plot_confusion_matrix_normalize_makes_rows_sum_to_one():
    ax = P.plot_confusion_matrix([0, 0, 0, 1, 2, 2], [0, 1, 1, 1, 2, 0], num_classes=4, normalize=True)
    shown = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(shown[:3].sum(axis=1), 1.0)
    np.testing.assert_array_equal(shown[3], 0.0)  # class 3 has no samples: a row of zeros, no warning
    np.testing.assert_allclose(shown[0], [1 / 3, 2 / 3, 0, 0])
