"""The similarity check's threshold, measured: what it flags in each group of pairs.

    .venv/bin/python bench/similarity_threshold.py                 # 04_cross_entropy
    .venv/bin/python bench/similarity_threshold.py --thresholds 0.6,0.8

Builds, in a scratch course copy, the measurement class of grader.classroom.similarity_class:
the whole sample class, eight independently written solutions
(tests/classroom/similarity_authors/), a disguised copy (variables renamed, cells reordered) of
two of them, and the released notebook handed in as it is. Prints, per threshold, the share of
pairs flagged in each group:

    planted    a copy with its original (must be flagged: the detection rate)
    starter    starter_only with anyone (must not be: it holds only the released code)
    authors    two independent authors (must not be: the false-positive rate)
    author~sample  an independent author with a sample-class student (must not be)
    sample     two sample-class students: built from the one solution key, so every pair
               that shares an answer verbatim is a copy by construction
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.classroom import (  # noqa: E402
    sample_class,  # noqa: E402
    similarity,
    similarity_class,
)
from grader.classroom.course import Course  # noqa: E402

AUTHORS = ROOT / "tests" / "classroom" / "similarity_authors"
COPIED = ["author_b", "author_e"]


def group(pair: similarity.Pair, groups: dict[str, list[str]]) -> str:
    where = {s: g for g, names in groups.items() for s in names}
    a, b = sorted((where[pair.a], where[pair.b]))
    if "planted" in (a, b):
        original = next(n for n in (pair.a, pair.b) if n.startswith("copy_of_"))
        other = pair.b if original == pair.a else pair.a
        return "planted" if original == similarity_class.PLANTED_PREFIX + other else "other"
    if "starter" in (a, b):
        return "starter"
    return {("authors", "authors"): "authors", ("authors", "sample"): "author~sample",
            ("sample", "sample"): "sample"}[a, b]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="04_cross_entropy")
    parser.add_argument("--thresholds", default="0.5,0.6,0.7,0.8,0.9")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("solutions", "notebooks"):
            (root / name).symlink_to(ROOT / name)
        course = Course(root)
        groups = similarity_class.build(course, args.assignment, AUTHORS / args.assignment,
                                        COPIED, list(sample_class.CLASS))
        pairs, _ = similarity.run(course, args.assignment)
    by_group: dict[str, list[similarity.Pair]] = {}
    for p in pairs:
        by_group.setdefault(group(p, groups), []).append(p)
    print(f"{args.assignment}: {sum(map(len, groups.values()))} students, {len(pairs)} pairs")
    print("scores per group (lowest-highest): " + ", ".join(
        f"{g} {min(p.score for p in ps):.3f}-{max(p.score for p in ps):.3f}"
        for g, ps in sorted(by_group.items())))
    names = ["planted", "starter", "authors", "author~sample", "sample", "other"]
    print("threshold  " + "  ".join(f"{n:>15}" for n in names))
    for t in (float(x) for x in args.thresholds.split(",")):
        cells = []
        for n in names:
            ps = by_group.get(n, [])
            hit = sum(p.score >= t for p in ps)
            cells.append(f"{hit:>4}/{len(ps):<4} {100 * hit / len(ps) if ps else 0:5.1f}%")
        print(f"{t:9.2f}  " + "  ".join(f"{c:>15}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
