"""Everything a JupyterHub for the course needs on disk, made once in one hub folder.

    <folder>/                     root's, 0755
      hub/                        root's, 0700: jupyterhub_config.py, settings.json, the hub's
                                  database and cookie secret
      exchange/                   nbgrader's exchange root, 1777 (what nbgrader expects, plus the
        pytorch-basics/           sticky bit); the course's folder is the instructor's, made here
                                  so that no student can claim the course id first
      data/                       a read-only copy of data_cache/ (COURSE_DATA_DIR)
      envs/student/               a venv with the student kit's wheel and the exchange's private
                                  submit (grader_hub_submit); torch & co. seen through a .pth
      envs/instructor/            a venv that sees the whole course package and its environment
      etc/student/, etc/instructor/   Jupyter config folders, first on JUPYTER_CONFIG_PATH
      kit/                        the student kit the wheel came from

and, for the instructor, `~<instructor>/pytorch-basics/`: the course (nbgrader_config.py,
solutions/, notebooks/), owned by the instructor and closed to everyone else; the gradebook,
submitted/, autograded/ and feedback/ are made there by nbgrader.

Both venvs are made by the interpreter that made .venv, or, where other accounts cannot run it
(in root's home, say), by a copy of it in <folder>/python/ (binary, libpython and standard
library; the servers get LD_LIBRARY_PATH for it); they see .venv's packages through a .pth
file: nothing is installed twice. The students' venv sees the packages as a plain folder, so the
course's editable install is not processed and `grader` comes from the kit's wheel alone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from grader.classroom import hubroster
from grader.classroom import kit as kitlib
from grader.classroom.course import Course
from grader.core.paths import REPO

VENV = Path(sys.prefix)  # the course's environment (.venv): torch, nbgrader, jupyterhub
COURSE_FOLDER = "pytorch-basics"  # the course's folder in the instructor's home
# Course files the instructor's copy starts from; nbgrader makes the rest there.
COURSE_FILES = ("nbgrader_config.py", "solutions", "notebooks")
# Commands both venvs get as scripts (nbgrader shells out to alembic).
SCRIPTS = ("nbgrader", "jupyter", "alembic", "jupyterhub-singleuser")
SUBMIT_MODULE = "grader_hub_submit"

# Lab terminals run bash as an interactive shell, not a login shell (Jupyter's default), whose
# /etc/profile would put the system's PATH before the environment's.
TERMINAL_CONFIG = {"ServerApp": {"terminado_settings": {"shell_command": ["/bin/bash", "-i"]}}}
# What the local student Lab turns off only because it has no exchange; a hub has one.
EXCHANGE_PLUGINS = ("@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:menu")
EXCHANGE_EXTENSION = "nbgrader.server_extensions.assignment_list"


def _student_lab(name: str) -> dict:
    return json.loads((kitlib.KIT_TEMPLATES / "lab" / name).read_text(encoding="utf-8"))


def student_server_config() -> dict:
    """The student's server on the hub: as `make lab` (kit/lab/: no Formgrader, no Create
    Assignment, no course list), with the Assignments tab's server side kept."""
    config = _student_lab("jupyter_server_config.json")
    config["ServerApp"]["jpserver_extensions"].pop(EXCHANGE_EXTENSION, None)
    return config


def student_page_config() -> dict:
    """The student's Lab plugins on the hub: as `make lab`, with the Assignments tab and the
    Nbgrader menu kept; Validate stays in both."""
    config = _student_lab("page_config.json")
    for plugin in EXCHANGE_PLUGINS:
        config["disabledExtensions"].pop(plugin, None)
    return config


