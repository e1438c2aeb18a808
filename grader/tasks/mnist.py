"""Checks for the MNIST notebook: MNISTNet, train_one_epoch and evaluate."""

from __future__ import annotations

import copy
import functools
import math
import re
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.checks import loops, models, shapes
from grader.checks.losses import softmax_before_ce
from grader.checks.values import as_number, close_number, describe
from grader.core import expected
from grader.core.expected import answers
from grader.core.findings import Code, Finding
from grader.core.runner import finding_for_exception, student_location
from grader.core.task import Context, Task

# --------------------------------------------------------------------------- shared helpers


def _number_findings(value: Any, what: str, name: str) -> tuple[float | None, list[Finding]]:
    """LOSS_GRAPH_RETAINED: a returned tensor with a graph; WRONG_VALUE: any other non-number. The
    returned value as a float, and findings when it is not a plain Python number.

    A tensor with a graph is LOSS_GRAPH_RETAINED. A tensor without one is refused too (the
    contract says float): on a GPU it pins device memory in a history list and breaks plotting.
    """
    number, problem = as_number(value)
    if problem == "graph":
        return number, [Finding(Code.LOSS_GRAPH_RETAINED, (
            f"`{name}` returned {what} as {describe(value)}: it is still part of the autograd "
            "graph, so every batch's graph stays in memory as long as the value lives. Keep "
            "running totals as Python numbers."))]
    if problem == "tensor":
        return number, [Finding(Code.WRONG_VALUE, (
            f"`{name}` returned {what} as {describe(value)} (value {number:.4g}), not as a Python"
            " number: a list of such tensors keeps device memory alive and breaks plotting."))]
    if problem == "type":
        missing = " — is a `return` missing?" if value is None else ""
        return None, [Finding(Code.WRONG_VALUE, (
            f"`{name}` returned {describe(value)} for {what}, which is not a number{missing}."))]
    return number, []


def _unless_named(new: list[Finding], found: list[Finding]) -> list[Finding]:
    """`new` without a LOSS_GRAPH_RETAINED the loop already named (one observation, one finding)."""
    if not any(f.code is Code.LOSS_GRAPH_RETAINED for f in found):
        return new
    return [f for f in new if f.code is not Code.LOSS_GRAPH_RETAINED]


def _max_state_diff(model: nn.Module, state: dict[str, torch.Tensor]) -> float:
    """Largest absolute difference over parameters and buffers (BatchNorm statistics included)
    between a model and the state another reached (`state`, a state_dict)."""
    diffs = [(a.detach().cpu().double() - b.detach().cpu().double()).abs().max().item()
             for a, b in zip(model.state_dict().values(), state.values(), strict=True)]
    return max(diffs, default=0.0)


def _model_device_findings(model: nn.Module, device: torch.device, name: str) -> list[Finding]:
    """DEVICE_MISMATCH: when the function moved the model off the device it was given."""
    moved = {p.device.type for p in model.parameters()} - {device.type}
    if not moved:
        return []
    return [Finding(Code.DEVICE_MISMATCH, (
        f"`{name}` moved the model to {', '.join(sorted(moved))} although the device it was "
        f"given is {device.type}: a hard-coded device breaks on other machines."))]


def _call_watched(fn: Any, args: tuple, recorder: loops.Recorder, watched: tuple,
                  name: str, device: str) -> tuple[Any, list[Finding] | None]:
    """Run the student's function under the recorder: (result, None), or (None, findings) when it
    crashed with a device error the log explains. Other crashes propagate to the runner."""
    with recorder.watching(*watched):
        try:
            return fn(*args), None
        except Exception as exc:
            found = loops.diagnose_device(recorder.events, name, device)
            if not found or finding_for_exception(exc, name).code is not Code.DEVICE_MISMATCH:
                raise
    return None, found


def _first_failing_case(fn: Any, name: str, cases: tuple, judge: Any,
                        ctx: Context) -> list[Finding]:
    """SUBMISSION_ERROR: the name is not a function. The findings of the first case `judge` finds
    fault with (none: the function passed)."""
    if not (callable(fn) and not isinstance(fn, type)):
        return [Finding(Code.SUBMISSION_ERROR, f"`{name}` should be a function, but it is "
                        f"{describe(fn)}.")]
    for case in cases:
        findings = judge(fn, case, ctx, name)
        if findings:
            return findings
    return []


