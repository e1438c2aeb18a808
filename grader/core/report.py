"""How a verdict reads in a notebook: one line when it passes, the findings when it does not.

A failed public check is raised as CheckFailed, which IPython shows through
`_render_traceback_()`: the verdict lines alone, with no Python traceback. A failed hidden check
is raised as GradingFailed: the verdict, then one structured line that carries the findings as
data to the instructor's side (grader.classroom.verdicts reads it from the graded notebook):

    grader-findings: [{"code": "SOFTMAX_BEFORE_CE", "message": "..."}, ...]
"""

from __future__ import annotations

import json
import textwrap

from grader.core.findings import Finding
from grader.core.result import Result
from grader.core.task import Task


class CheckFailed(Exception):
    """A public check failed or the task is unfinished; its message is the whole verdict."""

    def __init__(self, verdict: str) -> None:
        super().__init__(verdict)
        self.verdict = verdict

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the verdict, line by line."""
        return self.verdict.splitlines()


FINDINGS_MARK = "grader-findings: "  # starts the structured line of a GradingFailed message


def findings_line(findings: list[Finding]) -> str:
    """The structured line: FINDINGS_MARK, then the findings as one line of JSON."""
    return FINDINGS_MARK + json.dumps([f.to_dict() for f in findings], ensure_ascii=False)


class GradingFailed(AssertionError):
    """A hidden check failed (raised by grade()); its message is the verdict, then the findings
    as one structured line (`findings_line`)."""

    def __init__(self, verdict: str, findings: list[Finding]) -> None:
        super().__init__(f"{verdict}\n{findings_line(findings)}")
        self.verdict, self.findings = verdict, findings


def format_result(result: Result, task: Task, *, strict: bool = False) -> str:
    """A short, friendly verdict. Visible checks say 'public checks passed', never more."""
    kind = "hidden checks" if strict else "public checks"
    if result.passed:
        return f"✅ {task.name}: {kind} passed."
    count = len(result.findings)
    lines = [f"❌ {task.name}: the {kind} found {count} problem{'s' if count > 1 else ''}:"]
    for finding in result.findings:
        lines.append(textwrap.fill(f"• {finding.code.value}: {finding.message}", width=96,
                                   initial_indent="  ", subsequent_indent="    "))
    if not strict:
        lines.append(f'  Stuck? Run hint("{task.id}").')
    return "\n".join(lines)
