"""Grading jobs on this machine: `jobs` workers at a time, each a long-lived nbgrader process
(nbgrader_job.serve) grading a queue of students with kernels forked from a preloaded template
(forkkernel), the limits applied to each student's kernel; or, with `stock_kernels`, a forked
nbgrader process per student that starts a stock kernel, the limits covering both
(nbgrader_job.run)."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import multiprocessing
import queue
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from grader.classroom import forkkernel, nbgrader_job
from grader.classroom.course import REPO
from grader.classroom.jobs import Job, Results, Settings, autograde_argv, job_environ
from grader.classroom.results import collect
from grader.core.limits import RunOutcome, kill_tree, watch

_FORKSERVER = multiprocessing.get_context("forkserver")


_FORKSERVER.set_forkserver_preload(["grader.classroom.nbgrader_job"])


_START_LOCK = threading.Lock()  # Process.start() from several pool threads


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


def run_pool(settings: Settings, jobs: list[Job], results: Results, template: Path,
             save: Callable[[str], None]) -> None:
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
