"""Correct work that writes to stderr while it is checked keeps its points under real nbgrader.

nbgrader gives 0 to a grade cell with any stderr output. The submission below is the solution of
04_cross_entropy, wrapped so that each function prints to sys.stderr, raises a warning and runs a
plain tqdm bar every time it is called: the check and hidden-test cells run it, and must still
score full marks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.classroom import gradebook_sync, sample_class
from grader.classroom.course import REPO, Course, environ

ASSIGNMENT = "04_cross_entropy"

NOISE = '''
import sys as _sys
import warnings as _warnings
from tqdm import tqdm as _tqdm

def _noisy(fn):
    def wrapper(*args, **kwargs):
        print("debug: called", fn.__name__, file=_sys.stderr)
        _warnings.warn(fn.__name__ + ": a warning from the student code")
        for _ in _tqdm(range(3)):
            pass
        return fn(*args, **kwargs)
    return wrapper

{name} = _noisy({name})
'''

pytestmark = pytest.mark.skipif(not (ROOT / "notebooks" / ASSIGNMENT).is_dir(),
                                reason="notebooks/ not generated")


def _source() -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def _points() -> dict[str, float]:
    return {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
            for c in _source().cells if c.metadata.get("nbgrader", {}).get("grade")}


def _noisy_student() -> sample_class.Student:
    answers = [c.metadata.nbgrader["grade_id"] for c in _source().cells
               if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers
    return sample_class.Student("correct, but noisy on stderr",
                                cells={gid: sample_class.Append(NOISE.replace("{name}", gid))
                                       for gid in answers})


def test_noisy_but_correct_submission_gets_full_marks(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sample_class.CLASS, "noisy", _noisy_student())
    for name in ("solutions", "notebooks"):
        (tmp_path / name).symlink_to(ROOT / name)
    course = Course(tmp_path)
    sample_class.build(course, students=["noisy"], assignments=[ASSIGNMENT])
    gradebook_sync.record_assignment(course, ASSIGNMENT)
    proc = subprocess.run(course.nbgrader("autograde", ASSIGNMENT, "--Execute.timeout=120"),
                          cwd=REPO, env=environ(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]

    graded = nbformat.read(course.notebook("autograded", ASSIGNMENT, "noisy"), as_version=4)
    tests = [c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests
    for cell in tests:  # the functions did run noisily: the note says so, on stdout
        streams = [o for o in cell.outputs if o.output_type == "stream"]
        assert all(o.name == "stdout" for o in streams), cell.metadata.nbgrader["grade_id"]
        assert "to stderr" in "".join(o.text for o in streams)
    record = gradebook_sync.read_submission(course.db_url, ASSIGNMENT, "noisy")
    assert record is not None
    scores = {cell: values for (_, cell), values in record.grades.items()}
    assert scores == {cell: (p, False) for cell, p in _points().items()}
