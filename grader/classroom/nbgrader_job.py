"""nbgrader commands, run in forked worker processes whose parent imported nbgrader once.

Importing nbgrader (nbconvert, jupyter_client, SQLAlchemy...) costs about 3 s of CPU; a class of
400 would pay it 400 times. grader.autograde starts its workers from a multiprocessing
"forkserver" that has preloaded this module, so each worker is a fork with nbgrader already
imported, and runs exactly what the `nbgrader` command line runs (NbGraderApp.launch_instance).

Two ways: `run` is one command in a process of its own (stock kernels: the process and the
kernel it starts share one memory and time budget); `serve` is a long-lived worker that grades
one student after another, sent over a pipe, with kernels forked from a preloaded template
(grader.classroom.forkkernel). It reports each kernel's pid to the parent, which holds the
student's time and memory limits on that kernel alone.
On a Dask worker `run` runs as `python -m grader.classroom.nbgrader_job`, its
arguments as JSON on stdin (grader.classroom.cluster).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

from nbgrader.apps.autogradeapp import AutogradeApp
from nbgrader.apps.nbgraderapp import NbGraderApp

from grader.classroom import forkkernel, sandbox
from grader.core.limits import apply_in_child


def _redirect_output(log: Path) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def run(argv: list[str], *, cwd: Path, log: Path, env: dict[str, str], data_bytes: int) -> None:
    """`nbgrader ARGV` in this process, output to `log`, under the memory limit (exits)."""
    os.setsid()  # a session of its own, like a command started from a shell
    apply_in_child(data_bytes)
    _redirect_output(log)
    os.chdir(cwd)  # where nbgrader_config.py is found
    os.environ.clear()
    os.environ.update(env)  # the kernel nbgrader starts inherits this environment
    sys.argv = ["nbgrader", *argv]
    sandbox.use_by_default()  # a stock kernel, caged when the run is sandboxed
    sandbox.sandboxcage.become_subreaper()
    try:
        NbGraderApp.launch_instance(argv)
    finally:
        sandbox.sandboxcage.end_strays(set())  # what the kernel left running


def _handlers() -> dict[str, list[logging.Handler]]:
    loggers = [logging.getLogger(), *(logging.getLogger(name)
                                      for name in logging.root.manager.loggerDict)]
    return {logger.name: list(logger.handlers) for logger in loggers}


def _forget_app(handlers_before: dict[str, list[logging.Handler]]) -> None:
    """Undo what one NbGraderApp left behind: its singletons and the log handlers it added."""
    for name, handlers in _handlers().items():
        logger = logging.getLogger(name) if name != "root" else logging.getLogger()
        for handler in handlers:
            if handler not in handlers_before.get(name, []):
                logger.removeHandler(handler)
                handler.close()
    AutogradeApp.clear_instance()
    NbGraderApp.clear_instance()


def one_command(argv: list[str]) -> int:
    """`nbgrader ARGV` in this process, as the command line runs it; its exit status."""
    before = _handlers()
    sys.argv = ["nbgrader", *argv]
    try:
        NbGraderApp.launch_instance(argv)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - this student's run failed; the next one goes on
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        _forget_app(before)


def serve(conn: Connection, *, cwd: Path, env: dict[str, str]) -> None:
    """Grade (argv, log) jobs from `conn` until None arrives; report each kernel and each end.

    Messages to the parent: ("kernel", pid) when a kernel starts, ("done", exit status) when a
    student's command ends.
    """
    os.setsid()
    apply_in_child(0)  # dies with its parent; the memory limit is each kernel's (forkkernel)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    forkkernel.use_by_default()
    forkkernel.launched.append(lambda pid: conn.send(("kernel", pid)))
    forkkernel.start_template()  # preloads while the first student's nbgrader run starts
    try:
        while (job := conn.recv()) is not None:
            argv, log = job
            _redirect_output(Path(log))
            conn.send(("done", one_command(argv)))
    finally:
        forkkernel.stop_template()


if __name__ == "__main__":
    request = json.load(sys.stdin)
    run(request["argv"], cwd=Path(request["cwd"]), log=Path(request["log"]), env=request["env"],
        data_bytes=request["data_bytes"])
