"""Plotting helpers used by the course notebooks.

This is the only bplib module that imports matplotlib, so ``import bplib`` stays light.
Every function here

* takes an optional ``ax``: when it is None a new figure is created;
* returns the Axes it drew on (the Figure for multi-panel plots), so you can restyle it;
* never calls ``plt.show()``: Jupyter displays figures inline.

Figures of classifiers read classes with the rules of :mod:`bplib.metrics` (``predicted_classes`` for
a model's output, ``true_classes`` for labels), so that a figure shows what ``accuracy`` counts.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from . import metrics
from .autograd import Value, topological_order

__all__ = [
    "decision_grid",
    "plot_activations",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_digits",
    "plot_gradient_norms",
    "plot_graph",
    "plot_history",
    "plot_trajectories",
]

ArrayFn = Callable[[np.ndarray], np.ndarray]

_SURFACE_RESOLUTION = 200  # grid points per axis for plot_trajectories' loss surface


# ----------------------------------------------------------------------------- helpers


def _get_ax(ax: Axes | None, figsize: tuple[float, float] = (6, 4)) -> Axes:
    """Return ``ax``, or the Axes of a new figure when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _class_colors(n_classes: int) -> list[str]:
    """One colour per class from matplotlib's default cycle ("C0", "C1", ...)."""
    return [f"C{k % 10}" for k in range(n_classes)]


# ----------------------------------------------------------------------------- computational graphs

# plot_graph's look: operation symbols, and sizes in points or font sizes.
_GRAPH_OP_SYMBOLS = {"*": "×", "neg": "−", "sigmoid": "σ"}
_GRAPH_FONT_SIZE = 9
_GRAPH_CHAR_PT = 0.6 * _GRAPH_FONT_SIZE  # width of one monospace character, in points
_GRAPH_BOX_PAD = 0.4  # box padding around the text, in font sizes
_GRAPH_CIRCLE_PAD = 0.3  # operation circle padding around its symbol, in font sizes


def _graph_number(x: float) -> str:
    """A Value's data or grad as shown in its box: 3 decimals, or scientific notation when large."""
    x += 0.0  # turns -0.0 into 0.0: "grad -0.000" would puzzle a student
    return f"{x:.3f}" if abs(x) < 1e5 else f"{x:.3e}"


def _graph_box_text(node: Value) -> str:
    """The text of a Value's box: "label | data ... | grad ...", without the label if it has none."""
    parts = [node.label] if node.label else []
    parts += [f"data {_graph_number(node.data)}", f"grad {_graph_number(node.grad)}"]
    return " | ".join(parts)


