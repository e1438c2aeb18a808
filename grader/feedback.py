"""Feedback pages for the students: `python -m grader.feedback [ASSIGNMENT...]`.

Runs `nbgrader generate_feedback` for each assignment (default: every assignment with
autograded notebooks), which writes feedback/<student>/<assignment>/*.html. nbgrader_config.py
adds the preprocessor grader.classroom.findings_feedback.FindingsFeedback: hidden tests and
tracebacks are hidden, the grader's findings shown. Plain `nbgrader generate_feedback
ASSIGNMENT` does the same for one. Exit status 1 when nbgrader failed for an assignment.
"""

from __future__ import annotations

import argparse
import subprocess

from grader.classroom.course import REPO, Course, environ
from grader.core import commandline


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("feedback", __doc__)
    commandline.add_assignments(p, required=False)
    commandline.add_root(p)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    course = Course(args.root)
    assignments = commandline.assignments(p, args.assignments) if args.assignments else [
        a for a in course.assignments
        if any(course.dir("autograded").glob(f"*/{a}/{a}.ipynb"))]
    failed = 0
    for assignment in assignments:
        argv_ = course.nbgrader("generate_feedback", assignment, "--log-level=WARN")
        proc = subprocess.run(argv_, cwd=REPO, env=environ(), capture_output=True, text=True)
        pages = len(list(course.dir("feedback").glob(f"*/{assignment}/*.html")))
        print(f"{assignment}: {pages} feedback page(s)" + (" — FAILED" if proc.returncode else ""))
        if proc.returncode:
            last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
            commandline.error(f"{assignment}: nbgrader generate_feedback failed: {last}")
            failed += 1
    return commandline.FAILED if failed else commandline.DONE


if __name__ == "__main__":
    raise SystemExit(main())
