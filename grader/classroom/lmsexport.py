"""nbgrader export plugins writing the CSV each LMS's gradebook imports: Canvas and Moodle.

    nbgrader export --exporter=grader.classroom.lmsexport.CanvasExporter --to canvas.csv \\
        --CanvasExporter.roster=roster.csv --CanvasExporter.assignment_ids=04_cross_entropy=5678

One row per roster student (grader.classroom.roster), one column per assignment, scores in
points (nbgrader's score less its late penalty, as `nbgrader export` computes it). A student with
no submission gets an empty cell (missing="blank", the LMS leaves the grade as it was) or 0
(missing="zero"). Columns, as each LMS documents them (sources in the README):

    Canvas  Student,ID,SIS User ID,SIS Login ID,Section,<assignment> (<Canvas assignment id>),...
            then a "Points Possible" row with each assignment's maximum
    Moodle  First name,Last name,ID number,Email address,<assignment>,...
            (Moodle's import asks which column identifies the user: "Email address" -> email,
            or "ID number" -> idnumber, and which column goes to which grade item)
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins.export import ExportPlugin
from traitlets import Bool, Dict, Enum, Unicode

from grader.classroom.roster import Roster, read

CANVAS_IDS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_IDS = ["First name", "Last name", "ID number", "Email address"]
POINTS_POSSIBLE = "Points Possible"


def points(value: float) -> str:
    """A score as the CSV shows it: at most two decimals, no trailing zeros (7.5, 10, 0)."""
    return f"{round(value, 2):g}"


def scores(gradebook: Gradebook, assignments: list[str], students: list[str],
           missing: str) -> dict[tuple[str, str], str]:
    """(assignment, student) -> the score cell: points, or "" / "0" when nothing was submitted."""
    cells = {}
    for assignment in assignments:
        for student in students:
            try:
                sub = gradebook.find_submission(assignment, student)
            except MissingEntry:
                cells[assignment, student] = "" if missing == "blank" else "0"
                continue
            cells[assignment, student] = points(sub.score - sub.late_submission_penalty)
    return cells


def canvas_rows(roster: Roster, assignments: list[str], max_scores: dict[str, float],
                cells: dict[tuple[str, str], str], assignment_ids: dict[str, str],
                points_possible: bool) -> list[list[str]]:
    """Header, optional Points Possible row, then one row per roster student."""
    def column(a: str) -> str:
        return f"{a} ({assignment_ids[a]})" if a in assignment_ids else a

    rows = [[*CANVAS_IDS, *map(column, assignments)]]
    if points_possible:
        rows.append([POINTS_POSSIBLE, "", "", "", "", *(points(max_scores[a])
                                                       for a in assignments)])
    for m in roster.members:
        rows.append([m.sortable_name, m.canvas_user_id, m.sis_user_id, m.sis_login_id, m.section,
                     *(cells[a, m.student_id] for a in assignments)])
    return rows


def moodle_rows(roster: Roster, assignments: list[str],
                cells: dict[tuple[str, str], str]) -> list[list[str]]:
    """Header, then one row per roster student."""
    rows = [[*MOODLE_IDS, *assignments]]
    for m in roster.members:
        rows.append([m.first_name, m.last_name, m.id_number, m.email,
                     *(cells[a, m.student_id] for a in assignments)])
    return rows


class LmsExporter(ExportPlugin):
    """Base of the LMS exporters: which students, assignments and scores."""

    roster = Unicode("roster.csv", help="roster CSV (relative to the current directory)"
                     ).tag(config=True)
    missing = Enum(["blank", "zero"], default_value="blank",
                   help="a student who submitted nothing: empty cell or 0").tag(config=True)
    default_to = "grades.csv"

    def _members(self) -> Roster:
        return read(Path(self.roster))

    def _assignments(self, gradebook: Gradebook) -> list[str]:
        names = [a.name for a in gradebook.assignments]
        return [a for a in names if not self.assignment or a in self.assignment]

    def _roster(self, gradebook: Gradebook) -> Roster:
        roster = self._members()
        if self.student:
            roster = Roster(tuple(m for m in roster.members if m.student_id in self.student))
        known = {m.student_id for m in roster.members}
        for s in gradebook.students:
            if s.id not in known and (not self.student or s.id in self.student):
                self.log.warning("Student %s is in the gradebook but not in the roster: "
                                 "left out of the export", s.id)
        return roster

    def rows(self, gradebook: Gradebook) -> list[list[str]]:
        raise NotImplementedError

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or self.default_to
        rows = self.rows(gradebook)
        os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
        self.log.info("Exported %d students to %s", len(rows) - 1, dest)


class CanvasExporter(LmsExporter):
    """Canvas gradebook import CSV: Student, ID, SIS User ID, SIS Login ID, Section, then one
    `<name> (<assignment id>)` column per assignment and a Points Possible row."""

    default_to = "canvas_grades.csv"
    assignment_ids = Dict(key_trait=Unicode(), value_trait=Unicode(), default_value={},
                          help="nbgrader assignment -> Canvas assignment id (a column without "
                               "an id makes Canvas create a new assignment)").tag(config=True)
    points_possible = Bool(True, help="write the Points Possible row").tag(config=True)

    def rows(self, gradebook: Gradebook) -> list[list[str]]:
        assignments = self._assignments(gradebook)
        roster = self._roster(gradebook)
        cells = scores(gradebook, assignments, [m.student_id for m in roster.members],
                       self.missing)
        max_scores = {a: gradebook.find_assignment(a).max_score for a in assignments}
        return canvas_rows(roster, assignments, max_scores, cells, dict(self.assignment_ids),
                           self.points_possible)


class MoodleExporter(LmsExporter):
    """Moodle grade import CSV: First name, Last name, ID number, Email address, then one
    column per assignment; import it identifying users by email address or ID number."""

    default_to = "moodle_grades.csv"

    def rows(self, gradebook: Gradebook) -> list[list[str]]:
        assignments = self._assignments(gradebook)
        roster = self._roster(gradebook)
        cells = scores(gradebook, assignments, [m.student_id for m in roster.members],
                       self.missing)
        return moodle_rows(roster, assignments, cells)

