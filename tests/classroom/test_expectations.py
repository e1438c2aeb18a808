"""The recording of the kit's expectations: every reference passes its public check, each
records what its check compares with, and a broken reference stops the build."""

from __future__ import annotations

import pytest
from torch.utils.data import DataLoader, Dataset

from grader.answers import dataloaders
from grader.classroom import expectations, kit
from grader.core.catalogue import all_tasks


def test_every_reference_records_its_public_expectations() -> None:
    values = expectations.record()
    tasks = {name.split("/", 1)[0] for name in values}
    assert tasks == set(expectations.references())
    assert tasks <= set(all_tasks())
    # The public inputs only: the hidden ones stay with the instructor.
    assert "dataloaders.iterations_per_epoch/65,64,True" not in values
    assert values["dataloaders.iterations_per_epoch/101,10,False"] == 11


def test_a_reference_that_fails_its_own_public_check_stops_the_recording(monkeypatch) -> None:
    monkeypatch.setitem(dataloaders.REFERENCES, "dataloaders.iterations_per_epoch",
                        lambda n, b, drop_last=False: n // b)
    with pytest.raises(expectations.RecordingError, match="iterations_per_epoch"):
        expectations.record()


def _make_loaders(train: Dataset, test: Dataset, batch_size: int = 64) -> tuple:
    return DataLoader(train, batch_size, shuffle=True), DataLoader(test, batch_size)


def test_a_reference_whose_check_asks_for_nothing_is_refused(monkeypatch) -> None:
    monkeypatch.setitem(dataloaders.REFERENCES, "dataloaders.make_loaders", _make_loaders)
    with pytest.raises(expectations.RecordingError, match="asked for no expectation"):
        expectations.record()


def test_the_student_grader_never_reaches_the_answers() -> None:
    assert not [m for m in kit.student_modules() if m.startswith("grader.answers")]
