"""Interactive widgets for the lectures: thin ipywidgets front ends over :mod:`explore`.

Each widget holds its controls as attributes, recomputes with the matching pure function of
:mod:`backprop_course.explore` when a control changes, and shows the figure as PNG bytes in a
``widgets.Image`` plus a one-line ``widgets.Label`` (``.label``) saying what was computed. The
last computed data are in ``.result`` (or ``.frames``), so a test can set a control's ``value``
and check the data without a browser.

In a lecture, put the widget in its own cell, with the reason for ignoring its output::

    # NBVAL_IGNORE_OUTPUT: a widget's output holds a model id that changes on every run
    widgets.learning_rate_explorer("ill_conditioned", lr=0.05)

and, beside it, the static figure from the same function so a reader without a kernel sees it::

    plots.plot_descent(explore.descent("ill_conditioned", lr=0.05))

Figures go into ``widgets.Image`` rather than ``widgets.Output``: an Output widget written from
a callback can hang notebook runners (Voila) and leaks pyplot figures into later cells.

>>> w = learning_rate_explorer("ill_conditioned", lr=0.05)
>>> w.lr.value = 0.2  # what moving the slider does
>>> w.result.diverged, w.label.value.startswith("lr=0.2 ")
(True, True)
"""

from __future__ import annotations

import functools
import html
import threading
import time

import ipywidgets as widgets
import numpy as np

from . import explore, plots, scalar
from ._validate import check_choice, check_count, check_positive
from .plots.explorers import EXPLORER_DPI, DescentFrames
from .site.explorer import Frame, Group, compact_png, explorer_html

__all__ = [
    "LearningRateExplorer",
    "TrainingExplorer",
    "BackpropStepper",
    "learning_rate_explorer",
    "training_explorer",
    "backprop_stepper",
]

# matplotlib's Agg drawing is not meant to run in two threads at once; widgets draw under this
_DRAW_LOCK = threading.Lock()
_IMAGE_LAYOUT = {"width": "100%", "max_width": "900px"}  # 900 px: the figures' own width
_TRAINING = explore.TrainingSettings()  # the training explorer's defaults are explore.train's


def _png(plot, *args) -> bytes:
    """PNG bytes of ``plot(*args)`` (a figure function of plots.explorers), under the lock."""
    with _DRAW_LOCK:
        return plots.figure_png(plot(*args), dpi=EXPLORER_DPI)


def _with_static(widget: widgets.Widget, bundle: dict | None) -> dict | None:
    """A widget's display bundle plus its kernel-free explorer as ``text/html`` (issue 23).

    A front end with the widget manager (JupyterLab with a kernel) shows the live widget; the
    site and viewers without one show the precomputed frames.
    """
    if bundle is not None:
        bundle["text/html"] = widget.static_html()
    return bundle


def _log_slider(
    description: str, value: float, lo: float, hi: float, step: float = 0.01
) -> widgets.FloatLogSlider:
    if not lo < value < hi and not np.isclose(value, lo) and not np.isclose(value, hi):
        raise ValueError(f"{description} {value!r} is outside the slider range [{lo:g}, {hi:g}]")
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=float(np.log10(lo)),
        max=float(np.log10(hi)),
        step=step,  # in decades
        description=description,
        readout_format=".3g",
        continuous_update=False,
        style={"description_width": "initial"},
    )


# --------------------------------------------------------------------------------------------


