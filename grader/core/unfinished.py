"""Whether an exercise still holds its released stub, for demo cells that need it finished.

The released notebooks replace each solution by `raise NotImplementedError()`; a function (or a
class with such a method) that still names NotImplementedError is taken as not written yet. This
reads code objects only: nothing of the student's is run. Exercise numbers come from the
notebook's own headings (grader.core.layout.exercise_numbers), so they match what the student
reads.
"""

from __future__ import annotations

import inspect
from types import CodeType
from typing import Any

from grader.core.layout import exercise_numbers


def _names(code: CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _names(const)
    return names


def _codes(obj: Any) -> list[CodeType]:
    if inspect.isclass(obj):
        return [c for value in vars(obj).values() for c in _codes(inspect.unwrap(value))]
    if isinstance(obj, staticmethod | classmethod):
        return _codes(obj.__func__)
    code = getattr(obj, "__code__", None)
    return [code] if isinstance(code, CodeType) else []


def is_stub(obj: Any) -> bool:
    """True when obj is a function or class whose code still raises NotImplementedError."""
    return any("NotImplementedError" in _names(code) for code in _codes(obj))


def exercise_label(assignment: str, name: str) -> str:
    """'Exercise 2 (`train_one_epoch`)', or '`train_one_epoch`' when no heading names it."""
    number = exercise_numbers(assignment).get(name)
    return f"Exercise {number} (`{name}`)" if number else f"`{name}`"
