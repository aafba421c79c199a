"""The data behind the course's widgets: pure, seeded functions (their figures are in plots).

Every widget in :mod:`backprop_course.widgets` is a thin front end over a function here, so
what a student sees when moving a slider is what a test (or a static lecture figure) gets by
calling the function with the same arguments:

* :func:`descent` runs gradient descent on a 2-D surface (:data:`SURFACES`) and reports the path,
  the loss per step, divergence and, for the quadratics, the largest stable learning rate
  ``2 / lambda_max`` (``lambda_max`` the largest eigenvalue of the Hessian); drawn by
  ``plots.plot_descent``.
* :func:`train` fits an :class:`~backprop_course.mlp.MLP` on a toy data set and returns the loss
  history, the accuracy and the model; drawn by ``plots.plot_training``.
* :func:`backprop_frames` turns ``scalar.backward_steps`` into one frame per backward step
  (incoming gradient, local derivatives, products, partial sums, accumulation); drawn by
  ``plots.plot_backprop_frame``.

Nothing here draws: the figures are in :mod:`backprop_course.plots.explorers`.

>>> r = descent("ill_conditioned", lr=0.05, n_steps=40)
>>> print(f"{r.max_stable_lr:.3f} {r.diverged} {r.losses[-1] < r.losses[0]}")
0.100 False True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

import numpy as np

from . import data as _data
from . import scalar
from ._validate import as_vector, check_choice, check_count, check_positive
from .mlp import MLP
from .optim import gradient_descent

__all__ = [
    "SURFACES",
    "Surface",
    "DescentResult",
    "descent",
    "TRAINING_DATASETS",
    "TrainingSettings",
    "TrainingResult",
    "train",
    "EXAMPLE_GRAPHS",
    "example_graph",
    "BackpropFrame",
    "backprop_frames",
]


# --------------------------------------------------------------------------------------------
# Learning rates on 2-D surfaces
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """A function of two weights to descend: value, gradient, and (quadratics) its Hessian.

    ``f`` and ``grad`` take ``w`` of shape ``(2, ...)`` (one point, or a grid for contours).
    """

    name: str
    description: str
    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    hessian: np.ndarray | None
    f_min: float
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    @property
    def max_stable_lr(self) -> float | None:
        """``2 / lambda_max(H)`` for a quadratic; None when the curvature varies."""
        if self.hessian is None:
            return None
        return 2.0 / float(np.linalg.eigvalsh(self.hessian).max())


def _quadratic(name: str, description: str, eigenvalues, angle_deg: float, **kw) -> Surface:
    t = math.radians(angle_deg)
    R = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    H = R @ np.diag(eigenvalues) @ R.T

    def f(w):
        w = np.asarray(w, dtype=np.float64)
        return 0.5 * (H[0, 0] * w[0] ** 2 + 2 * H[0, 1] * w[0] * w[1] + H[1, 1] * w[1] ** 2)

    def grad(w):
        w = np.asarray(w, dtype=np.float64)
        return np.array([H[0, 0] * w[0] + H[0, 1] * w[1], H[1, 0] * w[0] + H[1, 1] * w[1]])

    return Surface(name, description, f, grad, H, 0.0, **kw)


_TILT = 0.3  # nonconvex: f = (w1^2 - 1)^2 + 0.5 w2^2 + TILT w1


def _nonconvex_f(w):
    w = np.asarray(w, dtype=np.float64)
    return (w[0] ** 2 - 1) ** 2 + 0.5 * w[1] ** 2 + _TILT * w[0]


def _nonconvex_grad(w):
    w = np.asarray(w, dtype=np.float64)
    return np.array([4 * w[0] * (w[0] ** 2 - 1) + _TILT, w[1]])


def _nonconvex_min() -> float:
    roots = np.roots([4.0, 0.0, -4.0, _TILT])  # df/dw1 = 0
    real = roots[np.abs(roots.imag) < 1e-12].real
    return float(min(_nonconvex_f(np.array([r, 0.0])) for r in real))


#: The surfaces :func:`descent` knows, by name.
SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        _quadratic(
            "well_conditioned",
            "f = w^T H w / 2 with Hessian eigenvalues 1 and 1.5 (round bowl)",
            (1.0, 1.5),
            0.0,
            start=(-3.0, -0.8),
            xlim=(-4.0, 4.0),
            ylim=(-3.0, 3.0),
        ),
        _quadratic(
            "ill_conditioned",
            "f = w^T H w / 2 with Hessian eigenvalues 1 and 20, rotated 30 degrees (a narrow "
            "valley: condition number 20)",
            (1.0, 20.0),
            30.0,
            start=(-3.0, -0.8),
            xlim=(-4.0, 4.0),
            ylim=(-3.0, 3.0),
        ),
        Surface(
            "nonconvex",
            "f = (w1^2 - 1)^2 + w2^2 / 2 + 0.3 w1: two valleys, the left one deeper",
            _nonconvex_f,
            _nonconvex_grad,
            None,
            _nonconvex_min(),
            start=(1.9, 1.5),
            xlim=(-2.2, 2.2),
            ylim=(-2.0, 2.0),
        ),
    )
}


@dataclass(frozen=True)
class DescentResult:
    """What :func:`descent` computed.

    Attributes
    ----------
    surface : the surface's name; lr, n_steps : the settings; start : ``(2,)``
    path : ``(n_steps + 1, 2)`` iterates ``w_0 .. w_T`` (NaN rows after overflow)
    losses : ``(n_steps + 1,)`` ``f(w_t)`` (NaN after overflow)
    diverged : True when the iterates overflowed or the last loss is above the first
    max_stable_lr : ``2 / lambda_max`` for the quadratics, None for the non-convex surface
    f_min : the surface's smallest value (for plotting ``f(w_t) - f_min``)
    """

    surface: str
    lr: float
    n_steps: int
    start: np.ndarray
    path: np.ndarray
    losses: np.ndarray
    diverged: bool
    max_stable_lr: float | None
    f_min: float

    @property
    def final_loss(self) -> float:
        """``f`` at the last iterate (inf after overflow)."""
        last = self.losses[-1]
        return float(last) if np.isfinite(last) else math.inf

    @property
    def unstable(self) -> bool | None:
        """``lr > 2 / lambda_max`` on a quadratic (divergence is then only a matter of steps,
        even if the loss has not grown yet); None on the non-convex surface."""
        if self.max_stable_lr is None:
            return None
        return self.lr > self.max_stable_lr

    def summary(self) -> str:
        """One line such as ``lr=0.05 steps=40 final loss=0.0742 converging (max stable
        lr=0.1)``; the state is ``DIVERGED``, ``unstable, not yet diverged`` or ``converging``.
        """
        if self.diverged:
            state = "DIVERGED"
        elif self.unstable:
            state = "unstable, not yet diverged"
        else:
            state = "converging"
        text = f"lr={self.lr:.3g} steps={self.n_steps} final loss={self.final_loss:.3g} {state}"
        if self.max_stable_lr is not None:
            text += f" (max stable lr={self.max_stable_lr:.3g})"
        return text


def descent(
    surface: str = "ill_conditioned",
    lr: float = 0.05,
    n_steps: int = 40,
    start: Sequence[float] | None = None,
) -> DescentResult:
    """Gradient descent ``w_{t+1} = w_t - eta grad f(w_t)`` on a named 2-D surface.

    On a quadratic ``f(w) = w^T H w / 2`` the error along the Hessian eigenvector with
    eigenvalue ``lambda`` is multiplied by ``(1 - eta lambda)`` every step, so descent converges
    exactly when ``|1 - eta lambda| < 1`` for every eigenvalue, i.e. ``eta < 2 / lambda_max``
    (the slides' "f(old) >= f(new)" needs this). The closer ``eta`` is to that bound, the more
    the fast direction oscillates; the smaller ``eta``, the slower the flat direction shrinks.

    Parameters
    ----------
    surface : one of :data:`SURFACES` (``"well_conditioned"``, ``"ill_conditioned"``,
        ``"nonconvex"``)
    lr : learning rate ``eta > 0``
    n_steps : number of steps ``T >= 0``
    start : ``(2,)`` starting point; default the surface's

    Returns
    -------
    DescentResult with ``path (T + 1, 2)``, ``losses (T + 1,)``, ``diverged`` and
    ``max_stable_lr``. The inputs are not modified.

    >>> below = descent("ill_conditioned", lr=0.099, n_steps=300)
    >>> above = descent("ill_conditioned", lr=0.101, n_steps=300)
    >>> print(below.diverged, above.diverged)
    False True
    """
    check_choice(surface, "surface", SURFACES)
    s = SURFACES[surface]
    lr = check_positive(lr, "lr")
    n_steps = check_count(n_steps, "n_steps", minimum=0)
    w0 = np.array(s.start) if start is None else as_vector(start, "start", length=2).copy()
    path = gradient_descent(s.grad, w0, lr, n_steps)
    with np.errstate(over="ignore", invalid="ignore"):
        losses = np.asarray(s.f(path.T), dtype=np.float64)
    finite = np.isfinite(losses)
    diverged = bool(not finite.all() or losses[-1] > losses[0])
    return DescentResult(surface, lr, n_steps, w0, path, losses, diverged, s.max_stable_lr, s.f_min)


# --------------------------------------------------------------------------------------------
# Training an MLP on toy data
# --------------------------------------------------------------------------------------------

#: Data sets the training explorer offers (names of ``data.DATASETS``).
TRAINING_DATASETS = ("moons", "circles", "xor", "spirals")
_ACTIVATIONS = ("tanh", "relu", "sigmoid")  # the hidden layers' choices in train and its widget


@dataclass(frozen=True)
class TrainingSettings:
    """What :func:`train` trains, and what the training widget starts from and shows.

    Checked when made (a ``ValueError`` naming the first bad setting, in the order of the
    fields) and normalised (``lr`` a float, the counts ints), so a settings object is always
    valid; :func:`train`, :class:`~backprop_course.widgets.TrainingExplorer` and its factory
    take their defaults from here. The seed is not a setting: :func:`train` also accepts a
    ``Generator``, and the widget keeps one ``rng`` for all its runs.

    Attributes
    ----------
    dataset : one of :data:`TRAINING_DATASETS`
    lr : learning rate ``eta > 0``
    batch_size, hidden_width, epochs : int >= 1
    activation : the hidden layers', ``"tanh"``, ``"relu"`` or ``"sigmoid"``
    n_samples : points in the data set (>= 4); hidden_layers : int >= 0

    >>> TrainingSettings("xor", lr=1, epochs=np.int64(30))
    TrainingSettings(dataset='xor', lr=1.0, batch_size=32, hidden_width=8, activation='tanh', \
epochs=30, n_samples=200, hidden_layers=1)
    >>> TrainingSettings(batch_size=0)
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be an integer >= 1, got 0
    """

    dataset: str = "moons"
    lr: float = 0.5
    batch_size: int = 32
    hidden_width: int = 8
    activation: str = "tanh"
    epochs: int = 200
    n_samples: int = 200
    hidden_layers: int = 1

    def __post_init__(self) -> None:
        checked = {
            "dataset": check_choice(self.dataset, "dataset", TRAINING_DATASETS),
            "lr": check_positive(self.lr, "lr"),
            "batch_size": check_count(self.batch_size, "batch_size"),
            "hidden_width": check_count(self.hidden_width, "hidden_width"),
            "activation": check_choice(self.activation, "activation", _ACTIVATIONS),
            "epochs": check_count(self.epochs, "epochs"),
            "n_samples": check_count(self.n_samples, "n_samples", minimum=4),
            "hidden_layers": check_count(self.hidden_layers, "hidden_layers", minimum=0),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)  # frozen: set once, here

    def as_kwargs(self) -> dict:
        """The settings as keyword arguments of :func:`train`."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


_DEFAULT = TrainingSettings()  # the defaults of train and of the training widget, written once


@dataclass
class TrainingResult:
    """What :func:`train` computed.

    Attributes
    ----------
    settings : :class:`TrainingSettings`, the arguments of :func:`train` but its seed
    X : ``(n, 2)``, y : ``(n,)`` 0/1 labels
    model : the fitted ``MLP`` (``model.params_``)
    loss_history : ``(epochs_run,)`` mean training loss per epoch
    accuracy : training accuracy in [0, 1] (NaN when the loss overflowed)
    diverged : the loss became NaN or infinite, or the last epoch's loss is above the first's
        (a learning rate far too large makes the loss jump about, high, without overflowing)
    stopped : the run was cancelled by the callback before all epochs
    """

    settings: TrainingSettings
    X: np.ndarray
    y: np.ndarray
    model: MLP
    loss_history: np.ndarray
    accuracy: float
    diverged: bool
    stopped: bool
    epochs_run: int = field(init=False)

    def __post_init__(self):
        self.epochs_run = int(self.loss_history.shape[0])

    def summary(self) -> str:
        """One line: the settings that matter and the outcome."""
        s = self.settings
        head = f"{s.dataset} lr={s.lr:.3g} batch={s.batch_size} width={s.hidden_width}"
        head += f" {s.activation}"
        if self.diverged and not np.isfinite(self.loss_history[-1]):
            return f"{head}: DIVERGED after {self.epochs_run} epochs"
        if self.diverged:
            last, first = self.loss_history[-1], self.loss_history[0]
            return f"{head}: DIVERGED: loss {first:.3g} at epoch 1, {last:.3g} at the end"
        last = self.loss_history[-1]
        tail = f"epochs={self.epochs_run} final loss={last:.3f} accuracy={self.accuracy:.3f}"
        return f"{head}: {tail}" + (" (stopped)" if self.stopped else "")


def train(
    dataset: str = _DEFAULT.dataset,
    lr: float = _DEFAULT.lr,
    batch_size: int = _DEFAULT.batch_size,
    hidden_width: int = _DEFAULT.hidden_width,
    activation: str = _DEFAULT.activation,
    epochs: int = _DEFAULT.epochs,
    rng: np.random.Generator | int | None = 0,
    *,
    n_samples: int = _DEFAULT.n_samples,
    hidden_layers: int = _DEFAULT.hidden_layers,
    callback: Callable[[int, float], bool | None] | None = None,
) -> TrainingResult:
    """Train a ``[2, width, ..., width, 1]`` MLP (sigmoid output, cross-entropy) on a toy set.

    Mini-batch SGD as in ``MLP.fit``: every epoch shuffles the data and takes
    ``ceil(n / batch_size)`` steps ``theta <- theta - eta dL_batch/dtheta``.

    Parameters
    ----------
    dataset, lr, batch_size, hidden_width, activation, epochs, n_samples, hidden_layers :
        the fields of :class:`TrainingSettings` (checked there): the data set, the learning
        rate ``eta > 0``, examples per step, units per hidden layer, their activation, passes
        over the data, points in the data set, number of hidden layers
    rng : seed; the data and the training both draw from it, so an int gives the same run
    callback : ``callback(epoch, loss)`` after every epoch; returning False stops the run
        (the training widget uses it to cancel a run when a setting changes)

    Returns
    -------
    TrainingResult

    >>> r = train("moons", lr=0.5, epochs=150, rng=0)
    >>> print(r.loss_history[-1] < r.loss_history[0], r.accuracy > 0.85)
    True True
    """
    settings = TrainingSettings(
        dataset, lr, batch_size, hidden_width, activation, epochs, n_samples, hidden_layers
    )
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable (epoch, loss) -> bool, got {callback!r}")
    lr, batch_size, epochs = settings.lr, settings.batch_size, settings.epochs
    rng = np.random.default_rng(rng)
    X, y = _data.DATASETS[settings.dataset](settings.n_samples, rng)
    sizes = [2] + [settings.hidden_width] * settings.hidden_layers + [1]
    model = MLP(sizes, hidden=settings.activation, output="sigmoid", loss="bce")
    stopped = False

    def on_epoch(epoch, loss):
        nonlocal stopped
        if callback is not None and callback(epoch, loss) is False:
            stopped = epoch + 1 < epochs
            return False
        return None

    model.fit(X, y, epochs=epochs, batch_size=batch_size, lr=lr, rng=rng, callback=on_epoch)
    history = np.asarray(model.loss_history_, dtype=np.float64)
    # as for descent: the loss overflowed, or it ended higher than it started (issue 21: at
    # lr = 61.7 the loss jumps about in the hundreds and the run learns nothing)
    blown_up = history.size > 1 and bool(history[-1] > history[0])
    diverged = bool(model.diverged_) or (blown_up and not stopped)
    accuracy = math.nan if model.diverged_ else model.score(X, y)
    return TrainingResult(settings, X, y, model, history, accuracy, diverged, stopped)


# --------------------------------------------------------------------------------------------
# Stepping through a backward pass
# --------------------------------------------------------------------------------------------


def _neuron():
    # lecture 5's neuron worked by hand: every node named as in its table
    x1, x2 = scalar.Value(2.0, "x1"), scalar.Value(-1.0, "x2")
    w1, w2, b = scalar.Value(-0.5, "w1"), scalar.Value(1.5, "w2"), scalar.Value(0.8, "b")
    y = scalar.Value(1.0, "y")  # the target
    p1, p2 = x1 * w1, x2 * w2
    q = p1 + p2
    s = q + b
    a = s.tanh()
    e = a - y
    loss = e**2
    for node, name in ((p1, "p1"), (p2, "p2"), (q, "q"), (s, "s"), (a, "a"), (e, "e"), (loss, "L")):
        node.label = name
    return loss


def _shared():
    x, y = scalar.Value(1.5, "x"), scalar.Value(-2.0, "y")
    u = x * y
    u.label = "u"
    v = x + y
    v.label = "v"
    p = u * v
    p.label = "p"
    f = p + x
    f.label = "f"
    return f


def _square():
    x = scalar.Value(3.0, "x")
    y = x * x
    y.label = "y"
    z = y * y
    z.label = "z"
    return z


#: Small graphs for the stepper: a neuron with a squared error, a node feeding three others
#: (x in ``f = (x y)(x + y) + x``), and ``z = (x x)^2`` (the slides' ``dz/dx = 4 x^3``).
EXAMPLE_GRAPHS: dict[str, Callable[[], scalar.Value]] = {
    "neuron": _neuron,
    "shared": _shared,
    "square": _square,
}


def example_graph(name: str = "neuron") -> scalar.Value:
    """A fresh root ``Value`` of one of :data:`EXAMPLE_GRAPHS` (forward pass done, grads 0).

    >>> root = example_graph("square")
    >>> root.backward(); print(f"{root.data:.1f}")
    81.0
    """
    check_choice(name, "example graph", EXAMPLE_GRAPHS)
    return EXAMPLE_GRAPHS[name]()


@dataclass(frozen=True)
class BackpropFrame:
    """The backward pass after ``index`` steps (frame 0: only ``dL/dL = 1`` is known).

    Attributes
    ----------
    index : number of steps done; step : the ``scalar.Step`` done last (None in frame 0)
    grads : ``{id(node): partial dL/dnode}`` after these steps (sums of the contributions so far)
    accumulated : ids of the children that already held a contribution when this step added
        another (where backward *sums* over paths)
    text : a sentence per contribution: incoming gradient x local derivative = product, and the
        child's gradient before and after
    """

    index: int
    step: scalar.Step | None
    grads: dict[int, float]
    accumulated: frozenset[int]
    text: str


def _name(v) -> str:
    if v.label:
        return v.label
    return f"({v.op})" if v.op else f"{v.data:g}"


def _name_and_op(v) -> str:
    """``"s (+)"`` for a labelled node, else :func:`_name` (which already shows the op)."""
    return f"{v.label} ({v.op})" if v.label else _name(v)


def _num(x: float) -> str:
    return f"{x:.3f}" if x >= 0 else f"({x:.3f})"


def backprop_frames(root: scalar.Value) -> list[BackpropFrame]:
    """One frame per step of ``root``'s backward pass, plus frame 0 before any step.

    A step takes node ``n`` with its final gradient ``g_n = dL/dn`` (the *incoming* gradient)
    and, for every child ``c``, adds ``(dn/dc) * g_n`` to ``c``'s gradient: local derivative
    times incoming gradient. A child that already holds a contribution *accumulates* (its
    gradient is the sum over all paths to the root). The last frame's gradients equal
    ``root.backward()``'s. The graph's ``.grad`` attributes are left as they were (the
    frames hold the gradients), so a user's graph is not changed.

    >>> frames = backprop_frames(example_graph("square"))
    >>> print(frames[-1].text.splitlines()[-1])
    x.grad: 54.000 + 3.000 x 18.000 (local dy/dx x incoming) = 108.000 (accumulates)
    """
    if not isinstance(root, scalar.Value):
        raise ValueError(f"root must be a scalar.Value, got {type(root).__name__}")
    nodes, _ = root.trace()
    saved = [v.grad for v in nodes]
    try:
        steps = scalar.backward_steps(root)
    finally:
        for v, g in zip(nodes, saved, strict=True):
            v.grad = g
    grads = {id(v): 0.0 for v in nodes}
    grads[id(root)] = 1.0
    name = _name(root)
    received: set[int] = set()  # nodes that got at least one contribution so far
    frames = [
        BackpropFrame(
            0,
            None,
            dict(grads),
            frozenset(),
            f"Start: d{name}/d{name} = 1 (the root's own gradient).",
        )
    ]
    for k, step in enumerate(steps, start=1):
        node = step.node
        lines = [
            f"Step {k}/{len(steps)}: node {_name_and_op(node)} has incoming gradient "
            f"d{name}/d{_name(node)} = {step.upstream:.3f}."
        ]
        acc = set()
        for c in step.contributions:
            child = c.child
            accumulates = id(child) in received
            received.add(id(child))
            grads[id(child)] = c.child_grad_after
            if accumulates:
                acc.add(id(child))
            lines.append(
                f"{_name(child)}.grad: {_num(c.child_grad_before)} + {_num(c.local_grad)} x "
                f"{_num(step.upstream)} (local d{_name(node)}/d{_name(child)} x incoming) = "
                f"{c.child_grad_after:.3f}" + (" (accumulates)" if accumulates else "")
            )
        frames.append(BackpropFrame(k, step, dict(grads), frozenset(acc), "\n".join(lines)))
    return frames
