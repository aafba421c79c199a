"""What the three explorers share: the drawing lock, the picture size, PNG drawing, the
log-scale slider and the kernel-free ``text/html`` added to a widget's display bundle."""

from __future__ import annotations

import threading

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..plots.explorers import EXPLORER_DPI

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
