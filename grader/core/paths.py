"""Where the course lives: the one repository root every other module derives its paths from."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # grader/: all of it counts as "grader code"
REPO = PACKAGE.parent  # the course root: notebooks/, solutions/, data_cache/, nbgrader_config.py
