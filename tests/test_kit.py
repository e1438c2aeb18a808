"""The student kit: built by `python -m grader.kit`, free of the answers, installable on its own.

What counts as a leak: a line of a `### BEGIN SOLUTION` or `### BEGIN HIDDEN TESTS` block of
solutions/*.ipynb that equals a line of any file in the kit (the folder, the zip, the files inside
the wheel, the code cells of the notebooks), both lines normalized the same way: surrounding
whitespace and a trailing `# comment` removed, runs of spaces collapsed. A solution line is left
out of the search when the student sees it anyway or when it says nothing:
  - it equals a line of a released notebook (signatures, `super().__init__()`, demo code);
  - it holds at most two words (`return x`, `else:`, `pass`) or no letter or digit (`)`, `],`).
Whole lines, not substrings: a substring search also flags generic fragments inside longer lines
(`nn.Dropout(0.5),` inside a one-line test network of grader/tasks/mnist.py) that reveal nothing.
No hit is allowed: the references live in grader/answers/, which the kit never ships.
"""

from __future__ import annotations

import ast
import io
import json
import re
import subprocess
import sys
import tokenize
import zipfile
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbclient import NotebookClient
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from grader.classroom import kit as kitlib
from grader.core.catalogue import get_task

SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
BLOCKS = (("### BEGIN SOLUTION", "### END SOLUTION"),
          ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))
CHECK_CALL = re.compile(r'check\("([\w.]+)"\)')


def _checks_an_exercise(source: str) -> bool:
    """A check of code the student writes (not mnist.model, the outcome of a training run)."""
    match = CHECK_CALL.search(source)
    return bool(match) and not get_task(match.group(1)).missing


# --------------------------------------------------------------------------- what is in it


def _wheel_modules(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith(".py")]
    return {n[:-len("/__init__.py")].replace("/", ".") if n.endswith("/__init__.py")
            else n[:-3].replace("/", ".") for n in names}


def test_the_kit_holds_the_notebooks_the_student_grader_and_two_commands(kit) -> None:
    assert {p.name for p in kit.folder.iterdir()} == {"README.md", "Makefile", "lab",
                                                      "notebooks", "wheels"}
    released = {p.relative_to(ROOT / "notebooks") for p in (ROOT / "notebooks").glob("*/*.ipynb")}
    shipped = {p.relative_to(kit.folder / "notebooks") for p in kit.folder.rglob("*.ipynb")}
    assert shipped == released
    modules = _wheel_modules(kit.wheel)
    assert modules == set(kit.modules)
    assert {"grader", "grader.data", "grader.core.runner", "grader.tasks.mnist"} <= modules
    instructor = [m for m in modules if m.startswith("grader.classroom") or m in (
        "grader.cli", "grader.autograde", "grader.sample_class", "grader.feedback",
        "grader.analytics", "grader.release", "grader.shards", "grader.kit")]
    assert instructor == []
    makefile = (kit.folder / "Makefile").read_text()
    assert re.search(r"^setup:", makefile, re.M) and re.search(r"^lab:", makefile, re.M)


def test_the_archive_holds_exactly_the_folder(kit) -> None:
    with zipfile.ZipFile(kit.archive) as zf:
        archived = {n for n in zf.namelist() if not n.endswith("/")}
        for name in archived:
            assert zf.read(name) == (kit.folder.parent / name).read_bytes(), name
    on_disk = {str(p.relative_to(kit.folder.parent)) for p in kit.folder.rglob("*") if p.is_file()}
    assert archived == on_disk


def _requirement_set(pins: list[str]) -> set[tuple[str, str]]:
    parsed = [Requirement(pin) for pin in pins]
    return {(r.name.lower(), str(SpecifierSet(str(r.specifier)))) for r in parsed}


def test_the_wheel_requires_the_course_pins_of_the_student_packages(kit) -> None:
    with zipfile.ZipFile(kit.wheel) as zf:
        meta = next(zf.read(n).decode() for n in zf.namelist() if n.endswith("/METADATA"))
    required = [line.split(": ", 1)[1] for line in meta.splitlines()
                if line.startswith("Requires-Dist: ")]
    assert _requirement_set(required) == _requirement_set(kitlib.requirements())


def _top_level_imports(source: str) -> set[str]:
    source = "\n".join("#" + line if line.lstrip().startswith(("%", "!")) else line
                       for line in source.splitlines())
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_every_package_the_kit_imports_is_a_requirement_of_the_wheel(kit) -> None:
    imported = set()
    for path in (kit.folder / "notebooks").rglob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                imported |= _top_level_imports(cell.source)
    for module in kit.modules:
        imported |= _top_level_imports(kitlib.module_file(module).read_text())
    third_party = imported - set(sys.stdlib_module_names) - {"grader"}
    assert {"torch", "torchvision", "matplotlib"} <= third_party
    provided = packages_distributions()
    for name in sorted(third_party):
        dists = {d.lower() for d in provided.get(name, [])}
        assert dists & set(kitlib.STUDENT_REQUIREMENTS), f"{name} ({dists}) is not required"


