"""Text operators over a solution's source, and the mutants and equivalents built from them.

An operator is a list of edits applied in order; every edit must find its anchor in the source
(a changed solution that no longer matches makes the case fail loudly instead of testing
nothing). `Case.expected` is the finding code a mutant must get, or None for an equivalent,
which must pass.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

Edit = Callable[[str], str]


class NotApplicable(Exception):
    """An operator's anchor is not in the solution any more."""


def replace(old: str, new: str, count: int = 1) -> Edit:
    """Replace the first `count` occurrences of `old` (which must occur)."""
    def edit(source: str) -> str:
        if old not in source:
            raise NotApplicable(f"{old!r} not found")
        return source.replace(old, new, count)
    return edit


def drop_line(fragment: str) -> Edit:
    """Remove the (first) line containing `fragment`."""
    def edit(source: str) -> str:
        lines = source.splitlines(keepends=True)
        for i, line in enumerate(lines):
            if fragment in line:
                return "".join(lines[:i] + lines[i + 1:])
        raise NotApplicable(f"no line with {fragment!r}")
    return edit


def _line_index(lines: list[str], fragment: str) -> int:
    for i, line in enumerate(lines):
        if fragment in line:
            return i
    raise NotApplicable(f"no line with {fragment!r}")


def move_line(fragment: str, after: str, indent: int | None = None) -> Edit:
    """Move the line containing `fragment` to just after the line containing `after`, at the
    indentation of that line (or `indent` spaces)."""
    def edit(source: str) -> str:
        lines = source.splitlines(keepends=True)
        moved = lines.pop(_line_index(lines, fragment))
        anchor = _line_index(lines, after)
        spaces = indent if indent is not None else len(lines[anchor]) - len(lines[anchor].lstrip())
        lines.insert(anchor + 1, " " * spaces + moved.lstrip())
        return "".join(lines)
    return edit


def unwrap(header: str) -> Edit:
    """Remove the block statement starting with `header` (a `with` line) and dedent its body."""
    def edit(source: str) -> str:
        lines = source.splitlines(keepends=True)
        i = _line_index(lines, header)
        depth = len(lines[i]) - len(lines[i].lstrip())
        body = i + 1
        while body < len(lines) and (not lines[body].strip() or
                                     len(lines[body]) - len(lines[body].lstrip()) > depth):
            lines[body] = lines[body][4:] if lines[body].strip() else lines[body]
            body += 1
        return "".join(lines[:i] + lines[i + 1:])
    return edit


def wrap_body(header: str, start: str) -> Edit:
    """Put the lines from the one containing `start` to the end under a new block `header`."""
    def edit(source: str) -> str:
        lines = source.splitlines(keepends=True)
        i = _line_index(lines, start)
        depth = len(lines[i]) - len(lines[i].lstrip())
        body = [("    " + line) if line.strip() else line for line in lines[i:]]
        return "".join(lines[:i] + [" " * depth + header + "\n"] + body)
    return edit


def append(code: str) -> Edit:
    """Add code after the solution (e.g. a redefinition that wraps it)."""
    return lambda source: source + "\n" + textwrap.dedent(code)


def body(code: str, name: str) -> Edit:
    """Replace the whole solution by `code` defining `name` (for rewrites of a one-liner)."""
    def edit(source: str) -> str:
        if f" {name}(" not in source:
            raise NotApplicable(f"{name} not defined")
        return textwrap.dedent(code)
    return edit


@dataclass(frozen=True)
class Case:
    task: str  # task id, e.g. "mnist.train_one_epoch"
    operator: str  # the operator's name, e.g. "drop zero_grad"
    expected: str | None  # the finding code a mutant must get; None: an equivalent, must pass
    edits: tuple[Edit, ...]

    @property
    def name(self) -> str:
        return self.task.split(".", 1)[1]

    @property
    def id(self) -> str:
        kind = "equivalent" if self.expected is None else "mutant"
        return f"{self.task}/{kind}/{self.operator}"

    def source(self, reference: str) -> str:
        for edit in self.edits:
            reference = edit(reference)
        return reference


def mutant(task: str, operator: str, expected: str, *edits: Edit) -> Case:
    return Case(task, operator, expected, edits)


def equivalent(task: str, operator: str, *edits: Edit) -> Case:
    return Case(task, operator, None, edits)
