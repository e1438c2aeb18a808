"""Student code is graded in a sandbox, and feedback carries only what the grader wrote.

A hostile class of one assignment (04_cross_entropy) is graded with forked kernels and with
stock kernels, two at a time. Each hostile student hands in the correct answers plus a few lines
that try one escape, with every path it needs written in (the worst case: it knows the layout),
and print what happened: read solutions/, gradebook.db and another student's submission; write
into grader/, gradebook.db and the course root; connect to a port listening on 127.0.0.1;
setuid(0); print the hidden tests (read from IPython's linecache while the test cell calls the
student's function) and the instructor's grader source. Every attempt must fail, the student
graded after them (`zz_correct`) must get full marks as alone, and no feedback file may hold a
line of a hidden test or of the grader's instructor source. The honest students grade and get
feedback exactly as without the sandbox.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import socket
import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.classroom import gradebook_sync, graderwritten, sample_class, sandbox
from grader.classroom.course import REPO, Course, CourseError, environ
from grader.classroom.grading import Settings, run

ASSIGNMENT = "04_cross_entropy"
HONEST = ["correct", "softmax_before_ce", "unfinished", "patches_grader"]
VICTIM = "zz_correct"  # graded after every hostile student (students go in name order)

PRELUDE = '''
import os, socket
def _try(what, action):
    try:
        got = action()
    except PermissionError as exc:
        print(f"BLOCKED {what}: {type(exc).__name__}")
    except OSError as exc:
        print(f"FAILED OTHERWISE {what}: {exc}")
    else:
        print(f"ESCAPED {what}: {str(got)[:60]!r}")
'''

LEAK = '''
import inspect, linecache
print(open({grading!r}).read())
_softmax = softmax
def softmax(*args, **kwargs):
    for frame in inspect.stack():
        text = "".join(linecache.getlines(frame.filename))
        if "### BEGIN " + "HIDDEN TESTS" in text:  # spelled so this cell does not match
            print(text)
            raise ValueError(text)
    return _softmax(*args, **kwargs)
'''


def escapes(course: Course, port: int, victim: str = VICTIM) -> dict[str, list[str]]:
    """student -> the attempts its cell makes (each prints BLOCKED or ESCAPED)."""
    root, grader = course.root, REPO / "grader"
    solution = course.notebook("source", ASSIGNMENT)
    other = course.notebook("submitted", ASSIGNMENT, victim)
    return {
        "escape_read": [f"_try('read solutions', lambda: open({str(solution)!r}).read())",
                        f"_try('read gradebook', lambda: open({str(course.db_path)!r}, 'rb')"
                        f".read(64))",
                        f"_try('read other student', lambda: open({str(other)!r}).read())",
                        f"_try('list course', lambda: os.listdir({str(root)!r}))"],
        "escape_write": [f"_try('write grader', lambda: open({str(grader / 'escaped.py')!r},"
                         f" 'w').write('x'))",
                         f"_try('write gradebook', lambda: open({str(course.db_path)!r}, 'ab')"
                         f".write(b'x'))",
                         f"_try('write root', lambda: open({str(root / 'escaped.txt')!r}, 'w')"
                         f".write('x'))"],
        "escape_network": [f"_try('connect', lambda: socket.create_connection(('127.0.0.1', "
                           f"{port}), timeout=5))"],
        "escape_setuid": ["_try('setuid', lambda: os.setuid(0))"],
    }


def hostile_student(code: str) -> sample_class.Student:
    return sample_class.Student("tries an escape", cells={
        sample_class.FIRST_SOLUTION: sample_class.Append(code)})


def write_class(course: Course, students: dict[str, sample_class.Student]) -> None:
    release = nbformat.read(course.notebook("release", ASSIGNMENT), as_version=4)
    source = nbformat.read(course.notebook("source", ASSIGNMENT), as_version=4)
    for name, student in students.items():
        folder = course.dir("submitted") / name / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(sample_class.TIMESTAMP + "\n")
        nbformat.write(sample_class.student_notebook(student, release, source),
                       folder / f"{ASSIGNMENT}.ipynb")


def new_course(root: Path) -> Course:
    root.mkdir(parents=True)
    for name in ("solutions", "notebooks"):
        (root / name).symlink_to(ROOT / name)
    return Course(root)


def feedback(course: Course, *options: str, folder: str = "feedback") -> dict[str, str]:
    proc = subprocess.run(course.nbgrader("generate_feedback", ASSIGNMENT, *options,
                                          f"--CourseDirectory.feedback_directory={folder}"),
                          cwd=REPO, env=environ(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {p.parent.parent.name: p.read_text()
            for p in (course.root / folder).glob(f"*/{ASSIGNMENT}/*.html")}


# The feedback pipeline before GraderWrittenOnly (nbgrader_config.py without it).
BEFORE = ("--GenerateFeedback.preprocessors=['nbgrader.preprocessors.GetGrades', "
          "'nbconvert.preprocessors.CSSHTMLHeaderPreprocessor', "
          "'grader.classroom.findings_feedback.FindingsFeedback']")


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


WHY_NOT = sandbox.unavailable() if (ROOT / "notebooks").is_dir() else None
pytestmark = [pytest.mark.skipif(bool(WHY_NOT), reason=f"no sandbox here: {WHY_NOT}"),
              pytest.mark.skipif(not (ROOT / "notebooks" / ASSIGNMENT).is_dir(),
                                 reason="notebooks/ not generated")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The hostile class graded with forked and with stock kernels; the honest students also
    without the sandbox. Records what the grader package looked like before and after."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    grader_before = tree_digest(REPO / "grader")
    out: dict = {"courses": {}, "feedback": {}}
    try:
        for way in ("forked", "stock", "unsandboxed"):
            course = new_course(tmp_path_factory.mktemp("sandbox") / way)
            students = {name: sample_class.CLASS[name] for name in HONEST}
            if way != "unsandboxed":
                attempts = escapes(course, port)
                students |= {name: hostile_student(PRELUDE + "\n".join(lines))
                             for name, lines in attempts.items()}
                students["escape_leak"] = hostile_student(
                    LEAK.format(grading=str(REPO / "grader" / "classroom" / "results.py")))
                students[VICTIM] = sample_class.CLASS["correct"]
            write_class(course, students)
            out[way + " root before"] = sorted(p.name for p in course.root.iterdir())
            run(Settings(course, jobs=2, timeout=60, memory_gib=1.5,
                         stock_kernels=way == "stock", sandbox=way != "unsandboxed"),
                [ASSIGNMENT])
            out["courses"][way] = course
            out["feedback"][way] = feedback(course)
        out["feedback"]["before"] = feedback(out["courses"]["unsandboxed"], BEFORE,
                                             folder="feedback_before")
    finally:
        listener.close()
        (REPO / "grader" / "escaped.py").unlink(missing_ok=True)
    out["grader unchanged"] = tree_digest(REPO / "grader") == grader_before
    return out


def first_solution_text(course: Course, student: str) -> str:
    nb = nbformat.read(course.notebook("autograded", ASSIGNMENT, student), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


EXPECTED_ATTEMPTS = {"escape_read": 4, "escape_write": 3, "escape_network": 1,
                     "escape_setuid": 1}


@pytest.mark.parametrize("way", ["forked", "stock"])
@pytest.mark.parametrize("student", sorted(EXPECTED_ATTEMPTS))
def test_every_escape_fails(graded, way: str, student: str) -> None:
    printed = first_solution_text(graded["courses"][way], student)
    assert "ESCAPED" not in printed, printed
    assert printed.count("BLOCKED") == EXPECTED_ATTEMPTS[student], printed


@pytest.mark.parametrize("way", ["forked", "stock"])
def test_nothing_outside_the_scratch_was_written(graded, way: str) -> None:
    course = graded["courses"][way]
    assert graded["grader unchanged"]
    assert sorted(p.name for p in course.root.iterdir()
                  if p.name not in ("gradebook.db", "autograded", "feedback", "reports")) == \
        [n for n in graded[f"{way} root before"] if n != "gradebook.db"]
    assert not (course.root / "escaped.txt").exists()


@pytest.mark.parametrize("way", ["forked", "stock"])
def test_the_student_graded_after_the_writer_keeps_full_marks(graded, way: str) -> None:
    scores = gradebook_sync.scores(graded["courses"][way].db_url, ASSIGNMENT)
    score, best, _ = scores[VICTIM]
    assert score == best > 0
    assert scores["escape_write"] == scores[VICTIM]  # its own answers are right too


@pytest.mark.parametrize("way", ["forked", "stock"])
def test_the_kernel_runs_in_a_scratch_folder_as_an_unprivileged_user(graded, way) -> None:
    printed = first_solution_text(graded["courses"][way], "escape_setuid")
    assert "BLOCKED setuid: PermissionError" in printed


def _visible(page: str) -> str:
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _secret_lines() -> set[str]:
    """Hidden-test lines and instructor grader source lines a page must never show (lines the
    released notebook shows anyway are not secrets)."""
    source = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                           as_version=4)
    release = (ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    released = {" ".join(line.split()) for line in
                "\n".join(c.source for c in nbformat.reads(release, as_version=4).cells)
                .splitlines()}
    lines = graderwritten.hidden_lines(source) | graderwritten.grader_lines()
    return {line for line in lines if line not in released and len(line) >= 20}


@pytest.mark.parametrize("way", ["forked", "stock"])
def test_no_feedback_holds_a_hidden_test_or_grader_source_line(graded, way: str) -> None:
    pages = graded["feedback"][way]
    assert "escape_leak" in pages and len(pages) == len(HONEST) + 6
    secrets = _secret_lines()
    for student, page in pages.items():
        text = _visible(page)  # whitespace collapsed: a wrapped line is whole again
        found = sorted(line for line in secrets if line in text)
        assert not found, (student, found[:3])


def test_the_leak_was_really_tried(graded) -> None:
    """The leaking student did print the hidden tests and the grader source into the graded
    notebook (the instructor's copy): only feedback drops them."""
    course = graded["courses"]["forked"]
    nb = nbformat.read(course.notebook("autograded", ASSIGNMENT, "escape_leak"), as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
                      if o.get("output_type") == "stream")
    assert "### BEGIN HIDDEN TESTS" in printed
    assert "def _conclude(" in printed


@pytest.mark.parametrize("way", ["forked", "stock"])
def test_honest_students_grade_as_without_the_sandbox(graded, way: str) -> None:
    caged = gradebook_sync.dump(graded["courses"][way].db_url, ASSIGNMENT)
    free = gradebook_sync.dump(graded["courses"]["unsandboxed"].db_url, ASSIGNMENT)
    assert {s: caged[s] for s in HONEST} == {s: free[s] for s in HONEST}


def test_honest_feedback_is_the_same_as_without_the_sandbox(graded) -> None:
    caged, free = graded["feedback"]["forked"], graded["feedback"]["unsandboxed"]
    for student in HONEST:
        assert _visible(caged[student]) == _visible(free[student]), student


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    words = iter(long)
    return all(any(word == other for other in words) for word in short)


def test_honest_feedback_only_loses_outputs_against_the_old_pipeline(graded) -> None:
    """Feedback as before GraderWrittenOnly, minus what it strips: every word the new page
    shows, the old one showed, in the same order; the verdicts are all still there."""
    new, old = graded["feedback"]["unsandboxed"], graded["feedback"]["before"]
    for student in HONEST:
        now, then = _visible(new[student]).split(), _visible(old[student]).split()
        assert _is_subsequence(now, then), student
        for mark in ("✅", "❌", "hidden checks found"):
            assert _visible(new[student]).count(mark) == _visible(old[student]).count(mark)


def test_unsandboxed_runs_say_so(graded) -> None:
    status = (graded["courses"]["unsandboxed"].root / "reports" / "autograde"
              / f"{ASSIGNMENT}.json").read_text()
    assert "UNSANDBOXED" in status
    caged = (graded["courses"]["forked"].root / "reports" / "autograde"
             / f"{ASSIGNMENT}.json").read_text()
    assert "UNSANDBOXED" not in caged


def test_grading_is_refused_where_no_sandbox_can_be_had(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sandbox, "unavailable", lambda: "no Landlock (pretend)")
    course = new_course(tmp_path / "course")
    with pytest.raises(CourseError, match=re.escape(sandbox.RISK_FLAG)):
        run(Settings(course, jobs=1), [ASSIGNMENT])
    assert os.environ.get(sandbox.ENV) is None
