"""What the class got wrong: `python -m grader.analytics [ASSIGNMENT...]` writes reports/.

    reports/grades.csv      one row per student, assignment and test cell:
                            student, assignment, cell, score, max, codes, note
    reports/analytics.png   per notebook: the grade distribution, and how many students showed
                            each finding code
    reports/index.html      the same as a page, with what to re-teach first and an example
                            message for each code

Default: every assignment grader.autograde has results for (grader.classroom.analytics).
Exit status 1 when some student of those assignments could not be graded.
"""

from __future__ import annotations

import argparse

from grader.classroom import analytics
from grader.classroom.course import Course
from grader.classroom.status import load_status
from grader.core import commandline


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("analytics", __doc__)
    commandline.add_assignments(p, required=False)
    commandline.add_root(p)
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    course = Course(args.root)
    chosen = (commandline.assignments(p, args.assignments) if args.assignments
              else analytics.graded_assignments(course))
    for assignment, rows in analytics.report(course, chosen).items():
        counts = analytics.students_per_code(rows).most_common()
        print(f"{assignment}: " + (", ".join(f"{c} x{k}" for c, k in counts) or "no findings"))
    out = course.root / "reports"
    print(f"wrote {out / 'grades.csv'}, {out / 'analytics.png'}, {out / 'index.html'}")
    failed = any(entry.get("outcome") == "failed" for a in chosen
                 for entry in load_status(course, a).values())
    return commandline.FAILED if failed else commandline.DONE


if __name__ == "__main__":
    raise SystemExit(main())
