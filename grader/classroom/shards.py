"""Shards of a class too big for one machine (`python -m grader.shards`): course copies to grade
apart, and their results merged back.

prepare writes K self-contained course copies: the source and release notebooks, a slice of
submitted/ (students dealt round-robin, in sorted order), and a snapshot of gradebook.db with the
assignments recorded. Each copy is graded by the ordinary parallel autograde, with its own
gradebook and status file, so shards never share a file. merge then brings every shard's
results into this course, serially: the autograded notebooks, the gradebook entries (through
gradebook_sync, as autograde itself merges its workers) and the status entries.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.classroom import gradebook_sync
from grader.classroom.course import Course
from grader.classroom.grading import course_lock, sync_assignment
from grader.classroom.jobs import submitted_students
from grader.classroom.status import StudentResult, load_status, status_path, write_status


def prepare(course: Course, assignments: list[str], shards: int, out: Path) -> list[Path]:
    """Write `shards` course copies under `out`; returns their roots."""
    with course_lock(course):
        for assignment in assignments:
            sync_assignment(course, assignment)
    students = sorted({s for a in assignments for s in submitted_students(course, a)})
    roots = [out / f"shard-{k:02d}" for k in range(shards)]
    for k, root in enumerate(roots):
        shutil.rmtree(root, ignore_errors=True)
        for kind in ("source", "release"):
            shutil.copytree(course.dir(kind), Course(root).dir(kind), symlinks=False)
        for student in students[k::shards]:
            for assignment in assignments:
                folder = course.dir("submitted") / student / assignment
                if folder.is_dir():
                    shutil.copytree(folder, Course(root).dir("submitted") / student / assignment)
        gradebook_sync.snapshot(course.db_path, Course(root).db_path)
        for assignment in assignments:  # the shard need not record the assignment again
            marker = status_path(course, assignment).with_suffix(".source")
            target = status_path(Course(root), assignment).with_suffix(".source")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(marker, target)
    return roots


def merge(course: Course, assignments: list[str], roots: list[Path]) -> dict[str, dict]:
    """Bring the shards' results into this course; returns assignment -> student -> result."""
    merged: dict[str, dict] = {a: {} for a in assignments}
    with course_lock(course), gradebook_sync.opened(course.db_url, course.course_id) as gb:
        for root, assignment in ((r, a) for r in roots for a in assignments):
            shard = Course(root)
            for student, entry in load_status(shard, assignment).items():
                _copy_autograded(shard, course, assignment, student)
                record = gradebook_sync.read_submission(shard.db_url, assignment, student)
                if record is not None:
                    gradebook_sync.write_submission(gb, assignment, student, record)
                fields = {k: entry[k] for k in StudentResult.__dataclass_fields__ if k in entry}
                merged[assignment][student] = StudentResult(**fields)
        for assignment in assignments:
            write_status(course, assignment, merged[assignment], {"merged_from": len(roots)})
    return merged


def _copy_autograded(shard: Course, course: Course, assignment: str, student: str) -> None:
    """Replace this course's autograded notebook folder with the shard's (or remove it)."""
    source = shard.dir("autograded") / student / assignment
    target = course.dir("autograded") / student / assignment
    shutil.rmtree(target, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, target)
