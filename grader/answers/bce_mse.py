"""References and hidden cases of notebook 03 (BCE vs MSE)."""

from __future__ import annotations

from typing import Any

import torch


def bce_loss(prob: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Mean binary cross-entropy on probabilities clamped to [eps, 1 - eps]."""
    p = prob.clamp(eps, 1 - eps)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()


# --------------------------------------------------------------------------- hidden cases

MSE_SHAPES = [(5,), (2, 3, 4), (1, 1)]
BCE_SHAPES = [(6,), (2, 2, 3)]
LOGITS_SHAPES = [(6,), (16, 1)]
WIDE_LOGITS = True  # also try the ±1000 logits as a (3, 2) batch, three times larger
WIDTHS = (5, 3, 12)  # in_features BinaryClassifier is built with
SHAPE_BATCHES = (8, 3, 1)  # batch sizes tried at each width

REFERENCES: dict[str, Any] = {"bce_mse.bce_loss": bce_loss}
