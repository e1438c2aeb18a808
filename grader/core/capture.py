"""Keep what student code writes to stderr while it is checked out of the check's own output.

nbgrader gives 0 points to a grade cell with any stderr output, so a correct function that shows
a tqdm bar, prints to sys.stderr or triggers a warning would lose its points. While a check runs,
`captured()` sends sys.stderr to a buffer and records warnings instead of showing them; the
caller may show `Captured.note()` (one short line, meant for stdout) afterwards.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Captured:
    """What the code under check wrote to stderr, and the warnings it raised."""

    stderr: str = ""
    warnings: list[str] = field(default_factory=list)

    def note(self) -> str:
        """'' when nothing was captured, else one short line saying what was kept back."""
        parts = []
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        if lines or self.stderr.strip():
            parts.append(f"wrote {len(lines) or 1} line{'s' if len(lines) > 1 else ''} to stderr")
        if self.warnings:
            first = self.warnings[0].splitlines()[0][:100]
            more = f" (and {len(self.warnings) - 1} more)" if len(self.warnings) > 1 else ""
            parts.append(f"raised the warning {first!r}{more}")
        if not parts:
            return ""
        return f"(note: while being checked, the code {' and '.join(parts)}; not shown here.)"


@contextlib.contextmanager
def captured() -> Iterator[Captured]:
    """Redirect sys.stderr and record warnings while the block runs; both undone on the way out,
    exceptions included."""
    result, buffer = Captured(), io.StringIO()
    # record=True: the warnings the filters let through are recorded instead of printed.
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(buffer):
        try:
            yield result
        finally:
            with contextlib.suppress(Exception):
                buffer.flush()
            result.stderr = buffer.getvalue()
            result.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
