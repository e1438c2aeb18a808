"""The class on a hub: the roster file, and a Unix account for everyone on it.

A roster is a CSV file, a header line and then one person a row:

    username,role,password
    teacher,instructor,
    ada,student,correct-horse-battery
    bob,student,

- `username`: a Unix login name: lower-case letters, digits, `_` and `-`, starting with a letter
  or `_`, at most 32 characters. It is also the student id in nbgrader's gradebook.
- `role`: `instructor` (exactly one: the course folder, the gradebook and the formgrader are
  theirs) or `student`.
- `password`: optional. Empty: a random one is made and written, with the username, to
  `passwords.csv` (mode 600) in the hub folder, for the instructor to hand out.

An account that exists already is used as it is (its password is left alone) and is never
removed; the accounts made here are listed in `created-users.txt` in the hub folder, and
`remove_accounts` removes exactly those, with their home folders.
"""

from __future__ import annotations

import csv
import os
import pwd
import re
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROLES = ("instructor", "student")
USERNAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
CREATED = "created-users.txt"
PASSWORDS = "passwords.csv"


class RosterError(Exception):
    """The roster cannot be used as it is (the message names the line and the problem)."""


@dataclass(frozen=True)
class Person:
    username: str
    role: str  # instructor or student
    password: str  # "" until one is chosen


@dataclass(frozen=True)
class Roster:
    instructor: Person
    students: tuple[Person, ...]

    @property
    def people(self) -> tuple[Person, ...]:
        return (self.instructor, *self.students)

    @property
    def usernames(self) -> list[str]:
        return [p.username for p in self.people]


def read_roster(path: Path) -> Roster:
    """The roster in `path` (format: this module's docstring)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"username", "role"} <= set(rows[0]):
        raise RosterError(f"{path}: expected a header line `username,role,password`")
    people, seen = [], set()
    for line, row in enumerate(rows, start=2):
        name = (row.get("username") or "").strip()
        role = (row.get("role") or "").strip()
        if not USERNAME.fullmatch(name):
            raise RosterError(f"{path}:{line}: {name!r} is not a Unix login name")
        if role not in ROLES:
            raise RosterError(f"{path}:{line}: role {role!r} is not one of {', '.join(ROLES)}")
        if name in seen:
            raise RosterError(f"{path}:{line}: {name} is listed twice")
        seen.add(name)
        people.append(Person(name, role, (row.get("password") or "").strip()))
    instructors = [p for p in people if p.role == "instructor"]
    if len(instructors) != 1:
        raise RosterError(f"{path}: expected exactly one instructor, found {len(instructors)}")
    return Roster(instructors[0], tuple(p for p in people if p.role == "student"))


def exists(username: str) -> bool:
    try:
        pwd.getpwnam(username)
    except KeyError:
        return False
    return True


def home(username: str) -> Path:
    return Path(pwd.getpwnam(username).pw_dir)


def _run(*argv: str, stdin: str | None = None) -> None:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise OSError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")


def ensure_accounts(roster: Roster, folder: Path) -> list[str]:
    """Create the Unix accounts the roster names and lacks; return the names created.

    Each new account gets a private group of its own, /bin/bash and a home folder that only
    its owner can open (0700): a student cannot read another's work or the instructor's course.
    """
    created_file = folder / CREATED
    created = created_file.read_text().split() if created_file.exists() else []
    made, passwords = [], []
    for person in roster.people:
        if exists(person.username):
            continue
        _run("useradd", "--create-home", "--user-group", "--shell", "/bin/bash",
             person.username)
        created.append(person.username)
        created_file.write_text("".join(f"{name}\n" for name in created))
        password = person.password or secrets.token_urlsafe(12)
        _run("chpasswd", stdin=f"{person.username}:{password}\n")
        os.chmod(home(person.username), 0o700)
        made.append(person.username)
        if not person.password:
            passwords.append((person.username, password))
    if passwords:
        out = folder / PASSWORDS
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "w", newline="") as fh:
            csv.writer(fh).writerows(passwords)
    return made


def processes_of(username: str) -> list[int]:
    """Pids of the processes running as `username`."""
    uid = pwd.getpwnam(username).pw_uid
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except FileNotFoundError:
                continue
    return found


def stop_processes(username: str, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds, each process of `username`, by its pid."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = processes_of(username)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while processes_of(username) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not processes_of(username):
            return


def remove_accounts(folder: Path) -> list[str]:
    """Remove the accounts listed in folder/created-users.txt, their processes and homes."""
    created_file = folder / CREATED
    if not created_file.exists():
        return []
    removed = []
    for name in created_file.read_text().split():
        if exists(name):
            stop_processes(name)
            _run("userdel", "--remove", name)
        removed.append(name)
    created_file.unlink()
    (folder / PASSWORDS).unlink(missing_ok=True)
    return removed