def _graph_layout(order: list[Value]) -> tuple[dict, dict, dict]:
    """Place the drawing's items on a grid of (column, row).

    Items are ("value", v), ("op", v) for the circle of the operation producing v,
    and ("via", child, v, column) for the points where an arrow from child to v's
    operation crosses a column it skips, so that the arrow can be routed around
    the boxes of that column instead of through them.

    Parameters
    ----------
    order : list of Value
        The graph's nodes, each after its children (``bplib.autograd.topological_order``).

    Returns
    -------
    col : dict
        item -> column index.
    row : dict
        item -> row (a float; 0 is the top row).
    paths : dict
        (child, v) -> the items an arrow from child to v's operation passes through.
    """
    depth: dict[Value, int] = {}
    consumers: dict[Value, list[Value]] = {node: [] for node in order}
    for node in order:
        depth[node] = 1 + max(depth[c] for c in node._prev) if node._prev else 0
        for child in dict.fromkeys(node._prev):  # a*a uses a once as far as layout goes
            consumers[child].append(node)

    # A Value at depth d sits in column 2d and the operation producing it in 2d - 1;
    # a leaf sits just before its first user, to keep its arrows short.
    col: dict[tuple, int] = {}
    for node in order:
        if node._prev:
            col["value", node] = 2 * depth[node]
            col["op", node] = 2 * depth[node] - 1
        elif consumers[node]:
            col["value", node] = min(2 * depth[p] - 2 for p in consumers[node])
        else:
            col["value", node] = 0
    paths: dict[tuple[Value, Value], list[tuple]] = {}
    for node in order:
        for child in dict.fromkeys(node._prev):
            start, stop = col["value", child], col["op", node]
            paths[child, node] = [("value", child)]
            for c in range(start + 1, stop):
                col["via", child, node, c] = c
                paths[child, node].append(("via", child, node, c))

    # Rows, column by column: leaves take consecutive rows in depth-first order, an
    # operation sits at the mean row of its incoming arrows, a via point continues
    # its arrow horizontally. Then items that landed too close are pushed apart.
    # For a tree this is a drawing without crossings.
    leaf_rows = {node: i for i, node in enumerate(n for n in order if not n._prev)}
    columns: dict[int, list[tuple]] = {}
    for item, c in col.items():
        columns.setdefault(c, []).append(item)
    row: dict[tuple, float] = {}
    for c in sorted(columns):
        for item in columns[c]:
            kind, node = item[0], item[1]
            if kind == "value":
                row[item] = row["op", node] if node._prev else leaf_rows[node]
            elif kind == "op":
                ends = [paths[child, node][-1] for child in dict.fromkeys(node._prev)]
                row[item] = sum(row[e] for e in ends) / len(ends)
            else:
                path = paths[item[1], item[2]]
                row[item] = row[path[path.index(item) - 1]]
        # Boxes and circles claim a row before the arrows passing by.
        items = sorted(columns[c], key=lambda it: (row[it], it[0] == "via"))
        for above, below in zip(items, items[1:]):
            row[below] = max(row[below], row[above] + 1)
    return col, row, paths


