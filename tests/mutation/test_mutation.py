"""The mutation suite: every mutant of a reference solution fails with its expected code, every
equivalent rewrite passes (hidden checks for mutants; both visible and hidden for equivalents)."""

from __future__ import annotations

import pytest

from grader.core.catalogue import all_tasks
from mutation.cases import EQUIVALENTS, MUTANTS
from mutation.run import CAUGHT, PASSED, outcome, verdict


def test_the_suite_is_big_enough_and_covers_every_task() -> None:
    assert len(MUTANTS) >= 60 and len(EQUIVALENTS) >= 30
    trained = {"mnist.model"}  # the trained network, not code: tests/fixtures/mnist/model covers it
    assert {c.task for c in MUTANTS} == set(all_tasks()) - trained
    assert len({c.id for c in MUTANTS + EQUIVALENTS}) == len(MUTANTS) + len(EQUIVALENTS)


@pytest.mark.parametrize("case", MUTANTS, ids=lambda c: c.id)
def test_mutant_is_caught_with_its_code(case) -> None:
    result = verdict(case, strict=True)
    assert outcome(case, result) == CAUGHT, [f"{f.code.value}: {f.message}" for f in
                                             result.findings]


@pytest.mark.parametrize("strict", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("case", EQUIVALENTS, ids=lambda c: c.id)
def test_equivalent_passes(case, strict: bool) -> None:
    result = verdict(case, strict=strict)
    assert outcome(case, result) == PASSED, [f"{f.code.value}: {f.message}" for f in
                                             result.findings]
