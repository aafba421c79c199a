"""The student's answers: which cells of a submission they are, and which names they define.

Only the source of the code cells whose nbgrader ``grade_id`` names an answer cell of the
*source* notebook is taken from a submission; every other cell, and all metadata, come from the
source. An answer name the kernel does not define becomes an :class:`Unanswered` placeholder that
raises the answer cell's own error (``NotImplementedError`` for an untouched stub) when a test
uses it.
"""

from __future__ import annotations

import ast
import re

from backprop_course.grading.boundary.sandbox import Outcome
from backprop_course.grading.boundary.session import student_error as _student_error
from backprop_course.grading.format import notebook as nbmod


class Unanswered:
    """Stands for an answer name the student's kernel does not define; any use raises."""

    def __init__(self, name: str, outcome: Outcome) -> None:
        self._error = (name, outcome)

    def _raise(self, *args, **kwargs):
        raise _student_error(*self._error)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self._raise()

    def __repr__(self) -> str:
        return f"<unanswered {self._error[0]}>"


for _dunder in (
    "__call__ __getitem__ __iter__ __len__ __bool__ __float__ __int__ __index__ __array__ "
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __pow__ "
    "__neg__ __abs__ __lt__ __le__ __gt__ __ge__ __matmul__ __rmatmul__"
).split():
    setattr(Unanswered, _dunder, Unanswered._raise)


def answer_names(source: str) -> list[str]:
    """Names an answer cell defines (imports excluded: they are not answers)."""
    imported: set[str] = set()
    try:
        for stmt in ast.parse(source).body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                imported.update(a.asname or a.name.split(".")[0] for a in stmt.names)
    except SyntaxError:  # a student's own notebook (``check``): its top-level defs, by text
        return list(dict.fromkeys(re.findall(r"^(?:async +)?(?:def|class) +(\w+)", source, re.M)))
    return [n for n in nbmod.defined_names(source) if n not in imported]


def syntax_error(code: str, gid: str) -> str | None:
    """Where an answer cell does not parse, in the cell's own line numbers (IPython's message
    names a temporary file instead); None when it parses here (IPython syntax, e.g. magics)."""
    from backprop_course.grading.scoring.testcell import python_only

    try:
        compile(python_only(code), f"answer cell {gid!r}", "exec")
    except SyntaxError as exc:
        line = f" (line {exc.lineno} of your answer cell {gid!r})" if exc.lineno else ""
        return f"{exc.msg}{line}"
    return None


def names_used(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def student_answers(sub, answer_ids: set[str]) -> tuple[dict[str, str], list[str]]:
    """Source of each answer cell in the submission, matched by grade_id; plus notes."""
    found: dict[str, str] = {}
    notes: list[str] = []
    for cell in sub.get("cells", []):
        gid = nbmod.grade_id(cell) if isinstance(cell, dict) else None
        if gid not in answer_ids:
            continue
        if cell.get("cell_type") != "code":
            notes.append(f"cell {gid!r} is no longer a code cell; it was ignored")
            continue
        if gid in found:
            notes.append(f"answer cell {gid!r} appears twice; the first one was graded")
            continue
        source = cell.get("source", "")
        found[gid] = "".join(source) if isinstance(source, list) else str(source)
    return found, notes
