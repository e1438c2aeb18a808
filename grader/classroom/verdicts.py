"""Read what a graded cell's error output says: the one reader of nbgrader's error outputs.

grade() raises GradingFailed, whose message ends with one structured line: FINDINGS_MARK and a
JSON list of {"code", "message"} (grader/core/report.py writes it). Any other error is classified
by what stopped the cell: the time limit, the memory limit, sys.exit(), or an ordinary exception.
feedback, analytics and diagnose all read outputs through `read_error`; both feedback
preprocessors find a cell's hidden-tests region and the line an error stopped at through this
module too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from grader.core.findings import Code, Finding
from grader.core.report import FINDINGS_MARK, GradingFailed

# A cell's hidden-tests region, from its begin marker to the end of its end marker's line.
HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?"
                          r"^[ \t]*### END HIDDEN TESTS[^\n]*(?:\n|$)", re.MULTILINE | re.DOTALL)
CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")  # IPython's traceback: where a cell stopped
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def without_colour(text: str) -> str:
    """text without the terminal colour codes IPython puts in tracebacks."""
    return _COLOUR.sub("", text)


def stop_site(output: dict[str, Any]) -> str:
    """IPython's "Cell In[n], line m" of an error output ("" when its traceback has none)."""
    found = CELL_LINE.search(without_colour("\n".join(output.get("traceback", []))))
    return found.group(0) if found else ""


class Stop(StrEnum):
    """Why a cell's code ended in an error."""

    FINDINGS = "findings"  # grade() failed: the hidden checks' findings
    TIMEOUT = "timeout"  # nbgrader's per-cell time limit interrupted it
    MEMORY = "memory"  # it ran out of memory (the kernel's limit)
    EXIT = "exit"  # it called sys.exit()
    ERROR = "error"  # any other exception


@dataclass(frozen=True)
class CellError:
    """One error output of a notebook cell, read."""

    stop: Stop
    ename: str
    evalue: str
    findings: list[Finding] = field(default_factory=list)  # for Stop.FINDINGS


def decode_findings(evalue: str) -> list[Finding]:
    """The findings of a GradingFailed message (none when it holds no structured line)."""
    for line in reversed(evalue.splitlines()):
        if line.startswith(FINDINGS_MARK):
            try:
                items = json.loads(line[len(FINDINGS_MARK):])
                return [Finding(Code(i["code"]), str(i["message"])) for i in items]
            except (ValueError, KeyError, TypeError):
                return []
    return []


def read_error(output: dict[str, Any]) -> CellError:
    """Classify one error output (output_type "error") of an executed notebook."""
    ename, evalue = str(output.get("ename", "Error")), str(output.get("evalue", ""))
    if ename == GradingFailed.__name__ and (findings := decode_findings(evalue)):
        return CellError(Stop.FINDINGS, ename, evalue, findings)
    if ename in ("CellTimeoutError", "KeyboardInterrupt"):
        return CellError(Stop.TIMEOUT, ename, evalue)
    if ename == "MemoryError" or "can't allocate memory" in evalue:
        return CellError(Stop.MEMORY, ename, evalue)
    if ename == "SystemExit":
        return CellError(Stop.EXIT, ename, evalue)
    return CellError(Stop.ERROR, ename, evalue)


def cell_errors(outputs: list[dict[str, Any]]) -> list[CellError]:
    """Every error output of a cell, read, in order."""
    return [read_error(o) for o in outputs if o.get("output_type") == "error"]
