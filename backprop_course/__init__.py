"""backprop-course: the algorithms of a course on how neural networks are trained.

One small module per lecture idea: ``data``, ``perceptron``, ``optim``, ``activations``,
``losses``, ``naive``, ``scalar``, ``backprop``, ``mlp``, ``gradcheck``, ``complexity``,
``depth``, ``autodiff``, ``selfcheck``, ``plots`` and ``widgets``. Import the module you need, e.g.
``from backprop_course import mlp``.
"""

__version__ = "0.1.0"