# --------------------------------------------------------------------------- MNISTNet

MAX_PARAMS = 2_000_000
_BATCHES = (1, 3)


def _images(batch: int, device: str, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 1, 28, 28, generator=gen).to(device)  # like ToTensor(): in [0, 1]


def _parameter_findings(model: nn.Module, name: str) -> list[Finding]:
    """WRONG_PARAMETER_COUNT: no trainable parameters, or more than MAX_PARAMS."""
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if count == 0:
        return [Finding(Code.WRONG_PARAMETER_COUNT, (
            f"`{name}()` has no trainable parameters: layers created inside forward() or kept in "
            "a plain Python list are not registered, so no optimizer can update them."))]
    if count > MAX_PARAMS:
        return [Finding(Code.WRONG_PARAMETER_COUNT, (
            f"`{name}()` has {count:,} trainable parameters; this exercise asks for a small "
            f"network (under {MAX_PARAMS:,}) that trains quickly on a CPU."))]
    return []


def _batch(size: int) -> str:
    return f"a batch of {size} image{'s' if size != 1 else ''}"


def _shape_findings(model: nn.Module, name: str, sizes: tuple[int, ...],
                    device: str) -> list[Finding]:
    """HARDCODED_BATCH_SIZE: some batch sizes crash while another (those tried, then the usual
    hard-coded ones such as 64) gives (B, 10); WRONG_OUTPUT_SHAPE: not (B, 10) for a batch of B
    images. A model that crashes at every batch size tried has crashed: that is the finding."""
    def images(batch: int) -> torch.Tensor:
        return _images(batch, device)

    report = shapes.probe(model, images, sizes, expected=lambda b: (b, 10))
    if report.failed:
        worked = report.worked or (shapes.first_working(
            model, images, lambda run: run.fits((run.batch, 10))),)
        failed = report.failed[0]
        if worked[0] is not None:
            error = failed.error
            text = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}" if str(error) \
                else ""
            return [Finding(Code.HARDCODED_BATCH_SIZE, (
                f"`{name}` works for {_batch(worked[0])} but fails for {_batch(failed.batch)} "
                f"({text}). The batch size must be read from the input: the last batch of an "
                "epoch is usually smaller."))]
        if not report.wrong:
            return [finding_for_exception(failed.error, name)]
    if report.wrong:
        run = report.wrong[0]
        out = run.output
        shown = f"shape {tuple(out.shape)}" if isinstance(out, torch.Tensor) else describe(out)
        return [Finding(Code.WRONG_OUTPUT_SHAPE, (
            f"for {_batch(run.batch)} of shape (1, 28, 28), `{name}` returned {shown}: "
            "CrossEntropyLoss needs one row of 10 class scores per image."))]
    return []


def _grad_findings(model: nn.Module, name: str, device: str) -> list[Finding]:
    """WRONG_VALUE: the output does not require grad."""
    out = model(_images(4, device))
    if isinstance(out, torch.Tensor) and out.requires_grad:
        return []
    return [Finding(Code.WRONG_VALUE, (
        f"the output of `{name}` does not require grad: it was computed outside autograd "
        "(under torch.no_grad(), detached or rebuilt as a new tensor), so the loss cannot "
        "train any parameter."))]


def _output_kind(model: nn.Module, device: str) -> str | None:
    return models.output_activation(models.forward(model, _images(16, device, seed=1)))


def _activation_findings(cls: type[nn.Module], model: nn.Module, name: str,
                         device: str) -> list[Finding]:
    """SOFTMAX_BEFORE_CE: every output row is probabilities; ACTIVATION_ON_OUTPUT: the outputs
    are never negative, for three initialisations."""
    kind = _output_kind(model, device)
    if kind == "softmax":
        return [softmax_before_ce(f"every row of `{name}`'s output is non-negative and sums to 1, "
                                  "as after a softmax at the end of the network")]
    # One initialisation of a plain last layer can be non-negative by chance: confirm on two more.
    others = (models.build(cls, seed=s, device=device).eval() for s in (1, 2))
    if not kind or any(_output_kind(m, device) != kind for m in others):
        return []
    looks = {"sigmoid": "between 0 and 1, as after a sigmoid",
             "ReLU": "zero or positive, as after a ReLU"}.get(kind, "non-negative")
    return [Finding(Code.ACTIVATION_ON_OUTPUT, (
        f"every output of `{name}` is {looks}: an activation on the last layer squashes the "
        "class scores, while CrossEntropyLoss expects unbounded scores (logits)."))]


