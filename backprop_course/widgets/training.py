"""The training explorer (lecture 7): see :func:`training_explorer`."""

from __future__ import annotations

import threading
import time

import ipywidgets as widgets
import numpy as np

from .. import explore, plots
from ..site.explorer import Frame, Group, compact_png, explorer_html
from ._common import (
    _BLANK_PNG,
    _IMAGE_LAYOUT,
    _compact,
    _FrameStack,
    _log_slider,
    _png,
    _with_static,
)

_TRAINING = explore.TrainingSettings()  # the training explorer's defaults are explore.train's


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
        # the learning rate itself (any value in the range, e.g. set from code); not shown:
        # the slider shown is ``lr_slider`` over LR_GRID (the start replacing its nearest
        # rate), whose runs are trained when the widget is displayed and whose pictures the
        # browser switches with no kernel in between (issue 21: within 60 ms)
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
        self._frames = _FrameStack("learning rate", self.LR_GRID, lr, self.image)
        self.lr_slider = self._frames.slider
        self._quiet = False  # True while the kernel moves lr_slider to follow .lr
        self.lr_slider.observe(self._slid, names="index")
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
                widgets.HBox([self.lr_slider, self.hidden_width, self.epochs]),
                widgets.HBox([self.progress, self.label]),
                self._frames.view,
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
        bundle = _with_static(self, super()._repr_mimebundle_(**kwargs))
        self._sync_frames(self.settings())  # static_html trained every position's rate
        return bundle

    def _slid(self, change) -> None:
        """``lr_slider`` moved (the browser already shows its picture): that rate's run."""
        if not self._quiet:
            self.lr.value = self._frames.values[change.new]

    def _sync_frames(self, settings: explore.TrainingSettings) -> None:
        """Each position's picture for ``settings`` at its rate: the stored run's, or blank
        until trained (stopping the slider there trains it)."""
        key, frames = _frames_key(settings), self._frames
        for j, lr in enumerate(frames.values):
            if frames.keys[j] == key:
                continue
            stored = _TRAINED.get(
                (explore.TrainingSettings(**{**settings.as_kwargs(), "lr": lr}), self.rng)
            )
            if stored is not None:
                frames.set_frame(j, key, _compact(stored[1]))
            elif frames.frames[j].value != _BLANK_PNG:
                frames.set_frame(j, None, _BLANK_PNG)

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
            self._sync_frames(settings)
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
        lr, frames = result.settings.lr, self._frames
        i = frames.position(lr)
        if i is not None and frames.keys[i] != _frames_key(result.settings):
            frames.set_frame(i, _frames_key(result.settings), _compact(png))
        self._quiet = True
        try:
            frames.show(lr)
        finally:
            self._quiet = False
        self.progress.max = result.settings.epochs
        self.progress.value = result.epochs_run
        self.progress.bar_style = "danger" if result.diverged else "success"
        self.label.value = result.summary()


#: finished training runs and their pictures, by (settings, seed): runs are deterministic, so
#: a setting seen before (or stored by ``static_html``) is shown without training again
_TRAINED: dict[tuple[explore.TrainingSettings, int], tuple[explore.TrainingResult, bytes]] = {}
_TRAINED_MAX = 256


def _frames_key(s: explore.TrainingSettings) -> tuple:
    """What the pictures of the learning-rate slider's positions depend on: all but the rate."""
    return (s.dataset, s.batch_size, s.hidden_width, s.activation, s.epochs)


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
    TrainingExplorer, a ``VBox``: controls ``.dataset``, ``.lr`` (the rate, any value in the
    range; not shown), ``.lr_slider`` (the rate shown, over ``LR_GRID``: its positions'
    pictures are stored in the browser, which switches them with no kernel), ``.batch_size``,
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
