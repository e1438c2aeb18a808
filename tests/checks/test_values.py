"""Unit tests for the shared check helpers: values, losses and models."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import losses, models, values
from grader.core.findings import Code


def test_returned_numbers() -> None:
    assert values.as_number(0.5) == (0.5, "")
    assert values.as_number(torch.tensor(0.5)) == (0.5, "tensor")
    assert values.as_number(torch.tensor(0.5, requires_grad=True) * 1) == (0.5, "graph")
    assert values.as_number(None) == (None, "type")
    assert values.as_number(True) == (None, "type")


def test_as_int_accepts_integer_types_only() -> None:
    assert values.as_int(3) == 3
    assert values.as_int(torch.tensor(3)) == 3
    assert values.as_int(3.0) is None and values.as_int(True) is None


def test_output_activation_names_the_last_layer() -> None:
    logits = torch.randn(16, 10, generator=values.seeded_generator())
    assert models.output_activation(logits) is None
    assert models.output_activation(logits.softmax(dim=1)) == "softmax"
    assert models.output_activation(torch.sigmoid(logits)) == "sigmoid"
    assert models.output_activation(F.relu(logits) * 10) == "ReLU"
    assert models.output_activation(logits.abs() + 2) == "non-negative"
    assert models.output_activation(ValueError("not an output")) is None


def test_stability_probe_tells_a_stable_loss_from_a_naive_one() -> None:
    x = torch.tensor([[1000.0, 0.0, -1000.0], [2.0, 1.0, -1.0]])
    t = torch.tensor([2, 1])

    def naive(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
        return -probs[torch.arange(len(target)), target].log().mean()

    assert losses.stability_problem("ce", F.cross_entropy, F.cross_entropy, x, t) is None
    found = losses.stability_problem("ce", naive, F.cross_entropy, x, t)
    assert found is not None and found.code is Code.UNSTABLE_NUMERICS


def test_call_on_copy_leaves_the_inputs_alone_and_checks_the_form() -> None:
    x, t = torch.randn(4, 3), torch.randn(4, 3)
    before = t.clone()
    called = losses.call_on_copy("mse", lambda a, b: b.sub_(a).pow(2).mean(), x, t)
    assert torch.equal(t, before)
    copy, loss = called  # a Finding here would mean the form check refused a correct loss
    assert torch.equal(copy, x) and copy.requires_grad and copy is not x
    assert torch.allclose(loss, (t - x).pow(2).mean())
    form = losses.call_on_copy("mse", lambda a, b: (a - b).pow(2), x, t)
    assert getattr(form, "code", None) is Code.WRONG_OUTPUT_SHAPE


def test_learning_probe_sees_learning_and_detached_outputs() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    model = nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    before, after = models.learning_probe(model, x, y, F.cross_entropy, opt, steps=20,
                                          measure_in_eval=True)
    assert after < before
    frozen = nn.Linear(4, 2).requires_grad_(False)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert models.learning_probe(frozen, x, y, F.cross_entropy, opt, steps=2,
                                 measure_in_eval=True) == "detached"