def check_mnistnet(cls: Any, ctx: Context) -> list[Finding]:
    """SUBMISSION_ERROR: not an nn.Module class. MNISTNet(): (B, 1, 28, 28) -> logits (B, 10), any
    architecture under MAX_PARAMS.

    WRONG_PARAMETER_COUNT: no registered parameters, or more than MAX_PARAMS.
    HARDCODED_BATCH_SIZE: some batch sizes crash while another (tried: 1, 3, ..., then the usual
        hard-coded ones such as 64) works.
    WRONG_OUTPUT_SHAPE: the output is not (B, 10) for a batch of B images.
    WRONG_VALUE: the output does not require grad (no autograd path to the parameters); strict
        mode also trains 5 Adam steps on an easy batch and expects the loss to fall.
    SOFTMAX_BEFORE_CE: output rows are probabilities (softmax at the end). log_softmax passes: CE
        on log-probabilities equals CE on logits.
    ACTIVATION_ON_OUTPUT: outputs never negative (sigmoid/ReLU at the end), for three
        initialisations.
    RANDOM_IN_EVAL: in eval mode under torch.no_grad(), two passes over the same 8 images (after
        a fixed seed) differ: e.g. F.dropout without training=self.training stays on in eval.
    """
    name = "MNISTNet"
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        return [models.not_a_module(f"`{name}`", cls)]
    model = models.build(cls, seed=0, device=ctx.device)
    findings = _parameter_findings(model, name)
    model.eval()  # BatchNorm cannot train on a batch of one
    sizes = answers("mnist").BATCHES if ctx.strict else _BATCHES
    findings = findings or _shape_findings(model, name, sizes, ctx.device)
    findings = findings or _grad_findings(model, name, ctx.device)
    findings = findings or models.random_in_eval(model, _images(8, ctx.device, seed=2),
                                                 f"`{name}`", "images")
    findings = findings or _activation_findings(cls, model, name, ctx.device)
    if not findings and ctx.strict:
        findings = answers("mnist").learning_findings(cls, name, ctx.device)
    return findings


# --------------------------------------------------------------------------- train_one_epoch


@dataclass(frozen=True)
class TrainCase:
    n: int  # samples; not a multiple of batch, so the last batch is smaller
    batch: int
    adam: bool  # optimizer: Adam, else SGD with momentum
    seed: int


_TRAIN_CASES = (TrainCase(22, 4, adam=False, seed=0),)


def _train_net(seed: int) -> nn.Sequential:
    """Tiny model whose training depends on train mode (BatchNorm), without randomness.

    No bias before BatchNorm: its gradient is zero up to rounding noise, which Adam would
    normalise into full-size steps that differ between two equivalent loops."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(),
                         nn.Linear(8, 3))


def _optimizer(model: nn.Module, adam: bool) -> torch.optim.Optimizer:
    if adam:
        return torch.optim.Adam(model.parameters(), lr=0.05)
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def _dataset(n: int, seed: int) -> TensorDataset:
    gen = torch.Generator().manual_seed(100 + seed)
    return TensorDataset(torch.randn(n, 4, generator=gen), torch.randint(0, 3, (n,), generator=gen))


def _reference_outcome(net: nn.Module, dataset: TensorDataset, case: TrainCase,
                       device: torch.device) -> dict[str, Any]:
    """One epoch of the reference loop on the case (instructor only): the state it leaves the
    model in and each batch's (loss, size)."""
    reference = copy.deepcopy(net).to(device)
    loader = DataLoader(dataset, batch_size=case.batch, generator=torch.Generator())
    losses = answers("mnist").train_epoch(reference, loader, nn.CrossEntropyLoss(),
                                          _optimizer(reference, case.adam), device)
    return {"state": dict(reference.state_dict()), "losses": losses}


