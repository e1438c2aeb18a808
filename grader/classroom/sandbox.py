"""What a student's kernel may touch while it is graded, and the scratch folder it works in.

grader.autograde grades every student's notebook in a sandbox (grader/classroom/sandboxcage.py
applies it; this module decides what goes in it):

- read only: the system's programs and libraries (/usr, /lib, /etc, /proc, /sys), Python, the
  venv, the grader package and the datasets folder (data_cache/ or COURSE_DATA_DIR);
- read and write: a scratch folder of its own (the kernel's cwd, HOME and TMPDIR), holding a
  copy of what nbgrader put beside the notebook; a few devices (/dev/null..., NVIDIA's);
- nothing else: not the course root (solutions/, gradebook.db, submitted/, autograded/,
  feedback/, reports/), not the grading run's private gradebooks, not /tmp, /dev/shm or any
  home folder;
- TCP: bind only the kernel's own five ZMQ ports (nbgrader connects to them), connect nowhere;
- under root, the kernel runs as nobody.

It is switched on by GRADER_SANDBOX=cage in the environment of the process that starts kernels
(grader.autograde sets it), for forked kernels (forkkernel.ForkingProvisioner) and stock ones
(SandboxProvisioner, registered as `grader-sandbox-provisioner`, wrapping the kernel's command
in sandboxcage.py). GRADER_SANDBOX=off records that the instructor accepted grading without it.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from grader.classroom import sandboxcage
from grader.classroom.course import CourseError
from grader.core import layout
from grader.core.paths import REPO

NAME = "grader-sandbox-provisioner"
ENV = "GRADER_SANDBOX"
SCRATCH_ENV = "GRADER_SANDBOX_SCRATCH"  # where a grading run's kernels make their scratch folders
ON, OFF = "cage", "off"
CAGE_SCRIPT = pathlib.Path(sandboxcage.__file__)
PACKAGE = pathlib.Path(__file__).resolve().parent.parent  # grader/
SYSTEM = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/proc", "/sys"]
DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]
NOBODY = (65534, 65534)
PORT_KEYS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
RISK_FLAG = "--unsandboxed-students-can-read-solutions"
RISK = ("UNSANDBOXED: student code ran as the grader: it could read solutions/, gradebook.db and "
        "other students' work, and write into the course")


def data_dir() -> str:
    """The datasets folder the notebooks read (grader.data.DATA_DIR, without importing torch)."""
    return os.environ.get("COURSE_DATA_DIR", str(REPO / "data_cache"))


def readable() -> list[str]:
    """Folders a kernel may read and run from: the system, Python's prefixes, every
    site-packages folder on sys.path (a venv may reach another's packages through a .pth file,
    as the JupyterHub environments do), the grader package, the datasets and the released
    notebooks (what every student received; ready() reads its exercise numbers there)."""
    python = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    packages = {entry for entry in sys.path
                if pathlib.Path(entry).name in ("site-packages", "dist-packages")
                and pathlib.Path(entry).is_dir()}
    released = str(REPO / layout.FOLDERS["release"])
    return [*SYSTEM, *sorted(python | packages), str(PACKAGE), data_dir(), released]


def spec(scratch: str, ports: list[int]) -> dict:
    """The cage of one kernel (sandboxcage.apply's argument)."""
    return {"read": readable(), "write": [scratch],
            "devices": DEVICES + sorted(glob.glob("/dev/nvidia*")), "bind_tcp": ports,
            "user": list(NOBODY) if os.geteuid() == 0 else None}


def enabled() -> bool:
    return os.environ.get(ENV) == ON


def environ(sandboxed: bool) -> dict[str, str]:
    """The variable that tells the kernels of a grading run whether to sandbox them."""
    return {ENV: ON if sandboxed else OFF}


def unavailable() -> str | None:
    """Why no sandbox can be had on this machine (None: it can). Tries the cage for real."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (Landlock), not {sys.platform}"
    abi = sandboxcage.landlock_abi()
    if abi < sandboxcage.ABI_NEEDED:
        return (f"this Linux offers Landlock ABI {abi}; the sandbox needs "
                f"{sandboxcage.ABI_NEEDED} (Linux 6.12 or later, with Landlock enabled)")
    with tempfile.TemporaryDirectory(prefix="grader-sandbox-check-") as scratch:
        _hand_over(pathlib.Path(scratch))
        trial = "import importlib.util as u, sys; [open(u.find_spec(m).origin).close() " \
                "for m in ('torch', 'grader', 'ipykernel')]; open(sys.argv[1]).close()"
        probe = str(PACKAGE / "__init__.py")
        proc = subprocess.run([sys.executable, str(CAGE_SCRIPT), json.dumps(spec(scratch, [])),
                               "--", sys.executable, "-c", trial, probe],
                              cwd=scratch, capture_output=True, text=True, timeout=60)
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        who = "nobody (the sandbox's user under root)" if os.geteuid() == 0 else "the sandbox"
        return (f"{who} cannot start Python and read the grader, torch and ipykernel: {last} "
                "(they must be readable by others: chmod -R o+rX on the venv and the course's "
                "grader/ folder)")
    return None


def _hand_over(folder: pathlib.Path) -> None:
    """Give `folder` and all below it to the sandbox's user (under root)."""
    if os.geteuid() != 0:
        return
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, *NOBODY, follow_symlinks=False)


@dataclass
class Kernel:
    """A kernel launch, rewritten to run caged: its command, environment, cwd and cage."""

    cmd: list[str]
    env: dict[str, str]
    cwd: str
    cage: dict | None = None
    scratch: str | None = None


