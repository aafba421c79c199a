"""The learning-rate explorer (lecture 2): see :func:`learning_rate_explorer`."""

from __future__ import annotations

import functools
import threading

import ipywidgets as widgets
import numpy as np

from .. import explore
from .._validate import check_choice, check_count, check_positive
from ..plots.explorers import DescentFrames
from ..site.explorer import Frame, Group, compact_png, explorer_html
from ._common import (
    _BLANK_PNG,
    _DRAW_LOCK,
    _IMAGE_LAYOUT,
    _compact,
    _FrameStack,
    _log_slider,
    _with_static,
)


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
        # the learning rate itself (any value in the range, e.g. set from code); not shown:
        # the slider shown is ``lr_slider``, whose positions' pictures the browser switches
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
        self.lr_range = (lo, hi)
        # a tenth of a decade a step (a key press: +26 %), a stored picture each (issue 21)
        self._frames = _FrameStack("learning rate", _rate_grid(lo, hi), lr, self.image)
        self.lr_slider = self._frames.slider
        self._quiet = False  # True while the kernel moves lr_slider to follow .lr
        self._displayed = False
        self._generation = 0  # of the frame refills: a newer surface or step count wins
        self.lr_slider.observe(self._slid, names="index")
        for control in (self.surface, self.lr, self.steps):
            control.observe(self.update, names="value")
        super().__init__(
            [
                widgets.HBox([self.surface, self.stable]),
                widgets.HBox([self.lr_slider, self.steps]),
                self.label,
                self._frames.view,
            ]
        )
        self.add_class("bc-lr-explorer")
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
        key, frames = (r.surface, r.n_steps), self._frames
        i = frames.position(r.lr)
        if i is not None and frames.keys[i] != key:
            frames.set_frame(i, key, _compact(self.image.value))
        self._quiet = True
        try:
            frames.show(r.lr)
        finally:
            self._quiet = False
        if self._displayed and change is not None and change.owner is not self.lr:
            self._refill()
        return r

    def _slid(self, change) -> None:
        """``lr_slider`` moved (the browser already shows its picture): compute that rate."""
        if not self._quiet:
            self.lr.value = self._frames.values[change.new]

    def _refill(self) -> None:
        """Draw every position's picture for the surface and steps now chosen, in a thread;
        until drawn a position is blank (stopping there draws it at once)."""
        self._generation += 1
        generation, key, frames = (
            self._generation,
            (self.surface.value, self.steps.value),
            self._frames,
        )
        for j in range(len(frames.values)):
            if frames.keys[j] != key:
                frames.set_frame(j, None, _BLANK_PNG)

        def run() -> None:
            start = self.lr_slider.index
            for j in sorted(range(len(frames.values)), key=lambda j: abs(j - start)):
                if self._generation != generation:
                    return
                if frames.keys[j] != key:
                    png = _compact(_descent_png(key[0], _milli_decades(frames.values[j]), key[1]))
                    if self._generation == generation:
                        frames.set_frame(j, key, png)

        threading.Thread(target=run, daemon=True, name="bc-lr-frames").start()

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
        """Every learning rate the slider can take: about ``LR_SLIDER_STEP`` decades apart
        (the starting rate replaces the nearest one)."""
        return np.array(self._frames.values)

    def _repr_mimebundle_(self, **kwargs):
        bundle = _with_static(self, super()._repr_mimebundle_(**kwargs))
        # displayed: draw every position of the slider for the surface and steps shown, so
        # the browser switches pictures with no kernel in between (issue 21: within 60 ms)
        key, frames = (self.surface.value, self.steps.value), self._frames
        for j, lr in enumerate(frames.values):
            if frames.keys[j] != key:
                png = _compact(_descent_png(key[0], _milli_decades(lr), key[1]))
                frames.set_frame(j, key, png)
        self._displayed = True
        return bundle


#: the learning-rate explorer's slider step, in decades
LR_SLIDER_STEP = 0.1


def _rate_grid(lo: float, hi: float) -> np.ndarray:
    """``lo`` to ``hi`` on a log scale, about ``LR_SLIDER_STEP`` decades apart."""
    a, b = np.log10(lo), np.log10(hi)
    return np.logspace(a, b, max(2, round((b - a) / LR_SLIDER_STEP) + 1))


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
    LearningRateExplorer, a ``VBox``: controls ``.surface``, ``.lr`` (the rate, any value in
    the range; not shown), ``.lr_slider`` (the rate shown: its positions' pictures are stored
    in the browser, which switches them with no kernel in between), ``.steps``; outputs
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