def _epoch_loss_findings(value: float, losses: list[tuple[float, int]],
                         name: str) -> list[Finding]:
    """WRONG_VALUE: unless value is the mean loss per batch or per sample; names common slips."""
    total = sum(loss for loss, _ in losses)
    weighted = sum(loss * size for loss, size in losses)
    n = sum(size for _, size in losses)
    if close_number(value, total / len(losses)) or close_number(value, weighted / n):
        return []
    slips = {
        "the sum of the batch losses, never divided": total,
        "the loss of the last batch only": losses[-1][0],
        "the batch means summed and then divided by the number of samples (each batch loss "
        "is already a mean)": total / n,
        "the size-weighted sum divided by the number of batches": weighted / len(losses),
    }
    for label, slip in slips.items():
        if close_number(value, slip):
            return [Finding(Code.WRONG_VALUE, f"`{name}` returned {value:.4g}, which is {label}.")]
    low, high = min(loss for loss, _ in losses), max(loss for loss, _ in losses)
    return [Finding(Code.WRONG_VALUE, (
        f"`{name}` returned {value:.4g}, which is neither the mean loss per batch nor per sample "
        f"of this epoch (its {len(losses)} batch losses ranged from {low:.4g} to {high:.4g})."))]


def _unexplained_difference(events: list[loops.Event], diff: float, name: str) -> Finding:
    """WRONG_VALUE: the parameters differ from the canonical loop's, for no recorded reason."""
    kinds = [e.kind for e in events]
    runs = kinds.count("forward"), kinds.count("batch")
    extra = f" (the model ran {runs[0]} times for {runs[1]} batches)" if runs[0] != runs[1] else ""
    return Finding(Code.WRONG_VALUE, (
        f"after `{name}` the model's parameters differ from one epoch of the usual training loop "
        f"on the same batches (largest difference {diff:.3g}), although the calls came in a "
        f"sound order{extra}: check what each step computes and passes on."))


def _judge_epoch(fn: Any, case: TrainCase, ctx: Context, name: str) -> list[Finding]:
    device = torch.device(ctx.device)
    net, dataset = _train_net(case.seed), _dataset(case.n, case.seed)
    outcome = expected.expected("mnist.train_one_epoch", f"{case}",
                                lambda: _reference_outcome(net, dataset, case, device))
    losses = [(float(loss), int(size)) for loss, size in outcome["losses"]]
    model = copy.deepcopy(net).to(device)
    recorder = loops.Recorder(device)
    criterion, optimizer = nn.CrossEntropyLoss(), _optimizer(model, case.adam)
    model.eval()  # as after an evaluation: the function must switch to training mode itself
    args = (model, recorder.loader(dataset, case.batch), criterion, optimizer, device)
    value, crashed = _call_watched(fn, args, recorder, (model, criterion, optimizer), name,
                                   ctx.device)
    if crashed is not None:
        return crashed
    findings = loops.diagnose_device(recorder.events, name, ctx.device)
    findings += _model_device_findings(model, device, name)
    diff = _max_state_diff(model, outcome["state"])
    tolerance = 1e-4 * expected.slack(ctx.device)
    if diff > tolerance:
        findings += loops.diagnose_training(recorder.events, name) or [
            _unexplained_difference(recorder.events, diff, name)]
    findings += loops.diagnose_graphs(recorder.events, name)
    number, value_findings = _number_findings(value, "the mean loss", name)
    findings += _unless_named(value_findings, findings)
    if diff <= tolerance and number is not None:
        findings += _epoch_loss_findings(number, losses, name)
    return findings


def check_train_one_epoch(fn: Any, ctx: Context) -> list[Finding]:
    """train_one_epoch(model, loader, criterion, optimizer, device) -> mean loss (float).

    Behaviour: a tiny Linear-BatchNorm-ReLU-Linear model (in eval mode, as after an evaluation)
    trains one epoch on 22 samples in batches of 4 (last batch 2) with SGD+momentum; its
    parameters and BatchNorm statistics must match the canonical loop's, and the returned
    value must be the mean loss per batch or per sample. Strict mode adds Adam, batches of 3.
    When the parameters differ, the recorded events (grader.checks.loops) name the cause:
    MISSING_ZERO_GRAD (backward finds old gradients), ZERO_GRAD_AFTER_BACKWARD (step finds none
    after a backward), STEP_BEFORE_BACKWARD, STEP_OUTSIDE_BATCH_LOOP (fewer steps than batches),
    TRAIN_MODE_NOT_SET (model.training False at forward), SOFTMAX_BEFORE_CE (criterion gets
    probabilities), WRONG_VALUE (no forward/backward/step at all, or an unexplained difference).
    Always: DEVICE_MISMATCH (a batch reaches model or criterion unmoved, a hard-coded .cuda()),
    LOSS_GRAPH_RETAINED (earlier batches' graphs still alive during the loop, or a returned tensor
    with a graph); a returned tensor without one is WRONG_VALUE.
    """
    cases = answers("mnist").TRAIN_CASES if ctx.strict else _TRAIN_CASES
    return _first_failing_case(fn, "train_one_epoch", cases, _judge_epoch, ctx)


