"""How a verdict reads in a notebook: one line when it passes, the findings when it does not.

A failed public check is raised as CheckFailed, which IPython shows through
`_render_traceback_()`: the verdict lines alone, with no Python traceback.
"""

from __future__ import annotations

import textwrap

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
