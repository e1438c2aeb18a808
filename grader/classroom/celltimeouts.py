"""Time limits sized per cell while autograding: each cell gets the budget its notebook declares
(cell metadata `grader.timeout`, seconds), every other cell a short default, and nothing more
than nbgrader's global per-cell timeout, which stays the upper bound.

nbgrader's Execute preprocessor is an nbclient NotebookClient, whose `timeout_func(cell)` returns
the seconds to wait for a cell; nbgrader_config.py sets it to `cell_timeout` below. A cell that
hits its limit is interrupted as before (KeyboardInterrupt in that cell), so an endless loop in a
definition cell costs seconds, while the training cell keeps the minutes it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_SECONDS = 30  # a definition, check or demo cell: well under a second normally
UPPER_BOUND_SECONDS = 300  # nbgrader's Execute.timeout in nbgrader_config.py


def declared_seconds(cell: Mapping[str, Any]) -> int | None:
    """The budget the notebook declares for this cell, if any (a positive number of seconds)."""
    grader_meta = cell.get("metadata", {}).get("grader", {})
    value = grader_meta.get("timeout") if isinstance(grader_meta, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return int(value)


def cell_timeout(cell: Mapping[str, Any], default: int = DEFAULT_SECONDS,
                 upper: int = UPPER_BOUND_SECONDS) -> int:
    """Seconds this cell may run: its declared budget or the default, never above `upper`
    (a student who edits the metadata gains nothing over the global limit)."""
    return min(declared_seconds(cell) or default, upper)
