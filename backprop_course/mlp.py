"""Matrix-form backpropagation for a whole batch, and a small MLP estimator.

A network with layer sizes ``[d_0, d_1, ..., d_L]`` has parameters ``W1 (d_0, d_1)``,
``b1 (d_1,)``, ..., ``WL (d_{L-1}, d_L)``, ``bL (d_L,)``. For a batch ``X`` of shape
``(n, d_0)``, one row per example::

    A_0 = X
    S_l = A_{l-1} @ W_l + b_l          (n, d_l)   pre-activations
    A_l = theta(S_l)                   (n, d_l)   hidden: ``hidden``, last layer: ``output``

and backward, with ``delta_l = dL/dS_l`` (the slides' backward message)::

    delta_L = dL/dA_L * theta'(S_L)           (= (A_L - Y) / n for sigmoid + cross-entropy)
    dW_l    = A_{l-1}.T @ delta_l             sums the per-example outer products
    db_l    = delta_l.sum(axis=0)
    delta_{l-1} = (delta_l @ W_l.T) * theta'(S_{l-1})

Notation: the four slide decks and this module
------------------------------------------------

================  ========================  ======================  ======================
quantity          deck "BP": w_ij, x_0 = 1  deck "W x": columns     here: row batches
================  ========================  ======================  ======================
layer l input     x^(l-1), bias x_0 = 1     v^[l-1], a column       A_{l-1}, rows (n, d)
weight i -> j     w_ij^(l)                  W^[l]_{j,i}             W_l[i, j]
bias of node j    w_0j^(l) (bias node)      b^[l]_j                 b_l[j]
pre-activation    s_j = sum_i x_i w_ij      z = W^[l] v + b^[l]     S_l = A @ W_l + b_l
activation        x_j = theta(s_j)          v^[l] = sigma(z^[l])    A_l = theta(S_l)
backward message  delta_j = de/ds_j         dL/dz^[l]               delta_l = dL/dS_l
hidden rule       [W delta^(l+1)] * th'     (W^T d) * sigma'(z)     (d @ W.T) * th'(S)
weight gradient   x_i^(l-1) delta_j^(l)     delta v^T               A_{l-1}.T @ delta_l
================  ========================  ======================  ======================

So our ``W_l`` is the slides' matrix of ``w_ij`` with the bias row ``w_0j`` split off into
``b_l``, and it is the *transpose* of the column-form ``W^[l]`` (``W x`` becomes ``x @ W``).
In Hajij's per-node derivation, ``u_il`` is the weight *into* node ``i`` *from* node ``l``,
i.e. ``W[l, i]``; its ``a_i`` is our ``S`` and its ``z_i`` our ``A``. In the "naive vs
backprop" deck, ``w_{j,i}^t`` from ``z_j^{t-1}`` to ``u_i^t`` is ``W_t[j, i]``.

Losses are averaged over the batch, so the ``1/n`` sits in ``delta_L``.

>>> import numpy as np
>>> params = init_params([2, 3, 1], rng=0)
>>> sorted(params), params["W1"].shape, params["b2"].shape
(['W1', 'W2', 'b1', 'b2'], (2, 3), (1,))
>>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([0, 1])
>>> loss, grads = loss_and_grads(params, X, y, hidden="tanh", output="sigmoid", loss="bce")
>>> grads["W1"].shape == params["W1"].shape
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from . import activations, losses
from ._validate import as_matrix, check_choice, check_count, check_positive
from .optim import minibatches

OUTPUTS = (*activations.ACTIVATIONS, "softmax")
LOSSES = ("mse", "bce", "ce")
#: The output activation each loss requires (None: any).
_LOSS_OUTPUT = {"bce": "sigmoid", "ce": "softmax", "mse": None}


def init_params(
    sizes: Sequence[int],
    rng: np.random.Generator | int | None = None,
    *,
    hidden: str = "tanh",
    dtype=np.float64,
    init: str | float | None = None,
) -> dict[str, np.ndarray]:
    """Random weights and zero biases for layer sizes ``[d_0, ..., d_L]``.

    ``W_l`` is drawn from ``N(0, gain / d_{l-1})`` with gain 2 for ReLU (He) and 1 otherwise
    (LeCun), so activations neither vanish nor explode at the start. ``init`` picks another
    scale for every layer: a scheme of :func:`init_std` ("lecun", "xavier", "he") or a fixed
    standard deviation (a float > 0, e.g. 1.0 or 0.01, the "bad" inits of lecture 8).

    Parameters
    ----------
    sizes : sequence of ints >= 1, at least two (input and output)
    rng : seed or Generator
    hidden : the hidden activation, used only to pick the scale
    dtype : float64 (default, for gradient checks) or float32
    init : None (the default above), "lecun", "xavier", "he", or a standard deviation > 0

    Returns
    -------
    params : dict ``{"W1": (d_0, d_1), "b1": (d_1,), ..., "WL": (d_{L-1}, d_L), "bL": (d_L,)}``

    >>> p = init_params([2, 8, 8, 1], rng=0)
    >>> [p[k].shape for k in ("W1", "b1", "W3", "b3")]
    [(2, 8), (8,), (8, 1), (1,)]
    >>> print(f'{init_params([400, 400], rng=0, init="xavier")["W1"].std():.3f}')
    0.050
    """
    rng = np.random.default_rng(rng)
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
    for d in sizes:
        check_count(d, "every layer size")
    check_choice(hidden, "hidden activation", activations.ACTIVATIONS)
    dtype = _check_dtype(dtype)
    if init is None:
        init = "he" if hidden == "relu" else "lecun"
    elif not isinstance(init, str):
        init = check_positive(init, "init (a standard deviation)")
    params = {}
    for l, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        std = init_std(d_in, d_out, init) if isinstance(init, str) else init
        params[f"W{l}"] = (rng.standard_normal((d_in, d_out)) * std).astype(dtype)
        params[f"b{l}"] = np.zeros(d_out, dtype=dtype)
    return params


#: Var(W) of each scheme for a layer ``d_in -> d_out``; lecture 8 derives them.
INIT_VARIANCES: dict[str, Callable[[int, int], float]] = {
    "lecun": lambda d_in, d_out: 1.0 / d_in,
    "xavier": lambda d_in, d_out: 2.0 / (d_in + d_out),
    "he": lambda d_in, d_out: 2.0 / d_in,
}


def init_std(d_in: int, d_out: int, scheme: str) -> float:
    """The standard deviation of ``W_l``'s entries under an initialisation scheme.

    With ``s_j = sum_i a_i W[i, j]`` over ``d_in`` inputs of mean 0, ``Var(s_j) = d_in Var(a)
    Var(W)``; keeping it equal to ``Var(a)`` gives ``Var(W) = 1/d_in`` (LeCun, for tanh and
    sigmoid); averaging that with the backward pass's ``1/d_out`` gives ``2/(d_in + d_out)``
    (Xavier/Glorot); ReLU zeroes half of ``s``, so ``2/d_in`` (He).

    >>> init_std(100, 50, "lecun"), init_std(100, 100, "xavier"), init_std(50, 10, "he")
    (0.1, 0.1, 0.2)
    """
    check_choice(scheme, "init scheme", INIT_VARIANCES)
    d_in, d_out = check_count(d_in, "d_in"), check_count(d_out, "d_out")
    return float(np.sqrt(INIT_VARIANCES[scheme](d_in, d_out)))


def _check_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def n_layers(params: Mapping[str, np.ndarray]) -> int:
    """Number of weight layers ``L``, after checking keys ``W1..WL, b1..bL`` and their shapes.

    >>> n_layers(init_params([3, 4, 2], rng=0))
    2
    """
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a dict of arrays, got {type(params).__name__}")
    L = sum(1 for k in params if k.startswith("W"))
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L == 0 or set(params) != expected:
        raise ValueError(
            f"params must have keys W1..WL and b1..bL, got {sorted(params)}; "
            "use init_params to create them"
        )
    d_prev = None
    for l in range(1, L + 1):
        for key in (f"W{l}", f"b{l}"):
            if not isinstance(params[key], np.ndarray):
                raise ValueError(
                    f"params[{key!r}] must be a numpy array, got {type(params[key]).__name__}; "
                    "convert with np.asarray or use init_params"
                )
        W, b = params[f"W{l}"], params[f"b{l}"]
        if W.ndim != 2:
            raise ValueError(f"W{l} must be 2-D (d_in, d_out), got shape {W.shape}")
        if b.shape != (W.shape[1],):
            raise ValueError(f"b{l} must have shape ({W.shape[1]},) to match W{l}, got {b.shape}")
        if d_prev is not None and W.shape[0] != d_prev:
            raise ValueError(
                f"W{l} has {W.shape[0]} rows but layer {l - 1} has {d_prev} units "
                f"(W{l - 1} is {np.shape(params[f'W{l - 1}'])})"
            )
        d_prev = W.shape[1]
    return L


def _output_forward(output: str, S: np.ndarray) -> np.ndarray:
    if output == "softmax":
        return losses.softmax(S)
    return activations.ACTIVATIONS[output].function(S)


def _check_config(hidden: str, output: str, loss: str | None = None) -> None:
    check_choice(hidden, "hidden activation", activations.ACTIVATIONS)
    check_choice(output, "output activation", OUTPUTS)
    if loss is not None:
        check_choice(loss, "loss", LOSSES)
        need = _LOSS_OUTPUT[loss]
        if need is not None and output != need:
            raise ValueError(f"loss {loss!r} needs output={need!r}, got output={output!r}")
        if loss == "mse" and output == "softmax":
            raise ValueError("output 'softmax' goes with loss 'ce', not 'mse'")


def _inputs(params, X) -> tuple[int, np.ndarray]:
    L = n_layers(params)
    dtype = np.asarray(params["W1"]).dtype
    X = as_matrix(X, "X", dtype=dtype if dtype in (np.float32, np.float64) else np.float64)
    d_in = params["W1"].shape[0]
    if X.shape[1] != d_in:
        raise ValueError(f"X has {X.shape[1]} features but W1 expects {d_in} (X is {X.shape})")
    return L, X


def targets(y, n: int, d_out: int, loss: str, dtype=np.float64) -> np.ndarray:
    """Check labels ``y`` against the loss and return them as a ``(n, d_out)`` float array.

    ``mse``: any finite values, ``(n,)`` when ``d_out == 1`` or ``(n, d_out)``.
    ``bce``: 0/1 labels of that shape. ``ce``: class indices ``(n,)`` in ``0..d_out-1`` or
    one-hot rows ``(n, d_out)``.

    >>> targets([0, 1], 2, 1, "bce").tolist()
    [[0.0], [1.0]]
    >>> targets([2, 0], 2, 3, "ce").tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    Y = np.asarray(y)
    if Y.dtype == object or not np.issubdtype(Y.dtype, np.number) and Y.dtype != bool:
        raise ValueError(f"y must be numeric, got dtype {Y.dtype}")
    if loss == "ce" and Y.ndim == 1:
        if Y.shape[0] != n:
            raise ValueError(f"y must have {n} entries to match X, got shape {Y.shape}")
        if Y.dtype.kind in "iub":  # integers: a range check, much cheaper than np.isin
            ok = bool(np.all((Y >= 0) & (Y < d_out)))
        else:
            ok = bool(np.all(np.isin(Y, np.arange(d_out))))
        if not ok:
            bad = np.unique(Y[~np.isin(Y, np.arange(d_out))])[:5].tolist()
            raise ValueError(f"class labels must be integers in 0..{d_out - 1}, found {bad}")
        onehot = np.zeros((n, d_out), dtype=dtype)
        onehot[np.arange(n), Y.astype(np.int64)] = 1
        return onehot
    if Y.ndim == 1 and d_out == 1:
        Y = Y[:, None]
    if Y.shape != (n, d_out):
        want = f"({n},) or ({n}, {d_out})" if d_out == 1 else f"({n}, {d_out})"
        raise ValueError(f"y must have shape {want} for this network, got {Y.shape}")
    Y = Y.astype(dtype)
    if not np.isfinite(Y).all():
        raise ValueError("y contains NaN or infinity")
    if loss in ("bce", "ce") and not ((Y == 0) | (Y == 1)).all():
        found = np.unique(Y[~np.isin(Y, (0, 1))])[:5].tolist()
        raise ValueError(
            f"{loss} needs 0/1 labels, found {found}"
            + (" (-1/+1 labels are for the perceptron)" if -1 in found else "")
        )
    if loss == "ce" and not np.all(Y.sum(axis=1) == 1):
        raise ValueError("one-hot targets for 'ce' must have exactly one 1 per row")
    return Y


