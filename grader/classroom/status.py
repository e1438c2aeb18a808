"""The record of autograde runs: reports/autograde/<assignment>.json, one entry per student.

Each entry says how grading went (graded, failed with a reason, missing, or queued while a run
is under way), with the score nbgrader recorded, the time it took and a fingerprint of what was
graded (the submitted files and the source notebook). The file is rewritten atomically after
every student, so a run killed at any moment leaves a readable record, and the next run knows
whom to grade again: everyone not recorded as graded (or missing) with the same fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from grader.classroom import gradebook_sync
from grader.classroom.course import Course


class Outcome(StrEnum):
    """How grading a student's submission went."""

    GRADED = "graded"
    FAILED = "failed"  # nbgrader could not grade the notebook; the reason says why
    MISSING = "missing"  # nothing was submitted
    UNCHANGED = "unchanged"  # graded by an earlier run, and nothing changed since
    QUEUED = "queued"  # waiting, or left by a run that was killed: graded again next time


@dataclass
class StudentResult:
    """How one student's submission of one assignment went."""

    student: str
    outcome: Outcome  # a plain string is checked against Outcome
    reason: str = ""
    problems: list[str] = field(default_factory=list)  # cells stopped by a limit or sys.exit()
    seconds: float = 0.0
    peak_rss_gib: float = 0.0
    fingerprint: str = ""
    log: str = ""

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.outcome)  # ValueError for an outcome that does not exist


def status_path(course: Course, assignment: str) -> Path:
    return course.root / "reports" / "autograde" / f"{assignment}.json"


def fingerprint(course: Course, assignment: str, student: str) -> str:
    """Hash of the submission's files and of the source notebook (the tests it is graded by)."""
    digest = hashlib.sha256()
    folder = course.dir("submitted") / student / assignment
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in [*files, course.notebook("source", assignment)]:
        digest.update(str(path.relative_to(course.root)).encode())
        digest.update(path.read_bytes() if path.is_file() else b"<none>")
    return digest.hexdigest()


def load_status(course: Course, assignment: str) -> dict[str, dict]:
    """student -> entry of the last run's status file (empty when there is none)."""
    try:
        data = json.loads(status_path(course, assignment).read_text())
        return dict(data["students"])
    except (OSError, ValueError, KeyError):
        return {}


def write_status(course: Course, assignment: str, results: dict[str, StudentResult],
                 extra: dict) -> None:
    """Update the status file atomically (a killed run never leaves half a file).

    Students graded in earlier runs but not in this one keep their entries.
    """
    path = status_path(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    scores = gradebook_sync.scores(course.db_url, assignment)
    students = load_status(course, assignment)
    for name, result in sorted(results.items()):
        entry = asdict(result)
        score = scores.get(name)
        entry.update(score=score[0] if score else None, max_score=score[1] if score else None,
                     needs_manual_grade=score[2] if score else None)
        students[name] = entry
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"assignment": assignment, **extra,
                               "students": dict(sorted(students.items()))}, indent=1))
    os.replace(tmp, path)


def still_valid(course: Course, assignment: str, student: str, previous: dict, fp: str,
                graded: set[str]) -> bool:
    """Whether an earlier result stands: same fingerprint, and its traces are all in place."""
    if previous.get("fingerprint") != fp:
        return False
    if previous.get("outcome") in ("graded", "unchanged"):
        autograded = course.notebook("autograded", assignment, student)
        return student in graded and autograded.is_file()
    return previous.get("outcome") == "missing" and student not in graded


def kept(previous: dict) -> StudentResult:
    """An earlier result carried over unchanged."""
    fields = {k: previous[k] for k in StudentResult.__dataclass_fields__ if k in previous}
    result = StudentResult(**fields)
    if result.outcome == "graded":
        result.outcome = Outcome.UNCHANGED
    return result
