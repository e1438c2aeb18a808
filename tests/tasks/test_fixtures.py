"""Every fixture submission gets the verdict its file name promises.

tests/fixtures/<notebook>/<name>/pass_<variant>.py          must pass, visible and hidden checks
tests/fixtures/<notebook>/<name>/fail_<CODE>__<variant>.py  must fail with finding CODE, both modes

Each runs on the CPU, and on CUDA as well where a GPU is present: the verdicts must not depend on
the device the grader runs on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import FIXTURES

from grader.core import submission
from grader.core.catalogue import all_tasks, get_task
from grader.core.findings import Code
from grader.core.runner import MISSING, run_check

FIXTURE_FILES = sorted(FIXTURES.glob("*/*/*.py"))
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU on this machine"))]


def _task_id(path: Path) -> str:
    return f"{path.parent.parent.name}.{path.parent.name}"


def _expected_code(path: Path) -> str | None:
    if path.stem.startswith("pass_"):
        return None
    assert path.stem.startswith("fail_") and "__" in path.stem, f"bad fixture name {path.name}"
    return path.stem[len("fail_"):].split("__", 1)[0]


def _run(path: Path, strict: bool, device: str):
    task = get_task(_task_id(path))
    loaded = submission.load(path)
    assert not loaded.cell_errors, loaded.cell_errors
    return run_check(task, loaded.get(task.name, MISSING), device=device, strict=strict)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("strict", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{_task_id(p)}/{p.stem}")
def test_fixture_verdict(path: Path, strict: bool, device: str) -> None:
    expected = _expected_code(path)
    result = _run(path, strict, device)
    if expected is None:
        assert result.passed, [f"{f.code.value}: {f.message}" for f in result.findings]
        assert result.score == result.max_score
    else:
        assert not result.passed and result.score == 0.0
        assert expected in result.codes, [f"{f.code.value}: {f.message}" for f in result.findings]
        for finding in result.findings:  # messages describe, and are never empty
            assert len(finding.message) > 20


@pytest.mark.parametrize("task_id", list(all_tasks()))
def test_every_task_has_passing_variants_and_a_fixture_per_code(task_id: str) -> None:
    task = get_task(task_id)
    folder = FIXTURES / task.notebook / task.name
    stems = [p.stem for p in folder.glob("*.py")]
    assert sum(s.startswith("pass_") for s in stems) >= 2, f"{task_id}: needs passing variants"
    for code in task.catches:
        if code in (Code.SUBMISSION_ERROR, Code.TIMEOUT, Code.NOT_IMPLEMENTED, Code.TAMPERING):
            continue  # generic outcomes, covered in test_runner.py
        assert any(s.startswith(f"fail_{code.value}__") for s in stems), \
            f"{task_id}: no failing fixture for {code.value}"
