"""Course benchmarks: how fast students get checks, notebooks run, and a class is graded.

    .venv/bin/python bench/run.py                 # every figure, printed as a table
    .venv/bin/python bench/run.py --only checks loaders
    .venv/bin/python bench/run.py --only forked          # forked kernels vs stock vs nbconvert

Each figure is measured beside its baseline in the same run and reported as a ratio where the
machine is noisy. Not part of the test suite; results are recorded in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Row = tuple[str, str, str]  # (figure, value, baseline / note)


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _run_seconds(cmd: list[str], repeat: int = 3) -> float:
    return _median_time(lambda: subprocess.run(cmd, cwd=ROOT, capture_output=True), repeat)


# --- 1. student check latency ---------------------------------------------------------------

def bench_checks() -> list[Row]:
    """A visible check in a warm kernel (goal <= 0.3 s) and a whole CLI process vs import torch."""
    import contextlib
    import io

    from grader.core import submission
    from grader.core.catalogue import all_tasks
    from grader.core.runner import run_check

    rows: list[Row] = []
    fixtures = ROOT / "tests" / "fixtures"
    for task in all_tasks().values():
        passing = sorted((fixtures / task.notebook / task.name).glob("pass_*.py"))
        if not passing:
            continue
        obj = submission.load(passing[0]).get(task.name, None)
        with contextlib.redirect_stdout(io.StringIO()):
            run_check(task, obj, device="cpu")  # warm-up, as in a kernel that ran it once
            visible = _median_time(lambda t=task, o=obj: run_check(t, o, device="cpu"), 5)
            hidden = _median_time(
                lambda t=task, o=obj: run_check(t, o, device="cpu", strict=True), 3)
        rows.append((f"check {task.id}", f"{visible * 1000:.0f} ms",
                     f"hidden {hidden * 1000:.0f} ms; goal visible <= 300 ms"))
    floor = _run_seconds([sys.executable, "-c", "import torch"])
    fixture = fixtures / "nn_module" / "conv_output_size"
    path = str(sorted(fixture.glob("pass_*.py"))[0])
    cli = _run_seconds([sys.executable, "-m", "grader", "check", "nn_module.conv_output_size",
                        path, "--device", "cpu"])
    rows.append(("python -m grader check (process)", f"{cli:.2f} s",
                 f"import torch floor {floor:.2f} s; ratio {cli / floor:.2f}x"))
    return rows


# --- 2. autograde cost ----------------------------------------------------------------------

def _sample_course(tmp: Path, students: list[str], assignment: str):
    from grader.classroom.course import Course
    from grader.classroom.sample_class import build

    for name in ("solutions", "notebooks"):
        (tmp / name).symlink_to(ROOT / name)
    course = Course(tmp)
    build(course, students=students, assignments=[assignment])
    return course


def _execute_seconds(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def _autograde_seconds(root: Path, assignment: str, jobs: int, students: list[str],
                       stock: bool = False, sandboxed: bool = True) -> float:
    from grader.classroom.sandbox import RISK_FLAG

    cmd = [sys.executable, "-m", "grader.autograde", assignment, "--root", str(root),
           "--jobs", str(jobs), "--force", "--students", ",".join(students)]
    cmd += ["--stock-kernels"] if stock else []
    cmd += [] if sandboxed else [RISK_FLAG]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
    return time.perf_counter() - start


def bench_autograde() -> list[Row]:
    """One submission: autograde vs plain nbclient execution; a class: serial vs parallel."""
    import tempfile

    rows: list[Row] = []
    assignments = sorted(p.name for p in (ROOT / "notebooks").iterdir() if p.is_dir())
    for assignment in assignments:
        with tempfile.TemporaryDirectory() as tmp:
            _sample_course(Path(tmp), ["correct"], assignment)
            plain = _execute_seconds(Path(tmp, "submitted", "correct", assignment,
                                          f"{assignment}.ipynb"))
            graded = _autograde_seconds(Path(tmp), assignment, 1, ["correct"])
        rows.append((f"autograde one {assignment}", f"{graded:.1f} s",
                     f"nbclient {plain:.1f} s; ratio {graded / plain:.2f}x (goal <= 1.2x)"))
    class_ = ["correct", "softmax_before_ce", "unstable_softmax", "unfinished",
              "patches_torch", "calls_sys_exit"]
    with tempfile.TemporaryDirectory() as tmp:
        _sample_course(Path(tmp), class_, "04_cross_entropy")
        serial = _autograde_seconds(Path(tmp), "04_cross_entropy", 1, class_)
        parallel = _autograde_seconds(Path(tmp), "04_cross_entropy", 2, class_)
    rows.append((f"class of {len(class_)}, 04_cross_entropy, 2 jobs", f"{parallel:.1f} s",
                 f"serial {serial:.1f} s; speed-up {serial / parallel:.2f}x (goal >= 1.8x)"))
    return rows


def _local_cluster(workers: int):
    """A scheduler and `workers` single-threaded worker processes on 127.0.0.1 (as `dask
    scheduler` / `dask worker` would start them); returns (address, processes)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                               "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)]
    procs += [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                               **quiet) for _ in range(workers)]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def bench_cluster() -> list[Row]:
    """The sample class of 04 through a 2-worker Dask cluster vs a local pool of 2."""
    import tempfile

    class_ = ["correct", "softmax_before_ce", "unstable_softmax", "unfinished",
              "patches_torch", "calls_sys_exit"]
    address, procs = _local_cluster(2)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _sample_course(Path(tmp), class_, "04_cross_entropy")
            local = _autograde_seconds(Path(tmp), "04_cross_entropy", 2, class_)
            stock = _autograde_seconds(Path(tmp), "04_cross_entropy", 2, class_, stock=True)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "grader.autograde", "04_cross_entropy",
                            "--root", tmp, "--force", "--dask", address], cwd=ROOT,
                           capture_output=True, check=True)
            cluster = time.perf_counter() - start
    finally:
        for proc in procs:
            proc.terminate()
    return [(f"class of {len(class_)}, 04, Dask 2 workers", f"{cluster:.1f} s",
             f"--jobs 2: {local:.1f} s forked kernels ({cluster / local:.2f}x), {stock:.1f} s "
             f"stock kernels ({cluster / stock:.2f}x; a Dask task grades as --stock-kernels)")]


