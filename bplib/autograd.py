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

This module is the engine only, and needs nothing beyond the standard library. To see a
graph, ``bplib.plot.plot_graph(value)`` draws it, in the order :func:`topological_order` gives.

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
from typing import Callable, Iterable, Union

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
        A name for drawings of the graph (``bplib.plot.plot_graph``), e.g. ``"w1"``.
    """

    def __init__(self, data: float, children: Iterable[Value] = (), op: str = "",
                 label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        # A tuple, not a set: it keeps the operand order (a - b is not b - a) for
        # drawings of the graph, and a*a honestly lists `a` twice.
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
        order = topological_order(self)
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
        for node in topological_order(self):
            node.grad = 0.0


def _as_value(x: object) -> Value | None:
    """Return x as a Value, or None if it is neither a Value nor a real number."""
    if isinstance(x, Value):
        return x
    if isinstance(x, Real):
        return Value(x)
    return None


def topological_order(root: Value) -> list[Value]:
    """Return every node of the graph below ``root``, each after all of its children.

    :meth:`Value.backward` walks this list backwards, so that a node's gradient is
    complete before it is passed on; ``bplib.plot.plot_graph`` lays the graph out from it.

    Parameters
    ----------
    root : Value
        The output of the graph.

    Returns
    -------
    list of Value
        Each node once, after all of its children, ``root`` last. The graph is walked
        depth first, a node's first operand before its second.

    Examples
    --------
    >>> a, b = Value(2.0), Value(3.0)
    >>> [node.data for node in topological_order(a * b + a)]  # a, b, a * b, then the sum
    [2.0, 3.0, 6.0, 8.0]
    """
    # An explicit stack instead of recursion, so that a chain of 10,000 operations
    # does not hit Python's recursion limit.
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
        # Reversed so that the first operand is explored first: backward does not
        # care, but a drawing then shows the operands in the order they were written.
        for child in reversed(node._prev):
            if child not in visited:
                stack.append((child, False))
    return order
