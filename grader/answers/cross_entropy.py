"""Hidden cases of notebook 04 (cross-entropy). Its references are torch's own softmax,
cross-entropy and autograd through it, which the checks call directly."""

from __future__ import annotations

from typing import Any

import torch


def softmax_cases(x2: torch.Tensor, x3: torch.Tensor,
                  gen: torch.Generator) -> list[tuple[torch.Tensor, int | None]]:
    """More (logits, dim) pairs from the public (3, 5) and (2, 3, 4) logits: the last dims, a
    negative dim, 1-D logits, and logits far from 0."""
    return [(x3, 2), (x3, -2), (torch.randn(6, generator=gen), None), (x2 + 50, -1)]


def large_logits(gen: torch.Generator) -> list[tuple[torch.Tensor, int]]:
    """Large logits along the first of three dims."""
    return [(torch.randn(2, 3, 4, generator=gen) * 300, 0)]


CE_SHAPES = [(7, 3), (2, 10), (1, 6)]  # (batch, classes)

# (batch, classes) for the gradient: never B == C, so one-hot code cannot broadcast silently.
GRAD_SHAPES = [(8, 3), (3, 10), (1, 5), (64, 10)]


def grad_large_logits(gen: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """A batch of confident logits in the hundreds, in float32, with random targets."""
    return [(torch.randn(6, 5, generator=gen) * 400, torch.randint(0, 5, (6,), generator=gen))]

REFERENCES: dict[str, Any] = {}
