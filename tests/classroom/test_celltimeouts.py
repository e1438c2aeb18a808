"""Per-cell time limits: declared budgets, the short default, and the global upper bound."""

from __future__ import annotations

import nbformat

from grader.classroom.celltimeouts import DEFAULT_SECONDS, UPPER_BOUND_SECONDS, cell_timeout


def _cell(**grader_meta: object) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("pass")
    if grader_meta:
        cell.metadata["grader"] = grader_meta
    return cell


def test_plain_cells_get_the_short_default() -> None:
    assert cell_timeout(_cell()) == DEFAULT_SECONDS < UPPER_BOUND_SECONDS


def test_declared_budget_is_used_and_capped() -> None:
    assert cell_timeout(_cell(timeout=120)) == 120
    assert cell_timeout(_cell(timeout=10**6)) == UPPER_BOUND_SECONDS


def test_nonsense_budgets_fall_back_to_the_default() -> None:
    for bad in (0, -5, "600", True, None):
        assert cell_timeout(_cell(timeout=bad)) == DEFAULT_SECONDS


def test_nbgrader_config_installs_the_function() -> None:
    from traitlets.config.loader import PyFileConfigLoader

    from grader.core.paths import REPO

    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    assert config.Execute.timeout == UPPER_BOUND_SECONDS
    assert config.Execute.timeout_func is cell_timeout