# --------------------------------------------------------------------------- evaluate


@dataclass(frozen=True)
class EvalCase:
    n: int  # samples; not a multiple of batch
    batch: int
    wrong: tuple[int, ...]  # samples whose target differs from the model's prediction
    seed: int


# 10 samples in batches 4, 4, 2 with 1, 1, 1 wrong: accuracy 0.7, mean of batch accuracies 0.667.
_EVAL_CASES = (EvalCase(10, 4, (0, 4, 8), seed=0),)


@dataclass(frozen=True)
class _EvalTruth:
    losses: list[tuple[float, int]]  # (mean loss, size) per batch, in eval mode
    correct: list[tuple[int, int]]  # (correct, size) per batch


def _eval_net(seed: int) -> nn.Sequential:
    """Tiny model whose outputs depend on eval mode (Dropout, BatchNorm with warm statistics)."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5),
                        nn.Linear(16, 3))
    with torch.no_grad():  # running statistics far from those of a fresh batch
        for _ in range(3):
            net(torch.randn(32, 4) * 2 + 1)
    return net.eval()


def _eval_data(net: nn.Module, case: EvalCase) -> tuple[TensorDataset, _EvalTruth]:
    """Inputs, and targets equal to the model's predictions except at case.wrong."""
    gen = torch.Generator().manual_seed(200 + case.seed)
    x = torch.randn(case.n, 4, generator=gen)
    with torch.no_grad():
        logits = net(x)  # (n, 3)
    y = logits.argmax(dim=1)
    wrong = torch.tensor(case.wrong)
    y[wrong] = (y[wrong] + 1) % 3
    losses, correct = [], []
    for i in range(0, case.n, case.batch):
        out, target = logits[i:i + case.batch], y[i:i + case.batch]
        losses.append((F.cross_entropy(out, target).item(), len(target)))
        correct.append((int((out.argmax(1) == target).sum()), len(target)))
    return TensorDataset(x, y), _EvalTruth(losses, correct)


def _accuracy_findings(acc: float, truth: _EvalTruth, fair: bool, name: str) -> list[Finding]:
    """ACCURACY_WRONG: unless acc is the fraction of correct samples; names common slips.
    `fair` is False when eval mode or the loss input was wrong (the values then differ)."""
    right = sum(c for c, _ in truth.correct)
    n, batches = sum(s for _, s in truth.correct), len(truth.correct)
    if fair and close_number(acc, right / n):
        return []
    slips = {
        "a percentage; an accuracy here is a fraction between 0 and 1": 100 * right / n,
        "the mean of the per-batch accuracies: the smaller last batch counts as much as a full "
        "one": sum(c / s for c, s in truth.correct) / batches,
        "the number of correct predictions, not divided by the number of samples": right,
        f"the number of correct predictions divided by the number of batches ({batches}), not "
        f"of samples ({n})": right / batches,
        f"divided by {batches * truth.correct[0][1]} (batches x batch size), though there are "
        f"only {n} samples": right / (batches * truth.correct[0][1]),
    }
    for label, slip in slips.items():
        if close_number(acc, slip) and (fair or slip > 1):
            return [Finding(Code.ACCURACY_WRONG, f"`{name}` returned an accuracy of {acc:.4g}, "
                            f"which is {label}.")]
    if fair:
        return [Finding(Code.ACCURACY_WRONG, (
            f"`{name}` returned an accuracy of {acc:.4g}, but on this data the model gets "
            f"{right} of the {n} samples right (in batches of {truth.correct[0][1]})."))]
    if not 0 <= acc <= 1:
        looks = ": it looks like a percentage" if 1 < acc <= 100 else ""
        return [Finding(Code.ACCURACY_WRONG, (
            f"`{name}` returned an accuracy of {acc:.4g}, outside [0, 1]{looks}; an accuracy "
            "here is the fraction of samples predicted right."))]
    return []


