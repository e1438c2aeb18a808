"""How a verdict reads in a notebook: one line when it passes, the findings when it does not."""

from __future__ import annotations

import textwrap

from grader.core.result import Result
from grader.core.task import Task


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
