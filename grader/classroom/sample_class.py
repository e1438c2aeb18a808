"""A sample class of submissions to try the instructor's workflow on (`python -m
grader.sample_class` writes it).

Every submission starts from the released notebook (notebooks/) and fills its solution cells
(matched by nbgrader grade_id). CLASS below is the whole class as data: for each student, the
code they wrote where it differs from the solution, and the finding each planted mistake must
produce. Everything a student does not write is taken from the solutions (solutions/, with the
### BEGIN/END SOLUTION marker lines removed), as a student who got it right would write it.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from grader.classroom.course import Course

# Cell values besides plain source code:
RELEASE = "<<release>>"  # keep the released cell: the student never answered
DELETE = "<<delete>>"  # the student deleted the cell


@dataclass(frozen=True)
class Prepend:
    """Student code written above a correct answer in the same cell (it runs first)."""

    code: str


@dataclass(frozen=True)
class Append:
    """Student code written below a correct answer in the same cell."""

    code: str


Cell = str | Prepend | Append

# Placeholders for cells of whichever notebook is being written (hostile students act on all).
FIRST_SOLUTION, SECOND_SOLUTION = "<<first solution>>", "<<second solution>>"
FIRST_TEST, SECOND_TEST, EVERY_TEST = "<<first test>>", "<<second test>>", "<<every test>>"
PASSES = ""  # an expect value: this cell keeps its points (overrides EVERY_TEST)

# 05_mnist_classifier trains the student's model before its test-accuracy cell: when the model
# or the training loop is broken, that cell fails as well, with the reached accuracy named.
NO_TRAINED_MODEL = {"test_accuracy": "NOT_IMPLEMENTED"}  # the training cell never ran: no model
LOW_ACCURACY = {"test_accuracy": "ACCURACY_BELOW_TARGET"}  # trained, below the target


@dataclass(frozen=True)
class Student:
    """One student: what they wrote, and what grading must find.

    cells:   grade_id (or a placeholder) -> what the student's cell holds; others are correct.
    expect:  test grade_id (or placeholder) -> the finding code that cell's hidden check reports
             (PASSES: none); every other test cell of a graded notebook gets full marks.
    file:    "notebook", or "corrupt" (not JSON), "missing" (empty folder), "release" (as
             released: nothing answered).
    outcome: what grader.autograde reports: graded, failed (no grades) or missing.
    """

    about: str
    cells: dict[str, Cell] = field(default_factory=dict)
    expect: dict[str, str] = field(default_factory=dict)
    file: str = "notebook"
    outcome: str = "graded"


SOFTMAX_BEFORE_CE = '''\
def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of (B, C) logits against (B,) class indices, like nn.CrossEntropyLoss."""
    probs = torch.softmax(logits, dim=1)   # turn the scores into probabilities first
    log_probs = probs - torch.logsumexp(probs, dim=1, keepdim=True)
    return -log_probs[torch.arange(len(targets)), targets].mean()
'''

UNSTABLE_SOFTMAX = '''\
def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along `dim`, stable for very large or very small logits."""
    exps = torch.exp(logits)
    return exps / exps.sum(dim=dim, keepdim=True)
'''

GRADIENT_OF_THE_SUM = '''\
def cross_entropy_grad(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """d(mean cross-entropy)/d(logits) for (B, C) logits and (B,) class indices, by hand."""
    grad = torch.softmax(logits, dim=1)
    grad[torch.arange(len(targets)), targets] -= 1   # softmax minus one-hot
    return grad
'''

HARDCODED_BATCH = '''\
class SimpleCNN(nn.Module):
    """conv(1->8, 3x3, pad 1) -> ReLU -> maxpool 2 -> flatten -> Linear(1568 -> 10)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))
        x = x.view(64, -1)   # 64 images per batch
        return self.fc(x)
