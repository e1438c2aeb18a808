"""Forked kernels behave as stock kernels do, and grade the sample class identically.

A probe notebook runs in a stock kernel and in two forked ones: what a notebook can observe of
its process (sys.path, argv, environment, cwd, session, signals, threads, execution counts) must
match, while the random streams must differ between students and the user namespace start
empty. Then the whole sample class of one assignment is graded both ways (stock kernels, one
nbgrader process per student; forked kernels, long-lived workers) and must give the same
gradebook, export and feedback.
"""

from __future__ import annotations

import csv
import html
import json
import logging
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from jupyter_client.provisioning import KernelProvisionerFactory
from nbclient import NotebookClient

from grader.classroom import forkkernel, gradebook_sync, sample_class
from grader.classroom.course import REPO, Course, environ
from grader.classroom.grading import Settings, run

ASSIGNMENT = "04_cross_entropy"
TIMEOUT = 30

PROBE_CELLS = [
    "import sys\npreloaded = 'torch' in sys.modules\n"
    "names = sorted(n for n in globals() if not n.startswith('_'))",
    "try:\n    torch.zeros(1)\n    torch_missing = False\nexcept NameError:\n"
    "    torch_missing = True",
    "import json, os, random, signal\nimport numpy, torch\n"
    "def normal(args):\n    return [a if not a.endswith('.json') else 'CONNECTION_FILE'"
    " for a in args]\n"
    "handlers = {s.name: repr(signal.getsignal(s)) for s in signal.valid_signals()"
    " if s in signal.Signals._value2member_map_}\n"
    "print(json.dumps({\n"
    "    'preloaded': preloaded, 'names': names, 'torch_missing': torch_missing,\n"
    "    'sys_path': sys.path, 'argv': normal(sys.argv), 'orig_argv': normal(sys.orig_argv),\n"
    "    'executable': sys.executable, 'env_keys': sorted(os.environ),\n"
    "    'nbgrader_execution': os.environ.get('NBGRADER_EXECUTION'), 'cwd': os.getcwd(),\n"
    "    'session_leader': os.getsid(0) == os.getpid(),\n"
    "    'group_leader': os.getpgid(0) == os.getpid(),\n"
    "    'threads': torch.get_num_threads(), 'handlers': handlers,\n"
    "    'grader_loaded': sorted(m for m in sys.modules if m.split('.')[0] == 'grader'),\n"
    "    'main': __name__, 'cuda_initialized': torch.cuda.is_initialized(),\n"
    "    'seeds': [torch.initial_seed(), random.random(), float(numpy.random.random())],\n"
    "}))",
]


def run_probe(cwd: Path, provisioner: str) -> tuple[dict, list[int | None]]:
    """Execute the probe notebook with `provisioner`; its report and the execution counts."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in PROBE_CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    factory = KernelProvisionerFactory.instance()
    before = factory.default_provisioner_name
    factory.default_provisioner_name = provisioner
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        factory.default_provisioner_name = before
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text), [c.execution_count for c in nb.cells]


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, list]]:
    cwd = tmp_path_factory.mktemp("probe")
    saved = dict(os.environ)
    os.environ.update(environ({"NBGRADER_EXECUTION": "autograde"}))
    try:
        return {"stock": run_probe(cwd, "local-provisioner"),
                "forked": run_probe(cwd, forkkernel.NAME),
                "forked again": run_probe(cwd, forkkernel.NAME)}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        forkkernel.stop_template()


SAME = ["names", "torch_missing", "sys_path", "argv", "orig_argv", "executable", "env_keys",
        "nbgrader_execution", "cwd", "session_leader", "group_leader", "threads", "handlers",
        "grader_loaded", "main", "cuda_initialized"]


def test_forked_kernel_was_forked_from_the_preloaded_template(probes) -> None:
    assert probes["stock"][0]["preloaded"] is False
    assert probes["forked"][0]["preloaded"] is True


@pytest.mark.parametrize("key", SAME)
def test_probe_sees_the_same_process_in_both_kernels(probes, key: str) -> None:
    stock, forked = probes["stock"][0], probes["forked"][0]
    assert forked[key] == stock[key]


def test_probe_specifics(probes) -> None:
    stock = probes["stock"][0]
    assert stock["torch_missing"] is True and "torch" not in stock["names"]
    assert stock["nbgrader_execution"] == "autograde"
    assert stock["session_leader"] and stock["group_leader"]
    assert stock["handlers"]["SIGINT"] == "<built-in function default_int_handler>"


def test_execution_counts_are_the_same(probes) -> None:
    assert probes["forked"][1] == probes["stock"][1] == [1, 2, 3]


def test_each_forked_kernel_has_its_own_random_streams(probes) -> None:
    seeds = [probes[k][0]["seeds"] for k in ("stock", "forked", "forked again")]
    for position in range(3):  # torch, Python, NumPy
        values = [s[position] for s in seeds]
        assert len(set(values)) == 3, values


def test_a_kernel_that_cannot_be_forked_is_refused_with_a_reason() -> None:
    with pytest.raises(forkkernel.ForkUnavailable, match="not ipykernel"):
        forkkernel.fork_kernel([sys.executable, "-m", "some_other_kernel"], {}, "/", 0)
    with pytest.raises(forkkernel.ForkUnavailable, match="not this interpreter"):
        forkkernel.fork_kernel(["/usr/bin/python3", "-m", "ipykernel_launcher"], {}, "/", 0)


def test_provisioner_is_registered_for_jupyter() -> None:
    factory = KernelProvisionerFactory.instance()
    assert forkkernel.NAME in factory.get_provisioner_entries()


# --------------------------------------------------- the sample class, graded both ways

def _course(root: Path) -> Course:
    root.mkdir(parents=True)
    for name in ("solutions", "notebooks"):
        (root / name).symlink_to(ROOT / name)
    course = Course(root)
    sample_class.build(course, students=list(sample_class.CLASS), assignments=[ASSIGNMENT])
    return course


def _export(course: Course) -> list[dict]:
    import subprocess

    out = course.root / "grades.csv"
    proc = subprocess.run(course.nbgrader("export", f"--CsvExportPlugin.to={out}"), cwd=REPO,
                          env=environ(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return sorted(csv.DictReader(out.open()), key=lambda row: row["student_id"])


def _feedback(course: Course) -> dict[str, str]:
    import subprocess

    proc = subprocess.run(course.nbgrader("generate_feedback", ASSIGNMENT), cwd=REPO,
                          env=environ(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {p.parent.parent.name: p.read_text()
            for p in course.dir("feedback").glob(f"*/{ASSIGNMENT}/*.html")}


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Course]:
    """The whole sample class of one assignment, graded with stock and with forked kernels."""
    courses = {}
    for way in ("stock", "forked"):
        course = _course(tmp_path_factory.mktemp("both") / way)
        run(Settings(course, jobs=2, timeout=TIMEOUT, memory_gib=1.5,
                     stock_kernels=way == "stock"), [ASSIGNMENT])
        courses[way] = course
    return courses


def test_forked_kernels_give_the_same_grades(both_ways) -> None:
    stock = gradebook_sync.dump(both_ways["stock"].db_url, ASSIGNMENT)
    forked = gradebook_sync.dump(both_ways["forked"].db_url, ASSIGNMENT)
    assert len(stock) >= len(sample_class.CLASS) - 1  # all but the one who handed in nothing
    assert forked == stock  # per cell: auto_score, needs_manual_grade, auto_comment


def test_forked_kernels_give_the_same_export(both_ways) -> None:
    assert _export(both_ways["forked"]) == _export(both_ways["stock"])


def _visible(page: str) -> str:
    """What a browser shows of a feedback page, whitespace collapsed: how a kernel happened to
    split one cell's printed text into stream messages (a flush timer) changes only markup."""
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_forked_kernels_give_the_same_feedback(both_ways) -> None:
    stock, forked = _feedback(both_ways["stock"]), _feedback(both_ways["forked"])
    assert stock and sorted(forked) == sorted(stock)
    for student, page in stock.items():
        assert _visible(forked[student]) == _visible(page), student


