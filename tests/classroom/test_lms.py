"""Hand-in through an LMS: a Canvas and a Moodle download of the sample class, end to end.

Each download is built from the sample class in its LMS's documented naming, with a
resubmission and stray files. Each goes through `python -m grader.lms import` (nbgrader
zip_collect with our collector); both must fill submitted/ identically, so the class is graded
once (`python -m grader.autograde`, one small assignment) and both exporters read that gradebook:
the Canvas one through `nbgrader export --exporter=...`, the Moodle one through the command.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from conftest import ROOT

from grader import lms
from grader.classroom import gradebook_sync, lmscollect, sample_class
from grader.classroom.course import REPO, Course, environ
from grader.classroom.lmsexport import CANVAS_IDS, MOODLE_IDS
from grader.classroom.roster import Member, write

ASSIGNMENT = "04_cross_entropy"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
# student id -> (first, last, canvas user id, Moodle participant id)
PEOPLE = {
    "correct": ("Ada", "Lovelace", "101", "5001"),
    "softmax_before_ce": ("Alan", "Turing", "102", "5002"),
    "unstable_softmax": ("Grace", "Hopper", "103", "5003"),
    "unfinished": ("Edsger", "Dijkstra", "104", "5004"),
}
ABSENT = Member("absent", "Barbara", "Liskov", "bl@uni.example", "S105", "105", "S105",
                "liskov.b", "Lab B")  # on the roster, submitted nothing
RESUBMITTER = "softmax_before_ce"  # first uploaded the correct notebook, then their own
CANVAS_ASSIGNMENT_ID = "5678"

pytestmark = pytest.mark.skipif(not (ROOT / "notebooks" / ASSIGNMENT).is_dir(),
                                reason="notebooks/ not generated")


def members() -> list[Member]:
    return [Member(s, first, last, f"{s}@uni.example", f"S{uid}", uid, f"S{uid}",
                   f"{first.lower()}.{last[0].lower()}", "Lab A")
            for s, (first, last, uid, _) in PEOPLE.items()] + [ABSENT]


def new_course(root: Path) -> Course:
    root.mkdir(parents=True)
    for name in ("solutions", "notebooks"):
        (root / name).symlink_to(ROOT / name)
    write(root / "roster.csv", members())
    return Course(root)


def zinfo(name: str, when: tuple[int, ...]) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, date_time=when)


def canvas_download(notebooks: dict[str, bytes], out: Path) -> Path:
    """submissions.zip as Canvas names it: {lastfirst}_{late_}{user_id}_{attachment_id}_{file}."""
    with zipfile.ZipFile(out, "w") as zf:
        for n, (student, (first, last, uid, _)) in enumerate(PEOPLE.items()):
            login = (last + first).lower()
            late = "late_" if student == "unfinished" else ""
            if student == RESUBMITTER:  # the older upload: attachment id smaller
                zf.writestr(f"{login}_{uid}_{700 + n}_{NOTEBOOK}", notebooks["correct"])
                name = f"{login}_{uid}_{900 + n}_{ASSIGNMENT}-1.ipynb"  # Canvas renames repeats
            else:
                name = f"{login}_{late}{uid}_{800 + n}_{NOTEBOOK}"
            zf.writestr(name, notebooks[student])
        zf.writestr(f"mallorymallory_999_950_{NOTEBOOK}", notebooks["correct"])  # not enrolled
        zf.writestr("notes.txt", b"left in the folder by the instructor")  # no naming at all
    return out


def moodle_download(notebooks: dict[str, bytes], out: Path) -> Path:
    """Moodle's "Download all submissions" with folders:
    {Full name}_{participant id}_assignsubmission_file/{file}."""
    old, new = (2025, 3, 10, 9, 0, 0), (2025, 3, 12, 18, 30, 0)
    with zipfile.ZipFile(out, "w") as zf:
        for student, (first, last, _, pid) in PEOPLE.items():
            folder = f"{first} {last}_{pid}_assignsubmission_file"
            if student == RESUBMITTER:
                zf.writestr(zinfo(f"{folder}/{NOTEBOOK}", old), notebooks["correct"])
                zf.writestr(zinfo(f"{folder}/{ASSIGNMENT} (1).ipynb", new), notebooks[student])
            else:
                zf.writestr(zinfo(f"{folder}/{NOTEBOOK}", old), notebooks[student])
        zf.writestr(zinfo(f"Mallory Intruder_5999_assignsubmission_file/{NOTEBOOK}", old),
                    notebooks["correct"])
        zf.writestr(zinfo("__MACOSX/._notes", old), b"\0")
    return out


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample class's notebooks, as a Canvas and a Moodle download."""
    tmp = tmp_path_factory.mktemp("downloads")
    scratch = new_course(tmp / "scratch")
    sample_class.build(scratch, out=tmp / "class", students=list(PEOPLE), assignments=[ASSIGNMENT])
    notebooks = {s: (tmp / "class" / s / ASSIGNMENT / NOTEBOOK).read_bytes() for s in PEOPLE}
    return {"notebooks": notebooks,
            "canvas": canvas_download(notebooks, tmp / "canvas-submissions.zip"),
            "moodle": moodle_download(notebooks, tmp / "Course-04_cross_entropy-42.zip")}


