"""What the class got wrong, from the gradebook and the autograded notebooks: the rows, the
figure and the page of reports/ that `python -m grader.analytics` writes (its docstring lists
them).

Scores come from the gradebook (nbgrader's numbers, manual grades included). Finding codes come
from the autograded notebooks: the hidden test of a failed cell raised GradingFailed with the
findings as data (read by grader.classroom.verdicts). The notebook nbgrader wrote is the record the
feedback is made from; no extra file is written from inside the student's kernel, where student
code could alter it. Students whose notebook could not be graded are listed with the reason from
grader.autograde's status file instead of codes.
"""

from __future__ import annotations

import csv
import html
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry

from grader.classroom import gradebook_sync
from grader.classroom.course import Course
from grader.classroom.status import load_status, status_path
from grader.classroom.verdicts import Stop, cell_errors
from grader.core.findings import Code


def is_misconception(code: str) -> bool:
    """A finding code that names a misconception. A test cell that failed without a finding is
    listed under the exception it raised (e.g. CheckFailed for the test-accuracy target): not a
    Code, so not a named misconception either."""
    return code in Code.__members__ and Code(code).is_misconception


@dataclass
class Row:
    student: str
    assignment: str
    cell: str
    score: float | None
    max: float
    codes: list[str] = field(default_factory=list)
    note: str = ""


def cell_findings(notebook: Path) -> dict[str, list[tuple[str, str]]]:
    """Test cell grade_id -> (code, message) findings of its failure, from the outputs."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        found[meta["grade_id"]] = _findings(cell.get("outputs", []))
    return found


def _findings(outputs: list[dict]) -> list[tuple[str, str]]:
    """The findings of one test cell: grade()'s, else the error it raised, else none."""
    errors = cell_errors(outputs)
    for error in errors:
        if error.stop is Stop.FINDINGS:
            return [(f.code.value, f.message) for f in error.findings]
    if not errors:
        return []
    if errors[0].stop is Stop.TIMEOUT:
        return [(Code.TIMEOUT.value, "the cell hit the time limit")]
    # A plain assert of the test cell (e.g. the accuracy target) or a crash: named as raised.
    return [(errors[0].ename, errors[0].evalue)]


def collect(course: Course, assignment: str) -> list[Row]:
    """Rows of one assignment: gradebook scores joined with the codes of each failed cell."""
    rows = []
    status = load_status(course, assignment)
    with gradebook_sync.opened(course.db_url) as gb:
        try:
            submissions = gb.find_assignment(assignment).submissions
        except MissingEntry:
            submissions = []
        for sub in sorted(submissions, key=lambda s: s.student.id):
            student = sub.student.id
            found = cell_findings(course.notebook("autograded", assignment, student))
            entry = status.get(student, {})
            note = entry.get("reason") or "; ".join(entry.get("problems", []))
            for nb in sub.notebooks:
                for grade in sorted(nb.grades, key=lambda g: g.name):
                    codes = [c for c, _ in found.get(grade.name, [])]
                    rows.append(Row(student, assignment, grade.name, grade.score,
                                    grade.max_score, codes, note))
    graded = {r.student for r in rows}
    for student, entry in sorted(status.items()):
        if student not in graded:  # nothing in the gradebook: nothing was submitted
            rows.append(Row(student, assignment, "", None, 0.0, [], entry.get("reason", "")))
    return rows


def messages(course: Course, assignment: str) -> dict[str, str]:
    """code -> one message observed for it (the first student's, in student order)."""
    examples: dict[str, str] = {}
    autograded = course.dir("autograded")
    for notebook in sorted(autograded.glob(f"*/{assignment}/{assignment}.ipynb")):
        for found in cell_findings(notebook).values():
            for code, message in found:
                if message:
                    examples.setdefault(code, message)
    return examples


def write_csv(rows: list[Row], path: Path) -> None:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student", "assignment", "cell", "score", "max", "codes", "note"])
        for r in rows:
            score = "" if r.score is None else f"{r.score:g}"
            out.writerow([r.student, r.assignment, r.cell, score, f"{r.max:g}",
                          " ".join(r.codes), r.note])


def totals(rows: list[Row]) -> dict[str, float]:
    """student -> total score of the assignment (graded students only)."""
    sums: dict[str, float] = defaultdict(float)
    for r in rows:
        if r.cell:
            sums[r.student] += r.score or 0.0
    return dict(sums)