def plot_graph(value: Value, ax: Axes | None = None) -> Axes:
    """Draw the computational graph below ``value`` with matplotlib.

    Values are boxes reading "label | data ... | grad ..."; the operation that
    produced a Value is a small circle just left of it. Arrows point from inputs to
    outputs. Columns go left to right by depth from the leaves; a leaf is drawn in
    the column just before the first operation that uses it, to keep arrows short.

    Parameters
    ----------
    value : bplib.autograd.Value
        The output node; everything it depends on is drawn, in the order of
        ``bplib.autograd.topological_order``.
    ax : matplotlib.axes.Axes, optional
        Where to draw. If None, a new figure sized to fit the graph is created; an
        axes you pass must be wide enough itself, or the boxes will overlap.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on, with one text per Value and one per operation.

    Examples
    --------
    >>> from bplib.autograd import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> loss = (a * b).tanh()
    >>> loss.backward()
    >>> ax = plot_graph(loss)  # doctest: +SKIP
    >>> ax.figure.savefig("graph.png", bbox_inches="tight")  # doctest: +SKIP
    """
    order = topological_order(value)
    col, row, paths = _graph_layout(order)

    texts = {node: _graph_box_text(node) for node in order}
    symbols = {node: _GRAPH_OP_SYMBOLS.get(node._op, node._op) for node in order if node._op}
    # x is measured in monospace characters, so that the figure can be sized to fit.
    widths = [3.0] * (max(col.values()) + 1)
    for item, c in col.items():
        if item[0] == "value":
            widths[c] = max(widths[c], len(texts[item[1]]) + 2 * _GRAPH_BOX_PAD + 1)
        elif item[0] == "op":
            widths[c] = max(widths[c], len(symbols[item[1]]) + 2)
    gap = 4.0
    starts = [sum(widths[:c]) + gap * c for c in range(len(widths))]
    x_of = {item: starts[c] + widths[c] / 2 for item, c in col.items()}
    total_width = starts[-1] + widths[-1]
    n_rows = max(row.values()) + 1

    if ax is None:
        fig = plt.figure(figsize=(max(total_width * _GRAPH_CHAR_PT / 72, 2.0), 0.45 * n_rows + 0.2))
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))  # all of it, so characters fit the x units

    style = dict(ha="center", va="center", family="monospace", fontsize=_GRAPH_FONT_SIZE, zorder=3)
    boxes = {}
    for node in order:
        key = ("value", node)
        boxes[key] = ax.text(x_of[key], row[key], texts[node], **style,
                             bbox=dict(boxstyle=f"round,pad={_GRAPH_BOX_PAD}", fc="#e8f0fe",
                                       ec="#3a63a8"))
        if node._op:
            key = ("op", node)
            boxes[key] = ax.text(x_of[key], row[key], symbols[node], **style,
                                 bbox=dict(boxstyle=f"circle,pad={_GRAPH_CIRCLE_PAD}",
                                           fc="#fff4cc", ec="#b08800"))

    # Every arrow starts at the centre of its source and is drawn *under* the boxes,
    # which are opaque, so it seems to leave from the box's edge whatever its angle.
    line = dict(color="0.35", lw=1.0, zorder=1)

    def arrow(xy_from: tuple[float, float], to: Text, xy_to: tuple[float, float], shrink: float,
              rad: float = 0.0) -> None:
        """An arrow from xy_from, in data coordinates, to xy_to, in fractions of the box `to`."""
        ax.annotate("", xy=xy_to, xycoords=to, xytext=xy_from, textcoords="data",
                    arrowprops=dict(arrowstyle="-|>", shrinkA=0, shrinkB=shrink,
                                    connectionstyle=f"arc3,rad={rad}",
                                    color=line["color"], lw=line["lw"]),
                    zorder=line["zorder"])

    for node in order:
        if not node._op:
            continue
        op = ("op", node)
        # Aim at the circle's centre and stop at its rim (radius in points).
        radius = (max(len(symbols[node]) * _GRAPH_CHAR_PT, 1.2 * _GRAPH_FONT_SIZE) / 2
                  + _GRAPH_CIRCLE_PAD * _GRAPH_FONT_SIZE)
        for child in dict.fromkeys(node._prev):
            points = paths[child, node]
            if len(points) > 1:
                ax.plot([x_of[p] for p in points], [row[p] for p in points], **line)
            start = (x_of[points[-1]], row[points[-1]])
            uses = node._prev.count(child)
            # Bend repeated uses (a*a) apart so that each gets its own arrow.
            for k in range(uses):
                rad = 0.0 if uses == 1 else 0.3 * (k - (uses - 1) / 2)
                arrow(start, boxes[op], (0.5, 0.5), radius + 1.0, rad)
        arrow((x_of[op], row[op]), boxes["value", node], (0.0, 0.5),
              _GRAPH_BOX_PAD * _GRAPH_FONT_SIZE + 1.0)

    ax.set_xlim(-1.0, total_width + 1.0)
    ax.set_ylim(n_rows - 0.5, -0.5)  # first leaf on top
    ax.axis("off")
    return ax


# ----------------------------------------------------------------------------- training


