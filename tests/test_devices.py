"""Device mistakes: the runner's second run on the CPU, and mistakes only a GPU run can reveal.

On an accelerator a passing check runs again with device "cpu" (grader.core.runner), so code that
hard-codes `.cuda()` fails there too (tests/fixtures/mnist/*/fail_DEVICE_MISMATCH__hardcoded_cuda*
run on both devices in test_fixtures.py). The GPU-only cases below pass on a CPU by nature: a
batch or model left on the CPU is on the right device when the device is the CPU.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from grader.core import submission
from grader.core.catalogue import get_task
from grader.core.findings import Code, Finding
from grader.core.runner import MISSING, devices_to_try, run_check
from grader.core.task import Context, Task

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


def test_devices_to_try_adds_the_cpu_after_an_accelerator() -> None:
    assert devices_to_try("cpu") == ("cpu",)
    assert devices_to_try("cuda") == ("cuda", "cpu")
    assert devices_to_try("cuda:0") == ("cuda:0", "cpu")


def _recording_task(fails_on: str, seen: list[str]) -> Task:
    def check(obj: object, ctx: Context) -> list[Finding]:
        seen.append(ctx.device)
        if ctx.device != fails_on:
            return []
        return [Finding(Code.DEVICE_MISMATCH, f"something only seen on {ctx.device}")]

    return Task(id="devices.probe", name="probe", check=check, points=1, hint="-")


def test_a_check_passing_on_an_accelerator_runs_again_on_the_cpu() -> None:
    seen: list[str] = []
    result = run_check(_recording_task("cpu", seen), object(), device="cuda")
    assert seen == ["cuda", "cpu"]
    assert result.codes == ["DEVICE_MISMATCH"] and result.device == "cuda"
    assert "second run with device \"cpu\"" in result.findings[0].message
    assert result.findings[0].message.endswith("something only seen on cpu")


def test_findings_on_the_accelerator_come_without_a_cpu_run() -> None:
    seen: list[str] = []
    result = run_check(_recording_task("cuda", seen), object(), device="cuda")
    assert seen == ["cuda"] and result.codes == ["DEVICE_MISMATCH"]
    assert result.findings[0].message == "something only seen on cuda"


def test_a_cpu_check_runs_once() -> None:
    seen: list[str] = []
    assert run_check(_recording_task("cuda", seen), object(), device="cpu").passed
    assert seen == ["cpu"]


# --- on a GPU: mistakes that are invisible when the device under test is the CPU --------------

GPU_ONLY = {
    "model_to_cpu": ("mnist.train_one_epoch", """
        def train_one_epoch(model, loader, criterion, optimizer, device):
            model.to("cpu").train()
            total = 0.0
            for inputs, labels in loader:
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad()
                loss = criterion(model(inputs), labels)
                loss.backward()
                optimizer.step()
                total += loss.item()
            return total / len(loader)
        """),
    "inputs_to_cpu": ("mnist.evaluate", """
        import torch

        def evaluate(model, loader, criterion, device):
            model.eval()
            loss, correct, n = 0.0, 0, 0
            with torch.no_grad():
                for inputs, labels in loader:
                    out = model(inputs.cpu())
                    loss += criterion(out, labels.to(device)).item() * len(labels)
                    correct += (out.argmax(1) == labels.to(device)).sum().item()
                    n += len(labels)
            return loss / n, correct / n
        """),
    "unregistered_tensor": ("mnist.MNISTNet", """
        import torch
        from torch import nn

        class MNISTNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
                self.scale = torch.ones(10)  # a plain attribute: .to(device) leaves it behind

            def forward(self, x):
                return self.net(x) * self.scale
        """),
}


def _load(tmp_path: Path, name: str, source: str):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    loaded = submission.load(path)
    assert not loaded.cell_errors, loaded.cell_errors
    return loaded


@pytest.mark.parametrize("case", sorted(GPU_ONLY))
def test_gpu_only_mistakes_are_otherwise_sound_code(case: str, tmp_path: Path) -> None:
    task_id, source = GPU_ONLY[case]
    task = get_task(task_id)
    obj = _load(tmp_path, case, source).get(task.name, MISSING)
    result = run_check(task, obj, device="cpu", strict=True)
    assert result.passed, [f"{f.code.value}: {f.message}" for f in result.findings]


@needs_cuda
@pytest.mark.parametrize("strict", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("case", sorted(GPU_ONLY))
def test_gpu_only_mistakes_fail_on_cuda(case: str, strict: bool, tmp_path: Path) -> None:
    task_id, source = GPU_ONLY[case]
    task = get_task(task_id)
    obj = _load(tmp_path, case, source).get(task.name, MISSING)
    result = run_check(task, obj, device="cuda", strict=strict)
    assert result.codes == ["DEVICE_MISMATCH"], [f"{f.code.value}: {f.message}"
                                                 for f in result.findings]