class HubSetupError(Exception):
    """The hub cannot be set up as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class HubFolder:
    """The paths of one hub folder (layout: this module's docstring)."""

    root: Path

    @property
    def hub(self) -> Path:
        return self.root / "hub"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def python(self) -> Path:
        return self.root / "python"

    @property
    def kit(self) -> Path:
        return self.root / "kit"

    def env(self, role: str) -> Path:
        return self.root / "envs" / role

    def etc(self, role: str) -> Path:
        return self.root / "etc" / role

    @property
    def settings(self) -> Path:
        return self.hub / "settings.json"

    @property
    def config(self) -> Path:
        return self.hub / "jupyterhub_config.py"


def course_dir(instructor: str) -> Path:
    """The instructor's copy of the course."""
    return hubroster.home(instructor) / COURSE_FOLDER


# --------------------------------------------------------------------------- checks


def open_to_all(path: Path) -> bool:
    """Every account can reach `path`: each folder above it searchable by others, it readable."""
    path = path.resolve()
    for folder in path.parents:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def _copy_interpreter(target: Path) -> Path:
    """A copy of this venv's base interpreter (binary, libpython, standard library) in `target`.

    The same interpreter, not merely the same minor version: packages may need a later patch
    release than a system Python has (soupsieve, under nbconvert's HTML export, needs 3.11.5).
    """
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    binary = target / "bin" / version
    if not binary.exists():
        base = Path(sys.base_prefix)
        (target / "bin").mkdir(parents=True, exist_ok=True)
        (target / "lib").mkdir(exist_ok=True)
        for lib in base.glob("lib/libpython*.so*"):
            shutil.copyfile(lib, target / "lib" / lib.name)
        shutil.copytree(base / "lib" / version, target / "lib" / version, symlinks=True,
                        ignore=shutil.ignore_patterns("site-packages", "test", "idlelib",
                                                      "tkinter", "turtledemo", "config-*"))
        (target / "lib" / version / "site-packages").mkdir(exist_ok=True)
        shutil.copyfile(Path(sys._base_executable).resolve(), binary.with_suffix(".tmp"))
        os.chmod(binary.with_suffix(".tmp"), 0o755)
        os.rename(binary.with_suffix(".tmp"), binary)
    subprocess.run(["chmod", "-R", "a+rX", str(target)], check=True)
    return binary


def interpreter(folder: HubFolder) -> Path:
    """This venv's base interpreter where every account can run it, else a copy of it."""
    base = Path(sys._base_executable)
    if open_to_all(base) and open_to_all(base.resolve()) and open_to_all(Path(sys.base_prefix)):
        return base
    return _copy_interpreter(folder.python)


def library_path(folder: HubFolder) -> str:
    """LD_LIBRARY_PATH for the copied interpreter (its libpython), "" when none is needed."""
    return str(folder.python / "lib") if folder.python.exists() else ""


def purelib() -> Path:
    return Path(sysconfig.get_path("purelib"))


def check_readable() -> None:
    """The course's environment must be readable by every account (the servers run in it)."""
    if not open_to_all(purelib()):
        raise HubSetupError(f"{purelib()} is not readable by other accounts: the users' servers "
                            "run the course's packages from there (chmod o+rx on it and o+x on "
                            "each folder above it)")


def readable_secrets(root: Path) -> list[Path]:
    """Folders of the course under `root` that every account on the machine can read."""
    return [root / name for name in ("solutions", "gradebook.db", "submitted", "autograded")
            if (root / name).exists() and open_to_all(root / name)]


# --------------------------------------------------------------------------- the folder


def _mkdir(path: Path, mode: int, owner: str | None = None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    if owner:
        shutil.chown(path, owner, owner)


def _scripts(env: Path) -> None:
    """Console scripts of SCRIPTS in env/bin that run with env's interpreter."""
    found = {ep.name: ep for ep in entry_points(group="console_scripts") if ep.name in SCRIPTS}
    for name, ep in found.items():
        module, _, attr = ep.value.partition(":")
        script = env / "bin" / name
        script.write_text(f"#!{env / 'bin' / 'python'}\nimport sys\nfrom {module} import "
                          f"{attr.split('.')[0]}\nsys.exit({attr}())\n")
        os.chmod(script, 0o755)


def _venv(folder: HubFolder, env: Path, paths: list[Path]) -> Path:
    """A venv at `env` that every account can run, with `paths` on sys.path (a .pth)."""
    python = env / "bin" / "python"
    run_env = {**os.environ, "LD_LIBRARY_PATH": library_path(folder)}
    if not python.exists():
        subprocess.run([str(interpreter(folder)), "-m", "venv", "--without-pip", str(env)],
                       check=True, capture_output=True, env=run_env)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path("
                                "'purelib'))"], check=True, capture_output=True, text=True,
                               env=run_env).stdout.strip())
    (site / "course_env.pth").write_text("".join(f"{p}\n" for p in paths))
    _scripts(env)
    return site


def _package_folder(env: Path) -> Path:
    """A folder in `env` holding only a link to the course's grader package, for sys.path.

    Putting the repository itself on sys.path would make every kernel list it to find `grader`,
    which the grading sandbox refuses (it may read grader/, never the course root)."""
    folder = env / "course"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "grader"
    if not link.is_symlink():
        link.symlink_to(REPO / "grader", target_is_directory=True)
    return folder


