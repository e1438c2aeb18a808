"""References and hidden cases of notebook 02 (datasets and loaders)."""

from __future__ import annotations

import math
from typing import Any

import torch


def iterations_per_epoch(num_samples: int, batch_size: int, drop_last: bool = False) -> int:
    return num_samples // batch_size if drop_last else math.ceil(num_samples / batch_size)


# --------------------------------------------------------------------------- hidden cases


def pair_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Image-like samples, and fewer samples than features per sample."""
    gen = torch.Generator().manual_seed(1)
    return [(torch.rand(5, 1, 4, 4, generator=gen), torch.tensor([2, 7, 1, 8, 2])),
            (torch.randn(4, 6, generator=gen), torch.tensor([0, 1, 1, 0]))]


LOADER_CASES = ((41, 17, 5),)  # (train samples, test samples, batch size)
ITERATION_CASES = ((1, 1, False), (7, 3, False), (7, 3, True), (64, 64, True),
                   (10000, 128, False), (65, 64, False), (65, 64, True), (1000, 1000, False))

REFERENCES: dict[str, Any] = {"dataloaders.iterations_per_epoch": iterations_per_epoch}