def max_total(rows: list[Row]) -> float:
    """The most points a student can get in the assignment."""
    per_student: dict[str, float] = defaultdict(float)
    for r in rows:
        if r.cell:
            per_student[r.student] += r.max
    return max(per_student.values(), default=0.0)


def students_per_code(rows: list[Row]) -> Counter:
    """code -> number of students who showed it at least once."""
    seen = {(r.student, code) for r in rows for code in r.codes}
    return Counter(code for _, code in seen)


def ranked(counts: Counter) -> list[str]:
    """Codes in re-teaching order: misconceptions by students affected, then the rest."""
    return sorted(counts, key=lambda c: (not is_misconception(c), -counts[c], c))


def plot(by_assignment: dict[str, list[Row]], path: Path) -> None:
    """Grade distribution and code counts, one row of two panels per notebook."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(1, len(by_assignment))
    fig, axes = plt.subplots(n, 2, figsize=(11, 3.2 * n), squeeze=False)
    for (assignment, rows), (left, right) in zip(by_assignment.items(), axes, strict=False):
        scores, top = list(totals(rows).values()), max_total(rows)
        bins = [x - 0.5 for x in range(int(top) + 2)] if top <= 40 else 20  # one bar per point
        left.hist(scores, bins=bins, color="#4c72b0")
        left.set(title=f"{assignment}: total score", xlabel=f"points (of {top:g})",
                 ylabel="students")
        counts = students_per_code(rows)
        labels = ranked(counts)[::-1]  # barh draws bottom-up: the first to re-teach on top
        colors = ["#c44e52" if is_misconception(c) else "#aaaaaa" for c in labels]
        right.barh(labels, [counts[c] for c in labels], color=colors)
        right.set(title=f"{assignment}: students per finding", xlabel="students")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _reteach_table(rows: list[Row], examples: dict[str, str]) -> str:
    cells_of: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        for code in r.codes:
            cells_of[code].add(r.cell)
    lines = ["<table border=1 cellpadding=4><tr><th>finding</th><th>students</th>"
             "<th>cells</th><th>example message</th></tr>"]
    counts = students_per_code(rows)
    for code in ranked(counts):
        lines.append(f"<tr><td><code>{code}</code></td><td>{counts[code]}</td>"
                     f"<td>{html.escape(', '.join(sorted(cells_of[code])))}</td>"
                     f"<td>{html.escape(examples.get(code, ''))}</td></tr>")
    return "\n".join([*lines, "</table>"])


def write_html(by_assignment: dict[str, list[Row]], examples: dict[str, dict[str, str]],
               path: Path, figure: str) -> None:
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Class report</title>"
             "</head><body><h1>What the class got wrong</h1>",
             "<p>Findings in red are misconceptions, ranked by how many students showed them: "
             "re-teach from the top. Grey ones mean unanswered or ungradable cells.</p>",
             f"<img src='{figure}' style='max-width:100%'>"]
    for assignment, rows in by_assignment.items():
        scores = totals(rows)
        mean = sum(scores.values()) / len(scores) if scores else 0.0
        broken = sorted({(r.student, r.note) for r in rows if r.note})  # failed or limited
        parts.append(f"<h2>{html.escape(assignment)}</h2><p>{len(scores)} graded, "
                     f"mean score {mean:.1f}</p>")
        parts.append(_reteach_table(rows, examples.get(assignment, {})))
        if broken:
            items = "".join(f"<li>{html.escape(s)}: {html.escape(n)}</li>" for s, n in broken)
            parts.append(f"<p>Stopped by a limit or not graded:</p><ul>{items}</ul>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")


def graded_assignments(course: Course) -> list[str]:
    """Assignments grader.autograde has a status file for, in course order."""
    return [a for a in course.assignments if status_path(course, a).is_file()]


def report(course: Course, assignments: list[str] | None = None) -> dict[str, list[Row]]:
    """Write reports/grades.csv, analytics.png and index.html; returns the rows written."""
    out = course.root / "reports"
    out.mkdir(exist_ok=True)
    chosen = assignments or graded_assignments(course)
    by_assignment = {a: collect(course, a) for a in chosen}
    write_csv([r for rows in by_assignment.values() for r in rows], out / "grades.csv")
    plot(by_assignment, out / "analytics.png")
    examples = {a: messages(course, a) for a in chosen}
    write_html(by_assignment, examples, out / "index.html", "analytics.png")
    return by_assignment
