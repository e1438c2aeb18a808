"""The steps of bench/gpu_proof.sh that need Python: each prints its figures and writes STEP.json.

    python bench/gpu_proof.py env       --work DIR   # versions, GPU name, packages
    python bench/gpu_proof.py devices   --work DIR   # device-mistake fixtures: codes on cpu / cuda
    python bench/gpu_proof.py latency   --work DIR   # every task's check, median ms, cpu and cuda
    python bench/gpu_proof.py notebook  --work DIR   # notebook 05 (solutions/) under nbclient
    python bench/gpu_proof.py autograde --work DIR   # nbgrader autograde of notebook 05
    python bench/gpu_proof.py summary   --work DIR --out OUT   # DIR/*.json -> OUT/summary.*

Each step runs on whatever is there: CUDA parts are skipped, with the reason, where no GPU is.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ASSIGNMENT = "05_mnist_classifier"
NO_GPU = "skipped: no CUDA GPU on this machine"


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _devices() -> list[str]:
    return ["cpu", "cuda"] if _cuda() else ["cpu"]


# --- env ------------------------------------------------------------------------------------

def step_env() -> dict:
    """Python, torch and CUDA versions, the GPU, and the versions of the course's packages."""
    import torch

    names = ("torch", "torchvision", "numpy", "pytest", "nbgrader", "nbclient", "nbformat",
             "nbval", "ipykernel", "jupyter_client", "traitlets", "SQLAlchemy")
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "torch": torch.__version__, "cuda_build": torch.version.cuda,
            "cuda_available": torch.cuda.is_available(), "packages": versions}
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update(gpu=props.name, capability=f"{props.major}.{props.minor}",
                    gpu_memory_gib=round(props.total_memory / 2**30, 1),
                    multiprocessors=props.multi_processor_count)
    else:
        info["gpu"] = NO_GPU
    for key, value in info.items():
        print(f"{key}: {value}")
    return info


# --- devices --------------------------------------------------------------------------------

def _fixture_verdicts(path: Path) -> dict[str, str]:
    from grader.core import submission
    from grader.core.catalogue import get_task
    from grader.core.runner import MISSING, run_check

    task = get_task(f"{path.parent.parent.name}.{path.parent.name}")
    obj = submission.load(path).get(task.name, MISSING)
    verdicts = {}
    for device in _devices():
        for strict, mode in ((False, "visible"), (True, "hidden")):
            with contextlib.redirect_stdout(io.StringIO()):
                result = run_check(task, obj, device=device, strict=strict)
            verdicts[f"{device}/{mode}"] = ",".join(result.codes) or "pass"
    return verdicts


def step_devices() -> dict:
    """Every device-mistake fixture and every passing MNIST fixture, on each device and mode."""
    fixtures = ROOT / "tests" / "fixtures"
    paths = sorted(fixtures.glob("*/*/fail_DEVICE_MISMATCH__*.py"))
    paths += sorted((fixtures / "mnist").glob("*/pass_*.py"))
    rows, wrong = [], []
    for path in paths:
        expected = "pass" if path.stem.startswith("pass_") else "DEVICE_MISMATCH"
        verdicts = _fixture_verdicts(path)
        name = f"{path.parent.name}/{path.stem}"
        ok = all(expected in v.split(",") for v in verdicts.values())
        if not ok:
            wrong.append(name)
        rows.append({"fixture": name, "expected": expected, **verdicts, "ok": ok})
        print(f"{'ok  ' if ok else 'FAIL'} {name:<62} " +
              "  ".join(f"{k}={v}" for k, v in verdicts.items()), flush=True)
    if not _cuda():
        print(f"cuda columns {NO_GPU}")
    return {"devices": _devices(), "rows": rows, "unexpected": wrong,
            "cuda": "ran" if _cuda() else NO_GPU}


# --- latency --------------------------------------------------------------------------------

def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def step_latency() -> dict:
    """A visible and a hidden check of every task on its first passing fixture, warm, median."""
    from grader.core import submission
    from grader.core.catalogue import all_tasks
    from grader.core.runner import run_check

    rows = []
    for task in all_tasks().values():
        passing = sorted((ROOT / "tests" / "fixtures" / task.notebook / task.name).glob("pass_*"))
        if not passing:
            continue
        obj = submission.load(passing[0]).get(task.name, None)
        row: dict = {"task": task.id}
        for device in _devices():
            with contextlib.redirect_stdout(io.StringIO()):
                run_check(task, obj, device=device)  # warm-up, as in a kernel that ran it once
                row[f"{device}_visible_ms"] = _median_ms(
                    lambda t=task, o=obj, d=device: run_check(t, o, device=d), 5)
                row[f"{device}_hidden_ms"] = _median_ms(
                    lambda t=task, o=obj, d=device: run_check(t, o, device=d, strict=True), 3)
        rows.append(row)
        print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    if not _cuda():
        print(f"cuda latency {NO_GPU}")
    return {"rows": rows, "cuda": "ran" if _cuda() else NO_GPU}


# --- notebook -------------------------------------------------------------------------------

