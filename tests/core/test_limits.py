"""The one process watcher: limits on a whole tree, or on one target inside it."""

from __future__ import annotations

import subprocess
import sys
import threading

from grader.core.limits import watch

# A stand-in for a long-lived grading worker: it starts a "kernel" (sleep), waits for it, and
# exits 7 once the kernel is gone, as nbgrader goes on after a dead kernel.
WORKER = ("import subprocess, sys\n"
          "kernel = subprocess.Popen(['sleep', '60'])\n"
          "print(kernel.pid, flush=True)\n"
          "kernel.wait()\n"
          "sys.exit(7)\n")


def _worker() -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def _wait(proc: subprocess.Popen):
    def wait(seconds: float) -> int | None:
        try:
            return proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return None
    return wait


def test_time_limit_on_a_target_kills_only_the_target() -> None:
    proc, kernel = _worker()
    outcome = watch(proc.pid, _wait(proc), wall_seconds=1.0, memory_bytes=0,
                    target=lambda: kernel)
    assert outcome.killed == "time"
    assert outcome.returncode == 7  # the worker lived on and noticed its kernel's death


def test_stop_kills_the_whole_tree_even_with_a_target() -> None:
    proc, kernel = _worker()
    stop = threading.Event()
    stop.set()
    outcome = watch(proc.pid, _wait(proc), wall_seconds=60.0, memory_bytes=0, stop=stop,
                    target=lambda: kernel)
    assert outcome.killed == "interrupted"
    assert outcome.returncode == -9  # the worker itself was killed


def test_memory_limit_applies_to_the_target_tree() -> None:
    proc, kernel = _worker()
    outcome = watch(proc.pid, _wait(proc), wall_seconds=60.0, memory_bytes=1,
                    target=lambda: kernel)
    assert outcome.killed == "memory" and f"pid {kernel}" in outcome.culprit
    assert outcome.returncode == 7