class LearningRateExplorer(widgets.VBox):
    """Gradient descent on a 2-D surface: see :func:`learning_rate_explorer`."""

    def __init__(
        self,
        surface: str = "ill_conditioned",
        lr: float = 0.05,
        n_steps: int = 40,
        *,
        lr_range: tuple[float, float] = (1e-3, 10**0.5),
        max_steps: int = 200,
    ) -> None:
        check_choice(surface, "surface", explore.SURFACES)
        lr = check_positive(lr, "lr")
        lo, hi = (check_positive(v, "lr_range") for v in lr_range)
        if not lo < hi:
            raise ValueError(f"lr_range must be (low, high) with low < high, got {lr_range}")
        max_steps = check_count(max_steps, "max_steps")
        n_steps = check_count(n_steps, "n_steps")
        if n_steps > max_steps:
            raise ValueError(f"n_steps must be <= max_steps={max_steps}, got {n_steps}")
        self.surface = widgets.Dropdown(
            options=list(explore.SURFACES), value=surface, description="surface"
        )
        # a twentieth of a decade a step (a key press: +12 %): positions the display stores
        self.lr = _log_slider("learning rate", lr, lo, hi, step=LR_SLIDER_STEP)
        self.steps = widgets.IntSlider(
            value=n_steps,
            min=1,
            max=max_steps,
            description="steps",
            continuous_update=False,
        )
        self.stable = widgets.Label()
        self.image = widgets.Image(format="png", layout=_IMAGE_LAYOUT)
        self.label = widgets.Label()
        self.result: explore.DescentResult | None = None
        for control in (self.surface, self.lr, self.steps):
            control.observe(self.update, names="value")
        super().__init__(
            [
                widgets.HBox([self.surface, self.stable]),
                widgets.HBox([self.lr, self.steps]),
                self.label,
                self.image,
            ]
        )
        self.add_class("bc-lr-explorer")
        self.lr_range = (lo, hi)
        self.update()

    def update(self, change=None) -> explore.DescentResult:
        """Recompute with the controls' values and redraw; returns the new result."""
        r = explore.descent(self.surface.value, lr=self.lr.value, n_steps=self.steps.value)
        lr_max = r.max_stable_lr
        self.stable.value = (
            "no single stable rate: the curvature changes from place to place"
            if lr_max is None
            else f"largest stable learning rate 2/lambda_max = {lr_max:.3g}"
        )
        self.image.value = _descent_png(r.surface, _milli_decades(r.lr), r.n_steps)
        self.result = r
        self.label.value = r.summary()
        return r

    def lr_grid(self) -> np.ndarray:
        """The kernel-free explorer's learning rates: 4 a decade over the slider's range."""
        lo, hi = self.lr_range
        return np.logspace(np.log10(lo), np.log10(hi), round(4 * np.log10(hi / lo)) + 1)

    def static_html(self) -> str:
        """The kernel-free explorer: every surface at every rate of :meth:`lr_grid`, with the
        steps shown now; the same ``explore.descent`` and pictures as the live widget."""
        grid, steps = self.lr_grid(), self.steps.value
        groups = {}
        for name in explore.SURFACES:
            frames = []
            for lr in grid:
                r = explore.descent(name, lr=float(lr), n_steps=steps)
                png = compact_png(_descent_png(name, _milli_decades(lr), steps))
                frames.append(Frame(png, r.summary(), r.diverged))
            groups[name] = Group([[f"{lr:.3g}" for lr in grid]], frames)
        near = int(np.argmin(np.abs(np.log(grid) - np.log(self.lr.value))))
        return explorer_html(
            "learning-rate",
            groups,
            ["learning rate"],
            group_label="surface",
            start=(self.surface.value, [near]),
            note=f"Precomputed explorer (no Python running): gradient descent for {steps} "
            f"steps at {len(grid)} learning rates, 4 a decade, on each surface, drawn when "
            "the lecture was executed. With a kernel, run the cell for the live explorer.",
        )

    def slider_rates(self) -> np.ndarray:
        """Every learning rate the slider can take: ``LR_SLIDER_STEP`` decades apart."""
        lo, hi = np.log10(self.lr_range)
        return 10.0 ** np.arange(lo, hi + 1e-9, LR_SLIDER_STEP)

    def _repr_mimebundle_(self, **kwargs):
        bundle = _with_static(self, super()._repr_mimebundle_(**kwargs))
        # displayed: draw every position of the slider for the surface and steps shown, so
        # moving it is a lookup (issue 21: a new picture within 60 ms); about 2 s, once
        for lr in self.slider_rates():
            _descent_png(self.surface.value, _milli_decades(lr), self.steps.value)
        return bundle


#: the learning-rate explorer's slider step, in decades
LR_SLIDER_STEP = 0.05


def _milli_decades(lr: float) -> int:
    """``lr`` as a whole number of thousandths of a decade: the pictures' cache key, so the
    same slider position hits the cache whether its rate was computed here or in JavaScript."""
    return round(1000 * np.log10(lr))


