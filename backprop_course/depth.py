"""Deep networks at initialisation: per-layer statistics of activations and gradients.

Lecture 8 measures, layer by layer, what happens to the forward signal ``A_l`` and to the
gradients ``dW_l`` in a deep network before any training: the gradient norms that vanish
(sigmoid) or stay level (tanh with LeCun's scale, ReLU with He's), the activations that
collapse to zero or saturate under a bad scale, and the ReLU units that output 0 for every
example ("dead"). Nothing here re-implements the network: :func:`layer_statistics` runs
:func:`backprop_course.mlp.forward` and :func:`backprop_course.mlp.backward` and only measures.

The scale comes from one line of algebra. A pre-activation ``s_j = sum_i a_i W[i, j]`` over
``d_in`` independent inputs, with ``E[W] = 0``, has::

    Var(s_j) = d_in * E[a^2] * Var(W)

so ``Var(W) = 1 / d_in`` keeps ``Var(s) = E[a^2]`` (LeCun); ReLU halves ``E[a^2]`` relative
to ``Var(s)`` of the layer before, hence ``2 / d_in`` (He); the backward pass sums over
``d_out`` messages, and Xavier/Glorot's ``2 / (d_in + d_out)`` is the compromise
(:func:`backprop_course.mlp.init_std`). :func:`sampled_preactivation_variance` checks the
formula by sampling.

>>> stats = layer_statistics(*deep_net("tanh", "lecun", depth=3, width=20, n=50, rng=0), "tanh")
>>> stats.grad_norm.shape, stats.act_std.shape
((4,), (3,))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from . import mlp
from ._validate import as_matrix, check_count, check_positive

__all__ = [
    "LayerStats",
    "deep_net",
    "layer_statistics",
    "compare_inits",
    "dead_units",
    "sampled_preactivation_variance",
]


@dataclass(frozen=True)
class LayerStats:
    """What :func:`layer_statistics` measured in a network of ``L`` weight layers.

    Hidden layers are ``l = 1..L-1`` (index ``l - 1`` in the arrays of that length); weight
    layers ``l = 1..L`` (index ``l - 1`` in ``grad_norm`` and ``weight_grads``).

    Attributes
    ----------
    hidden : the hidden activation
    act_mean, act_std : ``(L-1,)`` mean and standard deviation of each hidden ``A_l``
    dead_fraction : ``(L-1,)`` fraction of each hidden layer's units that output 0 (or less)
        for every example of the batch: a ReLU unit in that state gets no gradient at all
    grad_norm : ``(L,)`` Frobenius norm ``||dW_l||`` of each weight layer's gradient
    activations : the hidden ``A_l``, each ``(n, d_l)``, for histograms
    weight_grads : ``dW_1 .. dW_L``, each of ``W_l``'s shape
    loss : the batch-mean cross-entropy
    """

    hidden: str
    act_mean: np.ndarray
    act_std: np.ndarray
    dead_fraction: np.ndarray
    grad_norm: np.ndarray
    activations: list[np.ndarray]
    weight_grads: list[np.ndarray]
    loss: float


def deep_net(
    hidden: str,
    init: str | float,
    *,
    depth: int = 10,
    width: int = 100,
    n: int = 200,
    n_classes: int = 10,
    rng: np.random.Generator | int | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """A fresh deep network and a batch to measure it on: ``(params, X, y)``.

    ``depth`` hidden layers of ``width`` units read ``width`` inputs and feed a softmax over
    ``n_classes``: layer sizes ``[width] * (depth + 1) + [n_classes]``, so ``L = depth + 1``
    weight layers, initialised by :func:`backprop_course.mlp.init_params` with ``init`` (a
    scheme or a standard deviation). ``X (n, width)`` is standard normal, ``y (n,)`` random
    class labels: at initialisation the network knows nothing, so random labels are as good
    as real ones for measuring how signals travel.

    >>> params, X, y = deep_net("relu", "he", depth=2, width=5, n=4, n_classes=3, rng=0)
    >>> [params[k].shape for k in ("W1", "W3")], X.shape, y.shape
    ([(5, 5), (5, 3)], (4, 5), (4,))
    """
    rng = np.random.default_rng(rng)
    depth = check_count(depth, "depth")
    width = check_count(width, "width")
    n = check_count(n, "n")
    n_classes = check_count(n_classes, "n_classes", minimum=2)
    X = rng.standard_normal((n, width))
    y = rng.integers(0, n_classes, n)
    params = mlp.init_params([width] * (depth + 1) + [n_classes], rng, hidden=hidden, init=init)
    return params, X, y


def dead_units(A: np.ndarray) -> np.ndarray:
    """Which units ``j`` output ``A[k, j] <= 0`` for every example ``k``: ``(d,)`` booleans.

    For ReLU such a unit is dead on this batch: ``ReLU'(s) = 0`` for every example, so its
    incoming weights receive a zero gradient and no SGD step on this batch can revive it.

    >>> dead_units(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])).tolist()
    [True, False, False]
    """
    A = as_matrix(A, "A")
    return np.all(A <= 0, axis=0)


def layer_statistics(
    params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray, hidden: str
) -> LayerStats:
    """Per-layer statistics of one forward and backward pass (softmax output, cross-entropy).

    Parameters
    ----------
    params : from :func:`deep_net` or :func:`backprop_course.mlp.init_params`
    X : ``(n, d_0)``;  y : class labels ``(n,)`` in ``0..d_L-1``
    hidden : "sigmoid", "tanh", "relu" or "identity"

    The backward pass starts from ``delta_L = (softmax(S_L) - Y) / n`` and is
    :func:`backprop_course.mlp.backward`, so ``grad_norm[l - 1] = ||A_{l-1}.T @ delta_l||``.

    >>> W = {"W1": np.array([[1.0, -1.0]]), "b1": np.zeros(2),
    ...      "W2": np.eye(2), "b2": np.zeros(2)}
    >>> s = layer_statistics(W, np.array([[1.0], [2.0]]), np.array([0, 1]), "relu")
    >>> s.dead_fraction.tolist(), s.act_mean.tolist()
    ([0.5], [0.75])
    """
    L = mlp.n_layers(params)
    A_L, cache = mlp.forward(params, X, hidden, "softmax")
    n = A_L.shape[0]
    Y = mlp.targets(y, n, A_L.shape[1], "ce")
    grads = mlp.backward(params, cache, (A_L - Y) / n, hidden)
    loss = float(-np.sum(Y * np.log(np.clip(A_L, 1e-300, None))) / n)
    hidden_A = [cache[l][1] for l in range(1, L)]
    return LayerStats(
        hidden=hidden,
        act_mean=np.array([A.mean() for A in hidden_A]),
        act_std=np.array([A.std() for A in hidden_A]),
        dead_fraction=np.array([dead_units(A).mean() for A in hidden_A]),
        grad_norm=np.array([np.linalg.norm(grads[f"W{l}"]) for l in range(1, L + 1)]),
        activations=hidden_A,
        weight_grads=[grads[f"W{l}"] for l in range(1, L + 1)],
        loss=loss,
    )


def compare_inits(
    hiddens: Iterable[str],
    inits: Iterable[str | float],
    *,
    depth: int = 10,
    width: int = 100,
    n: int = 200,
    rng: int = 0,
) -> dict[tuple[str, str | float], LayerStats]:
    """:func:`layer_statistics` of :func:`deep_net` for every (hidden, init) pair.

    Every pair uses the same seed ``rng``, hence the same ``X`` and ``y`` and the same
    standard-normal draws behind the weights: the networks differ only in activation and
    scale.

    >>> runs = compare_inits(["tanh"], ["lecun", 1.0], depth=3, width=30, n=40)
    >>> sorted(runs, key=str)
    [('tanh', 'lecun'), ('tanh', 1.0)]
    """
    if not isinstance(rng, int | np.integer):
        raise ValueError(f"rng must be an integer seed (shared by every run), got {rng!r}")
    return {
        (h, i): layer_statistics(
            *deep_net(h, i, depth=depth, width=width, n=n, rng=int(rng)), hidden=h
        )
        for h in hiddens
        for i in inits
    }


def sampled_preactivation_variance(
    d_in: int,
    var_w: float,
    *,
    inputs: str = "normal",
    n: int = 20_000,
    rng: np.random.Generator | int | None = None,
) -> tuple[float, float]:
    """Sample ``s = sum_i a_i W[i]`` over ``d_in`` inputs; return ``(sampled, predicted)`` Var(s).

    ``W[i] ~ N(0, var_w)``, drawn afresh for each of the ``n`` samples. ``inputs`` is
    "normal" (``a ~ N(0, 1)``, ``E[a^2] = 1``) or "relu" (``a = max(z, 0)`` with
    ``z ~ N(0, 1)``, ``E[a^2] = 1/2``); the prediction is ``d_in * E[a^2] * var_w``.

    >>> sampled, predicted = sampled_preactivation_variance(100, 0.01, rng=0)
    >>> print(f"{sampled:.1f} vs {predicted:.1f}")
    1.0 vs 1.0
    """
    rng = np.random.default_rng(rng)
    d_in = check_count(d_in, "d_in")
    n = check_count(n, "n", minimum=2)
    var_w = check_positive(var_w, "var_w")
    if inputs not in ("normal", "relu"):
        raise ValueError(f"inputs must be 'normal' or 'relu', got {inputs!r}")
    a = rng.standard_normal((n, d_in))
    second_moment = 1.0
    if inputs == "relu":
        a = np.maximum(a, 0.0)
        second_moment = 0.5
    W = rng.standard_normal((n, d_in)) * np.sqrt(var_w)
    s = np.sum(a * W, axis=1)
    return float(s.var()), d_in * second_moment * var_w
