"""The similarity check on the measurement class: copies flagged, starter code and genuine work not.

The class (grader.classroom.similarity_class): eight independently written solutions of
04_cross_entropy (the genuine students), four sample-class students, a disguised copy of two of
the authors (variables renamed, cells reordered) and the released notebook handed in as it is.
`python -m grader.similarity` runs once on it at the default threshold.
"""

from __future__ import annotations

import ast
import itertools
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import pytest
from conftest import ROOT

from grader import similarity as command
from grader.classroom import similarity, similarity_class
from grader.classroom.course import Course

ASSIGNMENT = "04_cross_entropy"
COPIED = ["author_b", "author_e"]
AUTHORS = Path(__file__).resolve().parent / "similarity_authors"  # written independently
SAMPLE = ["correct", "softmax_before_ce", "unstable_softmax", "unfinished"]

pytestmark = pytest.mark.skipif(not (ROOT / "notebooks" / ASSIGNMENT).is_dir(),
                                reason="notebooks/ not generated")


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path, str]:
    """(groups, pair -> score, report folder, printed) after `python -m grader.similarity`."""
    root = tmp_path_factory.mktemp("similarity")
    for name in ("solutions", "notebooks"):
        (root / name).symlink_to(ROOT / name)
    course = Course(root)
    groups = similarity_class.build(course, ASSIGNMENT, AUTHORS / ASSIGNMENT,
                                    COPIED, SAMPLE)
    out = StringIO()
    with redirect_stdout(out):
        assert command.main([ASSIGNMENT, "--root", str(root)]) == 0
    folder = root / "reports" / "similarity" / ASSIGNMENT
    scores = {}
    for line in (folder / "pairs.csv").read_text().splitlines()[1:]:
        a, b, score, *_ = line.split(",")
        scores[frozenset((a, b))] = float(score)
    return groups, scores, folder, out.getvalue()


def flagged(scores: dict, a: str, b: str) -> bool:
    return scores[frozenset((a, b))] >= similarity.THRESHOLD


def test_disguised_copies_are_flagged_with_their_original(checked: tuple) -> None:
    _, scores, folder, printed = checked
    for author in COPIED:
        assert flagged(scores, author, similarity_class.PLANTED_PREFIX + author), author
        assert f"{similarity_class.PLANTED_PREFIX}{author}" in printed
    page = (folder / "report.html").read_text(encoding="utf-8")
    for author in COPIED:  # the side-by-side page shows both files of each flagged pair
        assert f"{similarity_class.PLANTED_PREFIX}{author}.py" in page and f"{author}.py" in page


def test_starter_code_alone_is_not_flagged(checked: tuple) -> None:
    groups, scores, _, _ = checked
    everyone = [s for names in groups.values() for s in names]
    for other in everyone:
        if other != similarity_class.STARTER_ONLY:
            assert not flagged(scores, similarity_class.STARTER_ONLY, other), other


def test_genuine_students_are_not_flagged(checked: tuple) -> None:
    groups, scores, _, _ = checked
    authors = groups["authors"]
    for a, b in itertools.combinations(authors, 2):
        assert not flagged(scores, a, b), (a, b)
    for a, b in itertools.product(authors, groups["sample"]):
        assert not flagged(scores, a, b), (a, b)


def test_renaming_changes_every_local_name_and_keeps_the_code_valid() -> None:
    code = "def f(x, dim=1):\n    m = x.max(dim)\n    for i in range(3):\n        m = m + i\n" \
           "    return m\n"
    new = similarity_class.renamed(code)
    ast.parse(new)
    assert " m " not in new and "for i " not in new
    assert "def f(x, dim=1)" in new and "x.max(dim)" in new


def test_unknown_assignment_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        command.main(["no_such_assignment", "--root", str(tmp_path)])
    assert exit_.value.code == 2
