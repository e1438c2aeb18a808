"""The shape probe: run a model over several batch sizes and report what worked, what failed and
what had the wrong shape. It records and never judges: each task turns the report into its own
wording (HARDCODED_BATCH_SIZE, WRONG_OUTPUT_SHAPE, HARDCODED_INPUT_WIDTH)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from grader.checks.models import SHAPE_ERRORS

# Batch sizes students hard-code, smallest first; tried only when every batch size asked for
# failed, to tell a fixed batch size from a model that never runs.
COMMON_BATCHES = (2, 4, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 256)

LinearInput = tuple[tuple[int, ...], int]  # (shape reaching an nn.Linear, its in_features)


@dataclass(frozen=True)
class BatchRun:
    """One forward pass at one batch size: its output, or the exception it raised instead."""

    batch: int
    output: Any = None
    error: Exception | None = None
    linear_inputs: tuple[LinearInput, ...] = ()

    def fits(self, expected: tuple[int, ...]) -> bool:
        """True when the output is a tensor of exactly this shape."""
        return isinstance(self.output, torch.Tensor) and tuple(self.output.shape) == expected


@dataclass(frozen=True)
class ShapeReport:
    """Every run of a probe, in the order of the batch sizes, and how each turned out."""

    runs: tuple[BatchRun, ...]
    worked: tuple[int, ...]  # batch sizes whose output had the expected shape
    failed: tuple[BatchRun, ...]  # runs that raised
    wrong: tuple[BatchRun, ...]  # runs that returned something of another shape (or type)


def run_batch(model: nn.Module, x: torch.Tensor, *,
              errors: tuple[type[Exception], ...] = SHAPE_ERRORS) -> BatchRun:
    """model(x) without gradients, recording what each nn.Linear received. An exception of
    `errors` is recorded; any other, and NotImplementedError (a stub), propagates."""
    seen: list[LinearInput] = []

    def record(module: nn.Linear, args: tuple) -> None:
        if args and isinstance(args[0], torch.Tensor):
            seen.append((tuple(args[0].shape), module.in_features))

    handles = [m.register_forward_pre_hook(record) for m in model.modules()
               if isinstance(m, nn.Linear)]
    batch = int(x.shape[0])
    try:
        with torch.no_grad():
            output = model(x)
    except NotImplementedError:
        raise
    except errors as exc:
        return BatchRun(batch, error=exc, linear_inputs=tuple(seen))
    finally:
        for handle in handles:
            handle.remove()
    return BatchRun(batch, output=output, linear_inputs=tuple(seen))


def probe(model: nn.Module, make_input: Callable[[int], torch.Tensor], batches: tuple[int, ...],
          expected: Callable[[int], tuple[int, ...]], *,
          errors: tuple[type[Exception], ...] = SHAPE_ERRORS) -> ShapeReport:
    """Run the model on make_input(b) for each batch size b; `expected(b)` is the output shape
    its contract promises (e.g. (b, 10))."""
    runs = tuple(run_batch(model, make_input(b), errors=errors) for b in batches)
    return ShapeReport(
        runs=runs,
        worked=tuple(r.batch for r in runs if r.fits(expected(r.batch))),
        failed=tuple(r for r in runs if r.error is not None),
        wrong=tuple(r for r in runs if r.error is None and not r.fits(expected(r.batch))),
    )


def first_working(model: nn.Module, make_input: Callable[[int], torch.Tensor],
                  works: Callable[[BatchRun], bool], *,
                  errors: tuple[type[Exception], ...] = SHAPE_ERRORS) -> int | None:
    """The first of COMMON_BATCHES at which the model `works`, or None: it runs at no usual
    batch size either."""
    for batch in COMMON_BATCHES:
        if works(run_batch(model, make_input(batch), errors=errors)):
            return batch
    return None
