"""An untouched released notebook that is opened and saved stays byte for byte the same.

When a notebook opens, JupyterLab writes the kernel's `language_info` into its metadata and marks
the notebook as changed unless the two are equal; saving sends the notebook through JavaScript
(where 4.0 becomes 4) to the server's `nbformat.write`. So each released notebook carries what
the kernel reports, the kit's setup sets the one part that depends on the student's machine (the
Python version), and the kit's copy survives that round trip unchanged.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from jupyter_client.manager import start_new_kernel

from grader.classroom import kit as kitlib

RELEASED = sorted((ROOT / "notebooks").glob("*/*.ipynb"))


@pytest.fixture(scope="module")
def kernel_language_info() -> dict:
    """`language_info` as a freshly started python3 kernel reports it (kernel_info_reply)."""
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        return client.kernel_info(reply=True, timeout=60)["content"]["language_info"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_there_are_released_notebooks() -> None:
    assert len(RELEASED) == 5


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
def test_released_language_info_is_the_kernels_but_for_the_python_version(
        path: Path, kernel_language_info: dict) -> None:
    metadata = nbformat.read(path, as_version=4).metadata
    shipped = metadata["language_info"]
    assert {**shipped, "version": None} == {**kernel_language_info, "version": None}
    assert shipped["version"].startswith("3.")
    # what the widget manager saves when `make lab` keeps widget state and no widget is shown
    assert metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"] == {}


def test_kit_setup_sets_the_python_version_and_saving_then_changes_nothing(
        tmp_path: Path, kernel_language_info: dict) -> None:
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    shutil.copy(ROOT / "kit" / "Makefile", tmp_path / "Makefile")
    copied = kitlib.copy_notebooks(ROOT / "notebooks", tmp_path / "notebooks")
    for path in copied:  # as if released with another Python
        nb = nbformat.read(path, as_version=4)
        nb.metadata["language_info"]["version"] = "3.0.0"
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    done = subprocess.run(["make", "-s", "python-version", f"BIN={Path(sys.executable).parent}"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for path in copied:
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        assert nb.metadata["language_info"] == kernel_language_info  # opening changes nothing
        assert nbformat.writes(nb) + "\n" == text                   # nor does saving


def _through_javascript(text: str) -> str:
    """The notebook as JupyterLab sends it back: JSON numbers have no int/float distinction in
    JavaScript, so 4.0 comes back as 4; the server then writes it with nbformat."""
    def number(literal: str) -> float | int:
        value = float(literal)
        return int(value) if value.is_integer() else value

    return nbformat.writes(nbformat.from_dict(json.loads(text, parse_float=number))) + "\n"


@pytest.mark.parametrize("path", RELEASED, ids=lambda p: p.parent.name)
def test_the_kits_copy_is_what_jupyterlab_saves(path: Path) -> None:
    text = kitlib._cleared(path)
    assert nbformat.writes(nbformat.reads(text, as_version=4)) + "\n" == text
    assert _through_javascript(text) == text  # e.g. nbgrader's points written as 4, not 4.0