_REPORT_CELL = """
import json as _json
print("GPU_PROOF " + _json.dumps({
    "device": str(device), "test_accuracy": float(test_accuracy), "epochs": EPOCHS,
    "train_images": len(train_set), "throughput_samples_per_s": {k: round(v) for k, v in
                                                               results.items()}}))
"""


def step_notebook() -> dict:
    """Notebook 05 from solutions/, top to bottom under nbclient, with a report cell at the end."""
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_REPORT_CELL))
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    report = json.loads(text.split("GPU_PROOF ", 1)[1])
    training = [line.strip() for c in nb.cells if c.cell_type == "code"
                for o in c.get("outputs", []) for line in o.get("text", "").splitlines()
                if " epochs in " in line]  # "12 epochs in 40 s on cuda"
    result = {"seconds": round(seconds, 1), **report,
              "training_line": training[0] if training else ""}
    print(json.dumps(result, indent=1))
    return result


# --- autograde ------------------------------------------------------------------------------

def step_autograde() -> dict:
    """`python -m grader.autograde 05` on a sample class: the solutions and a device bug."""
    from grader.classroom.course import Course
    from grader.classroom.sample_class import build

    students = ["correct", "device_bug"]
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("solutions", "notebooks"):
            (Path(tmp) / name).symlink_to(ROOT / name)
        build(Course(Path(tmp)), students=students, assignments=[ASSIGNMENT])
        cmd = [sys.executable, "-m", "grader.autograde", ASSIGNMENT, "--root", tmp,
               "--jobs", str(len(students)), "--force", "--students", ",".join(students)]
        start = time.perf_counter()
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
        status = Path(tmp, "reports", "autograde", f"{ASSIGNMENT}.json")
        graded = json.loads(status.read_text())["students"] if status.is_file() else {}
    keys = ("outcome", "score", "max_score", "seconds", "reason")
    result = {"returncode": run.returncode, "wall_seconds": round(seconds, 1),
              "students": {name: {k: graded.get(name, {}).get(k) for k in keys}
                           for name in students},
              "gpu": "used" if _cuda() else NO_GPU}
    print(json.dumps(result, indent=1))
    return result


# --- summary --------------------------------------------------------------------------------

def _load(out: Path, name: str) -> dict:
    path = out / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def step_summary(work: Path, out: Path) -> dict:
    """Collect the steps' JSON files into OUT/summary.json and a markdown list, OUT/summary.md."""
    steps = {name: _load(work, name) for name in
             ("env", "pytest", "devices", "latency", "notebook", "fast", "autograde")}
    env, lines = steps["env"], []
    lines.append(f"GPU: {env.get('gpu', '?')}; torch {env.get('torch', '?')} (CUDA "
                 f"{env.get('cuda_build', '?')}); Python {env.get('python', '?')}")
    for name, data in steps.items():
        if name == "env":
            continue
        try:
            headline = _headline(name, data) if data else "no result"
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            headline = f"result present but incomplete ({type(exc).__name__}: {exc})"
        lines.append(f"- {name}: {headline}")
    text = "\n".join(lines) + "\n"
    (out / "summary.md").write_text("# GPU proof\n\n" + text)
    print(text)
    return steps


def _headline(name: str, data: dict) -> str:
    if name == "pytest":
        return ", ".join(f"{k} {v}" for k, v in data.items())
    if name == "devices":
        return (f"{len(data['rows'])} fixtures on {'+'.join(data['devices'])}, unexpected: "
                f"{data['unexpected'] or 'none'}; cuda: {data['cuda']}")
    if name == "latency":
        worst = {k: max(r.get(k, 0) for r in data["rows"]) for k in data["rows"][0] if k != "task"}
        return "slowest task per column (ms): " + ", ".join(f"{k} {v}" for k, v in worst.items())
    if name == "notebook":
        return (f"{data['seconds']} s on {data['device']}, test accuracy "
                f"{data['test_accuracy']:.4f}; {data['training_line']}")
    if name == "fast":
        return "; ".join(f"{k}: {v['test_accuracy']:.2%} in {v['train_seconds']} s "
                         f"(goal met: {v['goal_met']})" for k, v in data["best"].items()) + \
            (" (tiny CPU smoke run)" if data.get("tiny") else "")
    if name == "autograde":
        return f"{data['wall_seconds']} s for {len(data['students'])} students: " + ", ".join(
            f"{k} {v['score']}/{v['max_score']} ({v['seconds']} s)"
            for k, v in data["students"].items())
    return json.dumps(data)[:200]


STEPS: dict[str, Callable[[], dict]] = {
    "env": step_env, "devices": step_devices, "latency": step_latency,
    "notebook": step_notebook, "autograde": step_autograde,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=[*STEPS, "summary"])
    parser.add_argument("--work", type=Path, default=ROOT / "gpu-out" / "steps",
                        help="where each step writes STEP.json")
    parser.add_argument("--out", type=Path, default=ROOT / "gpu-out",
                        help="where summary writes summary.json and summary.md")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.step == "summary":
        args.out.mkdir(parents=True, exist_ok=True)
        result = step_summary(args.work, args.out)
        (args.out / "summary.json").write_text(json.dumps(result, indent=1) + "\n")
        return 0
    result = STEPS[args.step]()
    (args.work / f"{args.step}.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
