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

from .descent import LearningRateExplorer, learning_rate_explorer
from .stepper import BackpropStepper, backprop_stepper
from .training import TrainingExplorer, training_explorer

__all__ = [
    "LearningRateExplorer",
    "TrainingExplorer",
    "BackpropStepper",
    "learning_rate_explorer",
    "training_explorer",
    "backprop_stepper",
]
