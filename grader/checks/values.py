"""Judging returned values: tensor and number comparisons, descriptions, explained mismatches."""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

import torch

from grader.core.findings import Code, Finding

RTOL, ATOL = 1e-4, 1e-5

# One explanation of a wrong value: (value the misconception gives, its code, the message).
Candidate = tuple[torch.Tensor, Code, str]


def close(a: torch.Tensor, b: torch.Tensor, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Same shape and values (nan never matches); a is cast to b's dtype and device."""
    a = a.detach().to(b.device, b.dtype)
    return a.shape == b.shape and bool(torch.allclose(a, b.detach(), rtol=rtol, atol=atol))


def close_number(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6)


def equal(a: Any, b: Any) -> bool:
    """a == b as a bool; False where the comparison itself fails (a tensor of several values)."""
    try:
        return bool(a == b)
    except Exception:
        return False


def number(out: torch.Tensor) -> torch.Tensor:
    """The single value of a one-element loss, detached, as a 0-dim float tensor."""
    return out.detach().reshape(()).float()


def as_int(value: Any) -> int | None:
    """value as an int if it is a whole-number type (int, numpy/torch integer), else None."""
    if isinstance(value, bool | float):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def as_number(value: Any) -> tuple[float | None, str]:
    """(value as a float, problem). problem: "" for a Python number, "graph" for a one-element
    tensor that is part of an autograd graph, "tensor" for another one-element tensor, "type"
    for anything else (None, lists, bigger tensors...)."""
    if isinstance(value, bool):
        return None, "type"
    if isinstance(value, numbers.Real):
        return float(value), ""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        plain = value.as_subclass(torch.Tensor).detach().cpu()
        return float(plain), "graph" if value.requires_grad else "tensor"
    return None, "type"


def describe(value: Any) -> str:
    """A short description of a returned value for messages."""
    if isinstance(value, torch.Tensor):
        grad = f", grad_fn={type(value.grad_fn).__name__}" if value.grad_fn is not None else ""
        return f"a tensor of shape {tuple(value.shape)}{grad}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def explain(got: torch.Tensor, candidates: list[Candidate], fallback: str) -> Finding:
    """WRONG_VALUE: the fallback when no candidate matches. The first misconception whose value
    matches `got`, else a WRONG_VALUE with `fallback`."""
    for value, code, message in candidates:
        if close(got, value, rtol=1e-3, atol=1e-5):
            return Finding(code, message)
    return Finding(Code.WRONG_VALUE, fallback)


def first_matching(observed: list[Any], slips: list[tuple[str, list[Any]]]) -> str:
    """'; <why>' for the first slip that reproduces every observed result, else ''."""
    for why, values in slips:
        if all(equal(a, b) for a, b in zip(observed, values, strict=True)):
            return f"; {why}"
    return ""


def seeded_generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)
