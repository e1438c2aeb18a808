"""core/expected: computed from grader.answers here, read from a recording in the student kit."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import grader
from grader.core import expected
from grader.core.catalogue import get_task
from grader.core.runner import run_check


@pytest.fixture
def kit_mode(monkeypatch, tmp_path) -> Path:
    """This grader as the kit's: no grader.answers, expectations read from a recording file."""
    path = tmp_path / "expected.pt"
    monkeypatch.setattr(expected, "instructor", lambda: False)
    monkeypatch.setattr(expected, "RECORDING", path)
    expected._recording.cache_clear()
    yield path
    expected._recording.cache_clear()


def test_the_instructor_grader_computes_and_records_while_recording() -> None:
    x = torch.ones(2, requires_grad=True)
    assert expected.expected("t.task", "k", lambda: 7) == 7
    with expected.recording() as values:
        got = expected.expected("t.task", "doubled", lambda: x * 2)
    assert got.requires_grad  # the check gets the live value
    assert set(values) == {"t.task/doubled"}
    kept = values["t.task/doubled"]
    assert not kept.requires_grad and kept.tolist() == [2, 2]
    with expected.recording() as later:
        pass
    assert later == {}


def test_the_kit_reads_what_was_recorded_and_never_computes(kit_mode: Path) -> None:
    expected.save({"t.task/k": torch.tensor([1.0, 2.0]), "t.task/n": 3}, kit_mode, "9.9")

    def compute() -> int:
        raise AssertionError("the kit has no references to compute with")

    assert expected.expected("t.task", "n", compute) == 3
    assert expected.expected("t.task", "k", compute).tolist() == [1.0, 2.0]
    with pytest.raises(expected.MissingExpectation, match="t.task/other"):
        expected.expected("t.task", "other", compute)


def test_a_kit_without_its_recording_says_so(kit_mode: Path) -> None:
    with pytest.raises(expected.MissingExpectation, match="rebuild the kit"):
        expected.expected("t.task", "k", lambda: 1)


def test_a_missing_expectation_is_the_kits_fault_not_the_students(kit_mode: Path) -> None:
    expected.save({}, kit_mode, "9.9")
    task = get_task("dataloaders.iterations_per_epoch")
    with pytest.raises(expected.MissingExpectation):
        run_check(task, lambda n, b, drop_last=False: 1, device="cpu")


def test_tolerances_widen_only_off_the_recorded_torch_and_device(kit_mode: Path) -> None:
    expected.save({}, kit_mode, "9.9")
    assert expected.slack("cpu") == 1.0
    assert expected.slack("cuda") > 1.0
    torch.save({"version": "9.9", "torch": "1.0.0", "values": {}}, kit_mode)
    expected._recording.cache_clear()
    assert expected.slack("cpu") > 1.0


def test_grade_in_the_kit_runs_nothing_and_says_when_the_hidden_checks_run(kit_mode, capsys):
    grader.grade("nn_module.LeNet", object())  # would fail any check
    out = capsys.readouterr().out
    assert "run when the notebook is graded" in out and 'check("nn_module.LeNet")' in out
