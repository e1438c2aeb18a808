"""Run one task's check against a student's object and turn whatever happens into a Result.

The runner owns everything around a check: resolving the device, isolating the student's RNG and
grad-mode state, the time limit, tamper detection before and after, and mapping exceptions raised
by student code to findings. Checks themselves stay small functions from object to findings.

On an accelerator a check that passed runs once more with device "cpu" (`devices_to_try`): code
that hard-codes `.cuda()` or `"cuda"` works when the device under test happens to be that GPU, and
fails only where `device` means something else, as it does on every machine without one.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import replace
from typing import Any

import torch

from grader.core import integrity
from grader.core.borrowed import borrows_answers
from grader.core.capture import captured
from grader.core.expected import MissingExpectation
from grader.core.findings import Code, Finding
from grader.core.paths import PACKAGE
from grader.core.result import Result
from grader.core.task import Context, Task
from grader.core.timelimit import TimeLimitExceeded, time_limit

MISSING: Any = object()  # sentinel: the student never defined the graded name

DEFAULT_TIME_LIMIT = 30.0  # seconds a check may run student code before TIMEOUT

_GRADER_DIR = str(PACKAGE)
_TORCH_DIR = os.path.dirname(os.path.abspath(torch.__file__))

# Phrases in torch's error messages that mean tensors or modules sit on the wrong device.
_DEVICE_PHRASES = (
    "expected all tensors to be on the same device",
    "torch not compiled with cuda",
    "found no nvidia driver",
    "no cuda gpus are available",
    "input type (torch.cuda",
    "should be the same or input should be a mkldnn tensor",
    "expected object of device type",
    "cuda error",
    "cuda driver",
)


def default_device() -> str:
    """cuda when a GPU is usable, else cpu."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def student_location(exc: BaseException) -> str:
    """' (line N, in func)' for the innermost frame outside torch and the grader, or ''."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        path = os.path.abspath(frame.filename)
        if not path.startswith((_GRADER_DIR, _TORCH_DIR)):
            return f" (line {frame.lineno}, in {frame.name})"
    return ""


def finding_for_exception(exc: BaseException, name: str) -> Finding:
    """NOT_IMPLEMENTED: the stub still raises; TIMEOUT: the time limit hit; DEVICE_MISMATCH:
    torch's device errors; SUBMISSION_ERROR: any other crash.

    Name what an exception escaping student code most likely means."""
    text = f"{type(exc).__name__}: {exc}".strip()
    where = student_location(exc)
    if isinstance(exc, NotImplementedError):
        return Finding(Code.NOT_IMPLEMENTED, f"`{name}` is not implemented yet{where}: "
                       "replace `raise NotImplementedError()` with your code and run its cell.")
    if isinstance(exc, TimeLimitExceeded):
        return Finding(Code.TIMEOUT, f"`{name}` was still running after the time limit{where}; "
                       "look for a loop that never ends or far more work than the task needs.")
    if isinstance(exc, SystemExit):
        return Finding(Code.SUBMISSION_ERROR, f"`{name}` called sys.exit(){where}; "
                       "a function should return its result instead of stopping Python.")
    if any(phrase in text.lower() for phrase in _DEVICE_PHRASES):
        return Finding(Code.DEVICE_MISMATCH, f"running `{name}` failed with a device error{where}: "
                       f"{text.splitlines()[0][:300]}. Model and data must be on the same device: "
                       "move each batch with `.to(device)` and never hard-code `.cuda()`.")
    first_line = text.splitlines()[0][:300] if text else type(exc).__name__
    return Finding(Code.SUBMISSION_ERROR, f"running `{name}` raised {first_line}{where}.")


def devices_to_try(device: str) -> tuple[str, ...]:
    """The device asked for, then "cpu" when that is an accelerator (a hard-coded one shows)."""
    return (device,) if torch.device(device).type == "cpu" else (device, "cpu")


def _on_cpu(finding: Finding, device: str) -> Finding:
    return Finding(finding.code, f"on a second run with device \"cpu\" (a run on {device} alone "
                   f"cannot see a device written into the code): {finding.message}")


def _run_guarded(task: Task, obj: Any, ctx: Context, seconds: float | None) -> list[Finding]:
    # The CUDA generator too, where student code may touch it (also a hard-coded one on "cpu").
    on_cuda = torch.cuda.is_available() and (ctx.device.startswith("cuda")
                                             or torch.cuda.is_initialized())
    devices = [torch.cuda.current_device()] if on_cuda else []
    grad_was, threads_were = torch.is_grad_enabled(), torch.get_num_threads()
    try:
        with torch.random.fork_rng(devices=devices), time_limit(seconds):
            torch.set_grad_enabled(True)
            # Checks use tiny models: on a busy CPU, waiting for a second thread costs far more
            # than these few-element ops gain from it.
            torch.set_num_threads(1)
            return list(task.check(obj, ctx))
    except MissingExpectation:
        raise  # the kit lacks a recorded value: the grader is broken, not the student's code
    except (Exception, TimeLimitExceeded, SystemExit) as exc:  # student code failed
        return [finding_for_exception(exc, task.name)]
    finally:
        torch.set_grad_enabled(grad_was)
        torch.set_num_threads(threads_were)


def _run_on_each_device(task: Task, obj: Any, ctx: Context,
                        seconds: float | None) -> list[Finding]:
    """The findings on ctx.device, or when there are none, those of the same check on the CPU."""
    findings: list[Finding] = []
    for device in devices_to_try(ctx.device):
        findings = _run_guarded(task, obj, replace(ctx, device=device), seconds)
        if findings:
            return findings if device == ctx.device else [_on_cpu(f, ctx.device) for f in findings]
    return findings


def _tamper_finding(names: list[str]) -> Finding:
    """TAMPERING: torch, builtins or the grader were replaced by the submission."""
    shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
    return Finding(Code.TAMPERING, f"{shown} no longer behave as torch/Python ship them: "
                   "the submission replaced library functions, so it cannot be graded. "
                   "Restart the kernel and remove the code that reassigns them.")


def _borrowed_finding(name: str) -> Finding:
    """TAMPERING: the submission is, or is built from, the instructor's reference."""
    return Finding(Code.TAMPERING, f"`{name}` is, or is built from, the grader's own reference "
                   "(grader.answers), not the student's code, so it cannot be graded.")


