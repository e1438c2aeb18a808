"""The grading run behind `python -m grader.autograde`: plan who needs grading, grade each
student with nbgrader against a private gradebook under time and memory limits, and merge each
result into gradebook.db as it arrives (the parent alone writes it, one transaction a student).

By default each of the `jobs` workers is one long-lived nbgrader process that grades a queue of
students with kernels forked from a preloaded template (nbgrader_job.serve, forkkernel); the
limits apply to each student's kernel. With `stock_kernels`, every student gets a forked nbgrader
process of its own that starts a stock kernel, the limits covering both (nbgrader_job.run)."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import fcntl
import functools
import hashlib
import multiprocessing
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.classroom import diagnose, forkkernel, gradebook_sync, nbgrader_job, sandbox
from grader.classroom.course import REPO, Course, environ, use_venv_path
from grader.classroom.progress import Progress
from grader.classroom.status import (
    StudentResult,
    fingerprint,
    kept,
    load_status,
    status_path,
    still_valid,
    write_status,
)
from grader.core.limits import RunOutcome, kill_tree, watch

Results = dict[str, dict[str, StudentResult]]  # assignment -> student -> result

_FORKSERVER = multiprocessing.get_context("forkserver")
# nbgrader is imported once in the fork server; each worker is a fork of it.
_FORKSERVER.set_forkserver_preload(["grader.classroom.nbgrader_job"])
_START_LOCK = threading.Lock()  # Process.start() from several pool threads


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


def all_assignments(course: Course) -> list[str]:
    """Assignments with a source notebook, in course order."""
    return sorted(p.parent.name for p in course.dir("source").glob("*/*.ipynb")
                  if p.stem == p.parent.name)


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


def _grade(settings: Settings, job: Job, template: Path, stop: threading.Event) -> RunOutcome:
    """nbgrader autograde for one student against a private gradebook (in a pool thread)."""
    shutil.copyfile(template, job.db)
    limit = int(settings.memory_gib * 2**30)
    proc = _FORKSERVER.Process(target=nbgrader_job.run, args=(autograde_argv(settings, job),),
                               name=job.student,
                               kwargs={"cwd": REPO, "log": job.log,
                                       "env": job_environ(settings.jobs),
                                       "data_bytes": limit if settings.rlimit_data else 0})
    with _START_LOCK:
        proc.start()

    def wait(seconds: float) -> int | None:
        proc.join(seconds)
        return proc.exitcode

    try:
        return watch(proc.pid, wait, wall_seconds=settings.wall, memory_bytes=limit, stop=stop)
    finally:
        proc.join()
        proc.close()


class Worker:
    """One long-lived nbgrader process (nbgrader_job.serve) grading the students sent to it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        env = job_environ(settings.jobs)
        if settings.rlimit_data:
            env[forkkernel.MEMORY_ENV] = str(int(settings.memory_gib * 2**30))
        self.conn, theirs = _FORKSERVER.Pipe()
        self.proc = _FORKSERVER.Process(target=nbgrader_job.serve, args=(theirs,),
                                        kwargs={"cwd": REPO, "env": env}, name="autograde-worker")
        with _START_LOCK:
            self.proc.start()
        theirs.close()

    def alive(self) -> bool:
        return self.proc.is_alive()

    def grade(self, job: Job, template: Path, stop: threading.Event) -> RunOutcome:
        """One student: their kernel is held to the time and memory limits, not this worker."""
        shutil.copyfile(template, job.db)
        self.conn.send((autograde_argv(self.settings, job), str(job.log)))
        kernel: list[int] = []

        def wait(seconds: float) -> int | None:
            try:
                if not self.conn.poll(seconds):
                    return None if self.proc.is_alive() else self._died()
                kind, value = self.conn.recv()
            except (EOFError, OSError):
                return self._died()
            if kind == "kernel":
                kernel.append(value)
                return None
            return value

        return watch(self.proc.pid, wait, wall_seconds=self.settings.wall,
                     memory_bytes=int(self.settings.memory_gib * 2**30), stop=stop,
                     target=lambda: kernel[-1] if kernel else None)

    def _died(self) -> int:
        self.proc.join(5)
        return self.proc.exitcode if self.proc.exitcode is not None else -9

    def close(self) -> None:
        if self.proc.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.proc.join(30)
        if self.proc.is_alive():
            kill_tree(self.proc.pid)
            self.proc.join()
        self.conn.close()
        self.proc.close()


