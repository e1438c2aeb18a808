"""The notebooks as students get them: in sync with solutions/, friendly when unfinished or wrong.

(The solution notebooks themselves run top to bottom under nbval: see pytest's testpaths.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient

from grader.core.catalogue import all_tasks, tasks_of

SOURCES = sorted((ROOT / "solutions").glob("*/*.ipynb"))


def _grade_cells(nb) -> list:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def test_student_notebooks_are_generated_from_solutions() -> None:
    done = subprocess.run([sys.executable, "-m", "grader.release", "--check"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_test_cells_carry_the_catalogue_points_and_hide_the_strict_checks(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tasks = all_tasks()
    for cell in _grade_cells(nb):
        source, points = cell.source, cell.metadata["nbgrader"]["points"]
        called = [t for t in tasks if f'check("{t}")' in source]
        if not called:
            continue  # a graded cell that is not a catalogue task (e.g. the test accuracy)
        assert len(called) == 1 and points == tasks[called[0]].points, cell.metadata
        hidden = source.split("### BEGIN HIDDEN TESTS", 1)
        assert len(hidden) == 2 and f'grade("{called[0]}")' in hidden[1]
    graded = {t for c in _grade_cells(nb) for t in tasks if f'check("{t}")' in c.source}
    expected = {task.id for task in tasks_of(path.parent.name)}
    assert expected <= graded, f"tasks without a test cell: {expected - graded}"


def _execute(nb, cwd: Path):
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o["output_type"] ==
                   "stream")


def test_an_unfinished_notebook_says_not_implemented_without_tracebacks() -> None:
    path = ROOT / "notebooks" / "04_cross_entropy" / "04_cross_entropy.ipynb"
    nb = _execute(nbformat.read(path, as_version=4), path.parent)
    checks = [c for c in _grade_cells(nb) if "check(" in c.source]
    assert checks
    for cell in checks:
        assert "not implemented yet" in _text(cell) or "not defined yet" in _text(cell)
        assert not [o for o in cell.outputs if o["output_type"] == "error"]
        assert not [o for o in cell.outputs if o.get("name") == "stderr"]


def test_a_wrong_answer_shows_the_named_misconception() -> None:
    source = ROOT / "solutions" / "04_cross_entropy" / "04_cross_entropy.ipynb"
    nb = nbformat.read(source, as_version=4)
    wrong = ("def cross_entropy(logits, targets):\n"
             "    probs = torch.softmax(logits, dim=1)\n"
             "    return torch.nn.functional.cross_entropy(probs, targets)\n")
    for cell in nb.cells:
        if cell.cell_type == "code" and "def cross_entropy(" in cell.source \
                and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = wrong
    nb = _execute(nb, source.parent)
    outputs = json.dumps([_text(c) for c in _grade_cells(nb)])
    assert "SOFTMAX_BEFORE_CE" in outputs and "public checks passed" in outputs
