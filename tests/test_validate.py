"""nbgrader's Validate (what the student's Validate button runs) tells unfinished from finished.

A failing check() ends its cell in an error shown as the short verdict, so Validate lists the
failing exercises instead of answering "Success!"; the solution notebook validates.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from grader.classroom.course import environ

NAME = "04_cross_entropy"


def _validate(notebook: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(notebook)],
                          cwd=ROOT, env=environ(), capture_output=True, text=True, timeout=900)
    return done.stdout


def test_validate_lists_each_failing_exercise_of_an_unfinished_notebook(tmp_path: Path) -> None:
    notebook = tmp_path / f"{NAME}.ipynb"
    shutil.copy(ROOT / "notebooks" / NAME / f"{NAME}.ipynb", notebook)
    out = _validate(notebook)
    assert "VALIDATION FAILED ON 3 CELL(S)" in out, out
    for name in ("softmax", "cross_entropy", "cross_entropy_grad"):
        assert f"❌ {name}: the public checks found 1 problem" in out
        assert f'check("cross_entropy.{name}")' in out
    assert "Traceback" not in out and "NotImplementedError  " not in out
    assert "Success" not in out


def test_validate_says_success_on_the_finished_notebook(tmp_path: Path) -> None:
    notebook = tmp_path / f"{NAME}.ipynb"
    shutil.copy(ROOT / "solutions" / NAME / f"{NAME}.ipynb", notebook)
    out = _validate(notebook)
    assert "Success! Your notebook passes all the tests." in out, out
