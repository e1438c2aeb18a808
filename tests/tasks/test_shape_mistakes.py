"""Shape mistakes get their own names: a hard-coded input width (with a second mistake behind
it), a swapped (accuracy, loss) pair, and `[:, targets]` indexing."""

from __future__ import annotations

from conftest import FIXTURES

from grader.core import submission
from grader.core.catalogue import get_task
from grader.core.runner import MISSING, run_check


def _findings(task_id: str, fixture: str, strict: bool = False):
    task = get_task(task_id)
    path = FIXTURES / task.notebook / task.name / f"{fixture}.py"
    result = run_check(task, submission.load(path).get(task.name, MISSING), device="cpu",
                       strict=strict)
    return result.findings


def test_hard_coded_width_and_a_sigmoid_are_both_reported() -> None:
    for strict in (False, True):
        found = _findings("bce_mse.BinaryClassifier",
                          "fail_SIGMOID_BEFORE_BCE_WITH_LOGITS__linear_784_and_sigmoid", strict)
        assert [f.code.value for f in found] == ["HARDCODED_INPUT_WIDTH",
                                                 "SIGMOID_BEFORE_BCE_WITH_LOGITS"]
        assert "784" in found[0].message and "mat1 and mat2" in found[0].message


def test_hard_coded_width_alone_is_one_finding() -> None:
    found = _findings("bce_mse.BinaryClassifier", "fail_HARDCODED_INPUT_WIDTH__linear_784")
    assert [f.code.value for f in found] == ["HARDCODED_INPUT_WIDTH"]


def test_swapped_evaluate_pair_is_named_as_a_swap() -> None:
    (finding,) = _findings("mnist.evaluate", "fail_WRONG_VALUE__accuracy_loss_swapped")
    assert "reverse" in finding.message and "accuracy" in finding.message


def test_indexing_columns_with_all_targets_is_named() -> None:
    (finding,) = _findings("cross_entropy.cross_entropy",
                           "fail_WRONG_VALUE__index_columns_with_targets")
    assert "[:, targets]" in finding.message
