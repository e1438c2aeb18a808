"""Hand-in through an LMS: its bulk download in, grades and feedback out (Canvas or Moodle).

    python -m grader.lms import 04_cross_entropy --lms canvas --archive submissions.zip
    python -m grader.lms export --lms canvas --canvas-ids 04_cross_entropy=5678   # or ASSIGNMENT...
    python -m grader.lms feedback 04_cross_entropy

import    copies the archive to downloaded/<assignment>/archive/ and runs `nbgrader zip_collect`
          with the LMS's collector (grader.classroom.lmscollect): submitted/<student>/<assignment>/,
          the newest upload per student, and a list of superseded and unmatched files
          (downloaded/<assignment>/collected.json)
export    the gradebook as the LMS's import CSV (grader.classroom.lmsexport; also usable as
          `nbgrader export --exporter=grader.classroom.lmsexport.CanvasExporter`)
feedback  feedback/ as one zip per assignment, named for the LMS's bulk feedback upload
          (grader.classroom.lmsfeedback); run `python -m grader.feedback` first

roster.csv maps LMS users to nbgrader student ids (format: grader/classroom/roster.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook

from grader.classroom import lmsfeedback
from grader.classroom.course import REPO, Course, environ, use_venv_path
from grader.classroom.grading import all_assignments
from grader.classroom.lmscollect import COLLECTED
from grader.classroom.lmsexport import CanvasExporter, MoodleExporter
from grader.classroom.roster import RosterError, read

COLLECTORS = {"canvas": "grader.classroom.lmscollect.CanvasCollector",
              "moodle": "grader.classroom.lmscollect.MoodleCollector"}
EXTRACTOR = "grader.classroom.lmscollect.ArchiveExtractor"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m grader.lms", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def common(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--root", type=Path, default=REPO,
                         help="course root (default: this repo)")
        cmd.add_argument("--roster", type=Path,
                         help="roster CSV (default: <root>/roster.csv)")

    imp = sub.add_parser("import", help="an LMS download -> submitted/")
    imp.add_argument("assignments", nargs=1, metavar="ASSIGNMENT")
    imp.add_argument("--lms", choices=sorted(COLLECTORS), required=True)
    imp.add_argument("--archive", type=Path, required=True,
                     help="the LMS's download (a .zip, or a folder of files)")
    common(imp)

    exp = sub.add_parser("export", help="gradebook -> the LMS's grade import CSV")
    exp.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                     help="assignments (default: all)")
    exp.add_argument("--lms", choices=sorted(COLLECTORS), required=True)
    exp.add_argument("--to", type=Path, help="CSV to write (default: reports/lms/<lms>_grades.csv)")
    exp.add_argument("--missing", choices=["blank", "zero"], default="blank",
                     help="a student who submitted nothing: empty cell (default) or 0")
    exp.add_argument("--canvas-ids", default="",
                     help="Canvas assignment ids, e.g. 04_cross_entropy=5678,05_mnist=5679")
    common(exp)

    fb = sub.add_parser("feedback", help="feedback/ -> a zip for the LMS's bulk upload")
    fb.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                    help="assignments (default: all imported)")
    fb.add_argument("--root", type=Path, default=REPO, help="course root (default: this repo)")
    return p


def _roster_path(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Path:
    path = (args.roster or args.root / "roster.csv").resolve()
    if not path.is_file():
        parser.error(f"roster not found: {path}")
    try:
        read(path)
    except RosterError as e:
        parser.error(str(e))
    return path


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
        print(f"error: nbgrader zip_collect failed: {tail[0]}", file=sys.stderr)
        return 1
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


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    course = Course(args.root)
    known = all_assignments(course)
    wanted = [] if args.assignments == ["all"] else args.assignments
    unknown = [a for a in wanted if a not in known]
    if unknown:
        parser.error(f"unknown assignment: {', '.join(unknown)}")
    if args.command == "import":
        if not args.archive.exists():
            parser.error(f"archive not found: {args.archive}")
        return import_download(course, wanted[0], args.lms, args.archive.resolve(),
                               _roster_path(parser, args))
    if args.command == "export":
        try:
            ids = dict(item.split("=", 1) for item in args.canvas_ids.split(",") if item)
        except ValueError:
            parser.error("--canvas-ids takes ASSIGNMENT=ID pairs separated by commas")
        to = args.to or course.root / "reports" / "lms" / f"{args.lms}_grades.csv"
        return export_grades(course, wanted, args.lms, to, _roster_path(parser, args),
                             args.missing, ids)
    imported = [a for a in (wanted or known)
                if (course.root / "downloaded" / a / COLLECTED).is_file()]
    missing = [a for a in wanted if a not in imported]
    if missing:
        parser.error(f"not imported from an LMS: {', '.join(missing)}")
    return package_feedback(course, imported)


if __name__ == "__main__":
    raise SystemExit(main())
