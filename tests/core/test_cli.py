"""`python -m grader`: the JSON contract, exit codes, and submissions that fight back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from grader.core.catalogue import all_tasks

TASK = "nn_module.conv_output_size"
CORRECT = ("def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
           "    return (size + 2 * padding - kernel_size) // stride + 1\n")


def grader_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def verdict(done: subprocess.CompletedProcess) -> dict:
    reply = json.loads(done.stdout)  # exactly one JSON object on stdout
    assert set(reply) == {"task", "passed", "score", "max_score", "device", "findings"}
    return reply


def test_list_prints_every_task_id() -> None:
    done = grader_cli("list")
    assert done.returncode == 0
    assert done.stdout.split() == list(all_tasks())


def test_a_passing_py_submission_exits_0(tmp_path: Path) -> None:
    done = grader_cli("check", TASK, write(tmp_path, "s.py", CORRECT + "print('noise')\n"),
                      "--device", "cpu")
    reply = verdict(done)
    assert done.returncode == 0 and reply["passed"] and reply["score"] == reply["max_score"] > 0
    assert reply["device"] == "cpu" and "noise" in done.stderr  # student output kept off stdout


def test_a_notebook_submission_keeps_definitions_and_skips_the_rest(tmp_path: Path) -> None:
    cells = [CORRECT, "print('the rest ran')\nraise RuntimeError('a cell that must not run')",
             "%matplotlib inline"]
    nb = {"cells": [{"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
                     "execution_count": None} for s in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    done = grader_cli("check", TASK, write(tmp_path, "s.ipynb", json.dumps(nb)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert verdict(done)["passed"] and "the rest ran" not in done.stdout + done.stderr


def test_a_wrong_submission_exits_1_with_a_named_finding(tmp_path: Path) -> None:
    wrong = CORRECT.replace("2 * padding", "padding")
    done = grader_cli("check", TASK, write(tmp_path, "s.py", wrong), "--hidden")
    reply = verdict(done)
    assert done.returncode == 1 and not reply["passed"] and reply["score"] == 0
    assert reply["findings"] and all(f["code"] and f["message"] for f in reply["findings"])


@pytest.mark.parametrize("args, message", [
    (("check", "no_such.task", "README.md"), "unknown task"),
    (("check", TASK, "/no/such/file.py"), "cannot read"),
])
def test_usage_errors_exit_2_with_the_usage_and_one_error_line(args, message) -> None:
    done = grader_cli(*args)
    assert done.returncode == 2 and done.stdout == ""
    usage, error = done.stderr.strip().splitlines()
    assert usage.startswith("usage: python -m grader")
    assert error.startswith("python -m grader: error: ") and message in error


HOSTILE = {
    "os_exit": ("import os\nos._exit(0)\n", "SUBMISSION_ERROR", ()),
    "endless_import": ("while True:\n    pass\n", "TIMEOUT", ("--wall", "8")),
    "memory_bomb": ("import torch\nx = torch.ones(2**31)\n", "SUBMISSION_ERROR",
                    ("--memory-gib", "1")),
    "patches_torch": ("import torch\ntorch.allclose = lambda *a, **k: True\n" + CORRECT,
                      "TAMPERING", ()),
    "corrupt_notebook": (None, "SUBMISSION_ERROR", ()),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_submissions_fail_cleanly(tmp_path: Path, case: str) -> None:
    source, code, extra = HOSTILE[case]
    path = (write(tmp_path, "s.ipynb", '{"cells": [ {"cell_type": "co')
            if source is None else write(tmp_path, "s.py", source))
    done = grader_cli("check", TASK, path, *extra)
    reply = verdict(done)
    assert done.returncode == 1 and not reply["passed"]
    assert [f["code"] for f in reply["findings"]][0] == code, reply
