"""Packaging and hygiene: one dependency list, ruff clean, notebooks stored without outputs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import pytest
from conftest import ROOT

CONDA_NAMES = {"pytorch": "torch"}  # conda package name -> PyPI name


def _requirement(spec: str) -> tuple[str, str]:
    name = re.match(r"[A-Za-z0-9_.\-]+", spec).group(0)
    return name.lower(), spec[len(name):].replace(" ", "")


def test_environment_yml_lists_the_same_packages_and_pins_as_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_side = dict(_requirement(s) for s in
                    project["dependencies"] + project["optional-dependencies"]["test"])
    conda_side = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"\s*-\s+([A-Za-z][^\s#:]*)\s*$", line)
        if match and not match.group(1).startswith(("python=", "pip")):
            name, pins = _requirement(match.group(1))
            conda_side[CONDA_NAMES.get(name, name)] = pins
    assert conda_side == pip_side


def test_ruff_is_clean_on_code_and_notebooks() -> None:
    ruff = [sys.executable, "-m", "ruff", "check", str(ROOT)]
    done = subprocess.run(ruff, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def _tracked_notebooks() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "*.ipynb"], capture_output=True, text=True,
                            cwd=ROOT)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    return listed.stdout.split()


@pytest.mark.parametrize("path", _tracked_notebooks())
def test_committed_notebooks_have_no_outputs_and_keep_nbgrader_metadata(path: str) -> None:
    nb = json.loads((ROOT / path).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, \
                f"{path}: outputs not stripped (run nbstripout --keep-id)"
    graded = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert graded, f"{path}: no nbgrader graded cells (metadata lost?)"
