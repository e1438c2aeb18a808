"""Read finding codes and messages back from a graded notebook's outputs.

grade() raises GradingFailed("[CODE] message; [CODE] message") and prints its verdict,
"❌ Name: the hidden checks found N problems:" then "  • CODE: message" lines
(grader/__init__.py and grader/report.py). Only names of the Code enum count as codes, so text
in brackets inside a message is never mistaken for one.
"""

from __future__ import annotations

import re

from grader.core.findings import Code

_CODES = "|".join(sorted((c.value for c in Code), key=len, reverse=True))
_RAISED = re.compile(rf"(?:^|; )\[({_CODES})\] ")
# The verdict block grade() prints: its header line, then lines indented under it.
_HIDDEN_BLOCK = re.compile(r"^❌ [^\n]*\bhidden checks\b[^\n]*:\n(?:[ \t]+[^\n]*\n?)*",
                           re.MULTILINE)

GRADING_FAILED = "GradingFailed"


def raised_findings(evalue: str) -> list[tuple[str, str]]:
    """(code, message) pairs from the message of a GradingFailed exception."""
    parts = _RAISED.split(evalue)
    # split gives ["", code1, message1, code2, message2, ...] when the text starts with a code
    return [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


def without_hidden_verdict(text: str) -> str:
    """Printed output minus the failure block grade() printed (feedback lists it instead)."""
    return _HIDDEN_BLOCK.sub("", text)
