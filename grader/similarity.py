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

from grader.classroom import similarity
from grader.classroom.course import Course
from grader.core import commandline


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("similarity", __doc__)
    commandline.add_assignments(p, required=False)
    p.add_argument("--threshold", type=float, default=similarity.THRESHOLD,
                   help=f"pair score (0..1) at which a pair is flagged "
                        f"(default {similarity.THRESHOLD}, measured: see README)")
    p.add_argument("--students", help="comma-separated student ids (default: all submitted)")
    commandline.add_root(p)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not 0 < args.threshold <= 1:
        p.error("--threshold is a share between 0 and 1")
    course = Course(args.root)
    submitted = course.dir("submitted")
    assignments = commandline.assignments(p, args.assignments) if args.assignments else [
        a for a in course.assignments if any(submitted.glob(f"*/{a}/{a}.ipynb"))]
    students = commandline.ids(args.students)
    for assignment in assignments:
        pairs, out = similarity.run(course, assignment, args.threshold, students)
        flagged = similarity.flagged(pairs, args.threshold)
        report = out / "report.html" if pairs else out / "pairs.csv"
        print(f"{assignment}: {len(pairs)} pair(s) compared, {len(flagged)} flagged "
              f"at {args.threshold:.2f}; report: {report}")
        for pair in flagged:
            print(f"  {pair.score:.2f}  {pair.a} ~ {pair.b}")
    return commandline.DONE


if __name__ == "__main__":
    raise SystemExit(main())
