"""Does the scalar Value graph give the derivatives that central differences give?"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_course import scalar
from backprop_course.scalar import Value

EPS = 1e-6


def grads_and_numeric(f, xs):
    """Backward-pass gradients of ``f(*Values)`` and central differences of ``f(*floats)``."""
    leaves = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    out = f(*leaves)
    out.backward()
    analytic = [leaf.grad for leaf in leaves]
    numeric = []
    for i in range(len(xs)):
        plus = [Value(x + (EPS if j == i else 0.0)) for j, x in enumerate(xs)]
        minus = [Value(x - (EPS if j == i else 0.0)) for j, x in enumerate(xs)]
        numeric.append((f(*plus).data - f(*minus).data) / (2 * EPS))
    return np.array(analytic), np.array(numeric), out


def assert_close(a, b, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


OPS = {
    "add": (lambda a, b: a + b, (1.3, -0.7)),
    "sub": (lambda a, b: a - b, (1.3, -0.7)),
    "mul": (lambda a, b: a * b, (1.3, -0.7)),
    "div": (lambda a, b: a / b, (1.3, -0.7)),
    "neg": (lambda a: -a, (0.4,)),
    "pow2": (lambda a: a**2, (-1.7,)),
    "pow3": (lambda a: a**3, (-1.7,)),
    "pow_half": (lambda a: a**0.5, (2.3,)),
    "pow_neg": (lambda a: a**-2, (-1.3,)),
    "pow_zero": (lambda a: a**0, (-1.3,)),
    "radd": (lambda a: 2.5 + a, (0.4,)),
    "rsub": (lambda a: 2.5 - a, (0.4,)),
    "rmul": (lambda a: 2.5 * a, (0.4,)),
    "rdiv": (lambda a: 2.5 / a, (0.4,)),
    "sub_number": (lambda a: a - 2.5, (0.4,)),
    "div_number": (lambda a: a / 2.5, (0.4,)),
    "sigmoid": (lambda a: a.sigmoid(), (0.8,)),
    "sigmoid_neg": (lambda a: a.sigmoid(), (-3.1,)),
    "tanh": (lambda a: a.tanh(), (0.8,)),
    "relu_pos": (lambda a: a.relu(), (0.8,)),
    "relu_neg": (lambda a: a.relu(), (-0.8,)),
    "exp": (lambda a: a.exp(), (0.8,)),
    "log": (lambda a: a.log(), (0.8,)),
    "numpy_scalar": (lambda a: np.float64(3.0) * a + np.int64(2), (0.5,)),
    "max_first": (lambda a, b: a.maximum(b), (1.3, -0.7)),
    "max_second": (lambda a, b: a.maximum(b), (-1.3, 0.7)),
    "max_number": (lambda a: a.maximum(0), (0.4,)),
}


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_matches_central_differences(name):
    f, xs = OPS[name]
    analytic, numeric, _ = grads_and_numeric(f, xs)
    assert_close(analytic, numeric)


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_stores_its_local_derivatives(name):
    """The local derivative of a one-op node is the derivative of that op."""
    f, xs = OPS[name]
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    # for one-op expressions, each child's local derivative equals d out / d child
    if all(any(c is leaf for c in out.children) for leaf in leaves) and name != "numpy_scalar":
        out.backward()
        for leaf in leaves:
            total = sum(g for c, g in zip(out.children, out.local_grads, strict=True) if c is leaf)
            assert total == pytest.approx(leaf.grad)


def test_forward_values():
    x = Value(2.0)
    assert (x + 1).data == 3.0 and (x - 5).data == -3.0 and (x * 4).data == 8.0
    assert (x / 4).data == 0.5 and (-x).data == -2.0 and (x**3).data == 8.0
    assert (1 / x).data == 0.5 and (5 - x).data == 3.0
    assert x.sigmoid().data == pytest.approx(1 / (1 + math.exp(-2)))
    assert x.tanh().data == pytest.approx(math.tanh(2.0))
    assert x.exp().log().data == pytest.approx(2.0)
    assert Value(-3.0).relu().data == 0.0


def test_sigmoid_is_stable_for_huge_inputs():
    hi, lo = Value(1e4).sigmoid(), Value(-1e4).sigmoid()
    assert hi.data == 1.0 and lo.data == 0.0
    hi.backward()
    assert hi.local_grads == (0.0,)


def test_the_slides_examples():
    """z = x + y, z = x y, z = x^2, and z = (x^2)^2 with dz/dx = 4 x y = 4 x^3."""
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    z = x + y
    z.backward()
    assert (x.grad, y.grad) == (1.0, 1.0)
    z = x * y
    z.backward()
    assert (x.grad, y.grad) == (y.data, x.data)
    z = x**2
    z.backward()
    assert x.grad == pytest.approx(2 * 1.5)
    for x0 in (-1.3, 0.7, 2.0):
        analytic, numeric, z = grads_and_numeric(lambda a: (a**2) ** 2, (x0,))
        assert analytic[0] == pytest.approx(4 * x0**3, rel=1e-12)
        assert_close(analytic, numeric)
        y_node = z.children[0]
        assert analytic[0] == pytest.approx(4 * x0 * y_node.data, rel=1e-12)


def test_shared_nodes_accumulate():
    # x used twice in one op
    analytic, numeric, _ = grads_and_numeric(lambda a: a * a, (1.7,))
    assert analytic[0] == pytest.approx(3.4)
    assert_close(analytic, numeric)

    # a diamond: b and c both depend on a, d depends on both
    def diamond(a, w):
        b = a * w
        c = (a + 1).tanh()
        return (b * c + b.sigmoid()) / (c + 2)

    analytic, numeric, _ = grads_and_numeric(diamond, (0.6, -1.2))
    assert_close(analytic, numeric)

    # an intermediate node used three times
    def reuse(a):
        h = a.exp()
        return h * h - h / 3

    analytic, numeric, _ = grads_and_numeric(reuse, (0.3,))
    assert_close(analytic, numeric)


def test_a_small_neuron_against_finite_differences():
    def neuron(x1, x2, w1, w2, b):
        return ((x1 * w1 + x2 * w2 + b).tanh() - 0.5) ** 2

    analytic, numeric, _ = grads_and_numeric(neuron, (2.0, 0.0, -3.0, 1.0, 6.88))
    assert_close(analytic, numeric)


def test_backward_twice_gives_the_same_answer():
    x = Value(0.9, "x")
    w = Value(-0.4, "w")
    z = (x * w).sigmoid() * x
    z.backward()
    first = (x.grad, w.grad)
    z.backward()
    assert (x.grad, w.grad) == first
    assert z.grad == 1.0


def test_backward_resets_stale_grads():
    x = Value(2.0)
    x.grad = 123.0
    (x * 3).backward()
    assert x.grad == 3.0


def test_trace_is_topological_with_one_edge_per_operand():
    x, y = Value(2.0, "x"), Value(3.0, "y")
    s = x * x
    z = s + y * s
    nodes, edges = z.trace()
    assert nodes[-1] is z
    position = {id(n): i for i, n in enumerate(nodes)}
    assert len(position) == len(nodes) == 5  # x, s, y, y*s, z: each once
    for child, parent in edges:
        assert position[id(child)] < position[id(parent)]
    assert sum(1 for c, p in edges if c is x and p is s) == 2
    assert len(edges) == sum(len(n.children) for n in nodes) == 6


def test_a_long_chain_does_not_hit_the_recursion_limit():
    x = Value(0.5, "x")
    z = x
    for _ in range(5000):
        z = z * 1.0001
    z.backward()
    assert x.grad == pytest.approx(1.0001**5000)


def test_backward_steps_replays_backward_exactly():
    x, y = Value(0.7, "x"), Value(-1.1, "y")
    s = x * y
    z = (s + x).tanh() * s
    steps = scalar.backward_steps(z)
    recorded = {id(n): n.grad for n in z.trace()[0]}
    z.backward()
    assert {id(n): n.grad for n in z.trace()[0]} == recorded

    # the steps visit nodes in reversed topological order, skipping leaves
    order = [n for n in reversed(z.trace()[0]) if n.children]
    assert [st.node for st in steps] == order
    assert steps[0].node is z and steps[0].upstream == 1.0

    # each contribution follows child.grad += local * upstream, and upstream is final
    running = {id(n): 0.0 for n in z.trace()[0]}
    running[id(z)] = 1.0
    for st in steps:
        assert st.upstream == st.node.grad == running[id(st.node)]
        assert len(st.contributions) == len(st.node.children)
        for c, child, local in zip(
            st.contributions, st.node.children, st.node.local_grads, strict=True
        ):
            assert c.child is child and c.local_grad == local
            assert c.product == local * st.upstream
            assert c.child_grad_before == running[id(child)]
            assert c.child_grad_after == c.child_grad_before + c.product
            running[id(child)] = c.child_grad_after


def test_backward_steps_can_include_leaves():
    x = Value(2.0, "x")
    z = x * x
    steps = scalar.backward_steps(z, include_leaves=True)
    assert [st.node for st in steps] == [z, x]
    assert steps[1].contributions == () and steps[1].upstream == 4.0
    (c1, c2) = steps[0].contributions
    assert (c1.child_grad_before, c1.child_grad_after) == (0.0, 2.0)
    assert (c2.child_grad_before, c2.child_grad_after) == (2.0, 4.0)


def test_repr_is_readable():
    x = Value(2.0, "x")
    assert repr(x) == "Value(data=2, grad=0, label='x')"
    z = x * 3
    assert "op='*'" in repr(z) and "data=6" in repr(z)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Value(float("nan")), "finite"),
        (lambda: Value(float("inf")), "finite"),
        (lambda: Value("2"), "real number"),
        (lambda: Value(True), "real number"),
        (lambda: Value(1 + 2j), "real number"),
        (lambda: Value(1.0, label=3), "label"),
        (lambda: Value(2.0) ** Value(2.0), "exponent"),
        (lambda: 2.0 ** Value(2.0), "exponent"),
        (lambda: Value(2.0) ** float("nan"), "finite"),
        (lambda: Value(-2.0) ** 0.5, "negative base"),
        (lambda: Value(0.0) ** -1, "infinite"),
        (lambda: Value(0.0) ** 0.5, "infinite"),
        (lambda: Value(0.0).log(), "positive"),
        (lambda: Value(-1.0).log(), "positive"),
        (lambda: Value(1.0) / 0, "division by zero"),
        (lambda: Value(1.0) / Value(0.0), "division by zero"),
        (lambda: 1.0 / Value(0.0), "division by zero"),
        (lambda: Value(1000.0).exp(), "overflow"),
        (lambda: Value(1e200) * 1e200, "not finite"),
        (lambda: Value(1e200) ** 3, "overflow"),
        (lambda: Value(1.0) + "a", "real number"),
        (lambda: Value(1.0) * np.array([1.0, 2.0]), "real number"),
        (lambda: scalar.backward_steps(2.0), "Value"),
    ],
)
def test_bad_input_raises_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_inputs_are_not_mutated_by_operations():
    x = Value(1.5, "x")
    _ = (x * 2 + 1).tanh()
    assert (x.data, x.grad, x.label, x.op, x.children) == (1.5, 0.0, "x", "", ())


def test_max_routes_the_gradient_to_the_larger_input():
    """max is a router: the whole upstream gradient goes to the winner, none to the loser."""
    x, y = Value(3.0, "x"), Value(-1.0, "y")
    z = 2.5 * x.maximum(y)
    z.backward()
    assert (x.grad, y.grad) == (2.5, 0.0)
    tie = Value(2.0).maximum(Value(2.0))
    assert tie.data == 2.0 and tie.local_grads == (0.5, 0.5)


@pytest.mark.parametrize("x", [-2.0, -0.3, 0.3, 2.0])
def test_relu_is_a_max_with_zero(x):
    a, b = Value(x), Value(x)
    r, m = a.relu(), b.maximum(0.0)
    r.backward()
    m.backward()
    assert (r.data, a.grad) == (m.data, b.grad)


def test_unlabelled_nodes_are_named_by_what_they_compute():
    """Two different products must not print alike (both as '*')."""
    x1, w1, x2, w2 = (Value(v, n) for v, n in [(2, "x1"), (-1, "w1"), (3, "x2"), (1, "w2")])
    p1, p2 = x1 * w1, x2 * w2
    assert (p1.name, p2.name) == ("x1*w1", "x2*w2")
    assert (p1 + p2).name == "(x1*w1)+(x2*w2)"
    assert ((p1 + p2).tanh() - 1.0).name.startswith("(tanh((x1*w1)+")
    assert len(((p1 + p2).tanh() - 1.0).name) == 16
    assert (-p1).name == "-(x1*w1)" and (x1**2).name == "x1**2"
    assert x1.maximum(0).name == "max(x1, 0)" and Value(1.5).name == "1.5"
    p1.label = "p"
    assert p1.name == "p" and (p1 * 2).name == "p*2"
