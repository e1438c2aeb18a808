"""nbgrader zip_collect plugins for an LMS's bulk download: Canvas and Moodle file names.

    nbgrader zip_collect 04_cross_entropy --force \\
        --extractor=grader.classroom.lmscollect.ArchiveExtractor \\
        --collector=grader.classroom.lmscollect.CanvasCollector \\
        --CanvasCollector.roster=roster.csv

The names each LMS gives a submitted file (sources in the README, "Submissions from an LMS"):

    Canvas  {login or lastfirst}_{late_}{user_id}_{attachment_id}_{original file name}
    Moodle  {Full name}_{participant id}_assignsubmission_file/{original file name}   (folders)
            {Full name}_{participant id}_assignsubmission_file_{original file name}   (flat)

A file is matched to an nbgrader student through the roster (grader.classroom.roster): Canvas by
user id, Moodle by full name. The collector looks at the whole download before answering for
its first file, so that it can decide per student:
  * the newest notebook wins (Canvas: the highest attachment id, Canvas's ids grow with each
    upload; Moodle: the latest modification time stored in the archive), and every older one is
    listed as superseded;
  * every file that names no roster student, or follows neither naming, is listed as unmatched;
    a student's files that are not notebooks are listed as ignored.
The list goes to <downloaded>/<assignment>/collected.json (COLLECTED), with each student's LMS
ids and file-name prefix, which grader.classroom.lmsfeedback reuses to name feedback files.
The winning notebook is stored as the released notebook's name, whatever the student called it.
ArchiveExtractor is nbgrader's extractor, except that it keeps each zip entry's modification time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from nbgrader.plugins.zipcollect import ExtractorPlugin, FileNameCollectorPlugin
from traitlets import Unicode

from grader.classroom.roster import Roster, read

COLLECTED = "collected.json"

# {login or lastfirst}_{late_}{user_id}_{attachment_id}_{original file name}
CANVAS = re.compile(r"^(?P<name>.+?)_(?:(?P<late>late)_)?(?P<user_id>\d+)_(?P<attachment_id>\d+)_"
                    r"(?P<filename>.+)$", re.IGNORECASE)
# {Full name}_{participant id}_assignsubmission_file[_{original file name}]
MOODLE = re.compile(r"^(?P<name>[^_]+)_(?P<participant_id>\d+)_assignsubmission_file"
                    r"(?:_(?P<filename>.*))?$")


@dataclass(frozen=True)
class Upload:
    """One submitted file as its LMS named it.

    path:      relative to the extracted folder
    lms_user:  Canvas user id or Moodle participant id
    name:      Canvas login/lastfirst or Moodle full name
    filename:  the file name the student uploaded
    order:     larger is newer (Canvas attachment id, Moodle modification time)
    prefix:    what the LMS put before the file name: feedback files reuse it
    """

    path: str
    lms_user: str
    name: str
    filename: str
    order: float
    prefix: str
    late: bool = False


def parse_canvas(root: Path, rel: str) -> Upload | None:
    """A Canvas download entry, or None when its name is not Canvas's."""
    m = CANVAS.match(Path(rel).name)
    if not m:
        return None
    prefix = Path(rel).name[: m.start("filename")]
    return Upload(rel, m["user_id"], m["name"], m["filename"], int(m["attachment_id"]), prefix,
                  late=bool(m["late"]))


def parse_moodle(root: Path, rel: str) -> Upload | None:
    """A Moodle download entry (folder or flat form), or None when its name is not Moodle's."""
    parts = Path(rel).parts
    for i, part in enumerate(parts):
        m = MOODLE.match(part)
        if not m:
            continue
        folder = i < len(parts) - 1
        filename = "/".join(parts[i + 1:]) if folder else (m["filename"] or "")
        if not filename:
            return None
        prefix = f"{m['name']}_{m['participant_id']}_assignsubmission_file_"
        return Upload(rel, m["participant_id"], m["name"], filename,
                      os.path.getmtime(root / rel), prefix)
    return None


def match_canvas(roster: Roster, upload: Upload) -> tuple[str | None, str]:
    """(student id, "") or (None, why not) for a Canvas upload."""
    member = roster.by_canvas_user_id(upload.lms_user)
    if member is None:
        return None, f"Canvas user id {upload.lms_user} is not in the roster"
    return member.student_id, ""


def match_moodle(roster: Roster, upload: Upload) -> tuple[str | None, str]:
    """(student id, "") or (None, why not) for a Moodle upload, by full name."""
    members = roster.by_full_name(upload.name)
    if len(members) == 1:
        return members[0].student_id, ""
    if not members:
        return None, f"no roster student is named {upload.name!r}"
    return None, f"{len(members)} roster students are named {upload.name!r}"


def notebook_name(filename: str, released: list[str]) -> str:
    """The released notebook a submitted file stands for: its own name when that is released,
    else the only released notebook (students rename files; LMSs add "-1" or " (1)")."""
    base = Path(filename).name
    if base in released or len(released) != 1:
        return base
    return released[0]


