"""nbgrader course configuration: run nbgrader commands from the repository root.

    nbgrader generate_assignment 05_mnist_classifier --force   # solutions/ -> notebooks/
    nbgrader autograde 05_mnist_classifier                     # submitted/ -> autograded/
    nbgrader generate_feedback 05_mnist_classifier             # autograded/ -> feedback/
    nbgrader export                                            # gradebook -> grades.csv

nbgrader runs `alembic` when it creates gradebook.db: put .venv/bin on PATH (make does).
`nbgrader autograde` needs the assignment recorded in gradebook.db, which generate_assignment
above does (`make notebooks` uses a scratch gradebook). For a whole class,
`python -m grader.autograde ASSIGNMENT` records it itself and grades in parallel, same results.
"""

import os

from grader.core import layout

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = ROOT
# The folders and the course id: grader/core/layout.py, the one place they are set.
c.CourseDirectory.source_directory = layout.FOLDERS["source"]
c.CourseDirectory.release_directory = layout.FOLDERS["release"]
c.CourseDirectory.submitted_directory = layout.FOLDERS["submitted"]
c.CourseDirectory.autograded_directory = layout.FOLDERS["autograded"]
c.CourseDirectory.feedback_directory = layout.FOLDERS["feedback"]
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "gradebook.db")
c.CourseDirectory.course_id = layout.COURSE_ID

# What a student sees in place of a solution region.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per-cell limits while autograding (grader/classroom/celltimeouts.py): a cell gets the budget
# its notebook declares in its metadata (`"grader": {"timeout": 240}` on the MNIST training cell),
# every other cell 30 s; 300 s stays the upper bound. A cell past its limit is interrupted.
c.ExecutePreprocessor.timeout = 300
c.Execute.timeout = 300
try:
    from grader.classroom.celltimeouts import cell_timeout
except ImportError:  # nbgrader run outside the course's environment: the global limit only
    pass
else:
    c.Execute.timeout_func = cell_timeout

# A test cell a student deleted is put back and run (by default nbgrader leaves its score empty,
# "needs manual grade"); a test cell a student edited is restored from the gradebook either way.
c.OverwriteCells.add_missing_cells = True

# Feedback shows the grader's findings per failed test cell, never the hidden tests or a
# traceback (grader/classroom/findings_feedback.py); nbgrader's own two preprocessors come first,
# as by default.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "grader.classroom.feedbackstyle.FeedbackStyle",  # markdown tables laid out as tables
    "grader.classroom.graderwritten.GraderWrittenOnly",  # only the grader's own outputs
    "grader.classroom.findings_feedback.FindingsFeedback",
]

# LaTeX in the feedback HTML renders offline: MathJax from the installed jupyter-server-mathjax
# instead of a CDN (grader/core/mathjax.py). nbgrader's feedback template calls mathjax() without
# a URL, so our base/mathjax.html.j2 comes first; nbgrader's templates folder stays next in line.
from nbgrader.converters import generate_feedback as _feedback  # noqa: E402

from grader.core.mathjax import TEMPLATES, url  # noqa: E402

if url():
    c.HTMLExporter.mathjax_url = url()
c.HTMLExporter.filters = {"local_mathjax_url": "grader.core.mathjax.local_mathjax_url"}
c.HTMLExporter.extra_template_basedirs = [
    str(TEMPLATES),
    os.path.join(os.path.dirname(_feedback.__file__), "..", "server_extensions", "formgrader",
                 "templates"),
]
