"""RANDOM_IN_EVAL: a model still random in eval mode gets the same message whatever torch's
random state was, and the check leaves that state as it found it for the checks that follow."""

from __future__ import annotations

import torch
from conftest import FIXTURES

from grader.checks import models
from grader.core import submission

FIXTURE = FIXTURES / "mnist" / "MNISTNet" / "fail_RANDOM_IN_EVAL__functional_dropout.py"


def _images() -> torch.Tensor:
    return torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(2))


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return submission.load(FIXTURE).get("MNISTNet", None)().eval()


def test_the_message_does_not_depend_on_the_random_state_before() -> None:
    model = _model()
    messages = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        (finding,) = models.random_in_eval(model, _images(), "`MNISTNet`", "images")
        messages.append(finding.message)
    assert finding.code.value == "RANDOM_IN_EVAL"
    assert messages[0] == messages[1]
    assert "largest difference" in messages[0]


def test_the_random_state_is_left_as_it_was() -> None:
    model = _model()
    torch.manual_seed(5)
    before = torch.get_rng_state()
    assert models.random_in_eval(model, _images(), "`MNISTNet`", "images")
    assert torch.equal(torch.get_rng_state(), before)
