"""Feedback carries only what the grader wrote: a preprocessor for `nbgrader generate_feedback`.

Student code runs in the same kernel as the hidden tests, so it can read their source (IPython
keeps every cell's source in linecache) and the grader's, and print it. Registered in
nbgrader_config.py before FindingsFeedback, GraderWrittenOnly keeps of each code cell's outputs
only what the grader itself writes:

- solution and demo cells: no output but an error's name (a builtin exception, else "Error") and
  the line it stopped at; its message and traceback are the student's own text;
- test cells: the verdict blocks check() and grade() print ("✅ name: ... passed.", "❌ name:
  the ... found N problems:" and the lines indented under it, the "(note: ...)" line), and a
  GradingFailed error's structured findings line (grader.classroom.verdicts reads it), whose
  codes must all be the grader's codes; nothing else;
- then, in whatever is left, any line that holds a line of a hidden test of this notebook or of
  the instructor's grader source (grader/ outside the student kit) is removed.

The student's own code stays visible, as does the findings list of each failed test cell.
"""

from __future__ import annotations

import builtins
import re
from pathlib import Path

from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from grader.classroom.verdicts import HIDDEN_TESTS, Stop, decode_findings, read_error, stop_site
from grader.core.findings import Finding
from grader.core.report import GradingFailed, findings_line

GRADING_FAILED = GradingFailed.__name__

_HEADER = re.compile(r"^(✅ [\w.]+: (public|hidden) checks passed\.|"
                     r"❌ [\w.]+: the (public|hidden) checks found \d+ problems?:|"
                     r"⏭ finish .{1,80} first: this cell needs it\.)$")
_NOTE = re.compile(r"^\(note: while being checked, the code .*; not shown here\.\)$")
_BUILTIN_ERRORS = {name for name, value in vars(builtins).items()
                   if isinstance(value, type) and issubclass(value, BaseException)}
_PLAIN = {"CellTimeoutError", "KeyboardInterrupt", "MemoryError", "SystemExit"}
GRADER = Path(__file__).resolve().parent.parent  # grader/
# What the student kit leaves out of grader/ (sample_class.py holds made-up student code).
INSTRUCTOR_SOURCES = ("classroom/*.py", "autograde.py", "feedback.py", "analytics.py",
                      "release.py", "shards.py", "kit.py")
MIN_WORDS = 3  # shorter lines (`return x`, `else:`) say nothing of a test


def _words(line: str) -> str:
    return " ".join(line.split())


def hidden_lines(nb: NotebookNode) -> set[str]:
    """Every line of a hidden-tests region of the notebook, whitespace collapsed."""
    return {_words(line) for cell in nb.cells if cell.cell_type == "code"
            for region in HIDDEN_TESTS.findall(cell.source) for line in region.splitlines()
            if len(line.split()) >= MIN_WORDS}


def grader_lines() -> set[str]:
    """Lines of the instructor's grader source (commands and classroom/), whitespace collapsed."""
    lines: set[str] = set()
    for pattern in INSTRUCTOR_SOURCES:
        for path in GRADER.glob(pattern):
            lines |= {_words(line) for line in path.read_text().splitlines()
                      if len(line.split()) >= MIN_WORDS}
    return lines


def leaks(text: str, forbidden: set[str], own: set[str]) -> bool:
    """Whether `text`, whitespace collapsed (a wrapped message is whole again), holds a
    forbidden line that the cell's own visible source does not show."""
    flat = _words(text)
    return any(bad in flat for bad in forbidden if bad not in own)


def scrub(text: str, forbidden: set[str], own: set[str]) -> str:
    """`text` without the units that leak: a bullet ("  • ...") with the lines indented under
    it counts as one unit, any other line as one."""
    units: list[str] = []
    for line in text.splitlines(keepends=True):
        if units and line.startswith("    ") and units[-1].lstrip().startswith("•"):
            units[-1] += line
        else:
            units.append(line)
    return "".join(unit for unit in units if not leaks(unit, forbidden, own))


def verdict_text(text: str) -> str:
    """Of printed text, only the verdict blocks: a header line and the lines indented under it,
    and the capture note."""
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\n")
        if _HEADER.match(bare) or _NOTE.match(bare):
            kept.append(line)
            inside = bool(_HEADER.match(bare))
        elif inside and bare.startswith("  ") and bare.strip():
            kept.append(line)
        else:
            inside = False
    return "".join(kept)


def plain_error(output: NotebookNode) -> NotebookNode:
    """An error reduced to its name and the line it stopped at."""
    ename = str(output.get("ename", ""))
    if read_error(output).stop is Stop.MEMORY:
        ename = "MemoryError"
    elif ename not in _BUILTIN_ERRORS | _PLAIN:
        ename = "Error"
    site = stop_site(output)
    return from_dict({"output_type": "error", "ename": ename, "evalue": "",
                      "traceback": [site] if site else []})


def _findings_error(output: NotebookNode, forbidden: set[str], own: set[str]) -> NotebookNode:
    """A GradingFailed error rebuilt from its structured findings line alone (the verdict text
    above it is dropped), each message withheld when it quotes what the student must not see."""
    withheld = "(message withheld: it quoted code the student must not see)"
    findings = [Finding(f.code, withheld if leaks(f.message, forbidden, own) else f.message)
                for f in decode_findings(str(output.get("evalue", "")))]
    return from_dict({"output_type": "error", "ename": GRADING_FAILED,
                      "evalue": findings_line(findings), "traceback": []})


def grader_outputs(outputs: list[NotebookNode], test_cell: bool, forbidden: set[str],
                   own: set[str]) -> list[NotebookNode]:
    """What the grader wrote among a cell's outputs."""
    kept = []
    for output in outputs:
        if output.output_type == "error":
            grading = test_cell and output.get("ename") == GRADING_FAILED
            if grading and decode_findings(str(output.get("evalue", ""))):
                kept.append(_findings_error(output, forbidden, own))
            else:
                kept.append(plain_error(output))
        elif output.output_type == "stream" and test_cell:
            text = scrub(verdict_text(output.text), forbidden, own)
            if text:
                kept.append(from_dict({**output, "text": text}))
    return kept


class GraderWrittenOnly(NbGraderPreprocessor):
    """Drop every output the student's code could have written; keep the grader's verdicts."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        forbidden = hidden_lines(nb) | grader_lines()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            test_cell = utils.is_grade(cell) and not utils.is_solution(cell)
            own = {_words(line) for line in HIDDEN_TESTS.sub("", cell.source).splitlines()}
            cell.outputs = grader_outputs(cell.outputs, test_cell, forbidden, own)
        return nb, resources
