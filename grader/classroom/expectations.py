"""What the kit's public checks compare with, recorded when the kit is built.

Each task whose check asks for an expectation (grader.core.expected) has a reference submission
in its notebook's grader.answers module (`REFERENCES`). Its public check runs once on the CPU with
that reference as the submission; every value the check computes from the references is kept by
name and shipped in the wheel as `grader/expected.pt`. A reference that fails its own public check
stops the build: the recording would then judge students against a broken answer.
"""

from __future__ import annotations

from typing import Any

from grader.core import expected
from grader.core.catalogue import all_tasks
from grader.core.layout import ASSIGNMENTS
from grader.core.runner import run_check


class RecordingError(Exception):
    """A reference failed its own public check, or a check asked for nothing it could record."""


def references() -> dict[str, Any]:
    """Every reference submission, by task id, from the instructor-only answers modules."""
    found: dict[str, Any] = {}
    for module in ASSIGNMENTS.values():
        found.update(expected.answers(module).REFERENCES)
    return found


def record() -> dict[str, Any]:
    """Run each task's public check with its reference; the values the checks asked for."""
    tasks = all_tasks()
    with expected.recording() as values:
        for task_id, reference in references().items():
            before = len(values)
            result = run_check(tasks[task_id], reference, device="cpu", strict=False,
                               seconds=None)
            if not result.passed:
                shown = "; ".join(f"{f.code}: {f.message}" for f in result.findings)
                raise RecordingError(f"the reference of {task_id} fails its public check: {shown}")
            if len(values) == before:
                raise RecordingError(f"{task_id} has a reference but its check asked for no "
                                     "expectation: remove it from REFERENCES")
    return values