def _student_env(folder: HubFolder) -> None:
    """The students' venv: the kit's wheel (the student grader) and the private submit."""
    built = kitlib.build(folder.kit)
    site = _venv(folder, folder.env("student"), [purelib()])
    done = subprocess.run([sys.executable, "-m", "pip", "--python",
                           str(folder.env("student") / "bin" / "python"), "install", "--quiet",
                           "--no-deps", "--no-index", "--force-reinstall", str(built.wheel)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise HubSetupError(f"installing the student grader failed: {done.stderr.strip()}")
    shutil.copyfile(Path(__file__).with_name("hubsubmit.py"), site / f"{SUBMIT_MODULE}.py")
    os.chmod(site / f"{SUBMIT_MODULE}.py", 0o644)


def _nbgrader_config(role: str, folder: HubFolder, course_id: str) -> str:
    lines = ["c = get_config()  # noqa: F821",
             f"c.Exchange.root = {str(folder.exchange)!r}",
             "c.Authenticator.plugin_class = 'nbgrader.auth.JupyterHubAuthPlugin'"]
    # Validate runs the whole notebook: the course's per-cell limit, and more than nbclient's
    # 4 s for a cell's last output to arrive after it finished (a busy machine misses that).
    lines += ["c.Execute.timeout = 300", "c.Execute.iopub_timeout = 60"]
    if role == "student":
        lines += [f"c.CourseDirectory.course_id = {course_id!r}",
                  f"c.ExchangeFactory.submit = '{SUBMIT_MODULE}.PrivateSubmit'"]
    return "\n".join(lines) + "\n"


def _etc(folder: HubFolder, course_id: str) -> None:
    for role in ("student", "instructor"):
        etc = folder.etc(role)
        _mkdir(etc, 0o755)
        (etc / "nbgrader_config.py").write_text(_nbgrader_config(role, folder, course_id))
        server = {"ServerApp": {**TERMINAL_CONFIG["ServerApp"]}}
        if role == "student":
            server["ServerApp"].update(student_server_config()["ServerApp"])
        (etc / "jupyter_server_config.json").write_text(json.dumps(server, indent=1))
        _mkdir(etc / "labconfig", 0o755)
        # The course's Lab settings (kit/lab/overrides.json: no Jupyter news question, widget
        # state saved), as defaults every user's Lab reads from its config folder.
        shutil.copyfile(kitlib.KIT_TEMPLATES / "lab" / "overrides.json",
                        etc / "labconfig" / "default_setting_overrides.json")
        if role == "student":
            (etc / "labconfig" / "page_config.json").write_text(json.dumps(student_page_config()))


def _data(folder: HubFolder, source: Path) -> None:
    """A copy of data_cache/ that every account can read and none can change."""
    if not folder.data.exists():
        shutil.copytree(source, folder.data, ignore=shutil.ignore_patterns("README.md"))
    for path in [folder.data, *folder.data.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def _course_copy(course: Course, instructor: str) -> Path:
    """The instructor's course folder, from the course's files; kept when it exists."""
    target = course_dir(instructor)
    if not target.exists():
        target.mkdir()
        for name in COURSE_FILES:
            source = course.root / name
            if source.is_dir():
                shutil.copytree(source, target / name,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            else:
                shutil.copyfile(source, target / name)
        subprocess.run(["chown", "-R", f"{instructor}:{instructor}", str(target)], check=True)
    os.chmod(target, 0o700)
    return target


def _exchange(folder: HubFolder, course_id: str, instructor: str) -> None:
    """nbgrader's exchange root (1777: release_assignment insists on rwx for all) and the
    course's folder in it, the instructor's (0755: students read outbound/)."""
    _mkdir(folder.exchange, 0o1777)
    _mkdir(folder.exchange / course_id, 0o755, owner=instructor)


def prepare(folder: HubFolder, roster: hubroster.Roster, course: Course) -> None:
    """Make (or bring up to date) everything the hub needs, accounts included."""
    check_readable()
    _mkdir(folder.root, 0o755)
    _mkdir(folder.hub, 0o700)
    hubroster.ensure_accounts(roster, folder.hub)
    _exchange(folder, course.course_id, roster.instructor.username)
    _data(folder, course.root / "data_cache")
    _student_env(folder)
    _venv(folder, folder.env("instructor"), [purelib(), _package_folder(folder.env("instructor"))])
    _etc(folder, course.course_id)
    _course_copy(course, roster.instructor.username)


def remove(folder: HubFolder) -> list[str]:
    """Remove the accounts this hub folder made (with their homes), then the folder itself."""
    removed = hubroster.remove_accounts(folder.hub) if folder.hub.exists() else []
    shutil.rmtree(folder.root, ignore_errors=True)
    return removed


def stop(proc: subprocess.Popen, folder: HubFolder) -> None:
    """Stop a hub started as `python -m grader.hub serve` by its own pid (the command exec'd
    JupyterHub, which stops every user's server as it stops), then the proxy it started."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    proxy_pid = folder.hub / "proxy.pid"
    if proxy_pid.exists():
        try:
            os.kill(int(proxy_pid.read_text()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass
