"""Load a student's submission (.py file or .ipynb notebook) into a namespace of definitions.

A .py file runs as a module. A notebook is different: it also trains models and plots, so only
the definitions are kept from each code cell (imports, functions, classes and assignments of
constant values), the way a grader would copy the graded cells into a fresh kernel. Each cell
runs on its own, so one broken cell does not hide the definitions in the others.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Expressions cheap and side-effect free enough to keep as module-level constants.
_CONSTANT_NODES = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp,
                   ast.Name, ast.Attribute, ast.Load, ast.operator, ast.unaryop)


class SubmissionUnreadable(Exception):
    """The file cannot be read as a submission at all (missing, not UTF-8, not a notebook)."""


@dataclass
class Submission:
    namespace: dict[str, Any]
    cell_errors: list[str] = field(default_factory=list)  # "cell 3: SyntaxError: ..." per failure

    def get(self, name: str, default: Any) -> Any:
        return self.namespace.get(name, default)


def _is_constant_assignment(node: ast.stmt) -> bool:
    value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
    if value is None:
        return False
    return all(isinstance(sub, _CONSTANT_NODES) for sub in ast.walk(value))


def _keep(node: ast.stmt) -> bool:
    return isinstance(node, _DEFINITIONS) or _is_constant_assignment(node)


def _strip_magics(source: str) -> str:
    """Comment out IPython magics and shell escapes, which are not Python."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append("# " + line if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def notebook_cells(path: Path) -> list[str]:
    """The sources of a notebook's code cells, read as plain JSON (no nbformat needed)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in cells if c.get("cell_type") == "code"]
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionUnreadable(f"cannot read {path}: {exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise SubmissionUnreadable(f"{path.name} is not a valid notebook (corrupt JSON?): {exc}") \
            from exc


def _run_cell(source: str, index: int, namespace: dict[str, Any], errors: list[str]) -> None:
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError as exc:
        errors.append(f"cell {index}: SyntaxError: {exc.msg} (line {exc.lineno})")
        return
    tree.body = [node for node in tree.body if _keep(node)]
    try:
        exec(compile(tree, f"<cell {index}>", "exec"), namespace)  # noqa: S102 - grading
    except Exception as exc:
        errors.append(f"cell {index}: {type(exc).__name__}: {exc}")


def load_notebook(path: Path) -> Submission:
    namespace: dict[str, Any] = {"__name__": "__submission__"}
    errors: list[str] = []
    for index, source in enumerate(notebook_cells(path), start=1):
        _run_cell(source, index, namespace, errors)
    return Submission(namespace, errors)


def load_module(path: Path) -> Submission:
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionUnreadable(f"cannot read {path}: {exc}") from exc
    namespace: dict[str, Any] = {"__name__": "__submission__", "__file__": str(path)}
    try:
        exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - grading
    except Exception as exc:
        return Submission(namespace, [f"{path.name}: {type(exc).__name__}: {exc}"])
    return Submission(namespace)


def load(path: str | Path) -> Submission:
    """Load a .py or .ipynb submission; SubmissionUnreadable if it is neither readable nor valid."""
    path = Path(path)
    if not path.is_file():
        raise SubmissionUnreadable(f"no such file: {path}")
    if path.suffix == ".ipynb":
        return load_notebook(path)
    if path.suffix == ".py":
        return load_module(path)
    raise SubmissionUnreadable(f"{path.name}: expected a .py file or an .ipynb notebook")
