"""The public verdicts of an installed student grader on the mutation suite and the task
fixtures, as JSON.

Run by the kit venv's python (tests/test_kit_answers.py):

    python verdicts.py OUT.json TESTS_DIR [--cases] [FIXTURE.py ...]

Only TESTS_DIR goes on sys.path (for the `mutation` package), never the repository: `grader` is
the installed wheel. With --cases every case of the suite (MUTANTS + EQUIVALENTS), and each
fixture named, gets `run_check(..., device="cpu", strict=False)`,
the check a student runs; its verdict is "passed" or the list of its finding codes. A fixture
is loaded as grader.core.submission loads a .py file (that module is not in the wheel): run as
a module named __submission__; one that raises while loading gets ["LOAD_ERROR: ..."].
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _fixture(path: Path) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__submission__", "__file__": str(path)}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102
    return namespace


def main(out: Path, tests: Path, with_cases: bool, fixtures: list[Path]) -> None:
    sys.path.insert(0, str(tests))
    from mutation.cases import EQUIVALENTS, MUTANTS
    from mutation.run import verdict

    import grader
    from grader.core.catalogue import get_task
    from grader.core.runner import MISSING, run_check

    cases = {}
    for case in MUTANTS + EQUIVALENTS if with_cases else []:
        result = verdict(case, strict=False)
        cases[case.id] = "passed" if result.passed else result.codes
    verdicts = {}
    for path in fixtures:
        task = get_task(f"{path.parent.parent.name}.{path.parent.name}")
        try:
            namespace = _fixture(path)
        except Exception as exc:  # noqa: BLE001 - reported as the fixture's verdict
            verdicts[str(path)] = [f"LOAD_ERROR: {type(exc).__name__}: {exc}"]
            continue
        result = run_check(task, namespace.get(task.name, MISSING), device="cpu", strict=False)
        verdicts[str(path)] = "passed" if result.passed else result.codes
    out.write_text(json.dumps({"grader": grader.__file__, "cases": cases,
                               "fixtures": verdicts}, indent=1))


if __name__ == "__main__":
    rest = sys.argv[3:]
    main(Path(sys.argv[1]), Path(sys.argv[2]), "--cases" in rest,
         [Path(p) for p in rest if p != "--cases"])
