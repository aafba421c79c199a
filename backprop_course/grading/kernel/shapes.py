"""Explain numpy's shape errors in the student's own terms: which expression, which shapes.

numpy says ``matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc
signature (n?,k),(k,m?)->(n?,m?) (size 3 is different from 2)``; a student needs to hear
"``delta @ W`` at line 3 of ``dense_backward``: ``delta`` is (5, 2) and ``W`` is (3, 2); in
``A @ B`` the last axis of A must match the first axis of B". :func:`explain_shape_error`
finds the innermost frame of the student's code in the traceback, the exact expression that
failed (Python 3.11's column positions), and the shapes of its operands, read from that
frame's variables when the operands are plain names, attributes or subscripts (nothing the
student wrote is called again).

It runs inside the student's kernel (its source is sent there, as with ``wire``), so it uses
only the standard library and never imports numpy. Hidden tests never show its text (the
grader reports only the exception's type there), since shapes could describe hidden inputs.

>>> import numpy as np
>>> def dense_backward(delta, W):
...     return delta @ W
>>> try:
...     dense_backward(np.ones((5, 2)), np.ones((3, 2)))
... except ValueError as exc:
...     print(explain_shape_error(exc))
shapes do not fit in `delta @ W` (line 2 of dense_backward): delta has shape (5, 2) and W has
shape (3, 2); in A @ B the last axis of A (here 2) must equal the first axis of B (here 3).
Are the operands in the right order, does one of them need a transpose (.T), or is one from
another layer?
"""

import ast
import linecache
import os
import re
import sys
import traceback

#: How every explanation begins (the grader recognises a shape error by it).
SHAPE_MARK = "shapes do not fit"

_NUMPY_SHAPE_ERRORS = re.compile(
    r"matmul: Input operand \d has a mismatch in its core dimension"
    r"|shapes \([\d, ]*\) and \([\d, ]*\) not aligned"
    r"|operands could not be broadcast together"
    r"|could not broadcast input array from shape"
    r"|non-broadcastable output operand"
)
_BROADCAST_SHAPES = re.compile(r"broadcast together with shapes (\([\d, ]*\)) (\([\d, ]*\))$")
#: Operand expressions read from the frame: nothing the student's code runs again (no calls,
#: but for the converting numpy functions of ``_PURE_FUNCTIONS``).
_PLAIN = (
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.Slice,
    ast.Tuple,
    ast.UnaryOp,
    ast.Load,
    ast.USub,
    ast.BinOp,  # index arithmetic such as W[l - 1]; only + and - (see _shape)
    ast.Add,
    ast.Sub,
)
_MATMUL_FUNCTIONS = {"dot", "matmul"}
#: Calls an operand may hold, such as ``np.asarray(W).T``: numpy functions and array methods
#: that only convert or re-view an array (checked by identity: a student's ``np`` or ``asarray``
#: of their own is never called), applied to arrays, numbers and containers of them.
_PURE_FUNCTIONS = {
    "asarray",
    "asanyarray",
    "array",
    "transpose",
    "ravel",
    "atleast_1d",
    "atleast_2d",
}
_PURE_METHODS = {"reshape", "ravel", "flatten", "copy", "astype", "squeeze", "transpose"}


def _numpy_folder() -> str | None:
    numpy = sys.modules.get("numpy")
    path = getattr(numpy, "__file__", None)
    return os.path.dirname(os.path.realpath(path)) + os.sep if path else None


def _student_frame(exc: BaseException):
    """The innermost traceback entry outside numpy: ``(frame, FrameSummary)`` or None."""
    numpy = _numpy_folder()
    entries = list(traceback.walk_tb(exc.__traceback__))
    summaries = traceback.extract_tb(exc.__traceback__)
    found = None
    for (frame, _), summary in zip(entries, summaries, strict=True):
        filename = os.path.realpath(frame.f_code.co_filename)
        if numpy is None or not filename.startswith(numpy):
            found = frame, summary
    return found


def _segment(summary) -> str | None:
    """The source text of the exact expression that raised (3.11 positions), or None."""
    lines = linecache.getlines(summary.filename)
    first, last = summary.lineno, summary.end_lineno or summary.lineno
    if not lines or first is None or first < 1 or last > len(lines):
        return None
    if summary.colno is None or summary.end_colno is None:
        return lines[first - 1].strip() or None
    # the columns are offsets into the UTF-8 bytes of the lines
    raw = [line.encode("utf-8") for line in lines[first - 1 : last]]
    if len(raw) == 1:
        text = raw[0][summary.colno : summary.end_colno]
    else:
        text = b"".join([raw[0][summary.colno :], *raw[1:-1], raw[-1][: summary.end_colno]])
    return " ".join(text.decode("utf-8", "replace").split()) or None


def _operation(segment: str):
    """``(kind, left, right)`` for a matrix product or an entry-wise operation, else None."""
    try:
        node = ast.parse(segment, mode="eval").body
    except SyntaxError:
        try:
            statement = ast.parse(segment, mode="exec").body[0]
        except (SyntaxError, IndexError):
            return None
        if isinstance(statement, ast.AugAssign):
            kind = "matmul" if isinstance(statement.op, ast.MatMult) else "elementwise"
            return kind, statement.target, statement.value
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            return "assign", statement.targets[0], statement.value
        return None
    if isinstance(node, ast.BinOp):
        kind = "matmul" if isinstance(node.op, ast.MatMult) else "elementwise"
        return kind, node.left, node.right
    if isinstance(node, ast.Call) and len(node.args) == 2 and not node.keywords:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _MATMUL_FUNCTIONS:
            return "matmul", node.args[0], node.args[1]
    return None


