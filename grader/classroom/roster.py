"""The class roster: who each LMS user is in nbgrader, read from one CSV file (roster.csv).

One row per student, a header naming the columns (order free, unknown columns ignored):

    student_id,first_name,last_name,email,id_number,canvas_user_id,sis_user_id,sis_login_id,section
    ada,Ada,Lovelace,ada@uni.example,S001,101,S001,ada.l,Lab A

student_id      nbgrader's student id (the folder under submitted/); required
first_name, last_name
                the student's name as the LMS shows it. Moodle names its download folders by
                full name ("First Last"), so a Moodle submission is matched by this name
email           Moodle's grade import can identify users by "Email address"
id_number       Moodle's "ID number" (user profile field idnumber), the other import key
canvas_user_id  Canvas's numeric user id: the `ID` column of its gradebook CSV and the
                {user_id} part of its submission download's file names
sis_user_id, sis_login_id, section
                Canvas's `SIS User ID`, `SIS Login ID` and `Section` gradebook columns

Every column but student_id may be empty; a student without canvas_user_id is never matched to
a Canvas file, one without a name never to a Moodle folder.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("student_id", "first_name", "last_name", "email", "id_number", "canvas_user_id",
           "sis_user_id", "sis_login_id", "section")


@dataclass(frozen=True)
class Member:
    """One row of the roster."""

    student_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    id_number: str = ""
    canvas_user_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""

    @property
    def full_name(self) -> str:
        """"First Last", as Moodle's fullname() shows it by default."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def sortable_name(self) -> str:
        """"Last, First", as Canvas's gradebook `Student` column shows it."""
        return ", ".join(part for part in (self.last_name, self.first_name) if part)


def name_key(name: str) -> str:
    """A full name compared the way Moodle writes it in a download: `_` became a space, and case
    and runs of spaces do not matter."""
    return " ".join(name.replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class Roster:
    """The class as the LMS knows it, with lookups by each LMS's id."""

    members: tuple[Member, ...]

    def by_canvas_user_id(self, user_id: str) -> Member | None:
        return next((m for m in self.members if m.canvas_user_id == user_id), None)

    def by_full_name(self, name: str) -> list[Member]:
        """Every member with this full name (more than one: the name is ambiguous)."""
        key = name_key(name)
        return [m for m in self.members if m.full_name and name_key(m.full_name) == key]

    def student(self, student_id: str) -> Member | None:
        return next((m for m in self.members if m.student_id == student_id), None)


class RosterError(ValueError):
    """A roster file that cannot be used, with the reason."""


def read(path: Path) -> Roster:
    """Read roster.csv; RosterError when student_id is missing or repeated."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if "student_id" not in (reader.fieldnames or []):
            raise RosterError(f"{path}: no student_id column (columns: {', '.join(COLUMNS)})")
        members = tuple(Member(**{k: (row.get(k) or "").strip() for k in COLUMNS})
                        for row in reader)
    ids = [m.student_id for m in members]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if "" in ids or repeated:
        named = ", ".join(repeated) or "(empty)"
        raise RosterError(f"{path}: empty or repeated student_id: {named}")
    return Roster(members)


def write(path: Path, members: list[Member]) -> None:
    """Write a roster.csv with every column."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for m in members:
            writer.writerow([getattr(m, c) for c in COLUMNS])
