"""Shared pytest setup: the repo root, the fixture submissions, and the student kit (built once
per session: tests/test_kit.py and tests/test_kit_answers.py both read it)."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def kit(tmp_path_factory):
    """The kit as `python -m grader.kit` builds it."""
    from grader.classroom import kit as kitlib

    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "grader.kit", "--dist", str(dist)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = dist / kitlib.KIT_NAME
    (wheel,) = (folder / "wheels").glob("*.whl")
    return kitlib.Kit(folder, dist / f"{kitlib.KIT_NAME}.zip", wheel,
                      tuple(kitlib.student_modules()))


def venv_with_wheel(wheel: Path, env: Path) -> Path:
    """The python of a fresh venv at `env` with `wheel` installed; torch & co. seen through a
    .pth file.

    The .pth adds this environment's site-packages as a plain path, so its .pth files (among
    them the editable install of the course's own grader) are not processed: `grader` can only
    come from the wheel.
    """
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                              "'purelib'))"], capture_output=True, text=True, check=True)
    Path(purelib.stdout.strip(), "course_deps.pth").write_text(sysconfig.get_path("purelib"))
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "--quiet", "--no-deps", "--no-index", str(wheel)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return python


@pytest.fixture(scope="session")
def kit_python(kit, tmp_path_factory) -> Path:
    """A fresh venv with the kit's wheel installed (venv_with_wheel)."""
    return venv_with_wheel(kit.wheel, tmp_path_factory.mktemp("kitvenv"))
