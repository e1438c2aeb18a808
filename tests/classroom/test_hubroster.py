"""The hub's roster file and its command's usage errors (no root, no hub needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import hub
from grader.classroom.hubroster import RosterError, read_roster


def _roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "class.csv"
    path.write_text(text)
    return path


def test_a_roster_names_one_instructor_and_the_students(tmp_path) -> None:
    roster = read_roster(_roster(tmp_path, "username,role,password\nteach,instructor,\n"
                                           "ada,student,s3cret\nbob,student,\n"))
    assert roster.instructor.username == "teach" and roster.instructor.password == ""
    assert [(p.username, p.password) for p in roster.students] == [("ada", "s3cret"),
                                                                    ("bob", "")]
    assert roster.usernames == ["teach", "ada", "bob"]


@pytest.mark.parametrize("text, problem", [
    ("name,role\nteach,instructor\n", "header"),
    ("username,role\nTeach,instructor\n", "not a Unix login name"),
    ("username,role\nteach,instructor\nada,ta\n", "role 'ta'"),
    ("username,role\nteach,instructor\nada,student\nada,student\n", "listed twice"),
    ("username,role\nada,student\n", "exactly one instructor, found 0"),
    ("username,role\nt1,instructor\nt2,instructor\n", "exactly one instructor, found 2"),
])
def test_a_bad_roster_is_refused_with_its_line(tmp_path, text: str, problem: str) -> None:
    with pytest.raises(RosterError, match=problem):
        read_roster(_roster(tmp_path, text))


def test_the_command_rejects_a_missing_or_bad_roster_as_a_usage_error(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as missing:
        hub.main(["serve", "--roster", str(tmp_path / "none.csv")])
    bad = _roster(tmp_path, "username,role\nada,student\n")
    with pytest.raises(SystemExit) as invalid:
        hub.main(["serve", "--roster", str(bad)])
    assert missing.value.code == 2 and invalid.value.code == 2
    assert "exactly one instructor" in capsys.readouterr().err
