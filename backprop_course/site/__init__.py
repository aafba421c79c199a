"""The course as a static web site (issue 23): ``backprop-course site --out _site``.

:func:`build_site` lays out a Sphinx source folder from a checkout of the course (the stored,
executed lectures; the exercises' statements, without solutions, tests or outputs; ERRATA.md;
a home page listing them in order) and builds it with Sphinx, MyST-NB and the book theme
(``conf.py`` beside this file). Nothing is executed: the pages show the outputs stored in the
notebooks, and each explorer is the kernel-free ``text/html`` its widget stores (frames and a
slider, :mod:`backprop_course.site.explorer`). MathJax is copied into the site, so a page
loads nothing from another host.

An existing ``--out`` folder is replaced only if an earlier build made it (it holds
:data:`MARKER`); any other non-empty folder is refused.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["MARKER", "SiteResult", "build_site", "exercise_statement", "add_site_command"]

HERE = Path(__file__).parent
#: A file every built site holds, so a rebuild may replace it and nothing else.
MARKER = ".backprop-course-site"
_SOLUTION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.DOTALL)
_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.DOTALL)


@dataclass(frozen=True)
class SiteResult:
    """What :func:`build_site` wrote: the folder and its pages (paths relative to it)."""

    out: Path
    pages: list[str]

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def _title(nb_path: Path) -> str:
    """The first markdown heading of a notebook (its page title), else its file name."""
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return nb_path.stem


def exercise_statement(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """An exercise notebook as a page: its text and starter code, no tests, answers or outputs.

    Graded test cells (nbgrader ``grade: true``) are dropped whole, solution regions and hidden
    test regions are cut out of any cell that still has them, and every output is cleared.

    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("# Exercise"),
    ...     nbformat.v4.new_code_cell("x = 1\\n### BEGIN SOLUTION\\nx = 2\\n### END SOLUTION"),
    ...     nbformat.v4.new_code_cell("assert x == 2", metadata={"nbgrader": {"grade": True}}),
    ... ])
    >>> [c.source for c in exercise_statement(nb).cells]
    ['# Exercise', 'x = 1\\n# YOUR CODE HERE']
    """
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # a deep copy
    cells = []
    for cell in nb.cells:
        grader = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and grader.get("grade"):
            continue
        if cell.cell_type == "code":
            cell.source = _HIDDEN.sub("", _SOLUTION.sub("# YOUR CODE HERE", cell.source))
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    return nb


def _lecture_files(root: Path) -> list[Path]:
    lectures = sorted((root / "lectures").glob("[0-9]*.ipynb"))
    if not lectures:
        raise FileNotFoundError(f"no lectures (lectures/NN_*.ipynb) under {root}")
    extra = [root / "lectures" / f"{n}.ipynb" for n in ("course_summary", "glossary")]
    return lectures + [p for p in extra if p.exists()]


def _layout(root: Path, src: Path) -> list[str]:
    """Copy the pages into ``src`` (lectures/, exercises/, ERRATA.md, index.md); page names."""
    (src / "lectures").mkdir(parents=True)
    (src / "exercises").mkdir()
    lectures = []
    for path in _lecture_files(root):
        nb = nbformat.read(path, as_version=4)
        # the saved widget state is for a live widget manager, which the site has not (each
        # widget's kernel-free text/html is shown instead): it would only weigh the page down
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, src / "lectures" / path.name)
        lectures.append((f"lectures/{path.stem}", _title(path)))
    exercises = []
    for path in sorted((root / "exercises").glob("[0-9]*.ipynb")):
        nb = exercise_statement(nbformat.read(path, as_version=4))
        nbformat.write(nb, src / "exercises" / path.name)
        exercises.append(f"exercises/{path.stem}")
    pages = [name for name, _ in lectures] + exercises
    if (root / "ERRATA.md").exists():
        # its links to test files point into the repository, not the site: keep them as code
        text = (root / "ERRATA.md").read_text(encoding="utf-8")
        text = re.sub(r"\[`([^`\]]+)`\]\((?!https?:)[^)]*\)", r"`\1`", text)
        (src / "ERRATA.md").write_text(text, encoding="utf-8")
        pages.append("ERRATA")
    first = lectures[0][0]
    index = [
        "# How neural networks are trained",
        "",
        "A course on the perceptron, gradient descent, the chain rule and its cost, "
        "backpropagation (derived, then in matrix form) and mini-batch SGD. Every formula is "
        "checked numerically in the package `backprop_course`; these pages are its executed "
        "lectures. The explorers (learning rates in lecture 2, the backprop stepper in "
        "lecture 5, training in lecture 7) respond in the page, with no Python running: "
        "their pictures were computed when the lecture was executed.",
        "",
        f"Start with [the first lecture]({first}.ipynb). The lectures in order:",
        "",
    ]
    index += [f"{i}. [{title}]({name}.ipynb)" for i, (name, title) in enumerate(lectures, 1)]
    index += [
        "",
        "To do the exercises and have them checked, install the course and open them in "
        "JupyterLab (see the README); here are their statements:",
        "",
    ]
    index += [f"- [{_title(root / (name + '.ipynb'))}]({name}.ipynb)" for name in exercises]
    if "ERRATA" in pages:
        index += [
            "",
            "The mistakes of the source slide decks are listed in [the errata](ERRATA.md).",
        ]
    # the sidebar's sections (hidden here: the lists above say the same in prose)
    toc = [("Lectures", [n for n, _ in lectures]), ("Exercises (statements)", exercises)]
    toc += [("About the sources", ["ERRATA"])] if "ERRATA" in pages else []
    for caption, names in toc:
        index += ["", "```{toctree}", f":caption: {caption}", ":maxdepth: 1", ":hidden:", ""]
        index += [*names, "```"]
    (src / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return ["index", *pages]


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} is a file; expected a folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise FileExistsError(
            f"--out {out} is a non-empty folder that no site build made (no {MARKER} in it); "
            "refusing to overwrite it: pass an empty or new folder"
        )


def build_site(out: Path | str = "_site", root: Path | str = ".", quiet: bool = True) -> SiteResult:
    """Build the static site of the course in ``root`` into ``out``; returns the pages.

    Parameters
    ----------
    out : the folder to write (created; replaced if an earlier build made it, refused if it
        is any other non-empty folder)
    root : the course checkout holding lectures/, exercises/ and ERRATA.md
    quiet : hide Sphinx's progress lines (its warnings and errors are shown either way)

    Raises FileNotFoundError without lectures, FileExistsError for a foreign ``out``,
    RuntimeError when Sphinx fails (with its output).
    """
    out, root = Path(out), Path(root)
    _check_out(out)
    with tempfile.TemporaryDirectory(prefix="bc-site-") as tmp:
        src = Path(tmp) / "src"
        pages = _layout(root.resolve(), src)
        html = Path(tmp) / "html"
        cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(HERE), "-j", "1"]
        cmd += ["-q"] if quiet else []
        proc = subprocess.run(
            [*cmd, str(src), str(html)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"sphinx failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        if proc.stderr.strip():
            print(proc.stderr.rstrip(), file=sys.stderr)
        for stale in (html / ".doctrees", html / ".buildinfo"):
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(True)
        (html / MARKER).write_text("built by `backprop-course site`; safe to replace\n")
        (html / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ as it is
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(html, out)
    return SiteResult(out, pages)


def _run(args: argparse.Namespace) -> int:
    result = build_site(args.out, args.root, quiet=not args.verbose)
    print(f"wrote {len(result.pages)} pages to {result.out}; open {result.index}")
    return 0


def add_site_command(sub) -> None:
    """Add the ``site`` subcommand to ``backprop-course``'s subparsers."""
    p = sub.add_parser("site", help="build the course as a static web site (no server needed)")
    p.add_argument("--out", type=Path, default=Path("_site"), metavar="DIR", help="default _site")
    p.add_argument(
        "--root", type=Path, default=Path("."), metavar="DIR", help="the course checkout (.)"
    )
    p.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    p.set_defaults(run=_run)
