"""`make lab` brings JupyterLab up on notebooks/ and it answers over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_make_lab_serves_the_student_notebooks() -> None:
    port = _free_port()
    args = f"--no-browser --port={port} --ServerApp.token= --ServerApp.password="
    lab = subprocess.Popen(["make", "lab", f"LAB_ARGS={args}"], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        deadline, listing = time.monotonic() + 120, None
        while time.monotonic() < deadline and listing is None:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/api/contents/")
                listing = json.loads(body) if status == 200 else None
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer within 120 s"
        names = {item["name"] for item in listing["content"]}
        assert {"01_nn_module", "05_mnist_classifier"} <= names
        status, page = _get(f"http://127.0.0.1:{port}/lab")
        assert status == 200 and b"JupyterLab" in page
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
