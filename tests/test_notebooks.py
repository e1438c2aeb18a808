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
    """Printed text and the lines an error shows (a failed check's verdict), of one cell."""
    return "".join(o.get("text", "") + "\n".join(o.get("traceback", [])) for o in
                   cell.get("outputs", []) if o["output_type"] in ("stream", "error"))


RELEASED = sorted((ROOT / "notebooks").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.stem)
def test_an_unfinished_notebook_has_no_dead_ends(path: Path) -> None:
    """Run top to bottom as released: the only errors are the check cells' short verdicts.

    A failed check() must stop "Run All" and fail Validate, so check cells end in CheckFailed,
    shown as the verdict alone; every other cell runs, or says which exercise to finish first.
    """
    nb = _execute(nbformat.read(path, as_version=4), path.parent)
    checks = [c for c in _grade_cells(nb) if "check(" in c.source]
    assert checks
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        if cell in checks:
            assert [e["ename"] for e in errors] == ["CheckFailed"], cell.source
            assert "NOT_IMPLEMENTED" in _text(cell), _text(cell)
            assert "Traceback" not in _text(cell) and 'File "' not in _text(cell)
            assert not [o for o in cell.outputs if o.get("name") == "stderr"]
        elif cell in _grade_cells(nb):                      # 05's test accuracy
            assert [e["ename"] for e in errors] in ([], ["CheckFailed"]), cell.source
        else:
            assert not errors, (cell.source, errors)
    guarded = [c for c in nb.cells if c.cell_type == "code" and "if ready(" in c.source]
    assert all("⏭ finish Exercise" in _text(c) for c in guarded)


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
