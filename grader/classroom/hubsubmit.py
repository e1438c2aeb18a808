"""nbgrader's submit, with the submission readable by the instructor only.

nbgrader's own submit leaves `<exchange>/<course>/inbound/<student>+<assignment>+<time>+<random>/`
open to everyone (folder 0777, files 0644): a student who learns or guesses the folder's name can
read another's notebook. The inbound folder belongs to the instructor's group and is
set-group-ID, so a folder made in it, and a file made in such a folder, belong to that group too.
nbgrader's copy loses this (copying a folder copies its mode, which drops set-group-ID, so files
written afterwards belong to the student's group); this submit copies nbgrader's submission once
more into a fresh folder made in inbound/, files 0640 and folders 0750 (0770 at the top, so that
the instructor can delete it after collecting), and puts it in place of nbgrader's. The
instructor collects it; no other student can open it.

This file imports only nbgrader: the hub installs it on its own into the students' environment
(as `grader_hub_submit`), where the course's instructor package is absent, and nbgrader loads it
through `c.ExchangeFactory.submit = "grader_hub_submit.PrivateSubmit"`.
"""

from __future__ import annotations

import os
import shutil

from nbgrader.exchange.default.submit import ExchangeSubmit

FILES = 0o640
FOLDERS = 0o750
TOP = 0o770  # the instructor's group may delete the submission after collecting it


def private_copy(src: str, dest: str) -> None:
    """Copy folder `src` to a new `dest`, whose parent is set-group-ID: all in its group."""
    os.mkdir(dest, 0o700)
    for folder, _, files in os.walk(src):
        target = os.path.join(dest, os.path.relpath(folder, src))
        os.makedirs(target, FOLDERS, exist_ok=True)
        for name in files:
            shutil.copyfile(os.path.join(folder, name), os.path.join(target, name))
            os.chmod(os.path.join(target, name), FILES)
    os.chmod(dest, TOP)


class PrivateSubmit(ExchangeSubmit):
    """ExchangeSubmit whose copy in the inbound folder only its owner and group can read."""

    def copy_files(self) -> None:
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        private_copy(dest, dest + ".private")
        shutil.rmtree(dest)
        os.rename(dest + ".private", dest)
