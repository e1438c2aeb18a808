"""Serve the course to a class on this machine with JupyterHub (run as root).

    python -m grader.hub serve --roster class.csv             # http://127.0.0.1:8000
    python -m grader.hub serve --roster class.csv --ip 0.0.0.0 --port 8000 --dir /srv/course
    python -m grader.hub remove --dir /srv/course             # accounts it made, the folder

`serve` makes a Unix account for everyone on the roster who lacks one (format:
grader/classroom/hubroster.py), sets up nbgrader's exchange, the students' and the instructor's
environments and the instructor's course folder (layout: grader/classroom/hubsetup.py), then
runs JupyterHub in the foreground (configuration: grader/classroom/hubconfig.py); the hub
listens on --port, its API on --port + 1 and the proxy's API on --port + 2, all on 127.0.0.1 but
the first. Ctrl-C stops the hub and every user's server. `remove` deletes the accounts `serve`
made (with their homes and processes) and the hub folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from grader.classroom import hubconfig, hubsetup
from grader.classroom.course import Course
from grader.classroom.hubroster import RosterError, read_roster
from grader.core import commandline
from grader.core.paths import REPO

DEFAULT_DIR = Path("/srv/pytorch-basics")
PROXY = REPO / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"


def _proxy() -> Path | None:
    if PROXY.exists():
        return PROXY
    found = shutil.which("configurable-http-proxy")
    return Path(found) if found else None


def _as_root() -> bool:
    if os.geteuid() == 0:
        return True
    commandline.error("the hub must run as root: it creates Unix accounts and starts each "
                      "user's server as that user (sudo make hub)")
    return False


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if not args.roster.is_file():
        parser.error(f"no roster file {args.roster}")
    try:
        roster = read_roster(args.roster)
    except RosterError as exc:
        parser.error(str(exc))
    if not _as_root():
        return commandline.FAILED
    proxy = _proxy()
    if proxy is None:
        return commandline.error("configurable-http-proxy not found: run `make hub-proxy` (npm)")
    folder = hubsetup.HubFolder(args.dir.resolve())
    course = Course(args.root)
    try:
        hubsetup.prepare(folder, roster, course)
    except (hubsetup.HubSetupError, OSError) as exc:
        return commandline.error(str(exc))
    for path in hubsetup.readable_secrets(course.root):
        print(f"warning: {path} is readable by every account, students included "
              f"(chmod -R o-rwx {path})", file=sys.stderr)
    values = hubconfig.settings(
        folder, ip=args.ip, port=args.port, hub_port=args.port + 1,
        proxy_api_port=args.port + 2, proxy=proxy, course_id=course.course_id,
        instructor=roster.instructor.username, students=[p.username for p in roster.students])
    config = hubconfig.write(folder, values)
    print(f"JupyterHub for {course.course_id} on http://{args.ip}:{args.port} "
          f"({len(roster.students)} students, instructor {roster.instructor.username}; "
          f"hub folder {folder.root})", flush=True)
    os.chdir(folder.hub)
    os.execv(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", str(config)])
    return 0  # not reached: the hub replaces this process


def _remove(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    folder = hubsetup.HubFolder(args.dir.resolve())
    if not _as_root():
        return commandline.FAILED
    if not (folder.hub / "settings.json").exists() and not (folder.hub / "created-users.txt"
                                                           ).exists():
        parser.error(f"{folder.root} is not a hub folder made by `serve`")
    try:
        removed = hubsetup.remove(folder)
    except OSError as exc:
        return commandline.error(str(exc))
    print(f"removed {folder.root} and the accounts {', '.join(removed) or '(none)'}")
    return commandline.DONE


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("hub", __doc__)
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="set up and run the hub in the foreground")
    serve.add_argument("--roster", type=Path, required=True, help="CSV: username,role,password")
    serve.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                       help=f"the hub folder (default: {DEFAULT_DIR})")
    serve.add_argument("--ip", default="127.0.0.1",
                       help="address to serve on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="public port (default: %(default)s)")
    commandline.add_root(serve)
    remove = sub.add_parser("remove", help="remove the accounts and the folder `serve` made")
    remove.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help=f"the hub folder (default: {DEFAULT_DIR})")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    return (_serve if args.command == "serve" else _remove)(args, p)


if __name__ == "__main__":
    sys.exit(main())
