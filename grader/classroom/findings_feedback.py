"""Feedback that helps and does not leak: a preprocessor for `nbgrader generate_feedback`.

nbgrader's feedback HTML shows each autograded notebook as executed: test cells with their hidden
tests restored, and full tracebacks (hidden test lines, grader internals). Registered in
nbgrader_config.py after nbgrader's own preprocessors, FindingsFeedback rewrites the notebook
before it is rendered:

- the `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` region of every cell is replaced by a
  one-line comment;
- a GradingFailed error (grade()'s verdict and its findings as data, read by
  grader.classroom.verdicts) becomes the list of findings, each a misconception code and what was
  observed;
- any other error becomes one line (exception and message, and the line of the student's cell),
  with plain words for a time limit, sys.exit() or running out of memory. No traceback is shown.

nbgrader loads the preprocessor by its name, so this module holds it alone with its helpers;
`python -m grader.feedback` runs generate_feedback.
"""

from __future__ import annotations

import html

from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from grader.classroom.verdicts import (
    CELL_LINE,
    HIDDEN_TESTS,
    CellError,
    Stop,
    read_error,
    stop_site,
    without_colour,
)
from grader.core.findings import Finding

HIDDEN_NOTE = "# (hidden tests ran here)\n"

_PLAIN_WORDS = {
    Stop.TIMEOUT: "This cell was stopped when it reached the time limit: look for a loop that "
                  "never ends, or far more work than the exercise needs.",
    Stop.EXIT: "This cell called sys.exit(); a notebook cell should never stop Python.",
    Stop.MEMORY: "This cell ran out of memory (the grading limit): it keeps far more data than "
                 "the exercise needs.",
}


def strip_hidden(source: str) -> str:
    """The source with each hidden-tests region replaced by a one-line comment."""
    return HIDDEN_TESTS.sub(HIDDEN_NOTE, source)


def _output(plain: str, markup: str) -> NotebookNode:
    return from_dict({"output_type": "display_data", "metadata": {},
                      "data": {"text/plain": plain, "text/html": markup}})


def findings_output(findings: list[Finding]) -> NotebookNode:
    """The findings of the hidden checks, as an output cell (HTML for the page, text as well)."""
    plain = "The hidden checks found:\n" + "\n".join(f"  • {f.code.value}: {f.message}"
                                                     for f in findings)
    items = "".join(f"<li><code>{html.escape(f.code.value)}</code> {html.escape(f.message)}</li>"
                    for f in findings)
    return _output(plain, f'<div class="alert alert-danger"><b>The hidden checks found:</b>'
                          f"<ul>{items}</ul></div>")


def error_summary(output: NotebookNode, error: CellError, line_number: bool = True) -> str:
    """One line for an error output: plain words for limits, else the exception and its line."""
    if error.stop in _PLAIN_WORDS:
        return _PLAIN_WORDS[error.stop]
    evalue = without_colour(error.evalue).strip()
    text = f"{error.ename}: {evalue}" if evalue else error.ename
    site = CELL_LINE.match(stop_site(output))
    return text + (f" (line {site[1]} of this cell)" if site and line_number else "")


def _replace_error(output: NotebookNode, test_cell: bool) -> NotebookNode:
    error = read_error(output)
    if error.stop is Stop.FINDINGS:
        return findings_output(error.findings)
    line = error_summary(output, error, line_number=not test_cell)  # hidden lines count too
    return _output(line, f'<div class="alert alert-warning">{html.escape(line)}</div>')


def clean_outputs(outputs: list[NotebookNode], test_cell: bool) -> list[NotebookNode]:
    """Outputs with each error summarised in one line, or listed as the findings it carries."""
    return [_replace_error(o, test_cell) if o.output_type == "error" else o for o in outputs]


class FindingsFeedback(NbGraderPreprocessor):
    """Hide hidden tests and tracebacks; show the grader's findings instead."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict,
                        index: int) -> tuple[NotebookNode, dict]:
        if cell.cell_type != "code":
            return cell, resources
        cell.source = strip_hidden(cell.source)
        test_cell = utils.is_grade(cell) and not utils.is_solution(cell)
        cell.outputs = clean_outputs(cell.outputs, test_cell)
        return cell, resources
