"""What stays with the instructor: the references the checks compare with and the hidden cases.

One module per notebook (named like its grader.tasks module). Never shipped in the student kit
(grader.classroom.kit refuses to): the kit's checks read the values these references gave on the
public cases from a recording (grader.core.expected), and the kit's grade() runs nothing hidden.
`REFERENCES` in each module maps a task id to the reference submission that records a task's
expectations when the kit is built.
"""
