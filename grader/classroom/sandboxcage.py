"""The cage around one student's kernel: Landlock rules, and an unprivileged user under root.

Applied in the process that is about to become the kernel, before any student code runs: in a
child forked from the template (grader/classroom/forktemplate.py loads this file by path, so no
grader module is loaded in a kernel), or, for a stock kernel, by running this file as a script
in front of the kernel's command (`python sandboxcage.py SPEC_JSON -- python -m
ipykernel_launcher ...`), which applies the cage and then execs the command. Standard library
only; Linux only. Everything is done with the kernel's own mechanisms, in this order:

1. Under root, a mount namespace of its own in which the folders the kernel must read (or
   write) stay reachable although an ancestor is private (a Python under /root: a read-only
   tmpfs covers that ancestor, and only the needed folders are bound back into it, so the rest
   of it is not even listed), then setgroups([]) and the unprivileged user (nobody). Without
   root the user is already unprivileged and nothing is mounted.
2. PR_SET_NO_NEW_PRIVS: no set-user-ID program gives privileges back.
3. Landlock (ABI 6 or later), one domain per kernel: files may be read (and run) only beneath
   `read`, read and written only beneath `write` (the scratch folder) and the `devices`; TCP may
   be bound only on the kernel's own ports (`bind_tcp`, the ZMQ sockets nbgrader talks to) and
   connected nowhere; abstract unix sockets and signals reach nothing outside the domain, and
   Landlock forbids ptrace (so /proc/PID/mem, environ...) of processes outside it.

A spec is a dict: read, write, devices (lists of paths), bind_tcp (ports), user ([uid, gid] to
become under root, or null). `apply(spec)` raises CageUnavailable when any step is impossible.
"""

from __future__ import annotations

import ctypes
import json
import os
import stat
import sys

ABI_NEEDED = 6  # TCP rules (4) and scoping of signals and abstract unix sockets (6)
_CREATE, _ADD_RULE, _RESTRICT = 444, 445, 446  # same numbers on x86_64 and aarch64
_VERSION_FLAG = 1
_PATH_BENEATH, _NET_PORT = 1, 2
_PR_SET_NO_NEW_PRIVS, _PR_SET_CHILD_SUBREAPER = 38, 36
_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 4096, 16384, 1 << 18
_MS_REMOUNT = 32

# LANDLOCK_ACCESS_FS_*: EXECUTE, WRITE_FILE, READ_FILE, READ_DIR, then the removals, the makes,
# REFER (ABI 2), TRUNCATE (3), IOCTL_DEV (5).
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
ALL_FS = (1 << 16) - 1
FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | (1 << 14) | (1 << 15)
READ = EXECUTE | READ_FILE | READ_DIR
READ_WRITE = ALL_FS
DEVICE = READ_FILE | WRITE_FILE | (1 << 15)
BIND_TCP, CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class CageUnavailable(Exception):
    """The cage cannot be applied here; the message says which step failed and why."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _fail(step: str) -> CageUnavailable:
    err = ctypes.get_errno()
    return CageUnavailable(f"{step}: {os.strerror(err)} (errno {err})")


def landlock_abi() -> int:
    """The Landlock ABI this Linux offers (0: none, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return 0
    abi = _libc.syscall(_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION_FLAG))
    return max(0, abi)


def _ruleset(spec: dict) -> int:
    """A Landlock ruleset as the spec says (its paths opened now, with this process's rights)."""
    abi = landlock_abi()
    if abi < ABI_NEEDED:
        raise CageUnavailable(f"Landlock ABI {abi} (Linux 6.12 or later gives {ABI_NEEDED})")
    attr = _RulesetAttr(ALL_FS, BIND_TCP | CONNECT_TCP, SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL)
    ruleset = _libc.syscall(_CREATE, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
                            ctypes.c_uint32(0))
    if ruleset < 0:
        raise _fail("landlock_create_ruleset")
    try:
        for access, paths in ((READ, spec["read"]), (READ_WRITE, spec["write"]),
                              (DEVICE, spec["devices"])):
            for path in paths:
                _allow_path(ruleset, path, access)
        for port in spec["bind_tcp"]:
            rule = _NetPort(BIND_TCP, int(port))
            if _libc.syscall(_ADD_RULE, ruleset, _NET_PORT, ctypes.byref(rule), 0) < 0:
                raise _fail(f"landlock_add_rule (TCP port {port})")
    except BaseException:
        os.close(ruleset)
        raise
    return ruleset


