"""Live progress of a grading run: done / total, failures so far, elapsed and estimated time left.

On a terminal a tqdm bar stays at the bottom while one line per finished student scrolls above it;
where stdout is not a terminal (CI, nohup, a log file) there is no bar, and each student's line
carries the count and the estimate itself, so the log alone tells how far the run is.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm

from grader.classroom.status import StudentResult


def eta_seconds(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the average pace so far; None before the first student finished."""
    if done <= 0 or elapsed <= 0:
        return None
    return elapsed / done * max(total - done, 0)


def clock(seconds: float | None) -> str:
    """12:34 or 1:02:03; '?' when unknown."""
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts finished students and shows them; use as a context manager around the run."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream or sys.stdout
        self.start = time.monotonic()
        interactive = self.stream.isatty() and total > 0
        self.bar = tqdm(total=total, unit="notebook", file=self.stream, disable=not interactive,
                        dynamic_ncols=True, smoothing=0.1, desc="autograde")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def finished(self, assignment: str, result: StudentResult) -> str:
        """Count one finished student and show its line; returns the line."""
        self.done += 1
        self.failed += result.outcome != "graded"
        elapsed = time.monotonic() - self.start
        left = clock(eta_seconds(self.done, self.total, elapsed))
        line = (f"  [{self.done}/{self.total}] {assignment} {result.student:<22} "
                f"{result.outcome:<7} {result.seconds:6.1f} s  {result.reason}").rstrip()
        if self.bar.disable:
            line += f"  (elapsed {clock(elapsed)}, ~{left} left, {self.failed} failed)"
        self.bar.set_postfix(failed=self.failed, refresh=False)
        self.bar.write(line, file=self.stream)
        self.bar.update(1)
        return line
