"""The command line: `python -m grader list` and `python -m grader check TASK PATH`.

check runs the public checks, as check() does in a notebook (`--hidden`: the hidden ones, as
grade() does), prints one JSON object on stdout and exits 0 (passed), 1 (failed, including a
crashing, hanging or memory-hungry submission) or 2 (usage error: an unknown task, a file that
cannot be read). The submission runs in a child process (grader.core.worker) under a wall-clock
(--wall) and a memory (--memory-gib) limit, so whatever it does, this process survives to report
it. This module and grader.core.limits import only the standard library, except to describe a
worker that died.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from grader.core import commandline
from grader.core.limits import watch

# The check itself stops at this share of --wall, so that TIMEOUT can name the line it was on
# before the watcher has to kill the worker.
CHECK_SHARE = 0.9


def _failure(task: str, device: str | None, code: str, message: str) -> dict:
    """A verdict for a worker that never replied (the only path here that imports torch)."""
    from grader.core.catalogue import get_task
    from grader.core.runner import default_device

    return {"task": task, "passed": False, "score": 0.0, "max_score": get_task(task).points,
            "device": device or default_device(),
            "findings": [{"code": code, "message": message}]}


def _watch(proc: subprocess.Popen, seconds: float, max_bytes: int) -> str | None:
    """Wait for the worker under the course's one process watcher; on a limit, also kill its
    whole session (a grandchild that left the tree). Returns the limit hit, if any."""

    def wait(timeout: float) -> int | None:
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    hit = watch(proc.pid, wait, wall_seconds=seconds, memory_bytes=max_bytes).killed
    if hit:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return hit


def run_worker(args: argparse.Namespace) -> dict:
    """Run one check in a child process and return its reply (or a failure describing its end)."""
    read_fd, write_fd = os.pipe()
    request = {"task": args.task, "path": str(args.path), "device": args.device,
               "strict": args.hidden, "seconds": args.wall * CHECK_SHARE, "result_fd": write_fd}
    proc = subprocess.Popen([sys.executable, "-m", "grader.core.worker"], stdin=subprocess.PIPE,
                            pass_fds=(write_fd,), start_new_session=True)
    os.close(write_fd)
    proc.stdin.write(json.dumps(request).encode())
    proc.stdin.close()
    hit = _watch(proc, args.wall, int(args.memory_gib * 2**30))
    with os.fdopen(read_fd) as pipe:
        text = pipe.read()
    if hit == "time":
        return _failure(args.task, args.device, "TIMEOUT",
                        f"the check did not finish within {args.wall:g} s and was stopped; "
                        "look for a loop that never ends.")
    if hit == "memory":
        return _failure(args.task, args.device, "SUBMISSION_ERROR",
                        f"the submission used more than {args.memory_gib:g} GiB of memory "
                        "and was stopped.")
    try:
        return json.loads(text)
    except ValueError:
        return _failure(args.task, args.device, "SUBMISSION_ERROR",
                        f"the submission ended the grading process (exit status "
                        f"{proc.returncode}) before a verdict, e.g. with os._exit() or a crash.")


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("", __doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the task ids, one per line")
    check = sub.add_parser("check", help="check one task of a .py or .ipynb submission")
    check.add_argument("task", help="task id, e.g. mnist.train_one_epoch (see `list`)")
    check.add_argument("path", type=Path, help="the student's .py file or .ipynb notebook")
    check.add_argument("--device", choices=["cpu", "cuda"], default=None,
                       help="where to run the check (default: cuda when available, else cpu)")
    check.add_argument("--hidden", action="store_true",
                       help="run the hidden checks grade() runs (default: the public checks)")
    check.add_argument("--wall", type=float, default=60.0,
                       help="seconds for the whole check before it is stopped with TIMEOUT "
                            "(default 60)")
    check.add_argument("--memory-gib", type=float, default=4.0,
                       help="resident memory limit of the submission in GiB (default 4)")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.command == "list":
        from grader.core.catalogue import all_tasks

        print("\n".join(all_tasks()))
        return commandline.DONE
    if not args.path.is_file() or not os.access(args.path, os.R_OK):
        p.error(f"cannot read {args.path}")
    reply = run_worker(args)
    if "usage_error" in reply:
        p.error(reply["usage_error"])
    print(json.dumps(reply))
    return commandline.DONE if reply["passed"] else commandline.FAILED