def _allow_path(ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return  # e.g. /lib64 where the system has none
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= FILE_ONLY
        rule = _PathBeneath(access, fd)
        if _libc.syscall(_ADD_RULE, ruleset, _PATH_BENEATH, ctypes.byref(rule), 0) < 0:
            raise _fail(f"landlock_add_rule ({path})")
    finally:
        os.close(fd)


def _private_ancestor(path: str) -> str | None:
    """The highest folder above `path` that others may not enter (mode without o+x), if any."""
    parts = os.path.realpath(path).split("/")[1:-1]
    for depth in range(1, len(parts) + 1):
        folder = "/" + "/".join(parts[:depth])
        try:
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                return folder
        except OSError:
            return None
    return None


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    if _libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                   ctypes.c_ulong(flags), data.encode() or None) != 0:
        raise _fail(f"mount {target}")


def _reveal(paths: list[str]) -> None:
    """In a new mount namespace: cover each private ancestor of `paths` with a read-only tmpfs
    and bind back only the folders below it that are needed, so others may reach them."""
    covers: dict[str, list[str]] = {}
    for path in paths:
        ancestor = _private_ancestor(path)
        if ancestor and os.path.exists(path):
            covers.setdefault(ancestor, []).append(os.path.realpath(path))
    if not covers:
        return
    if _libc.unshare(_CLONE_NEWNS) != 0:
        raise _fail("unshare(CLONE_NEWNS)")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    for ancestor, needed in sorted(covers.items()):
        held = [(p, os.open(p, os.O_PATH | os.O_CLOEXEC)) for p in sorted(set(needed))]
        _mount("tmpfs", ancestor, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=755")
        for path, fd in held:
            inside = path
            os.makedirs(inside, mode=0o755, exist_ok=True) if os.path.isdir(
                f"/proc/self/fd/{fd}") else open(inside, "a").close()
            _mount(f"/proc/self/fd/{fd}", inside, None, _MS_BIND | _MS_REC)
            os.close(fd)
        _mount(None, ancestor, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


def apply(spec: dict) -> None:
    """Put this process (single-threaded, before it runs anything of the student's) in the cage."""
    if not sys.platform.startswith("linux"):
        raise CageUnavailable("the sandbox needs Linux")
    ruleset = _ruleset(spec)  # before giving up root: the paths may lie in private folders
    try:
        user = spec.get("user")
        if os.geteuid() == 0 and user:
            _reveal([*spec["read"], *spec["write"]])
            uid, gid = user
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise _fail("prctl(PR_SET_NO_NEW_PRIVS)")
        if _libc.syscall(_RESTRICT, ruleset, 0) < 0:
            raise _fail("landlock_restrict_self")
    finally:
        os.close(ruleset)


def become_subreaper() -> None:
    """Processes a kernel leaves behind (a double fork) become children of this process."""
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def end_strays(keep: set[int]) -> None:
    """SIGKILL every child of this subreaper but `keep` (the kernels still running): what a
    student's kernel left behind does not outlive it into the next student's run."""
    try:
        with open(f"/proc/self/task/{os.getpid()}/children") as f:
            children = {int(pid) for pid in f.read().split()}
    except OSError:
        return
    for pid in children - keep:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass


def main(argv: list[str]) -> None:
    """sandboxcage.py SPEC_JSON -- COMMAND...: apply the cage, then exec COMMAND."""
    spec, command = json.loads(argv[0]), argv[argv.index("--") + 1:]
    try:
        apply(spec)
    except CageUnavailable as exc:
        print(f"error: the kernel's sandbox could not be applied: {exc}", file=sys.stderr)
        os._exit(126)
    os.execv(command[0], command)


if __name__ == "__main__":
    del sys.path[0]  # nothing beside this file may shadow what the kernel imports
    main(sys.argv[1:])
