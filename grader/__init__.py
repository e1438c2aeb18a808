"""Autograder for the PyTorch basics course: behaviour checks that name the misconception.

From a notebook:
    from grader import check, hint
    check("nn_module.SimpleCNN")      # visible check: prints a verdict, never raises
    hint("nn_module.SimpleCNN")       # a nudge, not the answer
    grade("nn_module.SimpleCNN")      # hidden tests: stricter, raises AssertionError on failure

The graded name is looked up in the caller's namespace unless it is passed explicitly.
Heavy imports (torch, the task modules) happen on first use, so `import grader` is cheap.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["check", "grade", "hint"]

_MISSING: Any = object()


class GradingFailed(AssertionError):
    """Raised by grade() when a hidden check fails; its message lists the findings."""


def _lookup(name: str, obj: Any, depth: int) -> Any:
    from grader.core.runner import MISSING

    if obj is not _MISSING:
        return obj
    namespace = sys._getframe(depth + 1).f_globals
    return namespace.get(name, MISSING)


def _run(task_id: str, obj: Any, strict: bool, device: str | None):
    from grader.core.catalogue import get_task
    from grader.core.report import format_result
    from grader.core.runner import run_check

    task = get_task(task_id)
    result = run_check(task, _lookup(task.name, obj, depth=2), device=device, strict=strict)
    print(format_result(result, task, strict=strict))
    if result.note:  # on stdout: stderr in a grade cell costs the student its points
        print(result.note)
    return result


def check(task_id: str, obj: Any = _MISSING, *, device: str | None = None) -> None:
    """Run the public checks of a task and print a verdict (for the visible check cells)."""
    _run(task_id, obj, strict=False, device=device)


def grade(task_id: str, obj: Any = _MISSING, *, device: str | None = None) -> None:
    """Run the hidden checks of a task; raise GradingFailed with the findings when they fail."""
    result = _run(task_id, obj, strict=True, device=device)
    if not result.passed:
        raise GradingFailed("; ".join(f"[{f.code.value}] {f.message}" for f in result.findings))


def hint(task_id: str) -> None:
    """Print the hint of a task."""
    from grader.core.catalogue import get_task

    task = get_task(task_id)
    print(f"Hint for {task.name}: {task.hint}")
