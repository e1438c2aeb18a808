"""The nbgrader course on disk: its folders and assignments, and how to run nbgrader on it.

Every instructor command (autograde, feedback, analytics, the sample class, release, kit) goes
through this module, so they all agree on where things are. The folder names and the list of
assignments come from grader.core.layout, the single place they are set (nbgrader_config.py
reads them from there too); a Course may point at another root (a copy of the course for a
test, a shard on another machine) and keeps the same layout there.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.core import layout
from grader.core.paths import REPO

BIN = Path(sys.executable).parent  # the venv's bin: nbgrader, jupyter and alembic live here


def environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ with the venv's bin first on PATH: nbgrader shells out to `alembic`."""
    env = dict(os.environ)
    path = env.get("PATH", "")
    if str(BIN) not in path.split(os.pathsep):
        env["PATH"] = os.pathsep.join([str(BIN), path]) if path else str(BIN)
    env.update(extra or {})
    return env


def use_venv_path() -> None:
    """Put the venv's bin on this process's PATH (for nbgrader's Gradebook used in-process)."""
    os.environ["PATH"] = environ()["PATH"]


class CourseError(Exception):
    """The course is not in a state to do what was asked (a missing notebook, a run already
    under way, an unreachable cluster); the message says what, in one line for the instructor."""


@dataclass(frozen=True)
class Course:
    """An nbgrader course directory laid out as grader.core.layout says."""

    root: Path = REPO
    db: Path | None = None  # default: <root>/gradebook.db

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())

    @property
    def db_path(self) -> Path:
        return Path(self.db) if self.db else self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        return "sqlite:///" + str(self.db_path)

    @property
    def course_id(self) -> str:
        return layout.COURSE_ID

    @property
    def assignments(self) -> list[str]:
        """Every assignment of the course, in course order (`all` on the command line)."""
        return list(layout.ASSIGNMENTS)

    def dir(self, kind: str) -> Path:
        """source, release, submitted, autograded or feedback folder of the course."""
        return self.root / layout.FOLDERS[kind]

    def notebook(self, kind: str, assignment: str, student: str | None = None) -> Path:
        """<kind>/[<student>/]<assignment>/<assignment>.ipynb (one notebook per assignment)."""
        if student is None:
            return layout.notebook(kind, assignment, self.root)
        return self.dir(kind) / student / assignment / f"{assignment}.ipynb"

    def nbgrader_args(self, *args: str, db_url: str | None = None) -> list[str]:
        """nbgrader's arguments for this course: ARGS, then the root and gradebook to use."""
        return [*args, f"--CourseDirectory.root={self.root}",
                f"--CourseDirectory.db_url={db_url or self.db_url}"]

    def nbgrader(self, *args: str, db_url: str | None = None) -> list[str]:
        """argv running nbgrader on this course (run it with cwd=REPO so the config is found).

        `python -m nbgrader` rather than the `nbgrader` script: the same program, also where the
        packages were installed outside the interpreter's own bin (pip --target).
        """
        return [sys.executable, "-m", "nbgrader", *self.nbgrader_args(*args, db_url=db_url)]
