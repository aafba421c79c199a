"""Backpropagation node by node, with explicit loops, exactly as derived on the slides.

This is the derivation of Hajij's deck ("The Backpropagation Algorithm") turned into code. A
node ``i`` adds up its weighted inputs and squashes the sum::

    a_i = sum_l u_il z_l          (+ the bias b_i: an edge from a node that is always 1)
    z_i = sigma(a_i)

For one example with cost ``C_0``, the chain rule through ``a_i`` gives every weight's
derivative from one number per node, ``delta_i = dC_0/da_i``::

    dC_0/du_il = delta_i z_l                              (da_i/du_il = z_l)
    delta_i    = sigma'(a_i) sum_j delta_j u_ji           (j: the nodes that i feeds)
    delta_k    = -2 (y_k - y'_k) sigma'(a_k)              (output node k, C_0 = (y - y')^2)

Knowing the output deltas we get the deltas of the layer before, and so on backwards: hence
the name. The code below keeps the slides' letters: ``i`` a node of the current layer, ``l``
a node of the layer before it (its inputs), ``j`` a node of the layer after it. Layers are
numbered ``t = 0 (inputs), 1, ..., L`` so the letter ``l`` stays free for nodes.

Mapping to :mod:`backprop_course.mlp`'s parameters: ``u_il``, the weight *into* node ``i`` of
layer ``t`` *from* node ``l`` of layer ``t-1``, is ``params[f"W{t}"][l, i]``; the bias of node
``i`` is ``params[f"b{t}"][i]``; ``a_i`` is ``S_t[i]`` and ``z_i`` is ``A_t[i]``. So
``dC_0/du_il = delta_i z_l`` fills ``dW_t[l, i]``, and ``sum_j delta_j u_ji`` reads row ``i``
of ``W_{t+1}``. The matrix form (``mlp``) does the same sums as matrix products; this module
is there to teach the sums and to cross-check the matrix form.

Other losses change only the output deltas (see :func:`output_deltas`):

* ``mse``: ``C_0 = sum_k (y_k - y'_k)^2``, ``delta_k = -2 (y_k - y'_k) sigma'(a_k)``, any
  output activation;
* ``bce`` (sigmoid output): ``C_0 = -[y log y' + (1 - y) log(1 - y')]``; since
  ``dC_0/dy' = (y' - y) / (y'(1 - y'))`` and ``sigma'(a) = y'(1 - y')``, ``delta_k = y'_k - y_k``;
* ``ce`` (softmax output ``y'_k = e^{a_k} / sum_m e^{a_m}``): ``delta_k = y'_k - y_k``.

For a batch the loss is the mean of ``C_0`` over the examples, so the gradient is the mean of
the per-example gradients: one loop over examples around everything above.

>>> import numpy as np
>>> from backprop_course import mlp
>>> params = mlp.init_params([2, 3, 1], rng=0)
>>> x, y = np.array([0.5, -1.0]), 1.0
>>> grads = per_node_gradients(params, x, y, hidden="tanh", output="sigmoid", loss="bce")
>>> _, matrix = mlp.loss_and_grads(params, x[None, :], [y], "tanh", "sigmoid", "bce")
>>> all(np.allclose(grads[k], matrix[k], rtol=1e-12) for k in params)
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from . import activations, mlp
from ._validate import as_matrix

__all__ = [
    "PerNodeResult",
    "forward_per_node",
    "output_deltas",
    "per_node_backprop",
    "per_node_gradients",
]


@dataclass
class PerNodeResult:
    """Everything the per-node backward pass computed.

    Attributes
    ----------
    loss : float
        The mean of ``C_0`` over the examples (equal to ``mlp.loss_and_grads``'s loss).
    grads : dict
        ``{"W1": (d_0, d_1), "b1": (d_1,), ...}``, the keys and shapes of ``params``.
    a, z : dict of arrays
        Per layer ``t``: the pre-activations ``a[t]`` (``t = 1..L``) and the outputs
        ``z[t]`` (``t = 0..L``, ``z[0]`` the input), shape ``(n, d_t)`` for a batch or
        ``(d_t,)`` for one example.
    deltas : dict of arrays
        ``deltas[t] = dC_0/da`` for layer ``t = 1..L``, per example (no ``1/n``), shaped like
        ``a[t]``. ``mlp``'s ``delta_t`` for a batch of ``n`` is ``deltas[t] / n``.
    n_madds : int
        Multiply-adds done on edges (a bias counts as an edge from a constant 1): ``E`` per
        example forward, ``E`` for the weight gradients, and one per edge between two
        non-input layers for the deltas. Activations (work per node) are not counted.
    """

    loss: float
    grads: dict[str, np.ndarray]
    a: dict[int, np.ndarray]
    z: dict[int, np.ndarray]
    deltas: dict[int, np.ndarray]
    n_madds: int


def _as_batch(params, x, y, loss):
    """``x`` and ``y`` as a batch ``X (n, d_0)``, ``Y (n, d_L)``, and whether it was one example."""
    L = mlp.n_layers(params)
    d_in, d_out = np.shape(params["W1"])[0], np.shape(params[f"W{L}"])[1]
    arr = np.asarray(x)
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
        y = np.asarray(y)
        if loss == "ce" and y.ndim == 0:
            y = y[None]  # one class index
        elif y.ndim == 0:
            y = y[None, None]
        elif y.ndim == 1:
            y = y[None, :]
    X = as_matrix(arr, "x" if single else "X")
    if X.shape[1] != d_in:
        raise ValueError(f"x has {X.shape[1]} features but W1 expects {d_in} (x is {X.shape})")
    Y = mlp.targets(y, X.shape[0], d_out, loss, np.float64)
    return L, X, Y, single


def forward_per_node(
    params: Mapping[str, np.ndarray],
    x: np.ndarray,
    hidden: str = "tanh",
    output: str = "sigmoid",
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray], int]:
    """Forward pass of one example, one node at a time: ``a_i = b_i + sum_l u_il z_l``.

    Parameters
    ----------
    params : dict ``{"W1": (d_0, d_1), "b1": (d_1,), ...}`` as from ``mlp.init_params``
    x : array ``(d_0,)``, one example
    hidden, output : activation names (``output`` may also be ``"softmax"``)

    Returns
    -------
    a : dict ``{t: (d_t,)}`` for ``t = 1..L``, the pre-activations
    z : dict ``{t: (d_t,)}`` for ``t = 0..L``, with ``z[0] = x``
    n_madds : int, ``E`` multiply-adds (weights and biases)

    >>> from backprop_course import mlp
    >>> p = {"W1": np.array([[1.0], [2.0]]), "b1": np.array([0.5])}
    >>> a, z, n = forward_per_node(p, np.array([1.0, 1.0]), output="identity")
    >>> print(a[1], z[1], n)
    [3.5] [3.5] 3
    """
    mlp._check_config(hidden, output)
    L = mlp.n_layers(params)
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"x must be one example of shape (d_0,), got shape {x.shape}")
    X = as_matrix(x[None, :], "x")
    if X.shape[1] != np.shape(params["W1"])[0]:
        raise ValueError(f"x has {X.shape[1]} features but W1 expects {params['W1'].shape[0]}")
    return _forward_one(params, X[0], L, hidden, output)


def _forward_one(params, x, L, hidden, output):
    sigma = activations.ACTIVATIONS[hidden].function
    a: dict[int, np.ndarray] = {}
    z: dict[int, np.ndarray] = {0: np.array(x, dtype=np.float64)}
    n_madds = 0
    for t in range(1, L + 1):
        U = np.asarray(params[f"W{t}"], dtype=np.float64)  # U[l, i] = u_il
        b = np.asarray(params[f"b{t}"], dtype=np.float64)
        d_prev, d_t = U.shape
        a[t] = np.zeros(d_t)
        for i in range(d_t):
            a_i = b[i]  # the bias: weight b_i on a constant input 1
            n_madds += 1
            for l in range(d_prev):
                a_i += U[l, i] * z[t - 1][l]  # a_i = sum_l u_il z_l
                n_madds += 1
            a[t][i] = a_i
        if t < L:
            z[t] = np.array([float(sigma(np.float64(a_i))) for a_i in a[t]])
        elif output == "softmax":  # y'_k = e^{a_k} / sum_m e^{a_m}, shifted by max(a)
            m = max(a[t])
            e = [math.exp(a_k - m) for a_k in a[t]]
            total = sum(e)
            z[t] = np.array([e_k / total for e_k in e])
        else:
            f = activations.ACTIVATIONS[output].function
            z[t] = np.array([float(f(np.float64(a_k))) for a_k in a[t]])
    return a, z, n_madds


def output_deltas(
    a_out: np.ndarray, z_out: np.ndarray, y: np.ndarray, output: str, loss: str
) -> tuple[np.ndarray, float]:
    """The output layer's ``delta_k = dC_0/da_k`` and the cost ``C_0`` of one example.

    Parameters
    ----------
    a_out, z_out : arrays ``(d_L,)``, the output layer's pre-activations and outputs ``y'``
    y : array ``(d_L,)``, the target (0/1 for ``bce``, one-hot for ``ce``)
    output, loss : ``mse`` with any output but softmax, ``bce`` with ``sigmoid``, ``ce`` with
        ``softmax``

    Returns
    -------
    delta : array ``(d_L,)``; ``-2 (y_k - y'_k) sigma'(a_k)`` for ``mse``, ``y'_k - y_k`` for
        ``bce`` and ``ce``
    cost : float, ``C_0`` (``bce`` and ``ce`` computed from ``a`` so it is finite when ``y'``
        rounds to 0 or 1)

    >>> d, c = output_deltas(np.array([0.0]), np.array([0.5]), np.array([1.0]), "sigmoid", "mse")
    >>> print(d, f"{c:.2f}")
    [-0.25] 0.25
    """
    mlp._check_config("tanh", output, loss)
    a_out, z_out, y = (np.asarray(v, dtype=np.float64) for v in (a_out, z_out, y))
    if not a_out.shape == z_out.shape == y.shape or a_out.ndim != 1:
        raise ValueError(
            f"a_out, z_out and y must be 1-D of one length, got {a_out.shape}, "
            f"{z_out.shape}, {y.shape}"
        )
    delta = np.zeros_like(a_out)
    cost = 0.0
    if loss == "mse":
        dsigma = activations.ACTIVATIONS[output].derivative
        for k in range(a_out.size):
            delta[k] = -2.0 * (y[k] - z_out[k]) * float(dsigma(np.float64(a_out[k])))
            cost += (y[k] - z_out[k]) ** 2
    elif loss == "bce":
        for k in range(a_out.size):
            delta[k] = z_out[k] - y[k]
            # -[y log sigma(a) + (1 - y) log(1 - sigma(a))] = log(1 + e^a) - y a
            cost += float(np.logaddexp(0.0, a_out[k])) - y[k] * a_out[k]
    else:  # ce
        m = max(a_out)
        log_sum = m + math.log(sum(math.exp(a_m - m) for a_m in a_out))
        for k in range(a_out.size):
            delta[k] = z_out[k] - y[k]
            cost += y[k] * (log_sum - a_out[k])  # -y_k log y'_k
    return delta, float(cost)


def _backward_one(params, a, z, delta_out, L, hidden):
    """Per-node deltas and gradients of one example; returns (grads, deltas, n_madds)."""
    dsigma = activations.ACTIVATIONS[hidden].derivative
    deltas = {L: delta_out}
    n_madds = 0
    for t in range(L - 1, 0, -1):  # backwards through the hidden layers
        U_next = np.asarray(params[f"W{t + 1}"], dtype=np.float64)  # U_next[i, j] = u_ji
        d_t, d_next = U_next.shape
        deltas[t] = np.zeros(d_t)
        for i in range(d_t):
            s = 0.0
            for j in range(d_next):
                s += deltas[t + 1][j] * U_next[i, j]  # sum_j delta_j u_ji
                n_madds += 1
            deltas[t][i] = float(dsigma(np.float64(a[t][i]))) * s  # times sigma'(a_i)
    grads = {}
    for t in range(1, L + 1):
        d_prev, d_t = np.shape(params[f"W{t}"])
        dU = np.zeros((d_prev, d_t))
        db = np.zeros(d_t)
        for i in range(d_t):
            for l in range(d_prev):
                dU[l, i] = deltas[t][i] * z[t - 1][l]  # dC_0/du_il = delta_i z_l
                n_madds += 1
            db[i] = deltas[t][i]  # the bias input is 1
            n_madds += 1
        grads[f"W{t}"], grads[f"b{t}"] = dU, db
    return grads, deltas, n_madds


def per_node_backprop(
    params: Mapping[str, np.ndarray],
    x: np.ndarray,
    y,
    hidden: str = "tanh",
    output: str = "sigmoid",
    loss: str = "bce",
) -> PerNodeResult:
    """Loss, gradients, activations and deltas by per-node loops, for one example or a batch.

    Parameters
    ----------
    params : dict ``{"W1": (d_0, d_1), "b1": (d_1,), ...}``; ``u_il`` of layer ``t`` is
        ``params[f"W{t}"][l, i]``
    x : array ``(d_0,)`` (one example) or ``(n, d_0)`` (a batch)
    y : targets as ``mlp.loss_and_grads`` takes them (for one example: a number, a ``(d_L,)``
        vector, or for ``ce`` a class index or one-hot vector)
    hidden : "sigmoid", "tanh", "relu" or "identity"
    output : one of those or "softmax"
    loss : "mse" (any output but softmax), "bce" (sigmoid output), "ce" (softmax output)

    Returns
    -------
    PerNodeResult
        ``loss`` and ``grads`` equal to ``mlp.loss_and_grads`` (mean over the batch); ``a``,
        ``z`` and ``deltas`` per layer, shaped ``(d_t,)`` for one example and ``(n, d_t)``
        for a batch; ``n_madds`` counted in the loops.

    >>> from backprop_course import mlp
    >>> p = mlp.init_params([2, 2, 1], rng=1)
    >>> r = per_node_backprop(p, np.array([[1.0, 0.0], [0.0, 1.0]]), [0.0, 1.0], "relu",
    ...                       "identity", "mse")
    >>> r.deltas[1].shape, r.grads["W1"].shape
    ((2, 2), (2, 2))
    >>> r.n_madds  # 2 examples x (9 forward + 9 gradient + 2 delta multiply-adds)
    40
    """
    mlp._check_config(hidden, output, loss)
    L, X, Y, single = _as_batch(params, x, y, loss)
    n = X.shape[0]
    grads = {k: np.zeros(np.shape(v)) for k, v in params.items()}
    a_all: dict[int, list] = {t: [] for t in range(1, L + 1)}
    z_all: dict[int, list] = {t: [] for t in range(L + 1)}
    d_all: dict[int, list] = {t: [] for t in range(1, L + 1)}
    total, n_madds = 0.0, 0
    for x_k, y_k in zip(X, Y, strict=True):  # one example at a time
        a, z, m_fwd = _forward_one(params, x_k, L, hidden, output)
        delta_out, cost = output_deltas(a[L], z[L], y_k, output, loss)
        g, deltas, m_bwd = _backward_one(params, a, z, delta_out, L, hidden)
        total += cost
        n_madds += m_fwd + m_bwd
        for key in grads:
            grads[key] += g[key] / n  # the loss is the mean over the batch
        for t in range(L + 1):
            z_all[t].append(z[t])
            if t:
                a_all[t].append(a[t])
                d_all[t].append(deltas[t])

    def stack(d):
        return {t: (v[0] if single else np.array(v)) for t, v in d.items()}

    return PerNodeResult(
        loss=total / n,
        grads=grads,
        a=stack(a_all),
        z=stack(z_all),
        deltas=stack(d_all),
        n_madds=n_madds,
    )


def per_node_gradients(
    params: Mapping[str, np.ndarray],
    x: np.ndarray,
    y,
    hidden: str = "tanh",
    output: str = "sigmoid",
    loss: str = "bce",
    *,
    return_deltas: bool = False,
):
    """Gradients of the (batch-mean) loss by per-node backprop, in ``mlp``'s dict format.

    Same arguments as :func:`per_node_backprop`. Returns ``grads`` (keys and shapes of
    ``params``), or ``(grads, deltas)`` with ``deltas[t] = dC_0/da`` per layer ``t = 1..L``
    when ``return_deltas`` is true.

    >>> from backprop_course import mlp
    >>> p = {"W1": np.array([[2.0]]), "b1": np.array([0.5])}
    >>> g, d = per_node_gradients(p, np.array([1.0]), 3.0, "tanh", "identity", "mse",
    ...                           return_deltas=True)
    >>> print(g["W1"], g["b1"], d[1])
    [[-1.]] [-1.] [-1.]
    """
    result = per_node_backprop(params, x, y, hidden, output, loss)
    if return_deltas:
        return result.grads, result.deltas
    return result.grads
