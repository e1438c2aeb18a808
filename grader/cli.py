"""The command line: `python -m grader list` and `python -m grader check TASK PATH`.

check prints one JSON object on stdout and exits 0 (passed), 1 (failed, including a crashing,
hanging or memory-hungry submission) or 2 (usage error, one line on stderr). The submission runs
in a child process (grader.core.worker) under a wall-clock and a memory limit, so whatever it does,
this process survives to report it. This module and grader.core.limits import only the
standard library, except to describe a worker that died.
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

from grader.core.limits import watch


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
               "strict": not args.public, "seconds": args.timeout * 0.9, "result_fd": write_fd}
    proc = subprocess.Popen([sys.executable, "-m", "grader.core.worker"], stdin=subprocess.PIPE,
                            pass_fds=(write_fd,), start_new_session=True)
    os.close(write_fd)
    proc.stdin.write(json.dumps(request).encode())
    proc.stdin.close()
    hit = _watch(proc, args.timeout, int(args.memory_gb * 2**30))
    with os.fdopen(read_fd) as pipe:
        text = pipe.read()
    if hit == "time":
        return _failure(args.task, args.device, "TIMEOUT",
                        f"the check did not finish within {args.timeout:g} s and was stopped; "
                        "look for a loop that never ends.")
    if hit == "memory":
        return _failure(args.task, args.device, "SUBMISSION_ERROR",
                        f"the submission used more than {args.memory_gb:g} GiB of memory "
                        "and was stopped.")
    try:
        return json.loads(text)
    except ValueError:
        return _failure(args.task, args.device, "SUBMISSION_ERROR",
                        f"the submission ended the grading process (exit status "
                        f"{proc.returncode}) before a verdict, e.g. with os._exit() or a crash.")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader",
                                     description="Autograder of the PyTorch basics course.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the task ids, one per line")
    check = sub.add_parser("check", help="check one task of a .py or .ipynb submission")
    check.add_argument("task", help="task id, e.g. mnist.train_one_epoch (see `list`)")
    check.add_argument("path", type=Path, help="the student's .py file or .ipynb notebook")
    check.add_argument("--device", choices=["cpu", "cuda"], default=None,
                       help="where to run the check (default: cuda when available, else cpu)")
    check.add_argument("--public", action="store_true",
                       help="run only the public checks students see (default: all checks)")
    check.add_argument("--timeout", type=float, default=60.0,
                       help="seconds before the check is stopped with TIMEOUT (default 60)")
    check.add_argument("--memory-gb", type=float, default=4.0,
                       help="resident memory limit of the submission in GiB (default 4)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        from grader.core.catalogue import all_tasks

        print("\n".join(all_tasks()))
        return 0
    if not args.path.is_file() or not os.access(args.path, os.R_OK):
        print(f"error: cannot read {args.path}", file=sys.stderr)
        return 2
    reply = run_worker(args)
    if "usage_error" in reply:
        print(f"error: {reply['usage_error']}", file=sys.stderr)
        return 2
    print(json.dumps(reply))
    return 0 if reply["passed"] else 1
