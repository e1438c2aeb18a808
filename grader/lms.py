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
from pathlib import Path

from grader.classroom import lmsroute
from grader.classroom.course import Course
from grader.classroom.roster import RosterError, read
from grader.core import commandline


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("lms", __doc__)
    sub = p.add_subparsers(dest="command", required=True)
    lms_names = sorted(lmsroute.COLLECTORS)

    imp = sub.add_parser("import", help="an LMS download -> submitted/")
    commandline.add_assignments(imp, required=True)
    imp.add_argument("--lms", choices=lms_names, required=True)
    imp.add_argument("--archive", type=Path, required=True,
                     help="the LMS's download (a .zip, or a folder of files)")
    imp.add_argument("--roster", type=Path, help="roster CSV (default: <root>/roster.csv)")
    commandline.add_root(imp)

    exp = sub.add_parser("export", help="gradebook -> the LMS's grade import CSV")
    commandline.add_assignments(exp, required=False)
    exp.add_argument("--lms", choices=lms_names, required=True)
    exp.add_argument("--to", type=Path, help="CSV to write (default: reports/lms/<lms>_grades.csv)")
    exp.add_argument("--missing", choices=["blank", "zero"], default="blank",
                     help="a student who submitted nothing: empty cell (default) or 0")
    exp.add_argument("--canvas-ids", default="",
                     help="Canvas assignment ids, e.g. 04_cross_entropy=5678,05_mnist=5679")
    exp.add_argument("--roster", type=Path, help="roster CSV (default: <root>/roster.csv)")
    commandline.add_root(exp)

    fb = sub.add_parser("feedback", help="feedback/ -> a zip for the LMS's bulk upload")
    commandline.add_assignments(fb, required=False)
    commandline.add_root(fb)
    return p


def _roster_path(p: argparse.ArgumentParser, args: argparse.Namespace) -> Path:
    path = args.roster or args.root / "roster.csv"
    if not path.is_file():
        p.error(f"roster not found: {path}")
    try:
        read(path)
    except RosterError as e:
        p.error(str(e))
    return path


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    course = Course(args.root)
    wanted = commandline.assignments(p, args.assignments) if args.assignments else []
    if args.command == "import":
        if len(wanted) != 1:
            p.error("import takes one assignment (one LMS download)")
        if not args.archive.exists():
            p.error(f"archive not found: {args.archive}")
        return lmsroute.import_download(course, wanted[0], args.lms, args.archive.resolve(),
                                        _roster_path(p, args))
    if args.command == "export":
        try:
            ids = dict(item.split("=", 1) for item in args.canvas_ids.split(",") if item)
        except ValueError:
            p.error("--canvas-ids takes ASSIGNMENT=ID pairs separated by commas")
        to = args.to or course.root / "reports" / "lms" / f"{args.lms}_grades.csv"
        return lmsroute.export_grades(course, wanted, args.lms, to, _roster_path(p, args),
                                      args.missing, ids)
    done = [a for a in (wanted or course.assignments) if lmsroute.imported(course, a)]
    missing = [a for a in wanted if a not in done]
    if missing:
        p.error(f"not imported from an LMS: {', '.join(missing)}")
    return lmsroute.package_feedback(course, done)


if __name__ == "__main__":
    raise SystemExit(main())