def test_forked_grading_logs_no_fallback(both_ways) -> None:
    logs = (both_ways["forked"].root / "reports" / "autograde" / ASSIGNMENT).glob("*.log")
    text = "\n".join(p.read_text(errors="replace") for p in logs)
    assert text and "starting a stock kernel" not in text


def test_a_kernel_with_other_start_up_settings_falls_back_to_stock(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """OMP_NUM_THREADS is read when torch loads: the template's would win, so no fork."""
    saved = dict(os.environ)
    try:
        forkkernel.start_template().ready()
        threads = 1 if saved.get("OMP_NUM_THREADS") != "1" else 2
        os.environ["OMP_NUM_THREADS"] = str(threads)
        caplog.set_level(logging.WARNING)
        report, _ = run_probe(tmp_path, forkkernel.NAME)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        forkkernel.stop_template()
    assert report["preloaded"] is False  # a stock kernel
    assert report["threads"] == threads
    assert "starting a stock kernel" in caplog.text and "OMP_NUM_THREADS" in caplog.text


# --------------------------------------------------- the same, inside the sandbox

@pytest.fixture(scope="module")
def caged_probes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, list]]:
    """The probe in a caged stock kernel and a caged forked one (GRADER_SANDBOX=cage)."""
    from grader.classroom import sandbox

    if reason := sandbox.unavailable():
        pytest.skip(f"no sandbox here: {reason}")
    cwd = tmp_path_factory.mktemp("caged-probe")
    saved = dict(os.environ)
    os.environ.update(environ({"NBGRADER_EXECUTION": "autograde", sandbox.ENV: sandbox.ON}))
    try:
        return {"stock": run_probe(cwd, sandbox.NAME), "forked": run_probe(cwd, forkkernel.NAME)}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        forkkernel.stop_template()


@pytest.mark.parametrize("key", [key for key in SAME if key != "cwd"])
def test_caged_kernels_see_the_same_process_stock_or_forked(caged_probes, key: str) -> None:
    assert caged_probes["forked"][0][key] == caged_probes["stock"][0][key]


def test_caged_kernels_work_in_scratch_folders_of_their_own(caged_probes) -> None:
    import tempfile

    folders = [caged_probes[way][0]["cwd"] for way in ("stock", "forked")]
    assert folders[0] != folders[1]
    for folder in folders:
        assert folder.startswith(os.path.join(tempfile.gettempdir(), "grader-kernel-"))
        assert not os.path.exists(folder)  # removed with its kernel
    assert caged_probes["forked"][0]["preloaded"] and not caged_probes["stock"][0]["preloaded"]
    assert caged_probes["forked"][1] == caged_probes["stock"][1] == [1, 2, 3]
