"""The instructor's workflow at class scale: sample class, parallel autograde, feedback, analytics.

End to end on a small sample of the class and one small assignment (04_cross_entropy), in a
course copy under tmp_path: the parallel run must grade as serial `nbgrader autograde` does,
survive hostile notebooks, keep the gradebook consistent, and finish a killed run. The planted
mistakes of every notebook are checked against the grader directly (fast, no kernel).
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.classroom import (
    analytics,
    diagnose,
    feedbackstyle,
    findings_feedback,
    gradebook_sync,
    sample_class,
    shards,
    verdicts,
)
from grader.classroom.course import REPO, Course, environ
from grader.classroom.grading import Settings, run
from grader.classroom.status import load_status, status_path
from grader.core import mathjax
from grader.core.findings import Code, Finding
from grader.core.limits import RunOutcome, descendants
from grader.core.report import GradingFailed

ASSIGNMENT = "04_cross_entropy"
TIMEOUT = 30  # seconds per cell: the endless loop costs this much
MEMORY_GIB = 1.5
CLASS = ["correct", "softmax_before_ce", "unstable_softmax", "unfinished", "edits_test_cell",
         "deletes_test_cell", "infinite_loop", "memory_bomb", "calls_sys_exit", "calls_os_exit",
         "patches_grader", "patches_torch", "corrupt_notebook", "missing_notebook"]
SERIAL = ["correct", "softmax_before_ce", "deletes_test_cell", "calls_os_exit",
          "corrupt_notebook", "missing_notebook"]
RERUN = ["correct", "softmax_before_ce", "unstable_softmax"]

pytestmark = pytest.mark.skipif(not (ROOT / "notebooks" / ASSIGNMENT).is_dir(),
                                reason="notebooks/ not generated")


def make_course(root: Path, students: list[str]) -> Course:
    """A course under `root` sharing the repo's solutions and notebooks, with a sample class."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("solutions", "notebooks"):
        (root / name).symlink_to(ROOT / name)
    course = Course(root)
    sample_class.build(course, students=students, assignments=[ASSIGNMENT])
    return course


