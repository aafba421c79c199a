"""Backpropagation unit by unit, with explicit loops, exactly as derived in lecture 5.

The derivation of lecture 5 (and of the slide decks) turned into code, in the course's one
notation. Unit ``j`` of layer ``l`` adds up its weighted inputs and its bias, and squashes the
sum::

    s_j = sum_i a_i W_l[i, j] + b_l[j]      (i: the units of layer l-1, a = x for l = 1)
    a_j = sigma(s_j)

For one example with loss ``L``, the chain rule through ``s_j`` gives every weight's and
bias's derivative from one number per unit, the backward message ``delta_j = dL/ds_j``::

    dL/dW_l[i, j] = a_i delta_j                              (ds_j/dW_l[i, j] = a_i)
    dL/db_l[j]    = delta_j                                  (ds_j/db_l[j] = 1)
    delta_i       = sigma'(s_i) sum_j W_{l+1}[i, j] delta_j  (i in layer l, j in layer l+1)
    delta_k       = -2 (y_k - y_hat_k) sigma'(s_k)           (output unit k, L = (y - y_hat)^2)

Knowing the output deltas we get the deltas of the layer before, and so on backwards: hence
the name. The code keeps these letters: ``i`` a unit of the layer before (an input of the
unit), ``j`` a unit of the current layer, ``k`` an output unit; layers are ``l = 0 (inputs),
1, ..., L`` (here ``L`` counts layers; the loss of one example is called ``cost``).

The slides' letters: Hajij's deck (002) writes ``a_i = sum_l u_il z_l``, ``z_i = sigma(a_i)``,
cost ``C_0``, so its ``u_il`` is our ``W[l, i]``, its ``a_i`` our ``s_i`` and its ``z_i`` our
``a_i``; the BP deck (000) writes ``w_ij`` (our ``W[i, j]``), ``s_j``, ``x_j`` (our ``a_j``),
with the bias as the weight of a node ``x_0 = 1``. :mod:`backprop_course.mlp` does the same sums
as matrix products on a batch; this module is there to teach the sums and to cross-check it.

Other losses change only the output deltas (see :func:`output_deltas`):

* ``mse``: ``cost = sum_k (y_k - y_hat_k)^2``, ``delta_k = -2 (y_k - y_hat_k) sigma'(s_k)``, any
  output activation;
* ``bce`` (sigmoid output): ``cost = -[y log y_hat + (1 - y) log(1 - y_hat)]``; since
  ``dcost/dy_hat = (y_hat - y) / (y_hat (1 - y_hat))`` and ``sigma'(s) = y_hat (1 - y_hat)``,
  ``delta_k = y_hat_k - y_k``;
* ``ce`` (softmax output ``y_hat_k = e^{s_k} / sum_m e^{s_m}``): ``delta_k = y_hat_k - y_k``.

For a batch the loss is the mean of the per-example costs, so the gradient is the mean of the
per-example gradients: one loop over examples around everything above.

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
        The mean of the per-example cost over the examples (equal to
        ``mlp.loss_and_grads``'s loss).
    grads : dict
        ``{"W1": (d_0, d_1), "b1": (d_1,), ...}``, the keys and shapes of ``params``.
    s, a : dict of arrays
        Per layer ``l``: the pre-activations ``s[l]`` (``l = 1..L``) and the activations
        ``a[l]`` (``l = 0..L``, ``a[0]`` the input), shape ``(n, d_l)`` for a batch or
        ``(d_l,)`` for one example.
    deltas : dict of arrays
        ``deltas[l] = dcost/ds`` for layer ``l = 1..L``, per example (no ``1/n``), shaped like
        ``s[l]``. ``mlp``'s ``delta_l`` for a batch of ``n`` is ``deltas[l] / n``.
    n_madds : int
        Multiply-adds done on edges (a bias counts as an edge from a constant 1): ``E`` per
        example forward, ``E`` for the weight gradients, and one per edge between two
        non-input layers for the deltas. Activations (work per node) are not counted.
    """

    loss: float
    grads: dict[str, np.ndarray]
    s: dict[int, np.ndarray]
    a: dict[int, np.ndarray]
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
    """Forward pass of one example, one unit at a time: ``s_j = b_l[j] + sum_i a_i W_l[i, j]``.

    Parameters
    ----------
    params : dict ``{"W1": (d_0, d_1), "b1": (d_1,), ...}`` as from ``mlp.init_params``
    x : array ``(d_0,)``, one example
    hidden, output : activation names (``output`` may also be ``"softmax"``)

    Returns
    -------
    s : dict ``{l: (d_l,)}`` for ``l = 1..L``, the pre-activations
    a : dict ``{l: (d_l,)}`` for ``l = 0..L``, the activations, with ``a[0] = x``
    n_madds : int, ``E`` multiply-adds (weights and biases)

    >>> from backprop_course import mlp
    >>> p = {"W1": np.array([[1.0], [2.0]]), "b1": np.array([0.5])}
    >>> s, a, n = forward_per_node(p, np.array([1.0, 1.0]), output="identity")
    >>> print(s[1], a[1], n)
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
    s: dict[int, np.ndarray] = {}
    a: dict[int, np.ndarray] = {0: np.array(x, dtype=np.float64)}
    n_madds = 0
    for l in range(1, L + 1):
        W = np.asarray(params[f"W{l}"], dtype=np.float64)  # W[i, j]: from unit i to unit j
        b = np.asarray(params[f"b{l}"], dtype=np.float64)
        d_prev, d_l = W.shape
        s[l] = np.zeros(d_l)
        for j in range(d_l):
            s_j = b[j]  # the bias: a weight on a constant input 1
            n_madds += 1
            for i in range(d_prev):
                s_j += a[l - 1][i] * W[i, j]  # s_j = sum_i a_i W_l[i, j] + b_l[j]
                n_madds += 1
            s[l][j] = s_j
        if l < L:
            a[l] = np.array([float(sigma(np.float64(s_j))) for s_j in s[l]])
        elif output == "softmax":  # y_hat_k = e^{s_k} / sum_m e^{s_m}, shifted by max(s)
            m = max(s[l])
            e = [math.exp(s_k - m) for s_k in s[l]]
            total = sum(e)
            a[l] = np.array([e_k / total for e_k in e])
        else:
            f = activations.ACTIVATIONS[output].function
            a[l] = np.array([float(f(np.float64(s_k))) for s_k in s[l]])
    return s, a, n_madds


def output_deltas(
    s_out: np.ndarray, y_hat: np.ndarray, y: np.ndarray, output: str, loss: str
) -> tuple[np.ndarray, float]:
    """The output layer's ``delta_k = dcost/ds_k`` and the cost of one example.

    Parameters
    ----------
    s_out, y_hat : arrays ``(d_L,)``, the output layer's pre-activations and activations
    y : array ``(d_L,)``, the target (0/1 for ``bce``, one-hot for ``ce``)
    output, loss : ``mse`` with any output but softmax, ``bce`` with ``sigmoid``, ``ce`` with
        ``softmax``

    Returns
    -------
    delta : array ``(d_L,)``; ``-2 (y_k - y_hat_k) sigma'(s_k)`` for ``mse``, ``y_hat_k - y_k``
        for ``bce`` and ``ce``
    cost : float (``bce`` and ``ce`` computed from ``s`` so it is finite when ``y_hat`` rounds
        to 0 or 1)

    >>> d, c = output_deltas(np.array([0.0]), np.array([0.5]), np.array([1.0]), "sigmoid", "mse")
    >>> print(d, f"{c:.2f}")
    [-0.25] 0.25
    """
    mlp._check_config("tanh", output, loss)
    s_out, y_hat, y = (np.asarray(v, dtype=np.float64) for v in (s_out, y_hat, y))
    if not s_out.shape == y_hat.shape == y.shape or s_out.ndim != 1:
        raise ValueError(
            f"s_out, y_hat and y must be 1-D of one length, got {s_out.shape}, "
            f"{y_hat.shape}, {y.shape}"
        )
    delta = np.zeros_like(s_out)
    cost = 0.0
    if loss == "mse":
        dsigma = activations.ACTIVATIONS[output].derivative
        for k in range(s_out.size):
            delta[k] = -2.0 * (y[k] - y_hat[k]) * float(dsigma(np.float64(s_out[k])))
            cost += (y[k] - y_hat[k]) ** 2
    elif loss == "bce":
        for k in range(s_out.size):
            delta[k] = y_hat[k] - y[k]
            # -[y log sigma(s) + (1 - y) log(1 - sigma(s))] = log(1 + e^s) - y s
            cost += float(np.logaddexp(0.0, s_out[k])) - y[k] * s_out[k]
    else:  # ce
        m = max(s_out)
        log_sum = m + math.log(sum(math.exp(s_m - m) for s_m in s_out))
        for k in range(s_out.size):
            delta[k] = y_hat[k] - y[k]
            cost += y[k] * (log_sum - s_out[k])  # -y_k log y_hat_k
    return delta, float(cost)


def _backward_one(params, s, a, delta_out, L, hidden):
    """Per-unit deltas and gradients of one example; returns (grads, deltas, n_madds)."""
    dsigma = activations.ACTIVATIONS[hidden].derivative
    deltas = {L: delta_out}
    n_madds = 0
    for l in range(L - 1, 0, -1):  # backwards through the hidden layers
        W_next = np.asarray(params[f"W{l + 1}"], dtype=np.float64)  # W_{l+1}[i, j]
        d_l, d_next = W_next.shape
        deltas[l] = np.zeros(d_l)
        for i in range(d_l):
            total = 0.0
            for j in range(d_next):
                total += W_next[i, j] * deltas[l + 1][j]  # sum_j W_{l+1}[i, j] delta_j
                n_madds += 1
            deltas[l][i] = float(dsigma(np.float64(s[l][i]))) * total  # times sigma'(s_i)
    grads = {}
    for l in range(1, L + 1):
        d_prev, d_l = np.shape(params[f"W{l}"])
        dW = np.zeros((d_prev, d_l))
        db = np.zeros(d_l)
        for j in range(d_l):
            for i in range(d_prev):
                dW[i, j] = a[l - 1][i] * deltas[l][j]  # dL/dW_l[i, j] = a_i delta_j
                n_madds += 1
            db[j] = deltas[l][j]  # dL/db_l[j] = delta_j (the bias input is 1)
            n_madds += 1
        grads[f"W{l}"], grads[f"b{l}"] = dW, db
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
    params : dict ``{"W1": (d_0, d_1), "b1": (d_1,), ...}``; ``params[f"W{l}"][i, j]`` is
        the weight from unit ``i`` of layer ``l - 1`` to unit ``j`` of layer ``l``
    x : array ``(d_0,)`` (one example) or ``(n, d_0)`` (a batch)
    y : targets as ``mlp.loss_and_grads`` takes them (for one example: a number, a ``(d_L,)``
        vector, or for ``ce`` a class index or one-hot vector)
    hidden : "sigmoid", "tanh", "relu" or "identity"
    output : one of those or "softmax"
    loss : "mse" (any output but softmax), "bce" (sigmoid output), "ce" (softmax output)

    Returns
    -------
    PerNodeResult
        ``loss`` and ``grads`` equal to ``mlp.loss_and_grads`` (mean over the batch); ``s``,
        ``a`` and ``deltas`` per layer, shaped ``(d_l,)`` for one example and ``(n, d_l)``
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
    s_all: dict[int, list] = {l: [] for l in range(1, L + 1)}
    a_all: dict[int, list] = {l: [] for l in range(L + 1)}
    d_all: dict[int, list] = {l: [] for l in range(1, L + 1)}
    total, n_madds = 0.0, 0
    for x_k, y_k in zip(X, Y, strict=True):  # one example at a time
        s, a, m_fwd = _forward_one(params, x_k, L, hidden, output)
        delta_out, cost = output_deltas(s[L], a[L], y_k, output, loss)
        g, deltas, m_bwd = _backward_one(params, s, a, delta_out, L, hidden)
        total += cost
        n_madds += m_fwd + m_bwd
        for key in grads:
            grads[key] += g[key] / n  # the loss is the mean over the batch
        for l in range(L + 1):
            a_all[l].append(a[l])
            if l:
                s_all[l].append(s[l])
                d_all[l].append(deltas[l])

    def stack(d):
        return {t: (v[0] if single else np.array(v)) for t, v in d.items()}

    return PerNodeResult(
        loss=total / n,
        grads=grads,
        s=stack(s_all),
        a=stack(a_all),
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
    ``params``), or ``(grads, deltas)`` with ``deltas[l] = dcost/ds`` per layer ``l = 1..L``
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
