"""Autograder for the PyTorch basics course: behaviour checks that name the misconception.

From a notebook:
    from grader import check, hint
    check("nn_module.SimpleCNN")      # visible check: ✅ line, or the findings as a short error
    hint("nn_module.SimpleCNN")       # a nudge, not the answer
    if ready("mnist.MNISTNet"): ...   # demo cells: False and one line while the exercise is open
    grade("nn_module.SimpleCNN")      # hidden tests: stricter, raises GradingFailed on failure
                                      # (instructor's grader only; the kit's says they run later)

The graded name is looked up in the caller's namespace unless it is passed explicitly.
A failing check() ends its cell in a CheckFailed error shown as the verdict alone (no traceback),
so nbgrader's Validate and "Run All" see it; while nbgrader autogrades (NBGRADER_EXECUTION) it
only prints, and the hidden grade() that follows it in the cell decides.
Heavy imports (torch, the task modules) happen on first use, so `import grader` is cheap.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from grader.core.report import CheckFailed, GradingFailed

if TYPE_CHECKING:
    from grader.core.result import Result

__all__ = ["CheckFailed", "GradingFailed", "check", "grade", "hint", "ready"]

_MISSING: Any = object()

def _lookup(name: str, obj: Any, depth: int) -> Any:
    from grader.core.runner import MISSING

    if obj is not _MISSING:
        return obj
    namespace = sys._getframe(depth + 1).f_globals
    return namespace.get(name, MISSING)


def _run(task_id: str, obj: Any, strict: bool, device: str | None) -> tuple[Result, str]:
    """The result of a task's check and its verdict (grader.core.report)."""
    from grader.core.catalogue import get_task
    from grader.core.report import format_result
    from grader.core.runner import run_check

    task = get_task(task_id)
    result = run_check(task, _lookup(task.name, obj, depth=2), device=device, strict=strict)
    return result, format_result(result, task, strict=strict)


def _with_note(verdict: str, result: Result) -> str:
    """The verdict and, on a line of its own, what the checked code wrote to stderr or warned
    (printed on stdout: stderr in a grade cell costs the student its points)."""
    return f"{verdict}\n{result.note}" if result.note else verdict


def check(task_id: str, obj: Any = _MISSING, *, device: str | None = None) -> None:
    """Run the public checks of a task: print ✅ when they pass, else raise CheckFailed."""
    autograding = os.environ.get("NBGRADER_EXECUTION") == "autograde"
    result, verdict = _run(task_id, obj, strict=False, device=device)
    if result.passed or autograding:
        print(_with_note(verdict, result))
        return
    raise CheckFailed(_with_note(verdict, result))


def grade(task_id: str, obj: Any = _MISSING, *, device: str | None = None) -> None:
    """Run the hidden checks of a task: print ✅ when they pass, else raise GradingFailed, whose
    message is the verdict and the findings as data (grader.core.report). The student's grader
    holds no hidden check: there it only says so."""
    from grader.core.expected import instructor

    if not instructor():
        print(f"The hidden checks of {task_id} are not part of this grader: they run when the "
              f"notebook is graded. check(\"{task_id}\") runs the public ones.")
        return
    result, verdict = _run(task_id, obj, strict=True, device=device)
    if result.passed:
        print(_with_note(verdict, result))
        return
    if result.note:
        print(result.note)
    raise GradingFailed(verdict, result.findings)


def hint(task_id: str) -> None:
    """Print the hint of a task."""
    from grader.core.catalogue import get_task

    task = get_task(task_id)
    print(f"Hint for {task.name}: {task.hint}")


def ready(*task_ids: str) -> bool:
    """True when the exercises are written; else print which one to finish first, and False.

    For demo cells that use an exercise: `if ready("mnist.train_one_epoch"):`. Nothing is run;
    an undefined name or the released `raise NotImplementedError()` stub counts as unfinished.
    """
    from grader.core.catalogue import assignment_of, get_task
    from grader.core.runner import MISSING
    from grader.core.unfinished import exercise_label, is_stub

    namespace = sys._getframe(1).f_globals
    for task_id in task_ids:
        task = get_task(task_id)
        obj = namespace.get(task.name, MISSING)
        if obj is MISSING or is_stub(obj):
            label = exercise_label(assignment_of(task), task.name)
            print(f"⏭ finish {label} first: this cell needs it.")
            return False
    return True
