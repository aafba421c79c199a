"""What the three explorers share: the drawing lock, the picture size, PNG drawing, the
log-scale slider and the kernel-free ``text/html`` added to a widget's display bundle."""

from __future__ import annotations

import functools
import threading

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..plots.explorers import EXPLORER_DPI
from ..site.explorer import compact_png

# matplotlib's Agg drawing is not meant to run in two threads at once; widgets draw under this
_DRAW_LOCK = threading.Lock()
_IMAGE_LAYOUT = {"width": "100%", "max_width": "900px"}  # 900 px: the figures' own width


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


@functools.lru_cache(maxsize=512)
def _compact(png: bytes) -> bytes:
    """:func:`compact_png` of ``png``, remembered: a frame stored in the notebook's widget
    state costs about a quarter of the figure's own PNG."""
    return compact_png(png)


#: a blank 1x1 PNG: a position whose picture is not drawn yet (the kernel draws it when the
#: slider stops there)
_BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4f50000000049454e44ae426082"
)


#: a ``widgets.Tab`` with this class shows no tab bar or border: a stack of pictures whose
#: every picture stays loaded in the page (a ``widgets.Stack`` re-creates the picture's
#: element on every switch, and loading its bytes again took about 50 ms, issue 21)
_FRAMES_CLASS = "bc-frames"
_FRAMES_CSS = (
    "<style>.bc-frames > .widget-tab-bar {display: none !important}"
    " .bc-frames > .widget-tab-contents {border: none !important; padding: 0 !important;"
    " overflow: visible !important}</style>"
)


def _frames_tab(children=()) -> widgets.Tab:
    """A ``widgets.Tab`` shown as a plain stack: only its chosen child is visible."""
    tab = widgets.Tab(list(children), selected_index=None)
    tab.add_class(_FRAMES_CLASS)
    return tab


def _frames_style() -> widgets.HTML:
    """The style sheet of :func:`_frames_tab` (put one in each explorer)."""
    return widgets.HTML(_FRAMES_CSS, layout={"height": "0px", "margin": "0px"})


class _FrameStack:
    """A slider over fixed values whose pictures are switched in the browser (issue 21).

    ``slider`` (a ``SelectionSlider`` whose readout is the value) is linked in JavaScript
    (``jsdlink``) to ``stack``, a :func:`_frames_tab` of one ``widgets.Image`` per position,
    so releasing the slider shows its stored picture with no message to the kernel. The
    stack's last child is ``exact``: the kernel's picture of a value that is not a position
    (one set from code), shown instead. ``view`` is what to display.
    """

    def __init__(self, description: str, values, value: float, exact: widgets.Image) -> None:
        # the starting value is a position (it replaces the nearest one): the browser shows
        # the slider's frame as soon as it loads the widget, so the start must have one
        values = [float(v) for v in values]
        values[int(np.argmin(np.abs(np.log(values) - np.log(value))))] = float(value)
        self.values = tuple(values)
        self.slider = widgets.SelectionSlider(
            options=[(f"{v:.3g}", i) for i, v in enumerate(self.values)],
            value=self.nearest(value),
            description=description,
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.frames = [widgets.Image(format="png", layout=_IMAGE_LAYOUT) for _ in self.values]
        self.keys: list[object] = [None] * len(self.values)  # what each frame shows
        self.exact = exact
        self.stack = _frames_tab([*self.frames, exact])
        self.stack.selected_index = len(self.values)
        widgets.jsdlink((self.slider, "index"), (self.stack, "selected_index"))
        self.view = widgets.VBox([_frames_style(), self.stack])

    def nearest(self, value: float) -> int:
        return int(np.argmin(np.abs(np.log(self.values) - np.log(value))))

    def position(self, value: float) -> int | None:
        """The position whose value is ``value``, or None if it is between positions."""
        i = self.nearest(value)
        return i if np.isclose(self.values[i], value, rtol=1e-9, atol=0) else None

    def set_frame(self, i: int, key: object, png: bytes) -> None:
        self.frames[i].value = png
        self.keys[i] = key

    def show(self, value: float) -> None:
        """Point the slider and the stack at ``value`` (its frame must be up to date, or
        ``exact`` must hold its picture)."""
        i = self.position(value)
        self.slider.index = self.nearest(value)
        want = len(self.values) if i is None else i
        if self.stack.selected_index != want:
            self.stack.selected_index = want
