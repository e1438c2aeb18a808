"""A submission made of the instructor's references is refused at grading, however it is
dressed; the student's own code is never taken for one."""

from __future__ import annotations

import pytest

from grader.core.borrowed import borrows_answers
from grader.core.catalogue import get_task
from grader.core.runner import run_check

BORROWED = {
    "the class itself": (
        "nn_module.LeNet", "from grader.answers.nn_module import LeNet\n"),
    "a subclass": (
        "nn_module.LeNet",
        "from grader.answers import nn_module as ref\nclass LeNet(ref.LeNet):\n    pass\n"),
    "a function calling it through a module global": (
        "nn_module.conv_output_size",
        "import grader.answers.nn_module as a\n"
        "def conv_output_size(*args):\n    return a.conv_output_size(*args)\n"),
    "a method calling it": (
        "nn_module.SimpleCNN",
        "import torch\nfrom grader.answers.nn_module import SimpleCNN as Ref\n"
        "class SimpleCNN(torch.nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.inner = Ref()\n"
        "    def forward(self, x):\n        return self.inner(x)\n"),
    "a closure": (
        "mnist.train_one_epoch",
        "def make():\n    from grader.answers.mnist import train_one_epoch as t\n"
        "    def train_one_epoch(*args):\n        return t(*args)\n    return train_one_epoch\n"
        "train_one_epoch = make()\n"),
}


@pytest.mark.parametrize("case", sorted(BORROWED))
def test_a_borrowed_reference_is_refused(case: str) -> None:
    task_id, source = BORROWED[case]
    task = get_task(task_id)
    namespace: dict = {"__name__": "__student__"}
    exec(compile(source, "<student>", "exec"), namespace)  # noqa: S102
    result = run_check(task, namespace[task.name], device="cpu", strict=True)
    assert result.codes == ["TAMPERING"] and "grader.answers" in result.findings[0].message


def test_the_students_own_code_is_not_taken_for_a_borrowed_one() -> None:
    namespace: dict = {"__name__": "__student__"}
    source = ("import torch\nimport grader\nfrom grader.core import expected\n"
              "def conv_output_size(size, k, stride=1, padding=0):\n"
              "    return (size + 2 * padding - k) // stride + 1\n")
    exec(compile(source, "<student>", "exec"), namespace)  # noqa: S102
    assert not borrows_answers(namespace["conv_output_size"])
    assert run_check(get_task("nn_module.conv_output_size"), namespace["conv_output_size"],
                     device="cpu", strict=True).passed