def _eval_loss_findings(value: float, truth: _EvalTruth, name: str) -> list[Finding]:
    """WRONG_VALUE: the mean loss is neither per batch nor per sample."""
    losses = truth.losses
    per_batch = sum(loss for loss, _ in losses) / len(losses)
    per_sample = sum(loss * s for loss, s in losses) / sum(s for _, s in losses)
    if close_number(value, per_batch) or close_number(value, per_sample):
        return []
    return [Finding(Code.WRONG_VALUE, (
        f"`{name}` returned a mean loss of {value:.4g}, which is neither the mean per batch nor "
        f"per sample of the criterion's values on this data ({len(losses)} batches)."))]


def _update_findings(model: nn.Module, before: dict[str, torch.Tensor],
                     found: list[Finding], name: str) -> list[Finding]:
    """UPDATES_IN_EVAL: parameters changed or gradients were stored (unless already named)."""
    if any(f.code in (Code.UPDATES_IN_EVAL, Code.EVAL_MODE_MISSING) for f in found):
        return []  # BatchNorm statistics move in train mode: that is EVAL_MODE_MISSING
    state = model.state_dict()
    changed = [k for k, v in before.items() if not torch.equal(v, state[k].detach().cpu())]
    with_grad = [n for n, p in model.named_parameters() if p.grad is not None]
    if not changed and not with_grad:
        return []
    seen = f"changed {', '.join(changed[:3])}" if changed else f"stored .grad in {with_grad[0]}"
    return [Finding(Code.UPDATES_IN_EVAL, (
        f"`{name}` {seen}: evaluation must only measure the model, never compute gradients "
        "or update it with evaluation data."))]


def _swap_finding(first: float | None, second: float | None, truth: _EvalTruth,
                  name: str) -> Finding | None:
    """WRONG_VALUE: the pair came back as (accuracy, mean loss), the reverse of the contract."""
    if first is None or second is None:
        return None
    right = sum(c for c, _ in truth.correct) / sum(s for _, s in truth.correct)
    if not close_number(first, right) or _eval_loss_findings(second, truth, name):
        return None
    if not _eval_loss_findings(first, truth, name):
        return None  # the first value is a right loss as well: no swap to name
    return Finding(Code.WRONG_VALUE, (
        f"`{name}` returned ({first:.4g}, {second:.4g}): the first value is the accuracy and the "
        "second the mean loss, the reverse of the order asked for (mean loss, accuracy). Code that "
        "unpacks the pair, like the training loop of this notebook, would mix the two up."))


def _result_findings(result: Any, truth: _EvalTruth, fair: bool, name: str) -> list[Finding]:
    """WRONG_VALUE: not a pair of numbers; ACCURACY_WRONG and the mean-loss WRONG_VALUE come
    from the helpers."""
    if not (isinstance(result, tuple | list) and len(result) == 2):
        return [Finding(Code.WRONG_VALUE, (
            f"`{name}` returned {describe(result)}; it should return two numbers: the mean "
            "loss and the accuracy."))]
    loss, findings = _number_findings(result[0], "the mean loss", name)
    acc, acc_findings = _number_findings(result[1], "the accuracy", name)
    swap = _swap_finding(loss, acc, truth, name) if fair and not findings + acc_findings else None
    if swap is not None:
        return [swap]
    findings += acc_findings
    if acc is not None:
        findings += _accuracy_findings(acc, truth, fair, name)
    if loss is not None and fair:
        findings += _eval_loss_findings(loss, truth, name)
    return findings


_CLASSES = 3  # outputs of _eval_net
_SIZE_CLASH = re.compile(r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\)")


def _prediction_axis_finding(exc: RuntimeError, case: EvalCase, name: str) -> Finding | None:
    """ACCURACY_WRONG: the run crashed comparing one value per class with one label per sample
    (the predictions were taken along the batch dimension)."""
    clash = _SIZE_CLASH.search(str(exc))
    batches = {case.batch, case.n % case.batch or case.batch}
    if clash is None:
        return None
    sizes = {int(clash.group(1)), int(clash.group(2))}
    if _CLASSES not in sizes or not (sizes - {_CLASSES}) <= batches or len(sizes) != 2:
        return None
    batch = (sizes - {_CLASSES}).pop()
    return Finding(Code.ACCURACY_WRONG, (
        f"`{name}` crashed comparing {_CLASSES} predictions with the {batch} labels of a batch "
        f"({str(exc).splitlines()[0][:160]}){student_location(exc)}: the model scores "
        f"{_CLASSES} classes, so the predictions came out one per class instead of one per "
        "sample: the highest score was looked for along the wrong dimension."))


