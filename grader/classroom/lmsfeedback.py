"""One zip of feedback HTML per assignment, named so that the LMS's bulk upload finds each student.

    feedback/<student>/<assignment>/<assignment>.html  ->  <assignment>-<lms>-feedback.zip

Each file is named with the prefix the student's submission had in the LMS download (recorded by
the collector in collected.json, grader.classroom.lmscollect), followed by the file's own name:

    Moodle  {Full name}_{participant id}_assignsubmission_file_{assignment}.html
            ("Upload multiple feedback files in a zip": Moodle splits the name on "_" and
            reads the participant id from the second part)
    Canvas  {login}_{late_}{user_id}_{attachment_id}_{assignment}.html
            ("Re-upload submissions" takes a zip in the download's own naming)

A collected student without a feedback file is listed as missing, not left out silently.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.classroom.course import Course


@dataclass
class FeedbackZip:
    """What went into the archive, and which collected students had no feedback."""

    archive: Path
    written: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def entry_name(prefix: str, html: Path) -> str:
    """The archive name of one feedback file: the student's LMS prefix, then the file name."""
    return prefix + html.name


def build(course: Course, assignment: str, report: dict, out: Path) -> FeedbackZip:
    """Write `out` with every collected student's feedback HTML for `assignment`."""
    result = FeedbackZip(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry in report["collected"]:
            folder = course.dir("feedback") / entry["student"] / assignment
            pages = sorted(folder.glob("*.html")) if folder.is_dir() else []
            if not pages:
                result.missing.append(entry["student"])
            for html in pages:
                name = entry_name(entry["prefix"], html)
                zf.write(html, name)
                result.written.append(name)
    return result
