"""A sample class of submissions to try the instructor's workflow on.

    python -m grader.sample_class                          # submitted/<student>/<assignment>/...
    python -m grader.sample_class 04_cross_entropy --students correct,softmax_before_ce

Every submission starts from the released notebook and fills its solution cells; the class,
its planted mistakes and the finding each must produce are data in grader.classroom.sample_class.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from grader.classroom.course import Course
from grader.classroom.sample_class import CLASS, build
from grader.core import commandline


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("sample_class", __doc__)
    commandline.add_assignments(p, required=False)
    p.add_argument("--out", type=Path, help="where to write (default: submitted/)")
    p.add_argument("--students", help=f"comma-separated subset of: {', '.join(CLASS)}")
    p.add_argument("--list", action="store_true", help="print the class as JSON and exit")
    commandline.add_root(p)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    assignments = commandline.assignments(p, args.assignments)
    if args.list:
        print(json.dumps({k: v.about for k, v in CLASS.items()}, indent=1, ensure_ascii=False))
        return commandline.DONE
    students = commandline.ids(args.students)
    unknown = sorted(set(students or []) - set(CLASS))
    if unknown:
        p.error(f"unknown students: {', '.join(unknown)}")
    for folder in build(Course(args.root), args.out, students, assignments):
        print(folder)
    return commandline.DONE


if __name__ == "__main__":
    raise SystemExit(main())
