"""References and hidden cases of notebook 05 (the MNIST classifier)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from grader.checks import models
from grader.core.findings import Code, Finding
from grader.tasks.mnist import EvalCase, TrainCase


def train_epoch(model: nn.Module, loader: DataLoader, criterion: nn.Module,
                optimizer: torch.optim.Optimizer,
                device: torch.device) -> list[tuple[float, int]]:
    """The five-step loop; returns (loss, batch size) per batch."""
    model.train()
    losses = []
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append((loss.item(), len(y)))
    return losses


def train_one_epoch(model: nn.Module, loader: DataLoader, criterion: nn.Module,
                    optimizer: torch.optim.Optimizer, device: torch.device) -> float:
    losses = train_epoch(model, loader, criterion, optimizer, device)
    return sum(loss for loss, _ in losses) / len(losses)


# --------------------------------------------------------------------------- hidden checks


def separable_batch(device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """10 easy images: class k is a bright block at its own place on faint noise."""
    gen = torch.Generator().manual_seed(3)
    x = 0.1 * torch.rand(10, 1, 28, 28, generator=gen)
    y = torch.arange(10)
    for i, k in enumerate(y.tolist()):
        row, col = (k % 5) * 5, (k // 5) * 14
        x[i, 0, row:row + 5, col:col + 14] = 1.0
    return x.to(device), y.to(device)


def learning_findings(cls: type[nn.Module], name: str, device: str) -> list[Finding]:
    """WRONG_VALUE: a few Adam steps on an easy batch did not lower the loss (strict runs only;
    skipped when a step is too slow to judge)."""
    model = models.build(cls, seed=3, device=device)
    x, y = separable_batch(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    probed = models.learning_probe(model, x, y, F.cross_entropy, optimizer, steps=5,
                                   measure_in_eval=False, step_budget=0.08)
    if probed.stopped or probed.learned:
        return []  # too big to judge quickly, or it learns; an unlearnable output is caught above
    return [Finding(Code.WRONG_VALUE, (
        f"five Adam steps on 10 easy images did not lower the loss of `{name}` "
        f"({probed.before:.4f} -> {probed.after:.4f}): the parameters the optimizer sees do not "
        "shape the output."))]


BATCHES = (1, 3, 5, 17)  # batch sizes MNISTNet is run at
TRAIN_CASES = (TrainCase(22, 4, adam=False, seed=0), TrainCase(11, 3, adam=True, seed=1))
EVAL_CASES = (EvalCase(10, 4, (0, 4, 8), seed=0), EvalCase(11, 3, (0, 1, 9), seed=1))

REFERENCES: dict[str, Any] = {"mnist.train_one_epoch": train_one_epoch}