def _judge_eval(fn: Any, case: EvalCase, ctx: Context, name: str) -> list[Finding]:
    device = torch.device(ctx.device)
    net = _eval_net(case.seed)
    dataset, truth = _eval_data(net, case)
    model = copy.deepcopy(net).to(device).train()  # as during training: evaluate must switch
    before = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    recorder, criterion = loops.Recorder(device), nn.CrossEntropyLoss()
    args = (model, recorder.loader(dataset, case.batch), criterion, device)
    try:
        result, crashed = _call_watched(fn, args, recorder, (model, criterion), name, ctx.device)
    except RuntimeError as exc:
        axis = _prediction_axis_finding(exc, case, name)
        if axis is None:
            raise
        return [axis]
    if crashed is not None:
        return crashed
    findings = loops.diagnose_device(recorder.events, name, ctx.device)
    findings += _model_device_findings(model, device, name)
    findings += loops.diagnose_evaluation(recorder.events, name)
    findings += loops.diagnose_graphs(recorder.events, name)
    findings += _update_findings(model, before, findings, name)
    unfair = (Code.EVAL_MODE_MISSING, Code.SOFTMAX_BEFORE_CE, Code.UPDATES_IN_EVAL)
    fair = not any(f.code in unfair for f in findings)
    return findings + _unless_named(_result_findings(result, truth, fair, name), findings)


def check_evaluate(fn: Any, ctx: Context) -> list[Finding]:
    """evaluate(model, loader, criterion, device) -> (mean loss, accuracy in [0, 1]).

    Behaviour: a tiny model with Dropout and warmed-up BatchNorm (handed over in train mode)
    scores 10 samples in batches of 4, 4, 2 whose targets make the accuracy exactly 0.7 (the
    mean of per-batch accuracies would be 0.667). A forward pre-hook records model.training and
    the grad mode: EVAL_MODE_MISSING, NO_GRAD_MISSING (inference_mode counts as no-grad).
    UPDATES_IN_EVAL: backward/step ran, gradients stored or parameters changed.
    ACCURACY_WRONG: not the fraction of correct samples (names percentages, per-batch means,
    counts over batches). WRONG_VALUE: mean loss neither per batch nor per sample, or not a
    pair of Python numbers. LOSS_GRAPH_RETAINED: earlier batches' graphs still alive during the
    loop (only possible without no_grad), or a returned tensor still has a graph.
    DEVICE_MISMATCH and SOFTMAX_BEFORE_CE as for train_one_epoch. Strict adds batches of 3.
    """
    cases = answers("mnist").EVAL_CASES if ctx.strict else _EVAL_CASES
    return _first_failing_case(fn, "evaluate", cases, _judge_eval, ctx)


# --------------------------------------------------------------------------- the trained model

TARGET_ACCURACY = 0.97
_MARGIN_IN_STANDARD_ERRORS = 2
_MEAN, _STD = 0.1307, 0.3081  # the notebook's Normalize((0.1307,), (0.3081,))


@functools.cache
def _mnist_test_split() -> tuple[torch.Tensor, torch.Tensor]:
    """The MNIST test images (N, 1, 28, 28), normalised as in the notebook, and their labels,
    read with torchvision's own class from data_cache/ (once: the visible and the hidden check
    of the same cell share them; nothing writes to them)."""
    from torchvision import datasets

    from grader.data import DATA_DIR

    test = datasets.MNIST(root=DATA_DIR, train=False, download=False)
    x = (test.data.unsqueeze(1).float() / 255 - _MEAN) / _STD
    return x, test.targets


