"""Running a student's model: build it seeded, forward batches without raising, read what its
output looks like, and train it for a few steps to see whether it learns at all."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from grader.core.findings import Code, Finding

# What bad shapes and bad layers raise inside forward().
SHAPE_ERRORS = (RuntimeError, ValueError, IndexError, TypeError)


def build(cls: type, *args: Any, seed: int, device: str) -> Any:
    """cls(*args) after seeding torch, moved to device when it is a module."""
    torch.manual_seed(seed)
    model = cls(*args)
    return model.to(device) if isinstance(model, nn.Module) else model


def not_a_module(what: str, obj: Any) -> Finding:
    """SUBMISSION_ERROR: `what` (the student's class, or what calling it built) is not an
    nn.Module class; `obj` is what it is instead."""
    if isinstance(obj, nn.Module):
        kind = "a model instance, not a class"
    elif isinstance(obj, type):
        kind = f"the class {obj.__name__}, which does not derive from nn.Module"
    else:
        kind = f"of type {type(obj).__name__}, not an nn.Module"
    return Finding(Code.SUBMISSION_ERROR, f"{what} is {kind}: a model is a class deriving from "
                   "nn.Module that calls super().__init__(), so that calling it builds a fresh "
                   "model.")


def forward(model: nn.Module, x: torch.Tensor) -> Any:
    """model(x) without gradients, or the shape error it raised."""
    try:
        with torch.no_grad():
            return model(x)
    except SHAPE_ERRORS as exc:
        return exc


def _twice_in_eval(model: nn.Module, x: torch.Tensor) -> tuple[Any, Any]:
    """Two forward passes of the (eval-mode) model on the same x, without gradients, after a
    fixed seed; torch's random state is as it was afterwards."""
    cuda = list(range(torch.cuda.device_count())) if x.device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(0)
        return forward(model, x), forward(model, x)


def random_in_eval(model: nn.Module, x: torch.Tensor, what: str, inputs: str) -> list[Finding]:
    """RANDOM_IN_EVAL: in eval mode and without gradients, the same inputs `x` give different
    outputs on two passes (dropout called as a function that ignores the model's mode).
    `what` names the model in the message, `inputs` what x holds ("images", "samples")."""
    model.eval()
    first, second = _twice_in_eval(model, x)
    if not (isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor)) \
            or first.shape != second.shape:
        return []
    first, second = first.double(), second.double()
    if torch.allclose(first, second, rtol=1e-4, atol=1e-5, equal_nan=True):
        return []
    diff = (first - second).abs().nan_to_num(0.0).max().item()
    changed = int((first.argmax(dim=1) != second.argmax(dim=1)).sum()) \
        if first.dim() == 2 and first.shape[1] > 1 else 0
    classes = f"; the predicted class changed for {changed} of {len(x)}" if changed else ""
    return [Finding(Code.RANDOM_IN_EVAL, (
        f"in eval mode and under torch.no_grad(), {what} gave different outputs for the same "
        f"{len(x)} {inputs} on two passes (largest difference {diff:.3g}{classes}): model.eval() "
        "did not make it deterministic. Something in forward() still draws random numbers, as "
        "dropout does when it is called as a function that is not told the model's mode (a "
        "dropout layer registered in __init__ follows model.eval() by itself). Evaluation is "
        "then not repeatable: the accuracy is measured on a randomly damaged network, and two "
        "evaluations of the same model disagree."))]


def sweep(model: nn.Module, make_input: Callable[[int], torch.Tensor],
          batches: tuple[int, ...]) -> dict[int, Any]:
    """{batch size: output or exception} for a forward pass at each batch size."""
    return {b: forward(model, make_input(b)) for b in batches}


def is_probabilities(t: Any) -> bool:
    """True for a (B, C) tensor whose rows are non-negative and sum to 1 (a softmax output)."""
    if not isinstance(t, torch.Tensor) or t.dim() != 2 or t.shape[1] < 2:
        return False
    if not t.is_floating_point():
        return False
    with torch.no_grad():
        t = t.as_subclass(torch.Tensor).detach()
        sums = t.sum(dim=1)
        return bool((t >= 0).all()) and torch.allclose(sums, torch.ones_like(sums), atol=1e-4)


def output_activation(out: torch.Tensor) -> str | None:
    """The activation a model's last layer seems to apply, judged from its outputs alone.

    "softmax" (rows are probabilities), "sigmoid" (every value in [0, 1]), "ReLU" (never
    negative, some exact zeros), "non-negative" (never negative), or None: some output is
    negative, as raw scores (logits) from random weights are.
    """
    if not isinstance(out, torch.Tensor):
        return None
    if is_probabilities(out):
        return "softmax"
    if not bool((out >= 0).all()):
        return None
    if bool((out <= 1).all()):
        return "sigmoid"
    return "ReLU" if bool((out == 0).any()) else "non-negative"


@dataclass(frozen=True)
class LearningProbe:
    """What a few training steps did to the loss: `before` and `after`, or why the probe stopped
    early (`stopped`: "detached", the loss has no gradient history so nothing can train; "slow",
    the first step took longer than its budget), with `after` left as nan."""

    before: float
    after: float = math.nan
    stopped: str = ""

    @property
    def learned(self) -> bool:
        return not self.stopped and self.after < self.before


def learning_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable,
                   optimizer: torch.optim.Optimizer, steps: int, measure_in_eval: bool,
                   step_budget: float | None = None) -> LearningProbe:
    """The loss on (x, y) before and after `steps` training steps. Losses are measured without
    gradients, in eval mode or in train mode under one seed (the same dropout masks before and
    after)."""
    before = _measured_loss(model, loss_fn, x, y, measure_in_eval)
    for step in range(steps):
        model.train()
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        if loss.grad_fn is None:
            return LearningProbe(before, stopped="detached")
        loss.backward()
        optimizer.step()
        if step == 0 and step_budget is not None and time.perf_counter() - start > step_budget:
            return LearningProbe(before, stopped="slow")
    return LearningProbe(before, _measured_loss(model, loss_fn, x, y, measure_in_eval))


def _measured_loss(model: nn.Module, loss_fn: Callable, x: torch.Tensor, y: torch.Tensor,
                   in_eval: bool) -> float:
    model.train(not in_eval)
    torch.manual_seed(7)
    with torch.no_grad():
        return float(loss_fn(model(x), y))
