"""Figures for the course, matplotlib only (no graphviz binary).

``curves``: decision boundaries, loss curves, gradient-descent paths over contours,
complexity plots. ``graphs``: network diagrams and computation-graph drawings.
``training``: figures of trained models (confusion matrices, misclassified examples,
minima). Every public function of each is available here, e.g.
``plots.decision_boundary(...)``.
"""

from importlib import import_module

__all__: list[str] = []
for _name in ("curves", "graphs", "training"):
    try:
        _module = import_module(f".{_name}", __name__)
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a submodule is missing
        if exc.name != f"{__name__}.{_name}":
            raise
        continue
    for _fn in _module.__all__:
        globals()[_fn] = getattr(_module, _fn)
        __all__.append(_fn)
