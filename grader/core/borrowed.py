"""Whether a submission hands in the instructor's references instead of its own code.

At grading the hidden checks run in the student's kernel, where `grader.answers` is importable,
so `from grader.answers.nn_module import LeNet` would pass. This looks at what the submitted
object is made of: its own module, a class's bases, and the names its functions (methods
included) can see, their module globals and closures. Code that reaches the answers only at call
time through importlib is not seen; the sandbox's log and the similarity report are the other
nets. It records; the runner decides what a hit means.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

ANSWERS = "grader.answers"


def _from_answers(value: Any) -> bool:
    if isinstance(value, types.ModuleType):
        name = value.__name__
    else:
        name = getattr(value, "__module__", None)
    return isinstance(name, str) and (name == ANSWERS or name.startswith(ANSWERS + "."))


def _functions(obj: Any) -> Iterator[types.FunctionType]:
    """The plain functions of obj: itself, or a class's methods (static and class ones too)."""
    if isinstance(obj, types.FunctionType):
        yield obj
    elif isinstance(obj, type):
        for value in vars(obj).values():
            value = getattr(value, "__func__", value)
            if isinstance(value, types.FunctionType):
                yield value


def _seen_by(fn: types.FunctionType) -> Iterator[Any]:
    """The values a function can reach by name: the globals it uses and its closure."""
    for name in fn.__code__.co_names:
        if name in fn.__globals__:
            yield fn.__globals__[name]
    for cell in fn.__closure__ or ():
        try:
            yield cell.cell_contents
        except ValueError:  # an empty cell
            continue


def borrows_answers(obj: Any) -> bool:
    """True when obj is, derives from, or by name uses something of grader.answers."""
    if _from_answers(obj):
        return True
    if isinstance(obj, type) and any(_from_answers(base) for base in obj.__mro__):
        return True
    return any(_from_answers(value) for fn in _functions(obj) for value in _seen_by(fn))
