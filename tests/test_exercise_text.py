"""The exercise text and the grader agree: every torch function a check refuses (BUILTIN_USED)
is named, in backticks, in the text of the exercise it grades."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from grader.core.catalogue import ASSIGNMENTS, tasks_of

REFUSING = [(assignment, task) for assignment in ASSIGNMENTS for task in tasks_of(assignment)
            if getattr(task.check, "refuses", ())]


def exercise_text(assignment: str, name: str) -> str:
    """The markdown cell of the solution notebook whose heading introduces the exercise `name`."""
    notebook = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    heading = re.compile(rf"Exercise \d+ — `{re.escape(name)}`")
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and heading.search(source):
            return source
    raise AssertionError(f"{assignment} has no exercise heading for `{name}`")


def test_some_checks_refuse_builtins() -> None:
    assert {task.id for _, task in REFUSING} >= {
        "cross_entropy.softmax", "cross_entropy.cross_entropy", "bce_mse.bce_with_logits_loss"}


@pytest.mark.parametrize(("assignment", "task"), REFUSING, ids=[t.id for _, t in REFUSING])
def test_refused_functions_are_named_in_the_exercise(assignment, task) -> None:
    text = exercise_text(assignment, task.name)
    unnamed = [name for name in task.check.refuses if f"`{name}`" not in text]
    assert not unnamed, f"{task.id}: the exercise text does not name {unnamed}"
