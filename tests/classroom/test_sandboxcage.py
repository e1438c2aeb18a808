"""The cage on its own (no kernel): a caged Python reads what the spec allows and nothing else,
writes only its scratch folder, binds only its ports, connects nowhere, cannot become root; and
the feedback filter keeps the grader's verdicts and drops what student code wrote."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from grader.classroom import graderwritten, sandbox, sandboxcage
from grader.classroom.verdicts import decode_findings
from grader.core.findings import Code, Finding
from grader.core.report import findings_line

ABI = sandboxcage.landlock_abi()

PROBE = '''
import json, os, socket, sys
report = {}
def attempt(name, action):
    try:
        action()
        report[name] = "allowed"
    except PermissionError:
        report[name] = "denied"
    except OSError as exc:
        report[name] = f"other: {exc}"
args = json.loads(sys.argv[1])
attempt("read grader", lambda: open(args["grader"]).read())
attempt("read secret", lambda: open(args["secret"]).read())
attempt("list secret folder", lambda: os.listdir(os.path.dirname(args["secret"])))
attempt("write grader", lambda: open(args["grader"], "a"))
attempt("write scratch", lambda: open(os.path.join(args["scratch"], "x"), "w").write("x"))
attempt("bind own port", lambda: socket.socket().bind(("127.0.0.1", args["port"])))
attempt("bind other port", lambda: socket.socket().bind(("127.0.0.1", 0)))
attempt("connect", lambda: socket.create_connection(("127.0.0.1", args["listening"]), 5))
attempt("setuid 0", lambda: os.setuid(0))
attempt("signal parent", lambda: os.kill(os.getppid(), 0))
report["root"] = os.geteuid() == 0
print(json.dumps(report))
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(ABI < sandboxcage.ABI_NEEDED, reason=f"Landlock ABI {ABI} on this Linux")
def test_a_caged_python_reaches_only_what_its_spec_allows(tmp_path: Path) -> None:
    secret = ROOT / "solutions" / "04_cross_entropy" / "04_cross_entropy.ipynb"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "probe.py").write_text(PROBE)
    sandbox._hand_over(scratch)
    port = _free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        args = {"grader": str(ROOT / "grader" / "__init__.py"), "secret": str(secret),
                "scratch": str(scratch), "port": port, "listening": listener.getsockname()[1]}
        proc = subprocess.run(
            [sys.executable, str(sandbox.CAGE_SCRIPT),
             json.dumps(sandbox.spec(str(scratch), [port])), "--", sys.executable,
             str(scratch / "probe.py"), json.dumps(args)],
            cwd=scratch, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == {"read grader": "allowed", "read secret": "denied",
                      "list secret folder": "denied", "write grader": "denied",
                      "write scratch": "allowed", "bind own port": "allowed",
                      "bind other port": "denied", "connect": "denied", "setuid 0": "denied",
                      "signal parent": "denied", "root": False}


def test_the_cage_refuses_to_start_a_command_it_cannot_cage(tmp_path: Path) -> None:
    spec = {"read": [], "write": [], "devices": [], "bind_tcp": [], "user": None}
    env = dict(os.environ)
    if ABI >= sandboxcage.ABI_NEEDED:  # make it impossible: a port number Landlock rejects
        spec["bind_tcp"] = [70000]
    proc = subprocess.run([sys.executable, str(sandbox.CAGE_SCRIPT), json.dumps(spec), "--",
                           sys.executable, "-c", "print('ran')"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 126 and "ran" not in proc.stdout
    assert "sandbox could not be applied" in proc.stderr


# ------------------------------------------------------------- feedback: only the grader's

HIDDEN = "assert secret_answer(3) == 42  # the hidden test"


def _notebook() -> nbformat.NotebookNode:
    solution = nbformat.v4.new_code_cell("def softmax(x):\n    return x")
    solution.metadata.nbgrader = {"solution": True, "grade": False, "grade_id": "softmax"}
    solution.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"{HIDDEN}\nhello\n"),
        nbformat.v4.new_output("error", ename="ValueError", evalue=HIDDEN,
                               traceback=["\x1b[31mCell In[3], line 2\x1b[0m", HIDDEN]),
        nbformat.v4.new_output("display_data", data={"text/plain": HIDDEN})]
    test = nbformat.v4.new_code_cell(
        f'check("cross_entropy.softmax")\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n'
        f"### END HIDDEN TESTS")
    test.metadata.nbgrader = {"solution": False, "grade": True, "grade_id": "test_softmax",
                              "points": 1}
    verdict = ("✅ softmax: public checks passed.\n"
               f"{HIDDEN}\n"
               "❌ softmax: the hidden checks found 1 problem:\n"
               "  • UNSTABLE_NUMERICS: overflow for large logits\n"
               f"  • UNSTABLE_NUMERICS: {HIDDEN}\n"
               "stray text\n")
    test.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=verdict),
        nbformat.v4.new_output("error", ename="GradingFailed", traceback=[HIDDEN], evalue=(
            f"the hidden checks found: {HIDDEN}\n" + findings_line([
                Finding(Code.UNSTABLE_NUMERICS, "overflow"),
                Finding(Code.WRONG_VALUE, f"the value quotes {HIDDEN}")])))]
    return nbformat.v4.new_notebook(cells=[solution, test])


def test_feedback_keeps_only_the_graders_verdicts() -> None:
    nb, _ = graderwritten.GraderWrittenOnly().preprocess(_notebook(), {})
    solution, test = nb.cells
    assert [o.output_type for o in solution.outputs] == ["error"]
    assert solution.outputs[0].ename == "ValueError" and solution.outputs[0].evalue == ""
    assert solution.outputs[0].traceback == ["Cell In[3], line 2"]
    stream, error = test.outputs
    assert stream.text == ("✅ softmax: public checks passed.\n"
                           "❌ softmax: the hidden checks found 1 problem:\n"
                           "  • UNSTABLE_NUMERICS: overflow for large logits\n")
    assert error.ename == "GradingFailed" and HIDDEN not in error.evalue
    assert [(f.code, f.message) for f in decode_findings(error.evalue)] == [
        (Code.UNSTABLE_NUMERICS, "overflow"),
        (Code.WRONG_VALUE, "(message withheld: it quoted code the student must not see)")]
    assert error.traceback == []
    assert HIDDEN not in json.dumps([cell.outputs for cell in nb.cells])


def test_an_invented_exception_name_is_not_shown() -> None:
    output = nbformat.v4.new_output("error", ename="TheHiddenTestSays42", evalue="",
                                    traceback=[])
    assert graderwritten.plain_error(output).ename == "Error"
