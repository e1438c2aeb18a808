"""Offer every class and function an installed student wheel defines as the answer to every code
task, graded by the instructor's hidden checks; write the ones that pass as JSON.

Run by the kit venv's python (tests/test_kit_answers.py):

    python answers.py OUT.json REPO WHEEL_GRADER_DIR [TASK_ID ...]

REPO goes first on sys.path, so `grader` is the instructor's package (with its hidden checks) and
`from grader...` inside a wheel file resolves there too: what counts is what each wheel file
defines. Every .py file under WHEEL_GRADER_DIR (the installed wheel's grader/) is loaded as a
module of its own under an alias; every class and function whose __module__ is that alias is
collected: module level, methods, static and class methods, nested classes, and callables kept
in module-level tuples, lists, sets and dicts (a table of lambdas). A class is offered to each
class task, a function to each function task, as it is and wrapped to return the mean of a list
of numbers or of (number, ...) tuples that it returns (a reference that keeps per-batch losses).
The code tasks are the catalogue's tasks without a `missing` message (mnist.model grades a
trained network, not code), or those named after WHEEL_GRADER_DIR; class or function:
what the solution notebook defines.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import numbers
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

SECONDS = 10.0  # per attempt (run_check's own time limit); real answers pass in far less

Found = tuple[str, str, Any]  # (wheel file, path to the object in it, the object)


def load(path: Path, alias: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(alias, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    for name, member in vars(cls).items():
        if isinstance(member, staticmethod):
            yield name, member.__func__
        elif isinstance(member, classmethod):
            yield name, member.__get__(None, cls)
        elif isinstance(member, property):
            yield from ((f"{name}.{part}", getattr(member, part))
                        for part in ("fget", "fset", "fdel") if getattr(member, part))
        else:
            yield name, member


def collect(module: ModuleType, file: str) -> list[Found]:
    """Every class and function defined in `module`, reachable from its namespace."""
    found: list[Found] = []
    seen: set[int] = set()

    def visit(obj: Any, where: str) -> None:
        if id(obj) in seen:
            return
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj):
            target = obj.__func__ if inspect.ismethod(obj) else obj
            if getattr(target, "__module__", None) != module.__name__:
                return
            seen.add(id(obj))
            found.append((file, where, obj))
            if inspect.isclass(obj):
                for name, member in _members(obj):
                    visit(member, f"{where}.{name}")
        elif isinstance(obj, (tuple, list, set, frozenset)):
            seen.add(id(obj))
            for i, item in enumerate(obj):
                visit(item, f"{where}[{i}]")
        elif isinstance(obj, dict):
            seen.add(id(obj))
            for key, value in obj.items():
                visit(value, f"{where}[{key!r}]")

    for name, value in list(vars(module).items()):
        visit(value, name)
    return found


def _number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def averaged(fn: Callable) -> Callable:
    """fn, returning the mean of the list of numbers or (number, ...) tuples it returns."""
    def answer(*args: Any, **kwargs: Any) -> float:
        out = fn(*args, **kwargs)
        if not (isinstance(out, list) and out and all(
                _number(x) or (isinstance(x, tuple) and x and _number(x[0])) for x in out)):
            raise TypeError("not a list of numbers or of (number, ...) tuples")
        values = [x if _number(x) else x[0] for x in out]
        return sum(values) / len(values)
    return answer


def main(out: Path, repo: Path, wheel: Path, only: list[str]) -> None:
    sys.path[:0] = [str(repo), str(repo / "tests")]
    from mutation.solutions import solution

    from grader.core.catalogue import all_tasks
    from grader.core.runner import run_check

    start = time.monotonic()
    found: list[Found] = []
    errors: list[str] = []
    for path in sorted(wheel.rglob("*.py")):
        file = str(Path("grader") / path.relative_to(wheel))
        alias = "wheelfile__" + re.sub(r"\W", "_", file[:-3])
        try:
            found += collect(load(path, alias), file)
        except BaseException:  # noqa: BLE001 - a file that does not load is reported
            errors.append(f"{file}: {traceback.format_exc(limit=3)}")
    tasks = [t for t in all_tasks().values() if not t.missing and (not only or t.id in only)]
    classes = [f for f in found if inspect.isclass(f[2])]
    functions = [f for f in found if not inspect.isclass(f[2])]
    passed, attempts, slowest, tally = [], 0, [], Counter()
    for task in tasks:
        is_class = re.search(rf"^class {task.name}\b", solution(task.name), re.M) is not None
        offers = classes if is_class else [
            *functions, *((f, f"averaged({w})", averaged(o)) for f, w, o in functions)]
        for file, where, obj in offers:
            attempts += 1
            began = time.monotonic()
            try:
                result = run_check(task, obj, device="cpu", strict=True, seconds=SECONDS)
                ok, codes = result.passed, result.codes
            except BaseException as exc:  # noqa: BLE001 - whatever an offer does, no answer
                ok, codes = False, [type(exc).__name__]
            took = time.monotonic() - began
            slowest = sorted([*slowest, (took, task.id, where, codes)], reverse=True)[:5]
            tally.update(set(codes))
            if ok:
                passed.append([task.id, where, file])
    out.write_text(json.dumps({
        "passed": passed, "load_errors": errors, "files": len(list(wheel.rglob("*.py"))),
        "classes": len(classes), "functions": len(functions), "tasks": [t.id for t in tasks],
        "attempts": attempts, "slowest": slowest, "codes": tally,
        "seconds": round(time.monotonic() - start, 1)}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:])
