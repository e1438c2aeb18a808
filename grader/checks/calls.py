"""Which torch functions a student's function called while it ran, for the exercises that ask
for a function written from its formula rather than torch's ready-made one.

`watch` wraps the student's function so that every call runs under a `TorchFunctionMode` that
records the watched torch functions it reaches and changes nothing (each call goes through as
it would). The mode only sees the calls made by the student's code itself: what torch does
inside a call runs with the mode off, so `nn.Softmax` shows up as the `F.softmax` it calls.
`builtin_used` turns what was recorded into a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from grader.core.findings import Code, Finding
from grader.core.task import Context

SOFTMAX: dict[Any, str] = {
    torch.softmax: "torch.softmax", torch.Tensor.softmax: "Tensor.softmax",
    F.softmax: "F.softmax", torch.special.softmax: "torch.special.softmax",
    torch.log_softmax: "torch.log_softmax", torch.Tensor.log_softmax: "Tensor.log_softmax",
    F.log_softmax: "F.log_softmax", torch.special.log_softmax: "torch.special.log_softmax",
}
LOG_SOFTMAX = {f: n for f, n in SOFTMAX.items() if "log_softmax" in n}
CROSS_ENTROPY: dict[Any, str] = {F.cross_entropy: "F.cross_entropy", F.nll_loss: "F.nll_loss",
                                 **LOG_SOFTMAX}
# Autograd in every entry point: torch.func.grad and torch.autograd.functional call
# torch.autograd.grad themselves, so they are recorded under that name.
AUTOGRAD: dict[Any, str] = {torch.Tensor.backward: "Tensor.backward",
                            torch.autograd.grad: "torch.autograd.grad",
                            torch.autograd.backward: "torch.autograd.backward"}
BCE: dict[Any, str] = {F.binary_cross_entropy: "F.binary_cross_entropy",
                       F.binary_cross_entropy_with_logits: "F.binary_cross_entropy_with_logits"}


class _Recording(TorchFunctionMode):
    """Records the watched functions called under it; every call goes through unchanged."""

    def __init__(self, watched: Mapping[Any, str], seen: list[str]) -> None:
        super().__init__()
        self.watched, self.seen = watched, seen

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = self.watched.get(func)
        if name is not None and name not in self.seen:
            self.seen.append(name)
        return func(*args, **(kwargs or {}))


def watch(fn: Any, watched: Mapping[Any, str]) -> tuple[Any, list[str]]:
    """(fn wrapped so that its calls are recorded, the list they are recorded in). Anything
    that is not a plain function is returned unchanged (the check says what is wrong with it)."""
    seen: list[str] = []
    if not callable(fn) or isinstance(fn, type):
        return fn, seen

    def watched_fn(*args: Any, **kwargs: Any) -> Any:
        with _Recording(watched, seen):
            return fn(*args, **kwargs)
    return watched_fn, seen


def builtin_used(seen: list[str], name: str, asks: str) -> list[Finding]:
    """BUILTIN_USED: the student's function called torch's ready-made version of itself."""
    if not seen:
        return []
    called = ", ".join(f"`{s}`" for s in seen)
    return [Finding(Code.BUILTIN_USED, (
        f"while `{name}` ran it called {called}: this exercise asks for {asks}, so a result "
        "borrowed from torch's own implementation does not show that you can compute it."))]


def from_the_formula(check: Callable[[Any, Context], list[Finding]], watched: Mapping[Any, str],
                     name: str, asks: str) -> Callable[[Any, Context], list[Finding]]:
    """The task check `check`, run on the student's function under `watch`: whatever `check`
    found, then BUILTIN_USED when a watched function was called (last: a misconception found
    by the check says more)."""

    def checked(fn: Any, ctx: Context) -> list[Finding]:
        wrapped, seen = watch(fn, watched)
        findings = list(check(wrapped, ctx))
        return findings + builtin_used(seen, name, asks)

    checked.__doc__ = f"{check.__doc__}\n\nBUILTIN_USED: see grader.checks.calls.builtin_used."
    checked.__name__ = check.__name__
    checked.refuses = tuple(watched.values())  # the exercise text names each (tests hold it)
    return checked