class Workers:
    """Idle workers for the pool threads; a worker that died is replaced by a new one."""

    def __init__(self, settings: Settings) -> None:
        self.settings, self.idle, self.all = settings, queue.SimpleQueue(), []
        self.lock = threading.Lock()

    def grade(self, job: Job, template: Path, stop: threading.Event) -> RunOutcome:
        try:
            worker = self.idle.get_nowait()
        except queue.Empty:
            worker = Worker(self.settings)
            with self.lock:
                self.all.append(worker)
        try:
            return worker.grade(job, template, stop)
        finally:
            if worker.alive():
                self.idle.put(worker)

    def close(self) -> None:
        with self.lock:
            for worker in self.all:
                worker.close()


def _conclude(settings: Settings, gb, job: Job, run: RunOutcome) -> StudentResult:
    """Classify one finished run and merge its gradebook entry (main thread only)."""
    result = StudentResult(job.student, "graded", seconds=round(run.seconds, 1),
                           peak_rss_gib=round(run.peak_rss / 2**30, 2),
                           fingerprint=job.fingerprint, log=str(job.log))
    autograded = settings.course.notebook("autograded", job.assignment, job.student)
    if run.returncode != 0 or run.killed or not autograded.is_file():
        log_text = job.log.read_text(errors="replace")
        result.outcome, result.reason = diagnose.failure(run, log_text, settings.memory_gib,
                                                         settings.wall)
        if run.killed:  # nbgrader had no chance to remove its partial output
            shutil.rmtree(autograded.parent, ignore_errors=True)
    else:
        result.problems = diagnose.cell_problems(autograded)
    record = gradebook_sync.read_submission(f"sqlite:///{job.db}", job.assignment, job.student)
    if record is not None:  # as nbgrader left it; a killed run wrote no trustworthy grades
        gradebook_sync.write_submission(gb, job.assignment, job.student, record,
                                        grades=not run.killed)
    return result


def sync_assignment(course: Course, assignment: str) -> None:
    """Put the current source notebook in the gradebook when it is missing or has changed."""
    source = course.notebook("source", assignment)
    if not source.is_file():
        raise SystemExit(f"no source notebook {source}")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    marker = status_path(course, assignment).with_suffix(".source")
    recorded = marker.read_text().strip() if marker.is_file() else ""
    if recorded != digest or not gradebook_sync.has_assignment(course.db_url, assignment):
        gradebook_sync.record_assignment(course, assignment)
        marker.write_text(digest + "\n")


@contextlib.contextmanager
def course_lock(course: Course) -> Iterator[None]:
    """One autograde run per course at a time (two would both write gradebook.db)."""
    lock_path = course.root / "reports" / "autograde" / ".lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit("another grader.autograde run is using this course") from None
        yield


def _plan(settings: Settings, assignment: str, students: list[str] | None,
          scratch: Path) -> tuple[list[Job], dict[str, StudentResult]]:
    """Jobs for the students to grade, and the earlier results that still stand."""
    course = settings.course
    previous = load_status(course, assignment)
    graded = set(gradebook_sync.scores(course.db_url, assignment))
    logs = status_path(course, assignment).parent / assignment
    logs.mkdir(parents=True, exist_ok=True)
    jobs, results = [], {}
    for student in students or submitted_students(course, assignment):
        fp = fingerprint(course, assignment, student)
        earlier = previous.get(student, {})
        if not settings.force and still_valid(course, assignment, student, earlier, fp, graded):
            results[student] = kept(earlier)
            continue
        jobs.append(Job(assignment, student, logs / f"{student}.log",
                        scratch / f"{assignment}--{student}.db", fp))
        results[student] = StudentResult(student, "queued")  # until merged: regrade if killed
    return jobs, results


