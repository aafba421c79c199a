"""The backprop stepper (lecture 5): see :func:`backprop_stepper`."""

from __future__ import annotations

import functools
import html

import ipywidgets as widgets

from .. import explore, plots, scalar
from .._validate import check_choice
from ..site.explorer import Frame, Group, compact_png, explorer_html
from ._common import _IMAGE_LAYOUT, _compact, _frames_style, _frames_tab, _png, _with_static


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
        # every step's picture and text are in the browser, one Image and one HTML a step in
        # two Stacks that follow this slider there (jsdlink): moving it needs no kernel, and a
        # click only sends the new index back (issue 21: a new picture within 60 ms)
        self.step_slider = widgets.IntSlider(
            value=0, min=0, max=0, description="step", continuous_update=False
        )
        self._pictures = _frames_tab()
        self._texts = _frames_tab()
        for stack in (self._pictures, self._texts):
            widgets.jsdlink((self.step_slider, "value"), (stack, "selected_index"))
        self.label = widgets.Label()
        self.root: scalar.Value | None = None
        self.frames: list[explore.BackpropFrame] = []
        self.index = 0
        self.step_button.on_click(lambda _: self.step())
        self.back_button.on_click(lambda _: self.back())
        self.reset_button.on_click(lambda _: self.reset())
        self.step_slider.observe(lambda change: self._show(change.new), names="value")
        self.graph.observe(self._load, names="value")
        super().__init__(
            [
                widgets.HBox([self.graph, self.back_button, self.step_button, self.reset_button]),
                widgets.HBox([self.step_slider, self.label]),
                _frames_style(),
                self._pictures,
                self._texts,
            ]
        )
        self.add_class("bc-backprop-stepper")
        self._load()

    @property
    def image(self) -> widgets.Image:
        """The picture of the frame shown now (a ``widgets.Image``)."""
        return self._pictures.children[self.index]

    @property
    def explanation(self) -> widgets.HTML:
        """The text of the frame shown now (a ``widgets.HTML``)."""
        return self._texts.children[self.index]

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
        custom = name == "(your graph)"
        self.root = self._custom if custom else explore.example_graph(name)
        self.frames = explore.backprop_frames(self.root)
        for stack in (self._pictures, self._texts):
            stack.selected_index = None  # the new children may be fewer
        self._pictures.children = [
            widgets.Image(  # a palette PNG: a quarter of the bytes, in the notebook too
                value=_compact(
                    _png(plots.plot_backprop_frame, self.root, f)
                    if custom
                    else _stepper_png(name, f.index)
                ),
                format="png",
                layout=_IMAGE_LAYOUT,
            )
            for f in self.frames
        ]
        self._texts.children = [
            widgets.HTML(f"<pre>{html.escape(f.text)}</pre>") for f in self.frames
        ]
        # one height for every step's text: a text of another height moved the rest of the
        # notebook, whose layout took most of a step's 70 ms in the browser (issue 21)
        lines = max(f.text.count("\n") + 1 for f in self.frames)
        self._texts.layout.height = f"{1.4 * lines + 2:.1f}em"
        self.index = -1  # nothing shown yet: _show(0) below updates every control
        self.step_slider.max = len(self.frames) - 1
        self._show(0)

    def _show(self, index: int) -> explore.BackpropFrame:
        if index == self.index:
            return self.frame
        self.index = index
        frame = self.frames[index]
        # the browser switches the Stacks as soon as this value arrives (jsdlink)
        self.step_slider.value = index
        for stack in (self._pictures, self._texts):
            stack.selected_index = index
        last = len(self.frames) - 1
        done = " (done: every gradient is final)" if index == last else ""
        self.label.value = f"step {index}/{last}{done}"
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
    ``.reset_button``, ``.step_slider`` (every step's picture and text are in the browser,
    which switches them as this slider moves), ``.image``, ``.label`` (``"step k/N"``),
    ``.explanation`` (the picture and text shown now); ``.frames``,
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
