"""A Jupyter kernel provisioner that forks each kernel from a preloaded template process.

A stock kernel starts a new Python and, for every notebook of this course, imports torch again
(2-4 s). This provisioner (a LocalProvisioner, registered under the entry-point group
`jupyter_client.kernel_provisioners` as `grader-forking-provisioner`) asks a template process
(grader/classroom/forktemplate.py: torch, torchvision, numpy, IPython and ipykernel imported once)
to fork a child that becomes the requested `python -m ipykernel_launcher -f CONNECTION_FILE`:
its own session, default signal handlers, the cwd, environment and argv the KernelManager asked
for, sys.path as a normal kernel has it, fresh random streams and an empty user namespace. The
kernel is still a new process per notebook; only the imports are shared.

Select it with the kernelspec's metadata (`"kernel_provisioner": {"provisioner_name":
"grader-forking-provisioner"}`) or JUPYTER_DEFAULT_PROVISIONER_NAME=grader-forking-provisioner;
nbgrader, nbclient and JupyterLab need no change. When the kernel cannot be forked (another
interpreter or launcher in the kernelspec, interpreter settings in the environment that differ
from the template's, the template failing to start...), a stock kernel is started instead and
the reason is logged.

GRADER_KERNEL_DATA_BYTES in the environment of the process that starts kernels sets RLIMIT_DATA
in each kernel (grader.autograde uses it: the memory limit belongs to the student's kernel).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pathlib
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from grader.classroom import sandbox

NAME = "grader-forking-provisioner"
MEMORY_ENV = "GRADER_KERNEL_DATA_BYTES"
TEMPLATE_SCRIPT = pathlib.Path(__file__).with_name("forktemplate.py")
LAUNCHER_MODULE = "ipykernel_launcher"
READY_SECONDS = 120.0
# Read when the interpreter or a preloaded library starts, so a forked kernel would keep the
# template's value: a kernel whose environment differs here is started the stock way.
STARTUP_PREFIXES = ("PYTHON", "OMP_", "MKL_", "KMP_", "GOMP_", "OPENBLAS_", "LD_", "MALLOC_")

# Called with the pid of every kernel this process starts (forked or stock): grader.autograde
# reports it to the parent that enforces the student's limits.
launched: list[Callable[[int], None]] = []


class ForkUnavailable(Exception):
    """This kernel cannot be forked; the message says why."""


def startup_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(STARTUP_PREFIXES)}


class Template:
    """The client side of one template process (one per process that starts kernels)."""

    def __init__(self, flags: list[str], env: dict[str, str]) -> None:
        self.flags, self.startup = list(flags), startup_env(env)
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(
            [sys.executable, *flags, str(TEMPLATE_SCRIPT), str(theirs.fileno()),
             str(os.getpid())],
            env=env, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self.lock = threading.Lock()
        self.problem: str | None = None
        self._ready = False

    def _recv(self, timeout: float | None) -> dict:
        self.sock.settimeout(timeout)
        data = self.sock.recv(1 << 16)
        if not data:
            raise ForkUnavailable("the template process has exited")
        return json.loads(data)

    def ready(self) -> None:
        """Wait until the template has preloaded (once); raise ForkUnavailable if it cannot fork."""
        with self.lock:
            if not self._ready and self.problem is None:
                try:
                    hello = self._recv(READY_SECONDS)
                    self.problem = "; ".join(hello.get("problems", [])) or None
                except (OSError, ValueError, ForkUnavailable) as exc:
                    self.problem = f"the template did not start: {exc}"
                self._ready = self.problem is None
        if self.problem:
            raise ForkUnavailable(self.problem)

    def request(self, message: dict, fds: list[int] = ()) -> dict:
        self.ready()
        with self.lock:
            try:
                socket.send_fds(self.sock, [json.dumps(message).encode()], list(fds))
                reply = self._recv(None)
            except (OSError, ValueError) as exc:
                raise ForkUnavailable(f"the template stopped answering: {exc}") from exc
        if "error" in reply:
            raise ForkUnavailable(reply["error"])
        return reply

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        self.sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


_template: Template | None = None
_template_lock = threading.Lock()


def start_template(flags: list[str] | None = None, env: dict[str, str] | None = None) -> Template:
    """This process's template, started now if there is none (it preloads in the background)."""
    global _template
    with _template_lock:
        if _template is None or (not _template.alive() and _template.problem is None):
            _template = Template(flags or [], dict(os.environ if env is None else env))
        return _template


