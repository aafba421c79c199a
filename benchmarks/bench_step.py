"""One training step (forward + backward + SGD update) in each implementation, at one size.

Every builder takes a :class:`Case` and returns a zero-argument callable that performs one step
on the next of a few fixed random batches (cycling, so no implementation can memorise one batch
and drift into denormal numbers), or raises :class:`Unavailable` with the reason.

The networks and losses are the same in every implementation:

* small nets ``2-16-16-1`` and ``2-64-64-1``: tanh hidden units, one sigmoid output, binary
  cross-entropy computed from the logits (the course's default ``MLP``);
* ``784-256-128-10``: ReLU hidden units, softmax output, categorical cross-entropy
  (scikit-learn's default activation, the usual MNIST-sized setting);
* micrograd only knows ``+ * ** relu``, so its step (``2-16-16-1`` only) uses ReLU hidden units,
  a linear output and the squared error, and is compared with ours on that same loss.

Plain SGD, learning rate 0.01, no momentum or weight decay anywhere.
"""

from __future__ import annotations

import itertools
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backprop_course import mlp  # noqa: E402
from backprop_course.optim import sgd_step  # noqa: E402

LR = 0.01
N_BATCHES = 4  # distinct batches cycled through by every implementation


class Unavailable(Exception):
    """This implementation cannot run this case (not installed, or no such dtype)."""