def forward(
    params: Mapping[str, np.ndarray],
    X: np.ndarray,
    hidden: str = "tanh",
    output: str = "sigmoid",
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Forward pass; returns the output ``A_L (n, d_L)`` and a cache of ``(S_l, A_l)`` per layer.

    ``cache[0]`` is ``(None, X)``; ``cache[l]`` holds layer ``l``'s pre-activation and output.

    >>> p = init_params([2, 4, 1], rng=0)
    >>> out, cache = forward(p, np.zeros((5, 2)))
    >>> out.shape, len(cache)
    ((5, 1), 3)
    """
    _check_config(hidden, output)
    L, X = _inputs(params, X)
    return _forward(params, X, L, hidden, output)


def _forward(params, X, L, hidden, output):
    act = activations.ACTIVATIONS[hidden].function
    cache = [(None, X)]
    A = X
    for l in range(1, L + 1):
        S = A @ params[f"W{l}"]
        S += params[f"b{l}"]
        A = act(S) if l < L else _output_forward(output, S)
        cache.append((S, A))
    return A, cache


def _loss_and_delta(output, loss, S, A, Y):
    n = Y.shape[0]
    if loss == "bce":  # sigmoid output: computed from the logits, delta = (A - Y) / n
        return losses.binary_cross_entropy_with_logits(S, Y), (A - Y) / n
    if loss == "ce":  # softmax output: delta = (softmax - Y) / n
        return losses.cross_entropy_with_logits(S, Y), (A - Y) / n
    R = A - Y  # mse
    value = np.sum(R * R) / n
    return float(value), (2 / n) * R * activations.ACTIVATIONS[output].derivative_from_output(A, S)


def backward(
    params: Mapping[str, np.ndarray],
    cache: list[tuple[np.ndarray, np.ndarray]],
    delta_L: np.ndarray,
    hidden: str = "tanh",
) -> dict[str, np.ndarray]:
    """Backward pass from ``delta_L = dL/dS_L`` ``(n, d_L)``; returns ``{"W1": dW1, ...}``.

    >>> p = init_params([2, 4, 1], rng=0)
    >>> out, cache = forward(p, np.ones((3, 2)))
    >>> g = backward(p, cache, np.ones((3, 1)) / 3)
    >>> g["b2"].tolist()
    [1.0]
    """
    check_choice(hidden, "hidden activation", activations.ACTIVATIONS)
    L = n_layers(params)
    delta_L = np.asarray(delta_L)
    if delta_L.shape != cache[-1][1].shape:
        raise ValueError(f"delta_L must have shape {cache[-1][1].shape}, got {delta_L.shape}")
    return _backward(params, cache, delta_L, L, hidden)


def _backward(params, cache, delta, L, hidden):
    dact = activations.ACTIVATIONS[hidden].derivative_from_output
    grads = {}
    for l in range(L, 0, -1):
        A_prev = cache[l - 1][1]
        # one example: dW is an outer product; numpy's matmul has no BLAS path for k = 1 and is
        # several times slower there than the broadcast product, which gives the same numbers
        grads[f"W{l}"] = A_prev.T * delta if delta.shape[0] == 1 else A_prev.T @ delta
        grads[f"b{l}"] = delta.sum(axis=0)
        if l > 1:
            S_prev = cache[l - 1][0]
            delta = (delta @ params[f"W{l}"].T) * dact(A_prev, S_prev)
    return grads


def loss_and_grads(
    params: Mapping[str, np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    hidden: str = "tanh",
    output: str = "sigmoid",
    loss: str = "bce",
) -> tuple[float, dict[str, np.ndarray]]:
    """The batch-mean loss and its gradient with respect to every parameter.

    Parameters
    ----------
    params : dict from :func:`init_params`
    X : array ``(n, d_0)``
    y : targets; see :func:`targets` for the shapes and values each loss accepts
    hidden : "sigmoid", "tanh", "relu" or "identity"
    output : one of those or "softmax"
    loss : "mse" (any output), "bce" (output "sigmoid", labels 0/1), "ce" (output "softmax")

    Returns
    -------
    loss : float
    grads : dict with the keys and shapes of ``params``

    >>> p = init_params([1, 1], rng=0)
    >>> p = {"W1": np.array([[2.0]]), "b1": np.array([0.5])}
    >>> loss, g = loss_and_grads(p, np.array([[1.0]]), np.array([3.0]), "tanh", "identity", "mse")
    >>> print(f"{loss:.2f}", g["W1"].tolist(), g["b1"].tolist())
    0.25 [[-1.0]] [-1.0]
    """
    _check_config(hidden, output, loss)
    L, X = _inputs(params, X)
    Y = targets(y, X.shape[0], params[f"W{L}"].shape[1], loss, X.dtype)
    return _loss_and_grads(params, X, Y, L, hidden, output, loss)


def _loss_and_grads(params, X, Y, L, hidden, output, loss):
    A, cache = _forward(params, X, L, hidden, output)
    value, delta = _loss_and_delta(output, loss, cache[-1][0], A, Y)
    return value, _backward(params, cache, delta, L, hidden)


def predict(
    params: Mapping[str, np.ndarray],
    X: np.ndarray,
    hidden: str = "tanh",
    output: str = "sigmoid",
) -> np.ndarray:
    """The network's output ``A_L`` of shape ``(n, d_L)`` (probabilities for sigmoid/softmax).

    >>> predict(init_params([2, 3, 1], rng=0), np.zeros((4, 2))).shape
    (4, 1)
    """
    return forward(params, X, hidden, output)[0]


class _TrainStep:
    """One SGD step (forward, backward, update) that updates parameter arrays it owns, in place.

    The engine of :meth:`MLP.fit`. It computes the same numbers as :func:`loss_and_grads`
    followed by :func:`~backprop_course.optim.sgd_step` (up to rounding), with less work around
    the matrix products, which is all a small network's step is made of:

    * work arrays are kept per batch size instead of allocated on every step;
    * activations and their derivatives are applied in place, the derivatives from the cached
      outputs ``A_l`` (``1 - A^2`` for tanh), never from ``S_l``;
    * nothing is checked inside the loop (``fit`` checks everything once);
    * ``-lr`` is folded into ``delta_L`` once; each ``delta_l`` is linear in it, so the
      updates are plain additions of ``A_{l-1}.T @ delta_l`` into the parameters;
    * for one example that product is an outer product, which numpy's matmul computes without
      BLAS (several times slower), so it is a broadcast product there.

    Only numpy's own BLAS is called: a fused BLAS ``gemm`` update through scipy was faster on
    one thread, but two BLAS libraries in one step make their thread pools fight over the
    cores. ``params`` must be writeable C-contiguous arrays of one float dtype; ``X`` and ``Y``
    2-D arrays of that dtype.
    """

    def __init__(self, params: dict[str, np.ndarray], hidden: str, output: str, loss: str):
        self.L = L = n_layers(params)
        self.W = [None] + [params[f"W{l}"] for l in range(1, L + 1)]
        self.b = [None] + [params[f"b{l}"] for l in range(1, L + 1)]
        self.dtype = self.W[1].dtype
        for arr in self.W[1:] + self.b[1:]:
            if arr.dtype != self.dtype or not arr.flags.c_contiguous or not arr.flags.writeable:
                raise ValueError("_TrainStep needs writeable C-contiguous arrays of one dtype")
        self.G = [None] + [np.empty_like(W) for W in self.W[1:]]  # A_{l-1}.T @ (-lr delta_l)
        self.hidden, self.output, self.loss = hidden, output, loss
        self.sizes = [self.W[1].shape[0]] + [W.shape[1] for W in self.W[1:]]
        self._work = {}

    def _buffers(self, n: int) -> tuple[list, list, list]:
        """Work arrays for a batch of ``n``: ``acts[l]`` holds ``S_l`` then, in place, ``A_l``;
        ``deltas[l]`` the message ``delta_l`` and ``tmp[l]`` its derivative factor."""
        work = self._work.get(n)
        if work is None:
            if len(self._work) > 4:  # only the batch size and the last, smaller batch recur
                self._work.clear()
            inner = self.sizes[1:-1]
            work = self._work[n] = (
                [None] + [np.empty((n, d), dtype=self.dtype) for d in self.sizes[1:]],
                [None] + [np.empty((n, d), dtype=self.dtype) for d in inner] + [None],
                [None] + [np.empty((n, d), dtype=self.dtype) for d in inner] + [None],
            )
        return work

    def _activate(self, S: np.ndarray) -> None:
        if self.hidden == "tanh":
            np.tanh(S, out=S)
        elif self.hidden == "relu":
            np.maximum(S, 0.0, out=S)
        elif self.hidden == "sigmoid":
            np.copyto(S, activations.sigmoid(S))

    def _times_derivative(self, D: np.ndarray, A: np.ndarray, T: np.ndarray) -> None:
        """``D *= theta'(S)``, with ``theta'`` computed from the output ``A = theta(S)``."""
        if self.hidden == "tanh":  # 1 - A^2
            np.multiply(A, A, out=T)
            np.subtract(1.0, T, out=T)
            np.multiply(D, T, out=D)
        elif self.hidden == "relu":  # 1 where A > 0 (same as S > 0)
            np.multiply(D, np.greater(A, 0.0), out=D)
        elif self.hidden == "sigmoid":  # A (1 - A)
            np.subtract(1.0, A, out=T)
            np.multiply(T, A, out=T)
            np.multiply(D, T, out=D)

    def _loss_and_delta(
        self, S: np.ndarray, Y: np.ndarray, scale: float
    ) -> tuple[float, np.ndarray]:
        """The batch-mean loss of the logits ``S`` and ``scale * delta_L`` in a new array.

        The same formulas as :func:`loss_and_grads`, with fewer passes over the data: the
        sigmoid is ``exp(S - softplus(S))`` from the softplus the loss needs anyway (its
        exponent is never positive, so nothing overflows). Each example's loss is formed
        before the sum (``softplus(S) - Y S``, never negative): subtracting ``sum(Y * S)``
        from ``sum(softplus(S))`` instead cancels catastrophically for huge logits (a
        diverging run recorded losses of -1e69).
        """
        n = S.shape[0]
        if self.loss == "bce":  # sum(softplus(S) - Y S) / n;  delta = sigmoid(S) - Y
            delta = np.logaddexp(0.0, S)
            value = np.add.reduce(delta - Y * S, axis=None) / n
            np.subtract(S, delta, out=delta)
            np.exp(delta, out=delta)
            delta -= Y
        elif self.loss == "ce":  # sum(log sum_k exp S_k - sum_k Y_k S_k) / n;  softmax - Y
            m = np.maximum.reduce(S, axis=1, keepdims=True)
            delta = S - m
            np.exp(delta, out=delta)
            z = np.add.reduce(delta, axis=1, keepdims=True)
            per_example = m + np.log(z) - np.add.reduce(Y * S, axis=1, keepdims=True)
            value = np.add.reduce(per_example, axis=None) / n
            delta /= z
            delta -= Y
        else:
            A = _output_forward(self.output, S)
            delta = A - Y
            value = np.vdot(delta, delta) / n
            delta *= 2.0 * activations.ACTIVATIONS[self.output].derivative_from_output(A, S)
        delta *= scale / n
        return float(value), delta

    def __call__(self, X: np.ndarray, Y: np.ndarray, lr: float) -> float:
        """Update the parameters with one step on the batch ``X (n, d_0)``, ``Y (n, d_L)``;
        return the batch's loss before the step."""
        L, W, b, G = self.L, self.W, self.b, self.G
        X = np.ascontiguousarray(X)
        n = X.shape[0]
        acts, deltas, tmp = self._buffers(n)
        A = X
        for l in range(1, L + 1):
            S = acts[l]
            np.matmul(A, W[l], out=S)
            S += b[l]
            if l < L:
                self._activate(S)
            A = S
        # -lr is folded into delta_L once: every delta_l is linear in delta_L, so each one then
        # already holds -lr * dL/dS_l and the updates are plain additions
        value, delta = self._loss_and_delta(acts[L], Y, -lr)
        for l in range(L, 0, -1):
            A_prev = acts[l - 1] if l > 1 else X
            if l > 1:  # the message to layer l - 1 uses W_l before its update
                D = deltas[l - 1]
                np.matmul(delta, W[l].T, out=D)
                self._times_derivative(D, A_prev, tmp[l - 1])
            if n == 1:
                np.multiply(A_prev.T, delta, out=G[l])
                b[l] += delta[0]
            else:
                np.matmul(A_prev.T, delta, out=G[l])
                # not ones @ delta: on 2 threads every BLAS call that wakes the second
                # thread risks waiting for it, and these sums are cheap without BLAS
                b[l] += np.add.reduce(delta, axis=0)
            W[l] += G[l]
            if l > 1:
                delta = D
        return value


class MLP:
    """A multi-layer perceptron trained by mini-batch SGD with matrix-form backprop.

    Parameters
    ----------
    layer_sizes : ``[d_0, ..., d_L]``, e.g. ``[2, 8, 8, 1]``
    hidden, output, loss : as in :func:`loss_and_grads`
    dtype : float64 (default) or float32

    Attributes (after ``fit``)
    --------------------------
    params_ : the trained parameters
    loss_history_ : list of the mean training loss of each epoch
    diverged_ : True when the loss became NaN or infinite and training stopped

    >>> from backprop_course import data
    >>> X, y = data.xor(200, rng=0)
    >>> model = MLP([2, 8, 1]).fit(X, y, epochs=300, batch_size=20, lr=0.5, rng=0)
    >>> model.score(X, y) > 0.95
    True
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        hidden: str = "tanh",
        output: str = "sigmoid",
        loss: str = "bce",
        dtype=np.float64,
    ):
        self.layer_sizes = list(layer_sizes)
        self.hidden = hidden
        self.output = output
        self.loss = loss
        self.dtype = dtype

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        epochs: int = 100,
        batch_size: int = 32,
        lr: float = 0.1,
        rng: np.random.Generator | int | None = None,
        callback: Callable[[int, float], bool | None] | None = None,
    ) -> MLP:
        """Train from a fresh initialisation; ``rng`` seeds both the init and the shuffling.

        ``callback(epoch, loss)`` is called after every epoch; returning False stops training
        (used by the training widget to cancel a run).
        """
        rng = np.random.default_rng(rng)
        _check_config(self.hidden, self.output, self.loss)
        epochs = check_count(epochs, "epochs")
        batch_size = check_count(batch_size, "batch_size")
        lr = check_positive(lr, "lr")
        params = init_params(self.layer_sizes, rng, hidden=self.hidden, dtype=self.dtype)
        L, X = _inputs(params, X)
        Y = targets(y, X.shape[0], self.layer_sizes[-1], self.loss, X.dtype)
        step = _TrainStep(params, self.hidden, self.output, self.loss)  # updates params in place
        self.loss_history_ = []
        self.diverged_ = False
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(epochs):
                total = 0.0
                for Xb, Yb in minibatches(X, Y, batch_size, rng):
                    total += step(Xb, Yb, lr) * len(Yb)
                mean = total / X.shape[0]
                self.loss_history_.append(mean)
                if not np.isfinite(mean):
                    self.diverged_ = True
                    break
                if callback is not None and callback(epoch, mean) is False:
                    break
        self.params_ = params
        return self

    def _check_fitted(self):
        if not hasattr(self, "params_"):
            raise ValueError("this MLP is not fitted yet; call fit(X, y) first")

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The network's output ``(n, d_L)``."""
        self._check_fitted()
        return predict(self.params_, X, self.hidden, self.output)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class labels ``(n,)``: 0/1 by thresholding one output at 0.5, else the arg-max."""
        out = self.predict_proba(X)
        if out.shape[1] == 1:
            threshold = 0.0 if self.output in ("tanh", "identity") else 0.5
            return (out[:, 0] > threshold).astype(np.int64)
        return out.argmax(axis=1)

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of :meth:`predict` against integer labels ``y`` ``(n,)``.

        The labels must be the ones :meth:`predict` returns: 0/1 for one output, ``0..d_L-1``
        for several (so -1/+1 labels are refused rather than scored as wrong).
        """
        y = np.asarray(y)
        pred = self.predict(X)
        if y.shape != pred.shape:
            raise ValueError(f"y must have shape {pred.shape}, got {y.shape}")
        n_classes = max(2, self.params_[f"W{n_layers(self.params_)}"].shape[1])
        found = np.unique(y)
        if not np.isin(found, np.arange(n_classes)).all():
            raise ValueError(
                f"y must hold class labels 0..{n_classes - 1} like predict returns, "
                f"found {found[:10].tolist()}"
            )
        return float(np.mean(pred == y))
