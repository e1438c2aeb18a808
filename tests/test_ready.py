"""ready(): demo cells skip with one line while the exercise they use is still the released stub."""

from __future__ import annotations

import grader
from grader.core.catalogue import ASSIGNMENTS, tasks_of
from grader.core.unfinished import exercise_label, exercise_numbers, is_stub


def _run(source: str, namespace: dict) -> None:
    exec(source, namespace)


def test_a_missing_or_stub_exercise_is_not_ready_and_names_the_exercise(capsys) -> None:
    namespace = {"ready": grader.ready}
    _run("ok = ready('mnist.train_one_epoch')", namespace)
    assert namespace["ok"] is False
    assert capsys.readouterr().out.strip().startswith(
        "⏭ finish Exercise 2 (`train_one_epoch`) first")
    _run("def train_one_epoch(model, loader, criterion, optimizer, device):\n"
         "    # YOUR CODE HERE\n"
         "    raise NotImplementedError()\n"
         "ok = ready('mnist.MNISTNet', 'mnist.train_one_epoch')", namespace)
    assert namespace["ok"] is False
    assert "Exercise 1 (`MNISTNet`)" in capsys.readouterr().out  # the first unfinished one


def test_a_written_exercise_is_ready_silently(capsys) -> None:
    namespace = {"ready": grader.ready}
    _run("def softmax(x):\n    return x.exp() / x.exp().sum(dim=1, keepdim=True)\n"
         "ok = ready('cross_entropy.softmax')", namespace)
    assert namespace["ok"] is True and capsys.readouterr().out == ""


def test_a_class_counts_as_a_stub_while_one_method_still_raises() -> None:
    class Half:
        def __init__(self):
            self.x = 1

        def forward(self, x):
            raise NotImplementedError()

    class Done:
        def forward(self, x):
            return [x for _ in range(2)]

    assert is_stub(Half) and not is_stub(Done) and not is_stub(42)


def test_every_task_has_its_exercise_number_from_the_notebook_headings() -> None:
    for assignment in ASSIGNMENTS:
        numbers = exercise_numbers(assignment)
        for task in tasks_of(assignment):
            if task.missing:  # an outcome (the trained model), not code the student writes
                continue
            assert exercise_label(assignment, task.name).startswith("Exercise "), task.id
        assert sorted(numbers.values()) == list(range(1, len(numbers) + 1)), assignment
    assert exercise_numbers("01_nn_module")["conv_output_size"] == 1