def nbgrader(course: Course, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(course.nbgrader(*args), cwd=REPO, env=environ(), capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """The sample class, autograded in parallel (2 workers)."""
    course = make_course(tmp_path_factory.mktemp("course"), CLASS)
    settings = Settings(course, jobs=2, timeout=TIMEOUT, memory_gib=MEMORY_GIB)
    run(settings, [ASSIGNMENT])
    return course


def source_notebook() -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def points_by_cell() -> dict[str, float]:
    """Test cell grade_id -> points, from the source notebook."""
    return {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"]
            for c in source_notebook().cells
            if c.metadata.get("nbgrader", {}).get("grade")}


def cell_scores(course: Course, student: str) -> dict[str, tuple[float | None, bool]]:
    record = gradebook_sync.read_submission(course.db_url, ASSIGNMENT, student)
    assert record is not None, f"{student} has no gradebook entry"
    return {cell: values for (_, cell), values in record.grades.items()}


def expected_codes(student: str) -> dict[str, str]:
    return sample_class.expected_losses(student, source_notebook())


def visible_text(page: str) -> str:
    """What a browser shows of a feedback page: no markup, no CSS, whitespace collapsed."""
    body = page[page.find("<body"):]
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


# ------------------------------------------------------------------ fast: no nbgrader, no kernel

def test_grading_failed_reads_back_as_its_findings() -> None:
    findings = [Finding(Code.SOFTMAX_BEFORE_CE, "rows sum to 1; here [x] is\nand a second line"),
                Finding(Code.TIMEOUT, 'still running; "quoted" grader-findings: []')]
    raised = GradingFailed("❌ f: the hidden checks found 2 problems:", findings)
    error = verdicts.read_error({"output_type": "error", "ename": type(raised).__name__,
                                 "evalue": str(raised)})
    assert error.stop is verdicts.Stop.FINDINGS and error.findings == findings
    timeout = {"output_type": "error", "ename": "CellTimeoutError", "evalue": ""}
    assert verdicts.read_error(timeout).stop is verdicts.Stop.TIMEOUT
    forged = {"output_type": "error", "ename": "AssertionError", "evalue": str(raised)}
    assert verdicts.read_error(forged).stop is verdicts.Stop.ERROR  # only grade() names codes


def test_hidden_tests_are_cut_from_cell_sources() -> None:
    source = 'check("t")\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS\nafter()'
    stripped = findings_feedback.strip_hidden(source)
    assert stripped == f'check("t")\n{findings_feedback.HIDDEN_NOTE}after()'


def test_an_error_is_summed_up_in_one_line_with_the_line_it_stopped_at() -> None:
    output = nbformat.v4.new_output(
        "error", ename="ZeroDivisionError", evalue="\x1b[31mdivision by zero\x1b[0m",
        traceback=["\x1b[0;31mZeroDivisionError\x1b[0m", "\x1b[32mCell In[7], line 2\x1b[0m"])
    error = verdicts.read_error(output)
    assert findings_feedback.error_summary(output, error) == (
        "ZeroDivisionError: division by zero (line 2 of this cell)")
    assert findings_feedback.error_summary(output, error, line_number=False) == (
        "ZeroDivisionError: division by zero")
    timeout = nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=[])
    assert "time limit" in findings_feedback.error_summary(timeout, verdicts.read_error(timeout))


def test_failures_are_named_from_the_nbgrader_log() -> None:
    died = diagnose.failure(RunOutcome(1, 3.0), "nbclient.exceptions.DeadKernelError", 4, 60)
    assert died[0] == "failed" and "kernel died" in died[1]
    memory = diagnose.failure(RunOutcome(1, 3.0, killed="memory", culprit="pid 9"), "", 4, 60)
    assert "more than 4 GiB" in memory[1]
    assert diagnose.failure(RunOutcome(1, 1.0), "No notebooks were matched", 4, 60)[0] == "missing"


def test_sample_class_names_only_cells_that_exist() -> None:
    grade_ids = {c.metadata["nbgrader"]["grade_id"]
                 for path in (ROOT / "solutions").glob("*/*.ipynb")
                 for c in nbformat.read(path, as_version=4).cells if "nbgrader" in c.metadata}
    named = {key for s in sample_class.CLASS.values() for key in [*s.cells, *s.expect]
             if not key.startswith("<<")}
    assert named <= grade_ids


def _planted() -> list[tuple[str, str, str]]:
    """(student, notebook, test grade_id) for every planted mistake with an expected finding."""
    cases = []
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        ids = {sample_class.grade_id(c) for c in nb.cells}
        for name, student in sample_class.CLASS.items():
            cases += [(name, path.stem, test_id) for test_id in student.expect
                      if test_id in ids and test_id[len("test_"):] in student.cells]
    return cases


@pytest.mark.parametrize(("student", "notebook", "test_id"), _planted())
def test_planted_mistake_shows_its_finding(student: str, notebook: str, test_id: str) -> None:
    """Each misconception of the sample class, run through its hidden check directly."""
    from grader.core.catalogue import get_task
    from grader.core.runner import run_check

    nb = nbformat.read(ROOT / "solutions" / notebook / f"{notebook}.ipynb", as_version=4)
    cells = {sample_class.grade_id(c): c.source for c in nb.cells}
    task = get_task(re.search(r'check\("([\w.]+)"\)', cells[test_id]).group(1))
    namespace: dict = {}
    exec(compile(cells["setup"], "setup", "exec"), namespace)  # noqa: S102 - the notebook's own
    exec(sample_class.CLASS[student].cells[test_id[len("test_"):]], namespace)  # noqa: S102
    result = run_check(task, namespace[task.name], strict=True)
    assert sample_class.CLASS[student].expect[test_id] in result.codes, result.findings


# ----------------------------------------------------------------------- end to end, in parallel

def test_correct_student_gets_full_marks(course: Course) -> None:
    points = points_by_cell()
    assert cell_scores(course, "correct") == {cell: (p, False) for cell, p in points.items()}


@pytest.mark.parametrize("student", [s for s in CLASS
                                     if sample_class.CLASS[s].outcome == "graded"])
def test_each_student_loses_exactly_the_planted_cells(course: Course, student: str) -> None:
    expected, points = expected_codes(student), points_by_cell()
    for cell, (score, manual) in cell_scores(course, student).items():
        assert (score, manual) == ((0.0 if cell in expected else points[cell]), False), cell
    assert load_status(course, ASSIGNMENT)[student]["outcome"] == "graded"


def test_hostile_notebooks_are_recorded_with_a_reason(course: Course) -> None:
    status = load_status(course, ASSIGNMENT)
    assert status["calls_os_exit"]["outcome"] == "failed"
    assert "kernel died" in status["calls_os_exit"]["reason"]
    assert status["corrupt_notebook"]["outcome"] == "failed"
    assert "not valid JSON" in status["corrupt_notebook"]["reason"]
    assert status["missing_notebook"]["outcome"] == "missing"
    assert "time limit" in " ".join(status["infinite_loop"]["problems"])
    assert "memory" in " ".join(status["memory_bomb"]["problems"])
    assert "sys.exit()" in " ".join(status["calls_sys_exit"]["problems"])
    for student in ("calls_os_exit", "corrupt_notebook"):  # no grades: flagged for a human
        assert all(manual for _, manual in cell_scores(course, student).values())
    assert gradebook_sync.read_submission(course.db_url, ASSIGNMENT, "missing_notebook") is None


def test_feedback_shows_findings_and_hides_hidden_tests(course: Course) -> None:
    proc = nbgrader(course, "generate_feedback", ASSIGNMENT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for student in ("correct", "softmax_before_ce", "unstable_softmax", "deletes_test_cell",
                    "patches_torch", "infinite_loop"):
        page = course.notebook("feedback", ASSIGNMENT, student).with_suffix(".html").read_text()
        text = visible_text(page)
        assert "Traceback" not in text and "most recent call last" not in page
        assert "HIDDEN TESTS" not in text and "sys.modules" not in text
        assert "from grader import grade" not in text
        assert "libs/mathjax" not in page and f'src="{mathjax.url()}"' in page  # offline LaTeX
        assert "<table>" in page and feedbackstyle.TABLE_CSS.strip() in page  # tables laid out
        found = analytics.cell_findings(course.notebook("autograded", ASSIGNMENT, student))
        for cell, code in expected_codes(student).items():
            assert code in [c for c, _ in found[cell]], (student, cell)
        for code, message in (f for cell_found in found.values() for f in cell_found):
            assert f"{code} {' '.join(message.split())}" in text, (student, code)


def test_parallel_grades_equal_serial_nbgrader(course: Course, tmp_path: Path) -> None:
    reference = make_course(tmp_path / "serial", SERIAL)
    gradebook_sync.record_assignment(reference, ASSIGNMENT)
    nbgrader(reference, "autograde", ASSIGNMENT, f"--Execute.timeout={TIMEOUT}")
    serial = gradebook_sync.dump(reference.db_url, ASSIGNMENT)
    parallel = gradebook_sync.dump(course.db_url, ASSIGNMENT)
    assert sorted(serial) == sorted(s for s in SERIAL if s != "missing_notebook")
    for student in serial:
        assert parallel[student] == serial[student], student


def test_gradebook_is_consistent_and_exports(course: Course) -> None:
    with sqlite3.connect(course.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    out = course.root / "grades.csv"
    proc = nbgrader(course, "export", f"--CsvExportPlugin.to={out}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(out.open())
                if row["assignment"] == ASSIGNMENT}
    scores = gradebook_sync.scores(course.db_url, ASSIGNMENT)
    assert exported == {s: score for s, (score, _, _) in scores.items()}
    assert exported["correct"] == sum(points_by_cell().values())


def _running(pid: int) -> bool:
    """The process exists and has not exited (a zombie has exited; its parent reaps it later)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _described(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f"{pid}: {f.read().replace(chr(0), ' ')[:120]}"
    except OSError:
        return f"{pid}: gone"


def test_killed_run_resumes_to_the_same_grades(course: Course) -> None:
    before = gradebook_sync.dump(course.db_url, ASSIGNMENT)
    argv = [sys.executable, "-m", "grader.autograde", ASSIGNMENT, "--root", str(course.root),
            "--students", ",".join(RERUN), "--force", "--jobs", "2",
            f"--timeout={TIMEOUT}", f"--memory-gib={MEMORY_GIB}"]
    proc = subprocess.Popen(argv, cwd=REPO, env=environ(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        entries = load_status(course, ASSIGNMENT)
        outcomes = [entries.get(s, {}).get("outcome") for s in RERUN]
        if "queued" in outcomes and outcomes.count("queued") < len(RERUN):
            break  # some students merged, others still running: kill it now
        time.sleep(0.2)
    tree = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    alive = [pid for pid in tree if pid != proc.pid]
    for _ in range(300):  # its workers die with it (PDEATHSIG); kernels follow their parent
        alive = [pid for pid in alive if _running(pid)]
        if not alive:
            break
        time.sleep(0.2)
    assert not alive, f"processes of the killed run outlived it: {[_described(p) for p in alive]}"
    left = [s for s, e in load_status(course, ASSIGNMENT).items() if e["outcome"] == "queued"]
    assert left, "the run finished before it could be killed"
    results = run(Settings(course, jobs=2, timeout=TIMEOUT, memory_gib=MEMORY_GIB),
                  [ASSIGNMENT], RERUN)[ASSIGNMENT]
    assert {s for s in RERUN if results[s].outcome == "graded"} == set(left)
    assert gradebook_sync.dump(course.db_url, ASSIGNMENT) == before


def test_analytics_report_counts_the_misconceptions(course: Course) -> None:
    rows = analytics.report(course, [ASSIGNMENT])[ASSIGNMENT]
    by_key = {(r.student, r.cell): r for r in rows}
    assert by_key[("softmax_before_ce", "test_cross_entropy")].codes == ["SOFTMAX_BEFORE_CE"]
    assert by_key[("unstable_softmax", "test_softmax")].codes == ["UNSTABLE_NUMERICS"]
    assert by_key[("correct", "test_softmax")].codes == []
    assert "kernel died" in by_key[("calls_os_exit", "test_softmax")].note
    counts = analytics.students_per_code(rows)
    assert counts["SOFTMAX_BEFORE_CE"] == 1 and counts["TAMPERING"] == 1
    reports = course.root / "reports"
    with open(reports / "grades.csv") as f:
        assert next(csv.reader(f))[:6] == ["student", "assignment", "cell", "score", "max",
                                           "codes"]
    assert (reports / "analytics.png").stat().st_size > 10_000
    assert "SOFTMAX_BEFORE_CE" in (reports / "index.html").read_text()


def test_limits_stop_a_worker_without_help_from_the_kernel(tmp_path: Path) -> None:
    """No RLIMIT_DATA (as on a GPU machine): the parent's watch kills by RSS and by wall time."""
    course = make_course(tmp_path / "limits", ["memory_bomb", "infinite_loop"])
    settings = Settings(course, jobs=2, timeout=120, memory_gib=1.0, wall=25,
                        rlimit_data=False)
    results = run(settings, [ASSIGNMENT])[ASSIGNMENT]
    assert results["memory_bomb"].outcome == "failed"
    assert "more than 1 GiB" in results["memory_bomb"].reason
    assert results["infinite_loop"].outcome == "failed"
    assert "longer than 25 s" in results["infinite_loop"].reason
    for student in ("memory_bomb", "infinite_loop"):
        assert not course.notebook("autograded", ASSIGNMENT, student).exists()
    status = json.loads(status_path(course, ASSIGNMENT).read_text())
    assert status["students"]["memory_bomb"]["needs_manual_grade"] is True


def test_shards_graded_apart_merge_into_the_same_grades(course: Course, tmp_path: Path) -> None:
    """The multi-machine path: prepare course copies, grade each, merge them back."""
    students = ["correct", "corrupt_notebook", "missing_notebook"]
    main = make_course(tmp_path / "main", students)
    roots = shards.prepare(main, [ASSIGNMENT], 2, tmp_path / "shards")
    assert sorted(p.name for root in roots for p in Course(root).dir("submitted").iterdir()) \
        == sorted(students)
    for root in roots:  # what each machine (array task) runs
        run(Settings(Course(root), jobs=2, timeout=TIMEOUT, memory_gib=MEMORY_GIB), [ASSIGNMENT])
    shards.merge(main, [ASSIGNMENT], roots)
    merged = gradebook_sync.dump(main.db_url, ASSIGNMENT)
    graded_here = gradebook_sync.dump(course.db_url, ASSIGNMENT)
    assert merged == {s: graded_here[s] for s in students if s in graded_here}
    assert main.notebook("autograded", ASSIGNMENT, "correct").is_file()
    assert load_status(main, ASSIGNMENT)["missing_notebook"]["outcome"] == "missing"
