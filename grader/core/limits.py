"""Limits for a process and everything it starts: wall-clock time and memory, whole tree.

Used for the process that runs `nbgrader autograde` for one student, or, when one long-lived
nbgrader process grades many students, for the kernel of the student being graded (`target`):
then only that kernel is killed and the worker goes on with the next student. nbgrader starts a
Jupyter kernel in a session of its own, so the limits follow every descendant, not a process
group:

- RLIMIT_DATA (set in the process, inherited by the kernel) makes an allocation beyond the
  limit fail inside the kernel: Python raises MemoryError, torch a RuntimeError ("can't allocate
  memory"); the cell errors and the kernel lives on, so only that cell loses its points.
  Measured with CPU torch. It is left off where an NVIDIA GPU is visible: CUDA reserves large
  address ranges (RLIMIT_AS is known to break it), so there only the RSS watch applies.
- The parent polls the resident memory of every process in the tree and SIGKILLs one that
  exceeds the limit (what RLIMIT_DATA does not count: shared mappings, device drivers...).
- The wall-clock limit kills the whole tree. The process gets PR_SET_PDEATHSIG, so it dies with
  its parent, and the kernel follows (ipykernel exits when its parent process is gone).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.2
_PAGE = os.sysconf("SC_PAGE_SIZE")
_PR_SET_PDEATHSIG = 1


@dataclass
class RunOutcome:
    """How a limited run ended."""

    returncode: int | None
    seconds: float
    killed: str | None = None  # "memory", "time" or "interrupted" when it was stopped
    peak_rss: int = 0  # bytes, the largest resident size seen of any one process in the tree
    culprit: str = ""  # the process killed for memory: "pid 123 (ipykernel_launcher), 4.2 GiB"


def gpu_visible() -> bool:
    """Whether an NVIDIA GPU may be used by the kernels (then RLIMIT_DATA is not applied)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return Path("/dev/nvidiactl").exists()


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process (Linux /proc)."""
    table: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ..."; comm may contain spaces or parentheses: split after ")"
        fields = stat[stat.rfind(b")") + 2:].split()
        table[int(entry.name)] = int(fields[1])
    return table


def descendants(pid: int) -> list[int]:
    """pid and every process below it, parents before children."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_bytes(pid: int) -> int:
    """Resident memory of one process; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            parts = f.read().split(b"\0")
        return " ".join(p.decode(errors="replace") for p in parts[:3] if p)[:80]
    except OSError:
        return "?"


def kill_tree(pid: int) -> None:
    """SIGKILL pid and all its descendants (children first found, then killed together)."""
    for member in reversed(descendants(pid)):
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _over_memory(pid: int, limit: int, outcome: RunOutcome) -> bool:
    """Kill the first process of the tree above `limit` bytes; record the peak either way."""
    for member in descendants(pid):
        rss = rss_bytes(member)
        outcome.peak_rss = max(outcome.peak_rss, rss)
        if limit and rss > limit:
            outcome.culprit = f"pid {member} ({_name(member)}), {rss / 2**30:.1f} GiB"
            os.kill(member, signal.SIGKILL)
            return True
    return False


def apply_in_child(data_bytes: int) -> None:
    """In the process about to run the command: RLIMIT_DATA, no core dumps, die with the parent."""
    if data_bytes:
        resource.setrlimit(resource.RLIMIT_DATA, (data_bytes, data_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from crashing kernels
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


KILLED_GRACE_SECONDS = 60.0  # after killing a target, how long its parent may take to notice


def watch(pid: int, wait: Callable[[float], int | None], *, wall_seconds: float,
          memory_bytes: int, stop: threading.Event | None = None,
          target: Callable[[], int | None] | None = None) -> RunOutcome:
    """Wait for the run in process `pid` to end (`wait(seconds)` returns its exit status or
    None), enforcing the wall-clock and memory limits on the tree of `target()` (default: the
    whole tree of `pid`; None while there is nothing to watch yet), and killing everything
    under `pid` when `stop` is set or when `pid` does not notice a killed target in time."""
    start = time.monotonic()
    outcome = RunOutcome(returncode=None, seconds=0.0)
    limited = target or (lambda: pid)
    killed_at = 0.0
    try:
        while (code := wait(POLL_SECONDS)) is None:
            root = limited()
            if stop is not None and stop.is_set():
                outcome.killed = "interrupted"
                kill_tree(pid)
            elif outcome.killed and time.monotonic() - killed_at > KILLED_GRACE_SECONDS:
                kill_tree(pid)
            elif outcome.killed is None and time.monotonic() - start > wall_seconds:
                outcome.killed, killed_at = "time", time.monotonic()
                kill_tree(root or pid)
            elif (outcome.killed is None and root is not None
                  and _over_memory(root, memory_bytes, outcome)):
                outcome.killed, killed_at = "memory", time.monotonic()  # nbgrader notices
    except BaseException:  # the parent is being interrupted: take the tree down with it
        kill_tree(pid)
        raise
    outcome.returncode = code
    outcome.seconds = time.monotonic() - start
    return outcome
