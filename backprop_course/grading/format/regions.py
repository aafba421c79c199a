"""nbgrader's marked regions in a cell's source: solutions and hidden tests.

Solution cells mark the instructor's answer with ``### BEGIN SOLUTION`` / ``### END SOLUTION``;
test cells mark the tests students must not see with ``### BEGIN HIDDEN TESTS`` /
``### END HIDDEN TESTS``. The exercise keeps everything outside the markers, replaces each
solution region by a stub that raises ``NotImplementedError`` (at the indentation of its
``BEGIN`` marker) and drops each hidden region, markers included.
"""

from __future__ import annotations

import re

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"

#: What a student sees instead of a solution region (nbgrader's default for Python).
STUB_LINES = ("# YOUR CODE HERE", "raise NotImplementedError()")
#: What a student sees instead of a written (markdown) solution.
MARKDOWN_STUB = "YOUR ANSWER HERE"

_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>###\s*(BEGIN|END)\s+(SOLUTION|HIDDEN TESTS))")


def _marker_of(line: str) -> tuple[str, str] | None:
    """Return ``(indent, normalised marker)`` when ``line`` is a marker line, else None."""
    m = _MARKER.match(line)
    if m is None:
        return None
    words = m.group("marker").replace("#", "").split()
    return m.group("indent"), "### " + " ".join(words)


def find_regions(source: str, begin: str, end: str) -> list[tuple[int, int]]:
    """Return the ``(begin_line, end_line)`` index pairs of the regions marked in ``source``.

    Raises ``ValueError`` saying which line is wrong when the markers are unbalanced or
    nested.

    >>> src = "a\\n### BEGIN SOLUTION\\nb\\n### END SOLUTION\\n"
    >>> find_regions(src, BEGIN_SOLUTION, END_SOLUTION)
    [(1, 3)]
    """
    regions: list[tuple[int, int]] = []
    start: int | None = None
    for i, line in enumerate(source.splitlines()):
        found = _marker_of(line)
        if found is None:
            continue
        marker = found[1]
        if marker == begin:
            if start is not None:
                raise ValueError(
                    f"line {i + 1}: {begin!r} inside a region already opened at line "
                    f"{start + 1}; close it with {end!r} first"
                )
            start = i
        elif marker == end:
            if start is None:
                raise ValueError(f"line {i + 1}: {end!r} without a matching {begin!r}")
            regions.append((start, i))
            start = None
    if start is not None:
        raise ValueError(f"line {start + 1}: {begin!r} is never closed by {end!r}")
    return regions


def has_marker(source: str, begin: str, end: str) -> bool:
    """Whether ``source`` contains either marker of a region kind.

    >>> has_marker("x = 1", BEGIN_SOLUTION, END_SOLUTION)
    False
    """
    for line in source.splitlines():
        found = _marker_of(line)
        if found is not None and found[1] in (begin, end):
            return True
    return False


def replace_solutions(source: str, *, markdown: bool = False) -> str:
    """Replace every solution region of ``source`` by a stub; no region: replace it all.

    The stub of a code cell raises ``NotImplementedError`` at the indentation of the
    ``### BEGIN SOLUTION`` line, so a region inside a function body stays inside it.

    >>> src = "def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION\\n"
    >>> print(replace_solutions(src))
    def f(x):
        # YOUR CODE HERE
        raise NotImplementedError()
    """
    lines = source.splitlines()
    regions = find_regions(source, BEGIN_SOLUTION, END_SOLUTION)
    if not regions:
        if markdown:
            return MARKDOWN_STUB
        return "\n".join(STUB_LINES)
    out: list[str] = []
    pos = 0
    for begin, end in regions:
        out.extend(lines[pos:begin])
        indent = _marker_of(lines[begin])[0]
        if markdown:
            out.append(indent + MARKDOWN_STUB)
        else:
            out.extend(indent + stub for stub in STUB_LINES)
        pos = end + 1
    out.extend(lines[pos:])
    return "\n".join(out)


def remove_hidden_tests(source: str) -> str:
    """Drop every hidden-test region of ``source``, markers included.

    >>> print(remove_hidden_tests("assert f(1) == 2\\n### BEGIN HIDDEN TESTS\\nassert f(2) == 4\\n"
    ...                           "### END HIDDEN TESTS"))
    assert f(1) == 2
    """
    lines = source.splitlines()
    keep = [True] * len(lines)
    for begin, end in find_regions(source, BEGIN_HIDDEN, END_HIDDEN):
        for i in range(begin, end + 1):
            keep[i] = False
    return "\n".join(line for line, k in zip(lines, keep, strict=True) if k).rstrip("\n")


def public_lines(source: str) -> set[int]:
    """Return the 1-based line numbers of ``source`` that lie outside hidden-test regions.

    >>> sorted(public_lines("a\\n### BEGIN HIDDEN TESTS\\nb\\n### END HIDDEN TESTS\\nc"))
    [1, 5]
    """
    hidden: set[int] = set()
    for begin, end in find_regions(source, BEGIN_HIDDEN, END_HIDDEN):
        hidden.update(range(begin + 1, end + 2))
    return {i for i in range(1, len(source.splitlines()) + 1) if i not in hidden}
