"""nbgrader's submit, with the submission readable by the instructor only.

nbgrader's own submit leaves `<exchange>/<course>/inbound/<student>+<assignment>+<time>+<random>/`
open to everyone (folder 0777, files 0644): a student who learns or guesses the folder's name can
read another's notebook. The inbound folder is set-group-ID and belongs to the instructor's
group, so what a student submits into it belongs to that group too; this submit takes the
permissions of the copy down to owner and group (folders 0770 at the top, 0750 inside; files
0640), so the instructor still collects (and deletes) it and no other student can read it.

This file imports only nbgrader: the hub installs it on its own into the students' environment
(as `grader_hub_submit`), where the course's instructor package is absent, and nbgrader loads it
through `c.ExchangeFactory.submit = "grader_hub_submit.PrivateSubmit"`.
"""

from __future__ import annotations

import os

from nbgrader.exchange.default.submit import ExchangeSubmit

FILES = 0o640
FOLDERS = 0o750
TOP = 0o770  # the instructor's group may delete the submission after collecting it


class PrivateSubmit(ExchangeSubmit):
    """ExchangeSubmit whose copy in the inbound folder only its owner and group can read."""

    def copy_files(self) -> None:
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        self.set_perms(dest, fileperms=FILES, dirperms=FOLDERS)
        os.chmod(dest, TOP)
