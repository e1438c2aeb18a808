"""The student kit answers nothing, and its public checks say what the instructor's say.

- No class or function the wheel defines passes the instructor's hidden checks of any code task
  (tests/kitprobe/answers.py, run in the kit's venv); a reference planted in a copy of the
  wheel is found by the same search.
- The kit's grader, installed alone, gives every mutant of tests/mutation and every fixture of
  tests/fixtures the public verdict the instructor's grader gives (tests/kitprobe/verdicts.py),
  and passes every equivalent rewrite and every pass_ fixture.

The figures of each run (objects offered, attempts, seconds; agreement counts) are printed:
`pytest -s` shows them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT, venv_with_wheel
from mutation.cases import EQUIVALENTS, MUTANTS
from mutation.run import verdict
from mutation.solutions import PREAMBLE, solution

from grader.core import submission
from grader.core.catalogue import all_tasks, get_task
from grader.core.runner import MISSING, run_check
from grader.data import DATA_DIR, is_ready

PROBES = Path(__file__).resolve().parent / "kitprobe"
TRAINED = "mnist.model"  # grades a trained network, not code
FIXTURE_FILES = sorted(FIXTURES.glob("*/*/*.py"))
CODE_FIXTURES = [p for p in FIXTURE_FILES if f"{p.parent.parent.name}.{p.parent.name}" != TRAINED]
MODEL_FIXTURES = [p for p in FIXTURE_FILES if p not in CODE_FIXTURES]


def _probe(python: Path, script: str, args: list[str], cwd: Path,
           data_dir: Path | None = None) -> dict[str, Any]:
    """Run a probe of tests/kitprobe with `python`, from an empty folder, and read its JSON."""
    out = cwd / f"{script}.json"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd),
           "COURSE_DATA_DIR": str(data_dir or cwd / "data_cache")}
    done = subprocess.run([python, PROBES / script, str(out), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


def _installed_grader(python: Path) -> Path:
    done = subprocess.run([python, "-c", "import grader; print(grader.__file__)"],
                          capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/")
    return Path(done.stdout.strip()).parent


def _answers(python: Path, cwd: Path, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """answers.py on the wheel installed for `python`: what passed, and the run's figures."""
    report = _probe(python, "answers.py", [str(ROOT), str(_installed_grader(python)), *only],
                    cwd)
    print(f"\nanswer search: {report['files']} wheel files, {report['classes']} classes and "
          f"{report['functions']} functions offered to {len(report['tasks'])} tasks, "
          f"{report['attempts']} attempts, {report['seconds']} s; codes: {report['codes']}; "
          f"slowest: {report['slowest']}")
    return report


# --------------------------------------------------------------------------- no answers


def test_no_class_or_function_of_the_wheel_answers_a_task(kit_python, tmp_path) -> None:
    report = _answers(kit_python, tmp_path)
    assert report["load_errors"] == [], "\n".join(report["load_errors"])
    code_tasks = [t for t in all_tasks() if t != TRAINED]
    assert report["tasks"] == code_tasks and len(code_tasks) >= 16  # every code task is tried
    # A timed-out attempt is undecided, and a tampered interpreter fails every later one.
    assert not {"TIMEOUT", "TAMPERING"} & set(report["codes"]), report["codes"]
    assert report["passed"] == [], "these pass the hidden checks:\n" + "\n".join(
        f"{task} <- {name} ({file})" for task, name, file in report["passed"])


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _with_file(wheel: Path, target: Path, name: str, text: str) -> Path:
    """A copy of `wheel` at `target` with one more file, listed in its RECORD."""
    data = text.encode()
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                content += (_record_line(name, data) + "\n").encode()
            zout.writestr(info, content)
        zout.writestr(name, data)
    return target


def test_the_answer_search_finds_a_reference_planted_in_the_wheel(kit, tmp_path) -> None:
    planted = "grader/tasks/planted.py"
    wheel = _with_file(kit.wheel, tmp_path / "wheels" / kit.wheel.name, planted,
                       PREAMBLE + solution("LeNet"))
    with zipfile.ZipFile(wheel) as zf:
        record = next(zf.read(n).decode() for n in zf.namelist() if n.endswith("/RECORD"))
    assert _record_line(planted, (PREAMBLE + solution("LeNet")).encode()) in record
    python = venv_with_wheel(wheel, tmp_path / "venv")
    assert (_installed_grader(python) / "tasks" / "planted.py").is_file()
    report = _answers(python, tmp_path, only=("nn_module.LeNet",))
    assert report["load_errors"] == []
    assert ["nn_module.LeNet", "LeNet", planted] in report["passed"], report["passed"]


# --------------------------------------------------------------------------- same verdicts


