"""The catalogue: every graded task of the course, in notebook order, looked up by id."""

from __future__ import annotations

import importlib

from grader.task import Task

# One module per notebook, each exporting TASKS: list[Task]. Order = course order.
TASK_MODULES: tuple[str, ...] = (
    "grader.tasks.nn_module",
    "grader.tasks.dataloaders",
    "grader.tasks.bce_mse",
    "grader.tasks.cross_entropy",
    "grader.tasks.mnist",
)

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