def _evaluate(node, frame):
    return eval(
        compile(ast.Expression(node), "<operand>", "eval"), frame.f_globals, dict(frame.f_locals)
    )


def _pure_calls(node, frame) -> bool:
    """Whether every call in ``node`` is one of numpy's converting functions or array methods,
    on names holding nothing but numpy's and Python's own values (see ``_PURE_FUNCTIONS``)."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return False
    pure = [getattr(numpy, name, None) for name in sorted(_PURE_FUNCTIONS)]
    for n in reversed(list(ast.walk(node))):  # inner calls are checked before outer ones
        if isinstance(n, ast.Name):
            value = frame.f_locals.get(n.id, frame.f_globals.get(n.id))
            if value is not numpy and type(value).__module__ not in ("builtins", "numpy"):
                return False
        if not isinstance(n, ast.Call):
            continue
        try:
            function = _evaluate(n.func, frame)
        except Exception:
            return False
        owner = getattr(function, "__self__", None)
        method = isinstance(owner, numpy.ndarray) and function.__name__ in _PURE_METHODS
        if not method and not any(function is f for f in pure if f is not None):
            return False
    return True


def _shape(node, frame):
    """The shape of a plain operand expression, read from the frame; None when unknown."""
    node = ast.parse(ast.unparse(node), mode="eval").body  # a target (w in w -= g) is read
    calls = (ast.Call, ast.keyword)
    if not all(isinstance(n, _PLAIN + calls) for n in ast.walk(node)):
        return None
    if any(isinstance(n, ast.Call) for n in ast.walk(node)) and not _pure_calls(node, frame):
        return None
    try:
        value = _evaluate(node, frame)
    except Exception:
        return None
    if isinstance(value, int | float | complex):
        return ()
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return shape
    return None


def _matmul_sizes(left: tuple, right: tuple) -> tuple[int, int] | None:
    if not left or not right:
        return None
    return left[-1], right[-2] if len(right) >= 2 else right[0]


def _extra_transpose(left, right, shapes) -> str | None:
    """The operand under a ``.T`` of a matrix product that would fit without it, else None."""
    for i, node in enumerate((left, right)):
        if isinstance(node, ast.Attribute) and node.attr == "T" and len(shapes[i]) == 2:
            untransposed = list(shapes)
            untransposed[i] = shapes[i][::-1]
            sizes = _matmul_sizes(*untransposed)
            if sizes and sizes[0] == sizes[1]:
                return ast.unparse(node.value)
    return None


def explain_shape_error(exc: BaseException) -> str | None:
    """Explain a numpy shape error raised by the student's code; None for any other error.

    The text names the expression that failed, the function and line it is in, the shapes of
    its operands (when they are plain names, attributes or subscripts) and the rule they
    break, and asks about the usual causes: operand order, a missing transpose, a missing
    axis, a value from the wrong layer. It never calls the student's code.
    """
    if not isinstance(exc, ValueError) or not _NUMPY_SHAPE_ERRORS.search(str(exc)):
        return None
    located = _student_frame(exc)
    segment = operation = None
    where = ""
    if located is not None:
        frame, summary = located
        segment = _segment(summary)
        operation = _operation(segment) if segment else None
        function = summary.name if summary.name != "<module>" else "your cell"
        where = f" (line {summary.lineno} of {function})"
    numpy_said = " ".join(str(exc).split())
    if operation is None:
        what = f"in `{segment}`" if segment else "in your code"
        return f"{SHAPE_MARK} {what}{where}: numpy says: {numpy_said}"
    kind, left, right = operation
    names = ast.unparse(left), ast.unparse(right)
    shapes = _shape(left, frame), _shape(right, frame)
    broadcast = _BROADCAST_SHAPES.search(numpy_said)
    if kind == "elementwise" and None in shapes and broadcast:  # numpy names both, in order
        told = tuple(tuple(int(n) for n in re.findall(r"\d+", t)) for t in broadcast.groups())
        shapes = tuple(s if s is not None else t for s, t in zip(shapes, told, strict=True))
    head = f"{SHAPE_MARK} in `{segment}`{where}: "
    if None in shapes:
        known = " and ".join(
            f"{n} has shape {s}" for n, s in zip(names, shapes, strict=True) if s is not None
        )
        return head + (f"{known}; " if known else "") + f"numpy says: {numpy_said}"
    facts = f"{names[0]} has shape {shapes[0]} and {names[1]} has shape {shapes[1]}"
    if kind == "matmul":
        sizes = _matmul_sizes(*shapes)
        rule = (
            f"in A @ B the last axis of A (here {sizes[0]}) must equal the first axis of B "
            f"(here {sizes[1]})"
            if sizes
            else "a matrix product needs arrays, not single numbers"
        )
        question = (
            "Are the operands in the right order, does one of them need a transpose (.T), "
            "or is one from another layer?"
        )
        extra = _extra_transpose(left, right, shapes)
        if extra is not None:
            question = (
                f"Is the transpose (.T) of `{extra}` one too many? Without it the shapes would fit."
            )
        return f"{head}{facts}; {rule}. {question}"
    if kind == "assign":
        return (
            f"{head}{facts}: the value does not fit the place it is written to. Is it the "
            "transpose, or from another layer?"
        )
    return (
        f"{head}{facts}, which cannot be combined entry by entry (numpy matches shapes from "
        "the last axis; each pair of sizes must be equal or 1). Is one of them transposed, from "
        "another layer, or missing an axis (x[:, None])?"
    )