def _run_pool(settings: Settings, jobs: list[Job], results: Results, template: Path,
              save) -> None:
    """Grade the jobs with settings.jobs workers; merge and save each result as it arrives."""
    stop = threading.Event()
    pool = cf.ThreadPoolExecutor(max_workers=settings.jobs, thread_name_prefix="autograde")
    workers = Workers(settings)
    grade = functools.partial(_grade, settings) if settings.stock_kernels else workers.grade
    try:
        futures = {pool.submit(grade, job, template, stop): job for job in jobs}
        collect(settings, futures, cf.as_completed, results, save)
    finally:
        stop.set()  # only matters when interrupted: running workers kill their process trees
        pool.shutdown(wait=True, cancel_futures=True)
        workers.close()


def collect(settings: Settings, futures: dict, as_completed, results: Results, save) -> None:
    """As each future (a RunOutcome, or an exception: the run was lost) completes, merge its
    student into gradebook.db, record the result and show the progress (main thread only)."""
    with (gradebook_sync.opened(settings.course.db_url, settings.course.course_id) as gb,
          Progress(len(futures)) as progress):
        for future in as_completed(futures):
            job = futures[future]
            try:
                run = future.result()
            except Exception as exc:  # e.g. the worker grading it died, twice
                result = StudentResult(job.student, "failed", fingerprint=job.fingerprint,
                                       reason=f"its grading run was lost: {type(exc).__name__}: "
                                              f"{str(exc)[:200]}; run again to regrade")
            else:
                result = _conclude(settings, gb, job, run)
            results[job.assignment][job.student] = result
            job.db.unlink(missing_ok=True)
            save(job.assignment)
            progress.finished(job.assignment, result)


def run(settings: Settings, assignments: list[str],
        students: list[str] | None = None) -> Results:
    """Autograde `students` (default: all who submitted) of each assignment; all in one pool."""
    use_venv_path()
    course, start = settings.course, time.monotonic()
    results: Results = {}

    def save(assignment: str) -> None:
        write_status(course, assignment, results[assignment],
                     {"jobs": settings.jobs, "wall_seconds": round(time.monotonic() - start, 1),
                      "sandbox": sandbox.describe(settings.sandbox)})

    # Private gradebooks go where every grading process can reach them: on a cluster, the
    # course directory (a shared filesystem); locally, the system's temporary directory.
    scratch = course.root / "reports" / "autograde" if settings.dask else None
    runner = _run_pool
    if settings.dask:
        from grader.classroom.cluster import run_on_cluster as runner  # imports distributed
    with (sandbox.required(settings.sandbox),  # refuses when it cannot be had
          course_lock(course),
          tempfile.TemporaryDirectory(prefix="autograde-", dir=scratch) as tmp):
        jobs: list[Job] = []
        for assignment in assignments:
            sync_assignment(course, assignment)
            todo, results[assignment] = _plan(settings, assignment, students, Path(tmp))
            jobs.extend(todo)
            save(assignment)
        template = Path(tmp) / "template.db"
        gradebook_sync.snapshot(course.db_path, template)
        try:
            runner(settings, jobs, results, template, save)
        finally:
            for assignment in assignments:
                save(assignment)
    return results


def format_table(course: Course, assignment: str, results: dict[str, StudentResult],
                 jobs: int | None = None) -> str:
    """The grade table of one assignment, then its timing summary."""
    scores = gradebook_sync.scores(course.db_url, assignment)
    lines = [f"{assignment}", f"{'student':<24} {'result':<9} {'score':>13} {'time':>7}  note",
             "-" * 100]
    for name, r in sorted(results.items()):
        got = scores.get(name)
        score = f"{got[0]:g} / {got[1]:g}" + ("*" if got[2] else " ") if got else "-"
        note = r.reason or "; ".join(r.problems)
        lines.append(f"{name:<24} {r.outcome:<9} {score:>13} {r.seconds:6.1f}s  {note}")
    ran = [r.seconds for r in results.values() if r.outcome not in ("unchanged", "queued")]
    if ran:
        at_once = f", {jobs} at a time" if jobs else ""
        lines.append(f"{len(ran)} notebook(s) graded{at_once}: "
                     f"{sum(ran) / len(ran):.1f} s per notebook on average "
                     f"(min {min(ran):.1f}, max {max(ran):.1f}), {sum(ran):.1f} s in all")
    lines.append("* no automatic score recorded: needs manual grading in nbgrader")
    return "\n".join(lines)