def _execution_span(notebook: Path) -> float:
    """Seconds from the first cell's start to the last cell's reply, as nbclient recorded them."""
    import json
    from datetime import datetime

    cells = json.loads(notebook.read_text())["cells"]
    times = [c["metadata"]["execution"] for c in cells
             if c["cell_type"] == "code" and "execution" in c.get("metadata", {})]
    if not times:
        return 0.0
    start = datetime.fromisoformat(times[0]["iopub.execute_input"].rstrip("Z"))
    end = datetime.fromisoformat(times[-1]["shell.execute_reply"].rstrip("Z"))
    return (end - start).total_seconds()


def _nbconvert_seconds(paths: list[Path]) -> float:
    """`jupyter nbconvert --execute` on each notebook, one after another (cold starts)."""
    jupyter = Path(sys.executable).with_name("jupyter")
    start = time.perf_counter()
    for path in paths:
        subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute",
                        "--ExecutePreprocessor.allow_errors=True", "--output",
                        str(path.with_name("executed.ipynb")), str(path)],
                       cwd=path.parent, capture_output=True, check=True)
    return time.perf_counter() - start


FORK_CLASS = ["correct", "softmax_before_ce", "unstable_softmax", "unfinished"]


def bench_forked() -> list[Row]:
    """Forked kernels and long-lived workers vs stock autograde vs plain nbconvert --execute."""
    import tempfile

    assignment, n = "04_cross_entropy", len(FORK_CLASS)
    with tempfile.TemporaryDirectory() as tmp:
        course = _sample_course(Path(tmp), FORK_CLASS, assignment)
        submitted = [course.notebook("submitted", assignment, s) for s in FORK_CLASS]
        plain = _nbconvert_seconds(submitted)
        stock = _autograde_seconds(Path(tmp), assignment, 1, FORK_CLASS, stock=True)
        stock_span = sum(_execution_span(course.notebook("autograded", assignment, s))
                         for s in FORK_CLASS)
        stock_each = _overheads(course, assignment)
        forked = _autograde_seconds(Path(tmp), assignment, 1, FORK_CLASS)
        span = sum(_execution_span(course.notebook("autograded", assignment, s))
                   for s in FORK_CLASS)
        forked_each = _overheads(course, assignment)
    return [
        (f"nbconvert --execute x{n}, {assignment}", f"{plain:.1f} s", "one after another"),
        (f"autograde x{n} --jobs 1, stock kernels", f"{stock:.1f} s",
         f"{stock / plain:.2f}x nbconvert; fixed cost {(stock - stock_span) / n:.1f} s each"),
        (f"autograde x{n} --jobs 1, forked kernels", f"{forked:.1f} s",
         f"{forked / plain:.2f}x nbconvert (goal <= 0.6x); {forked / stock:.2f}x stock"),
        ("fixed cost per notebook, forked", f"{(forked - span) / n:.2f} s",
         f"(whole command - in-kernel execution) / {n}; in-kernel {span / n:.1f} s each"),
        ("per-student overhead, forked (median)", f"{statistics.median(forked_each):.2f} s",
         f"one student's grading minus its in-kernel execution; stock "
         f"{statistics.median(stock_each):.2f} s; goal <= 1 s"),
    ]


