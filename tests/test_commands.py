"""Every command (`python -m grader.<name>`, found as grader/*.py with a main) follows the
command-line conventions of grader/README.md: parser, flags, assignments, --root, exit codes."""

from __future__ import annotations

import argparse
import importlib
import inspect
from pathlib import Path

import pytest
from conftest import ROOT

from grader.core.paths import REPO

COMMANDS = sorted(p.stem for p in (ROOT / "grader").glob("*.py")
                  if p.stem not in ("__init__", "__main__") and "def main(" in p.read_text())
LIMITS = {"--memory-gib": float, "--wall": float, "--timeout": int}
RETIRED = ("--memory-gb", "--assignments", "--assignment")


def _prog(name: str) -> str:
    return "python -m grader" if name == "cli" else f"python -m grader.{name}"


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(subcommand path, parser) for the parser and every subcommand's, depth first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def _leaves(parser: argparse.ArgumentParser):
    return [(path, p) for path, p in _parsers(parser)
            if not any(isinstance(a, argparse._SubParsersAction) for a in p._actions)]


def test_commands_are_found() -> None:
    expected = {"cli", "autograde", "feedback", "analytics", "kit", "release", "shards"}
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_main_and_parser_have_the_common_shape(name: str) -> None:
    module = importlib.import_module(f"grader.{name}")
    signature = inspect.signature(module.main)
    assert list(signature.parameters) == ["argv"]
    assert signature.parameters["argv"].default is None and signature.return_annotation == "int"
    parser = module.parser()
    assert parser.prog == _prog(name) and parser.description == module.__doc__


@pytest.mark.parametrize("name", COMMANDS)
def test_flags_follow_the_vocabulary(name: str) -> None:
    for path, parser in _parsers(importlib.import_module(f"grader.{name}").parser()):
        leaf = not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
        for action in parser._actions:
            flags = set(action.option_strings)
            assert not flags & set(RETIRED), (name, path, flags)
            for flag, kind in LIMITS.items():
                if flag in flags:
                    assert action.type is kind, (name, flag)
            if "--root" in flags:
                assert leaf and action.type is Path and action.default == REPO, (name, path)
            if action.dest == "assignments":
                assert not action.option_strings and action.metavar == "ASSIGNMENT"
                assert action.nargs in ("+", "*"), (name, path)


def _required_options(parser: argparse.ArgumentParser, tmp_path: Path) -> list[str]:
    argv: list[str] = []
    for action in parser._actions:
        if action.required and action.option_strings:
            value = (str(tmp_path) if action.type is Path
                     else sorted(action.choices)[0] if action.choices else "2")
            argv += [action.option_strings[0], value]
    return argv


@pytest.mark.parametrize("name", COMMANDS)
def test_usage_errors_exit_2(name: str, tmp_path: Path, capsys) -> None:
    module = importlib.import_module(f"grader.{name}")
    with pytest.raises(SystemExit) as stopped:
        module.main(["--no-such-flag"])
    assert stopped.value.code == 2 and "error:" in capsys.readouterr().err
    for path, parser in _leaves(module.parser()):
        if not any(a.dest == "assignments" for a in parser._actions):
            continue
        argv = [*path, "no_such_assignment", *_required_options(parser, tmp_path),
                "--root", str(tmp_path)]
        with pytest.raises(SystemExit) as stopped:
            module.main(argv)
        err = capsys.readouterr().err
        assert stopped.value.code == 2, (name, path)
        assert "error: unknown assignment no_such_assignment" in err, (name, path, err)
