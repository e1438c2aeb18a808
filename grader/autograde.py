"""Autograde a whole class with nbgrader, in parallel, without ever corrupting the gradebook.

    python -m grader.autograde 05_mnist_classifier                 # every student, N = CPU count
    python -m grader.autograde 05_mnist_classifier --jobs 1        # serial, for comparison
    python -m grader.autograde all                                 # every assignment, one pool
    python -m grader.autograde 01_nn_module --students ada,bob --force
    python -m grader.autograde all --dask tcp://10.0.0.5:8786      # on a Dask cluster

Each (assignment, student) is graded by `nbgrader autograde A --student S --force`, N at a
time, against a private copy of the gradebook. Each of the N workers is one nbgrader process,
forked from a process that imported nbgrader once, that grades student after student; every
student's notebook runs in a new kernel forked from a template that imported torch once
(grader.classroom.forkkernel), under a memory and a wall-clock limit on that kernel
(grader.core.limits): a memory bomb or an endless loop costs only its own student.
--stock-kernels grades each student in an nbgrader process of its own with a stock kernel.
The parent alone writes gradebook.db: as each student finishes it copies, in one transaction,
the fields autograde wrote into the private copy (grader.classroom.gradebook_sync), so
gradebook.db ends up as a serial `nbgrader autograde` leaves it.
A notebook that is corrupt, whose kernel dies or that runs out of time or memory is recorded
with the reason; every other student is graded as usual. Exit status 1 when some student could
not be graded (the table and the status file say why), 0 when every one was.

Status: reports/autograde/<assignment>.json (grader.classroom.status) and one nbgrader log per
student in reports/autograde/<assignment>/. A rerun skips students whose submission and source
notebook are unchanged since they were graded; the rest (new, changed, failed, or left queued by
a killed run) are graded again, so a killed run, run again, ends with the same grades.
"""

from __future__ import annotations

import argparse
import os
import signal
import time

from grader.classroom import sandbox
from grader.classroom.course import Course, CourseError
from grader.classroom.grading import Settings, format_table, run
from grader.classroom.status import status_path
from grader.core import commandline
from grader.core.limits import gpu_visible


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("autograde", __doc__)
    commandline.add_assignments(p, required=True)
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="notebooks graded at once (default: CPU count; 1 = serial)")
    p.add_argument("--students", help="comma-separated student ids (default: all submitted)")
    p.add_argument("--force", action="store_true", help="regrade students already graded")
    p.add_argument("--timeout", type=int, help="seconds per cell (default: nbgrader_config.py)")
    p.add_argument("--memory-gib", type=float, default=4.0,
                   help="memory limit of a student's kernel in GiB (default 4)")
    p.add_argument("--wall", type=float, default=3600.0,
                   help="seconds for one student's whole notebook (default 3600)")
    p.add_argument("--stock-kernels", action="store_true",
                   help="one nbgrader process and a newly started kernel per student")
    commandline.add_root(p)
    p.add_argument("--dask", metavar="ADDRESS",
                   help="grade on the Dask cluster whose scheduler is at ADDRESS, e.g. "
                        "tcp://10.0.0.5:8786 (the course directory must be on a filesystem "
                        "the workers share); --jobs is then ignored")
    p.add_argument(sandbox.RISK_FLAG, action="store_true",
                   help="grade even where student code cannot be sandboxed (no Landlock): it "
                        "then runs as you, and can read solutions/ and change gradebook.db")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    assignments = commandline.assignments(p, args.assignments)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM: stop workers cleanly
    settings = Settings(Course(args.root), jobs=max(1, args.jobs), timeout=args.timeout,
                        memory_gib=args.memory_gib, wall=args.wall,
                        rlimit_data=not gpu_visible(), force=args.force,
                        dask=args.dask, stock_kernels=args.stock_kernels,
                        sandbox=not args.unsandboxed_students_can_read_solutions)
    start = time.monotonic()
    try:
        results = run(settings, assignments, commandline.ids(args.students))
    except KeyboardInterrupt:
        commandline.error("interrupted: graded students are saved; run again to grade the rest")
        return 130
    except CourseError as exc:
        return commandline.error(str(exc))
    for assignment in assignments:
        print("\n" + format_table(settings.course, assignment, results[assignment],
                                  settings.jobs))
        print(sandbox.describe(settings.sandbox))
    print(f"\nwall time {time.monotonic() - start:.1f} s with {settings.jobs} worker(s); "
          f"status in {status_path(settings.course, assignments[0]).parent}/")
    failed = any(r.outcome == "failed" for by_student in results.values()
                 for r in by_student.values())
    return commandline.FAILED if failed else commandline.DONE


if __name__ == "__main__":
    raise SystemExit(main())
