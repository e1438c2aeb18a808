"""The mutation suite: misconception operators and equivalent rewrites, applied mechanically to
the reference solutions in solutions/, each with the verdict the grader must give."""
