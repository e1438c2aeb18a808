"""The verdict of one check, in the JSON shape the command line promises."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.core.findings import Finding


@dataclass
class Result:
    task: str
    passed: bool
    score: float
    max_score: float
    device: str
    findings: list[Finding] = field(default_factory=list)
    note: str = ""  # what the checked code wrote to stderr or warned, in one line (not in JSON)

    @property
    def codes(self) -> list[str]:
        return [f.code.value for f in self.findings]

    def to_dict(self) -> dict:
        return {
            "task": self.task,
            "passed": self.passed,
            "score": self.score,
            "max_score": self.max_score,
            "device": self.device,
            "findings": [f.to_dict() for f in self.findings],
        }
