"""The catalogue: every graded task of the course, in notebook order, looked up by id."""

from __future__ import annotations

import importlib

from grader.core.layout import ASSIGNMENTS
from grader.core.task import Task

# The task modules in course order (the assignments and their modules: grader.core.layout).
TASK_MODULES: tuple[str, ...] = tuple(f"grader.tasks.{m}" for m in ASSIGNMENTS.values())

_cache: dict[str, Task] | None = None


def all_tasks() -> dict[str, Task]:
    """All tasks by id, in course order (imports torch through the task modules)."""
    global _cache
    if _cache is None:
        tasks: dict[str, Task] = {}
        for module_name in TASK_MODULES:
            for task in importlib.import_module(module_name).TASKS:
                if task.id in tasks:
                    raise ValueError(f"duplicate task id {task.id}")
                tasks[task.id] = task
        _cache = tasks
    return _cache


def get_task(task_id: str) -> Task:
    """The task with this id; KeyError with the known ids when there is none."""
    tasks = all_tasks()
    if task_id not in tasks:
        raise KeyError(f"unknown task {task_id!r}; known tasks: {', '.join(tasks)}")
    return tasks[task_id]


def tasks_of(assignment: str) -> list[Task]:
    """The tasks graded in one assignment (e.g. "05_mnist_classifier")."""
    prefix = ASSIGNMENTS[assignment] + "."
    return [task for task_id, task in all_tasks().items() if task_id.startswith(prefix)]


def assignment_of(task: Task) -> str:
    """The assignment whose notebook grades the task."""
    return next(a for a, module in ASSIGNMENTS.items() if module == task.notebook)
