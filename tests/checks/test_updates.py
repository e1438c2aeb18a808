"""The update-step recorder on hand-written updates: what it reads, and what it never judges."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from grader.checks.updates import UpdateWatch


def _model_with_grads() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    model(torch.randn(4, 3)).sum().backward()
    return model


def _watch(model: nn.Module) -> UpdateWatch:
    return UpdateWatch([p.grad for p in model.parameters()])


def by_hand(model: nn.Module, lr: float) -> None:
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
            p.grad.zero_()


def cleared_first(model: nn.Module, lr: float) -> None:
    with torch.no_grad():
        for p in model.parameters():
            p.grad.zero_()
            p -= lr * p.grad


def with_sgd(model: nn.Module, lr: float) -> None:
    torch.optim.SGD(model.parameters(), lr=lr).step()


def test_an_update_that_reads_the_gradients_is_seen_reading_them() -> None:
    model = _model_with_grads()
    watch = _watch(model)
    watch.run(by_hand, model, 0.1)
    assert watch.used and watch.stepped == []


def test_gradients_cleared_before_the_update_are_not_counted_as_read() -> None:
    model = _model_with_grads()
    watch = _watch(model)
    watch.run(cleared_first, model, 0.1)
    assert not watch.used and watch.written == watch.grads


def test_a_torch_optimizer_step_is_recorded_by_name() -> None:
    model = _model_with_grads()
    watch = _watch(model)
    watch.run(with_sgd, model, 0.1)
    assert watch.stepped == ["torch.optim.SGD"] and watch.used


def test_the_hook_is_removed_even_when_the_update_raises() -> None:
    model = _model_with_grads()
    watch = _watch(model)

    def crashes(model: nn.Module, lr: float) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        watch.run(crashes, model, 0.1)
    with_sgd(model, 0.1)  # outside the watch: not recorded
    assert watch.stepped == [] and not watch.used
