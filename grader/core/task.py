"""A graded task declared as data: id, the name it grades, its check, points and hint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grader.core.findings import Code, Finding


@dataclass(frozen=True)
class Context:
    """What a check may know about the run: the device to use and whether it is the strict run.

    `strict` is False for the visible checks a student runs and True for hidden tests at
    autograde time, where checks may use more cases and larger inputs.
    """

    device: str = "cpu"
    strict: bool = False


# A check receives the student's object (class or function) and returns its findings;
# an empty list means the behaviour matched the reference. Checks raise nothing on purpose:
# any exception escaping a check is treated as the student's code crashing.
CheckFn = Callable[[Any, Context], list[Finding]]


@dataclass(frozen=True)
class Task:
    """One graded exercise.

    id:      "<notebook>.<name>", e.g. "mnist.train_one_epoch"; stable, used by notebooks and CLI.
    name:    the name the student defines (looked up in the notebook or module namespace).
    check:   the behaviour check.
    points:  nbgrader points of the hidden-test cell for this task.
    hint:    one or two sentences shown on request; points at the idea, never the answer.
    catches: the finding codes this check can emit (documentation and test coverage).
    missing: what NOT_IMPLEMENTED says when the name does not exist (default: define it).
    """

    id: str
    name: str
    check: CheckFn
    points: float
    hint: str
    catches: tuple[Code, ...] = field(default_factory=tuple)
    missing: str = ""

    @property
    def notebook(self) -> str:
        return self.id.split(".", 1)[0]
