"""The command-line vocabulary every `python -m grader.<command>` shares (grader/README.md).

One parser shape (prog, the module docstring as description), positional ASSIGNMENT... with
`all`, `--root DIR` after the subcommand, comma-separated lists of ids, and the exit codes:
0 done, 1 ran but something failed, 2 usage error (through `parser.error`). Any other error is
one line on stderr that starts with `error: `. Standard library only: student commands use it too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.core.layout import ASSIGNMENTS
from grader.core.paths import REPO

DONE, FAILED, USAGE = 0, 1, 2  # exit codes
ALL = "all"  # the assignment word for every assignment of the course


def parser(name: str, doc: str | None) -> argparse.ArgumentParser:
    """The parser of `python -m grader.<name>` ("" for `python -m grader`), described by the
    command's module docstring."""
    prog = f"python -m grader.{name}" if name else "python -m grader"
    return argparse.ArgumentParser(prog=prog, description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_root(p: argparse.ArgumentParser) -> None:
    """--root DIR: the course root (default: this repository)."""
    p.add_argument("--root", type=Path, default=REPO, metavar="DIR",
                   help="the course root (default: this repository)")


def add_assignments(p: argparse.ArgumentParser, *, required: bool) -> None:
    """Positional ASSIGNMENT...: commands that act require one; those that read results default
    to every assignment that has them."""
    p.add_argument("assignments", nargs="+" if required else "*", metavar="ASSIGNMENT",
                   help=f"assignment id(s), e.g. 05_mnist_classifier, or `{ALL}` "
                        + ("" if required else "(default: all)"))


def assignments(p: argparse.ArgumentParser, names: list[str]) -> list[str]:
    """The assignments named, `all` expanded to every assignment in course order (also for no
    names); an unknown one is a usage error."""
    if not names or ALL in names:
        return list(ASSIGNMENTS)
    unknown = [n for n in names if n not in ASSIGNMENTS]
    if unknown:
        p.error(f"unknown assignment {', '.join(unknown)}; the course has: "
                f"{', '.join(ASSIGNMENTS)} (or `{ALL}`)")
    return list(dict.fromkeys(names))


def ids(text: str | None) -> list[str] | None:
    """A comma-separated list of ids (`--students ada,bob`), or None when not given."""
    return [part for part in text.split(",") if part] if text else None


def error(message: str) -> int:
    """Report an error that is not a usage error: one line on stderr; returns FAILED."""
    print(f"error: {message}", file=sys.stderr)
    return FAILED
