"""The template process behind the forking kernel provisioner: import once, fork kernels.

Run as a script (`python [flags] forktemplate.py FD PARENT_PID`, never through the grader package,
so no grader module is loaded in a kernel) by grader.classroom.forkkernel, with one end of a
SOCK_SEQPACKET socket pair as FD. It imports what the course's notebooks import (torch,
torchvision, numpy, IPython, ipykernel), never runs a torch op or any student code, freezes the
garbage collector's view of those objects (gc.freeze) so children share their pages, and then
answers one request at a time:

- fork: the launcher's arguments, env, cwd, a memory limit and three descriptors (stdin, stdout,
  stderr) → a child that turns into the ipykernel the KernelManager asked for (become_kernel).
- poll: the exit status of a child (kernels are this process's children; it reaps them).

It dies with its parent (PR_SET_PDEATHSIG) and exits when the socket closes; kernels notice
through ipykernel's parent poller (parent_handle) and exit in turn.
"""

from __future__ import annotations

import sys

del sys.path[0]  # this script's folder: nothing here may shadow what a kernel imports
BASE_PATH = list(sys.path)  # sys.path of `python -m ipykernel_launcher` once it drops the cwd

import atexit  # noqa: E402 - after the sys.path snapshot
import ctypes  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402

START_SIGNALS = {sig: signal.getsignal(sig) for sig in signal.valid_signals()}
MAX_MESSAGE = 1 << 20
_PR_SET_PDEATHSIG = 1
LAUNCHER = ""  # ipykernel_launcher.py, what sys.argv[0] names in a kernel
CAGE = None  # grader/classroom/sandboxcage.py, loaded by path (never put in sys.modules)


def preload() -> list[str]:
    """Import what every kernel needs; return what went wrong for forking (empty: fine)."""
    global LAUNCHER
    import importlib.util

    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import IPython  # noqa: F401
    import numpy  # noqa: F401
    import torch
    import torchvision  # noqa: F401

    LAUNCHER = importlib.util.find_spec("ipykernel_launcher").origin or ""
    problems = []
    if "matplotlib" in sys.modules:
        problems.append("matplotlib was imported while preloading (ipykernel sets its backend)")
    if torch.cuda.is_initialized():
        problems.append("CUDA was initialised while preloading")
    if threading.active_count() != 1:
        problems.append(f"{threading.active_count()} threads after preloading (fork needs one)")
    return problems


def _send(sock: socket.socket, message: dict) -> None:
    sock.send(json.dumps(message).encode())


def _fresh_random() -> None:
    """New random streams for this kernel: Python's, NumPy's global one and torch's CPU one."""
    import numpy
    import torch

    random.seed()
    numpy.random.seed()
    torch.default_generator.seed()


def become_kernel(request: dict, fds: list[int]) -> int:
    """In the forked child: turn into `python ... -m ipykernel_launcher ARGS` as requested."""
    os.setsid()  # a session of its own, as jupyter_client's launcher gives (interrupts, kills)
    for sig, handler in START_SIGNALS.items():
        if handler is not None:
            try:
                signal.signal(sig, handler)
            except (OSError, ValueError):  # SIGKILL, SIGSTOP
                pass
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
    for fd in set(fds) - {0, 1, 2}:
        os.close(fd)
    if request["data_bytes"]:
        limit = request["data_bytes"]
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    os.chdir(request["cwd"])
    if request.get("cage"):  # the student's sandbox, before anything of theirs runs
        CAGE.apply(request["cage"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [LAUNCHER, *request["argv"]]
    sys.orig_argv = list(request["orig_argv"])
    sys.path[:] = BASE_PATH
    _fresh_random()
    main = types.ModuleType("__main__")
    main.__file__ = LAUNCHER
    sys.modules["__main__"] = main
    from ipykernel.kernelapp import IPKernelApp

    # parent_handle's default was read from this template's environment when ipykernel was
    # imported; the kernel's parent is this template, so name it.
    IPKernelApp.launch_instance(argv=[*sys.argv[1:], f"--IPKernelApp.parent_handle={os.getppid()}"])
    return 0


def _child(sock: socket.socket, request: dict, fds: list[int]) -> None:
    """The forked child's whole life: become the kernel, then exit as an interpreter would."""
    code = 1
    try:
        sock.close()
        code = become_kernel(request, fds)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on the kernel's stderr
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _fork(sock: socket.socket, request: dict, fds: list[int]) -> dict:
    import torch

    assert not torch.cuda.is_initialized(), "CUDA is initialised in the template"
    if threading.active_count() != 1:
        return {"error": f"the template has {threading.active_count()} threads"}
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(sock, request, fds)
    return {"pid": pid}


def _reap(exits: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exits[pid] = os.waitstatus_to_exitcode(status)


def serve(sock: socket.socket) -> None:
    """Answer fork and poll requests until the socket closes."""
    exits: dict[int, int] = {}
    children: set[int] = set()
    while True:
        data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
        if not data:
            return
        request = json.loads(data)
        _reap(exits)
        CAGE.end_strays(children - set(exits))  # what a finished kernel left running
        try:
            if request["op"] == "fork":
                reply = _fork(sock, request, fds)
                children.add(reply.get("pid", 0))
            elif request["op"] == "poll":
                pid = request["pid"]
                known = pid in children or pid in exits
                reply = {"status": exits.pop(pid, None) if known else -1}
                if reply["status"] is not None:
                    children.discard(pid)
            else:
                reply = {"error": f"unknown request {request['op']!r}"}
        except Exception as exc:  # noqa: BLE001 - the provisioner falls back and logs it
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            for fd in fds:
                os.close(fd)
        _send(sock, reply)


def _load_cage() -> types.ModuleType:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_grader_sandboxcage", os.path.join(os.path.dirname(__file__), "sandboxcage.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.become_subreaper()
    return module


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    parent = int(sys.argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for the kernel or the grader
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
    try:
        problems = preload()
    except Exception as exc:  # noqa: BLE001
        problems = [f"preloading failed: {type(exc).__name__}: {exc}"]
    global CAGE
    CAGE = _load_cage()
    gc.freeze()  # what was imported stays untouched by the collector: pages stay shared
    _send(sock, {"ready": True, "pid": os.getpid(), "problems": problems})
    if not problems:
        serve(sock)


if __name__ == "__main__":
    main()
