"""The reference solution of every task, read from the source notebooks in solutions/.

A solution cell's `### BEGIN SOLUTION` / `### END SOLUTION` marker lines are dropped, and the
cell is matched to the task whose graded name it defines (`def name` or `class name`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")

# What every notebook imports in its setup cell; the solution cells rely on these names.
PREAMBLE = """\
import math
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
"""


@cache
def solution_cells() -> dict[str, str]:
    """Graded name -> the solution cell's source, markers removed."""
    cells: dict[str, str] = {}
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if not cell.metadata.get("nbgrader", {}).get("solution"):
                continue
            source = "\n".join(line for line in cell.source.splitlines()
                               if line.strip() not in MARKERS)
            for name in re.findall(r"^(?:def|class)\s+(\w+)", source, flags=re.MULTILINE):
                cells[name] = source + "\n"
    return cells


def solution(name: str) -> str:
    """The reference source that defines `name` (KeyError when no solution cell does)."""
    return solution_cells()[name]
