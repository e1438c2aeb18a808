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
        "cross_entropy.softmax", "cross_entropy.cross_entropy", "cross_entropy.cross_entropy_grad",
        "bce_mse.bce_with_logits_loss"}


@pytest.mark.parametrize(("assignment", "task"), REFUSING, ids=[t.id for _, t in REFUSING])
def test_refused_functions_are_named_in_the_exercise(assignment, task) -> None:
    text = exercise_text(assignment, task.name)
    unnamed = [name for name in task.check.refuses if f"`{name}`" not in text]
    assert not unnamed, f"{task.id}: the exercise text does not name {unnamed}"


def test_the_accuracy_target_table_is_the_graders_rule() -> None:
    """05's table of allowed mistakes holds the numbers `mnist.model` judges by."""
    from grader.tasks.mnist import allowed_mistakes

    notebook = ROOT / "solutions" / "05_mnist_classifier" / "05_mnist_classifier.ipynb"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = next(t for t in ("".join(c["source"]) for c in cells) if "reach 97 % test accuracy" in t)
    rows = re.findall(r"^\| ([\d,]+) \([^)]*\) \| (\d+) \| ([\d.]+) % \|$", text, re.MULTILINE)
    assert len(rows) == 2, text
    for images, allowed, lowest in rows:
        n = int(images.replace(",", ""))
        assert int(allowed) == allowed_mistakes(n)
        assert float(lowest) == pytest.approx(100 * (1 - allowed_mistakes(n) / n), abs=0.005)


def test_the_margin_lets_a_model_at_the_target_pass_nearly_always() -> None:
    """At most 3 in 100 test sets of 1,000 make a model of true accuracy 97% fail (binomial)."""
    import math

    from grader.tasks.mnist import allowed_mistakes

    n, miss = 1000, 0.03
    fail = sum(math.comb(n, k) * miss**k * (1 - miss) ** (n - k)
               for k in range(allowed_mistakes(n) + 1, n + 1))
    assert 0.005 < fail < 0.035
    assert allowed_mistakes(n) < 2 * n * miss  # still a target: 93% does not pass
