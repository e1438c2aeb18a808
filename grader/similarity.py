"""Pairs of students whose solution cells are alike, ranked, with the matching code side by side.

    python -m grader.similarity 04_cross_entropy             # or several, or `all` (default)
    python -m grader.similarity 04_cross_entropy --threshold 0.7

Compares the answer cells of every pair of students in submitted/ with copydetect (winnowing;
renamed variables and moved cells do not hide a copy), leaving out the released notebook's
starter code (grader.classroom.similarity). Writes, per assignment, reports/similarity/
<assignment>/report.html (copydetect's page: flagged pairs, code side by side), pairs.csv (every
pair ranked) and flagged.json. Exit 0 whether or not pairs are flagged: a flagged pair is for a
person to read, not a verdict.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.classroom import similarity
from grader.classroom.course import REPO, Course
from grader.classroom.grading import all_assignments


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m grader.similarity", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="assignment id(s), or `all` (default: every assignment submitted)")
    p.add_argument("--threshold", type=float, default=similarity.THRESHOLD,
                   help=f"pair score (0..1) at which a pair is flagged "
                        f"(default {similarity.THRESHOLD}, measured: see README)")
    p.add_argument("--students", help="comma-separated student ids (default: all submitted)")
    p.add_argument("--root", type=Path, default=REPO, help="course root (default: this repo)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not 0 < args.threshold <= 1:
        parser.error("--threshold is a share between 0 and 1")
    course = Course(args.root)
    known = all_assignments(course)
    wanted = [] if args.assignments in ([], ["all"]) else args.assignments
    unknown = [a for a in wanted if a not in known]
    if unknown:
        parser.error(f"unknown assignment: {', '.join(unknown)}")
    submitted = course.dir("submitted")
    assignments = wanted or [a for a in known if any(submitted.glob(f"*/{a}/{a}.ipynb"))]
    students = args.students.split(",") if args.students else None
    for assignment in assignments:
        pairs, out = similarity.run(course, assignment, args.threshold, students)
        flagged = similarity.flagged(pairs, args.threshold)
        report = out / "report.html" if pairs else out / "pairs.csv"
        print(f"{assignment}: {len(pairs)} pair(s) compared, {len(flagged)} flagged "
              f"at {args.threshold:.2f}; report: {report}")
        for p in flagged:
            print(f"  {p.score:.2f}  {p.a} ~ {p.b}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
