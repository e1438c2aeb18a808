"""References and hidden cases of notebook 01 (nn.Module)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class SimpleCNN(nn.Module):
    """The architecture notebook 01 describes: (B, 1, 28, 28) -> logits (B, 10)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.fc = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv(x)), 2)  # (B, 8, 14, 14)
        return self.fc(torch.flatten(x, 1))  # (B, 1568) -> (B, 10)


class LeNet(nn.Module):
    """LeNet as in the PyTorch tutorial: (B, 1, 32, 32) -> logits (B, 10)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, 6, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, 16, 5, 5)
        x = torch.flatten(x, 1)  # (B, 400)
        x = F.relu(self.fc2(F.relu(self.fc1(x))))  # (B, 84)
        return self.fc3(x)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    return (size + 2 * padding - kernel_size) // stride + 1


# --------------------------------------------------------------------------- hidden cases

BATCHES = (1, 2, 3, 5, 17)  # batch sizes of the model checks
CONV_CASES = ((10, 3), (224, 7, 2, 3), (13, 3, 2, 1), (5, 5, 1, 0), (6, 3, 3, 0), (9, 4, 2, 2),
              (1, 1), (27, 3, 3, 1))


def count_cases() -> list[tuple[str, nn.Module]]:
    """Models count_parameters is also tried on: no parameters, a frozen bias, a SimpleCNN."""
    conv = nn.Sequential(nn.Conv2d(1, 2, 3, bias=False), nn.BatchNorm2d(2), nn.Flatten(),
                         nn.Linear(2 * 4 * 4, 3))
    conv[3].bias.requires_grad_(False)
    return [("a model without parameters (nn.ReLU())", nn.ReLU()),
            ("a small CNN with a frozen bias", conv), ("a SimpleCNN", SimpleCNN())]


class _TwoHeads(nn.Module):
    """A body and two heads, of which forward uses one: the other head gets no gradient."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 6)
        self.head = nn.Linear(6, 3)
        self.spare = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.relu(self.body(x)))


def sgd_cases() -> list[tuple[str, nn.Module, tuple[int, ...], float]]:
    """Models (with the shape of their input batch) and learning rates sgd_step is also tried on:
    a small CNN, a layer the output does not use, a frozen bias with a tiny learning rate."""
    cnn = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 3))
    mlp = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
    mlp[2].bias.requires_grad_(False)
    return [("a small CNN", cnn, (3, 1, 6, 6), 0.01),
            ("a model with a layer its output does not use", _TwoHeads(), (5, 4), 0.3),
            ("a three-layer MLP with a frozen bias", mlp, (5, 4), 1e-3)]


REFERENCES: dict[str, Any] = {
    "nn_module.SimpleCNN": SimpleCNN,
    "nn_module.LeNet": LeNet,
    "nn_module.count_parameters": count_parameters,
    "nn_module.conv_output_size": conv_output_size,
}
