"""Every detector, a function that builds a Finding with a code of its own, starts its docstring
with a code it emits and names each code it builds as `CODE:` (grader/README.md, "Following a
misconception"). Read from the syntax tree, so a code merely mentioned in text does not count."""

from __future__ import annotations

import ast
import re

from grader.core.findings import MEANING, Code
from grader.core.paths import PACKAGE

LEADING_CODE = re.compile(r"^[A-Z][A-Z_]+:")


def _built_codes(function: ast.FunctionDef) -> set[str]:
    """Codes of the `Finding(Code.X, ...)` calls in the function's own body."""
    codes = set()
    for node in ast.walk(function):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "Finding" and node.args
                and isinstance(node.args[0], ast.Attribute)
                and isinstance(node.args[0].value, ast.Name) and node.args[0].value.id == "Code"):
            codes.add(node.args[0].attr)
    return codes


def _detectors() -> list[tuple[str, ast.FunctionDef, set[str]]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and (codes := _built_codes(node)):
                found.append((f"{path.relative_to(PACKAGE)}:{node.name}", node, codes))
    return found


def test_there_are_detectors_to_check() -> None:
    assert len(_detectors()) > 40


def test_every_detector_docstring_starts_with_its_codes() -> None:
    wrong = []
    for where, function, codes in _detectors():
        doc = ast.get_docstring(function) or ""
        missing = sorted(c for c in codes if f"{c}:" not in doc)
        if not LEADING_CODE.match(doc) or missing:
            wrong.append(f"{where}: {missing or 'no leading CODE:'}")
    assert wrong == []


def test_every_code_has_a_meaning_and_a_detector() -> None:
    assert set(MEANING) == set(Code)
    built = set().union(*(codes for _, _, codes in _detectors()))
    assert sorted(c.value for c in Code if c.value not in built) == []
