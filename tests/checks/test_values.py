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


def test_call_on_copy_leaves_the_inputs_alone() -> None:
    x, t = torch.randn(4, 3), torch.randn(4, 3)
    before = t.clone()
    copy, loss = losses.call_on_copy(lambda a, b: b.sub_(a).pow(2).mean(), x, t)
    assert torch.equal(t, before)
    assert torch.equal(copy, x) and copy.requires_grad and copy is not x
    assert torch.allclose(loss, (t - x).pow(2).mean())


def test_loss_form_problem_names_what_is_not_one_number() -> None:
    x, t = torch.randn(4, 3), torch.randn(4, 3)
    assert losses.loss_form_problem("mse", (x - t).pow(2).mean()) is None
    per_element = losses.loss_form_problem("mse", (x - t).pow(2))
    assert per_element is not None and per_element.code is Code.WRONG_OUTPUT_SHAPE
    assert "(4, 3)" in per_element.message
    plain = losses.loss_form_problem("mse", 0.5)
    assert plain is not None and plain.code is Code.WRONG_VALUE and "float" in plain.message


def test_learning_probe_sees_learning_and_detached_outputs() -> None:
    torch.manual_seed(0)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    model = nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    with torch.no_grad():
        untrained = F.cross_entropy(model(x), y).item()
    probed = models.learning_probe(model, x, y, F.cross_entropy, opt, steps=20,
                                   measure_in_eval=True)
    assert probed.before == untrained and probed.after < probed.before
    assert probed.learned and not probed.stopped
    frozen = nn.Linear(4, 2).requires_grad_(False)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    stopped = models.learning_probe(frozen, x, y, F.cross_entropy, opt, steps=2,
                                    measure_in_eval=True)
    assert stopped.stopped == "detached" and not stopped.learned
