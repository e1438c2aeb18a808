"""Grade a class too big for one machine: split it into course copies, merge the results back.

    python -m grader.shards prepare 05_mnist_classifier --shards 8 --out /shared/shards
    # on each machine, e.g. one Slurm array task per shard (any scheduler runs this command):
    python -m grader.autograde 05_mnist_classifier --root /shared/shards/shard-03
    python -m grader.shards merge 05_mnist_classifier --from /shared/shards/shard-*

prepare writes K self-contained course copies (grader.classroom.shards), each graded by the
ordinary parallel autograde; merge brings every shard's results back into this course.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.classroom import shards
from grader.classroom.course import Course, CourseError
from grader.classroom.grading import format_table
from grader.core import commandline


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("shards", __doc__)
    sub = p.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="write course copies, one per shard")
    commandline.add_assignments(prep, required=True)
    prep.add_argument("--shards", type=int, required=True, help="how many course copies")
    prep.add_argument("--out", type=Path, required=True, help="where to write them")
    commandline.add_root(prep)
    join = sub.add_parser("merge", help="bring the graded shards back")
    commandline.add_assignments(join, required=True)
    join.add_argument("--from", dest="shard_roots", nargs="+", type=Path, required=True,
                      metavar="DIR", help="the shards' course roots")
    commandline.add_root(join)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    assignments = commandline.assignments(p, args.assignments)
    course = Course(args.root)
    try:
        if args.command == "prepare":
            for root in shards.prepare(course, assignments, args.shards, args.out):
                print(root)
            return commandline.DONE
        merged = shards.merge(course, assignments, args.shard_roots)
    except CourseError as exc:
        return commandline.error(str(exc))
    for assignment, results in merged.items():
        print(format_table(course, assignment, results))
    return commandline.DONE


if __name__ == "__main__":
    raise SystemExit(main())
