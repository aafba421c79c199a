"""Are the operation counts exact, and do their log-log slopes show O(E^2) against O(E)?

Timings are only checked to exist and be positive: wall times depend on the machine.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from backprop_course import backprop, complexity, mlp, naive


@pytest.mark.parametrize("T", [1, 2, 3, 10, 33])
@pytest.mark.parametrize("central", [True, False])
def test_chain_counts_equal_what_the_implementations_count(T, central):
    counts = complexity.chain_counts(T, central=central)
    ws = np.linspace(0.9, 1.1, T)
    assert counts["naive chain rule"] == naive.naive_chain_gradients(1.5, ws, 0.5)[1]
    assert counts["backprop"] == naive.backprop_chain_gradients(1.5, ws, 0.5)[1]
    fd = naive.chain_finite_difference_gradients(1.5, ws, 0.5, central=central)[1]
    assert counts["finite differences"] == fd


@pytest.mark.parametrize("sizes", [[2, 1], [2, 3, 1], [3, 4, 2, 3], [1, 2, 2, 2, 1]])
@pytest.mark.parametrize("n", [1, 3])
def test_mlp_counts_equal_what_the_implementations_count(sizes, n):
    rng = np.random.default_rng(len(sizes) * 10 + n)
    params = mlp.init_params(sizes, rng)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.normal(size=(n, sizes[-1]))
    counts = complexity.mlp_counts(sizes, n)
    per_node = backprop.per_node_backprop(params, X, y, "tanh", "identity", "mse")
    assert counts["backprop"] == per_node.n_madds
    fd = naive.mlp_finite_difference_gradients(params, X, y, "tanh", "identity", "mse")
    assert counts["finite differences"] == fd.n_madds
    one_sided = complexity.mlp_counts(sizes, n, central=False)["finite differences"]
    fd1 = naive.mlp_finite_difference_gradients(
        params, X, y, "tanh", "identity", "mse", central=False
    )
    assert one_sided == fd1.n_madds


def test_chain_count_slopes_are_two_and_one():
    table = complexity.chain_costs([8, 16, 32, 64, 128, 256], timing=False)
    slopes = table.slopes()
    assert slopes["finite differences"] == pytest.approx(2.0, abs=0.25)
    assert slopes["naive chain rule"] == pytest.approx(2.0, abs=0.25)
    assert slopes["backprop"] == pytest.approx(1.0, abs=0.25)
    assert table.times is None and table.unit == "multiplications"
    np.testing.assert_array_equal(table.edges, table.sizes)


def test_mlp_count_slopes_are_two_and_one():
    table = complexity.mlp_costs([2, 4, 8, 16, 32, 64], timing=False)
    slopes = table.slopes()
    assert slopes["finite differences"] == pytest.approx(2.0, abs=0.25)
    assert slopes["backprop"] == pytest.approx(1.0, abs=0.25)
    expected_E = [naive.count_edges([2, w, w, 1]) for w in table.sizes]
    assert table.edges.tolist() == expected_E
    assert table.unit == "multiply-adds"


def test_counts_are_deterministic():
    a = complexity.mlp_costs([3, 5], depth=3, n_examples=4, timing=False, rng=1)
    b = complexity.mlp_costs([3, 5], depth=3, n_examples=4, timing=False, rng=2)
    for m in a.counts:
        np.testing.assert_array_equal(a.counts[m], b.counts[m])


def test_timing_reports_positive_times_for_every_method():
    chain = complexity.chain_costs([4, 8], repeats=1)
    net = complexity.mlp_costs(
        [2, 3], n_examples=2, repeats=1, loss="ce", output="softmax", n_outputs=3
    )
    for table in (chain, net):
        assert set(table.times) == set(table.counts)
        for times in table.times.values():
            assert times.shape == table.sizes.shape
            assert np.all(np.isfinite(times)) and np.all(times > 0)
        assert set(table.slopes("times")) == set(table.counts)
    json.dumps(chain.as_dict())  # plain data, ready for a benchmark report
    assert complexity.chain_costs([5], timing=False).as_dict()["slopes"] is None


def test_slopes_of_times_need_timing():
    with pytest.raises(ValueError, match="timing=True"):
        complexity.chain_costs([2, 4], timing=False).slopes("times")
    with pytest.raises(ValueError, match="which"):
        complexity.chain_costs([2, 4], timing=False).slopes("seconds")


def test_fit_power_law_recovers_exponent_and_coefficient():
    sizes = np.array([3.0, 10.0, 30.0, 100.0])
    k, c = complexity.fit_power_law(sizes, 0.5 * sizes**1.7)
    assert k == pytest.approx(1.7, rel=1e-12) and c == pytest.approx(0.5, rel=1e-12)
    assert complexity.fit_slope(sizes, 7 * sizes) == pytest.approx(1.0, rel=1e-12)
    noisy = 2 * sizes**2 * np.array([1.1, 0.9, 1.05, 0.95])
    assert complexity.fit_slope(sizes, noisy) == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    "sizes, costs, match",
    [
        ([1, 2], [1, 2, 3], "one length"),
        ([1], [1], "two points"),
        ([1, 2], [0, 1], "positive"),
        ([-1, 2], [1, 1], "positive"),
        ([1, 2], [1, np.inf], "positive"),
        ([3, 3], [1, 2], "not all be equal"),
    ],
)
def test_fit_rejects_bad_input(sizes, costs, match):
    with pytest.raises(ValueError, match=match):
        complexity.fit_slope(sizes, costs)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: complexity.chain_costs([], timing=False), "at least one"),
        (lambda: complexity.chain_costs([0, 4], timing=False), "lengths"),
        (lambda: complexity.chain_costs([2.5], timing=False), "lengths"),
        (lambda: complexity.chain_costs([2, 4], repeats=0), "repeats"),
        (lambda: complexity.chain_counts(0), "T"),
        (lambda: complexity.mlp_costs([0], timing=False), "widths"),
        (lambda: complexity.mlp_costs([2], depth=0, timing=False), "depth"),
        (lambda: complexity.mlp_costs([2], loss="hinge", timing=False), "loss"),
        (lambda: complexity.mlp_costs([2], output="tanh", timing=False), "needs output"),
        (lambda: complexity.mlp_costs([2], n_examples=0, timing=False), "n_examples"),
        (lambda: complexity.mlp_counts([2]), "at least two"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_counting_mul_counts_each_multiplication_and_multiplies():
    mul = complexity.CountingMul()
    assert mul(2.0, 3.0) == 6.0
    assert np.array_equal(mul(np.array([1.0, 2.0]), 2.0), [2.0, 4.0])
    assert mul.count == 2
    mul.reset()
    assert mul.count == 0


def test_call_counter_counts_calls_and_passes_arguments_through():
    loss = complexity.CallCounter(lambda p, scale=1.0: scale * float(np.sum(p["w"])))
    assert loss({"w": np.ones(3)}) == 3.0
    assert loss({"w": np.ones(2)}, scale=2.0) == 4.0
    assert loss.count == 2
    loss.reset()
    assert loss.count == 0
    with pytest.raises(TypeError, match="needs a function"):
        complexity.CallCounter(3)