def plot_history(history: Mapping[str, Sequence[float]], ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Plot training curves: loss on the left, accuracy on a second panel when present.

    Parameters
    ----------
    history : dict
        ``"loss"``: list of floats, one per epoch (required). Optional: ``"val_loss"``,
        ``"accuracy"``, ``"val_accuracy"``, each a list of floats, one per epoch.
        Training curves are solid, validation curves dashed.
    ax : Axes or pair of Axes, optional
        Where to draw. Give two Axes (e.g. ``plt.subplots(1, 2)[1]``) when ``history`` holds
        accuracy. If None, a new figure with one or two panels is created.

    Returns
    -------
    Figure
        The figure holding the panels. The y axes are linear; for a log loss axis use
        ``fig.axes[0].set_yscale("log")``.
    """
    has_accuracy = "accuracy" in history or "val_accuracy" in history
    n_panels = 2 if has_accuracy else 1
    if ax is None:
        fig, axes = plt.subplots(1, n_panels, figsize=(5 * n_panels, 3.8), layout="constrained", squeeze=False)
        axes = list(axes[0])
    else:
        axes = [ax] if isinstance(ax, Axes) else list(np.ravel(ax))
        if len(axes) < n_panels:
            raise ValueError("history has accuracy curves: pass two Axes, e.g. ax=plt.subplots(1, 2)[1]")
        fig = axes[0].figure

    panels = [("loss", "Loss")] + ([("accuracy", "Accuracy")] if has_accuracy else [])
    for panel_ax, (key, title) in zip(axes, panels):
        for name, label, style, color in ((key, "train", "-", "C0"), (f"val_{key}", "validation", "--", "C1")):
            if name in history:
                values = np.asarray(history[name], dtype=float)
                epochs = np.arange(1, len(values) + 1)
                marker = "o" if len(values) <= 30 else None  # dots help only on short runs
                panel_ax.plot(epochs, values, style, color=color, marker=marker, markersize=3, label=label)
        panel_ax.set_title(title)
        panel_ax.set_xlabel("epoch")
        panel_ax.set_ylabel(key)
        panel_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        panel_ax.grid(alpha=0.3)
        panel_ax.legend()
    return fig


# ----------------------------------------------------------------------------- classifiers


def decision_grid(
    predict: ArrayFn, X: np.ndarray, resolution: int = 200, padding: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate a classifier on a regular grid covering the data.

    Parameters
    ----------
    predict : callable
        Maps points (M, 2) to labels or scores, read by ``bplib.metrics.predicted_classes``;
        see :func:`plot_decision_boundary`.
    X : ndarray, shape (N, 2)
        The data; the grid spans its bounding box enlarged by ``padding`` on every side.
    resolution : int
        Grid points per axis.
    padding : float
        Margin added around the data, in data units.

    Returns
    -------
    xx, yy : ndarray, shape (resolution, resolution)
        Grid coordinates, as from ``np.meshgrid``.
    zz : ndarray of int64, shape (resolution, resolution)
        Predicted class at each grid point.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2); got shape {X.shape}")
    low, high = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])  # (resolution**2, 2)
    zz = metrics.predicted_classes(predict(grid), "predict's output").reshape(xx.shape)
    return xx, yy, zz


def plot_decision_boundary(
    predict: ArrayFn,
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    resolution: int = 200,
    padding: float = 0.5,
) -> Axes:
    """Colour the plane by predicted class and draw the data points on top.

    Parameters
    ----------
    predict : callable
        Maps points (M, 2) to one of these, read by ``bplib.metrics.predicted_classes`` (the
        rule of ``bplib.metrics.accuracy`` too, so the picture and the accuracy agree):

        * integer (or bool) class labels, shape (M,)  -> used as they are;
        * float logits of class 1, shape (M,) or (M, 1)  -> class 1 where the logit is > 0;
        * scores, logits or probabilities, shape (M, C) with C >= 2  -> argmax over C.

        Shape and dtype decide, never the values. For probabilities p of class 1, return labels:
        ``lambda P: p(P) > 0.5``.
    X : ndarray, shape (N, 2)
        Input points.
    y : ndarray, shape (N,) of int, or (N, C) one-hot
        True classes (read by ``bplib.metrics.true_classes``), used to colour the points.
    ax : Axes, optional
        Where to draw; a new figure is created if None.
    resolution : int
        Grid points per axis (see :func:`decision_grid`).
    padding : float
        Margin around the data, in data units.

    Returns
    -------
    Axes
    """
    xx, yy, zz = decision_grid(predict, X, resolution, padding)
    X = np.asarray(X, dtype=float)
    y = metrics.true_classes(y)
    n_classes = int(max(zz.max(), y.max())) + 1
    colors = _class_colors(n_classes)
    cmap = ListedColormap(colors)
    levels = np.arange(n_classes + 1) - 0.5  # one band per class: k-0.5 < z < k+0.5

    ax = _get_ax(ax, figsize=(5.5, 4.5))
    ax.contourf(xx, yy, zz, levels=levels, cmap=cmap, alpha=0.3)
    if zz.min() < zz.max():  # draw the boundary itself, if there is one in view
        ax.contour(xx, yy, zz, levels=levels[1:-1], colors="k", linewidths=0.8)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5, edgecolors="k", s=25)

    handles = [Line2D([], [], ls="", marker="o", color=colors[k], markeredgecolor="k") for k in np.unique(y)]
    ax.legend(handles, [f"class {k}" for k in np.unique(y)], loc="best", framealpha=0.8)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title("Decision boundary (background: predicted class)")
    return ax


def plot_confusion_matrix(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    num_classes: int | None = None,
    ax: Axes | None = None,
    normalize: bool = False,
) -> Axes:
    """Show the confusion matrix as a heat map with each cell's value written in it.

    Parameters
    ----------
    y_true, y_pred, num_classes
        As for ``bplib.metrics.confusion_matrix``: true labels; predicted labels, binary
        logits or (N, C) scores; the number of classes.
    ax : Axes, optional
        Where to draw; a new figure is created if None.
    normalize : bool
        If True, divide each row by its total, so cell ``(i, j)`` is the fraction of class
        ``i`` predicted as ``j`` (rows sum to 1; a class with no samples gives a row of 0).

    Returns
    -------
    Axes
        The image (``ax.images[0].get_array()``) holds the values shown.
    """
    cm = metrics.confusion_matrix(y_true, y_pred, num_classes)
    n = len(cm)
    if normalize:
        row_totals = cm.sum(axis=1, keepdims=True)
        shown = np.divide(cm, row_totals, out=np.zeros(cm.shape), where=row_totals > 0)
    else:
        shown = cm.astype(float)

    ax = _get_ax(ax, figsize=(max(4.0, 0.5 * n + 1.5),) * 2)
    ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else max(shown.max(), 1))
    dark = shown.max() / 2  # white text on dark cells
    for i, j in np.ndindex(n, n):
        text = f"{shown[i, j]:.2f}" if normalize else f"{cm[i, j]:d}"
        color = "white" if shown[i, j] > dark else "black"
        ax.text(j, i, text, ha="center", va="center", color=color, fontsize=9 if n <= 10 else 7)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = np.trace(cm) / cm.sum() if cm.sum() else float("nan")
    ax.set_title(f"Confusion matrix{' (rows normalized)' if normalize else ''}\naccuracy {accuracy:.1%}")
    return ax


def plot_digits(
    images: np.ndarray,
    labels: np.ndarray | None = None,
    predictions: np.ndarray | None = None,
    ncols: int = 10,
    ax: Sequence[Axes] | np.ndarray | None = None,
) -> Figure:
    """Show a grid of small grayscale images, titled with their label and prediction.

    Parameters
    ----------
    images : ndarray, shape (N, 64), (N, 784), (N, 8, 8) or (N, 28, 28)
        Flat rows must have a square number of pixels. Ink is drawn dark on white.
    labels : ndarray, shape (N,) of int, or (N, C) one-hot, optional
        True classes (read by ``bplib.metrics.true_classes``), shown as "true k".
    predictions : ndarray, shape (N,) of int, or (N, C) scores, optional
        Predicted classes (read by ``bplib.metrics.predicted_classes``), shown as "pred k".
        When both are given, titles of misclassified images are red.
    ncols : int
        Images per row.
    ax : array of Axes, optional
        At least N Axes to draw into (e.g. ``plt.subplots(2, 5)[1]``); extra ones are
        hidden. If None, a new figure with exactly N Axes is created.

    Returns
    -------
    Figure
    """
    images = np.asarray(images, dtype=float)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"flat images need a square number of pixels; got shape {images.shape}")
        images = images.reshape(-1, side, side)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, D) or (N, H, W); got shape {images.shape}")
    n = len(images)
    labels = None if labels is None else metrics.true_classes(labels, "labels")
    predictions = None if predictions is None else metrics.predicted_classes(predictions, "predictions")

    if ax is None:
        ncols = max(1, min(ncols, n))
        nrows = -(-n // ncols)  # ceiling division
        title_lines = (labels is not None) + (predictions is not None)
        fig = plt.figure(figsize=(1.1 * ncols, (1.1 + 0.2 * title_lines) * nrows), layout="constrained")
        axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(n)]
    else:
        all_axes = list(np.ravel(ax))
        if len(all_axes) < n:
            raise ValueError(f"got {len(all_axes)} Axes for {n} images")
        axes = all_axes[:n]
        for extra in all_axes[n:]:
            extra.set_axis_off()
        fig = axes[0].figure

    for i, image_ax in enumerate(axes):
        image_ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
        image_ax.set_xticks([])
        image_ax.set_yticks([])
        lines = []
        if labels is not None:
            lines.append(f"true {labels[i]}")
        if predictions is not None:
            lines.append(f"pred {predictions[i]}")
        wrong = labels is not None and predictions is not None and labels[i] != predictions[i]
        image_ax.set_title("\n".join(lines), color="red" if wrong else "black", fontsize=9)
    return fig


# ----------------------------------------------------------------------------- networks


def plot_activations(
    funcs: Mapping[str, ArrayFn | tuple[ArrayFn, ArrayFn]],
    x: np.ndarray | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot activation functions (solid) and their derivatives (dashed, same colour).

    Parameters
    ----------
    funcs : dict
        ``name -> f`` or ``name -> (f, f_grad)``. Each ``f`` and ``f_grad`` maps an array
        (K,) to an array (K,), elementwise. Without ``f_grad`` only ``f`` is drawn.
    x : ndarray, shape (K,), optional
        Where to evaluate; default ``np.linspace(-5, 5, 401)``.
    ax : Axes, optional
        Where to draw; a new figure is created if None.

    Returns
    -------
    Axes
    """
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=float)
    ax = _get_ax(ax, figsize=(7, 4.5))
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    for i, (name, fns) in enumerate(funcs.items()):
        f, f_grad = fns if isinstance(fns, (tuple, list)) else (fns, None)
        color = f"C{i % 10}"
        ax.plot(x, np.broadcast_to(f(x), x.shape), color=color, label=name)
        if f_grad is not None:
            ax.plot(x, np.broadcast_to(f_grad(x), x.shape), "--", color=color, label=f"{name}'")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)  and  f'(x)")
    ax.set_title("Activation functions (solid) and their derivatives (dashed)")
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))  # outside: the curves fill the plot
    return ax


