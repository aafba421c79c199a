"""Kernel-free explorers (issue 23): precomputed frames and a slider, as one HTML output.

Each widget of :mod:`backprop_course.widgets` also shows itself as ``text/html`` made here: its
frames (pictures drawn by the same pure, seeded functions the live widget calls, over a grid
of its settings) stored in the page as JSON, and a small script (``static/explorer.js``, with
``static/explorer.css``, inlined) whose ``<select>`` and range sliders pick the frame. No
kernel and no other host is needed: the site shows this output, and so does any notebook
viewer that prefers ``text/html`` to a widget view. Without JavaScript, the starting frame is
an ordinary picture.

Frames are stored as palette PNGs (:func:`compact_png`, about a quarter of the size) so a page
with three explorers stays within :data:`PAGE_BUDGET_BYTES`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PAGE_BUDGET_BYTES", "Frame", "Group", "compact_png", "explorer_html"]

_STATIC = Path(__file__).parent / "static"
#: The most one page of the site may weigh (its HTML and the images it loads), in bytes.
PAGE_BUDGET_BYTES = 5_000_000


@dataclass(frozen=True)
class Frame:
    """One picture of an explorer, the line under it, and whether its run diverged."""

    png: bytes
    text: str
    diverged: bool = False


@dataclass(frozen=True)
class Group:
    """The frames for one choice of the explorer's dropdown, over a grid of slider values.

    ``axes`` holds one list of value labels per slider; ``frames`` has one frame per point of
    the grid, the last slider varying fastest (row-major).
    """

    axes: list[list[str]]
    frames: list[Frame]

    def __post_init__(self) -> None:
        n = math.prod(len(a) for a in self.axes)
        if not self.axes or n == 0:
            raise ValueError("a group needs at least one slider, each with at least one value")
        if len(self.frames) != n:
            raise ValueError(
                f"a grid of {' x '.join(str(len(a)) for a in self.axes)} values needs {n} "
                f"frames, got {len(self.frames)}"
            )


def compact_png(png: bytes, colors: int = 128) -> bytes:
    """``png`` as a palette PNG of at most ``colors`` colours (figures have few; ~4x smaller).

    >>> from backprop_course import explore, plots
    >>> png = plots.figure_png(plots.plot_descent(explore.descent(n_steps=5)))
    >>> len(compact_png(png)) < len(png) / 2
    True
    """
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    buf = io.BytesIO()
    small.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def explorer_html(
    name: str,
    groups: dict[str, Group],
    axis_labels: list[str],
    *,
    group_label: str | None = None,
    start: tuple[str, list[int]] | None = None,
    note: str = "",
) -> str:
    """The HTML of a kernel-free explorer over ``groups`` (one per dropdown choice).

    Parameters
    ----------
    name : what it explores, a CSS-safe word (``data-explorer`` attribute, for tests)
    groups : ``{choice: Group}``; with one group and no ``group_label``, no dropdown is shown
    axis_labels : one label per slider (each group has as many axes)
    start : ``(choice, [index per slider])`` shown first (default: the first choice, 0s)
    note : a sentence above the controls (say what the frames are and how they were made)

    >>> from backprop_course.site.explorer import Frame, Group, explorer_html
    >>> f = Frame(b"png", "lr=1")
    >>> page = explorer_html("demo", {"a": Group([["1", "2"]], [f, f])}, ["lr"])
    >>> "data-explorer='demo'" in page, page.count("<details class='bc-item'")  # the frames
    (True, 2)
    """
    if not groups:
        raise ValueError("an explorer needs at least one group of frames")
    for choice, g in groups.items():
        if len(g.axes) != len(axis_labels):
            raise ValueError(
                f"group {choice!r} has {len(g.axes)} sliders, axis_labels names {len(axis_labels)}"
            )
    order = list(groups)
    choice, idx = start if start is not None else (order[0], [0] * len(axis_labels))
    if choice not in groups:
        raise ValueError(f"start choice {choice!r} is not one of {order}")
    g0 = groups[choice]
    if len(idx) != len(axis_labels) or any(
        not 0 <= i < len(a) for i, a in zip(idx, g0.axes, strict=True)
    ):
        raise ValueError(f"start indices {idx} are outside the grid of group {choice!r}")
    flat = 0
    for i, a in zip(idx, g0.axes, strict=True):
        flat = flat * len(a) + i
    first = g0.frames[flat]
    e = html.escape
    show_group = group_label is not None or len(groups) > 1
    # Every frame is in the page once, as an <img> in a <details> a reader can open: that is
    # what a viewer that runs no script (an untrusted notebook in JupyterLab, GitHub) shows.
    # With the script, the controls appear and that list is hidden.
    listing = []
    for k, g in groups.items():
        items = []
        for n, f in enumerate(g.frames):
            point, rest = [], n
            for a in reversed(g.axes):
                point.append(a[rest % len(a)])
                rest //= len(a)
            where = ", ".join(
                f"{lab} {v}" for lab, v in zip(axis_labels, reversed(point), strict=True)
            )
            items.append(
                f"<details class='bc-item' data-group='{e(k)}' data-index='{n}'"
                f" data-diverged='{int(f.diverged)}'><summary>{e(where)}: {e(f.text)}</summary>"
                f"<img alt='{e(where)}' src='{_data_uri(f.png)}'></details>"
            )
        head = f"{e(group_label or 'choice')} {e(k)}: " if show_group else ""
        listing.append(
            f"<details><summary>{head}{len(g.frames)} pictures</summary>{''.join(items)}</details>"
        )
    # the controls are made by the script (a viewer that runs none shows no dead slider)
    controls = {
        "order": order,
        "axes": {k: g.axes for k, g in groups.items()},
        "labels": axis_labels,
        "group_label": (group_label or "choice") if show_group else None,
        "start": [choice, idx],
    }
    # "</" cannot end the JSON's script element early: JSON allows "<\/" for "</"
    payload = json.dumps(controls, separators=(",", ":"))
    payload = payload.replace("</", "<\\/")
    css = (_STATIC / "explorer.css").read_text(encoding="utf-8")
    js = (_STATIC / "explorer.js").read_text(encoding="utf-8")
    n = sum(len(g.frames) for g in groups.values())
    return (
        f"<div class='bc-static-explorer' data-explorer='{e(name)}' data-frames='{n}'>"
        f"<style>{css}</style>"
        f"<p class='bc-note'>{e(note)}</p>"
        "<div class='bc-controls'></div>"
        f"<div class='bc-caption{' bc-diverged' if first.diverged else ''}'>{e(first.text)}</div>"
        f"<img class='bc-frame' alt='{e(name)} explorer' src='{_data_uri(first.png)}'>"
        f"<div class='bc-all'><p>Every picture (open one):</p>{''.join(listing)}</div>"
        f"<script type='application/json' class='bc-frames'>{payload}</script>"
        f"<script>{js}</script>"
        "</div>"
    )