def test_the_build_refuses_to_ship_an_instructor_module(monkeypatch) -> None:
    monkeypatch.setattr(kitlib, "STUDENT_ROOTS", ("grader", "grader.autograde"))
    with pytest.raises(kitlib.KitError, match="grader.autograde"):
        kitlib.student_modules()


# --------------------------------------------------------------------------- no answers


def _normalize(line: str) -> str:
    """Strip, drop a trailing comment (a real one: tokenize knows strings), collapse spaces."""
    text = line.strip()
    try:  # an unclosed bracket ends the token stream with an error: the tokens so far count
        for token in tokenize.generate_tokens(io.StringIO(text + "\n").readline):
            if token.type == tokenize.COMMENT:
                text = text[:token.start[1]]
                break
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return " ".join(text.split())


def _trivial(line: str) -> bool:
    return len(re.findall(r"\w+", line)) <= 2


def _blocks(source: str) -> Iterator[str]:
    for begin, end in BLOCKS:
        inside = False
        for line in source.splitlines():
            if line.strip() in (begin, end):
                inside = line.strip() == begin
            elif inside:
                yield line


def _secret_lines() -> list[tuple[str | None, str, str]]:
    """(task id or None, notebook cell, normalized line) of every solution/hidden-test line."""
    found = []
    for path in SOLUTIONS:
        cells = nbformat.read(path, as_version=4).cells
        for i, cell in enumerate(cells):
            later = [CHECK_CALL.search(c.source) for c in cells[i:] if c.cell_type == "code"]
            task = next((m.group(1) for m in later if m), None)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {i}")
            found += [(task, f"{path.stem}:{grade_id}", _normalize(line))
                      for line in _blocks(cell.source)]
    return found


def _released_lines() -> set[str]:
    lines = set()
    for path in sorted((ROOT / "notebooks").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            lines.update(_normalize(line) for line in cell.source.splitlines())
    return lines


def _text_files(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    """(path, text) of a file, of the cells of a notebook, and of every member of an archive."""
    if name.endswith((".zip", ".whl")):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for member in zf.namelist():
                if not member.endswith("/"):
                    yield from _text_files(f"{name}!{member}", zf.read(member))
        return
    text = data.decode("utf-8", errors="replace")
    yield name, text
    if name.endswith(".ipynb"):
        for cell in json.loads(text)["cells"]:
            source = cell["source"]
            yield name, "".join(source) if isinstance(source, list) else source


def _kit_lines(kit) -> dict[str, set[str]]:
    """Normalized lines of every file in the kit folder and the archive, by path."""
    lines: dict[str, set[str]] = {}
    files = [(str(p.relative_to(kit.folder)), p.read_bytes())
             for p in kit.folder.rglob("*") if p.is_file()]
    files.append((kit.archive.name, kit.archive.read_bytes()))
    for name, data in files:
        for path, text in _text_files(name, data):
            lines.setdefault(path, set()).update(_normalize(line) for line in text.splitlines())
    return lines


def test_no_solution_or_hidden_test_line_is_in_the_kit(kit) -> None:
    secrets = _secret_lines()
    assert len(secrets) > 50 and any(cell.endswith("test_accuracy") for _, cell, _ in secrets)
    released, kit_lines = _released_lines(), _kit_lines(kit)
    assert any(p.endswith("grader/tasks/mnist.py") for p in kit_lines)  # the wheel was searched
    searched, leaks = 0, []
    for _task, cell, line in secrets:
        if not line or _trivial(line) or line in released:
            continue
        searched += 1
        leaks += [f"{cell} -> {path}: {line}" for path, lines in kit_lines.items()
                  if line in lines]
    assert searched > 30
    assert leaks == [], "\n".join(leaks)


def test_the_leak_search_finds_a_planted_solution_line(kit, tmp_path) -> None:
    _, _, line = next(s for s in _secret_lines() if "train_one_epoch" in s[1]
                            and "total_loss +=" in s[2])
    planted = tmp_path / kitlib.KIT_NAME
    planted.mkdir()
    (planted / "notes.py").write_text(f"    {line}   # copied\n")
    fake = kitlib.Kit(planted, kit.archive, kit.wheel, kit.modules)
    assert line in _kit_lines(fake)["notes.py"]


# --------------------------------------------------------------------------- installed alone


def _run(python: Path, code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), **env})


def test_the_installed_grader_comes_from_the_wheel_without_instructor_code(kit, kit_python):
    code = ("import importlib.util, grader, torch\n"
            "print(grader.__file__)\n"
            "print(importlib.util.find_spec('grader.classroom'), "
            "importlib.util.find_spec('grader.autograde'))\n")
    done = _run(kit_python, code, kit.folder)
    assert done.returncode == 0, done.stderr
    where, specs = done.stdout.splitlines()
    assert where.startswith(str(kit_python.parents[1])) and "site-packages" in where
    assert specs == "None None"


def test_the_installed_grader_names_the_exercise_to_finish(kit_python, tmp_path) -> None:
    """ready() in the kit numbers the exercise as its notebook does, though the wheel is
    installed far from the notebooks (run from an empty folder)."""
    code = ("from grader import ready\n"
            "def train_one_epoch(*args):\n    raise NotImplementedError()\n"
            "print(ready('mnist.train_one_epoch'))\n")
    done = _run(kit_python, code, tmp_path)
    assert done.returncode == 0, done.stderr
    heading = re.search(r"Exercise (\d+) — `train_one_epoch`",
                        (ROOT / "notebooks" / "05_mnist_classifier" /
                         "05_mnist_classifier.ipynb").read_text(encoding="utf-8"))
    assert done.stdout.splitlines() == [
        f"⏭ finish Exercise {heading.group(1)} (`train_one_epoch`) first: this cell needs it.",
        "False"]


def test_the_installed_grader_keeps_the_data_where_the_makefile_says(kit, kit_python,
                                                                      tmp_path) -> None:
    """The kit's Makefile sets COURSE_DATA_DIR; `grader.data prepare` itself: tests/test_data.py."""
    makefile = (kit.folder / "Makefile").read_text()
    assert re.search(r"^export COURSE_DATA_DIR := \$\(CURDIR\)/data_cache$", makefile, re.M)
    done = _run(kit_python, "from grader.data import DATA_DIR; print(DATA_DIR)", kit.folder,
                COURSE_DATA_DIR=str(tmp_path / "data_cache"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "data_cache")


@pytest.fixture(scope="module")
def kernel_dirs(kit_python, tmp_path_factory) -> Path:
    """A Jupyter kernel that runs the kit's venv python."""
    share = tmp_path_factory.mktemp("jupyter")
    spec = share / "kernels" / "kit-python"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(kit_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "student kit", "language": "python",
        "env": {"COURSE_DATA_DIR": str(share / "data_cache"), "PYTHONPATH": ""}}))
    return share


def _solution_sources(path: Path) -> dict[str, str]:
    """grade_id -> the solution cell of solutions/, without nbgrader's markers."""
    source = ROOT / "solutions" / path.parent.name / path.name
    found = {}
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            found[meta["grade_id"]] = "\n".join(
                line for line in cell.source.splitlines()
                if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return found


def _public_check_session(path: Path) -> nbformat.NotebookNode:
    """What a student does: run the setup cell, then each exercise cell and its check cell as
    released (unfinished), then again with the solution written in (finished); then a probe
    that says where `grader` was imported from. Cells are tagged "unfinished" or "finished"."""
    nb = nbformat.read(path, as_version=4)
    solutions = _solution_sources(path)
    setup = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
    exercise = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")
                or (c.metadata.get("nbgrader", {}).get("grade") and _checks_an_exercise(c.source))]
    session = list(setup)
    for stage in ("unfinished", "finished"):
        for cell in exercise:
            copy = nbformat.from_dict(json.loads(json.dumps(cell)))
            copy.metadata["stage"] = stage
            if stage == "finished":
                copy.source = solutions.get(cell.metadata["nbgrader"]["grade_id"], copy.source)
            session.append(copy)
    probe = nbformat.v4.new_code_cell("import grader\nprint('grader from', grader.__file__)")
    nb.cells = [*session, probe]
    return nb


def _stream(cell, name: str = "stdout") -> str:
    return "".join(o.get("text", "") for o in cell.outputs
                   if o["output_type"] == "stream" and o.get("name") == name)


def _errors(cell) -> str:
    return " ".join(f"{o['ename']}: {o['evalue']}" for o in cell.outputs
                    if o["output_type"] == "error")


@pytest.mark.parametrize("name", [p.parent.name for p in SOLUTIONS])
def test_the_kit_notebooks_run_their_public_checks(kit, kit_python, kernel_dirs, monkeypatch,
                                                   name: str) -> None:
    """Unfinished: every check says not implemented. Finished: every check passes, quietly."""
    path = kit.folder / "notebooks" / name / f"{name}.ipynb"
    nb = _public_check_session(path)
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_dirs))
    NotebookClient(nb, timeout=300, kernel_name="kit-python", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    checks = [c for c in nb.cells if _checks_an_exercise(c.source)]
    assert {c.metadata["stage"] for c in checks} == {"unfinished", "finished"}
    for cell in checks:
        said = _stream(cell) + _errors(cell)
        if cell.metadata["stage"] == "finished":
            assert "public checks passed" in _stream(cell), f"{cell.source}: {said}"
            assert not _errors(cell) and not _stream(cell, "stderr"), f"{cell.source}: {said}"
        else:
            assert "NOT_IMPLEMENTED" in said, \
                f"{cell.source}: {said}"
    assert f"grader from {kit_python.parents[1]}" in _stream(nb.cells[-1])