def plot_gradient_norms(norms: Mapping[str, float | Sequence[float]], ax: Axes | None = None) -> Axes:
    """Compare gradient norms across layers: one bar per layer, or one line per layer over steps.

    Parameters
    ----------
    norms : dict
        ``layer name -> float`` (a bar chart) or ``layer name -> list of floats over
        training steps`` (lines on a log-scale y axis). Don't mix the two kinds.
        Bars also get a log y axis when the norms span more than a factor 100, so that
        vanishing gradients stay visible.
    ax : Axes, optional
        Where to draw; a new figure is created if None.

    Returns
    -------
    Axes
    """
    names = list(norms)
    values = [np.asarray(v, dtype=float) for v in norms.values()]
    ax = _get_ax(ax)
    if all(v.ndim == 0 for v in values):
        heights = np.array(values)
        ax.bar(names, heights, color="C0")
        positive = heights[heights > 0]
        if positive.size and positive.max() > 100 * positive.min():
            ax.set_yscale("log")
        ax.set_xlabel("layer")
        if sum(len(name) for name in names) > 40:  # long names: tilt them so they don't overlap
            ax.tick_params(axis="x", labelrotation=30)
            plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
        ax.set_title("Gradient norm per layer")
    elif all(v.ndim == 1 for v in values):
        for name, v in zip(names, values):
            ax.plot(np.arange(len(v)), v, label=name)
        if any(np.any(v > 0) for v in values):
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.legend(title="layer", loc="best")
        ax.set_title("Gradient norm per layer during training")
    else:
        raise ValueError("norms must map every layer to a float, or every layer to a list of floats")
    ax.set_ylabel("gradient norm")
    ax.grid(alpha=0.3, axis="y")
    return ax


