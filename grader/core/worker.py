"""The child process behind `python -m grader check`: load the submission, run one check.

It reads a JSON request on stdin and writes one JSON reply to the file descriptor named in the
request, so nothing the student prints can be mistaken for the verdict (student output goes to
stderr). The parent (grader.cli) owns the time and memory limits and kills this process if needed.
"""

from __future__ import annotations

import json
import os
import sys


def _reply(fd: int, payload: dict) -> None:
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(payload))


def _grade(request: dict) -> dict:
    """SUBMISSION_ERROR: the submission could not be loaded; otherwise the task's own findings."""
    from grader.core import submission
    from grader.core.catalogue import get_task
    from grader.core.findings import Code, Finding
    from grader.core.result import Result
    from grader.core.runner import MISSING, run_check

    try:
        task = get_task(request["task"])
    except KeyError as exc:
        return {"usage_error": str(exc.args[0])}
    device = request["device"]
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            return {"usage_error": "--device cuda was requested but no CUDA GPU is available"}
    try:
        loaded = submission.load(request["path"])
    except submission.SubmissionUnreadable as exc:
        finding = Finding(Code.SUBMISSION_ERROR, f"the submission could not be read: {exc}")
        return Result(task.id, False, 0.0, task.points, device or "cpu", [finding]).to_dict()
    obj = loaded.get(task.name, MISSING)
    result = run_check(task, obj, device=device, strict=request["strict"],
                       seconds=request["seconds"])
    if obj is MISSING and loaded.cell_errors:  # say why the name never got defined
        errors = "; ".join(loaded.cell_errors[:3])
        result.findings.append(Finding(Code.SUBMISSION_ERROR, f"cells failed to run: {errors}"))
    return result.to_dict()


def main() -> None:
    request = json.loads(sys.stdin.read())
    os.dup2(2, 1)  # anything the submission prints goes to stderr, never into the verdict
    _reply(request["result_fd"], _grade(request))
    sys.stderr.flush()
    os._exit(0)  # skip atexit handlers a submission may have registered


if __name__ == "__main__":
    main()
