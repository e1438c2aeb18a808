"""A user of the hub, driven over HTTP: log in, start the server, run a command in a terminal.

What a person does in the browser, for scripts (the hub's tests and its memory bench):

    user = HubUser("http://127.0.0.1:8000", "ada", "secret")
    user.log_in()                    # the hub's login form, as the browser posts it
    user.start_server()              # the hub starts ada's server (LocalProcessSpawner)
    rc, out = user.run("nbgrader fetch_assignment 04_cross_entropy")   # in a Lab terminal

`run` opens a terminal of the user's server (Jupyter's terminals API and its websocket), types
the command, and reads until the exit status it echoes after it: the command runs as the user,
in the user's environment, exactly as typed in the Lab's terminal.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\r")


class HubError(Exception):
    """The hub or a server answered other than expected (the message has the status)."""


class HubUser:
    """One account on the hub, logged in through its login form."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base, self.username, self.password = base.rstrip("/"), username, password
        self.session = requests.Session()
        self.token = ""

    @property
    def server_url(self) -> str:
        return f"{self.base}/user/{self.username}"

    def _xsrf(self) -> dict[str, str]:
        xsrf = self.session.cookies.get("_xsrf", path="/hub/")
        return {"X-XSRFToken": xsrf} if xsrf else {}

    def log_in(self) -> None:
        """Post the login form; then ask the hub for an API token of this user."""
        self.session.get(f"{self.base}/hub/login", timeout=30)
        xsrf = self.session.cookies.get("_xsrf", path="/hub/") or ""
        done = self.session.post(f"{self.base}/hub/login?next=", allow_redirects=False,
                                 data={"username": self.username, "password": self.password,
                                       "_xsrf": xsrf}, timeout=60)
        if done.status_code != 302:
            raise HubError(f"login of {self.username}: HTTP {done.status_code}")
        made = self.session.post(f"{self.base}/hub/api/users/{self.username}/tokens",
                                 headers=self._xsrf(), json={"note": "scripted user"},
                                 timeout=30)
        if made.status_code not in (200, 201):
            raise HubError(f"token for {self.username}: HTTP {made.status_code} {made.text}")
        self.token = made.json()["token"]

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """A request with this user's token: hub API paths start with /hub/api, server ones
        with /user/<name>/."""
        headers = {"Authorization": f"token {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base}{path}", headers=headers,
                                timeout=kwargs.pop("timeout", 60), **kwargs)

    def start_server(self, timeout: float = 300) -> float:
        """Start this user's server and wait until it answers; the seconds it took."""
        start = time.monotonic()
        asked = self.api("POST", f"/hub/api/users/{self.username}/server")
        if asked.status_code not in (201, 202, 400):  # 400: already running
            raise HubError(f"starting {self.username}'s server: HTTP {asked.status_code}")
        while time.monotonic() - start < timeout:
            model = self.api("GET", f"/hub/api/users/{self.username}").json()
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                return time.monotonic() - start
            time.sleep(1)
        raise HubError(f"{self.username}'s server not ready after {timeout:.0f} s")

    def stop_server(self) -> None:
        self.api("DELETE", f"/hub/api/users/{self.username}/server")

    def contents(self, path: str) -> dict:
        got = self.api("GET", f"/user/{self.username}/api/contents/{path}")
        if got.status_code != 200:
            raise HubError(f"{self.username}: GET {path}: HTTP {got.status_code}")
        return got.json()

    def save(self, path: str, model: dict) -> None:
        put = self.api("PUT", f"/user/{self.username}/api/contents/{path}", json=model)
        if put.status_code not in (200, 201):
            raise HubError(f"{self.username}: PUT {path}: HTTP {put.status_code}")

    def run(self, command: str, timeout: float = 600) -> tuple[int, str]:
        """Run `command` in a new terminal of the user's server: (exit status, its output)."""
        # A thread of its own: the caller may be inside an event loop (Playwright's sync API).
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, self._run(command, timeout)).result()

    async def _run(self, command: str, timeout: float) -> tuple[int, str]:
        made = self.api("POST", f"/user/{self.username}/api/terminals")
        if made.status_code != 200:
            raise HubError(f"{self.username}: new terminal: HTTP {made.status_code}")
        name = made.json()["name"]
        ws_url = self.server_url.replace("http", "ws", 1) + f"/terminals/websocket/{name}"
        conn = await websocket_connect(HTTPRequest(
            ws_url, headers={"Authorization": f"token {self.token}"}))
        # Markers the shell prints but the echo of the typed line does not contain as such.
        tag = uuid.uuid4().hex[:8]
        begin, end = f"__begin_{tag}", f"__end_{tag}"
        split = lambda word: f'"{word[:4]}""{word[4:]}"'  # noqa: E731
        try:
            conn.write_message(json.dumps(["set_size", 50, 250, 1000, 2000]))
            conn.write_message(json.dumps(
                ["stdin", f"echo {split(begin)}; {command}; echo {split(end)}:$?\r"]))
            seen, deadline = "", time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise HubError(f"{self.username}: `{command}` still running after "
                                   f"{timeout:.0f} s; so far:\n{ANSI.sub('', seen)[-2000:]}")
                message = await asyncio.wait_for(conn.read_message(), left)
                if message is None:
                    raise HubError(f"{self.username}: the terminal closed")
                kind, *rest = json.loads(message)
                if kind == "stdout":
                    seen += rest[0]
                    found = re.search(rf"{end}:(\d+)", ANSI.sub("", seen))
                    if found:
                        after = ANSI.sub("", seen).split(begin + "\n", 1)[-1]
                        return int(found.group(1)), after.split(f"{end}:", 1)[0]
        finally:
            conn.close()
            self.api("DELETE", f"/user/{self.username}/api/terminals/{name}")
