"""What the kit's public checks compare with, recorded when the kit is built.

Each task whose check asks for an expectation (grader.core.expected) has a reference submission
in its notebook's grader.answers module (`REFERENCES`). Its public check runs once on the CPU with
that reference as the submission; every value the check computes from the references is kept by
name and shipped in the wheel as `grader/expected.pt`. A reference that fails its own public check
stops the build: the recording would then judge students against a broken answer.
"""

from __future__ import annotations

from typing import Any

import torch

from grader.core import expected
from grader.core.catalogue import all_tasks
from grader.core.findings import Finding
from grader.core.layout import ASSIGNMENTS
from grader.core.task import Context, Task


class RecordingError(Exception):
    """A reference failed its own public check, or a check asked for nothing it could record."""


def references() -> dict[str, Any]:
    """Every reference submission, by task id, from the instructor-only answers modules."""
    found: dict[str, Any] = {}
    for module in ASSIGNMENTS.values():
        found.update(expected.answers(module).REFERENCES)
    return found


def _public_check(task: Task, reference: Any) -> list[Finding]:
    """The task's public check on the CPU, called directly: the runner would refuse a
    submission taken from grader.answers, and a crash here is the reference's, not a student's."""
    with torch.random.fork_rng():
        try:
            return list(task.check(reference, Context(device="cpu", strict=False)))
        except Exception as exc:
            raise RecordingError(f"the public check of {task.id} crashed on its reference: "
                                 f"{type(exc).__name__}: {exc}") from exc


def record() -> dict[str, Any]:
    """Run each task's public check with its reference; the values the checks asked for."""
    tasks = all_tasks()
    with expected.recording() as values:
        for task_id, reference in references().items():
            before = len(values)
            findings = _public_check(tasks[task_id], reference)
            if findings:
                shown = "; ".join(f"{f.code}: {f.message}" for f in findings)
                raise RecordingError(f"the reference of {task_id} fails its public check: {shown}")
            if len(values) == before:
                raise RecordingError(f"{task_id} has a reference but its check asked for no "
                                     "expectation: remove it from REFERENCES")
    return values
