"""Grading through a real Dask cluster: a scheduler and two workers, each its own process on
127.0.0.1, grade a small class; the grades equal a serial local run, student by student, and
the kernels on the workers are sandboxed like local ones (a student's attempts to read the
course fail)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from test_instructor import ASSIGNMENT, cell_scores, make_course
from test_sandbox import PRELUDE, escapes, first_solution_text, hostile_student, write_class

from grader.classroom import gradebook_sync
from grader.classroom.course import CourseError, environ
from grader.classroom.grading import Settings, run

distributed = pytest.importorskip("distributed")

STUDENTS = ["correct", "softmax_before_ce", "unfinished"]

pytestmark = pytest.mark.skipif(not (ROOT / "notebooks" / ASSIGNMENT).is_dir(),
                                reason="notebooks/ not generated")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dask scheduler` and two `dask worker` processes; yields the scheduler's address."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = tmp_path_factory.mktemp("dask")
    common = ["--no-dashboard"]
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                               "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                               *common], env=environ(), stdout=subprocess.DEVNULL,
                              stderr=open(logs / "scheduler.log", "w"))]
    for i in range(2):
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
             "--nthreads", "1", "--host", "127.0.0.1", "--name", f"w{i}", *common],
            env=environ(), stdout=subprocess.DEVNULL, stderr=open(logs / f"w{i}.log", "w")))
    try:
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_cluster_grades_like_a_serial_run(cluster: str, tmp_path: Path) -> None:
    on_cluster = make_course(tmp_path / "cluster", STUDENTS)
    reads = escapes(on_cluster, 9, victim="correct")["escape_read"]
    write_class(on_cluster, {"escape_read": hostile_student(PRELUDE + "\n".join(reads))})
    done = subprocess.run([sys.executable, "-m", "grader.autograde", ASSIGNMENT, "--root",
                           str(on_cluster.root), "--dask", cluster, "--timeout", "30"],
                          env=environ(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[4/4]" in done.stdout, done.stdout  # progress lines, as with --jobs
    assert "sandboxed: each kernel caged" in done.stdout, done.stdout
    serial = make_course(tmp_path / "serial", STUDENTS)
    run(Settings(serial, jobs=1, timeout=30), [ASSIGNMENT])
    scores = gradebook_sync.scores(on_cluster.db_url, ASSIGNMENT)
    printed = first_solution_text(on_cluster, "escape_read")
    assert printed.count("BLOCKED") == len(reads) and "ESCAPED" not in printed, printed
    del scores["escape_read"]
    assert scores == gradebook_sync.scores(serial.db_url, ASSIGNMENT)
    for student in STUDENTS:
        assert cell_scores(on_cluster, student) == cell_scores(serial, student), student
    best = scores["correct"][1]
    assert scores["correct"][0] == best
    assert scores["softmax_before_ce"][0] < best  # the planted mistake loses its points
    assert not list((on_cluster.root / "reports" / "autograde").glob("autograde-*"))  # scratch


def test_workers_that_cannot_see_the_course_stop_the_run(cluster: str, tmp_path: Path) -> None:
    from grader.classroom.cluster import require_shared

    with distributed.Client(cluster, timeout=30) as client:
        require_shared(client, [tmp_path])  # visible: nothing raised
        with pytest.raises(CourseError, match="/no/such/course"):
            require_shared(client, [Path("/no/such/course")])
