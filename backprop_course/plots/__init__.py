"""Figures for the course, matplotlib only (no graphviz binary).

``curves``: decision boundaries, loss curves, gradient-descent paths over contours,
complexity plots. ``graphs``: network diagrams and computation-graph drawings.
``training``: figures of trained models (confusion matrices, misclassified examples,
minima). ``explorers``: the figures of :mod:`backprop_course.explore`'s results (a descent
run, a training run, a backward-pass frame) and ``figure_png``. Every public function of
each is available here, e.g. ``plots.decision_boundary(...)``.
"""

from . import curves, explorers, gates, graphs, training
from . import depth as _depth  # lecture 8: gradient norms, layer histograms, dead units

__all__: list[str] = []
for _module in (curves, graphs, gates, training, explorers, _depth):
    for _fn in _module.__all__:
        globals()[_fn] = getattr(_module, _fn)
        __all__.append(_fn)
