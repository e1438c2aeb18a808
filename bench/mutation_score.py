"""Mutation score of the grader: every mutant and equivalent of tests/mutation, graded in this
process (hidden checks for mutants; visible and hidden for equivalents), printed as a table.

    .venv/bin/python bench/mutation_score.py
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from mutation.cases import EQUIVALENTS, MUTANTS  # noqa: E402
from mutation.run import CAUGHT, MISSED, OTHER, PASSED, outcome, verdict  # noqa: E402

SHORT = {CAUGHT: "right code", OTHER: "other code", MISSED: "MISSED", PASSED: "passed"}


def main() -> int:
    start = time.perf_counter()
    tally: Counter[str] = Counter()
    print(f"{'task':<32} {'operator':<48} {'expected':<31} {'hidden':<12} visible")
    for case in MUTANTS:
        result = verdict(case, strict=True)
        got = outcome(case, result)
        tally[got] += 1
        visible = outcome(case, verdict(case, strict=False))
        tally["visible " + visible] += 1
        shown = SHORT[got] if got == CAUGHT else f"{SHORT[got]} {','.join(result.codes)}"
        print(f"{case.task:<32} {case.operator:<48} {case.expected:<31} {shown:<12} "
              f"{SHORT[visible]}")
    print()
    print(f"{'task':<32} {'equivalent rewrite':<48} {'visible':<10} hidden")
    for case in EQUIVALENTS:
        both = [outcome(case, verdict(case, strict=s)) for s in (False, True)]
        tally.update("equivalent " + o for o in both)
        print(f"{case.task:<32} {case.operator:<48} {both[0]:<10} {both[1]}")
    n, m = len(MUTANTS), len(EQUIVALENTS)
    caught = tally[CAUGHT] + tally[OTHER]
    print()
    print(f"mutants: {n} across {len({c.task for c in MUTANTS})} tasks; caught {caught}/{n} "
          f"({100 * caught / n:.1f}%), with the expected code {tally[CAUGHT]}/{n} "
          f"({100 * tally[CAUGHT] / n:.1f}%), another code {tally[OTHER]}, missed {tally[MISSED]}")
    print(f"  visible checks alone: expected code {tally['visible ' + CAUGHT]}/{n}, another code "
          f"{tally['visible ' + OTHER]}, missed {tally['visible ' + MISSED]}")
    print(f"equivalents: {m} (x2 modes); passed {tally['equivalent ' + PASSED]}/{2 * m}, "
          f"false fails {tally['equivalent false fail']}")
    print(f"time: {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
