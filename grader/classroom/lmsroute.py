"""The LMS route's three steps, as `python -m grader.lms` runs them: a download into submitted/
through nbgrader's zip_collect, the gradebook out as the LMS's grade CSV, feedback/ out as one
zip for the LMS's bulk feedback upload. Each prints what it did and returns an exit status."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from nbgrader.api import Gradebook

from grader.classroom import lmsfeedback
from grader.classroom.course import REPO, Course, environ, use_venv_path
from grader.classroom.lmscollect import COLLECTED
from grader.classroom.lmsexport import CanvasExporter, MoodleExporter
from grader.core import commandline

COLLECTORS = {"canvas": "grader.classroom.lmscollect.CanvasCollector",
              "moodle": "grader.classroom.lmscollect.MoodleCollector"}
EXTRACTOR = "grader.classroom.lmscollect.ArchiveExtractor"


def imported(course: Course, assignment: str) -> bool:
    """Whether an LMS download of the assignment was imported (its collected list exists)."""
    return (course.root / "downloaded" / assignment / COLLECTED).is_file()


def import_download(course: Course, assignment: str, lms: str, archive: Path,
                    roster: Path) -> int:
    """Run zip_collect on the download; print what was collected, superseded and unmatched."""
    inbox = course.root / "downloaded" / assignment / "archive"
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir(parents=True)
    if archive.is_dir():
        shutil.copytree(archive, inbox, dirs_exist_ok=True)
    else:
        shutil.copy2(archive, inbox / archive.name)
    collector = COLLECTORS[lms]
    cls = collector.rsplit(".", 1)[1]
    proc = subprocess.run(
        course.nbgrader("zip_collect", assignment, "--force", f"--extractor={EXTRACTOR}",
                        f"--collector={collector}", f"--{cls}.roster={roster}"),
        cwd=REPO, env=environ(), capture_output=True, text=True)
    report_path = inbox.parent / COLLECTED
    if proc.returncode != 0 or not report_path.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return commandline.error(f"nbgrader zip_collect failed: {tail[0]}")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    print(f"{assignment}: {len(report['collected'])} student(s) collected from {lms} "
          f"into {course.dir('submitted')}/")
    for e in report["superseded"]:
        print(f"  superseded  {e['file']}  ({e['student']}; newer: {e['newer']})")
    for e in report["unmatched"]:
        print(f"  unmatched   {e['file']}  ({e['reason']})")
    for e in report["ignored"]:
        print(f"  ignored     {e['file']}  ({e['student']}: {e['reason']})")
    print(f"list: {report_path}")
    return 0


def export_grades(course: Course, assignments: list[str], lms: str, to: Path, roster: Path,
                  missing: str, canvas_ids: dict[str, str]) -> int:
    """Write the LMS's grade CSV with the export plugin, as `nbgrader export` would."""
    use_venv_path()
    exporter = (CanvasExporter(assignment_ids=canvas_ids) if lms == "canvas"
                else MoodleExporter())
    exporter.to, exporter.roster, exporter.missing = str(to), str(roster), missing
    exporter.assignment = assignments
    with Gradebook(course.db_url, course_id=course.course_id) as gb:
        exporter.export(gb)
    print(f"{lms} grades: {to}")
    return 0


def package_feedback(course: Course, assignments: list[str]) -> int:
    """One feedback zip per imported assignment; 1 when a collected student has no feedback."""
    status = 0
    for assignment in assignments:
        folder = course.root / "downloaded" / assignment
        report = json.loads((folder / COLLECTED).read_text(encoding="utf-8"))
        out = course.root / "reports" / "lms" / f"{assignment}-{report['lms']}-feedback.zip"
        result = lmsfeedback.build(course, assignment, report, out)
        print(f"{assignment}: {len(result.written)} feedback file(s) in {out}")
        if result.missing:
            print(f"  no feedback for: {', '.join(result.missing)} "
                  "(run python -m grader.feedback first)")
            status = 1
    return status
