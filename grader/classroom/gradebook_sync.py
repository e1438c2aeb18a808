"""Moving autograde results between gradebooks through nbgrader's own Gradebook API.

Parallel autograding gives every worker a private copy of the gradebook; only the parent process
writes the course's gradebook.db, one submission at a time, copying exactly the fields that
`nbgrader autograde` writes (student, submission timestamp, per-cell auto_score and
needs_manual_grade, auto_comment, late penalty). The main gradebook therefore ends up as a
serial `nbgrader autograde` would leave it, and a crash anywhere leaves it consistent: each
merge is one transaction.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from grader.classroom.course import REPO, Course, environ, use_venv_path

CellKey = tuple[str, str]  # (notebook name, cell name)


@dataclass
class SubmissionRecord:
    """What autograde wrote for one (assignment, student), as plain data."""

    timestamp: datetime | None
    late_penalty: dict[str, float | None] = field(default_factory=dict)  # per notebook
    grades: dict[CellKey, tuple[float | None, bool]] = field(default_factory=dict)
    comments: dict[CellKey, str | None] = field(default_factory=dict)


@contextlib.contextmanager
def opened(db_url: str, course_id: str = "default_course") -> Iterator[Gradebook]:
    """A Gradebook whose connections are really closed afterwards (one per worker adds up)."""
    use_venv_path()  # a new gradebook asks the `alembic` command for its schema version
    gb = Gradebook(db_url, course_id)
    try:
        yield gb
    finally:
        gb.close()
        gb.engine.dispose()


def has_assignment(db_url: str, assignment: str) -> bool:
    """Whether generate_assignment has put the assignment (with its notebooks) in the gradebook."""
    with opened(db_url) as gb:
        try:
            return len(gb.find_assignment(assignment).notebooks) > 0
        except MissingEntry:
            return False


def record_assignment(course: Course, assignment: str) -> None:
    """Record the assignment's cells (tests, hidden tests, points) in the course's gradebook.

    autograde restores locked and test cells from the gradebook, so it must hold the current
    source notebook. `nbgrader generate_assignment` records it; here its student version goes to
    a scratch folder, so notebooks/ is left alone. nbgrader refuses (and this raises) when cells
    were added or removed while submissions exist; changed test code is simply updated.
    """
    with tempfile.TemporaryDirectory(prefix="release-") as scratch:
        argv = course.nbgrader("generate_assignment", assignment, "--force",
                               f"--CourseDirectory.release_directory={scratch}")
        proc = subprocess.run(argv, cwd=REPO, env=environ(), capture_output=True, text=True)
    if proc.returncode != 0 or not has_assignment(course.db_url, assignment):
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{proc.stderr}")


def snapshot(db_path: Path, dest: Path) -> None:
    """A consistent copy of a sqlite gradebook (sqlite's backup API, safe while others read)."""
    with contextlib.closing(sqlite3.connect(db_path)) as src, \
            contextlib.closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)


def read_submission(db_url: str, assignment: str, student: str) -> SubmissionRecord | None:
    """The autograde fields of one submission, or None when there is no such submission."""
    with opened(db_url) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        record = SubmissionRecord(timestamp=sub.timestamp)
        for nb in sub.notebooks:
            record.late_penalty[nb.name] = nb.late_submission_penalty
            for g in nb.grades:
                record.grades[(nb.name, g.name)] = (g.auto_score, g.needs_manual_grade)
            for c in nb.comments:
                record.comments[(nb.name, c.name)] = c.auto_comment
        return record


def write_submission(gb: Gradebook, assignment: str, student: str,
                     record: SubmissionRecord, *, grades: bool = True) -> None:
    """Write a record into `gb` as autograde would (grades=False: only student and submission)."""
    gb.update_or_create_student(student)
    extra = {"timestamp": record.timestamp} if record.timestamp else {}
    with warnings.catch_warnings():  # nbgrader's add_submission trips SQLAlchemy's autoflush
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_submission(assignment, student, **extra)
    if not grades:
        return
    for nb_name, penalty in record.late_penalty.items():
        gb.find_submission_notebook(nb_name, assignment, student).late_submission_penalty = penalty
    for (nb_name, cell), (auto_score, needs_manual) in record.grades.items():
        grade = gb.find_grade(cell, nb_name, assignment, student)
        grade.auto_score = auto_score
        grade.needs_manual_grade = needs_manual
    for (nb_name, cell), auto_comment in record.comments.items():
        gb.find_comment(cell, nb_name, assignment, student).auto_comment = auto_comment
    gb.db.commit()  # one transaction for all of this student's cells


def dump(db_url: str, assignment: str) -> dict[str, SubmissionRecord]:
    """Every submission of an assignment, by student (for comparing two gradebooks)."""
    with opened(db_url) as gb:
        try:
            students = [s.student.id for s in gb.find_assignment(assignment).submissions]
        except MissingEntry:
            return {}
    return {s: rec for s in sorted(students)
            if (rec := read_submission(db_url, assignment, s)) is not None}


def scores(db_url: str, assignment: str) -> dict[str, tuple[float, float, bool]]:
    """student -> (score, max score, needs manual grade) of an assignment, as nbgrader counts."""
    with opened(db_url) as gb:
        try:
            subs = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return {}
        return {s.student.id: (s.score, s.max_score, s.needs_manual_grade) for s in subs}
