"""Whether an exercise still holds its released stub, for demo cells that need it finished.

The released notebooks replace each solution by `raise NotImplementedError()`; a function (or a
class with such a method) that still names NotImplementedError is taken as not written yet. This
reads code objects only: nothing of the student's is run. Exercise numbers come from the
notebook's own headings ("### Exercise 2 — `train_one_epoch`"), so they always match what the
student reads.
"""

from __future__ import annotations

import functools
import inspect
import re
from types import CodeType
from typing import Any

from grader.core.paths import REPO


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


@functools.cache
def exercise_numbers(assignment: str) -> dict[str, int]:
    """{graded name: exercise number} from the headings of the assignment's notebook."""
    for folder in ("notebooks", "solutions"):
        path = REPO / folder / assignment / f"{assignment}.ipynb"
        if path.is_file():
            found = re.findall(r"Exercise (\d+) — `(\w+)`", path.read_text(encoding="utf-8"))
            return {name: int(number) for number, name in found}
    return {}


def exercise_label(assignment: str, name: str) -> str:
    """'Exercise 2 (`train_one_epoch`)', or '`train_one_epoch`' when no heading names it."""
    number = exercise_numbers(assignment).get(name)
    return f"Exercise {number} (`{name}`)" if number else f"`{name}`"
