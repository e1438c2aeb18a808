"""What a check compares a submission with: the instructor's reference run here, or the value
the student kit recorded from it when the kit was built.

    want = expected("nn_module.conv_output_size", "28,3,1,1",
                    lambda: answers("nn_module").conv_output_size(28, 3, 1, 1))

In the course repository the instructor-only package `grader.answers` (references and hidden
cases) is importable: `compute` runs, and while `recording()` is active its result is kept. The
kit's wheel holds no `grader.answers`; there the value comes from `grader/expected.pt`, numbers
and small tensors written by the kit build (grader.classroom.kit), never code that computes them.

A check asks for every expectation of a case before it calls the student's code, so that one
run of the public checks with the reference as the submission records all of them.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import torch

RECORDING = Path(__file__).resolve().parents[1] / "expected.pt"  # inside the kit's wheel
RECORDED_ON = "cpu"  # the kit build records on the CPU
_T = TypeVar("_T")
_recorder: dict[str, Any] | None = None


class MissingExpectation(Exception):
    """The kit's recording lacks a value a check asked for: the kit was built from other checks."""


def instructor() -> bool:
    """True where the references and hidden checks are at hand (the course repository)."""
    return importlib.util.find_spec("grader.answers") is not None


def answers(module: str) -> ModuleType:
    """The instructor-only module of a notebook's references and hidden cases
    (grader.answers.<module>); only the instructor's grader may call this."""
    return importlib.import_module(f"grader.answers.{module}")


@functools.cache
def _recording() -> dict[str, Any]:
    if not RECORDING.exists():
        raise MissingExpectation(f"{RECORDING} is missing: this grader was installed without "
                                 "the expectations its checks compare with; rebuild the kit.")
    return torch.load(RECORDING, weights_only=True)


def expected(task_id: str, key: str, compute: Callable[[], _T]) -> _T:
    """The reference's value for one probe of a task: computed where the answers are at hand
    (and kept while recording), else read from the kit's recording."""
    name = f"{task_id}/{key}"
    if instructor():
        value = compute()
        if _recorder is not None:
            _recorder[name] = _detached(value)
        return value
    values = _recording()["values"]
    if name not in values:
        raise MissingExpectation(f"the kit holds no expectation {name!r}: rebuild the kit with "
                                 "the grader it ships.")
    return values[name]


def slack(device: str) -> float:
    """How much to widen a tolerance: 1 where the expectation was computed here, or recorded by
    the same torch on the same kind of device; more where float arithmetic may round otherwise
    (another torch, a GPU's kernels). Every mutant of the course stays far outside it."""
    if instructor():
        return 1.0
    recording = _recording()
    same = recording["torch"] == str(torch.__version__) and torch.device(device).type == RECORDED_ON
    return 1.0 if same else 20.0


def _detached(value: Any) -> Any:
    """Plain data that torch.load(weights_only=True) reads back: tensors on the CPU, detached."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, dict):
        return {k: _detached(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_detached(v) for v in value)
    return value


@contextlib.contextmanager
def recording() -> Iterator[dict[str, Any]]:
    """Keep every expectation computed inside the block, by name (for the kit build)."""
    global _recorder
    if not instructor():
        raise MissingExpectation("only the instructor's grader can record expectations")
    _recorder = {}
    try:
        yield _recorder
    finally:
        _recorder = None


def save(values: dict[str, Any], path: Path, version: str) -> None:
    """Write a recording: the values, the course version and the torch that computed them."""
    torch.save({"version": version, "torch": str(torch.__version__), "values": values}, path)
