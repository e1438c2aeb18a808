"""JupyterHub's configuration for the course: settings as data, applied by one function.

`write(folder, ...)` writes hub/settings.json (what differs from hub to hub: addresses, users,
paths) and hub/jupyterhub_config.py, three lines that call `configure(c, settings)`:

- PAM authentication against the machine's Unix accounts, only the roster's users allowed, the
  instructor the hub's admin;
- LocalProcessSpawner: each user's server runs as that user, in their home; the instructor's in
  the course folder with the whole course package (Formgrader, `python -m grader.autograde`),
  the students' in the students' venv (the kit's grader; no Formgrader, no course list);
- nbgrader's JupyterHubAuthPlugin reads course membership from the hub's groups
  `formgrade-<course>` (the instructor) and `nbgrader-<course>` (everyone), and a server's API
  token inherits its owner's permissions so that nbgrader can read them.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.classroom.hubsetup import VENV, HubFolder, course_dir, library_path

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def _server(folder: HubFolder, role: str, data: Path) -> dict:
    """How a server of `role` starts: its command and environment."""
    env_bin = folder.env(role) / "bin"
    return {
        "cmd": [str(env_bin / "python"), "-m", "jupyterhub.singleuser"],
        "environment": {
            "PATH": f"{env_bin}:{SYSTEM_PATH}",
            # The role's config folder first: it overrides the course environment's defaults.
            "JUPYTER_CONFIG_PATH": f"{folder.etc(role)}:{VENV / 'etc' / 'jupyter'}",
            "JUPYTER_PATH": str(VENV / "share" / "jupyter"),  # Lab extensions, kernelspecs
            "JUPYTERLAB_DIR": str(VENV / "share" / "jupyter" / "lab"),
            "COURSE_DATA_DIR": str(data),
            "PYTHONNOUSERSITE": "1",
            "LD_LIBRARY_PATH": library_path(folder),  # a copied interpreter's libpython
        },
    }


def settings(folder: HubFolder, *, ip: str, port: int, hub_port: int, proxy_api_port: int,
             proxy: Path, course_id: str, instructor: str, students: list[str]) -> dict:
    return {
        "ip": ip, "port": port, "hub_port": hub_port, "proxy_api_port": proxy_api_port,
        "proxy": str(proxy), "state": str(folder.hub), "course_id": course_id,
        "instructor": instructor, "students": students,
        "course_dir": str(course_dir(instructor)),
        "servers": {role: _server(folder, role, folder.data)
                    for role in ("instructor", "student")},
    }


def write(folder: HubFolder, values: dict) -> Path:
    """hub/settings.json and the hub/jupyterhub_config.py that applies it."""
    folder.settings.write_text(json.dumps(values, indent=1) + "\n")
    folder.config.write_text(
        '"""JupyterHub for the course (written by python -m grader.hub; edit settings.json)."""\n'
        "import json\n\nfrom grader.classroom.hubconfig import configure\n\n"
        f"configure(get_config(), json.loads(open({str(folder.settings)!r}).read()))  "
        "# noqa: F821\n")
    return folder.config


def _per_user(s: dict, spawner) -> None:
    """pre_spawn_hook: the instructor's server or a student's."""
    role = "instructor" if spawner.user.name == s["instructor"] else "student"
    server = s["servers"][role]
    spawner.cmd = server["cmd"]
    spawner.environment = {**spawner.environment, **server["environment"]}
    if role == "instructor":
        # The Lab shows the course folder, and its terminals start there (they start in the
        # server's working folder, which LocalProcessSpawner sets to the home folder).
        spawner.notebook_dir = s["course_dir"]
        spawner.cmd = ["/bin/sh", "-c", 'cd "$0" && exec "$@"', s["course_dir"], *server["cmd"]]


def configure(c, s: dict) -> None:
    """Apply settings `s` to JupyterHub's config object `c`."""
    state = Path(s["state"])
    c.JupyterHub.ip = s["ip"]
    c.JupyterHub.port = s["port"]
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = s["hub_port"]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s['proxy_api_port']}"
    c.ConfigurableHTTPProxy.command = [s["proxy"]]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.JupyterHub.db_url = "sqlite:///" + str(state / "jupyterhub.sqlite")
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")

    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False  # no login session per server (no systemd-logind)
    c.Authenticator.allowed_users = {s["instructor"], *s["students"]}
    c.Authenticator.admin_users = {s["instructor"]}

    c.JupyterHub.spawner_class = "localprocess"
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 180
    c.Spawner.http_timeout = 180
    c.Spawner.env_keep = ["LANG", "LC_ALL", "TZ"]  # not root's PATH, PYTHONPATH or venv
    c.Spawner.pre_spawn_hook = lambda spawner: _per_user(s, spawner)

    course = s["course_id"]
    c.JupyterHub.load_groups = {
        f"formgrade-{course}": {"users": [s["instructor"]]},
        f"nbgrader-{course}": {"users": [s["instructor"], *s["students"]]},
    }
    # nbgrader's JupyterHubAuthPlugin asks the hub for the user's groups with the server's token.
    c.JupyterHub.load_roles = [{"name": "server", "scopes": ["inherit"]}]
