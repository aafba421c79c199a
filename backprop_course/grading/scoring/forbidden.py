"""Answers that use the course's own implementation of what the exercise asks for.

An exercise's notebook metadata can list modules an answer may not use
(``metadata.backprop_course.forbidden_modules``, e.g. ``["backprop_course.mlp"]``). The
student's kernel refuses to import them at run time (see ``kernel_side``); this module reads
the answer's source, so an answer that imports one gets no points for the parts that use it,
with a message saying why, even when its code catches the refused import and carries on.
"""

from __future__ import annotations

import ast


def _matches(name: str, modules: tuple[str, ...]) -> str | None:
    for module in modules:
        if name == module or name.startswith(module + "."):
            return module
    return None


def forbidden_uses(source: str, modules: tuple[str, ...]) -> list[str]:
    """Return the forbidden modules ``source`` imports or names (each once, in order).

    Caught: ``import m``, ``from m import f``, ``from parent import child``, and ``m`` written
    as a string (``importlib.import_module("m")``, ``__import__("m")``).

    >>> mods = ("backprop_course.mlp",)
    >>> forbidden_uses("from backprop_course import mlp", mods)
    ['backprop_course.mlp']
    >>> forbidden_uses("m = importlib.import_module('backprop_course.mlp')", mods)
    ['backprop_course.mlp']
    >>> forbidden_uses("from backprop_course import data", mods)
    []
    """
    if not modules:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[str] = []

    def note(name: str) -> None:
        module = _matches(name, modules)
        if module and module not in found:
            found.append(module)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                note(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            note(node.module)
            for alias in node.names:
                note(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            note(node.value.strip())
    return found