def _verdict_codes(passed: bool, codes: list[str]) -> str | list[str]:
    return "passed" if passed else codes


@pytest.fixture(scope="module")
def kit_verdicts(kit_python, tmp_path_factory) -> dict[str, Any]:
    """The kit grader's public verdicts on every case of the mutation suite and every fixture
    of a code task."""
    report = _probe(kit_python, "verdicts.py",
                    [str(ROOT / "tests"), "--cases", *map(str, CODE_FIXTURES)],
                    tmp_path_factory.mktemp("verdicts"))
    assert report["grader"].startswith(str(kit_python.parents[1])), report["grader"]
    return report


def _instructor_fixture_verdict(path: Path) -> str | list[str]:
    task = get_task(f"{path.parent.parent.name}.{path.parent.name}")
    loaded = submission.load(path)
    assert not loaded.cell_errors, loaded.cell_errors
    result = run_check(task, loaded.get(task.name, MISSING), device="cpu", strict=False)
    return _verdict_codes(result.passed, result.codes)


def test_the_kit_gives_each_mutant_the_instructors_public_codes(kit_verdicts) -> None:
    kit_cases = kit_verdicts["cases"]
    instructor = {}
    for case in MUTANTS + EQUIVALENTS:
        result = verdict(case, strict=False)
        instructor[case.id] = _verdict_codes(result.passed, result.codes)
    assert set(kit_cases) == set(instructor)
    other = [f"{c.id}: {instructor[c.id]}" for c in MUTANTS
             if instructor[c.id] == "passed" or c.expected not in instructor[c.id]]
    false_fails = [c.id for c in EQUIVALENTS if instructor[c.id] != "passed"]
    agree = [i for i in instructor if kit_cases[i] == instructor[i]]
    print(f"\nmutation suite, public checks: {len(MUTANTS) - len(other)}/{len(MUTANTS)} mutants "
          f"get their code from the instructor's grader (not: {other}), {len(false_fails)} false "
          f"fails of {len(EQUIVALENTS)} equivalents; the kit agrees on "
          f"{len(agree)}/{len(instructor)} cases")
    failing = [f"{c.id}: {kit_cases[c.id]}" for c in EQUIVALENTS if kit_cases[c.id] != "passed"]
    assert failing == [], "\n".join(failing)
    differ = [f"{i}: kit {kit_cases[i]}, instructor {instructor[i]}" for i in instructor
              if kit_cases[i] != instructor[i]]
    assert differ == [], "\n".join(differ)


def test_the_kit_gives_each_fixture_the_instructors_public_verdict(kit_verdicts) -> None:
    kit_fixtures = kit_verdicts["fixtures"]
    assert set(kit_fixtures) == {str(p) for p in CODE_FIXTURES}
    instructor = {str(p): _instructor_fixture_verdict(p) for p in CODE_FIXTURES}
    agree = [p for p in instructor if kit_fixtures[p] == instructor[p]]
    print(f"\nfixtures, public checks: the kit agrees on {len(agree)}/{len(instructor)}")
    not_passing = [f"{p.relative_to(FIXTURES)}: {kit_fixtures[str(p)]}" for p in CODE_FIXTURES
                   if p.stem.startswith("pass_") and kit_fixtures[str(p)] != "passed"]
    assert not_passing == [], "\n".join(not_passing)
    differ = [f"{Path(p).relative_to(FIXTURES)}: kit {kit_fixtures[p]}, instructor "
              f"{instructor[p]}" for p in instructor if kit_fixtures[p] != instructor[p]]
    assert differ == [], "\n".join(differ)


def test_the_kit_judges_the_trained_model_fixtures_as_the_instructor_does(kit_python,
                                                                           tmp_path) -> None:
    """mnist.model reads the MNIST test split: the kit's grader is pointed at the same data."""
    if not is_ready("MNIST"):
        pytest.skip(f"MNIST is not in {DATA_DIR} (`make data` fills it): the trained-model "
                    "fixtures need its test split")
    report = _probe(kit_python, "verdicts.py", [str(ROOT / "tests"), *map(str, MODEL_FIXTURES)],
                    tmp_path, data_dir=DATA_DIR)
    kit_fixtures = report["fixtures"]
    instructor = {str(p): _instructor_fixture_verdict(p) for p in MODEL_FIXTURES}
    assert len(instructor) >= 5
    agree = [p for p in instructor if kit_fixtures[p] == instructor[p]]
    print(f"\ntrained-model fixtures: the kit agrees on {len(agree)}/{len(instructor)}")
    for path in MODEL_FIXTURES:
        assert kit_fixtures[str(path)] == instructor[str(path)], path.name
        assert (kit_fixtures[str(path)] == "passed") == path.stem.startswith("pass_"), path.name
