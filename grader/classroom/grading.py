"""The grading run behind `python -m grader.autograde`: plan who needs grading, record the
assignments, hand the jobs to a runner and save the status as each result is merged.

The runner is the local pool (grader.classroom.pool) or a Dask cluster
(grader.classroom.cluster); both merge each finished run into gradebook.db through
grader.classroom.results, the parent alone writing it, one transaction a student."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from grader.classroom import gradebook_sync, sandbox
from grader.classroom.course import Course, CourseError, use_venv_path
from grader.classroom.jobs import Job, Results, Settings, submitted_students
from grader.classroom.status import (
    StudentResult,
    fingerprint,
    kept,
    load_status,
    status_path,
    still_valid,
    write_status,
)


def sync_assignment(course: Course, assignment: str) -> None:
    """Put the current source notebook in the gradebook when it is missing or has changed."""
    source = course.notebook("source", assignment)
    if not source.is_file():
        raise CourseError(f"no source notebook {source}")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    marker = status_path(course, assignment).with_suffix(".source")
    recorded = marker.read_text().strip() if marker.is_file() else ""
    if recorded != digest or not gradebook_sync.has_assignment(course.db_url, assignment):
        gradebook_sync.record_assignment(course, assignment)
        marker.write_text(digest + "\n")


@contextlib.contextmanager
def course_lock(course: Course) -> Iterator[None]:
    """One autograde run per course at a time (two would both write gradebook.db)."""
    lock_path = course.root / "reports" / "autograde" / ".lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CourseError("another grader.autograde run is using this course") from None
        yield


def _plan(settings: Settings, assignment: str, students: list[str] | None,
          scratch: Path) -> tuple[list[Job], dict[str, StudentResult]]:
    """Jobs for the students to grade, and the earlier results that still stand."""
    course = settings.course
    previous = load_status(course, assignment)
    graded = set(gradebook_sync.scores(course.db_url, assignment))
    logs = status_path(course, assignment).parent / assignment
    logs.mkdir(parents=True, exist_ok=True)
    jobs, results = [], {}
    for student in students or submitted_students(course, assignment):
        fp = fingerprint(course, assignment, student)
        earlier = previous.get(student, {})
        if not settings.force and still_valid(course, assignment, student, earlier, fp, graded):
            results[student] = kept(earlier)
            continue
        jobs.append(Job(assignment, student, logs / f"{student}.log",
                        scratch / f"{assignment}--{student}.db", fp))
        results[student] = StudentResult(student, "queued")  # until merged: regrade if killed
    return jobs, results


def run(settings: Settings, assignments: list[str],
        students: list[str] | None = None) -> Results:
    """Autograde `students` (default: all who submitted) of each assignment; all in one pool."""
    use_venv_path()
    course, start = settings.course, time.monotonic()
    results: Results = {}

    def save(assignment: str) -> None:
        write_status(course, assignment, results[assignment],
                     {"jobs": settings.jobs, "wall_seconds": round(time.monotonic() - start, 1),
                      "sandbox": sandbox.describe(settings.sandbox)})

    # Private gradebooks go where every grading process can reach them: on a cluster, the
    # course directory (a shared filesystem); locally, the system's temporary directory.
    scratch = course.root / "reports" / "autograde" if settings.dask else None
    if settings.dask:
        from grader.classroom.cluster import run_on_cluster as runner  # imports distributed
    else:
        from grader.classroom.pool import run_pool as runner
    with (sandbox.required(settings.sandbox),  # refuses when it cannot be had
          course_lock(course),
          tempfile.TemporaryDirectory(prefix="autograde-", dir=scratch) as tmp):
        jobs: list[Job] = []
        for assignment in assignments:
            sync_assignment(course, assignment)
            todo, results[assignment] = _plan(settings, assignment, students, Path(tmp))
            jobs.extend(todo)
            save(assignment)
        template = Path(tmp) / "template.db"
        gradebook_sync.snapshot(course.db_path, template)
        try:
            runner(settings, jobs, results, template, save)
        finally:
            for assignment in assignments:
                save(assignment)
    return results


def format_table(course: Course, assignment: str, results: dict[str, StudentResult],
                 jobs: int | None = None) -> str:
    """The grade table of one assignment, then its timing summary."""
    scores = gradebook_sync.scores(course.db_url, assignment)
    lines = [f"{assignment}", f"{'student':<24} {'result':<9} {'score':>13} {'time':>7}  note",
             "-" * 100]
    for name, r in sorted(results.items()):
        got = scores.get(name)
        score = f"{got[0]:g} / {got[1]:g}" + ("*" if got[2] else " ") if got else "-"
        note = r.reason or "; ".join(r.problems)
        lines.append(f"{name:<24} {r.outcome:<9} {score:>13} {r.seconds:6.1f}s  {note}")
    ran = [r.seconds for r in results.values() if r.outcome not in ("unchanged", "queued")]
    if ran:
        at_once = f", {jobs} at a time" if jobs else ""
        lines.append(f"{len(ran)} notebook(s) graded{at_once}: "
                     f"{sum(ran) / len(ran):.1f} s per notebook on average "
                     f"(min {min(ran):.1f}, max {max(ran):.1f}), {sum(ran):.1f} s in all")
    lines.append("* no automatic score recorded: needs manual grading in nbgrader")
    return "\n".join(lines)
