"""A class to measure the similarity check on: independent authors, sample class, planted copies.

    authors      correct solutions written independently (one file per author: the solution
                 cells in notebook order, separated by `# ---` lines;
                 tests/classroom/similarity_authors/)
    sample class the sample class's students (grader.classroom.sample_class), built from the
                 solution key
    planted      copy_of_<author>: an author's notebook with every local variable renamed and
                 the answer cells in reverse order (must be flagged with that author);
                 starter_only: the released notebook handed in as it is (must not be flagged)

Each student becomes submitted/<student>/<assignment>/<assignment>.ipynb in a course copy.
"""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
from pathlib import Path

import nbformat

from grader.classroom import sample_class
from grader.classroom.course import Course

SEPARATOR = "# ---"
PLANTED_PREFIX = "copy_of_"
STARTER_ONLY = "starter_only"


def read_author(path: Path) -> list[str]:
    """The answer cells of one author's file (directive comment lines dropped)."""
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                     if not line.startswith("# ruff:"))
    return [cell.strip("\n") for cell in text.split(SEPARATOR)]


def renamed(code: str) -> str:
    """The code with every local variable (assigned names, loop targets) renamed: what a
    student who copies and disguises does first. Function names and parameters stay (the
    exercise fixes them)."""
    tree = ast.parse(code)
    targets = sorted({n.id for n in ast.walk(tree)
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)})
    mapping = {name: f"my_{name}_{i}" for i, name in enumerate(targets)
               if not keyword.iskeyword(name)}
    tokens = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and tok.string in mapping:
            tok = tok._replace(string=mapping[tok.string])
        tokens.append(tok)
    return tokenize.untokenize(tokens)


def notebook_with(release: nbformat.NotebookNode, answers: list[str],
                  reverse: bool = False) -> nbformat.NotebookNode:
    """The released notebook with its answer cells filled in order (reverse: the answer cells
    swap places, as a student who moves cells around)."""
    nb = nbformat.from_dict(release)
    slots = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")]
    for slot, code in zip(slots, answers, strict=True):
        nb.cells[slot].source = code
    if reverse:
        cells = [nb.cells[i] for i in slots]
        for slot, cell in zip(slots, reversed(cells), strict=True):
            nb.cells[slot] = cell
    return nb


def write(course: Course, student: str, assignment: str, nb: nbformat.NotebookNode) -> None:
    folder = course.dir("submitted") / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")


def build(course: Course, assignment: str, authors: Path, copied: list[str],
          sample: list[str]) -> dict[str, list[str]]:
    """Write the class into course's submitted/; returns its groups of student names:
    authors, sample, planted (the copies) and starter (starter_only)."""
    release = nbformat.read(course.notebook("release", assignment), as_version=4)
    names = []
    for path in sorted(authors.glob("*.py")):
        write(course, path.stem, assignment, notebook_with(release, read_author(path)))
        names.append(path.stem)
    planted = []
    for author in copied:
        answers = [renamed(code) for code in read_author(authors / f"{author}.py")]
        write(course, PLANTED_PREFIX + author, assignment,
              notebook_with(release, answers, reverse=True))
        planted.append(PLANTED_PREFIX + author)
    write(course, STARTER_ONLY, assignment, release)
    sample_class.build(course, students=sample, assignments=[assignment])
    return {"authors": names, "sample": sample, "planted": planted, "starter": [STARTER_ONLY]}
