"""Checks of notebooks 01-02 beyond the fixtures: reference sizes, secrecy, unfinished code."""

from __future__ import annotations

import pytest
import torch
from conftest import FIXTURES
from torch import nn

from grader.answers import nn_module as references
from grader.core import submission
from grader.core.findings import Code
from grader.core.runner import run_check
from grader.tasks import dataloaders, nn_module

TASKS = {t.id: t for t in nn_module.TASKS + dataloaders.TASKS}
SECRET_COUNTS = ("15770", "15,770", "61706", "61,706")
MODEL_FAILS = sorted(FIXTURES.glob("nn_module/*/fail_*.py"))


def test_reference_models_have_the_documented_sizes() -> None:
    for ref, count in ((references.SimpleCNN, 15_770), (references.LeNet, 61_706)):
        assert sum(p.numel() for p in ref().parameters()) == count


@pytest.mark.parametrize("path", MODEL_FAILS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_messages_never_reveal_the_expected_parameter_count(path) -> None:
    task = TASKS[f"nn_module.{path.parent.name}"]
    obj = submission.load(path).get(task.name, None)
    for strict in (False, True):
        for finding in run_check(task, obj, device="cpu", strict=strict).findings:
            assert not any(secret in finding.message for secret in SECRET_COUNTS), finding.message


class _UnfinishedForward(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError()


class _UnfinishedInit(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        raise NotImplementedError()


class _EmptyInit(nn.Module):  # __init__ done as in the skeleton, forward not yet
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError()


@pytest.mark.parametrize("cls", [_UnfinishedForward, _UnfinishedInit, _EmptyInit])
def test_unfinished_model_is_not_implemented(cls) -> None:
    result = run_check(TASKS["nn_module.SimpleCNN"], cls, device="cpu")
    assert result.codes == [Code.NOT_IMPLEMENTED.value]


def _fixture(task: str, name: str):  # noqa: ANN202 - a student's class
    return submission.load(FIXTURES / "nn_module" / task / name).get(task, None)


def test_model_instance_instead_of_class_is_named() -> None:
    model = _fixture("SimpleCNN", "pass_functional_flatten.py")()
    result = run_check(TASKS["nn_module.SimpleCNN"], model, device="cpu")
    assert result.codes == [Code.SUBMISSION_ERROR.value]
    assert "instance" in result.findings[0].message


class _UnfinishedDataset(torch.utils.data.Dataset):
    def __init__(self, features, labels, transform=None) -> None:
        self.features, self.labels = features, labels

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int):
        raise NotImplementedError()


def test_unfinished_dataset_is_not_implemented() -> None:
    result = run_check(TASKS["dataloaders.TensorPairDataset"], _UnfinishedDataset, device="cpu")
    assert result.codes == [Code.NOT_IMPLEMENTED.value]


SOLUTIONS = {
    "nn_module.SimpleCNN": _fixture("SimpleCNN", "pass_functional_flatten.py"),
    "nn_module.LeNet": _fixture("LeNet", "pass_tutorial.py"),
    "nn_module.count_parameters":
        lambda m: sum(p.numel() for p in m.parameters() if p.requires_grad),
    "nn_module.conv_output_size": lambda n, k, s=1, p=0: (n + 2 * p - k) // s + 1,
    "dataloaders.iterations_per_epoch":
        lambda n, b, drop_last=False: n // b if drop_last else -(-n // b),
}


@pytest.mark.parametrize("task_id", sorted(SOLUTIONS))
def test_solutions_pass(task_id: str) -> None:
    for strict in (False, True):
        assert run_check(TASKS[task_id], SOLUTIONS[task_id], device="cpu", strict=strict).passed