def _seed_caches(env: dict[str, str], home: pathlib.Path) -> None:
    """Copy matplotlib's font list into the new HOME: without it, every kernel would spend a
    second or more rebuilding it (a few hundred kB; read-only for the student's purposes)."""
    cache = pathlib.Path(env.get("XDG_CACHE_HOME") or pathlib.Path(env.get("HOME", "/")) /
                         ".cache") / "matplotlib"
    found = sorted(cache.glob("fontlist-*.json")) if cache.is_dir() else []
    if found:
        (home / ".cache" / "matplotlib").mkdir(parents=True)
        for path in found:
            shutil.copyfile(path, home / ".cache" / "matplotlib" / path.name)


def _connection_file(cmd: list[str]) -> str | None:
    for flag in ("-f", "--f"):
        if flag in cmd[:-1]:
            return cmd[cmd.index(flag) + 1]
    return next((part.split("=", 1)[1] for part in cmd if part.startswith("--f=")), None)


def prepare(cmd: list[str], env: dict[str, str], cwd: str) -> Kernel:
    """The kernel as it runs in its sandbox: a new scratch folder with a copy of `cwd`, the
    connection file copied in, HOME and TMPDIR there; unchanged when the sandbox is off."""
    env = {k: v for k, v in env.items() if k not in (ENV, SCRATCH_ENV)}
    if not enabled():
        return Kernel(cmd, env, cwd)
    connection = _connection_file(cmd)
    if connection is None:
        raise RuntimeError(f"no connection file in the kernel command {cmd}")
    info = json.loads(pathlib.Path(connection).read_text())
    if info.get("transport", "tcp") != "tcp":
        raise RuntimeError(f"the sandbox allows the kernel TCP only, not {info['transport']}")
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="grader-kernel-",
                                            dir=os.environ.get(SCRATCH_ENV) or None))
    shutil.copytree(cwd, scratch, dirs_exist_ok=True, symlinks=True)
    scratch.chmod(0o700)  # copytree gave it the mode of cwd
    for folder in (".home", ".tmp"):
        (scratch / folder).mkdir(exist_ok=True)
    _seed_caches(env, scratch / ".home")
    inside = scratch / ".kernel.json"
    shutil.copyfile(connection, inside)
    _hand_over(scratch)
    cmd = [str(inside) if part == connection else
           f"--f={inside}" if part == f"--f={connection}" else part for part in cmd]
    env.update(HOME=str(scratch / ".home"), TMPDIR=str(scratch / ".tmp"))
    cage = spec(str(scratch), [int(info[key]) for key in PORT_KEYS])
    return Kernel(cmd, env, str(scratch), cage, str(scratch))


def discard(kernel: Kernel | None) -> None:
    """Remove a kernel's scratch folder (what the student's code wrote goes with it)."""
    if kernel is not None and kernel.scratch:
        shutil.rmtree(kernel.scratch, ignore_errors=True)


class SandboxProvisioner(LocalProvisioner):
    """LocalProvisioner whose kernels start caged when GRADER_SANDBOX=cage."""

    kernel: Kernel | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        env = dict(kwargs.get("env") or os.environ)
        self.kernel = prepare(cmd, env, str(kwargs.get("cwd") or os.getcwd()))
        if self.kernel.cage is not None:
            cmd = [sys.executable, str(CAGE_SCRIPT), json.dumps(self.kernel.cage), "--",
                   *self.kernel.cmd]
            kwargs.update(env=self.kernel.env, cwd=self.kernel.cwd)
        return await super().launch_kernel(cmd, **kwargs)

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart)
        discard(self.kernel)
        self.kernel = None


def use_by_default() -> None:
    """Make this provisioner the default for kernelspecs that name none, in this process only."""
    from jupyter_client.provisioning import KernelProvisionerFactory

    KernelProvisionerFactory.instance().default_provisioner_name = NAME


def describe(sandboxed: bool) -> str:
    """One line for the grade table and the status file."""
    return "sandboxed: each kernel caged (sandboxcage.py)" if sandboxed else RISK


@contextlib.contextmanager
def required(sandboxed: bool) -> Iterator[None]:
    """While grading: stop first when a sandbox is wanted and cannot be had; meanwhile tell
    the kernels this process starts (GRADER_SANDBOX) whether to cage them."""
    if sandboxed and (reason := unavailable()):
        raise CourseError(f"student code cannot be sandboxed here: {reason}. Grading "
                         f"without a sandbox lets it read solutions/ and change gradebook.db; "
                         f"to accept that, pass {RISK_FLAG}")
    before = {key: os.environ.get(key) for key in (ENV, SCRATCH_ENV)}
    base = tempfile.mkdtemp(prefix="grader-kernels-")  # removed even when a run is killed
    os.chmod(base, 0o711)  # the kernels (nobody, under root) may pass, not list
    os.environ.update({**environ(sandboxed), SCRATCH_ENV: base})
    try:
        yield
    finally:
        shutil.rmtree(base, ignore_errors=True)
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def require_everywhere(reasons: dict[str, str | None]) -> None:
    """Stop unless every machine (Dask worker address -> unavailable()) can sandbox."""
    lacking = {worker: why for worker, why in reasons.items() if why}
    if lacking:
        lines = "\n".join(f"  {worker}: {why}" for worker, why in sorted(lacking.items()))
        raise CourseError(f"these Dask workers cannot sandbox student code (pass "
                          f"{RISK_FLAG} to grade anyway):\n{lines}")
