"""Counters a test hands to a student's function to measure the work it does (issue 22).

:class:`CallCounter` counts the calls of a function (a loss: the forward passes);
:class:`CountingMul` is a multiply that also remembers each product it made, so that
:meth:`CountingMul.products_in` can say how many of its products a result is built from:
products computed with ``*`` behind its back, or calls whose products the result does not use
(padding), add nothing there.

Under the grader the student's function gets a twin of the counter in its kernel
(``kernel_side.Counted``), which writes a record of every call to a pipe that only the grader
reads, before the call runs: code in the kernel can add records but never remove or rewrite
one, and the grader checks every product it is told of (``a * b`` must be what the record
says) before it counts it. The counts in a test are the grader's own.

>>> loss = CallCounter(lambda p: float(p["w"] ** 2))
>>> loss({"w": 3.0}), loss.count
(9.0, 1)
>>> mul = CountingMul()
>>> grads = [mul(mul(0.5, 3.0), 0.25), 0.7]
>>> mul(1.0, 1.0), mul.count  # padding: a product nothing uses
(1.0, 3)
>>> mul.products_in(grads)
2
"""

from __future__ import annotations

import math
import operator

import numpy as np


class CallCounter:
    """A function wrapped so that its calls are counted (e.g. the forward passes of a loss).

    Hand it to code whose work is to be measured; ``count`` then says what the code did. When
    a test passes one to a student's function under the grader, the grader makes a counted
    twin of ``fn`` in the student's kernel and counts the calls the twin reports to it.

    >>> loss = CallCounter(lambda p: float(p["w"] ** 2))
    >>> loss({"w": 3.0}), loss.count
    (9.0, 1)
    """

    def __init__(self, fn) -> None:
        if not callable(fn):
            raise TypeError(f"CallCounter needs a function, got {type(fn).__name__}")
        self.fn = fn
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1
        return self.fn(*args, **kwargs)

    def reset(self) -> None:
        """Start counting from zero again."""
        self.count = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {getattr(self.fn, '__name__', self.fn)!r}: {self.count}>"


def _scalar(value) -> float | None:
    """``value`` as a float when it is one real number (a Python or numpy scalar), else None."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return None
    if isinstance(value, complex | np.complexfloating):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class CountingMul(CallCounter):
    """A multiply that counts its calls and remembers its products: ``mul(a, b)`` is
    ``op(a, b)``, ``operator.mul`` unless told otherwise.

    A test may hand a function another ``op`` (``operator.add``, say) to see that every
    multiplication it was asked to route through ``mul`` did go through it. ``count`` is the
    number of calls; :meth:`products_in` the number of its products a result is built from.

    >>> mul = CountingMul()
    >>> mul(mul(2.0, 3.0), 0.5), mul.count
    (3.0, 2)
    >>> import operator
    >>> CountingMul(operator.add)(2.0, 3.0)
    5.0
    """

    def __init__(self, op=operator.mul) -> None:
        super().__init__(op)
        #: ``product -> (a, b)`` for every product of two numbers made so far
        self.products: dict[float, tuple[float, float]] = {}

    def __call__(self, a, b):
        self.count += 1
        out = self.fn(a, b)
        self.record(a, b, out)
        return out

    def record(self, a, b, out) -> bool:
        """Remember ``out = op(a, b)`` when all three are finite real numbers; False only when
        ``op`` is ``operator.mul`` and ``out`` is not ``a * b`` (to float32 precision): a
        record that lies."""
        a, b, out = _scalar(a), _scalar(b), _scalar(out)
        if a is None or b is None or out is None:
            return True
        if self.fn is operator.mul and not math.isclose(a * b, out, rel_tol=1e-6):
            return False
        self.products.setdefault(out, (a, b))
        return True

    def reset(self) -> None:
        """Start counting from zero again and forget the products."""
        super().reset()
        self.products = {}

    def products_in(self, result) -> int:
        """How many of this multiply's products ``result`` (a number or an array of them) is
        built from: each of its numbers that is a product, the operands of those products that
        are products themselves, and so on.

        Values are matched exactly, so a product recomputed with ``*`` (the same bits) counts
        as the one ``mul`` made only if ``mul`` made it; distinct inputs keep distinct
        products apart.
        """
        try:
            values = np.asarray(result, dtype=float).ravel()
        except (TypeError, ValueError):
            return 0
        todo = [float(v) for v in values if math.isfinite(v)]
        seen: set[float] = set()
        while todo:
            value = todo.pop()
            if value in seen or value not in self.products:
                continue
            seen.add(value)
            todo.extend(self.products[value])
        return len(seen)