def plan(root: Path, lms: str, roster: Roster, released: list[str]) -> dict:
    """Decide, for every file under the extracted folder `root`, what happens to it.

    Returns the report written to COLLECTED: collected (one notebook per student, the newest),
    superseded (older notebooks, with the newer one named), unmatched (no roster student, or
    neither naming), ignored (a matched student's file that is not a notebook).
    """
    parse, match = (parse_canvas, match_canvas) if lms == "canvas" else (parse_moodle,
                                                                          match_moodle)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    by_student: dict[str, list[Upload]] = {}
    report: dict = {"lms": lms, "collected": [], "superseded": [], "unmatched": [],
                    "ignored": []}
    for rel in files:
        upload = parse(root, rel)
        if upload is None:
            report["unmatched"].append({"file": rel, "reason": f"not named as {lms} names "
                                                               "submissions"})
            continue
        student, why = match(roster, upload)
        if student is None:
            report["unmatched"].append({"file": rel, "reason": why})
        elif not upload.filename.endswith(".ipynb"):
            report["ignored"].append({"file": rel, "student": student,
                                      "reason": "not a notebook"})
        else:
            by_student.setdefault(student, []).append(upload)
    for student, uploads in sorted(by_student.items()):
        newest_first = sorted(uploads, key=lambda u: (u.order, u.path), reverse=True)
        winner = newest_first[0]
        report["collected"].append({"student": student,
                                    "notebook": notebook_name(winner.filename, released),
                                    **asdict(winner)})
        report["superseded"] += [{"file": u.path, "student": student, "newer": winner.path}
                                 for u in newest_first[1:]]
    return report


def collected_path(extracted: Path) -> Path:
    """<downloaded>/<assignment>/collected.json, next to the extracted folder."""
    return extracted.parent / COLLECTED


def load_report(downloaded_assignment: Path) -> dict:
    """The report zip_collect's collector wrote for one assignment's download."""
    return json.loads((downloaded_assignment / COLLECTED).read_text(encoding="utf-8"))


class LmsCollector(FileNameCollectorPlugin):
    """Base of the LMS collectors: plan the whole download once, then answer per file."""

    lms = "lms"
    roster = Unicode("roster.csv", help="roster CSV mapping LMS users to nbgrader student ids "
                                        "(relative to the course root)").tag(config=True)

    def _plan(self) -> dict:
        if getattr(self, "_report", None) is None:
            app = self.parent
            extracted = Path(app._format_collect_path(app.extracted_directory))
            root = Path(app.coursedir.root)
            release = Path(app.coursedir.format_path(app.coursedir.release_directory, ".",
                                                     app.coursedir.assignment_id))
            released = sorted(p.name for p in release.glob("*.ipynb"))
            roster_path = Path(self.roster) if os.path.isabs(self.roster) else root / self.roster
            self._report = plan(extracted, self.lms, read(roster_path), released)
            self._report["assignment"] = app.coursedir.assignment_id
            self._extracted = extracted
            collected_path(extracted).write_text(json.dumps(self._report, indent=1) + "\n",
                                                 encoding="utf-8")
            for entry in self._report["unmatched"]:
                self.log.warning("Unmatched file %s: %s", entry["file"], entry["reason"])
            for entry in self._report["superseded"]:
                self.log.warning("Superseded by a newer upload of %s: %s", entry["student"],
                                 entry["file"])
        return self._report

    def collect(self, submitted_file: str) -> dict | None:
        report = self._plan()
        rel = str(Path(submitted_file).relative_to(self._extracted))
        entry = next((e for e in report["collected"] if e["path"] == rel), None)
        if entry is None:
            return None
        return {"student_id": entry["student"], "file_id": entry["notebook"]}


class CanvasCollector(LmsCollector):
    """Canvas "Download Submissions": {login}_{late_}{user_id}_{attachment_id}_{filename}."""

    lms = "canvas"


class MoodleCollector(LmsCollector):
    """Moodle "Download all submissions": {Full name}_{participant id}_assignsubmission_file."""

    lms = "moodle"


class ArchiveExtractor(ExtractorPlugin):
    """nbgrader's extractor for .zip archives and loose files, keeping modification times
    (Moodle's newest-upload rule reads them): archive.zip -> extracted/archive/..."""

    def extract(self, archive_path: str, extracted_path: str) -> None:
        for item in sorted(Path(archive_path).rglob("*")):
            if not item.is_file():
                continue
            rel = item.relative_to(archive_path)
            if item.suffix == ".zip":
                self._unzip(item, Path(extracted_path) / rel.with_suffix(""))
            else:
                dest = Path(extracted_path) / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(item, dest)

    def _unzip(self, archive: Path, dest: Path) -> None:
        self.log.info("Extracting from: %s", archive)
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                target = (dest / info.filename).resolve()
                if not target.is_relative_to(dest.resolve()):
                    self.log.warning("Skipped entry outside the archive folder: %s",
                                     info.filename)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                stamp = time.mktime((*info.date_time, 0, 0, -1))
                os.utime(target, (stamp, stamp))