'''

SHUFFLED_TEST_SET = '''\
def make_loaders(train_dataset, test_dataset, batch_size=64):
    """(train_loader, test_loader): training batches shuffled, test batches in order."""
    train_loader = DataLoader(train_dataset, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_dataset, batch_size=batch_size, shuffle=True)
    return train_loader, test_loader
'''

SIGMOID_BEFORE_BCE_WITH_LOGITS = '''\
def bce_with_logits_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean BCE of sigmoid(logits) vs 0/1 targets, computed stably from the logits."""
    probs = torch.sigmoid(logits)
    return F.binary_cross_entropy_with_logits(probs, target)
'''

MNISTNET_SOFTMAX = '''\
class MNISTNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(28 * 28, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
            nn.Softmax(dim=1),   # class probabilities
        )

    def forward(self, x):
        return self.net(x)
'''

NO_ZERO_GRAD = '''\
def train_one_epoch(model, loader, criterion, optimizer, device):
    model.train()
    running_loss = 0.0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    return running_loss / len(loader)
'''

STEP_BEFORE_BACKWARD = '''\
def train_one_epoch(model, loader, criterion, optimizer, device):
    model.train()
    running_loss = 0.0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        optimizer.step()
        loss.backward()
        running_loss += loss.item()
    return running_loss / len(loader)
'''

NO_EVAL_NO_GRAD = '''\
def evaluate(model, loader, criterion, device):
    total_loss, correct, total = 0.0, 0, 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        outputs = model(inputs)
        total_loss += criterion(outputs, labels).item() * labels.size(0)
        correct += (outputs.argmax(dim=1) == labels).sum().item()
        total += labels.size(0)
    return total_loss / total, correct / total
'''

DEVICE_BUG = '''\
def train_one_epoch(model, loader, criterion, optimizer, device):
    model.train()
    running_loss = 0.0
    for inputs, labels in loader:
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    return running_loss / len(loader)
'''

REBINDS_UPDATE = '''\
def sgd_step(model, lr):
    """One gradient-descent step, by hand, on every parameter of `model` that has a gradient;
    then clear the gradients."""
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p = p - lr * p.grad   # the new value of the parameter
    model.zero_grad()
'''

CLASS: dict[str, Student] = {
    "correct": Student("gets everything right (the solutions)"),
    "softmax_before_ce": Student(
        "applies softmax to the logits before CrossEntropyLoss",
        cells={"cross_entropy": SOFTMAX_BEFORE_CE, "mnist_net": MNISTNET_SOFTMAX},
        expect={"test_cross_entropy": "SOFTMAX_BEFORE_CE", "test_mnist_net": "SOFTMAX_BEFORE_CE",
                **LOW_ACCURACY}),
    "unstable_softmax": Student(
        "computes exp() of raw logits: overflows for large scores",
        cells={"softmax": UNSTABLE_SOFTMAX}, expect={"test_softmax": "UNSTABLE_NUMERICS"}),
    "gradient_of_the_sum": Student(
        "differentiates cross-entropy by hand but forgets the mean's 1/B",
        cells={"cross_entropy_grad": GRADIENT_OF_THE_SUM},
        expect={"test_cross_entropy_grad": "WRONG_VALUE"}),
    "rebinds_update": Student(
        "writes the update as p = p - lr * p.grad: the loop name is rebound, no parameter changes",
        cells={"sgd_step": REBINDS_UPDATE}, expect={"test_sgd_step": "UPDATE_REBINDS_NAME"}),
    "hardcoded_batch": Student(
        "flattens with the batch size written in: x.view(64, -1)",
        cells={"simple_cnn": HARDCODED_BATCH}, expect={"test_simple_cnn": "HARDCODED_BATCH_SIZE"}),
    "shuffled_test_set": Student(
        "shuffles the test loader too",
        cells={"make_loaders": SHUFFLED_TEST_SET},
        expect={"test_make_loaders": "SHUFFLE_SETTINGS"}),
    "sigmoid_before_bce": Student(
        "applies sigmoid before a loss that takes logits",
        cells={"bce_with_logits_loss": SIGMOID_BEFORE_BCE_WITH_LOGITS},
        expect={"test_bce_with_logits_loss": "SIGMOID_BEFORE_BCE_WITH_LOGITS"}),
    "missing_zero_grad": Student(
        "never calls optimizer.zero_grad(): gradients pile up across batches",
        cells={"train_one_epoch": NO_ZERO_GRAD},
        expect={"test_train_one_epoch": "MISSING_ZERO_GRAD", **LOW_ACCURACY}),
    "step_before_backward": Student(
        "calls optimizer.step() before loss.backward()",
        cells={"train_one_epoch": STEP_BEFORE_BACKWARD},
        expect={"test_train_one_epoch": "STEP_BEFORE_BACKWARD", **LOW_ACCURACY}),
    "no_eval_no_grad": Student(
        "evaluates in training mode with gradient tracking on",
        cells={"evaluate": NO_EVAL_NO_GRAD},
        # its training is sound; re-measured in eval mode the model is within the target's margin
        expect={"test_evaluate": "EVAL_MODE_MISSING"}),
    "device_bug": Student(
        "never moves the batches to the device",
        cells={"train_one_epoch": DEVICE_BUG}, expect={"test_train_one_epoch": "DEVICE_MISMATCH"}),
    "unfinished": Student("hands in the notebook as released", file="release",
                          expect={EVERY_TEST: "NOT_IMPLEMENTED", **NO_TRAINED_MODEL}),
    "edits_test_cell": Student(
        "skips the first exercise and replaces its test cell with `pass`",
        cells={FIRST_SOLUTION: RELEASE, FIRST_TEST: "pass"},
        expect={FIRST_TEST: "NOT_IMPLEMENTED", **NO_TRAINED_MODEL}),
    "deletes_test_cell": Student(
        "skips the first exercise and deletes its test cell",
        cells={FIRST_SOLUTION: RELEASE, FIRST_TEST: DELETE},
        expect={FIRST_TEST: "NOT_IMPLEMENTED", **NO_TRAINED_MODEL}),
    "infinite_loop": Student(
        "leaves an endless loop above the first answer",
        cells={FIRST_SOLUTION: Prepend("while True:  # wait for the data\n    pass\n")},
        expect={FIRST_TEST: "NOT_IMPLEMENTED", **NO_TRAINED_MODEL}),
    "memory_bomb": Student(
        "allocates memory without end above the first answer",
        cells={FIRST_SOLUTION: Prepend("cache = [torch.ones(2**27) for _ in range(10**6)]\n")},
        expect={FIRST_TEST: "NOT_IMPLEMENTED", **NO_TRAINED_MODEL}),
    "calls_sys_exit": Student(
        "calls sys.exit() above the first answer",
        cells={FIRST_SOLUTION: Prepend('import sys\nsys.exit("stop here")\n')},
        expect={FIRST_TEST: "NOT_IMPLEMENTED", **NO_TRAINED_MODEL}),
    "calls_os_exit": Student(
        "calls os._exit(0): the kernel dies",
        cells={FIRST_SOLUTION: Prepend("import os\nos._exit(0)\n")}, outcome="failed"),
    "patches_grader": Student(
        "replaces grader.grade and grader.check, and skips the second exercise",
        cells={FIRST_SOLUTION: Append("import grader\ngrader.grade = lambda *a, **k: None\n"
                                      "grader.check = lambda *a, **k: print('all good')\n"),
               SECOND_SOLUTION: RELEASE},
        expect={SECOND_TEST: "NOT_IMPLEMENTED", **NO_TRAINED_MODEL}),
    "patches_torch": Student(
        "makes torch.allclose always true",
        cells={FIRST_SOLUTION: Append("torch.allclose = lambda *a, **k: True\n")},
        expect={EVERY_TEST: "TAMPERING", "test_accuracy": PASSES}),
    "corrupt_notebook": Student("hands in a truncated, invalid .ipynb", file="corrupt",
                                outcome="failed"),
    "missing_notebook": Student("hands in an empty folder", file="missing", outcome="missing"),
}

TIMESTAMP = "2025-03-14 17:00:00.000000 UTC"  # when the sample class submitted (timestamp.txt)


def grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def placeholders(nb: NotebookNode) -> dict[str, list[str]]:
    """Placeholder -> the grade_ids it stands for in this notebook."""
    meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
    solutions = [m["grade_id"] for m in meta if m.get("solution")]
    tests = [m["grade_id"] for m in meta if m.get("grade") and not m.get("solution")]
    return {FIRST_SOLUTION: solutions[:1], SECOND_SOLUTION: solutions[1:2],
            FIRST_TEST: tests[:1], SECOND_TEST: tests[1:2], EVERY_TEST: tests}


def resolve(table: dict, nb: NotebookNode) -> dict:
    """The entries of a cells/expect table that concern this notebook, placeholders resolved
    (later entries override earlier ones)."""
    names, present = placeholders(nb), {grade_id(c) for c in nb.cells}
    resolved: dict[str, str] = {}
    for key, value in table.items():
        for gid in names.get(key, [key] if key in present else []):
            resolved[gid] = value
    return resolved


def expected_losses(name: str, nb: NotebookNode) -> dict[str, str]:
    """Test grade_id -> what it reports, for the cells this student must lose in `nb`."""
    return {gid: code for gid, code in resolve(CLASS[name].expect, nb).items() if code != PASSES}


def correct_code(source_nb: NotebookNode) -> dict[str, str]:
    """grade_id -> the solution cell's source without the BEGIN/END SOLUTION marker lines."""
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    return {grade_id(c): "\n".join(line for line in c.source.splitlines()
                                   if line.strip() not in markers)
            for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def _cell_source(value: Cell, correct: str) -> str:
    if isinstance(value, Prepend):
        return value.code + correct
    if isinstance(value, Append):
        return correct + "\n" + value.code
    return value


def student_notebook(student: Student, release: NotebookNode,
                     source: NotebookNode) -> NotebookNode:
    """The release notebook with the student's answers filled in."""
    nb = copy.deepcopy(release)
    if student.file == "release":
        return nb
    correct, mine = correct_code(source), resolve(student.cells, release)
    cells = []
    for cell in nb.cells:
        gid = grade_id(cell)
        value = mine.get(gid, correct.get(gid, RELEASE))
        if value == DELETE:
            continue
        if value != RELEASE:
            cell.source = _cell_source(value, correct.get(gid, ""))
        cells.append(cell)
    nb.cells = cells
    return nb


def write_submission(course: Course, out: Path, name: str, assignment: str) -> None:
    """out/<name>/<assignment>/<assignment>.ipynb (+ timestamp.txt) for one student."""
    student = CLASS[name]
    folder = out / name / assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text(TIMESTAMP + "\n")
    if student.file == "missing":
        return
    release_path = course.notebook("release", assignment)
    target = folder / f"{assignment}.ipynb"
    if student.file == "corrupt":
        text = release_path.read_text(encoding="utf-8")
        target.write_text(text[: len(text) // 2], encoding="utf-8")  # cut mid-file: not JSON
        return
    release = nbformat.read(release_path, as_version=4)
    source = nbformat.read(course.notebook("source", assignment), as_version=4)
    nbformat.write(student_notebook(student, release, source), target)


def build(course: Course, out: Path | None = None, students: list[str] | None = None,
          assignments: list[str] | None = None) -> list[Path]:
    """Write the sample class; returns the student folders written."""
    out = out or course.dir("submitted")
    names = students or list(CLASS)
    for assignment in assignments or course.assignments:
        for name in names:
            write_submission(course, out, name, assignment)
    return [out / name for name in names]