def stop_template() -> None:
    """Let the template exit (kernels it forked exit when they see it gone)."""
    global _template
    with _template_lock:
        if _template is not None:
            _template.close()
            _template = None


class ForkedKernel:
    """What LocalProvisioner expects of its `process` (a Popen), for a kernel of the template."""

    stdin = stdout = stderr = None

    def __init__(self, template: Template, pid: int) -> None:
        self.template, self.pid = template, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                status = self.template.request({"op": "poll", "pid": self.pid})["status"]
            except ForkUnavailable:  # the template is gone: its kernels follow it
                status = None if os.path.exists(f"/proc/{self.pid}") else -signal.SIGKILL
            self.returncode = status
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _limit_data(limit: int) -> None:  # in a stock kernel, between fork and exec
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def fork_kernel(cmd: list[str], env: dict[str, str], cwd: str, data_bytes: int,
                cage: dict | None = None) -> ForkedKernel:
    """Fork `cmd` (python [flags] -m ipykernel_launcher ARGS) from the template."""
    if "-m" not in cmd or cmd[0] != sys.executable:
        raise ForkUnavailable(f"the kernel command is not this interpreter's -m: {cmd[:3]}")
    at = cmd.index("-m")
    if cmd[at + 1:at + 2] != [LAUNCHER_MODULE]:
        raise ForkUnavailable(f"the kernel command runs {cmd[at + 1:at + 2]}, not ipykernel")
    template = start_template(cmd[1:at], env)
    if template.flags != cmd[1:at]:
        raise ForkUnavailable(f"interpreter options {cmd[1:at]} differ from the template's")
    if template.startup != startup_env(env):
        changed = sorted(set(template.startup.items()) ^ set(startup_env(env).items()))
        raise ForkUnavailable(f"start-up settings differ from the template's: "
                              f"{sorted({k for k, _ in changed})}")
    read, write = os.pipe()  # stdin: a pipe already closed at the other end, as Popen leaves it
    os.close(write)
    try:
        reply = template.request({"op": "fork", "argv": cmd[at + 2:], "orig_argv": cmd,
                                  "env": env, "cwd": cwd, "data_bytes": data_bytes,
                                  "cage": cage},
                                 [read, 1, 2])
    finally:
        os.close(read)
    return ForkedKernel(template, reply["pid"])


class ForkingProvisioner(sandbox.SandboxProvisioner):
    """LocalProvisioner whose kernels are forked from the template (stock when they cannot be)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        data_bytes = int(os.environ.get(MEMORY_ENV) or 0)
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # what jupyter_client's launcher sets
        cwd = str(kwargs.get("cwd") or os.getcwd())
        cmd = [os.path.expanduser(part) for part in cmd]
        try:
            extra = sorted(k for k, v in LocalProvisioner._scrub_kwargs(kwargs).items()
                           if k not in ("env", "cwd") and v is not None)
            if extra:
                raise ForkUnavailable(f"launch options {extra} are not supported")
            self.kernel = sandbox.prepare(cmd, env, cwd)  # scratch and cage, when sandboxed
            process = fork_kernel(*(getattr(self.kernel, k) for k in ("cmd", "env", "cwd")),
                                  data_bytes, self.kernel.cage)
        except ForkUnavailable as exc:
            sandbox.discard(self.kernel)
            self.log.warning("%s: starting a stock kernel: %s", NAME, exc)
            if data_bytes:
                kwargs["preexec_fn"] = functools.partial(_limit_data, data_bytes)
            info = await super().launch_kernel(cmd, **kwargs)
            _announce(self.pid)
            return info
        self.process, self.pid, self.pgid = process, process.pid, process.pid
        self.cwd = self.kernel.cwd
        _announce(process.pid)
        return self.connection_info


def _announce(pid: int | None) -> None:
    for callback in launched:
        if pid:
            callback(pid)


def use_by_default() -> None:
    """Make this provisioner the default for kernelspecs that name none, in this process only."""
    from jupyter_client.provisioning import KernelProvisionerFactory

    KernelProvisionerFactory.instance().default_provisioner_name = NAME
