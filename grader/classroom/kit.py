"""The student kit: what an instructor hands out, and nothing that holds an answer.

    dist/student-kit/
      README.md    two commands: set up, open the Lab (from kit/README.md)
      Makefile     those two commands (from kit/Makefile)
      lab/         the student Lab's settings: no instructor tools, widget state saved (kit/lab/)
      notebooks/   the released notebooks (notebooks/, nbgrader's release), outputs cleared
      wheels/      the student grader: check(), hint(), grade() and grader.data, as a wheel
    dist/student-kit.zip   the same folder as one archive

The wheel holds exactly the grader modules that `grader` (check, hint, grade), `grader.data` and
the catalogue's task modules reach by import, found by reading their import statements; the build
fails if that reaches the classroom package or a command module. It is built by setuptools, like
the course itself, from a minimal pyproject whose dependencies are the course's own pins of the
packages students need.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.classroom import expectations
from grader.classroom.course import Course
from grader.core import expected, layout
from grader.core.catalogue import TASK_MODULES
from grader.core.paths import PACKAGE, REPO

KIT_TEMPLATES = REPO / "kit"  # the kit's README.md, Makefile and lab/ settings, copied as they are
DIST = REPO / "dist"
KIT_NAME = "student-kit"
WHEEL_PROJECT = "pytorch-basics-grader"
# Entry points of the student grader; the task modules are imported by name (importlib).
STUDENT_ROOTS: tuple[str, ...] = ("grader", "grader.data", *TASK_MODULES)
# The only top-level modules of grader/ a student needs; every other one is a command.
STUDENT_TOP_LEVEL = frozenset({"grader", "grader.data"})
NEVER_SHIPPED = ("grader.classroom", "grader.answers")
# Distributions the notebooks and the student grader import (the versions come from the course's
# pyproject.toml); jupyterlab runs the notebooks.
# nbgrader: its Validate button (the instructor tools and the Assignment List are turned off in
# the kit's Lab); ipywidgets: the explorers in 03 and 04.
STUDENT_REQUIREMENTS = ("torch", "torchvision", "jupyterlab", "nbgrader", "ipython", "ipywidgets",
                        "matplotlib", "tqdm", "mlxtend")


class KitError(Exception):
    """The kit cannot be built as promised (the message says what would have leaked or failed)."""


@dataclass(frozen=True)
class Kit:
    """What one build produced."""

    folder: Path
    archive: Path
    wheel: Path
    modules: tuple[str, ...]  # the grader modules inside the wheel


# --------------------------------------------------------------------------- which modules


def module_file(module: str) -> Path | None:
    """The source file of a grader module (package __init__ or plain module), if it exists."""
    parts = module.split(".")[1:]
    base = PACKAGE.joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imported(path: Path) -> set[str]:
    """The grader modules a file imports anywhere (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from grader.core import runner` imports the module grader.core.runner
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if module_file(f"{node.module}.{alias.name}") is not None)
    return {name for name in found if name == "grader" or name.startswith("grader.")}


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _instructor_only(module: str) -> bool:
    """The classroom package, and every top-level module of grader/ but the student ones."""
    if module.startswith(NEVER_SHIPPED):
        return True
    path = module_file(module)
    is_command = module.count(".") == 1 and path is not None and path.name != "__init__.py"
    return is_command and module not in STUDENT_TOP_LEVEL


def _refuse(module: str, via: dict[str, str]) -> None:
    if _instructor_only(module):
        chain = [module]
        while chain[-1] in via:
            chain.append(via[chain[-1]])
        raise KitError(f"the student grader would ship {module}, an instructor module "
                       f"(imported via {' <- '.join(chain)})")


def student_modules() -> dict[str, Path]:
    """Every grader module check(), hint(), grade() and grader.data can reach, with its file."""
    via: dict[str, str] = {}
    todo, seen = list(STUDENT_ROOTS), {}
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        path = module_file(module)
        if path is None:
            continue  # a name imported from a module, not a module
        _refuse(module, via)
        seen[module] = path
        for name in sorted(_imported(path) | set(_parents(module))):
            via.setdefault(name, module)
            todo.append(name)
    return dict(sorted(seen.items()))


# --------------------------------------------------------------------------- the wheel


def requirements() -> list[str]:
    """The course's own version pins (pyproject.toml) of the packages students need."""
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]

    def name(pin: str) -> str:
        return pin.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0] \
            .split("!")[0].split("~")[0].strip().lower()

    chosen = [pin for pin in pins if name(pin) in STUDENT_REQUIREMENTS]
    missing = set(STUDENT_REQUIREMENTS) - {name(pin) for pin in chosen}
    if missing:
        raise KitError(f"pyproject.toml does not pin {', '.join(sorted(missing))}")
    return chosen


def _pyproject(packages: list[str]) -> str:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = "".join(f'    "{pin}",\n' for pin in requirements())
    return (
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{WHEEL_PROJECT}"\nversion = "{project["version"]}"\n'
        'description = "The grader of the PyTorch basics course as students use it: check() and '
        'hint() in the notebooks, and the dataset preparation."\n'
        f'requires-python = "{project["requires-python"]}"\ndependencies = [\n{deps}]\n\n'
        f"[tool.setuptools]\npackages = {json.dumps(packages)}\n\n"
        f'[tool.setuptools.package-data]\n"grader.core" = ["{layout.EXERCISES_FILE.name}"]\n'
        f'"grader" = ["{expected.RECORDING.name}"]\n'
    )


def build_wheel(modules: dict[str, Path], out: Path, recorded: dict[str, Any]) -> Path:
    """Build the student grader's wheel from exactly `modules` and the `recorded` expectations
    into `out`."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        for path in modules.values():
            target = src / path.relative_to(PACKAGE.parent)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
        expected.save(recorded, src / expected.RECORDING.relative_to(PACKAGE.parent), version)
        # ready() names exercises by number; the wheel has no notebooks to read them from.
        numbers = {a: layout.exercise_numbers(a) for a in layout.ASSIGNMENTS}
        exercises = src / layout.EXERCISES_FILE.relative_to(PACKAGE.parent)
        exercises.write_text(json.dumps(numbers, indent=1) + "\n", encoding="utf-8")
        packages = [m for m, p in modules.items() if p.name == "__init__.py"]
        (src / "pyproject.toml").write_text(_pyproject(packages))
        out.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
               "--no-build-isolation", "--no-index", "--wheel-dir", str(out), str(src)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise KitError(f"building the wheel failed:\n{done.stdout}{done.stderr}")
    wheels = sorted(out.glob(f"{WHEEL_PROJECT.replace('-', '_')}-*.whl"))
    if len(wheels) != 1:
        raise KitError(f"expected one wheel in {out}, found {[w.name for w in wheels]}")
    return wheels[0]


# --------------------------------------------------------------------------- the folder


def _cleared(path: Path) -> str:
    """A released notebook with its outputs and execution counts removed."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def copy_notebooks(release: Path, dest: Path) -> list[Path]:
    """Copy every released notebook (outputs cleared) into dest/<assignment>/."""
    copied = []
    for path in sorted(release.glob("*/*.ipynb")):
        text = _cleared(path)
        if "### BEGIN SOLUTION" in text or "### BEGIN HIDDEN TESTS" in text:
            raise KitError(f"{path} holds nbgrader's solution or hidden-test markers: regenerate "
                           "notebooks/ from solutions/ (python -m grader.release)")
        target = dest / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        copied.append(target)
    if not copied:
        raise KitError(f"no released notebooks in {release}")
    return copied


def _fresh(folder: Path) -> None:
    """Empty the kit folder, refusing to delete a folder that is not an earlier kit."""
    if folder.exists():
        expected = {"README.md", "Makefile", "lab", "notebooks", "wheels", ".venv", "data_cache"}
        unknown = {p.name for p in folder.iterdir()} - expected
        if unknown:
            raise KitError(f"{folder} holds {sorted(unknown)}: not an earlier kit, not deleting")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def build(dist: Path = DIST, course: Course | None = None) -> Kit:
    """Build dist/student-kit/ and dist/student-kit.zip from the course as it is now."""
    modules = student_modules()
    folder = dist / KIT_NAME
    _fresh(folder)
    for name in ("README.md", "Makefile"):
        shutil.copyfile(KIT_TEMPLATES / name, folder / name)
    shutil.copytree(KIT_TEMPLATES / "lab", folder / "lab")
    copy_notebooks((course or Course()).dir("release"), folder / "notebooks")
    try:
        recorded = expectations.record()
    except expectations.RecordingError as exc:
        raise KitError(str(exc)) from exc
    wheel = build_wheel(modules, folder / "wheels", recorded)
    archive = Path(shutil.make_archive(str(dist / KIT_NAME), "zip", root_dir=dist,
                                       base_dir=KIT_NAME))
    return Kit(folder, archive, wheel, tuple(modules))