def import_into(root: Path, lms_name: str, archive: Path) -> tuple[Course, dict, str]:
    course = new_course(root)
    out = io.StringIO()
    with redirect_stdout(out):
        code = lms.main(["import", ASSIGNMENT, "--lms", lms_name, "--archive", str(archive),
                         "--root", str(root)])
    assert code == 0, out.getvalue()
    return course, lmscollect.load_report(root / "downloaded" / ASSIGNMENT), out.getvalue()


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, downloads: dict) -> dict:
    tmp = tmp_path_factory.mktemp("lms")
    return {name: import_into(tmp / name, name, downloads[name]) for name in ("canvas", "moodle")}


@pytest.fixture(scope="module")
def graded(imported: dict) -> Course:
    """The Canvas course copy, graded once by the command."""
    course = imported["canvas"][0]
    proc = subprocess.run([sys.executable, "-m", "grader.autograde", ASSIGNMENT, "--jobs", "2",
                           "--timeout", "30", "--root", str(course.root)],
                          cwd=REPO, env=environ(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return course


# ------------------------------------------------------------------------- submissions in

def test_file_names_parse_as_each_lms_writes_them(tmp_path: Path) -> None:
    c = lmscollect.parse_canvas(tmp_path, "dl/turingalan_late_102_901_04_cross_entropy-1.ipynb")
    assert (c.lms_user, c.order, c.filename, c.late) == ("102", 901, f"{ASSIGNMENT}-1.ipynb", True)
    assert c.prefix == "turingalan_late_102_901_"
    (tmp_path / "Ada Lovelace_5001_assignsubmission_file_").mkdir()
    for rel in ("Ada Lovelace_5001_assignsubmission_file_/x.ipynb",  # Moodle < 4.1 folders
                "Ada Lovelace_5001_assignsubmission_file_x.ipynb"):  # flat, no folders
        (tmp_path / rel).touch()
        m = lmscollect.parse_moodle(tmp_path, rel)
        assert (m.lms_user, m.name, m.filename) == ("5001", "Ada Lovelace", "x.ipynb"), rel
    assert lmscollect.parse_canvas(tmp_path, "notes.txt") is None
    assert lmscollect.parse_moodle(tmp_path, "notes.txt") is None


@pytest.mark.parametrize("lms_name", ["canvas", "moodle"])
def test_download_fills_submitted_with_the_newest_upload(imported: dict, downloads: dict,
                                                         lms_name: str) -> None:
    course, report, _ = imported[lms_name]
    assert sorted(e["student"] for e in report["collected"]) == sorted(PEOPLE)
    for student in PEOPLE:
        got = course.notebook("submitted", ASSIGNMENT, student).read_bytes()
        assert got == downloads["notebooks"][student], student  # the resubmission's newest wins
    [older] = report["superseded"]
    assert older["student"] == RESUBMITTER and NOTEBOOK in older["file"]
    assert "-1.ipynb" in older["newer"] or "(1).ipynb" in older["newer"]


def test_stray_files_are_reported(imported: dict) -> None:
    canvas, moodle = imported["canvas"][1], imported["moodle"][1]
    assert {Path(e["file"]).name for e in canvas["unmatched"]} == {
        "notes.txt", f"mallorymallory_999_950_{NOTEBOOK}"}
    assert any("999 is not in the roster" in e["reason"] for e in canvas["unmatched"])
    assert {e["file"].split("/", 1)[1] for e in moodle["unmatched"]} == {
        "__MACOSX/._notes", f"Mallory Intruder_5999_assignsubmission_file/{NOTEBOOK}"}
    for _, _, printed in imported.values():  # and the command says so
        assert printed.count("unmatched") == 2 and "superseded" in printed


def test_canvas_and_moodle_collect_the_same_class(imported: dict) -> None:
    def tree(course: Course) -> dict[str, bytes]:
        base = course.dir("submitted")
        return {str(p.relative_to(base)): p.read_bytes() for p in base.rglob("*.ipynb")}
    assert tree(imported["canvas"][0]) == tree(imported["moodle"][0])


# ----------------------------------------------------------------------------- grades out

def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def nbgrader_export(course: Course, exporter: str, to: Path, *extra: str) -> None:
    argv = course.nbgrader("export", f"--exporter=grader.classroom.lmsexport.{exporter}",
                           f"--to={to}", f"--{exporter}.roster={course.root / 'roster.csv'}",
                           *extra)
    proc = subprocess.run(argv, cwd=REPO, env=environ(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_canvas_csv_matches_the_gradebook(graded: Course) -> None:
    out = graded.root / "canvas.csv"
    nbgrader_export(graded, "CanvasExporter", out,
                    f"--CanvasExporter.assignment_ids={ASSIGNMENT}={CANVAS_ASSIGNMENT_ID}")
    header, possible, *rows = read_csv(out)
    assert header == [*CANVAS_IDS, f"{ASSIGNMENT} ({CANVAS_ASSIGNMENT_ID})"]
    assert possible == ["Points Possible", "", "", "", "", "10"]
    scores = gradebook_sync.scores(graded.db_url, ASSIGNMENT)
    by_id = {row[1]: row for row in rows}
    assert set(by_id) == {m.canvas_user_id for m in members()}
    for m in members():
        row = by_id[m.canvas_user_id]
        assert row[:5] == [f"{m.last_name}, {m.first_name}", m.canvas_user_id, m.sis_user_id,
                           m.sis_login_id, m.section]
        expected = scores[m.student_id][0] if m.student_id in scores else None
        assert (float(row[5]) if row[5] else None) == expected, m.student_id
    assert by_id[ABSENT.canvas_user_id][5] == ""  # submitted nothing: blank by default
    assert 0 < float(by_id["102"][5]) < 10  # graded on the newer, wrong notebook


def test_moodle_csv_matches_the_gradebook(graded: Course) -> None:
    out = graded.root / "moodle.csv"
    assert lms.main(["export", ASSIGNMENT, "--lms", "moodle", "--missing", "zero", "--to",
                     str(out), "--root", str(graded.root)]) == 0
    header, *rows = read_csv(out)
    assert header == [*MOODLE_IDS, ASSIGNMENT]
    scores = gradebook_sync.scores(graded.db_url, ASSIGNMENT)
    by_email = {row[3]: row for row in rows}
    for m in members():
        row = by_email[m.email]
        assert row[:4] == [m.first_name, m.last_name, m.id_number, m.email]
        expected = scores[m.student_id][0] if m.student_id in scores else 0.0
        assert float(row[4]) == expected, m.student_id
    assert by_email[ABSENT.email][4] == "0"  # --missing zero


# --------------------------------------------------------------------------- feedback out

def test_feedback_zips_are_named_for_each_lms(graded: Course, imported: dict) -> None:
    from grader import feedback
    assert feedback.main([ASSIGNMENT, "--root", str(graded.root)]) == 0
    assert lms.main(["feedback", ASSIGNMENT, "--root", str(graded.root)]) == 0
    names = zipfile.ZipFile(graded.root / "reports" / "lms" /
                            f"{ASSIGNMENT}-canvas-feedback.zip").namelist()
    users = {lmscollect.CANVAS.match(n)["user_id"] for n in names}
    assert users == {uid for _, _, uid, _ in PEOPLE.values()}
    assert all(n.endswith(f"_{ASSIGNMENT}.html") for n in names)
    # Moodle's zip from the same feedback/, with the Moodle download's prefixes
    moodle_course, report, _ = imported["moodle"]
    os.symlink(graded.dir("feedback"), moodle_course.dir("feedback"))
    assert lms.main(["feedback", ASSIGNMENT, "--root", str(moodle_course.root)]) == 0
    names = zipfile.ZipFile(moodle_course.root / "reports" / "lms" /
                            f"{ASSIGNMENT}-moodle-feedback.zip").namelist()
    parts = [n.split("_", 4) for n in names]  # how Moodle's importer splits a name
    assert {p[1] for p in parts} == {pid for _, _, _, pid in PEOPLE.values()}
    assert {(p[2], p[3], p[4]) for p in parts} == {("assignsubmission", "file",
                                                    f"{ASSIGNMENT}.html")}


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    for argv in (["import", "no_such_assignment", "--lms", "canvas", "--archive", "x.zip"],
                 ["import", ASSIGNMENT, "--lms", "canvas", "--archive", str(tmp_path / "no.zip")],
                 ["export", "--lms", "blackboard"]):
        with pytest.raises(SystemExit) as exit_:
            lms.main(argv)
        assert exit_.value.code == 2, argv

