"""A scalar computation graph that computes its own derivatives: backprop on one screen.

Every arithmetic operation on :class:`Value` objects builds a new node that remembers

* ``children``: the nodes it was computed from (a node used twice, as in ``x * x``, appears
  twice), and
* ``local_grads``: the *local derivatives* ``d node / d child``, as plain numbers, evaluated
  at the forward values.

The backward pass then needs no calculus at all. Sort the nodes so that every node comes
after its inputs (a topological order), set ``d root / d root = 1``, and walk the order
backwards, passing the gradient down every edge::

    for node in reversed(order):
        for child, local in zip(node.children, node.local_grads):
            child.grad += local * node.grad          # chain rule, summed over paths

A node's gradient is complete when it is visited, because every node that uses it comes later
in the order and has already sent its message. The ``+=`` sums the contributions of all paths
from the root, so a node used more than once (``x * x``, a diamond) gets the total derivative.

The slides' computation-graph examples:

>>> x, y = Value(2.0, "x"), Value(3.0, "y")
>>> z = x + y                       # dz/dx = 1, dz/dy = 1
>>> z.backward(); print(x.grad, y.grad)
1.0 1.0
>>> z = x * y                       # dz/dx = y, dz/dy = x
>>> z.backward(); print(x.grad, y.grad)
3.0 2.0
>>> z = x**2                        # dz/dx = 2x
>>> z.backward(); print(x.grad)
4.0
>>> z = (x**2) ** 2                 # y = x^2, z = y^2: dz/dx = 4xy = 4x^3
>>> z.backward(); print(x.grad, 4 * 2.0**3)
32.0 32.0

This is the design of karpathy/micrograd's ``engine.py``, with the closures replaced by
stored numbers so that a lecture (and :func:`backward_steps`) can show every multiplication.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

import numpy as np

__all__ = ["Value", "Contribution", "Step", "backward_steps", "topological_order"]


def _as_float(x, what: str) -> float:
    """``x`` as a finite float, or a ``ValueError`` naming ``what``."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, Real | np.integer | np.floating):
        raise ValueError(f"{what} must be a real number (int or float), got {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x


class Value:
    """A scalar node of a computation graph: its value ``data`` and gradient ``grad``.

    Parameters
    ----------
    data : int or float, finite
        The node's forward value.
    label : str
        A name for printing and drawing (``"x"``, ``"w1"``); optional.

    Attributes
    ----------
    data : float
    grad : float
        ``d root / d self`` after ``root.backward()``; 0.0 before.
    label : str
    op : str
        The operation that made this node (``"+"``, ``"*"``, ``"**2"``, ``"tanh"``, ...), ``""``
        for an input (a leaf).
    children : tuple of Value
        The operands, in order; a repeated operand appears as often as it is used.
    local_grads : tuple of float
        ``d self / d children[k]`` at the forward values, one per child.

    Plain numbers mix freely with ``Value`` (``2 * x``, ``1 - x``, ``x / 4``): they become
    leaves. Exponents must be plain numbers.

    >>> a = Value(-1.5, "a")
    >>> b = (2 * a + 1).tanh()
    >>> b.backward()
    >>> print(f"{b.data:.4f} {a.grad:.4f}")
    -0.9640 0.1413
    """

    # numpy must hand ``np.float64(2) * x`` over to Value.__rmul__ instead of broadcasting
    __array_ufunc__ = None

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _as_float(data, "Value data")
        if not isinstance(label, str):
            raise ValueError(f"label must be a str, got {label!r}")
        self.label = label
        self.grad = 0.0
        self.op = ""
        self.children: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    @classmethod
    def _node(cls, data: float, children: tuple, local_grads: tuple, op: str) -> Value:
        """An operation's result, after checking its value and local derivatives are finite."""
        args = ", ".join(f"{c.data:.6g}" for c in children)
        if not math.isfinite(data):
            raise ValueError(f"{op}({args}) is not finite ({data}); the inputs are too large")
        for g in local_grads:
            if not math.isfinite(g):
                raise ValueError(f"the derivative of {op} at ({args}) is not finite")
        out = cls(data)
        out.children = children
        out.local_grads = tuple(float(g) for g in local_grads)
        out.op = op
        return out

    @staticmethod
    def _coerce(other) -> Value:
        if isinstance(other, Value):
            return other
        return Value(_as_float(other, "an operand of a Value operation"))

    def __repr__(self) -> str:
        parts = [f"data={self.data:.6g}", f"grad={self.grad:.6g}"]
        if self.op:
            parts.append(f"op={self.op!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    # ---- arithmetic: each returns a node with its children and local derivatives ---------
    def __add__(self, other) -> Value:
        """``z = x + y``: ``dz/dx = 1``, ``dz/dy = 1``."""
        other = self._coerce(other)
        return Value._node(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __radd__(self, other) -> Value:
        return self._coerce(other) + self

    def __sub__(self, other) -> Value:
        """``z = x - y``: ``dz/dx = 1``, ``dz/dy = -1``."""
        other = self._coerce(other)
        return Value._node(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __rsub__(self, other) -> Value:
        return self._coerce(other) - self

    def __mul__(self, other) -> Value:
        """``z = x y``: ``dz/dx = y``, ``dz/dy = x``."""
        other = self._coerce(other)
        return Value._node(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __rmul__(self, other) -> Value:
        return self._coerce(other) * self

    def __truediv__(self, other) -> Value:
        """``z = x / y``: ``dz/dx = 1/y``, ``dz/dy = -x/y^2``."""
        other = self._coerce(other)
        if other.data == 0.0:
            raise ValueError(f"division by zero: {self.data:.6g} / 0")
        y = other.data
        return Value._node(self.data / y, (self, other), (1.0 / y, -self.data / (y * y)), "/")

    def __rtruediv__(self, other) -> Value:
        return self._coerce(other) / self

    def __neg__(self) -> Value:
        """``z = -x``: ``dz/dx = -1``."""
        return Value._node(-self.data, (self,), (-1.0,), "neg")

    def __pow__(self, n) -> Value:
        """``z = x^n`` for a plain number ``n``: ``dz/dx = n x^(n-1)``."""
        if isinstance(n, Value):
            raise ValueError(
                "the exponent must be a plain number, not a Value; "
                "for a variable exponent write (y * x.log()).exp()"
            )
        n = _as_float(n, "the exponent")
        x = self.data
        if x < 0 and not n.is_integer():
            raise ValueError(f"{x:.6g} ** {n:g}: a negative base needs an integer exponent")
        if x == 0 and n < 1 and n != 0:
            raise ValueError(f"0 ** {n:g}: the power or its derivative is infinite at x = 0")
        try:
            data = x**n
            local = 0.0 if n == 0 else n * x ** (n - 1)
        except OverflowError:
            raise ValueError(f"{x:.6g} ** {n:g} overflows") from None
        name = f"**{int(n)}" if n.is_integer() else f"**{n:g}"
        return Value._node(data, (self,), (local,), name)

    def __rpow__(self, base):
        raise ValueError(
            "a Value exponent is not supported; write (x * math.log(base)).exp() for base ** x"
        )

    def maximum(self, other) -> Value:
        """``z = max(x, y)``: the larger input gets ``dz = 1``, the other ``0`` (a router).

        At a tie (``x == y``) each input gets ``1/2``, a valid subgradient (``relu`` chooses 0 at
        its kink instead). ``x.relu()`` is ``x.maximum(0)`` away from the kink.

        >>> x, y = Value(2.0, "x"), Value(5.0, "y")
        >>> z = x.maximum(y); print(z.data, z.local_grads)
        5.0 (0.0, 1.0)
        """
        other = self._coerce(other)
        x, y = self.data, other.data
        local = (1.0, 0.0) if x > y else ((0.0, 1.0) if y > x else (0.5, 0.5))
        return Value._node(max(x, y), (self, other), local, "max")

    # ---- functions -------------------------------------------------------------------------
    def sigmoid(self) -> Value:
        """``z = sigma(x) = 1 / (1 + e^-x)``: ``dz/dx = z (1 - z)``; no overflow for any ``x``.

        >>> z = Value(0.0).sigmoid(); print(z.data, z.local_grads)
        0.5 (0.25,)
        """
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value._node(s, (self,), (s * (1.0 - s),), "sigmoid")

    def tanh(self) -> Value:
        """``z = tanh(x)``: ``dz/dx = 1 - z^2``.

        >>> z = Value(0.0).tanh(); print(z.data, z.local_grads)
        0.0 (1.0,)
        """
        t = math.tanh(self.data)
        return Value._node(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self) -> Value:
        """``z = max(x, 0)``: ``dz/dx = 1`` if ``x > 0`` else 0 (0 at the kink).

        >>> [(z.data, z.local_grads) for z in (Value(-2.0).relu(), Value(3.0).relu())]
        [(0.0, (0.0,)), (3.0, (1.0,))]
        """
        x = self.data
        return Value._node(max(x, 0.0), (self,), (1.0 if x > 0 else 0.0,), "relu")

    def exp(self) -> Value:
        """``z = e^x``: ``dz/dx = e^x = z``.

        >>> z = Value(0.0).exp(); print(z.data, z.local_grads)
        1.0 (1.0,)
        """
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"exp({self.data:.6g}) overflows a float") from None
        return Value._node(e, (self,), (e,), "exp")

    def log(self) -> Value:
        """``z = ln x`` for ``x > 0``: ``dz/dx = 1/x``.

        >>> z = Value(2.0).log(); print(f"{z.data:.4f}", z.local_grads)
        0.6931 (0.5,)
        """
        if self.data <= 0:
            raise ValueError(f"log needs a positive argument, got {self.data:.6g}")
        return Value._node(math.log(self.data), (self,), (1.0 / self.data,), "log")

    # ---- names -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The node's ``label``, or else what it computes from its children's names.

        An input without a label shows its value (a constant); an unlabelled operation writes
        itself out (``x1*w1``, ``tanh(s)``), so two different nodes with the same operation
        print differently. Names longer than 16 characters are cut to 15 and an ellipsis; label
        the nodes of a bigger graph yourself.

        >>> x1, w1, x2, w2 = (Value(v, n) for v, n in [(2, "x1"), (-1, "w1"), (3, "x2"), (1, "w2")])
        >>> [n.name for n in (x1 * w1, x2 * w2, (x1 * w1).tanh(), x1 - 1.0)]
        ['x1*w1', 'x2*w2', 'tanh(x1*w1)', 'x1-1']
        """
        if self.label:
            return self.label
        if not self.children:
            return f"{self.data:g}"
        names = [c.name if c.label or not c.children else f"({c.name})" for c in self.children]
        if self.op in ("+", "-", "*", "/", "max") and len(names) == 2:
            text = f"max({names[0]}, {names[1]})" if self.op == "max" else self.op.join(names)
        elif self.op == "neg":
            text = f"-{names[0]}"
        elif self.op.startswith("**"):
            text = f"{names[0]}{self.op}"
        else:  # a function: its argument needs no extra brackets
            text = f"{self.op}({', '.join(c.name for c in self.children)})"
        return text if len(text) <= 16 else text[:15] + "…"

    # ---- the backward pass -----------------------------------------------------------------
    def trace(self) -> tuple[list[Value], list[tuple[Value, Value]]]:
        """The graph below this node, for drawing.

        Returns
        -------
        nodes : list of Value
            Every node once, in topological order: inputs first, ``self`` last.
        edges : list of (child, parent)
            One edge per operand slot, so ``x * x`` gives the edge ``(x, z)`` twice (two
            paths, two contributions to ``x.grad``).

        >>> x = Value(3.0, "x"); z = x * x + 1
        >>> nodes, edges = z.trace()
        >>> [n.op or n.label or f"{n.data:g}" for n in nodes]
        ['x', '*', '1', '+']
        >>> len(edges)
        4
        """
        nodes = topological_order(self)
        edges = [(child, node) for node in nodes for child in node.children]
        return nodes, edges

    def backward(self) -> None:
        """Fill in ``grad = d self / d node`` for every node of the graph below ``self``.

        Grads of the graph are first reset to 0, so calling ``backward()`` twice gives the
        same result (gradients of *different* roots are not accumulated; add them yourself).

        >>> x = Value(3.0, "x"); z = x * x        # x used twice: dz/dx = 2x
        >>> z.backward(); z.backward(); print(x.grad)
        6.0
        """
        _run_backward(self, record=False)


class Contribution(NamedTuple):
    """One edge of the backward pass: ``child.grad += local_grad * upstream``."""

    child: Value
    local_grad: float
    product: float
    child_grad_before: float
    child_grad_after: float


class Step(NamedTuple):
    """One node of the backward pass: its final gradient ``upstream`` sent to its children."""

    node: Value
    upstream: float
    contributions: tuple[Contribution, ...]


def topological_order(root: Value) -> list[Value]:
    """Every node below ``root`` once, each after all of its children (``root`` last).

    Depth-first post-order, children in operand order; iterative, so long chains do not hit
    Python's recursion limit.

    >>> a = Value(1.0, "a"); b = Value(2.0, "b"); c = a * b
    >>> [n.label or n.op for n in topological_order(c + a)]
    ['a', 'b', '*', '+']
    """
    if not isinstance(root, Value):
        raise ValueError(f"expected a Value, got {type(root).__name__}")
    order: list[Value] = []
    seen: set[int] = {id(root)}
    stack = [(root, iter(root.children))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(child.children)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _run_backward(root: Value, record: bool) -> list[Step]:
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    steps: list[Step] = []
    for node in reversed(order):
        contributions = []
        for child, local in zip(node.children, node.local_grads, strict=True):
            before = child.grad
            product = local * node.grad
            child.grad += product
            if record:
                contributions.append(Contribution(child, local, product, before, child.grad))
        if record:
            steps.append(Step(node, node.grad, tuple(contributions)))
    return steps


def backward_steps(root: Value, *, include_leaves: bool = False) -> list[Step]:
    """Run ``root.backward()`` and return what it did, one :class:`Step` per node, in order.

    Each step is ``(node, upstream, contributions)`` where ``upstream = d root / d node`` is
    final when the node is reached, and each contribution is ``(child, local_grad, product,
    child_grad_before, child_grad_after)`` with ``product = local_grad * upstream`` and
    ``child_grad_after = child_grad_before + product``. Leaves (inputs) send nothing; they
    are listed, with no contributions, only when ``include_leaves`` is true. Afterwards every
    ``grad`` is set exactly as by ``root.backward()``.

    >>> x = Value(2.0, "x"); y = x**2; z = y**2
    >>> for step in backward_steps(z):
    ...     for c in step.contributions:
    ...         print(f"{step.node.op}: {c.local_grad:g} * {step.upstream:g} = {c.product:g}")
    **2: 8 * 1 = 8
    **2: 4 * 8 = 32
    """
    steps = _run_backward(root, record=True)
    if include_leaves:
        return steps
    return [s for s in steps if s.node.children]
