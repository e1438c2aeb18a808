"""The nbgrader course on disk: its folders (from nbgrader_config.py) and how to run nbgrader on it.

Every instructor command (autograde, feedback, analytics, the sample class) goes through this
module, so they all agree on where things are. The folder names are read from the repository's
nbgrader_config.py, the single place they are set; a Course may point at another root (a copy
of the course for a test, a shard on another machine) and keeps the same layout there.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from grader.core.paths import REPO

CONFIG_FILE = REPO / "nbgrader_config.py"
BIN = Path(sys.executable).parent  # the venv's bin: nbgrader, jupyter and alembic live here


@functools.cache
def _course_settings() -> dict[str, str]:
    """The CourseDirectory folder names and course id set in nbgrader_config.py."""
    cfg = PyFileConfigLoader(CONFIG_FILE.name, path=str(REPO)).load_config()
    cd = cfg.CourseDirectory
    return {
        "source": cd.get("source_directory", "source"),
        "release": cd.get("release_directory", "release"),
        "submitted": cd.get("submitted_directory", "submitted"),
        "autograded": cd.get("autograded_directory", "autograded"),
        "feedback": cd.get("feedback_directory", "feedback"),
        "course_id": cd.get("course_id", "default_course"),
    }


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


@dataclass(frozen=True)
class Course:
    """An nbgrader course directory laid out as nbgrader_config.py says."""

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
        return _course_settings()["course_id"]

    def dir(self, kind: str) -> Path:
        """source, release, submitted, autograded or feedback folder of the course."""
        return self.root / _course_settings()[kind]

    def notebook(self, kind: str, assignment: str, student: str | None = None) -> Path:
        """<kind>/[<student>/]<assignment>/<assignment>.ipynb (one notebook per assignment)."""
        base = self.dir(kind) / student if student else self.dir(kind)
        return base / assignment / f"{assignment}.ipynb"

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