def allowed_mistakes(n: int) -> int:
    """The most of n test images a model may get wrong and still meet the 97% target.

    A test set is a sample: a model whose true accuracy is exactly 97% makes on average 3% of n
    mistakes, with a standard error of sqrt(n * 0.97 * 0.03) (about 5.4 on 1,000 images, 0.54
    points). The rule allows 3% of n plus two standard errors, rounded down: 40 of 1,000, 334 of
    10,000. On 1,000 images a model at exactly 97% passes 97 times in 100, one at 97.5% 998 times
    in 1,000 (binomial tails)."""
    miss = 1 - TARGET_ACCURACY
    return math.floor(n * miss + _MARGIN_IN_STANDARD_ERRORS * math.sqrt(n * TARGET_ACCURACY * miss))


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of (x, y) the model gets right, in eval mode, without gradients, on its device."""
    device = next(model.parameters(), torch.empty(0)).device
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(y), 500):
            out = model(x[start:start + 500].to(device))
            correct += int((out.argmax(dim=1).cpu() == y[start:start + 500]).sum())
    return correct / len(y)


def check_trained_model(model: Any, ctx: Context) -> list[Finding]:
    """ACCURACY_BELOW_TARGET: the trained `model`, re-measured on the MNIST test split in eval
    mode, gets more than `allowed_mistakes(n)` of its n images wrong (the 97% target with its
    margin for a test set of that size). SUBMISSION_ERROR: `model` is not an nn.Module. (A
    notebook whose training never ran has no `model`: the task's `missing` message says so.)"""
    if not isinstance(model, nn.Module):
        return [Finding(Code.SUBMISSION_ERROR, f"`model` should be the trained network, but it "
                        f"is {describe(model)}.")]
    x, y = _mnist_test_split()
    reached = _accuracy(model, x, y)
    mistakes, allowed = round((1 - reached) * len(y)), allowed_mistakes(len(y))
    if mistakes <= allowed:
        return []
    return [Finding(Code.ACCURACY_BELOW_TARGET, (
        f"re-measured on the {len(y):,} MNIST test images, the trained `model` gets {mistakes} "
        f"of them wrong ({reached:.2%} right); the {TARGET_ACCURACY:.0%} target allows at most "
        f"{allowed} mistakes on {len(y):,} images (3% plus two standard errors): read the "
        "learning curves, then change the model or the training and train again."))]


TASKS: list[Task] = [
    Task(
        id="mnist.MNISTNet",
        name="MNISTNet",
        check=check_mnistnet,
        points=2,
        hint="Flatten each image but keep the batch dimension, and let the last layer give 10 "
             "raw class scores: CrossEntropyLoss applies the softmax itself.",
        catches=(Code.WRONG_OUTPUT_SHAPE, Code.HARDCODED_BATCH_SIZE, Code.SOFTMAX_BEFORE_CE,
                 Code.ACTIVATION_ON_OUTPUT, Code.RANDOM_IN_EVAL, Code.WRONG_PARAMETER_COUNT,
                 Code.WRONG_VALUE, Code.DEVICE_MISMATCH, Code.SUBMISSION_ERROR),
    ),
    Task(
        id="mnist.train_one_epoch",
        name="train_one_epoch",
        check=check_train_one_epoch,
        points=5,
        hint="Every batch needs fresh gradients, computed by backward() before step() uses them; "
             "the model must be in training mode and each batch on `device`. Add up plain "
             "numbers, not loss tensors.",
        catches=(Code.MISSING_ZERO_GRAD, Code.ZERO_GRAD_AFTER_BACKWARD, Code.STEP_BEFORE_BACKWARD,
                 Code.STEP_OUTSIDE_BATCH_LOOP, Code.TRAIN_MODE_NOT_SET, Code.SOFTMAX_BEFORE_CE,
                 Code.LOSS_GRAPH_RETAINED, Code.DEVICE_MISMATCH, Code.WRONG_VALUE,
                 Code.SUBMISSION_ERROR),
    ),
    Task(
        id="mnist.evaluate",
        name="evaluate",
        check=check_evaluate,
        points=3,
        hint="Measuring must not change the model: switch it to evaluation mode, turn gradient "
             "tracking off, and count correct predictions over all samples (the last batch may "
             "be smaller).",
        catches=(Code.EVAL_MODE_MISSING, Code.NO_GRAD_MISSING, Code.UPDATES_IN_EVAL,
                 Code.ACCURACY_WRONG, Code.WRONG_VALUE, Code.LOSS_GRAPH_RETAINED,
                 Code.DEVICE_MISMATCH, Code.SOFTMAX_BEFORE_CE, Code.SUBMISSION_ERROR),
    ),
    Task(
        id="mnist.model",
        name="model",
        check=check_trained_model,
        points=2,
        hint="If the training loss still falls at the last epoch, train longer; if the training "
             "accuracy is high but the validation accuracy is not, the model is overfitting.",
        catches=(Code.ACCURACY_BELOW_TARGET, Code.SUBMISSION_ERROR),
        missing="there is no trained `model` yet: the training cell has not run (finish the "
                "exercises above, then run the training and test cells).",
    ),
]
