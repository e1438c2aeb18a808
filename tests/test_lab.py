"""`make lab` brings JupyterLab up on notebooks/ without nbgrader's instructor tools;
`make instructor` brings it up with them. Both answer over HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from conftest import ROOT

INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list")
# No exchange outside a JupyterHub, and without these lists the Nbgrader menu would be empty.
EXCHANGE_PLUGINS = ("@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:menu")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


@contextmanager
def _lab(target: str) -> Iterator[str]:
    port = _free_port()
    args = f"--no-browser --port={port} --ServerApp.token= --ServerApp.password="
    lab = subprocess.Popen(["make", target, f"LAB_ARGS={args}"], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, up = time.monotonic() + 120, False
        while time.monotonic() < deadline and not up:
            try:
                up = _get(f"{base}/api/contents/")[0] == 200
            except OSError:
                time.sleep(0.5)
        assert up, f"`make {target}`: JupyterLab did not answer within 120 s"
        yield base
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)


def _page_config(base: str) -> dict:
    status, page = _get(f"{base}/lab")
    assert status == 200 and b"JupyterLab" in page
    found = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      page, re.DOTALL)
    assert found
    return json.loads(found.group(1))


def test_make_lab_serves_the_student_notebooks_without_instructor_tools() -> None:
    with _lab("lab") as base:
        listing = json.loads(_get(f"{base}/api/contents/")[1])
        names = {item["name"] for item in listing["content"]}
        assert {"01_nn_module", "05_mnist_classifier"} <= names
        disabled = _page_config(base).get("disabledExtensions", [])
        assert set(INSTRUCTOR_PLUGINS) | set(EXCHANGE_PLUGINS) <= set(disabled)
        assert "@jupyter/nbgrader:validate-assignment" not in disabled  # Validate stays
        assert _get(f"{base}/formgrader")[0] == 404
        assert _get(f"{base}/assignments")[0] == 404  # the assignment list's server side is off
        status, body = _get(f"{base}/lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin")
        saved = json.loads(body)["schema"]["properties"]["saveState"]  # overrides set defaults
        assert status == 200 and saved["default"] is True            # the package ships False


def test_make_instructor_serves_the_formgrader() -> None:
    with _lab("instructor") as base:
        disabled = _page_config(base).get("disabledExtensions", [])
        assert not set(INSTRUCTOR_PLUGINS) & set(disabled)
        assert _get(f"{base}/formgrader")[0] == 200
