"""What the checks do in a student's notebook: tracebacks without grader frames, numpy's
shape errors in the student's names, and the reference versions of other parts a test runs.

Re-exported by :mod:`backprop_course.grading.scoring.checks`; notebooks call them as
``checks.explain_shape_errors()`` and ``checks.use_reference(...)``.
"""

from __future__ import annotations

import contextvars
import sys

import numpy as np

from backprop_course.grading.scoring.diagnosis import CheckFailed


def explain_shape_errors() -> bool:
    """In a notebook, show numpy's shape errors in the student's names and shapes.

    After this call, a failed check shows no frame of the grader's own code (the traceback
    starts and ends in the notebook), and a ``ValueError`` that numpy raises because shapes do
    not fit (``A @ B`` with the wrong operand order, a missing transpose, arrays from the wrong
    layer) is shown as one paragraph naming the expression, the shapes of its operands and the
    rule they break (see ``grading/kernel/shapes.py``), instead of a traceback through numpy's
    internals; every other error keeps IPython's usual traceback. The exercises' setup cells
    call it. Returns False (and changes nothing) outside IPython.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    if shell is None:
        return False
    from backprop_course.grading.kernel.shapes import explain_shape_error

    def show(self, etype, value, tb, tb_offset=None):
        # IPython leaves the display to the handler; the cell still fails (status "error")
        explained = explain_shape_error(value) if isinstance(value, ValueError) else None
        if explained is None:
            self.showtraceback((etype, value, _own_frames(tb)), tb_offset=tb_offset)
            return None
        stb = [f"\x1b[0;31mValueError\x1b[0m: {explained}"]
        self._showtraceback(etype, value, stb)
        return stb

    shell.set_custom_exc((ValueError, CheckFailed), show)
    return True


def _own_frames(tb):
    """``tb`` without the frames of the grading package (a failed check's ``_fail`` and
    ``raise``): what a student reads starts and ends in the notebook's own code."""
    import os
    import types

    grading = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    kept = []
    while tb is not None:
        if not os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(grading):
            kept.append(tb)
        tb = tb.tb_next
    out = None
    for frame in reversed(kept):
        out = types.TracebackType(out, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return out


#: Set by the grader while it runs a test cell: ``hook(names, namespace)`` binds ``names`` to
#: their references in the student's kernel (and the test's proxies) until the cell ends.
STAND_IN: contextvars.ContextVar = contextvars.ContextVar("stand_in", default=None)


def use_reference(*names: str) -> None:
    """For the rest of this test cell, run the reference versions of the other parts ``names``.

    A test of one part calls the functions of other parts through it (``fit`` calls
    ``loss_and_grads``); with these bound to reference versions, the part is scored on its own
    code, and a mistake in another part costs points only there. In a notebook the names are
    bound in the cell's namespace and put back when the cell ends; under the grader they are
    bound in the student's kernel for that test (outside IPython they stay bound). Names
    without a reference raise ValueError.

    >>> ns = {"dense_forward": "mine"}
    >>> exec("from backprop_course.grading import checks\\n"
    ...      "checks.use_reference('dense_forward')", ns)
    >>> ns["dense_forward"].__module__
    'backprop_course.grading.scoring.references'
    """
    hook = STAND_IN.get()
    caller = sys._getframe(1).f_globals
    if hook is not None:
        hook(names, caller)
        return
    from backprop_course.grading.scoring import references

    bound = references.functions(names)
    saved = {name: caller.get(name, bound) for name in bound}
    caller.update(bound)

    def restore(*_args) -> None:
        for name, value in saved.items():
            if value is bound:
                caller.pop(name, None)
            else:
                caller[name] = value

    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is None or caller is not shell.user_ns:
        return

    def once(*_args) -> None:
        restore()
        shell.events.unregister("post_run_cell", once)

    shell.events.register("post_run_cell", once)


# -- per-example loops ------------------------------------------------------------------------
#: Source of the probe, run where the student's function lives (the notebook, or the student's
#: kernel under the grader): ``__backprop_course_rows__(fn, n, *args)`` calls ``fn`` with its
#: array arguments of ``n`` rows viewed as an ndarray subclass that counts reads of single rows
#: (``X[i]``, ``X[i:i+1]``, ``for x in X``, ``zip(X, y)``), and returns how many there were.
#: While it runs, the ``np`` the function sees keeps that subclass through ``np.asarray`` and
#: ``np.array``. Deterministic: it counts what the code does, never how long it takes.
PROBE_SOURCE = """
def __backprop_course_rows__(fn, n, *args):
    import types
    import numpy

    reads = [0]

    def single(key):
        first = key[0] if isinstance(key, tuple) and key else key
        if isinstance(first, slice):
            return len(range(*first.indices(n))) == 1
        return isinstance(first, int | numpy.integer)

    class Rows(numpy.ndarray):
        def __getitem__(self, key):
            if self.ndim and self.shape[0] == n and single(key):
                reads[0] += 1
            return super().__getitem__(key)

        def __iter__(self):
            if self.ndim and self.shape[0] == n:
                reads[0] += n
            return (row.view(Rows) if row.ndim else row for row in self.view(numpy.ndarray))

    def keep(f):
        def wrapped(a, *rest, **kw):
            out = f(a, *rest, **kw)
            return out.view(Rows) if isinstance(a, Rows) and isinstance(out, numpy.ndarray) else out
        return wrapped

    shim = types.ModuleType("numpy")
    shim.__dict__.update(numpy.__dict__)
    shim.asarray = shim.asanyarray = keep(numpy.asarray)
    shim.array = keep(numpy.array)
    shim.ascontiguousarray = keep(numpy.ascontiguousarray)
    args = [
        numpy.array(a, dtype=float).view(Rows)
        if isinstance(a, numpy.ndarray) and a.ndim and a.shape[0] == n else a
        for a in args
    ]
    scope = getattr(fn, "__globals__", {})
    saved = {k: v for k, v in scope.items() if v is numpy}
    scope.update(dict.fromkeys(saved, shim))
    try:
        fn(*args)
    finally:
        scope.update(saved)
    return reads[0]
"""

#: Set by the grader while it runs a test cell: ``hook(fn, n, args)`` runs the probe in the
#: student's kernel and returns the count.
ROWS_PROBE: contextvars.ContextVar = contextvars.ContextVar("rows_probe", default=None)


def row_reads(fn, n: int, *args) -> int:
    """How many single rows of its ``n``-row array arguments ``fn(*args)`` read (see
    :data:`PROBE_SOURCE`): about ``n`` or more for a Python loop over the examples, 0 for
    matrix code.

    >>> import numpy as np
    >>> def looped(X): return np.array([x.sum() for x in X])
    >>> def matrix(X): return np.asarray(X).sum(axis=1)
    >>> X = np.ones((97, 3))
    >>> row_reads(looped, 97, X), row_reads(matrix, 97, X)
    (97, 0)
    """
    hook = ROWS_PROBE.get()
    if hook is not None:
        return hook(fn, n, args)
    scope: dict = {}
    exec(compile(PROBE_SOURCE, "<probe>", "exec"), scope)
    return scope["__backprop_course_rows__"](fn, n, *args)


def check_vectorised(fn, *args, name: str = "the function", costs: float | None = None) -> None:
    """Fail with ``loops_over_examples`` when ``fn(*args)`` loops over the examples in Python.

    The batch is the first array argument's rows (use a batch of about 100, so a loop cannot
    hide). ``fn`` runs once more with those arrays viewed so that reading one row
    (``X[i]``, ``for x in X``, ``zip(X, y)``) is counted (:func:`row_reads`); matrix code reads
    none. Call it last in a test, once the values are checked: the grader then scores a right
    answer that loops ``costs`` points below the part's points (default: all but one point),
    and a notebook shows the message. If ``fn`` raises on the counted arrays, nothing is said.

    >>> import numpy as np
    >>> def forward(X, w): return np.array([x @ w for x in X])
    >>> check_vectorised(forward, np.ones((97, 2)), np.ones(2), name="forward")
    Traceback (most recent call last):
    ...
    backprop_course.grading.scoring.checks.CheckFailed: forward reads the batch one example at a
    time (97 single-row reads of 97 rows): ...
    """
    rows = [a for a in args if isinstance(a, np.ndarray) and a.ndim]
    if not rows:
        raise ValueError("check_vectorised needs an array argument whose rows are the examples")
    n = rows[0].shape[0]
    try:
        reads = row_reads(fn, n, *args)
    except Exception:  # the counted arrays broke it (or the kernel did): no verdict
        return
    if reads >= n / 2:
        failed = CheckFailed(
            f"{name} reads the batch one example at a time ({reads} single-row reads of {n} "
            "rows): a Python loop over the examples. The matrix form handles the whole batch "
            "in a few matrix products, which numpy (or a GPU) runs hundreds of times faster "
            "than a Python loop: on real data sets that is the difference between minutes and "
            "days. Write it with operations on whole matrices, no loop over the rows",
            "loops_over_examples",
        )
        failed.costs = costs
        raise failed
