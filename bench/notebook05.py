"""Notebook 05's training time, alone or beside a running autograde (figures for RESULTS.md).

    .venv/bin/python bench/notebook05.py                    # the solution notebook, alone
    .venv/bin/python bench/notebook05.py --beside-autograde # while a class of 04 is autograded
    .venv/bin/python bench/notebook05.py --notebook OLD.ipynb  # an older version, to compare

Runs solutions/05 top to bottom with nbclient (as a student's "Run All" does) and prints the
training cell's own "N epochs in S s" line, the wall time of the training cell and of the hidden
accuracy test cell, and the test accuracy. Beside autograde: a sample class of notebook 04 is
written to a scratch course and graded with `grader.autograde --jobs 1` meanwhile, in a loop.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "solutions" / "05_mnist_classifier" / "05_mnist_classifier.ipynb"


def _seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return float("nan")
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def run_notebook(notebook: Path) -> None:
    nb = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    total = time.perf_counter() - start
    training = next(c for c in nb.cells if "progress = tqdm(" in c.source)
    accuracy = next(c for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == "test_accuracy")
    line = re.search(r"\d+ epochs in .*", _text(training))
    print(f"training cell: {_seconds(training):.1f} s wall ({line.group(0) if line else '?'})")
    print(f"hidden accuracy test cell: {_seconds(accuracy):.1f} s wall; "
          f"{_text(accuracy).strip().splitlines()[0]}")
    print(f"whole notebook: {total:.1f} s")


def autograde_loop(course: Path) -> subprocess.Popen:
    """Grade a sample class of 04 again and again (--force) until stopped."""
    subprocess.run([sys.executable, "-m", "grader.sample_class", "--root", str(course),
                    "04_cross_entropy", "--students", "correct,unstable_softmax,"
                    "softmax_before_ce"], check=True, cwd=ROOT, capture_output=True)
    loop = (f"while true; do {sys.executable} -m grader.autograde 04_cross_entropy --root "
            f"{course} --jobs 1 --force >/dev/null 2>&1; done")
    return subprocess.Popen(["bash", "-c", loop], cwd=ROOT, start_new_session=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beside-autograde", action="store_true")
    parser.add_argument("--notebook", type=Path, default=NOTEBOOK)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if not args.beside_autograde:
        run_notebook(args.notebook)
        return
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(ROOT, course, ignore=shutil.ignore_patterns(
            ".venv", ".git", "data_cache", "submitted", "autograded", "feedback", "*.db"))
        grading = autograde_loop(course)
        try:
            time.sleep(5)
            run_notebook(args.notebook)
        finally:
            os.killpg(grading.pid, 15)
            grading.wait()
            time.sleep(2)                              # let the last worker finish writing


if __name__ == "__main__":
    main()
