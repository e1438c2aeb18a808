"""Which pairs of students handed in alike code: copydetect's winnowing over the solution cells.

For every student in submitted/, the cells the student answers (nbgrader solution cells, by
grade_id) are written to one file; the released notebook's version of the same cells (the
starter code: signatures, docstrings, `raise NotImplementedError()`) is the boilerplate that
copydetect leaves out. copydetect tokenises each file (names become V, F, O), fingerprints it
(k-grams of NOISE characters of tokens, winnowed with a window of 1) and reports, for each
pair, the share of each file's tokens that the other file also has. Renaming variables changes
no token; reordering cells changes no fingerprint.

A pair's score is the mean of its two shares; a pair is flagged at or above THRESHOLD, measured
on the sample class plus planted copies (bench/similarity_threshold.py; README, "Similarity").
The report (reports/similarity/<assignment>/) is copydetect's HTML page, which shows each flagged
pair's matching code side by side, plus pairs.csv ranking every pair.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.classroom.course import Course

THRESHOLD = 0.80  # mean share of matching tokens at which a pair is flagged
NOISE = 25  # copydetect noise threshold: shortest match (filtered characters) that counts
# copydetect's guarantee threshold, equal to NOISE: a winnowing window of 1, every k-gram kept.
# copydetect hashes k-grams with Python's hash(), salted afresh in every process, so a wider
# window would pick different fingerprints, and give different scores, on every run.
GUARANTEE = NOISE


@dataclass(frozen=True)
class Pair:
    """Two students and how much of each one's code the other shares (0..1)."""

    a: str
    b: str
    share_a: float
    share_b: float

    @property
    def score(self) -> float:
        return (self.share_a + self.share_b) / 2


def solution_ids(source: Path) -> list[str]:
    """grade_ids of the cells a student answers, in notebook order."""
    nb = nbformat.read(source, as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")]


def answer_cells(notebook: Path, ids: list[str]) -> dict[str, str]:
    """grade_id -> source of each answered cell, in the notebook's order (a cell the student
    deleted is absent; an unreadable notebook has none)."""
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception:  # noqa: BLE001 - corrupt JSON, wrong format: nothing to compare
        return {}
    cells = {}
    for c in nb.cells:
        gid = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in ids and c.cell_type == "code":
            cells[gid] = c.source
    return cells


def code_file(cells: dict[str, str]) -> str:
    """The answered cells as one file, in the student's own cell order."""
    return "\n\n".join(cells.values()) + "\n"


def write_inputs(course: Course, assignment: str, out: Path,
                 students: list[str] | None = None) -> tuple[Path, Path, list[str]]:
    """out/code/<student>.py for each student with a notebook, out/starter/<assignment>.py from
    the released notebook; returns (code dir, starter dir, students written)."""
    ids = solution_ids(course.notebook("source", assignment))
    code, starter = out / "code", out / "starter"
    for folder in (code, starter):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.py"):
            old.unlink()
    release = answer_cells(course.notebook("release", assignment), ids)
    (starter / f"{assignment}.py").write_text(code_file(release), encoding="utf-8")
    written = []
    names = students or sorted(p.name for p in course.dir("submitted").iterdir() if p.is_dir())
    for student in names:
        notebook = course.notebook("submitted", assignment, student)
        cells = answer_cells(notebook, ids) if notebook.is_file() else {}
        if cells:
            (code / f"{student}.py").write_text(code_file(cells), encoding="utf-8")
            written.append(student)
    return code, starter, written


def compare(code: Path, starter: Path, report: Path | None = None,
            threshold: float = THRESHOLD) -> list[Pair]:
    """Every pair of files in `code`, best first; writes copydetect's HTML to `report`."""
    from copydetect import CopyDetector  # imports matplotlib: only when comparing

    detector = CopyDetector(test_dirs=[str(code)], ref_dirs=[str(code)],
                            boilerplate_dirs=[str(starter)], extensions=["py"],
                            noise_t=NOISE, guarantee_t=GUARANTEE, display_t=threshold,
                            autoopen=False, silent=True, force_language="python",
                            out_file=str(report or code.parent / "report.html"))
    detector.run()
    files = detector.test_files
    pairs = []
    for i, fa in enumerate(files):
        for j in range(i + 1, len(files)):
            share_a, share_b = detector.similarity_matrix[i, j]
            pairs.append(Pair(Path(fa).stem, Path(files[j]).stem, max(float(share_a), 0.0),
                              max(float(share_b), 0.0)))
    if report is not None and len(files) > 1:
        detector.generate_html_report()
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def flagged(pairs: list[Pair], threshold: float = THRESHOLD) -> list[Pair]:
    return [p for p in pairs if p.score >= threshold]


def write_table(pairs: list[Pair], out: Path, threshold: float = THRESHOLD) -> None:
    """pairs.csv (every pair, best first) and flagged.json (the flagged ones)."""
    with open(out / "pairs.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student_a", "student_b", "score", "share_a", "share_b", "flagged"])
        for p in pairs:
            w.writerow([p.a, p.b, f"{p.score:.3f}", f"{p.share_a:.3f}", f"{p.share_b:.3f}",
                        "yes" if p.score >= threshold else ""])
    (out / "flagged.json").write_text(json.dumps(
        [{"a": p.a, "b": p.b, "score": round(p.score, 3)} for p in flagged(pairs, threshold)],
        indent=1) + "\n", encoding="utf-8")


def run(course: Course, assignment: str, threshold: float = THRESHOLD,
        students: list[str] | None = None) -> tuple[list[Pair], Path]:
    """The whole check for one assignment; returns the ranked pairs and the report folder."""
    out = course.root / "reports" / "similarity" / assignment
    code, starter, written = write_inputs(course, assignment, out, students)
    pairs = compare(code, starter, out / "report.html", threshold) if len(written) > 1 else []
    write_table(pairs, out, threshold)
    return pairs, out