@functools.lru_cache(maxsize=16)
def _descent_frames(surface: str, n_steps: int) -> DescentFrames:
    return DescentFrames(surface, n_steps)


@functools.lru_cache(maxsize=2048)
def _descent_png(surface: str, milli_decades: int, n_steps: int) -> bytes:
    """The explorer's picture of one run: contours and axes drawn once per surface and step
    count, only the run's own lines each time (issue 21); a setting seen before is a lookup."""
    lr = 10.0 ** (milli_decades / 1000)
    with _DRAW_LOCK:
        return _descent_frames(surface, n_steps).png(explore.descent(surface, lr, n_steps))


def learning_rate_explorer(
    surface: str = "ill_conditioned",
    lr: float = 0.05,
    n_steps: int = 40,
    *,
    lr_range: tuple[float, float] = (1e-3, 10**0.5),
    max_steps: int = 200,
) -> LearningRateExplorer:
    """Sliders for the learning rate (log scale) and the number of steps of gradient descent.

    Redraws :func:`plots.plot_descent` of :func:`explore.descent` on every change: the path
    over the contours and ``f(w_t) - min f`` per step, with divergence marked in red and, for
    the quadratics, the largest stable rate ``2 / lambda_max`` shown above the sliders.

    Parameters
    ----------
    surface : a name of ``explore.SURFACES`` (the dropdown's first value)
    lr : starting learning rate, inside ``lr_range``
    n_steps : starting number of steps, ``1 <= n_steps <= max_steps``
    lr_range : the slider's ends (log scale); max_steps : the step slider's end

    Returns
    -------
    LearningRateExplorer, a ``VBox``: controls ``.surface``, ``.lr``, ``.steps``; outputs
    ``.image`` (PNG), ``.label`` (``"lr=... steps=... final loss=... converging|DIVERGED"``),
    ``.result`` (the :class:`explore.DescentResult` drawn).

    Notes
    -----
    In a lecture (the static figure shows the same data for readers without a kernel)::

        # NBVAL_IGNORE_OUTPUT: widget output holds a model id that changes on every run
        widgets.learning_rate_explorer("ill_conditioned", lr=0.05)

        plots.plot_descent(explore.descent("ill_conditioned", lr=0.05))

    >>> w = learning_rate_explorer("well_conditioned", lr=0.5, n_steps=20)
    >>> w.result.diverged, f"{w.result.max_stable_lr:.3f}"
    (False, '1.333')
    >>> w.lr.value = 1.5   # above 2 / 1.5
    >>> w.result.diverged, "DIVERGED" in w.label.value
    (True, True)
    """
    return LearningRateExplorer(surface, lr, n_steps, lr_range=lr_range, max_steps=max_steps)


# --------------------------------------------------------------------------------------------


