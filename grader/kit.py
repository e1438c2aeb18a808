"""Build the student kit: the released notebooks, the student grader and two commands.

    python -m grader.kit              # dist/student-kit/ and dist/student-kit.zip
    python -m grader.kit --dist DIR   # the same under DIR

What goes in and what stays out: see grader.classroom.kit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.classroom.kit import DIST, KitError, build
from grader.core.paths import REPO


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.kit",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=DIST,
                        help="where to put student-kit/ and student-kit.zip (default: dist/)")
    args = parser.parse_args(argv)
    try:
        kit = build(args.dist.resolve())
    except KitError as exc:
        print(f"student kit not built: {exc}", file=sys.stderr)
        return 1
    print(f"{_shown(kit.folder)}/  ({len(kit.modules)} grader modules in {kit.wheel.name})")
    print(_shown(kit.archive))
    return 0


if __name__ == "__main__":
    sys.exit(main())
