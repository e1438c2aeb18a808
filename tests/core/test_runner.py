"""The runner around every check: missing names, crashes, time limits, tampering, isolation."""

from __future__ import annotations

import sys

import pytest
import torch

import grader
from grader.core.catalogue import get_task
from grader.core.findings import Code
from grader.core.runner import MISSING, finding_for_exception, run_check

TASK = get_task("nn_module.conv_output_size")


def correct(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


def test_a_correct_function_passes_with_full_score() -> None:
    result = run_check(TASK, correct, device="cpu")
    assert result.passed and result.score == result.max_score == TASK.points
    assert result.findings == [] and result.device == "cpu"


def test_missing_name_says_not_defined_yet() -> None:
    result = run_check(TASK, MISSING, device="cpu")
    assert result.codes == ["NOT_IMPLEMENTED"] and "not defined yet" in result.findings[0].message


def test_the_release_stub_says_not_implemented_yet() -> None:
    def stub(size, kernel_size, stride=1, padding=0):
        # YOUR CODE HERE
        raise NotImplementedError()

    result = run_check(TASK, stub, device="cpu")
    assert result.codes == ["NOT_IMPLEMENTED"] and not result.passed


def test_endless_loop_becomes_timeout() -> None:
    def endless(size, kernel_size, stride=1, padding=0):
        while True:
            pass

    result = run_check(TASK, endless, device="cpu", seconds=0.5)
    assert result.codes == ["TIMEOUT"]


def test_a_broad_except_cannot_swallow_the_time_limit() -> None:
    def stubborn(size, kernel_size, stride=1, padding=0):
        while True:
            try:
                while True:
                    pass
            except Exception:
                continue

    assert run_check(TASK, stubborn, device="cpu", seconds=0.5).codes == ["TIMEOUT"]


def test_sys_exit_is_a_failed_check_not_a_dead_grader() -> None:
    def leaves(size, kernel_size, stride=1, padding=0):
        sys.exit(0)

    result = run_check(TASK, leaves, device="cpu")
    assert result.codes == ["SUBMISSION_ERROR"] and "sys.exit" in result.findings[0].message


def test_patching_torch_before_the_check_is_tampering(monkeypatch) -> None:
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    result = run_check(TASK, correct, device="cpu")
    assert result.codes == ["TAMPERING"] and "torch.allclose" in result.findings[0].message


def test_patching_torch_inside_the_submission_is_tampering() -> None:
    original = torch.Tensor.backward

    def sneaky(size, kernel_size, stride=1, padding=0):
        torch.Tensor.backward = lambda self, *a, **k: None
        return correct(size, kernel_size, stride, padding)

    try:
        result = run_check(TASK, sneaky, device="cpu")
    finally:
        torch.Tensor.backward = original
    assert result.codes == ["TAMPERING"] and not result.passed


def test_rng_and_grad_mode_of_the_notebook_are_left_as_they_were() -> None:
    torch.manual_seed(1234)
    state = torch.get_rng_state()

    def careless(size, kernel_size, stride=1, padding=0):
        torch.set_grad_enabled(False)
        torch.manual_seed(0)
        return correct(size, kernel_size, stride, padding)

    run_check(TASK, careless, device="cpu")
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.is_grad_enabled()


@pytest.mark.parametrize("message", [
    "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and "
    "cpu!",
    "Torch not compiled with CUDA enabled",
    "Found no NVIDIA driver on your system.",
])
def test_device_errors_are_named_device_mismatch(message: str) -> None:
    assert finding_for_exception(RuntimeError(message), "f").code is Code.DEVICE_MISMATCH


def test_other_errors_name_the_exception_and_the_student_line() -> None:
    def broken(size, kernel_size, stride=1, padding=0):
        return size / undefined_name  # noqa: F821

    finding = run_check(TASK, broken, device="cpu").findings[0]
    assert finding.code is Code.SUBMISSION_ERROR
    assert "NameError" in finding.message and "in broken" in finding.message


def test_a_passing_check_prints_one_line_on_stdout_only(capsys) -> None:
    grader.check("nn_module.conv_output_size", correct)
    out, err = capsys.readouterr()
    assert "public checks passed" in out and err == ""
    assert "all tests passed" not in out.lower()


def _off_by_one(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride


def test_a_failing_check_raises_its_verdict_shown_without_a_traceback(capsys, monkeypatch) -> None:
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    with pytest.raises(grader.CheckFailed) as failed:
        grader.check("nn_module.conv_output_size", _off_by_one)
    shown = failed.value._render_traceback_()
    assert shown[0].startswith("❌ conv_output_size: the public checks found")
    assert any("WRONG_VALUE" in line for line in shown) and 'hint("' in shown[-1]
    assert not any("Traceback" in line or 'File "' in line for line in shown)
    assert capsys.readouterr() == ("", "")  # the verdict is shown once, as the error


def test_while_autograding_a_failing_check_prints_and_leaves_it_to_grade(capsys,
                                                                        monkeypatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    grader.check("nn_module.conv_output_size", _off_by_one)
    out, err = capsys.readouterr()
    assert "WRONG_VALUE" in out and err == ""


def test_check_looks_the_name_up_in_the_callers_namespace(capsys, monkeypatch) -> None:
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    namespace = {"check": grader.check}
    with pytest.raises(grader.CheckFailed, match="not defined yet"):
        exec("check('nn_module.conv_output_size')", namespace)
    exec("def conv_output_size(size, kernel_size, stride=1, padding=0):\n"
         "    return (size + 2 * padding - kernel_size) // stride + 1\n"
         "check('nn_module.conv_output_size')", namespace)
    assert "public checks passed" in capsys.readouterr().out


def test_grade_raises_with_the_findings_when_wrong(capsys) -> None:
    with pytest.raises(grader.GradingFailed, match="WRONG_VALUE") as raised:
        grader.grade("nn_module.conv_output_size", _off_by_one)
    assert str(raised.value).startswith("❌ conv_output_size: the hidden checks found")
    assert [f.code.value for f in raised.value.findings] == ["WRONG_VALUE"]
    assert capsys.readouterr().out == ""  # the verdict is shown once, as the error
    grader.grade("nn_module.conv_output_size", correct)
    assert "hidden checks passed" in capsys.readouterr().out


def test_grading_failed_and_check_failed_are_public_side_by_side() -> None:
    assert {"CheckFailed", "GradingFailed"} <= set(grader.__all__)
    assert grader.GradingFailed.__module__ == grader.CheckFailed.__module__


def test_a_missing_trained_model_says_the_training_never_ran() -> None:
    result = run_check(get_task("mnist.model"), MISSING, device="cpu", strict=True)
    assert result.codes == ["NOT_IMPLEMENTED"]
    assert "training cell has not run" in result.findings[0].message
