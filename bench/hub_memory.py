"""Memory of a class on `python -m grader.hub`: N idle single-user servers, measured, and 30.

    sudo .venv/bin/python bench/hub_memory.py            # 4 students + the instructor
    sudo .venv/bin/python bench/hub_memory.py --students 30

Starts the hub for throw-away accounts, logs everyone in over HTTP and starts their servers,
waits until they are idle, then sums each user's processes' PSS (proportional set size: shared
pages split between the processes that share them, so the sums add up) and RSS; then again with
one idle kernel per student. Prints the figures and the arithmetic for a class of 30. Removes the
accounts, processes and folders it made at the end.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from grader.classroom import hubsetup
from grader.classroom.hubclient import HubUser
from grader.classroom.hubroster import processes_of
from grader.core.paths import REPO

MIB = 1024 * 1024


def _kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def usage(username: str) -> tuple[float, float, int]:
    """(PSS MiB, RSS MiB, processes) of everything running as `username`."""
    pids = processes_of(username)
    return (sum(_kib(p, "Pss") for p in pids) / 1024, sum(_kib(p, "Rss") for p in pids) / 1024,
            len(pids))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _table(title: str, names: list[str]) -> list[float]:
    print(f"\n{title}")
    pss_all = []
    for name in names:
        pss, rss, n = usage(name)
        pss_all.append(pss)
        print(f"  {name:24} PSS {pss:7.1f} MiB  RSS {rss:7.1f} MiB  ({n} processes)")
    return pss_all


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds to wait idle")
    args = parser.parse_args()
    tag = secrets.token_hex(3)
    teacher = f"memteach{tag}"
    students = [f"mem{i:02d}{tag}" for i in range(args.students)]
    passwords = {n: secrets.token_urlsafe(10) for n in [teacher, *students]}
    root = Path(tempfile.mkdtemp(prefix="grader-hub-bench-", dir="/tmp"))
    os.chmod(root, 0o755)
    folder = hubsetup.HubFolder(root / "srv")
    with open(root / "roster.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["username", "role", "password"])
        w.writerow([teacher, "instructor", passwords[teacher]])
        w.writerows([s, "student", passwords[s]] for s in students)
    port = _port()
    log = open(root / "hub.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "grader.hub", "serve", "--roster",
                             str(root / "roster.csv"), "--dir", str(folder.root), "--port",
                             str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if requests.get(f"{base}/hub/login", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                if proc.poll() is not None:
                    print((root / "hub.log").read_text()[-3000:])
                    return 1
                time.sleep(1)
        hub_pss = sum(_kib(p, "Pss") for p in [proc.pid]) / 1024
        users = {n: HubUser(base, n, passwords[n]) for n in [teacher, *students]}
        spawn = []
        for user in users.values():
            user.log_in()
            spawn.append(user.start_server())
        print(f"{len(users)} servers started, {sum(spawn) / len(spawn):.1f} s each on average "
              f"(one after another; the first {spawn[0]:.1f} s)")
        time.sleep(args.idle)
        server = _table("idle servers, no kernel:", students)
        for name in students:
            users[name].api("POST", f"/user/{name}/api/kernels", json={"name": "python3"})
        time.sleep(args.idle)
        kernel = _table("idle servers, one idle kernel each:", students)
        teacher_pss = usage(teacher)[0]
        per_server, per_kernel = sum(server) / len(server), sum(kernel) / len(kernel)
        print(f"\nhub process {hub_pss:.0f} MiB; instructor's server {teacher_pss:.0f} MiB")
        print(f"per student: {per_server:.0f} MiB idle server, {per_kernel:.0f} MiB with an "
              "idle kernel")
        print(f"a class of 30: 30 x {per_server:.0f} = {30 * per_server:.0f} MiB of idle "
              f"servers; 30 x {per_kernel:.0f} = {30 * per_kernel:.0f} MiB with a kernel each "
              f"(+ hub and instructor, {hub_pss + teacher_pss:.0f} MiB)")
        return 0
    finally:
        hubsetup.stop(proc, folder)
        log.close()
        hubsetup.remove(folder)
        subprocess.run(["rm", "-rf", str(root)], check=False)


if __name__ == "__main__":
    sys.exit(main())
