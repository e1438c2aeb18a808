"""Generate the student notebooks (notebooks/) from the nbgrader sources (solutions/).

    python -m grader.release            # regenerate notebooks/ (what `make notebooks` runs)
    python -m grader.release --check    # exit 1 if notebooks/ differs from a fresh generation

The release never touches the course's gradebook.db (grader.classroom.release).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from grader.classroom.course import Course
from grader.classroom.release import differences, generate
from grader.core import commandline


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("release", __doc__)
    p.add_argument("--check", action="store_true",
                   help="do not write; exit 1 if notebooks/ is out of sync with solutions/")
    commandline.add_root(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    course = Course(args.root)
    release = course.dir("release")
    if not args.check:
        generate(course, release)
        return commandline.DONE
    with tempfile.TemporaryDirectory() as tmp:
        generate(course, Path(tmp))
        diff = differences(Path(tmp), release) if release.is_dir() else ["(missing)"]
    for path in diff:
        print(f"out of sync: {release.name}/{path}")
    return commandline.FAILED if diff else commandline.DONE


if __name__ == "__main__":
    sys.exit(main())
