"""How the cost of a gradient grows with the number of weights: counts, times, slopes.

On a log-log plot a cost ``c E^k`` is a straight line of slope ``k``, so the fitted slope
tells the growth rate: about 2 for finite differences and the naive chain rule (``O(E^2)``),
about 1 for backpropagation (``O(E)``).

Two sweeps, each returning a :class:`CostTable`:

* :func:`chain_costs` on the 1-D chain ``y_hat = a w_T ... w_1 x`` for chain lengths ``T``
  (``E = T`` weights): finite differences, the naive chain rule and backprop, counted in
  multiplications;
* :func:`mlp_costs` on MLPs of growing width: finite differences (on ``mlp``'s forward pass)
  and backprop, counted in multiply-adds on edges.

The counts are exact closed forms (:func:`chain_counts`, :func:`mlp_counts`), equal to what
the counting implementations in :mod:`~backprop_course.naive` and
:mod:`~backprop_course.backprop` tally in their loops (the tests check it). Wall times are
measured (best of ``repeats``) only when ``timing=True``; they depend on the machine and are
reported, never relied on.

>>> table = chain_costs([8, 16, 32, 64], timing=False)
>>> {m: round(s, 2) for m, s in table.slopes().items()}
{'finite differences': 1.95, 'naive chain rule': 1.95, 'backprop': 1.03}
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from . import mlp, naive
from ._validate import check_choice, check_count

# the counters test cells hand to a student's code (the grader mirrors them in its kernel)
from .grading.scoring.checks import CallCounter, CountingMul

__all__ = [
    "CallCounter",
    "CostTable",
    "CountingMul",
    "chain_costs",
    "chain_counts",
    "fit_power_law",
    "fit_slope",
    "mlp_costs",
    "mlp_counts",
]


@dataclass
class CostTable:
    """Costs of several gradient methods over a sweep of problem sizes.

    Attributes
    ----------
    size_name : str
        What was swept: ``"T"`` (chain length) or ``"width"`` (hidden width).
    sizes : array ``(m,)`` of the swept values
    edges : array ``(m,)``, ``E``: the number of weights whose gradient is computed
    counts : dict ``{method: array (m,)}`` of exact operation counts
    unit : str, what ``counts`` counts (``"multiplications"`` or ``"multiply-adds"``)
    times : dict ``{method: array (m,)}`` of seconds (best of the repeats), or None
    """

    size_name: str
    sizes: np.ndarray
    edges: np.ndarray
    counts: dict[str, np.ndarray]
    unit: str
    times: dict[str, np.ndarray] | None = field(default=None)

    def slopes(self, which: str = "counts") -> dict[str, float]:
        """Fitted log-log slope of each method's ``counts`` (or ``times``) against ``edges``.

        >>> t = mlp_costs([4, 8, 16], timing=False)
        >>> print(f"{t.slopes()['finite differences']:.2f}")
        2.00
        """
        check_choice(which, "which", ("counts", "times"))
        data = self.counts if which == "counts" else self.times
        if data is None:
            raise ValueError("no times were measured; build the table with timing=True")
        return {method: fit_slope(self.edges, costs) for method, costs in data.items()}

    def as_dict(self) -> dict:
        """Plain lists and numbers (for JSON): sizes, edges, counts, times, slopes.

        >>> sorted(chain_costs([2, 4], timing=False).as_dict())
        ['counts', 'edges', 'size_name', 'sizes', 'slopes', 'times', 'unit']
        """
        return {
            "size_name": self.size_name,
            "sizes": self.sizes.tolist(),
            "edges": self.edges.tolist(),
            "unit": self.unit,
            "counts": {m: c.tolist() for m, c in self.counts.items()},
            "times": None if self.times is None else {m: t.tolist() for m, t in self.times.items()},
            # a slope needs two different sizes
            "slopes": self.slopes() if np.unique(self.edges).size > 1 else None,
        }


# ---- fitting -------------------------------------------------------------------------------
def fit_power_law(sizes: Sequence[float], costs: Sequence[float]) -> tuple[float, float]:
    """Least-squares fit of ``log cost = k log size + log c``; returns ``(k, c)``.

    Parameters
    ----------
    sizes, costs : arrays ``(m,)``, positive and finite, ``m >= 2``, not all sizes equal

    Returns
    -------
    slope k, coefficient c : floats with ``cost ~ c * size**k``

    >>> k, c = fit_power_law([1, 2, 4, 8], [3, 12, 48, 192])
    >>> print(f"{k:.3f} {c:.3f}")
    2.000 3.000
    """
    x = np.asarray(sizes, dtype=np.float64)
    y = np.asarray(costs, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"sizes and costs must be 1-D of one length, got {x.shape} and {y.shape}")
    if x.size < 2:
        raise ValueError(f"a slope needs at least two points, got {x.size}")
    for name, v in (("sizes", x), ("costs", y)):
        if not (np.isfinite(v).all() and (v > 0).all()):
            raise ValueError(f"{name} must be positive and finite for a log-log fit, got {v}")
    lx, ly = np.log(x), np.log(y)
    if np.ptp(lx) == 0:
        raise ValueError(f"sizes must not all be equal, got {x}")
    k, log_c = np.polyfit(lx, ly, 1)
    return float(k), float(np.exp(log_c))


def fit_slope(sizes: Sequence[float], costs: Sequence[float]) -> float:
    """The fitted log-log slope ``k`` of ``cost ~ c * size**k`` (see :func:`fit_power_law`).

    >>> T = np.array([10, 20, 40, 80])
    >>> print(f"{fit_slope(T, T * (T + 1) / 2):.2f} {fit_slope(T, 2 * T - 1):.2f}")
    1.96 1.02
    """
    return fit_power_law(sizes, costs)[0]


# ---- exact counts ------------------------------------------------------------------------
def chain_counts(T: int, *, central: bool = True) -> dict[str, int]:
    """Multiplications each method needs on a chain of length ``T`` (gradients only).

    * finite differences: ``2T`` forward passes of ``T + 1`` multiplications (one-sided:
      ``T + 1`` passes);
    * naive chain rule: ``T + (T - 1) + ... + 1 = T (T + 1) / 2``;
    * backprop: ``2T - 1``.

    The chain-rule methods also need one forward pass (``T + 1``) for the node values.

    >>> chain_counts(10)
    {'finite differences': 220, 'naive chain rule': 55, 'backprop': 19}
    """
    T = check_count(T, "T")
    passes = 2 * T if central else T + 1
    return {
        "finite differences": passes * (T + 1),
        "naive chain rule": T * (T + 1) // 2,
        "backprop": 2 * T - 1,
    }


def mlp_counts(sizes: Sequence[int], n_examples: int = 1, *, central: bool = True) -> dict:
    """Multiply-adds on edges for one gradient of an MLP with layer sizes ``[d_0, ..., d_L]``.

    With ``E = sum_t (d_{t-1} + 1) d_t`` weights (biases included):

    * finite differences: ``2E`` forward passes (one-sided ``E + 1``) of ``n E`` each;
    * backprop: ``n (E + E + sum_{t=2..L} d_{t-1} d_t)``: the forward pass, ``delta_i z_l``
      for every weight, and ``sum_j delta_j u_ji`` for every edge between non-input layers
      (what :func:`backprop_course.backprop.per_node_backprop` counts).

    >>> mlp_counts([2, 3, 1])
    {'finite differences': 338, 'backprop': 29}
    """
    sizes = list(sizes)
    E = naive.count_edges(sizes)
    n = check_count(n_examples, "n_examples")
    passes = 2 * E if central else E + 1
    hidden_edges = sum(a * b for a, b in zip(sizes[1:-1], sizes[2:], strict=True))
    return {
        "finite differences": passes * n * E,
        "backprop": n * (2 * E + hidden_edges),
    }


# ---- sweeps ----------------------------------------------------------------------------------
def _sizes(values, name: str, minimum: int = 1) -> np.ndarray:
    values = list(values)
    if not values:
        raise ValueError(f"{name} must list at least one size")
    return np.array([check_count(v, f"every entry of {name}", minimum=minimum) for v in values])


def _best_time(fn: Callable[[], object], repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return float(best)


def chain_costs(
    lengths: Sequence[int],
    *,
    central: bool = True,
    timing: bool = True,
    repeats: int = 3,
    rng: np.random.Generator | int | None = 0,
) -> CostTable:
    """Costs of the chain's gradient by finite differences, naive chain rule and backprop.

    Parameters
    ----------
    lengths : chain lengths ``T`` to sweep, integers >= 1
    central : central (default) or one-sided finite differences
    timing : also run each method and record its wall time (seconds, best of ``repeats``)
    rng : seed for the weights (drawn near 1 so long products stay finite)

    Returns
    -------
    CostTable with ``size_name="T"``, ``edges = T``, counts in multiplications

    >>> t = chain_costs([4, 8], timing=False)
    >>> t.counts["naive chain rule"].tolist(), t.counts["backprop"].tolist()
    ([10, 36], [7, 15])
    """
    rng = np.random.default_rng(rng)
    T_values = _sizes(lengths, "lengths")
    repeats = check_count(repeats, "repeats")
    per_T = [chain_counts(int(T), central=central) for T in T_values]
    counts = {m: np.array([c[m] for c in per_T]) for m in per_T[0]}
    times = None
    if timing:
        times = {m: np.zeros(len(T_values)) for m in counts}
        for k, T in enumerate(T_values):
            ws = rng.uniform(0.9, 1.1, size=int(T))
            a, x = 1.5, 0.5
            runs = {
                "finite differences": partial(
                    naive.chain_finite_difference_gradients, a, ws, x, central=central
                ),
                "naive chain rule": partial(naive.naive_chain_gradients, a, ws, x),
                "backprop": partial(naive.backprop_chain_gradients, a, ws, x),
            }
            for method, fn in runs.items():
                times[method][k] = _best_time(fn, repeats)
    return CostTable("T", T_values, T_values.copy(), counts, "multiplications", times)


def mlp_costs(
    widths: Sequence[int],
    *,
    depth: int = 2,
    n_inputs: int = 2,
    n_outputs: int = 1,
    n_examples: int = 1,
    hidden: str = "tanh",
    output: str = "sigmoid",
    loss: str = "bce",
    central: bool = True,
    timing: bool = True,
    repeats: int = 3,
    rng: np.random.Generator | int | None = 0,
) -> CostTable:
    """Costs of an MLP's gradient by finite differences and by backprop as the width grows.

    The network has layer sizes ``[n_inputs] + [width] * depth + [n_outputs]``. Timed runs use
    ``naive.mlp_finite_difference_gradients`` and ``mlp.loss_and_grads`` (matrix form) on
    ``n_examples`` seeded random examples.

    Parameters
    ----------
    widths : hidden widths to sweep, integers >= 1
    depth : number of hidden layers, >= 1
    n_inputs, n_outputs, n_examples : sizes of the input, output and batch
    hidden, output, loss : as in ``mlp.loss_and_grads``
    central, timing, repeats, rng : as in :func:`chain_costs`

    Returns
    -------
    CostTable with ``size_name="width"``, ``edges = E``, counts in multiply-adds

    >>> t = mlp_costs([2, 4], timing=False)
    >>> t.edges.tolist(), t.counts["backprop"].tolist()
    ([15, 37], [36, 94])
    """
    rng = np.random.default_rng(rng)
    width_values = _sizes(widths, "widths")
    depth = check_count(depth, "depth (hidden layers whose width is swept)")
    n_inputs = check_count(n_inputs, "n_inputs")
    n_outputs = check_count(n_outputs, "n_outputs")
    n_examples = check_count(n_examples, "n_examples")
    repeats = check_count(repeats, "repeats")
    # the loss and labels are checked by mlp on a tiny network before any sweep starts
    X = rng.normal(size=(n_examples, n_inputs))
    if loss == "ce":
        y = rng.integers(0, n_outputs, size=n_examples)
    elif loss == "bce":
        y = rng.integers(0, 2, size=(n_examples, n_outputs))
    else:
        y = rng.normal(size=(n_examples, n_outputs))
    tiny = mlp.init_params([n_inputs, n_outputs], rng=0)
    mlp.loss_and_grads(tiny, X, y, hidden, output, loss)

    all_sizes = [[n_inputs] + [int(w)] * depth + [n_outputs] for w in width_values]
    edges = np.array([naive.count_edges(s) for s in all_sizes])
    per_w = [mlp_counts(s, n_examples, central=central) for s in all_sizes]
    counts = {m: np.array([c[m] for c in per_w]) for m in per_w[0]}
    times = None
    if timing:
        times = {m: np.zeros(len(width_values)) for m in counts}
        for k, sizes in enumerate(all_sizes):
            params = mlp.init_params(sizes, rng, hidden=hidden)
            runs = {
                "finite differences": lambda p=params: naive.mlp_finite_difference_gradients(
                    p, X, y, hidden, output, loss, central=central
                ),
                "backprop": lambda p=params: mlp.loss_and_grads(p, X, y, hidden, output, loss),
            }
            for method, fn in runs.items():
                times[method][k] = _best_time(fn, repeats)
    return CostTable("width", width_values, edges, counts, "multiply-adds", times)
