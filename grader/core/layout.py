"""The course layout: the one place that names the course's folders and lists its assignments.

nbgrader_config.py sets its CourseDirectory folders and course id from here; the instructor's
commands (through grader.classroom.course), the release, the kit and ready() all ask this module.
It imports only the standard library, so the student kit's wheel carries it too. There, the
notebooks are not beside the package: the kit writes each assignment's exercise numbers
(`exercise_numbers`) into EXERCISES_FILE inside the wheel, and ready() reads them from there.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from grader.core.paths import REPO

# nbgrader's CourseDirectory folders, relative to the course root.
FOLDERS: dict[str, str] = {
    "source": "solutions",  # nbgrader source notebooks (the instructor's, with solutions)
    "release": "notebooks",  # the generated student versions
    "submitted": "submitted",
    "autograded": "autograded",
    "feedback": "feedback",
}
COURSE_ID = "pytorch-basics"

# Every assignment of the course, in course order -> its task module in grader.tasks (which
# exports TASKS). An assignment is a folder of source/ and release/ holding <assignment>.ipynb.
ASSIGNMENTS: dict[str, str] = {
    "01_nn_module": "nn_module",
    "02_datasets_dataloaders": "dataloaders",
    "03_bce_vs_mse": "bce_mse",
    "04_cross_entropy": "cross_entropy",
    "05_mnist_classifier": "mnist",
}

# Exercise numbers of every assignment, as the kit's wheel carries them (absent in the repo).
EXERCISES_FILE = Path(__file__).with_name("exercises.json")
_HEADING = re.compile(r"Exercise (\d+) — `(\w+)`")


def notebook(kind: str, assignment: str, root: Path = REPO) -> Path:
    """<root>/<kind's folder>/<assignment>/<assignment>.ipynb."""
    return root / FOLDERS[kind] / assignment / f"{assignment}.ipynb"


@functools.cache
def exercise_numbers(assignment: str) -> dict[str, int]:
    """{graded name: exercise number} from the headings of the assignment's notebook
    ("### Exercise 2 — `train_one_epoch`"), or from EXERCISES_FILE where the package is
    installed without the notebooks (the student kit)."""
    if EXERCISES_FILE.is_file():
        return json.loads(EXERCISES_FILE.read_text(encoding="utf-8")).get(assignment, {})
    for kind in ("release", "source"):
        try:  # a sandboxed kernel may see solutions/ but not read it
            text = notebook(kind, assignment).read_text(encoding="utf-8")
        except OSError:
            continue
        return {name: int(number) for number, name in _HEADING.findall(text)}
    return {}
