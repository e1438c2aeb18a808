"""The slips of `cross_entropy_grad` are each named for what was observed, in both modes."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from grader.core import submission
from grader.core.catalogue import get_task
from grader.core.runner import MISSING, run_check

TASK = get_task("cross_entropy.cross_entropy_grad")

# fixture -> words its one finding must hold (the public batch is B = 5, C = 4)
NAMED = {
    "fail_WRONG_VALUE__no_mean": ["5 times autograd's", "summed loss"],
    "fail_WRONG_VALUE__sign": ["sign flipped", "less likely"],
    "fail_WRONG_VALUE__no_one_hot": ["sums to 1/B (here 0.2)", "-z_t"],
    "fail_WRONG_VALUE__softmax_dim0": ["down each column", "(dim 0)"],
    "fail_WRONG_VALUE__mean_over_entries": ["4 times smaller", "B×C"],
    "fail_WRONG_VALUE__shift_in_place": ["in-place"],
    "fail_WRONG_OUTPUT_SHAPE__averaged_over_batch": ["shape (4,)", "samples of the batch"],
    "fail_TARGET_SHAPE__one_hot_targets": ["raised RuntimeError", "one-hot rows shaped (5, 4)"],
    "fail_UNSTABLE_NUMERICS__naive_exp": ["nan/inf", "[1000.0, 0.0, -1000.0]"],
    "fail_BUILTIN_USED__func_grad": ["`torch.autograd.grad`", "not computed by autograd"],
}


@pytest.mark.parametrize("strict", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("fixture", list(NAMED))
def test_each_slip_is_named(fixture: str, strict: bool) -> None:
    path = FIXTURES / "cross_entropy" / "cross_entropy_grad" / f"{fixture}.py"
    result = run_check(TASK, submission.load(path).get(TASK.name, MISSING), device="cpu",
                       strict=strict)
    (finding,) = result.findings
    assert fixture.split("__")[0].removeprefix("fail_") == finding.code.value
    for words in NAMED[fixture]:
        assert words in finding.message, finding.message


def test_the_sum_of_probabilities_is_told_apart_from_each_slip_alone() -> None:
    """softmax alone (no one-hot, no 1/B): rows of probabilities, not one of the single slips."""
    source = ("import torch\n\ndef cross_entropy_grad(logits, targets):\n"
              "    return torch.softmax(logits, dim=1)\n")
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102
    (finding,) = run_check(TASK, namespace[TASK.name], device="cpu").findings
    assert finding.code.value == "WRONG_VALUE" and "these are probabilities" in finding.message


def test_an_unexplained_gradient_says_how_far_off_it_is() -> None:
    source = ("import torch\n\ndef cross_entropy_grad(logits, targets):\n"
              "    return torch.zeros_like(logits) + 0.1\n")
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102
    (finding,) = run_check(TASK, namespace[TASK.name], device="cpu").findings
    assert finding.code.value == "WRONG_VALUE"
    assert "differ from autograd's" in finding.message
    assert "rows sum to between 0.4" in finding.message
