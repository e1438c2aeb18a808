"""The course on a real JupyterHub: nbgrader's exchange from release to feedback, as real users.

`python -m grader.hub serve` starts the hub for an instructor and students A and B, each a Unix
account made for the test. Everyone logs in through the hub's login page in headless Chromium;
the instructor's and B's steps run in terminals of their own servers (as typed in the Lab), A's
in the Lab's Assignments tab:

1. the instructor generates and releases 04_cross_entropy;
2. A fetches it in the Assignments tab, writes a correct softmax and a cross_entropy that applies
   softmax before the loss, clicks Validate (the dialog names the failing check) and submits;
   B fetches and submits the notebook unfinished;
3. the instructor collects, autogrades (forked kernels), writes feedback and releases it:
   A loses the cross_entropy points with SOFTMAX_BEFORE_CE, B gets NOT_IMPLEMENTED;
4. A fetches the feedback in the Assignments tab and opens the HTML: the finding, no hidden test;
5. B can neither list nor read A's submission, gets 403/404 on the Formgrader, and no student
   can write to the course's source folders or gradebook.db; each is tried.

Screenshots of steps 2 and 4 and each step's time go to build/test-artefacts/hub/ (the test
prints the folder). Needs root (it makes and removes Unix accounts), Debian's Chromium, Playwright
and configurable-http-proxy (`make hub-proxy`); otherwise it is skipped with the reason. Every
account, process and folder it made is removed at the end, also when it fails.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = ROOT / "build" / "test-artefacts" / "hub"
ASSIGNMENT = "04_cross_entropy"
COURSE = "pytorch-basics"


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root: it creates and removes Unix accounts"
    if not CHROMIUM.exists():
        return f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs Playwright (pip install playwright)"
    from grader import hub
    if hub._proxy() is None:
        return "needs configurable-http-proxy (make hub-proxy)"
    from grader.classroom import hubsetup
    try:
        hubsetup.check_readable()
    except hubsetup.HubSetupError as exc:
        return str(exc)
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


def _free_port_block() -> int:
    """A port P with P, P+1 and P+2 free (the hub, its API, the proxy's API)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 65000:
            continue
        try:
            for p in (port + 1, port + 2):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port
    raise RuntimeError("no three free ports in a row")


class Steps:
    """Seconds each step took, kept in the artefacts folder (recorded, never judged)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def __call__(self, name: str, started: float) -> None:
        self.times[name] = round(time.monotonic() - started, 1)
        (ARTEFACTS / "steps.json").write_text(json.dumps(self.times, indent=1) + "\n")


@pytest.fixture(scope="module")
def hub() -> Iterator[dict]:
    """The hub for an instructor and two students, and everything it made removed after."""
    from grader.classroom import hubsetup
    from grader.classroom.hubroster import exists

    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    print(f"\nhub test artefacts: {ARTEFACTS}")
    tag = secrets.token_hex(3)
    people = {"instructor": f"hubteach{tag}", "a": f"hubada{tag}", "b": f"hubbob{tag}"}
    passwords = {name: secrets.token_urlsafe(10) for name in people.values()}
    root = Path(tempfile.mkdtemp(prefix="grader-hub-", dir="/tmp"))
    os.chmod(root, 0o755)  # the users reach their environments through it
    folder = hubsetup.HubFolder(root / "srv")
    roster = root / "roster.csv"
    with open(roster, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["username", "role", "password"])
        for key, name in people.items():
            writer.writerow([name, "instructor" if key == "instructor" else "student",
                             passwords[name]])
    port = _free_port_block()
    log = open(ARTEFACTS / "hub.log", "w")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "grader.hub", "serve", "--roster", str(roster),
                             "--dir", str(folder.root), "--port", str(port)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    steps = Steps()
    try:
        import requests
        deadline, up = time.monotonic() + 600, False
        while time.monotonic() < deadline and not up and proc.poll() is None:
            try:
                up = requests.get(f"{base}/hub/login", timeout=5).status_code == 200
            except requests.ConnectionError:
                time.sleep(1)
        assert up, f"the hub did not come up (exit {proc.poll()}): see {ARTEFACTS / 'hub.log'}"
        steps("hub set up and started", started)
        yield {"base": base, "people": people, "passwords": passwords, "folder": folder,
               "steps": steps, "pid": proc.pid}
    finally:
        hubsetup.stop(proc, folder)
        log.close()
        hubsetup.remove(folder)  # each user's leftover processes by pid, accounts, homes
        shutil.rmtree(root, ignore_errors=True)
        left = [name for name in people.values() if exists(name)]
        assert not left, f"accounts left behind: {left}"
        assert not root.exists()


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield chromium
        finally:
            chromium.close()


def _log_in(browser, hub: dict, name: str):
    """A browser page that posted the hub's login form as `name` (the hub starts the server)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(180_000)
    page.goto(f"{hub['base']}/hub/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", hub["passwords"][name])
    page.click("input[type=submit], button[type=submit]")
    return page


def _in_the_lab(page, name: str) -> None:
    page.wait_for_url(f"**/user/{name}/lab**", timeout=400_000)
    page.wait_for_selector("#jp-main-dock-panel", timeout=300_000)


def _hub_user(hub: dict, name: str):
    from grader.classroom.hubclient import HubUser
    user = HubUser(hub["base"], name, hub["passwords"][name])
    user.log_in()
    return user


def _open_assignments(page) -> None:
    page.click('#jp-menu-panel div.lm-MenuBar-itemLabel:text("Nbgrader")')
    page.click('#jp-mainmenu-nbgrader li[data-command="nbgrader:open-assignment-list"]')
    page.wait_for_selector("#released_assignments_list")


def _rows(page, kind: str):
    page.click("#refresh_assignments_list")
    page.wait_for_selector(f"#{kind}_assignments_list > .list_item")
    return page.locator(f"#{kind}_assignments_list > .list_item")


def _ok(user, command: str, timeout: float = 900) -> str:
    rc, out = user.run(command, timeout=timeout)
    assert rc == 0, f"{user.username}: `{command}` exited {rc}:\n{out[-3000:]}"
    return out


def _fixture_source(task: str, name: str) -> str:
    return (FIXTURES / "cross_entropy" / task / name).read_text()


def _write_answers(user, path: str, answers: dict[str, str]) -> None:
    """Put `answers` (grade_id -> source) into the solution cells of the user's notebook."""
    model = user.contents(path)
    for cell in model["content"]["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    user.save(path, {"type": "notebook", "format": "json", "content": model["content"]})


def _grades(db: Path, student: str) -> dict[str, tuple[float, float]]:
    """grade cell -> (score, max score) of the student's autograded notebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{db}") as gb:
        nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)  # notebook, assignment
        return {g.name: (g.score, g.max_score) for g in nb.grades}


# --------------------------------------------------------------------------- the route


def test_release_fetch_submit_collect_autograde_feedback_in_a_browser(hub, browser) -> None:
    from grader.classroom.hubsetup import course_dir

    steps, people = hub["steps"], hub["people"]
    teacher, a_name, b_name = people["instructor"], people["a"], people["b"]
    exchange = hub["folder"].exchange / COURSE
    course = course_dir(teacher)

    # Everyone logs in through the login page; the hub starts each server on first login.
    started = time.monotonic()
    login = browser.new_context().new_page()
    login.goto(f"{hub['base']}/hub/login")
    login.screenshot(path=str(ARTEFACTS / "0-login-page.png"))
    pages = {name: _log_in(browser, hub, name) for name in (teacher, a_name, b_name)}
    for name, page in pages.items():  # the three servers start side by side
        _in_the_lab(page, name)
    steps("log in through the login page, 3 servers started", started)
    for name, page in pages.items():  # the course's Lab settings reach every user's Lab
        for plugin, key, value in (("@jupyterlab/apputils-extension:notification", "fetchNews",
                                    "false"),
                                   ("@jupyter-widgets/jupyterlab-manager:plugin", "saveState",
                                    True)):
            answer = page.request.get(f"{hub['base']}/user/{name}/lab/api/settings/{plugin}")
            assert answer.ok, (name, plugin, answer.status)
            assert answer.json()["schema"]["properties"][key]["default"] == value, (name, key)
    users = {name: _hub_user(hub, name) for name in (teacher, a_name, b_name)}
    teach, a, b = users[teacher], users[a_name], users[b_name]

    # 1. The instructor generates and releases the assignment, in a terminal of their server.
    started = time.monotonic()
    _ok(teach, f"nbgrader generate_assignment {ASSIGNMENT} --force")
    _ok(teach, f"nbgrader release_assignment {ASSIGNMENT}")
    steps("1 instructor: generate_assignment + release_assignment", started)
    assert (exchange / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()

    # 2. A: Assignments tab, fetch, write the answers, Validate, submit.
    page = pages[a_name]
    started = time.monotonic()
    _open_assignments(page)
    released = _rows(page, "released")
    assert ASSIGNMENT in released.first.inner_text()
    released.first.locator(".item_status button").click()
    fetched = _rows(page, "fetched")
    steps("2a A: fetch in the Assignments tab", started)
    notebook = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    softmax = _fixture_source("softmax", "pass_max_keepdim.py")
    wrong_ce = _fixture_source("cross_entropy", "fail_SOFTMAX_BEFORE_CE__softmax_then_ce.py")
    _write_answers(a, notebook, {"softmax": softmax, "cross_entropy": wrong_ce})
    started = time.monotonic()
    page.click(f'#fetched_assignments_list a:text("{ASSIGNMENT}")')
    page.locator('.item_status button:text("Validate")').first.click()
    message = page.locator("#validation-message")
    message.wait_for(timeout=600_000)
    steps("2b A: Validate", started)
    said = message.inner_text()
    page.screenshot(path=str(ARTEFACTS / "2-validate-names-the-failing-check.png"))
    assert "cross_entropy" in said and "SOFTMAX_BEFORE_CE" in said, said
    page.locator(".jp-Dialog-button").last.click()
    started = time.monotonic()
    fetched.first.locator('.item_status button:text("Submit")').click()
    submitted = _rows(page, "submitted")
    assert ASSIGNMENT in submitted.first.inner_text()
    page.screenshot(path=str(ARTEFACTS / "2-submitted.png"))
    steps("2c A: submit in the Assignments tab", started)

    # B fetches and submits the notebook as released, from a terminal.
    started = time.monotonic()
    _ok(b, f"nbgrader fetch_assignment {ASSIGNMENT} && nbgrader submit {ASSIGNMENT}")
    steps("2d B: fetch_assignment + submit (terminal)", started)

    # 5. Security, tried from the students' terminals before the instructor collects.
    (a_submission,) = [p for p in (exchange / "inbound").iterdir()
                       if p.name.startswith(f"{a_name}+")]
    rc, out = b.run(f"ls {exchange / 'inbound'}")
    assert rc != 0 and "Permission denied" in out and a_name not in out, out
    for target in (a_submission / f"{ASSIGNMENT}.ipynb", a_submission / "timestamp.txt"):
        rc, out = b.run(f"cat {shlex.quote(str(target))}")
        assert rc != 0 and "Permission denied" in out, out
    rc, out = b.run(f"ls {shlex.quote(str(a_submission))}")
    assert rc != 0 and "Permission denied" in out, out
    for student in (a, b):
        for target in (course / "solutions" / ASSIGNMENT / "x.ipynb",
                       course / "notebooks" / ASSIGNMENT / "x.ipynb",
                       ROOT / "solutions" / ASSIGNMENT / "x.ipynb",
                       exchange / "outbound" / ASSIGNMENT / "x.ipynb"):
            rc, out = student.run(f"touch {target}")
            assert rc != 0 and "Permission denied" in out, (student.username, target, out)
            assert not target.exists()
        rc, out = student.run(f"python -c \"open('{course / 'gradebook.db'}', 'r+b')\"")
        assert rc != 0 and "Permission denied" in out, out
        rc, out = student.run(f"python -c \"open('{ROOT / 'gradebook.db'}', 'ab')\"")
        assert rc != 0 and ("Permission denied" in out or "No such file" in out), out
    formgrader = pages[b_name].goto(f"{hub['base']}/user/{teacher}/formgrader")
    assert formgrader.status in (403, 404), formgrader.status
    own = pages[b_name].goto(f"{hub['base']}/user/{b_name}/formgrader")
    assert own.status == 404, own.status
    assert teach.api("GET", f"/user/{teacher}/formgrader").status_code == 200

    # 3. The instructor collects, autogrades, writes and releases feedback.
    started = time.monotonic()
    _ok(teach, f"nbgrader collect {ASSIGNMENT}")
    steps("3a instructor: collect", started)
    started = time.monotonic()
    out = _ok(teach, f"python -m grader.autograde {ASSIGNMENT} --root . --jobs 2")
    steps("3b instructor: python -m grader.autograde (2 students, forked kernels)", started)
    started = time.monotonic()
    _ok(teach, f"python -m grader.feedback {ASSIGNMENT} --root .")
    _ok(teach, f"nbgrader release_feedback {ASSIGNMENT}")
    steps("3c instructor: python -m grader.feedback + release_feedback", started)
    graded_a, graded_b = _grades(course / "gradebook.db", a_name), _grades(
        course / "gradebook.db", b_name)
    assert graded_a["test_softmax"] == (3.0, 3.0), graded_a
    assert graded_a["test_cross_entropy"] == (0.0, 4.0), graded_a
    assert all(score == 0 for score, _ in graded_b.values()), graded_b
    html = {s: (course / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
            for s in (a_name, b_name)}
    assert "SOFTMAX_BEFORE_CE" in html[a_name] and "NOT_IMPLEMENTED" in html[b_name]

    # 4. A fetches the feedback in the Assignments tab and opens the HTML.
    started = time.monotonic()
    submitted = _rows(page, "submitted")
    submitted.first.locator('.item_status button:text("Fetch Feedback")').click()
    page.wait_for_selector("text=(view feedback)")
    steps("4 A: fetch feedback in the Assignments tab", started)
    feedback_dirs = a.contents(f"{ASSIGNMENT}/feedback")["content"]
    assert len(feedback_dirs) == 1
    path = f"{feedback_dirs[0]['path']}/{ASSIGNMENT}.html"
    shown = page.goto(f"{hub['base']}/user/{a_name}/files/{path}")
    assert shown.status == 200
    text = page.locator("body").inner_text()
    page.screenshot(path=str(ARTEFACTS / "4-feedback.png"), full_page=True)
    assert "SOFTMAX_BEFORE_CE" in text and "cross_entropy" in text
    assert "HIDDEN TESTS" not in page.content()
    assert 'grade("cross_entropy.cross_entropy")' not in page.content()

    # B, after the feedback is out, still sees only its own.
    rc, out = b.run(f"ls {exchange / 'feedback'}")
    assert rc != 0 and "Permission denied" in out, out
    _ok(b, f"nbgrader fetch_feedback {ASSIGNMENT}")
    (b_feedback,) = (Path(f"/home/{b_name}") / ASSIGNMENT / "feedback").glob("*/*.html")
    assert "SOFTMAX_BEFORE_CE" not in b_feedback.read_text()
    print("\n" + "\n".join(f"{sec:7.1f} s  {name}" for name, sec in steps.times.items()))