def run_check(
    task: Task,
    obj: Any,
    *,
    device: str | None = None,
    strict: bool = False,
    seconds: float | None = DEFAULT_TIME_LIMIT,
) -> Result:
    """NOT_IMPLEMENTED: the name is missing. Check `obj` (the student's definition of task.name)
    and return the verdict. What the checked code writes to stderr, or warns, is kept back and
    summed up in `Result.note`."""
    ctx = Context(device=device or default_device(), strict=strict)
    note = ""
    if obj is MISSING:
        findings = [Finding(Code.NOT_IMPLEMENTED, task.missing or (
            f"`{task.name}` is not defined yet: write it in the cell marked YOUR CODE HERE and "
            "run that cell first."))]
    elif borrows_answers(obj):
        findings = [_borrowed_finding(task.name)]
    else:
        tampered = integrity.tampered_names()
        if tampered:
            findings = [_tamper_finding(tampered)]
        else:
            with captured() as output:  # stderr in a grade cell would cost the student its points
                findings = _run_on_each_device(task, obj, ctx, seconds)
            note = output.note()
            tampered = integrity.tampered_names()
            if tampered:
                findings = [_tamper_finding(tampered)]
    passed = not findings
    return Result(task=task.id, passed=passed, score=task.points if passed else 0.0,
                  max_score=task.points, device=ctx.device, findings=findings, note=note)
