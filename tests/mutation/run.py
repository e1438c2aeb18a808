"""Run one case of the suite in this process and classify its verdict."""

from __future__ import annotations

from grader.core.catalogue import get_task
from grader.core.result import Result
from grader.core.runner import MISSING, run_check
from mutation.operators import Case
from mutation.solutions import PREAMBLE, solution

CAUGHT, OTHER, MISSED = "caught with the right code", "caught with another code", "missed"
PASSED, FALSE_FAIL = "passed", "false fail"


def verdict(case: Case, strict: bool = True) -> Result:
    """The grader's verdict on the case's source (hidden checks unless strict=False)."""
    task = get_task(case.task)
    source = PREAMBLE + case.source(solution(task.name))
    namespace: dict = {"__name__": "__mutant__"}
    exec(compile(source, f"<{case.id}>", "exec"), namespace)  # noqa: S102
    return run_check(task, namespace.get(task.name, MISSING), device="cpu", strict=strict)


def outcome(case: Case, result: Result) -> str:
    if case.expected is None:
        return PASSED if result.passed else FALSE_FAIL
    if result.passed:
        return MISSED
    return CAUGHT if case.expected in result.codes else OTHER
