"""Progress of a grading run: counts, failures, the estimate, and plain lines off a terminal."""

from __future__ import annotations

import io

import pytest

from grader.classroom.progress import Progress, clock, eta_seconds
from grader.classroom.status import Outcome, StudentResult


def test_eta_is_the_average_pace_times_what_is_left() -> None:
    assert eta_seconds(0, 10, 5.0) is None
    assert eta_seconds(2, 10, 30.0) == 120.0
    assert eta_seconds(10, 10, 30.0) == 0.0
    assert clock(None) == "?" and clock(75) == "1:15" and clock(3723) == "1:02:03"


def test_plain_lines_carry_the_count_and_the_estimate_when_not_a_terminal() -> None:
    out = io.StringIO()  # not a tty: no bar, nothing but lines
    with Progress(3, stream=out) as progress:
        progress.finished("04", StudentResult("ada", "graded", seconds=2.0))
        progress.finished("04", StudentResult("bob", "failed", seconds=9.0, reason="wall"))
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].lstrip().startswith("[1/3] 04 ada") and "0 failed" in lines[0]
    assert "[2/3]" in lines[1] and "1 failed" in lines[1] and "left" in lines[1]
    assert "\r" not in out.getvalue()  # no bar redraws in a log


def test_an_outcome_that_does_not_exist_is_refused() -> None:
    assert StudentResult("ada", "graded").outcome is Outcome.GRADED
    with pytest.raises(ValueError, match="timeout"):
        StudentResult("bob", "timeout")
