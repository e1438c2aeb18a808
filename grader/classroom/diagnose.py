"""Say in one line why a submission could not be autograded, and which cells misbehaved.

Two sources: the log of the `nbgrader autograde` run for the student (why nbgrader gave up on
the whole notebook: corrupt JSON, a dead kernel, nothing submitted) and the autograded notebook
(cells that hit the time limit, ran out of memory or called sys.exit(), which nbgrader records
as errors in the cell and grades as zero).
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.classroom.verdicts import Stop, cell_errors
from grader.core.limits import RunOutcome

# (text in nbgrader's log, outcome, reason) — first match wins.
_LOG_REASONS: tuple[tuple[str, str, str], ...] = (
    ("No notebooks were matched", "missing", "no notebook was submitted"),
    ("NotJSONError", "failed", "the notebook file is not valid JSON (corrupt); nothing was run"),
    ("JSONDecodeError", "failed", "the notebook file is not valid JSON (corrupt); nothing was run"),
    ("ValidationError", "failed", "the file is not a valid notebook (nbformat validation failed)"),
    ("DeadKernelError", "failed", "the kernel died while running the notebook (os._exit(), a "
                                  "crash or memory exhaustion); no cell was graded"),
    ("UnresponsiveKernelError", "failed", "the kernel stopped responding (it ignored the "
                                          "interrupt after a cell timeout); no cell was graded"),
    ("No submitted file", "failed", "the submission lacks the assignment's notebook (other "
                                    "file names are ignored)"),
)


def _error_lines(log_text: str) -> list[str]:
    return [line for line in log_text.splitlines() if "ERROR" in line or "Error" in line]


def failure(outcome: RunOutcome, log_text: str, memory_gib: float, wall: float) -> tuple[str, str]:
    """(outcome, reason) for a run of nbgrader autograde that did not grade the notebook."""
    if outcome.killed == "memory":
        return "failed", (f"the kernel used more than {memory_gib:g} GiB of memory and was "
                          f"stopped ({outcome.culprit}); no cell was graded")
    if outcome.killed == "time":
        return "failed", f"grading took longer than {wall:g} s and was stopped; no cell was graded"
    for needle, kind, reason in _LOG_REASONS:
        if needle in log_text:
            return kind, reason
    if outcome.returncode is not None and outcome.returncode < 0:
        return "failed", f"the grading process was killed by signal {-outcome.returncode}"
    errors = _error_lines(log_text)
    detail = errors[-1].strip()[:200] if errors else f"exit status {outcome.returncode}"
    return "failed", f"nbgrader could not grade the notebook: {detail}"


def _cell_label(cell: dict, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return grade_id or f"cell {index}"


# What a cell error that stopped the cell, rather than failed it, says in the status file.
_STOPPED = {
    Stop.TIMEOUT: "hit the time limit and was interrupted",
    Stop.MEMORY: "ran out of memory (the kernel's memory limit)",
    Stop.EXIT: "called sys.exit()",
}


def cell_problems(notebook: Path) -> list[str]:
    """'<cell>: <what happened>' for cells stopped by a limit or by sys.exit()."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    problems = []
    for index, cell in enumerate(nb.get("cells", [])):
        for error in cell_errors(cell.get("outputs", [])):
            if error.stop in _STOPPED:
                problems.append(f"{_cell_label(cell, index)}: {_STOPPED[error.stop]}")
    return list(dict.fromkeys(problems))  # a timeout leaves two errors in its cell