class TrainingExplorer(widgets.VBox):
    """MLP training on toy data: see :func:`training_explorer`."""

    def __init__(
        self,
        dataset: str = _TRAINING.dataset,
        lr: float = _TRAINING.lr,
        batch_size: int = _TRAINING.batch_size,
        hidden_width: int = _TRAINING.hidden_width,
        activation: str = _TRAINING.activation,
        epochs: int = _TRAINING.epochs,
        *,
        rng: int = 0,
        background: bool = True,
    ) -> None:
        # the checks (and messages) of explore.train, before any control is built
        start = explore.TrainingSettings(dataset, lr, batch_size, hidden_width, activation, epochs)
        dataset, lr, batch_size = start.dataset, start.lr, start.batch_size
        hidden_width, activation, epochs = start.hidden_width, start.activation, start.epochs
        if not isinstance(rng, int) or isinstance(rng, bool):
            raise ValueError(f"rng must be an int seed (runs must be repeatable), got {rng!r}")
        self.rng = rng
        self.background = bool(background)
        style = {"description_width": "initial"}
        self.dataset = widgets.Dropdown(
            options=list(explore.TRAINING_DATASETS), value=dataset, description="data"
        )
        # half a decade a step: every position is a rate of LR_GRID, trained when the widget is
        # displayed, so moving this slider shows a stored picture (issue 21: within 60 ms)
        self.lr = _log_slider("learning rate", lr, self.LR_GRID[0], self.LR_GRID[-1], step=0.5)
        sizes = sorted({1, 4, 8, 16, 32, 64, 200, batch_size})
        self.batch_size = widgets.Dropdown(
            options=sizes, value=batch_size, description="batch size", style=style
        )
        self.hidden_width = widgets.IntSlider(
            value=hidden_width,
            min=1,
            max=max(64, hidden_width),
            description="hidden width",
            continuous_update=False,
            style=style,
        )
        self.activation = widgets.Dropdown(
            options=list(explore._ACTIVATIONS), value=activation, description="activation"
        )
        self.epochs = widgets.IntSlider(
            value=epochs,
            min=1,
            max=max(1000, epochs),
            description="epochs",
            continuous_update=False,
        )
        self.progress = widgets.IntProgress(value=0, min=0, max=epochs, description="training")
        self.image = widgets.Image(format="png", layout=_IMAGE_LAYOUT)
        self.label = widgets.Label()
        self.result: explore.TrainingResult | None = None
        #: one entry per run started: {"settings", "status": running|done|cancelled, "epochs"}
        self.runs: list[dict] = []
        self._lock = threading.Lock()
        self._generation = 0
        self._thread: threading.Thread | None = None
        controls = (
            self.dataset,
            self.lr,
            self.batch_size,
            self.hidden_width,
            self.activation,
            self.epochs,
        )
        for control in controls:
            control.observe(self.update, names="value")
        super().__init__(
            [
                widgets.HBox([self.dataset, self.activation, self.batch_size]),
                widgets.HBox([self.lr, self.hidden_width, self.epochs]),
                widgets.HBox([self.progress, self.label]),
                self.image,
            ]
        )
        self.add_class("bc-training-explorer")
        self._start(background=False)  # the first picture is there when the cell finishes

    #: the learning-rate slider's positions, half a decade apart (0.001 to 100): the
    #: kernel-free explorer's frames, and the runs :meth:`static_html` stores for the live one
    LR_GRID = tuple(float(x) for x in np.logspace(-3, 2, 11))

    def static_html(self) -> str:
        """The kernel-free explorer: the current settings trained at every rate of
        :attr:`LR_GRID` (same ``explore.train``, seed and picture as the live widget)."""
        base = self.settings().as_kwargs()
        frames = []
        for lr in self.LR_GRID:
            r, png = _trained(explore.TrainingSettings(**{**base, "lr": lr}), self.rng)
            frames.append(Frame(compact_png(png), r.summary(), r.diverged))
        near = int(np.argmin(np.abs(np.log(self.LR_GRID) - np.log(base["lr"]))))
        s = self.settings()
        return explorer_html(
            "training",
            {s.dataset: Group([[f"{lr:.3g}" for lr in self.LR_GRID]], frames)},
            ["learning rate"],
            start=(s.dataset, [near]),
            note=f"Precomputed explorer (no Python running): {s.dataset}, batch size "
            f"{s.batch_size}, width {s.hidden_width}, {s.activation}, {s.epochs} epochs, "
            f"seed {self.rng}, trained at {len(self.LR_GRID)} learning rates when the lecture "
            "was executed. With a kernel, run the cell for the live explorer.",
        )

    def _repr_mimebundle_(self, **kwargs):
        return _with_static(self, super()._repr_mimebundle_(**kwargs))

    def settings(self) -> explore.TrainingSettings:
        """The controls' current values (each run uses them with the widget's ``rng``)."""
        return explore.TrainingSettings(
            dataset=self.dataset.value,
            lr=float(self.lr.value),
            batch_size=int(self.batch_size.value),
            hidden_width=int(self.hidden_width.value),
            activation=self.activation.value,
            epochs=int(self.epochs.value),
        )

    def update(self, change=None) -> None:
        """Start a run with the current settings; a run still in progress is cancelled."""
        self._start(background=self.background)

    def wait(self, timeout: float | None = 60.0) -> explore.TrainingResult | None:
        """Block until the current run has finished (tests, scripts); returns ``.result``."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"training did not finish within {timeout} s")
        return self.result

    @property
    def running(self) -> bool:
        """True while a background run is in progress."""
        return self._thread is not None and self._thread.is_alive()

    def _start(self, background: bool) -> None:
        settings = self.settings()
        stored = _TRAINED.get((settings, self.rng))
        with self._lock:
            self._generation += 1
            generation = self._generation
            record = {"settings": settings, "status": "running", "epochs": 0}
            self.runs.append(record)
            if stored is not None:  # a run made before with these settings: show it now
                self._show(record, *stored)
                return
            self.progress.max = record["settings"].epochs
            self.progress.value = 0
            self.progress.bar_style = "info"
            self.label.value = "training..."
        if background:
            self._thread = threading.Thread(
                target=self._run,
                args=(generation, record, False),
                daemon=True,
                name="bc-training",
            )
            self._thread.start()
        else:
            self._run(generation, record, True)

    def _run(self, generation: int, record: dict, raise_errors: bool) -> None:
        settings = record["settings"]
        epochs = settings.epochs
        last_shown = -1.0

        def callback(epoch: int, loss: float) -> bool:
            nonlocal last_shown
            if self._generation != generation:
                return False  # a newer setting replaced this run
            record["epochs"] = epoch + 1
            now = time.monotonic()
            if epoch == 0 or epoch + 1 == epochs or now - last_shown >= 0.1:
                last_shown = now  # at most 10 progress messages a second
                with self._lock:  # a newer run may have reset the bar meanwhile
                    if self._generation == generation:
                        self.progress.value = epoch + 1
                        self.label.value = f"training... epoch {epoch + 1}/{epochs} loss {loss:.4f}"
            return True

        try:
            result = explore.train(**settings.as_kwargs(), rng=self.rng, callback=callback)
            png = None if self._generation != generation else _png(plots.plot_training, result)
            if png is not None and not result.stopped:
                _remember((settings, self.rng), (result, png))
        except Exception as exc:  # noqa: BLE001 - shown in the widget, a thread cannot raise
            with self._lock:
                if self._generation == generation:
                    record["status"] = "failed"
                    self.progress.bar_style = "danger"
                    self.label.value = f"failed: {exc}"
            if raise_errors:
                raise
            return
        with self._lock:
            if self._generation != generation:
                record["status"] = "cancelled"
                return
            self._show(record, result, png)

    def _show(self, record: dict, result: explore.TrainingResult, png: bytes) -> None:
        """Show a finished run (the caller holds ``self._lock``)."""
        record["status"] = "done"
        record["epochs"] = result.epochs_run
        self.result = result
        self.image.value = png
        self.progress.max = result.settings.epochs
        self.progress.value = result.epochs_run
        self.progress.bar_style = "danger" if result.diverged else "success"
        self.label.value = result.summary()


#: finished training runs and their pictures, by (settings, seed): runs are deterministic, so
#: a setting seen before (or stored by ``static_html``) is shown without training again
_TRAINED: dict[tuple[explore.TrainingSettings, int], tuple[explore.TrainingResult, bytes]] = {}
_TRAINED_MAX = 256


def _remember(key, value) -> None:
    if len(_TRAINED) >= _TRAINED_MAX:
        _TRAINED.pop(next(iter(_TRAINED)))  # the oldest
    _TRAINED[key] = value


def _trained(settings: explore.TrainingSettings, rng: int):
    """``(result, png)`` of training with ``settings`` and seed ``rng``, from the store if
    there."""
    key = (settings, rng)
    if key not in _TRAINED:
        result = explore.train(**settings.as_kwargs(), rng=rng)
        _remember(key, (result, _png(plots.plot_training, result)))
    return _TRAINED[key]


def training_explorer(
    dataset: str = _TRAINING.dataset,
    lr: float = _TRAINING.lr,
    batch_size: int = _TRAINING.batch_size,
    hidden_width: int = _TRAINING.hidden_width,
    activation: str = _TRAINING.activation,
    epochs: int = _TRAINING.epochs,
    *,
    rng: int = 0,
    background: bool = True,
) -> TrainingExplorer:
    """Controls for training an MLP on a toy set; shows the loss curve and decision boundary.

    Every change starts :func:`explore.train` with the controls' values (one hidden layer of
    ``hidden_width`` units, sigmoid output, cross-entropy, mini-batch SGD) and, when it ends,
    draws :func:`plots.plot_training`. While a run is in progress the progress bar and the
    label show the epoch and the loss; a new setting cancels that run (its callback returns
    False at the next epoch) and starts the new one, so the controls stay responsive. The
    same settings and ``rng`` always give the same run.

    Parameters
    ----------
    dataset, lr, batch_size, hidden_width, activation, epochs : starting values, the fields
        of :class:`explore.TrainingSettings` (checked there, with its defaults)
    rng : int seed shared by every run (data and training)
    background : train in a thread (True, for notebooks) or synchronously in the callback
        (False: deterministic tests and scripts). The first run is always synchronous.

    Returns
    -------
    TrainingExplorer, a ``VBox``: controls ``.dataset``, ``.lr``, ``.batch_size``,
    ``.hidden_width``, ``.activation``, ``.epochs``; ``.progress`` (IntProgress), ``.label``,
    ``.image``; ``.result`` (the last finished :class:`explore.TrainingResult`), ``.runs`` (each
    run's settings and status: done or cancelled), ``.wait()``.

    Notes
    -----
    In a lecture::

        # NBVAL_IGNORE_OUTPUT: widget output holds a model id that changes on every run
        widgets.training_explorer("moons", lr=0.5)

        plots.plot_training(explore.train("moons", lr=0.5))

    >>> w = training_explorer("xor", epochs=60, background=False)
    >>> w.result.settings.dataset, w.result.epochs_run
    ('xor', 60)
    >>> w.hidden_width.value = 3
    >>> w.result.model.layer_sizes
    [2, 3, 1]
    """
    return TrainingExplorer(
        dataset,
        lr,
        batch_size,
        hidden_width,
        activation,
        epochs,
        rng=rng,
        background=background,
    )


# --------------------------------------------------------------------------------------------


class BackpropStepper(widgets.VBox):
    """One backward step per click: see :func:`backprop_stepper`."""

    def __init__(self, graph: str | scalar.Value = "neuron") -> None:
        custom = isinstance(graph, scalar.Value)
        if not custom:
            check_choice(graph, "example graph", explore.EXAMPLE_GRAPHS)
        options = list(explore.EXAMPLE_GRAPHS) + (["(your graph)"] if custom else [])
        self._custom = graph if custom else None
        self.graph = widgets.Dropdown(
            options=options, value="(your graph)" if custom else graph, description="graph"
        )
        self.back_button = widgets.Button(description="back", icon="step-backward")
        self.step_button = widgets.Button(
            description="step", icon="step-forward", button_style="primary"
        )
        self.reset_button = widgets.Button(description="reset", icon="undo")
        self.image = widgets.Image(format="png", layout=_IMAGE_LAYOUT)
        self.label = widgets.Label()
        self.explanation = widgets.HTML()
        self.root: scalar.Value | None = None
        self.frames: list[explore.BackpropFrame] = []
        self.index = 0
        self._png_cache: dict[int, bytes] = {}
        self.step_button.on_click(lambda _: self.step())
        self.back_button.on_click(lambda _: self.back())
        self.reset_button.on_click(lambda _: self.reset())
        self.graph.observe(self._load, names="value")
        super().__init__(
            [
                widgets.HBox([self.graph, self.back_button, self.step_button, self.reset_button]),
                self.label,
                self.image,
                self.explanation,
            ]
        )
        self.add_class("bc-backprop-stepper")
        self._load()

    @property
    def frame(self) -> explore.BackpropFrame:
        """The frame shown now."""
        return self.frames[self.index]

    def grads(self) -> dict[str, float]:
        """``{label: partial gradient}`` of the labelled nodes in the frame shown now."""
        nodes, _ = self.root.trace()
        return {v.label: self.frame.grads[id(v)] for v in nodes if v.label}

    def step(self) -> explore.BackpropFrame:
        """Do one more backward step (no-op at the end)."""
        return self._show(min(self.index + 1, len(self.frames) - 1))

    def back(self) -> explore.BackpropFrame:
        """Undo one step (no-op at the start)."""
        return self._show(max(self.index - 1, 0))

    def reset(self) -> explore.BackpropFrame:
        """Back to frame 0: only ``dL/dL = 1`` known."""
        return self._show(0)

    def static_html(self) -> str:
        """The kernel-free stepper: every step of every example graph (and of your graph),
        drawn by the same ``explore.backprop_frames`` and picture as the live widget."""
        groups = {}
        for name in self.graph.options:
            root = self._custom if name == "(your graph)" else explore.example_graph(name)
            frames = explore.backprop_frames(root)
            pictures = [
                _png(plots.plot_backprop_frame, root, f)
                if name == "(your graph)"
                else _stepper_png(name, f.index)  # the live stepper's steps are now lookups
                for f in frames
            ]
            groups[name] = Group(
                [[str(f.index) for f in frames]],
                [Frame(compact_png(p), f.text) for p, f in zip(pictures, frames, strict=True)],
            )
        return explorer_html(
            "backprop-stepper",
            groups,
            ["step"],
            group_label="graph",
            start=(self.graph.value, [self.index]),
            note="Precomputed stepper (no Python running): move the slider to do the backward "
            "pass one node at a time. With a kernel, run the cell for the live stepper.",
        )

    def _repr_mimebundle_(self, **kwargs):
        return _with_static(self, super()._repr_mimebundle_(**kwargs))

    def _load(self, change=None) -> None:
        name = self.graph.value
        self.root = self._custom if name == "(your graph)" else explore.example_graph(name)
        self.frames = explore.backprop_frames(self.root)
        self._png_cache = {}
        self._show(0)

    def _show(self, index: int) -> explore.BackpropFrame:
        self.index = index
        frame = self.frames[index]
        if index not in self._png_cache:
            self._png_cache[index] = (
                _png(plots.plot_backprop_frame, self.root, frame)
                if self._custom is not None and self.root is self._custom
                else _stepper_png(self.graph.value, index)
            )
        self.image.value = self._png_cache[index]
        last = len(self.frames) - 1
        done = " (done: every gradient is final)" if index == last else ""
        self.label.value = f"step {index}/{last}{done}"
        self.explanation.value = f"<pre>{html.escape(frame.text)}</pre>"
        self.step_button.disabled = index == last
        self.back_button.disabled = index == 0
        return frame


@functools.lru_cache(maxsize=64)
def _stepper_png(graph: str, index: int) -> bytes:
    """The picture of step ``index`` of an example graph (they never change: drawn once)."""
    root = explore.example_graph(graph)
    return _png(plots.plot_backprop_frame, root, explore.backprop_frames(root)[index])


def backprop_stepper(graph: str | scalar.Value = "neuron") -> BackpropStepper:
    """A computation graph whose backward pass advances one node per click on "step".

    Each step takes the next node in reverse topological order with its (now final) incoming
    gradient ``dL/dnode`` and sends ``local derivative x incoming`` down every edge to its
    children; the edges of the step are orange and labelled ``local x incoming = product``,
    children that already held a contribution (where backward *accumulates* over paths) get a
    purple border, and the text below says each multiplication and sum. "back" and "reset"
    move backwards. The data are :func:`explore.backprop_frames`.

    Parameters
    ----------
    graph : a name of ``explore.EXAMPLE_GRAPHS`` (``"neuron"``, ``"shared"``, ``"square"``) or
        your own ``scalar.Value`` root (its ``.grad`` values are left as they were)

    Returns
    -------
    BackpropStepper, a ``VBox``: ``.graph`` (dropdown), ``.step_button``, ``.back_button``,
    ``.reset_button``, ``.image``, ``.label`` (``"step k/N"``), ``.explanation``; ``.frames``,
    ``.index``, ``.grads()`` (partial gradients shown now, by label), ``.step()``.

    Notes
    -----
    In a lecture::

        # NBVAL_IGNORE_OUTPUT: widget output holds a model id that changes on every run
        widgets.backprop_stepper("shared")

        root = explore.example_graph("shared"); frames = explore.backprop_frames(root)
        plots.plot_backprop_frame(root, frames[3])

    >>> w = backprop_stepper("square")
    >>> w.step_button.click(); w.step_button.click()
    >>> w.label.value, f"{w.grads()['x']:.1f}"
    ('step 2/2 (done: every gradient is final)', '108.0')
    """
    return BackpropStepper(graph)
