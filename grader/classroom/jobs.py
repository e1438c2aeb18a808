"""One student's grading run as data: the settings of an autograde run, the job of one
(assignment, student), and the nbgrader command and environment that grade it. Shared by the
local pool (grader.classroom.pool) and the Dask cluster (grader.classroom.cluster)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from grader.classroom.course import Course, environ
from grader.classroom.status import StudentResult

Results = dict[str, dict[str, StudentResult]]  # assignment -> student -> result


@dataclass(frozen=True)
class Settings:
    """One autograde run."""

    course: Course
    jobs: int = os.cpu_count() or 1
    timeout: int | None = None  # seconds per cell (nbgrader's Execute.timeout); None: config's
    memory_gib: float = 4.0  # per process of a student's run (the kernel, in practice)
    wall: float = 3600.0  # seconds for one student's whole notebook
    rlimit_data: bool = True
    force: bool = False
    dask: str | None = None  # a Dask scheduler's address: grade there instead of a local pool
    stock_kernels: bool = False  # one nbgrader process and a stock kernel per student
    sandbox: bool = True  # False: student code runs unconfined (the instructor took the risk)


@dataclass(frozen=True)
class Job:
    """One student's grading run and its files."""

    assignment: str
    student: str
    log: Path
    db: Path
    fingerprint: str


def submitted_students(course: Course, assignment: str) -> list[str]:
    """Students with a submitted/<student>/<assignment>/ folder, sorted."""
    base = course.dir("submitted")
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir())


def autograde_argv(settings: Settings, job: Job) -> list[str]:
    """nbgrader's arguments for one student's autograde against its private gradebook."""
    args = ["autograde", job.assignment, "--student", job.student, "--force"]
    if settings.timeout:
        args.append(f"--Execute.timeout={settings.timeout}")
    return settings.course.nbgrader_args(*args, db_url=f"sqlite:///{job.db}")


def job_environ(parallel: int) -> dict[str, str]:
    """The environment of a student's run: torch threads shared out among `parallel` runs."""
    threads = str(max(1, (os.cpu_count() or 1) // parallel))  # no oversubscription
    return environ({"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads})