def _cage_seconds(repeat: int = 30) -> tuple[float, float]:
    """Median seconds of fork + exit in a child, without and with the cage applied."""
    import tempfile

    from grader.classroom import sandbox, sandboxcage

    def forked(action) -> float:
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                action()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        return time.perf_counter() - start

    with tempfile.TemporaryDirectory() as scratch:
        spec = sandbox.spec(scratch, [50000 + i for i in range(5)])
        bare = statistics.median(forked(lambda: None) for _ in range(repeat))
        caged = statistics.median(forked(lambda: sandboxcage.apply(spec))
                                  for _ in range(repeat))
    return bare, caged


def bench_sandbox() -> list[Row]:
    """The sandbox's cost: applying the cage in a forked child, and per student when grading
    (04, 4 students, --jobs 1), caged vs not, forked and stock kernels."""
    import tempfile

    bare, caged = _cage_seconds()
    rows: list[Row] = [("fork + exit, cage applied in the child", f"{caged * 1000:.2f} ms",
                        f"without the cage {bare * 1000:.2f} ms: the cage costs "
                        f"{(caged - bare) * 1000:.2f} ms")]
    assignment, n = "04_cross_entropy", len(FORK_CLASS)
    figures: dict[tuple[str, bool], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        course = _sample_course(Path(tmp), FORK_CLASS, assignment)
        for stock in (False, True):
            for sandboxed in (False, True):
                total = _autograde_seconds(Path(tmp), assignment, 1, FORK_CLASS, stock=stock,
                                           sandboxed=sandboxed)
                fixed = statistics.median(_overheads(course, assignment) or [float("nan")])
                key = ("stock" if stock else "forked", sandboxed)
                best = figures.get(key, (float("inf"), float("inf")))
                figures[key] = (min(best[0], total), min(best[1], fixed))
    for way in ("forked", "stock"):
        (free_total, free_fixed), (cage_total, cage_fixed) = figures[way, False], figures[way, True]
        rows.append((f"per-student fixed cost, {way}, sandboxed", f"{cage_fixed:.2f} s",
                     f"unsandboxed {free_fixed:.2f} s ({cage_fixed / free_fixed:.2f}x); "
                     f"whole run x{n}: {cage_total:.1f} s vs {free_total:.1f} s "
                     f"({cage_total / free_total:.2f}x)"))
    return rows


def _overheads(course, assignment: str) -> list[float]:
    """Per student: seconds the parent waited for the student (status) minus in-kernel time."""
    from grader.classroom.status import load_status

    status = load_status(course, assignment)
    return [status[s]["seconds"] - _execution_span(course.notebook("autograded", assignment, s))
            for s in FORK_CLASS if course.notebook("autograded", assignment, s).is_file()]


def bench_class_all() -> list[Row]:
    """The whole sample class, all five assignments, 2 jobs: stock kernels vs forked."""
    import tempfile

    from grader.classroom.sample_class import CLASS

    rows: list[Row] = []
    figures = {}
    for way in ("stock", "forked"):
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("solutions", "notebooks"):
                (Path(tmp) / name).symlink_to(ROOT / name)
            subprocess.run([sys.executable, "-m", "grader.sample_class", "--root", tmp],
                           cwd=ROOT, capture_output=True, check=True)
            cmd = [sys.executable, "-m", "grader.autograde", "all", "--root", tmp,
                   "--jobs", "2"] + (["--stock-kernels"] if way == "stock" else [])
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
            figures[way] = time.perf_counter() - start
    rows.append((f"sample class ({len(CLASS)}), all five, 2 jobs", f"{figures['forked']:.0f} s",
                 f"stock kernels {figures['stock']:.0f} s; "
                 f"{figures['stock'] / figures['forked']:.2f}x faster"))
    return rows


# --- 3. notebook execution ------------------------------------------------------------------

def bench_notebooks() -> list[Row]:
    """Each solution notebook executed top to bottom with nbclient on this CPU."""
    import nbformat
    from nbclient import NotebookClient

    rows: list[Row] = []
    total = 0.0
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
        total += seconds
        rows.append((f"notebook {path.stem}", f"{seconds:.1f} s", "nbclient, CPU"))
    rows.append(("all notebooks", f"{total:.1f} s", "goal <= 300 s"))
    return rows


# --- 5. DataLoader throughput ---------------------------------------------------------------

def bench_loaders() -> list[Row]:
    """28x28 images: per-sample Dataset + default collate vs slicing preloaded tensors."""
    import torch
    from torch.utils.data import DataLoader, Dataset

    n, batch = 20_000, 64
    images = torch.rand(n, 1, 28, 28)
    labels = torch.randint(0, 10, (n,))

    class PerSample(Dataset):  # what a hand-written Dataset does: one item per __getitem__
        def __len__(self) -> int:
            return n

        def __getitem__(self, i: int):
            return images[i], labels[i]

    dataset = PerSample()

    def per_sample(workers: int) -> float:
        loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=workers)
        start = time.perf_counter()
        for _ in loader:
            pass
        return n / (time.perf_counter() - start)

    def sliced() -> float:
        start = time.perf_counter()
        order = torch.randperm(n)  # one shuffle per epoch, then contiguous slices (views)
        shuffled_images, shuffled_labels = images[order], labels[order]
        for i in range(0, n, batch):
            shuffled_images[i:i + batch], shuffled_labels[i:i + batch]
        return n / (time.perf_counter() - start)

    def torchvision_per_sample() -> float:
        from torchvision import datasets, transforms

        from grader.data import DATA_DIR

        fashion = datasets.FashionMNIST(root=str(DATA_DIR), train=False, download=True,
                                        transform=transforms.ToTensor())
        loader = DataLoader(fashion, batch_size=batch, shuffle=True)
        start = time.perf_counter()
        for _ in loader:
            pass
        return len(fashion) / (time.perf_counter() - start)

    base = per_sample(0)
    rows: list[Row] = [("DataLoader per-sample, workers=0", f"{base:,.0f} samples/s", "baseline")]
    rate = torchvision_per_sample()
    rows.append(("FashionMNIST + ToTensor (PIL per sample)", f"{rate:,.0f} samples/s",
                 f"{rate / base:.2f}x baseline"))
    for workers in (2,):
        rate = per_sample(workers)
        rows.append((f"DataLoader per-sample, workers={workers}", f"{rate:,.0f} samples/s",
                     f"{rate / base:.2f}x baseline"))
    rate = sliced()
    rows.append(("preloaded tensors, sliced batches", f"{rate:,.0f} samples/s",
                 f"{rate / base:.1f}x baseline"))
    return rows


BENCHES: dict[str, Callable[[], list[Row]]] = {
    "checks": bench_checks,
    "autograde": bench_autograde,
    "cluster": bench_cluster,
    "forked": bench_forked,
    "class": bench_class_all,
    "loaders": bench_loaders,
    "sandbox": bench_sandbox,
    "notebooks": bench_notebooks,
}


def machine() -> str:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, {gpu}, Python "
            f"{platform.python_version()}, torch {torch.__version__}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=list(BENCHES),
                        default=[name for name in BENCHES if name != "class"],
                        help="run only these benchmark groups (`class`, the whole sample class "
                             "both ways, only when named: about an hour)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"| {'figure':<46} | {'value':>20} | baseline / note")
    print(f"|{'-' * 48}|{'-' * 22}|{'-' * 40}")
    for name in args.only:
        for figure, value, note in BENCHES[name]():
            print(f"| {figure:<46} | {value:>20} | {note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
