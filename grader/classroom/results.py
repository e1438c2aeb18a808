"""Each finished grading run, classified (graded, or failed with the reason) and merged into
gradebook.db by the parent alone, one transaction a student, as the runs come back from the
local pool or the cluster."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future

from grader.classroom import diagnose, gradebook_sync
from grader.classroom.jobs import Job, Results, Settings
from grader.classroom.progress import Progress
from grader.classroom.status import Outcome, StudentResult
from grader.core.limits import RunOutcome


def _conclude(settings: Settings, gb: gradebook_sync.Gradebook, job: Job,
              run: RunOutcome) -> StudentResult:
    """Classify one finished run and merge its gradebook entry (main thread only)."""
    result = StudentResult(job.student, "graded", seconds=round(run.seconds, 1),
                           peak_rss_gib=round(run.peak_rss / 2**30, 2),
                           fingerprint=job.fingerprint, log=str(job.log))
    autograded = settings.course.notebook("autograded", job.assignment, job.student)
    if run.returncode != 0 or run.killed or not autograded.is_file():
        log_text = job.log.read_text(errors="replace")
        kind, result.reason = diagnose.failure(run, log_text, settings.memory_gib, settings.wall)
        result.outcome = Outcome(kind)
        if run.killed:  # nbgrader had no chance to remove its partial output
            shutil.rmtree(autograded.parent, ignore_errors=True)
    else:
        result.problems = diagnose.cell_problems(autograded)
    record = gradebook_sync.read_submission(f"sqlite:///{job.db}", job.assignment, job.student)
    if record is not None:  # as nbgrader left it; a killed run wrote no trustworthy grades
        gradebook_sync.write_submission(gb, job.assignment, job.student, record,
                                        grades=not run.killed)
    return result


def collect(settings: Settings, futures: dict[Future, Job],
            as_completed: Callable[[Iterable[Future]], Iterator[Future]], results: Results,
            save: Callable[[str], None]) -> None:
    """As each future (a RunOutcome, or an exception: the run was lost) completes, merge its
    student into gradebook.db, record the result and show the progress (main thread only)."""
    with (gradebook_sync.opened(settings.course.db_url, settings.course.course_id) as gb,
          Progress(len(futures)) as progress):
        for future in as_completed(futures):
            job = futures[future]
            try:
                run = future.result()
            except Exception as exc:  # e.g. the worker grading it died, twice
                result = StudentResult(job.student, "failed", fingerprint=job.fingerprint,
                                       reason=f"its grading run was lost: {type(exc).__name__}: "
                                              f"{str(exc)[:200]}; run again to regrade")
            else:
                result = _conclude(settings, gb, job, run)
            results[job.assignment][job.student] = result
            job.db.unlink(missing_ok=True)
            save(job.assignment)
            progress.finished(job.assignment, result)