# ----------------------------------------------------------------------------- optimisation


def _surface_levels(Z: np.ma.MaskedArray, levels: int, log_levels: bool):
    """Contour levels (and colour norm) for a loss surface with masked non-finite values."""
    lo, hi = Z.min(), Z.max()
    if log_levels and lo >= 0 and hi > 0:
        lo = Z[Z > 0].min()  # a loss of exactly 0 has no logarithm
        if hi > lo:
            return np.geomspace(lo, hi, levels), LogNorm(lo, hi)
    return levels, None  # let matplotlib choose `levels` evenly spaced values


def _trajectory_for_plot(points, xlim, ylim) -> tuple[np.ndarray, str]:
    """Make a trajectory safe to draw: cut it at the first inf/nan and clip far-away points.

    Points are clipped to the view enlarged by one view-width on each side: the lines still
    leave the view in the right direction, while values like 1e300 never reach the renderer.
    Returns the points (T', 2) and a note for the legend ("", " (diverged)" or " (left the plot)").
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    finite = np.isfinite(points).all(axis=1)
    n_finite = len(points) if finite.all() else int(np.argmin(finite))
    points = points[:n_finite]
    (x0, x1), (y0, y1) = xlim, ylim
    inside = (x0 <= points[:, 0]) & (points[:, 0] <= x1) & (y0 <= points[:, 1]) & (points[:, 1] <= y1)
    note = " (diverged)" if n_finite < len(finite) else (" (left the plot)" if not inside.all() else "")
    dx, dy = x1 - x0, y1 - y0
    clipped = np.column_stack([np.clip(points[:, 0], x0 - dx, x1 + dx), np.clip(points[:, 1], y0 - dy, y1 + dy)])
    return clipped, note


def plot_trajectories(
    loss_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    trajectories: Mapping[str, np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    ax: Axes | None = None,
    levels: int = 30,
    log_levels: bool = True,
) -> Axes:
    """Draw a 2-D loss surface as contours with optimisation paths on top.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(W1, W2) -> L``, vectorised: ``W1``, ``W2`` and ``L`` are arrays of the same
        shape (a meshgrid). inf/nan values of ``L`` are left blank.
    trajectories : dict
        ``name -> array (T, 2)`` of the parameters ``(w1, w2)`` visited, first step first.
        Each is drawn as a line with dots; a hollow circle marks the start, a star the end
        (no star when the run ends outside the view).
        A trajectory is cut at its first inf/nan (legend: "diverged"), and points outside
        the view are clipped, so a diverging run still renders.
    xlim, ylim : (float, float)
        The view: ranges of ``w1`` and ``w2``.
    ax : Axes, optional
        Where to draw; a new figure is created if None.
    levels : int
        Number of contour levels.
    log_levels : bool
        Space the levels geometrically (best when the loss spans orders of magnitude).
        Falls back to even spacing if the loss is negative somewhere.

    Returns
    -------
    Axes
    """
    w1, w2 = np.meshgrid(np.linspace(*xlim, _SURFACE_RESOLUTION), np.linspace(*ylim, _SURFACE_RESOLUTION))
    Z = np.ma.masked_invalid(np.asarray(loss_fn(w1, w2), dtype=float))
    contour_levels, norm = _surface_levels(Z, levels, log_levels)

    ax = _get_ax(ax, figsize=(6.5, 5))
    filled = ax.contourf(w1, w2, Z, levels=contour_levels, norm=norm, cmap="Blues_r")
    ax.contour(w1, w2, Z, levels=filled.levels, colors="white", linewidths=0.4, alpha=0.6)

    for i, (name, points) in enumerate(trajectories.items()):
        points, note = _trajectory_for_plot(points, xlim, ylim)
        if len(points) == 0:
            continue
        color = ("C1", "C3", "C2", "C4", "C6", "C5", "C8", "C9", "C7", "C0")[i % 10]  # orange/red first
        ax.plot(points[:, 0], points[:, 1], "-o", color=color, markersize=3, linewidth=1.5, label=name + note)
        ax.plot(*points[0], "o", markersize=9, markerfacecolor="white", markeredgecolor=color, markeredgewidth=2)
        if not note:  # a run that diverged or left the view has no end to show
            ax.plot(*points[-1], "*", markersize=15, color=color, markeredgecolor="k")

    handles, labels = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], ls="", marker="o", markersize=9, markerfacecolor="white", markeredgecolor="k"),
        Line2D([], [], ls="", marker="*", markersize=13, color="0.5", markeredgecolor="k"),
    ]
    ax.legend(handles, labels + ["start", "end"], loc="best", framealpha=0.9)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title("Loss surface and optimization paths" + (" (log-spaced contours)" if norm is not None else ""))
    return ax
