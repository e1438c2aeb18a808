"""Unit tests for grader.checks.calls: recording torch calls made by a student's function."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import _get_current_function_mode_stack

from grader.checks import calls


def test_watch_records_the_ready_made_function_whatever_its_spelling() -> None:
    x = torch.randn(3, 4)
    spellings = {"torch.softmax": lambda t: torch.softmax(t, dim=1),
                 "Tensor.softmax": lambda t: t.softmax(1),
                 "F.softmax": lambda t: nn.Softmax(dim=1)(t),  # the module calls F.softmax
                 "F.log_softmax": lambda t: F.log_softmax(t, dim=1).exp()}
    for name, fn in spellings.items():
        wrapped, seen = calls.watch(fn, calls.SOFTMAX)
        assert torch.allclose(wrapped(x), torch.softmax(x, dim=1), atol=1e-6)  # unchanged result
        assert seen == [name]
        assert not _get_current_function_mode_stack()  # the mode is gone after the call


def test_building_blocks_are_not_recorded() -> None:
    def by_hand(t: torch.Tensor) -> torch.Tensor:
        shifted = t - torch.logsumexp(t, dim=1, keepdim=True)
        return -shifted.gather(1, torch.zeros(3, 1, dtype=torch.long)).mean()

    wrapped, seen = calls.watch(by_hand, calls.CROSS_ENTROPY)
    wrapped(torch.randn(3, 4))
    assert seen == [] and calls.builtin_used(seen, "cross_entropy", "x") == []


def test_builtin_used_names_what_was_called() -> None:
    wrapped, seen = calls.watch(lambda z, t: nn.CrossEntropyLoss()(z, t), calls.CROSS_ENTROPY)
    wrapped(torch.randn(3, 4), torch.tensor([0, 1, 2]))
    (finding,) = calls.builtin_used(seen, "cross_entropy", "cross-entropy by hand")
    assert finding.code.value == "BUILTIN_USED" and "`F.cross_entropy`" in finding.message
    assert "cross-entropy by hand" in finding.message


def test_non_functions_are_left_to_the_check() -> None:
    assert calls.watch(nn.Linear, calls.SOFTMAX)[0] is nn.Linear
    assert calls.watch(3, calls.SOFTMAX)[0] == 3


def test_autograd_is_recorded_through_each_entry_point() -> None:
    x, t = torch.randn(3, 4), torch.tensor([0, 1, 2])

    def backward(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        z = z.clone().requires_grad_()
        F.cross_entropy(z, y).backward()
        return z.grad

    def autograd_grad(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        z = z.clone().requires_grad_()
        return torch.autograd.grad(F.cross_entropy(z, y), z)[0]

    def func_grad(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.func.grad(lambda q: F.cross_entropy(q, y))(z)

    def jacobian(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.autograd.functional.jacobian(lambda q: F.cross_entropy(q, y), z)

    expected = {backward: "Tensor.backward", autograd_grad: "torch.autograd.grad",
                func_grad: "torch.autograd.grad", jacobian: "torch.autograd.grad"}
    want = autograd_grad(x, t)
    for fn, name in expected.items():
        wrapped, seen = calls.watch(fn, calls.AUTOGRAD)
        assert torch.allclose(wrapped(x, t), want, atol=1e-6)  # unchanged result
        assert seen == [name], fn.__name__


def test_a_gradient_by_hand_calls_no_autograd() -> None:
    def by_hand(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return (torch.softmax(z, dim=1) - F.one_hot(y, z.shape[1])) / len(z)

    wrapped, seen = calls.watch(by_hand, calls.AUTOGRAD)
    wrapped(torch.randn(3, 4, requires_grad=True), torch.tensor([0, 1, 2]))
    assert seen == []