@dataclass(frozen=True)
class Case:
    sizes: tuple[int, ...]
    batch: int
    dtype: type
    hidden: str
    output: str
    loss: str
    seed: int = 0

    @property
    def name(self) -> str:
        return "-".join(map(str, self.sizes))

    @property
    def n_classes(self) -> int:
        return 2 if self.sizes[-1] == 1 else self.sizes[-1]

    def batches(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``N_BATCHES`` pairs ``(X (n, d_0) in the case's dtype, integer labels (n,))``."""
        rng = np.random.default_rng(self.seed)
        out = []
        for _ in range(N_BATCHES):
            X = rng.standard_normal((self.batch, self.sizes[0])).astype(self.dtype)
            if self.loss == "mse":
                y = rng.standard_normal(self.batch).astype(self.dtype)
            else:
                y = rng.integers(0, self.n_classes, self.batch)
            out.append((X, y))
        return out

    def matmul_flops(self) -> int:
        """Floating-point operations in the step's matrix products (2 per multiply-add):
        forward ``A @ W`` and weight gradients ``A.T @ delta`` for every layer, and the
        backward messages ``delta @ W.T`` for every layer but the first."""
        n, s = self.batch, self.sizes
        pairs = [s[i] * s[i + 1] for i in range(len(s) - 1)]
        return 2 * n * (2 * sum(pairs) + sum(pairs[1:]))


def _cycle(items):
    return itertools.cycle(items).__next__


def ours(case: Case) -> Callable[[], object]:
    """``MLP.fit``'s step: ``mlp._TrainStep`` on parameter arrays it updates in place."""
    params = mlp.init_params(case.sizes, case.seed, hidden=case.hidden, dtype=case.dtype)
    step = mlp._TrainStep(params, case.hidden, case.output, case.loss)
    d_out = case.sizes[-1]
    data = [(X, mlp.targets(y, len(y), d_out, case.loss, case.dtype)) for X, y in case.batches()]
    nxt = _cycle(data)

    def run():
        X, Y = nxt()
        return step(X, Y, LR)

    return run


def ours_public(case: Case) -> Callable[[], object]:
    """The pure public API: ``loss_and_grads`` (with its input checks) then ``sgd_step``."""
    state = {"p": mlp.init_params(case.sizes, case.seed, hidden=case.hidden, dtype=case.dtype)}
    nxt = _cycle(case.batches())

    def run():
        X, y = nxt()
        value, grads = mlp.loss_and_grads(state["p"], X, y, case.hidden, case.output, case.loss)
        state["p"] = sgd_step(state["p"], grads, LR)
        return value

    return run


def floor(case: Case) -> Callable[[], object]:
    """The step's matrix products alone, into preallocated outputs, nothing else.

    Forward ``A_{l-1} @ W_l``, messages ``delta_l @ W_l.T`` (not for the first layer) and weight
    gradients ``A_{l-1}.T @ delta_l``, all with ``np.matmul(out=)`` on numpy's BLAS; at batch 1
    the weight gradients are outer products, computed by broadcasting as numpy's matmul has no
    BLAS path for them (with it the floor would be several times slower than the hardware).
    """
    rng = np.random.default_rng(case.seed)
    s, n, dt = case.sizes, case.batch, case.dtype
    L = len(s) - 1
    A = [rng.standard_normal((n, d)).astype(dt) for d in s]  # A_0 .. A_L (outputs of matmuls)
    D = [None] + [rng.standard_normal((n, d)).astype(dt) for d in s[1:]]  # delta_1 .. delta_L
    W = [None] + [rng.standard_normal((s[l - 1], s[l])).astype(dt) for l in range(1, L + 1)]
    G = [None] + [np.empty((s[l - 1], s[l]), dtype=dt) for l in range(1, L + 1)]
    outer = n == 1

    def run():
        for l in range(1, L + 1):
            np.matmul(A[l - 1], W[l], out=A[l])
        for l in range(L, 0, -1):
            if l > 1:
                np.matmul(D[l], W[l].T, out=D[l - 1])
            if outer:
                np.multiply(A[l - 1].T, D[l], out=G[l])
            else:
                np.matmul(A[l - 1].T, D[l], out=G[l])

    return run


def torch_eager(case: Case) -> Callable[[], object]:
    """PyTorch CPU eager: ``nn.Sequential`` of ``nn.Linear``, ``torch.optim.SGD``."""
    try:
        import torch
    except ImportError as exc:
        raise Unavailable("torch not installed (pip install -e '.[bench]')") from exc
    tdt = torch.float64 if case.dtype == np.float64 else torch.float32
    torch.manual_seed(case.seed)
    layers = []
    for i in range(len(case.sizes) - 1):
        layers.append(torch.nn.Linear(case.sizes[i], case.sizes[i + 1], dtype=tdt))
        if i < len(case.sizes) - 2:
            layers.append(torch.nn.Tanh() if case.hidden == "tanh" else torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    if case.loss == "bce":
        loss_fn = torch.nn.BCEWithLogitsLoss()
        data = [
            (torch.from_numpy(X), torch.from_numpy(y[:, None].astype(case.dtype)))
            for X, y in case.batches()
        ]
    elif case.loss == "ce":
        loss_fn = torch.nn.CrossEntropyLoss()
        data = [(torch.from_numpy(X), torch.from_numpy(y)) for X, y in case.batches()]
    else:
        raise Unavailable(f"no torch version of loss {case.loss!r} here")
    nxt = _cycle(data)

    def run():
        X, y = nxt()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        return loss

    return run


def hips_autograd(case: Case) -> Callable[[], object]:
    """HIPS autograd: the same loss written with ``autograd.numpy``, ``grad``, a list update."""
    try:
        import autograd.numpy as anp
        from autograd import grad
        from autograd.scipy.special import logsumexp
    except ImportError as exc:
        raise Unavailable("autograd not installed (pip install -e '.[bench]')") from exc
    if case.loss not in ("bce", "ce"):
        raise Unavailable(f"no autograd version of loss {case.loss!r} here")
    p = mlp.init_params(case.sizes, case.seed, hidden=case.hidden, dtype=case.dtype)
    L = len(case.sizes) - 1
    params = [p[f"{k}{l}"] for l in range(1, L + 1) for k in "Wb"]
    act = anp.tanh if case.hidden == "tanh" else (lambda s: anp.maximum(s, 0.0))

    def loss_fn(ps, X, Y):
        A = X
        for l in range(L):
            S = anp.dot(A, ps[2 * l]) + ps[2 * l + 1]
            A = act(S) if l < L - 1 else S
        n = X.shape[0]
        if case.loss == "bce":
            return anp.sum(anp.logaddexp(0.0, S) - Y * S) / n
        return anp.sum(logsumexp(S, axis=1) - anp.sum(Y * S, axis=1)) / n

    g = grad(loss_fn)
    d_out = case.sizes[-1]
    data = [(X, mlp.targets(y, len(y), d_out, case.loss, case.dtype)) for X, y in case.batches()]
    nxt = _cycle(data)
    state = {"p": params}

    def run():
        X, Y = nxt()
        gs = g(state["p"], X, Y)
        state["p"] = [w - LR * gw for w, gw in zip(state["p"], gs, strict=True)]

    run()
    if state["p"][0].dtype != case.dtype:
        raise Unavailable(f"autograd computed in {state['p'][0].dtype}, not {np.dtype(case.dtype)}")
    return run


def sklearn_partial_fit(case: Case) -> Callable[[], object]:
    """scikit-learn ``MLPClassifier(solver="sgd").partial_fit`` with one batch per call."""
    from sklearn.neural_network import MLPClassifier

    if case.loss not in ("bce", "ce"):
        raise Unavailable("MLPClassifier is trained with the log loss only")
    clf = MLPClassifier(
        hidden_layer_sizes=case.sizes[1:-1],
        activation=case.hidden,
        solver="sgd",
        learning_rate_init=LR,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=case.batch,
        shuffle=False,
        random_state=case.seed,
    )
    batches = case.batches()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(*batches[0], classes=np.arange(case.n_classes))
    if clf.coefs_[0].dtype != case.dtype:
        raise Unavailable(f"MLPClassifier computes in {clf.coefs_[0].dtype} for this input")
    nxt = _cycle(batches)

    def run():
        X, y = nxt()
        return clf.partial_fit(X, y)

    return run


def micrograd_step(case: Case) -> Callable[[], object]:
    """karpathy's micrograd: ``nn.MLP`` of scalar ``Value``s, squared error, manual update."""
    try:
        from micrograd import nn
    except ImportError as exc:
        raise Unavailable("micrograd not installed (pip install -e '.[bench]')") from exc
    if case.dtype != np.float64:
        raise Unavailable("micrograd computes with Python floats (float64) only")
    if case.loss != "mse":
        raise Unavailable("micrograd has no exp/log: compared on the squared error")
    import random

    random.seed(case.seed)
    model = nn.MLP(case.sizes[0], list(case.sizes[1:]))
    data = [(X.tolist(), y.tolist()) for X, y in case.batches()]
    nxt = _cycle(data)
    params = model.parameters()

    def run():
        X, y = nxt()
        model.zero_grad()
        loss = sum((model(x) - t) ** 2 for x, t in zip(X, y, strict=True)) * (1.0 / len(y))
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss

    return run


ALTERNATIVES = {
    "PyTorch eager": torch_eager,
    "HIPS autograd": hips_autograd,
    "sklearn partial_fit": sklearn_partial_fit,
    "micrograd": micrograd_step,
}
