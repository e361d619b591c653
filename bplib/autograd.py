"""A scalar reverse-mode automatic differentiation engine.

Every arithmetic operation on a :class:`Value` creates a new node that remembers the
Values it was computed from (its *children*) and a small closure, ``_backward``, that
knows the operation's local derivative. Given ``out.grad`` (the derivative of the
final result with respect to this node), it adds the chain-rule contribution
``local derivative * out.grad`` to each child's ``grad``.

:meth:`Value.backward` sorts the graph topologically (every node after its children),
sets the output's gradient to 1 and calls ``_backward`` in *reverse* topological
order, so a node's gradient is complete before it is passed further back. Gradients
are added (``+=``), never assigned, because a node used in several places receives
one contribution from each use (the multivariable chain rule).

Examples
--------
>>> a = Value(2.0, label="a")
>>> b = Value(-3.0, label="b")
>>> c = a * b + a
>>> c.backward()
>>> a.grad, b.grad
(-2.0, 2.0)
"""
from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING, Callable, Iterable, Union

if TYPE_CHECKING:  # for type checkers only: importing bplib must not import matplotlib
    from matplotlib.axes import Axes

Operand = Union["Value", float, int]


class Value:
    """A scalar in a computational graph, with the gradient of the graph's output.

    Parameters
    ----------
    data : float
        The number this node holds.
    children : iterable of Value, optional
        The Values this one was computed from (empty for a leaf).
    op : str, optional
        Name of the operation that produced this Value ("" for a leaf).
    label : str, optional
        A name shown by :func:`draw_graph`, e.g. ``"w1"``.
    """

    def __init__(self, data: float, children: Iterable[Value] = (), op: str = "",
                 label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        # A tuple, not a set: it keeps the operand order (a - b is not b - a) for
        # draw_graph, and a*a honestly lists `a` twice.
        self._prev: tuple[Value, ...] = tuple(children)
        self._op = op
        # A leaf has nobody to pass its gradient to.
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    # ----------------------------------------------------------- binary operations
    def __add__(self, other: Operand) -> Value:
        other = _as_value(other)
        if other is None:
            return NotImplemented
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            # d(a+b)/da = d(a+b)/db = 1: addition hands the gradient on unchanged.
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __sub__(self, other: Operand) -> Value:
        other = _as_value(other)
        if other is None:
            return NotImplemented
        out = Value(self.data - other.data, (self, other), "-")

        def _backward() -> None:
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Operand) -> Value:
        other = _as_value(other)
        if other is None:
            return NotImplemented
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            # Each factor's gradient is scaled by the *other* factor.
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other: Operand) -> Value:
        other = _as_value(other)
        if other is None:
            return NotImplemented
        out = Value(self.data / other.data, (self, other), "/")

        def _backward() -> None:
            # d(a/b)/da = 1/b,  d(a/b)/db = -a/b**2
            self.grad += out.grad / other.data
            other.grad -= out.grad * self.data / other.data ** 2

        out._backward = _backward
        return out

    # A plain number on the left (2 * v) ends up here: lift it to a leaf Value.
    def __radd__(self, other: Operand) -> Value:
        other = _as_value(other)
        return NotImplemented if other is None else other + self

    def __rsub__(self, other: Operand) -> Value:
        other = _as_value(other)
        return NotImplemented if other is None else other - self

    def __rmul__(self, other: Operand) -> Value:
        other = _as_value(other)
        return NotImplemented if other is None else other * self

    def __rtruediv__(self, other: Operand) -> Value:
        other = _as_value(other)
        return NotImplemented if other is None else other / self

    # ------------------------------------------------------------ unary operations
    def __neg__(self) -> Value:
        out = Value(-self.data, (self,), "neg")

        def _backward() -> None:
            self.grad -= out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value):
            raise TypeError("the exponent of ** must be a plain number; for a Value "
                            "exponent write (y * x.log()).exp()")
        if not isinstance(exponent, Real):
            return NotImplemented
        if self.data < 0 and not float(exponent).is_integer():
            # Python would silently return a complex number here.
            raise ValueError(f"cannot raise the negative number {self.data} to the "
                             f"non-integer power {exponent}")
        out = Value(self.data ** exponent, (self,), f"**{exponent:g}")

        def _backward() -> None:
            # x**0 is constant; without this branch 0 * 0.0**-1 would divide by zero.
            local = exponent * self.data ** (exponent - 1) if exponent != 0 else 0.0
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """Return e**self."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            # exp is its own derivative, already computed in the forward pass.
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Return the natural logarithm of self.

        Raises
        ------
        ValueError
            If ``self.data <= 0``.
        """
        if self.data <= 0:
            raise ValueError(f"log is only defined for positive numbers, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """Return the hyperbolic tangent of self."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """Return the logistic function 1 / (1 + e**-self), stable for any finite input."""
        # exp(-x) overflows for x < -709, so for negative x use the equal form
        # e**x / (1 + e**x), in which the exponential is at most 1.
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """Return max(self, 0). Its derivative at 0 is taken to be 0, as in PyTorch."""
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward() -> None:
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    # --------------------------------------------------------------- backward pass
    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node of the graph below self.

        Like PyTorch, a second call adds the gradients once more; call
        :meth:`zero_grad` in between to start from zero.
        """
        order = _topological_order(self)
        # Propagate this pass on zeroed gradients and add the old ones back at the
        # end: propagating on top of an intermediate node's stale gradient would
        # pass the previous pass back a second time.
        previous = [node.grad for node in order]
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        for node, old in zip(order, previous):
            node.grad += old

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on self and on every node below it."""
        for node in _topological_order(self):
            node.grad = 0.0


def _as_value(x: object) -> Value | None:
    """Return x as a Value, or None if it is neither a Value nor a real number."""
    if isinstance(x, Value):
        return x
    if isinstance(x, Real):
        return Value(x)
    return None


def _topological_order(root: Value) -> list[Value]:
    """Return the nodes below root (root included), each after all its children.

    An explicit stack instead of recursion, so a chain of 10,000 operations does
    not hit Python's recursion limit.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        # Come back to `node` once everything pushed above it (its children) is done.
        stack.append((node, True))
        # Reversed so that the first operand is explored first (matters only for
        # draw_graph's layout).
        for child in reversed(node._prev):
            if child not in visited:
                stack.append((child, False))
    return order


# ------------------------------------------------------------------------- drawing
_OP_SYMBOLS = {"*": "×", "neg": "−", "sigmoid": "σ"}
_FONT_SIZE = 9
_CHAR_PT = 0.6 * _FONT_SIZE  # width of one monospace character, in points
_BOX_PAD = 0.4  # box padding around the text, in font sizes
_CIRCLE_PAD = 0.3


def _fmt(x: float) -> str:
    x += 0.0  # turns -0.0 into 0.0: "grad -0.000" would puzzle a student
    return f"{x:.3f}" if abs(x) < 1e5 else f"{x:.3e}"


def _node_text(node: Value) -> str:
    parts = [node.label] if node.label else []
    parts += [f"data {_fmt(node.data)}", f"grad {_fmt(node.grad)}"]
    return " | ".join(parts)


def _layout(order: list[Value]) -> tuple[dict, dict, dict]:
    """Place the drawing's items on a grid of (column, row).

    Items are ("value", v), ("op", v) for the circle of the operation producing v,
    and ("via", child, v, column) for the points where an arrow from child to v's
    operation crosses a column it skips, so that the arrow can be routed around
    the boxes of that column instead of through them.

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


def draw_graph(value: Value, ax: Axes | None = None) -> Axes:
    """Draw the computational graph below ``value`` with matplotlib.

    Values are boxes reading "label | data ... | grad ..."; the operation that
    produced a Value is a small circle just left of it. Arrows point from inputs to
    outputs. Columns go left to right by depth from the leaves; a leaf is drawn in
    the column just before the first operation that uses it, to keep arrows short.

    Parameters
    ----------
    value : Value
        The output node; everything it depends on is drawn.
    ax : matplotlib.axes.Axes, optional
        Where to draw. If None, a new figure sized to fit the graph is created; an
        axes you pass must be wide enough itself, or the boxes will overlap.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on, with one text per Value and one per operation.

    Examples
    --------
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> loss = (a * b).tanh()
    >>> loss.backward()
    >>> ax = draw_graph(loss)  # doctest: +SKIP
    >>> ax.figure.savefig("graph.png", bbox_inches="tight")  # doctest: +SKIP
    """
    order = _topological_order(value)
    col, row, paths = _layout(order)

    texts = {node: _node_text(node) for node in order}
    symbols = {node: _OP_SYMBOLS.get(node._op, node._op) for node in order if node._op}
    # x is measured in monospace characters, so that the figure can be sized to fit.
    widths = [3.0] * (max(col.values()) + 1)
    for item, c in col.items():
        if item[0] == "value":
            widths[c] = max(widths[c], len(texts[item[1]]) + 2 * _BOX_PAD + 1)
        elif item[0] == "op":
            widths[c] = max(widths[c], len(symbols[item[1]]) + 2)
    gap = 4.0
    starts = [sum(widths[:c]) + gap * c for c in range(len(widths))]
    x_of = {item: starts[c] + widths[c] / 2 for item, c in col.items()}
    total_width = starts[-1] + widths[-1]
    n_rows = max(row.values()) + 1

    if ax is None:
        import matplotlib.pyplot as plt  # lazily: `import bplib` must not need matplotlib

        fig = plt.figure(figsize=(max(total_width * _CHAR_PT / 72, 2.0), 0.45 * n_rows + 0.2))
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))  # all of it, so characters fit the x units

    style = dict(ha="center", va="center", family="monospace", fontsize=_FONT_SIZE, zorder=3)
    boxes = {}
    for node in order:
        key = ("value", node)
        boxes[key] = ax.text(x_of[key], row[key], texts[node], **style,
                             bbox=dict(boxstyle=f"round,pad={_BOX_PAD}", fc="#e8f0fe",
                                       ec="#3a63a8"))
        if node._op:
            key = ("op", node)
            boxes[key] = ax.text(x_of[key], row[key], symbols[node], **style,
                                 bbox=dict(boxstyle=f"circle,pad={_CIRCLE_PAD}",
                                           fc="#fff4cc", ec="#b08800"))

    # Every arrow starts at the centre of its source and is drawn *under* the boxes,
    # which are opaque, so it seems to leave from the box's edge whatever its angle.
    line = dict(color="0.35", lw=1.0, zorder=1)

    def arrow(xy_from, to, xy_to, shrink, rad=0.0) -> None:
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
        radius = (max(len(symbols[node]) * _CHAR_PT, 1.2 * _FONT_SIZE) / 2
                  + _CIRCLE_PAD * _FONT_SIZE)
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
              _BOX_PAD * _FONT_SIZE + 1.0)

    ax.set_xlim(-1.0, total_width + 1.0)
    ax.set_ylim(n_rows - 0.5, -0.5)  # first leaf on top
    ax.axis("off")
    return ax
