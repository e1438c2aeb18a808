"""Grading a class through a Dask cluster (`python -m grader.autograde A --dask ADDRESS`).

Each student's `nbgrader autograde --student` runs as one task on a `distributed` worker, in a
child process of its own under the same memory and wall-clock limits as a local run
(grader.core.limits). The parent keeps its role: only it writes gradebook.db, one transaction
per student, as each result comes back (results.collect), so status, resume and the grade table
work as with --jobs. A task whose worker dies is retried on another worker; a student whose run
is lost twice is recorded as failed with the reason, and everyone else is graded.

Workers need the course directory at the same path (a shared filesystem: NFS, a cluster's home
or scratch space) and the course installed (`make setup`). Before anything is graded, every
worker is asked whether it sees the course and the scratch folder; a worker that does not stops
the run with the missing path named, rather than grading anything wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from distributed import Client, as_completed, get_worker

from grader.classroom import sandbox
from grader.classroom.course import REPO, CourseError
from grader.classroom.jobs import Job, Results, Settings, autograde_argv, job_environ
from grader.classroom.results import collect
from grader.core.limits import RunOutcome, watch

CONNECT_SECONDS = 30


def grade_on_worker(settings: Settings, job: Job, template: Path) -> RunOutcome:
    """On a Dask worker: one student's nbgrader autograde in a child process, under the limits."""
    job.db.write_bytes(template.read_bytes())
    limit = int(settings.memory_gib * 2**30)
    request = {"argv": autograde_argv(settings, job), "cwd": str(REPO), "log": str(job.log),
               "env": {**job_environ(get_worker().state.nthreads),
                       **sandbox.environ(settings.sandbox)},
               "data_bytes": limit if settings.rlimit_data else 0}
    proc = subprocess.Popen([sys.executable, "-m", "grader.classroom.nbgrader_job"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    proc.stdin.write(json.dumps(request).encode())
    proc.stdin.close()

    def wait(seconds: float) -> int | None:
        try:
            return proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return None

    return watch(proc.pid, wait, wall_seconds=settings.wall, memory_bytes=limit)


def missing_paths(paths: list[str]) -> list[str]:
    """On a worker: which of `paths` it cannot see (or, for folders, cannot write into)."""
    return [p for p in paths
            if not os.path.exists(p) or os.path.isdir(p) and not os.access(p, os.W_OK)]


def require_shared(client: Client, paths: list[Path]) -> None:
    """Stop with a clear message unless every worker sees every path."""
    seen = client.run(missing_paths, [str(p) for p in paths])
    if not seen:
        raise CourseError(f"the Dask cluster at {client.scheduler.address} has no workers")
    blind = {worker: gone for worker, gone in seen.items() if gone}
    if blind:
        lines = [f"  {worker}: {', '.join(gone)}" for worker, gone in sorted(blind.items())]
        raise CourseError("these Dask workers cannot see the course directory (grading on a "
                         "cluster needs it on a shared filesystem, at the same path):\n"
                         + "\n".join(lines))


def run_on_cluster(settings: Settings, jobs: list[Job], results: Results, template: Path,
                   save: Callable[[str], None]) -> None:
    """Grade the jobs on the cluster at settings.dask; merge each result as it comes back."""
    with Client(settings.dask, timeout=CONNECT_SECONDS) as client:
        require_shared(client, [settings.course.root, template.parent])
        if settings.sandbox:  # every worker must cage its kernels, or nothing is graded
            sandbox.require_everywhere(client.run(sandbox.unavailable))
        futures = {client.submit(grade_on_worker, settings, job, template, pure=False,
                                 retries=1, key=f"autograde-{job.assignment}-{job.student}"): job
                   for job in jobs}
        try:
            collect(settings, futures, as_completed, results, save)
        finally:
            client.cancel(list(futures))
