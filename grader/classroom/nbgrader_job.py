"""One nbgrader command, run in a forked worker process whose parent imported nbgrader once.

Importing nbgrader (nbconvert, jupyter_client, SQLAlchemy...) costs about 3 s of CPU; a class of
400 would pay it 400 times. grader.autograde starts its workers from a multiprocessing
"forkserver" that has preloaded this module, so each worker is a fork with nbgrader already
imported, and runs exactly what the `nbgrader` command line runs (NbGraderApp.launch_instance).
On a Dask worker the same function runs as `python -m grader.classroom.nbgrader_job`, its
arguments as JSON on stdin (grader.classroom.cluster).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from nbgrader.apps.nbgraderapp import NbGraderApp

from grader.core.limits import apply_in_child


def run(argv: list[str], *, cwd: Path, log: Path, env: dict[str, str], data_bytes: int) -> None:
    """`nbgrader ARGV` in this process, output to `log`, under the memory limit (exits)."""
    os.setsid()  # a session of its own, like a command started from a shell
    apply_in_child(data_bytes)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.chdir(cwd)  # where nbgrader_config.py is found
    os.environ.clear()
    os.environ.update(env)  # the kernel nbgrader starts inherits this environment
    sys.argv = ["nbgrader", *argv]
    NbGraderApp.launch_instance(argv)


if __name__ == "__main__":
    request = json.load(sys.stdin)
    run(request["argv"], cwd=Path(request["cwd"]), log=Path(request["log"]), env=request["env"],
        data_bytes=request["data_bytes"])
