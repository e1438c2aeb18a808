"""The release: the student notebooks generated from the nbgrader sources, for `python -m
grader.release`. It uses nbgrader's own `generate_assignment` with a throw-away gradebook, so
releasing never touches the course's gradebook.db.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.classroom.course import REPO, Course, environ


def generate(course: Course, release_dir: Path) -> None:
    """Run nbgrader generate_assignment for every assignment of the course into release_dir."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in course.assignments:
            cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
                   f"--CourseDirectory.root={course.root}",
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
