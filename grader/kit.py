"""Build the student kit: the released notebooks, the student grader and two commands.

    python -m grader.kit              # dist/student-kit/ and dist/student-kit.zip
    python -m grader.kit --dist DIR   # the same under DIR

What goes in and what stays out: see grader.classroom.kit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.classroom.course import Course
from grader.classroom.kit import DIST, KitError, build
from grader.core import commandline
from grader.core.paths import REPO


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("kit", __doc__)
    p.add_argument("--dist", type=Path, default=DIST,
                   help="where to put student-kit/ and student-kit.zip (default: dist/)")
    commandline.add_root(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        kit = build(args.dist.resolve(), Course(args.root))
    except KitError as exc:
        return commandline.error(f"student kit not built: {exc}")
    print(f"{_shown(kit.folder)}/  ({len(kit.modules)} grader modules in {kit.wheel.name})")
    print(_shown(kit.archive))
    return commandline.DONE


if __name__ == "__main__":
    sys.exit(main())
