"""Generate the student notebooks in notebooks/ from the nbgrader sources in solutions/.

    python -m grader.release            # regenerate notebooks/ (what `make notebooks` runs)
    python -m grader.release --check    # exit 1 if notebooks/ differs from a fresh generation

Uses nbgrader's own `generate_assignment` with a throw-away gradebook, so releasing never touches
the course's gradebook.db.
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.classroom.course import Course, environ
from grader.core.paths import REPO

RELEASE_DIR = Course().dir("release")


def generate(release_dir: Path) -> None:
    """Run nbgrader generate_assignment for every assignment into release_dir."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in Course().assignments:
            cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
                   f"--CourseDirectory.root={REPO}",
                   f"--CourseDirectory.release_directory={release_dir}",
                   f"--CourseDirectory.db_url=sqlite:///{tmp}/gradebook.db",
                   "--log-level=WARN"]
            subprocess.run(cmd, check=True, cwd=REPO, env=environ())


def differences(a: Path, b: Path) -> list[str]:
    """Relative paths of files that differ or exist on one side only."""
    found: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        found.extend(prefix + n for n in cmp.left_only + cmp.right_only + cmp.diff_files)
        for sub, subcmp in cmp.subdirs.items():
            walk(subcmp, f"{prefix}{sub}/")

    walk(filecmp.dircmp(a, b, ignore=["__pycache__", ".ipynb_checkpoints"]), "")
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.release",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if notebooks/ is out of sync with solutions/")
    args = parser.parse_args(argv)
    if not args.check:
        generate(RELEASE_DIR)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        diff = differences(Path(tmp), RELEASE_DIR) if RELEASE_DIR.is_dir() else ["(missing)"]
    for path in diff:
        print(f"out of sync: notebooks/{path}")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
