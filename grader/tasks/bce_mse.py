"""Checks for the BCE-vs-MSE notebook: mse_loss, bce_loss, bce_with_logits_loss, BinaryClassifier.

The loss functions are specified on same-shaped tensors, so no check passes them (B, 1) against
(B,). They are fed (B, 1) against (B, 1), the shapes a model's output and its targets have in this
course: a function that flattens only one of the two broadcasts to (B, B) internally, which is
reported as TARGET_SHAPE. A model that itself returns (B,) is a BinaryClassifier problem, reported
there as WRONG_OUTPUT_SHAPE.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from grader.checks import calls, models, shapes
from grader.checks.losses import (
    LossFn,
    broadcast_message,
    call_on_copy,
    compare_loss,
    loss_form_problem,
    reference,
    sigmoid_before_bce_with_logits,
    stability_problem,
    student_grad,
)
from grader.checks.shapes import BatchRun
from grader.checks.values import Candidate, close, number, seeded_generator
from grader.core import expected
from grader.core.expected import answers
from grader.core.findings import Code, Finding
from grader.core.runner import finding_for_exception
from grader.core.task import Context, Task

# ------------------------------------------------------------------------------------ mse_loss

def _mse_candidates(got: float, pred: torch.Tensor, target: torch.Tensor) -> list[Candidate]:
    d, n = pred - target, pred.numel()
    cands: list[Candidate] = [
        (d.pow(2).sum(), Code.WRONG_VALUE, f"`mse_loss` returned {got:.4g} for {n} elements: "
         "the total of the squared errors, not their average. The loss and its gradient grow "
         "with the batch size, so the right learning rate would depend on it."),
        (d.abs().mean(), Code.WRONG_VALUE, f"`mse_loss` returned {got:.4g}, the mean absolute "
         "error: the errors are not squared, so large mistakes are not penalised more."),
        (d.mean(), Code.WRONG_VALUE, f"`mse_loss` returned {got:.4g}, the average signed error: "
         "positive and negative errors cancel, so a model wrong in both directions scores ~0."),
        (-d.mean(), Code.WRONG_VALUE, f"`mse_loss` returned {got:.4g}, the average signed error: "
         "positive and negative errors cancel, so a model wrong in both directions scores ~0."),
        (d.pow(2).mean().sqrt(), Code.WRONG_VALUE, f"`mse_loss` returned {got:.4g}, the square "
         "root of the mean squared error (RMSE), a different quantity with a different gradient."),
    ]
    if pred.dim() >= 2 and pred[0].numel() > 1:
        rows = pred.shape[0]
        cands.append((d.pow(2).sum() / rows, Code.WRONG_VALUE, f"`mse_loss` returned {got:.4g} "
                      f"for inputs shaped {tuple(pred.shape)}: the squared errors are averaged "
                      f"over the {rows} rows only, not over all {n} elements as nn.MSELoss does."))
    if pred.dim() == 2 and pred.shape[1] == 1:
        pairs = (pred.reshape(1, -1) - target.reshape(-1, 1)).pow(2).mean()
        cands.append((pairs, Code.TARGET_SHAPE,
                      broadcast_message("mse_loss", tuple(pred.shape), got)))
    return cands


def check_mse_loss(mse_loss: LossFn, ctx: Context) -> list[Finding]:
    """mse_loss(pred, target) equals F.mse_loss in value and gradient, on several shapes.

    Detects (behaviourally, by matching the value against each misconception's formula):
    sum instead of mean, mean absolute error, unsquared errors, RMSE (WRONG_VALUE); a Python
    float (.item()) or a tensor cut from the graph (WRONG_VALUE, no gradient reaches pred);
    a per-element tensor (WRONG_OUTPUT_SHAPE); one input flattened so (B, 1) inputs broadcast to
    (B, B) (TARGET_SHAPE).
    """
    g = seeded_generator()
    shapes = [(4, 3), (6, 1)] + (answers("bce_mse").MSE_SHAPES if ctx.strict else [])
    for shape in shapes:
        pred = torch.randn(shape, generator=g).to(ctx.device)
        target = torch.randn(shape, generator=g).to(ctx.device)
        finding = compare_loss("mse_loss", mse_loss, reference(F.mse_loss, pred, target),
                               pred, target,
                               _mse_candidates, "the mean squared error")
        if finding:
            return [finding]
    return []


# ------------------------------------------------------------------------------------ bce_loss

def _bce_probe(prob: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """What the reference BCE gives on one case (instructor only): its value and gradient, and
    its value where a misconception feeds it other inputs (squashed again, broadcast pairs)."""
    bce = answers("bce_mse").bce_loss
    value, grad = reference(bce, prob, target)
    probe = {"value": value, "grad": grad,
             "of_sigmoid": bce(torch.sigmoid(prob), target).detach().float()}
    if prob.dim() == 2 and prob.shape[1] == 1:
        probe["pairs"] = bce(prob.reshape(1, -1), target.reshape(-1, 1)).detach().float()
    return probe


def _bce_candidates(got: float, prob: torch.Tensor, target: torch.Tensor,
                    probe: dict[str, torch.Tensor]) -> list[Candidate]:
    ref, n = probe["value"], prob.numel()
    pos = -(target * torch.log(prob)).mean()
    neg = -((1 - target) * torch.log(1 - prob)).mean()
    cands: list[Candidate] = [
        (-ref, Code.WRONG_VALUE, f"`bce_loss` returned {got:.4g}, a negative number: the log of a "
         "probability is never positive, so minimising this value would make predictions worse."),
        (pos, Code.WRONG_VALUE, f"`bce_loss` returned {got:.4g}: samples whose target is 0 add "
         "nothing to it, so the model is never penalised for a high probability on them."),
        (neg, Code.WRONG_VALUE, f"`bce_loss` returned {got:.4g}: samples whose target is 1 add "
         "nothing to it, so the model is never penalised for a low probability on them."),
        (ref * n, Code.WRONG_VALUE, f"`bce_loss` returned {got:.4g} for {n} elements, the total "
         "rather than the average: it grows with the batch size."),
        (probe["of_sigmoid"], Code.WRONG_VALUE, f"`bce_loss` returned {got:.4g}, the "
         "cross-entropy of sigmoid(prob): the inputs are already probabilities, and squashing "
         "them again keeps every prediction near 0.5."),
    ]
    if "pairs" in probe:
        cands.append((probe["pairs"], Code.TARGET_SHAPE,
                      broadcast_message("bce_loss", tuple(prob.shape), got)))
    return cands


_EDGE_PROB = [0.0, 1.0, 0.0, 1.0, 0.3, 0.8]
_EDGE_TARGET = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0]
_EPS = (None, 1e-3)  # the default, and an eps given


def _edge_value(eps: float) -> torch.Tensor:
    """The reference BCE of the edge case (probabilities of exactly 0 and 1) with this eps."""
    prob, target = torch.tensor(_EDGE_PROB).reshape(6, 1), torch.tensor(_EDGE_TARGET).reshape(6, 1)
    return expected.expected("bce_mse.bce_loss", f"edge eps={eps:g}", lambda: answers(
        "bce_mse").bce_loss(prob, target, eps).detach().float())


def _bce_edge_problem(bce_loss: LossFn, eps: float | None, want: torch.Tensor,
                      device: str) -> Finding | None:
    """UNSTABLE_NUMERICS: inf/nan at probabilities of exactly 0 and 1; WRONG_VALUE: eps not
    honoured. Probabilities of exactly 0 and 1 must give a finite loss and gradient, clamped at
    eps (`want`: the reference's value)."""
    prob = torch.tensor(_EDGE_PROB, device=device).reshape(6, 1)
    target = torch.tensor(_EDGE_TARGET, device=device).reshape(6, 1)
    x, out = call_on_copy(bce_loss, prob, target, **({} if eps is None else {"eps": eps}))
    if form := loss_form_problem("bce_loss", out):
        return form
    got, used = number(out), 1e-7 if eps is None else eps
    if not torch.isfinite(got):
        return Finding(Code.UNSTABLE_NUMERICS, f"for probabilities of exactly 0 and 1 `bce_loss` "
                       f"returned {got.item()}: log(0) is -inf, so a single confident sample "
                       "turns the whole batch's loss and gradient into inf/nan.")
    grad = student_grad(out, x)
    if grad is not None and not torch.isfinite(grad).all():
        return Finding(Code.UNSTABLE_NUMERICS, "for probabilities of exactly 0 and 1 the loss of "
                       "`bce_loss` is finite but its gradient holds inf/nan: log(0) is still "
                       "evaluated and differentiated somewhere, so one step would ruin the model.")
    if not close(got, want, rtol=2e-2):
        return Finding(Code.WRONG_VALUE, f"with eps={used:g} and probabilities of exactly 0 and "
                       f"1, `bce_loss` returned {got.item():.4g}, which does not match "
                       "probabilities kept within [eps, 1 - eps]: the eps argument does not "
                       "seem to be the one used.")
    return None


def check_bce_loss(bce_loss: LossFn, ctx: Context) -> list[Finding]:
    """bce_loss(prob, target, eps) equals mean BCE on prob clamped to [eps, 1 - eps].

    Detects: missing clamp, so probabilities of exactly 0 or 1 give inf/nan in the value or
    the gradient (UNSTABLE_NUMERICS); sign error, one of the two terms missing, sum instead of
    mean, sigmoid applied to the probabilities, eps ignored or hard-coded (WRONG_VALUE, each by
    matching the value against that formula); per-element result (WRONG_OUTPUT_SHAPE); one
    input flattened so (B, 1) inputs broadcast to (B, B) (TARGET_SHAPE). Targets are 0/1.
    """
    g = seeded_generator()
    shapes = [(8, 1), (3, 4)] + (answers("bce_mse").BCE_SHAPES if ctx.strict else [])
    cases = []
    for shape in shapes:
        prob = (torch.rand(shape, generator=g) * 0.9 + 0.05).to(ctx.device)
        target = torch.randint(0, 2, shape, generator=g).float()
        target.view(-1)[:2] = torch.tensor([0.0, 1.0])  # both classes present
        target = target.to(ctx.device)
        probe = expected.expected("bce_mse.bce_loss", f"{shape}",
                                  lambda p=prob, t=target: _bce_probe(p, t))
        cases.append((prob, target, probe))
    edges = [_edge_value(1e-7 if eps is None else eps) for eps in _EPS]
    for prob, target, probe in cases:
        finding = compare_loss("bce_loss", bce_loss, (probe["value"], probe["grad"]), prob,
                               target, functools.partial(_bce_candidates, probe=probe),
                               "the binary cross-entropy")
        if finding:
            return [finding]
    for eps, want in zip(_EPS, edges, strict=True):
        finding = _bce_edge_problem(bce_loss, eps, want, ctx.device)
        if finding:
            return [finding]
    return []


# ---------------------------------------------------------------------------- bce_with_logits

def _logits_candidates(got: float, logits: torch.Tensor, target: torch.Tensor
                       ) -> list[Candidate]:
    ref = F.binary_cross_entropy_with_logits(logits, target)
    n = logits.numel()
    squashed = sigmoid_before_bce_with_logits(
        f"`bce_with_logits_loss` returned {got:.4g}, the logits loss of sigmoid(logits): the "
        "logits are squashed into (0, 1) first")
    cands: list[Candidate] = [
        (F.binary_cross_entropy_with_logits(torch.sigmoid(logits), target), squashed.code,
         squashed.message),
        (ref * n, Code.WRONG_VALUE, f"`bce_with_logits_loss` returned {got:.4g} for {n} "
         "elements, the total rather than the average: it grows with the batch size."),
        (-ref, Code.WRONG_VALUE, f"`bce_with_logits_loss` returned {got:.4g}, a negative number: "
         "minimising it would push predictions away from their targets."),
        ((target * F.softplus(-logits)).mean(), Code.WRONG_VALUE, f"`bce_with_logits_loss` "
         f"returned {got:.4g}: samples whose target is 0 add nothing to it."),
        (((1 - target) * F.softplus(logits)).mean(), Code.WRONG_VALUE, f"`bce_with_logits_loss`"
         f" returned {got:.4g}: samples whose target is 1 add nothing to it."),
    ]
    if logits.dim() == 2 and logits.shape[1] == 1:
        pairs = F.binary_cross_entropy_with_logits(
            *torch.broadcast_tensors(logits.reshape(1, -1), target.reshape(-1, 1)))
        cands.append((pairs, Code.TARGET_SHAPE,
                      broadcast_message("bce_with_logits_loss", tuple(logits.shape), got)))
    return cands


def check_bce_with_logits_loss(fn: LossFn, ctx: Context) -> list[Finding]:
    """bce_with_logits_loss(logits, target) equals F.binary_cross_entropy_with_logits.

    Detects: sigmoid applied before a loss that applies it again (SIGMOID_BEFORE_BCE_WITH_LOGITS:
    the value equals the logits loss of sigmoid(logits)); sum instead of mean, sign error, a term
    missing (WRONG_VALUE); per-element result (WRONG_OUTPUT_SHAPE); (B, 1) broadcast to (B, B)
    (TARGET_SHAPE); sigmoid-then-log or exp of a large logit, seen at logits of ±1000 as inf/nan,
    a capped value or a nan gradient (UNSTABLE_NUMERICS).
    """
    g = seeded_generator()
    shapes = [(8, 1), (3, 4)] + (answers("bce_mse").LOGITS_SHAPES if ctx.strict else [])
    for shape in shapes:
        logits = (torch.randn(shape, generator=g) * 3).to(ctx.device)
        target = torch.randint(0, 2, shape, generator=g).float()
        target.view(-1)[:2] = torch.tensor([0.0, 1.0])  # both classes present
        target = target.to(ctx.device)
        want = reference(F.binary_cross_entropy_with_logits, logits, target)
        finding = compare_loss("bce_with_logits_loss", fn, want, logits, target,
                               _logits_candidates,
                               "the binary cross-entropy of the sigmoid")
        if finding:
            return [finding]
    big = torch.tensor([1000.0, -1000.0, 1000.0, -1000.0, 2.5, -1.5]).reshape(6, 1)
    labels = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0]).reshape(6, 1)
    cases = [(big, labels)]
    if ctx.strict and answers("bce_mse").WIDE_LOGITS:
        cases.append((big.reshape(3, 2) * 3, labels.reshape(3, 2)))
    for logits, target in cases:
        finding = stability_problem("bce_with_logits_loss", fn, F.binary_cross_entropy_with_logits,
                                    logits.to(ctx.device), target.to(ctx.device))
        if finding:
            return [finding]
    return []


# ---------------------------------------------------------------------------- BinaryClassifier

def _first_linear_width(model: nn.Module) -> int | None:
    """in_features of the model's first nn.Linear (in registration order), if any."""
    return next((m.in_features for m in model.modules() if isinstance(m, nn.Linear)
                 and not isinstance(m, nn.modules.lazy.LazyModuleMixin)), None)


def _width_problem(model: nn.Module, shape: tuple[int, ...], n_in: int, text: str,
                   device: str) -> Finding | None:
    """HARDCODED_INPUT_WIDTH: BinaryClassifier(n_in) fails with a size error on (B, n_in), while
    its first Linear layer expects another width w and BinaryClassifier(w) works on (B, w)."""
    width = _first_linear_width(model)
    if width is None or width == n_in or _works_at_width(type(model), width, device) is None:
        return None
    return Finding(Code.HARDCODED_INPUT_WIDTH, (
        f"BinaryClassifier({n_in}) fails on a batch shaped {shape} ({text}), while "
        f"BinaryClassifier({width}) works on a batch of {width} features: the first layer's "
        f"input size is fixed at {width} whatever in_features says, so the model only fits "
        "inputs of that one width."))


def _works_at_width(cls: type, width: int, device: torch.device | str) -> nn.Module | None:
    """BinaryClassifier(width), when it maps a (4, width) batch to a tensor; else None."""
    try:
        model = models.build(cls, width, seed=width, device=str(device)).eval()
        out = model(torch.randn(4, width, generator=seeded_generator()).to(device))
    except Exception:
        return None
    return model if isinstance(out, torch.Tensor) else None


def _size_error_problem(model: nn.Module, run: BatchRun, n_in: int, place: tuple[int, int],
                        device: str) -> Finding:
    """HARDCODED_BATCH_SIZE: a second batch size fails; HARDCODED_INPUT_WIDTH: the layers are
    sized for another in_features. What a forward pass that raised at `place` (the in_features
    tried, the batch size tried, counted from 0) says; an error that is not about sizes, or a
    size error on the very first pass that no fixed width explains, is an ordinary crash."""
    error, shape = run.error, (run.batch, n_in)
    text = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    width, batch = place
    if "shape" not in text and "size" not in text:
        return finding_for_exception(error, "BinaryClassifier")
    if batch > 0:  # this in_features worked with another batch size
        return Finding(Code.HARDCODED_BATCH_SIZE, f"BinaryClassifier({n_in}) works for one "
                       f"batch size but fails on a batch shaped {shape} ({text}): a batch size "
                       "is hard-coded; the last batch of an epoch is often smaller.")
    fixed = _width_problem(model, shape, n_in, text, device)
    if fixed is not None:
        return fixed
    if width == 0:
        return finding_for_exception(error, "BinaryClassifier")
    return Finding(Code.HARDCODED_INPUT_WIDTH, f"BinaryClassifier({n_in}) fails on a batch "
                   f"shaped {shape} ({text}) although another in_features worked: its layers "
                   "do not follow the in_features argument.")


def _output_shape_problem(out: Any, n_in: int, batch: int) -> Finding | None:
    """WRONG_OUTPUT_SHAPE: not one logit per sample, as a (B, 1) column."""
    if not isinstance(out, torch.Tensor):
        return Finding(Code.WRONG_OUTPUT_SHAPE, f"BinaryClassifier({n_in}) returned a "
                       f"{type(out).__name__}, not a tensor of logits.")
    if tuple(out.shape) == (batch, 1):
        return None
    if tuple(out.shape) == (batch,):
        return Finding(Code.WRONG_OUTPUT_SHAPE, f"BinaryClassifier({n_in}) returned shape "
                       f"({batch},) for a batch of {batch}: the column dimension was dropped. "
                       f"The targets are a ({batch}, 1) column; next to them a ({batch},) output "
                       "makes BCEWithLogitsLoss raise, and hand-written losses silently "
                       f"broadcast to ({batch}, {batch}), comparing every output with every "
                       "target.")
    return Finding(Code.WRONG_OUTPUT_SHAPE, f"BinaryClassifier({n_in}) returned shape "
                   f"{tuple(out.shape)} for a batch of {batch}: a binary classifier gives one "
                   f"logit per sample, a ({batch}, 1) column shaped like its targets.")


_WIDTHS = (5, 3)  # in_features tried
_SHAPE_BATCHES = (8, 3)  # batch sizes tried at each width


def _module_problem(model: Any, n_in: int) -> Finding | None:
    """SUBMISSION_ERROR: not an nn.Module; WRONG_PARAMETER_COUNT: no trainable parameters."""
    if not isinstance(model, nn.Module):
        return models.not_a_module(f"BinaryClassifier({n_in})", model)
    if not any(p.requires_grad for p in model.parameters()):
        return Finding(Code.WRONG_PARAMETER_COUNT, f"BinaryClassifier({n_in}) has no trainable "
                       "parameters: layers kept in a plain list or dict (or created inside "
                       "forward) are invisible to nn.Module, so an optimizer has nothing to train.")
    return None


def _shape_problem(cls: type, ctx: Context) -> Finding | None:
    """The first problem of models built for several in_features, each run at several batch
    sizes (the shape probe); None when every output is a (B, 1) column."""
    g = seeded_generator()
    widths = answers("bce_mse").WIDTHS if ctx.strict else _WIDTHS
    batches = answers("bce_mse").SHAPE_BATCHES if ctx.strict else _SHAPE_BATCHES
    for k, n_in in enumerate(widths):
        model = models.build(cls, n_in, seed=n_in, device=ctx.device)
        problem = _module_problem(model, n_in)
        if problem is not None:
            return problem
        model.eval()  # shapes only: BatchNorm must accept a batch of 1 here
        def columns(batch: int, n_in: int = n_in) -> torch.Tensor:
            return torch.randn(batch, n_in, generator=g).to(ctx.device)

        report = shapes.probe(model, columns, batches, expected=lambda b: (b, 1),
                              errors=(RuntimeError,))
        for i, run in enumerate(report.runs):
            problem = (_size_error_problem(model, run, n_in, (k, i), ctx.device) if run.error
                       else _output_shape_problem(run.output, n_in, run.batch))
            if problem is not None:
                return problem
    return None


def _activation_problem(model: nn.Module, n_in: int, device: str) -> Finding | None:
    """ACTIVATION_ON_OUTPUT: constant or clipped outputs; SIGMOID_BEFORE_BCE_WITH_LOGITS: every
    output in [0, 1]. Outputs for large, varied inputs reveal a squashing activation at the end."""
    model.eval()
    x = torch.randn(64, n_in, generator=seeded_generator()) * 100
    out = models.forward(model, x.to(device)).float()
    low, high = out.min().item(), out.max().item()
    kind = models.output_activation(out)
    if low == high == 1.0:
        return Finding(Code.ACTIVATION_ON_OUTPUT, "every output of BinaryClassifier is exactly 1.0 "
                       "for 64 varied inputs: an activation at the end (softmax over a single "
                       "column?) makes the output constant, so nothing can be learned.")
    if kind == "ReLU":
        return Finding(Code.ACTIVATION_ON_OUTPUT, "BinaryClassifier never outputs a negative "
                       f"logit for 64 varied inputs (min {low:.3g}, several exactly 0): an "
                       "activation at the end clips the logits, so the model cannot say 'class 0' "
                       "with confidence, and clipped samples get no gradient.")
    if kind == "sigmoid" and high - low > 1e-3:
        return sigmoid_before_bce_with_logits(
            f"for 64 varied inputs every output of BinaryClassifier lies in [0, 1] ({low:.3g} to "
            f"{high:.3g}): the model squashes its logits")
    return None


def _learning_problem(cls: type, device: str) -> Finding | None:
    """WRONG_VALUE: 40 Adam steps of BCEWithLogitsLoss on a separable toy set must lower the loss
    clearly."""
    g = seeded_generator()
    x = torch.randn(64, 4, generator=g)
    y = (x @ torch.tensor([1.5, -2.0, 1.0, 0.5]) > 0).float().unsqueeze(1)
    model = models.build(cls, 4, seed=0, device=device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    probed = models.learning_probe(model, x.to(device), y.to(device), nn.BCEWithLogitsLoss(),
                                   optimizer, steps=40, measure_in_eval=True)
    if probed.stopped == "detached":
        return Finding(Code.WRONG_VALUE, "the output of BinaryClassifier has no gradient "
                       "history back to its parameters (computed under no_grad, detached or "
                       "rebuilt as a new tensor), so backward() cannot train it.")
    before, after = probed.before, probed.after
    if not after < 0.7 * before:
        return Finding(Code.WRONG_VALUE, "40 Adam steps with BCEWithLogitsLoss on a linearly "
                       f"separable toy set took BinaryClassifier(4)'s loss from {before:.3f} only "
                       f"to {after:.3f}: its output barely responds to training.")
    return None


def _at_fixed_width(cls: type, device: str) -> list[Finding]:
    """The output checks, run at the one width a hard-coded model accepts (a second mistake)."""
    width = _first_linear_width(models.build(cls, 5, seed=5, device=device))
    model = _works_at_width(cls, width, device) if width else None
    if model is None:
        return []
    out = models.forward(model, torch.randn(8, width, generator=seeded_generator()).to(device))
    problem = _output_shape_problem(out, width, 8) or _activation_problem(model, width, device)
    return [problem] if problem else []


def check_binary_classifier(cls: type, ctx: Context) -> list[Finding]:
    """BinaryClassifier(in_features) maps (B, in_features) to raw logits shaped (B, 1).

    Detects: output (B,) or (B, k != 1), or not a tensor (WRONG_OUTPUT_SHAPE); in_features
    ignored, seen as a size error while the model works at its first Linear's width
    (HARDCODED_INPUT_WIDTH; the output checks then run at that width, so a second mistake is
    reported too); a batch size
    hard-coded, seen as a size error with a second batch size (HARDCODED_BATCH_SIZE); no
    registered parameters (WRONG_PARAMETER_COUNT); outputs all in [0, 1] for large varied
    inputs (SIGMOID_BEFORE_BCE_WITH_LOGITS); outputs never negative with exact zeros, or all
    exactly 1 (ACTIVATION_ON_OUTPUT); two passes over the same samples in eval mode that differ
    (RANDOM_IN_EVAL); an output cut from the graph or a loss that 40 Adam steps on separable
    data barely lowers (WRONG_VALUE).
    """
    problem = _shape_problem(cls, ctx)
    if problem is not None and problem.code is Code.HARDCODED_INPUT_WIDTH:
        return [problem, *_at_fixed_width(cls, ctx.device)]
    if problem is not None:
        return [problem]
    width = (answers("bce_mse").WIDTHS if ctx.strict else _WIDTHS)[-1]
    model = models.build(cls, width, seed=width, device=ctx.device)
    samples = torch.randn(8, width, generator=seeded_generator(2)).to(ctx.device)
    random = models.random_in_eval(model, samples, f"BinaryClassifier({width})", "samples")
    if random:
        return random
    finding = _activation_problem(model, width, ctx.device) or _learning_problem(cls, ctx.device)
    return [finding] if finding else []


TASKS: list[Task] = [
    Task(
        id="bce_mse.mse_loss", name="mse_loss", check=check_mse_loss, points=2,
        hint="A loss is one number that autograd can differentiate: keep every step a torch "
             "operation, and reduce the per-element errors the way nn.MSELoss does by default.",
        catches=(Code.WRONG_VALUE, Code.WRONG_OUTPUT_SHAPE, Code.TARGET_SHAPE),
    ),
    Task(
        id="bce_mse.bce_loss", name="bce_loss", check=check_bce_loss, points=3,
        hint="Both outcomes contribute a log term, chosen by the target. log(0) is -inf, so keep "
             "the probabilities away from exactly 0 and 1 (that is what eps is for).",
        catches=(Code.UNSTABLE_NUMERICS, Code.WRONG_VALUE, Code.WRONG_OUTPUT_SHAPE,
                 Code.TARGET_SHAPE),
    ),
    Task(
        id="bce_mse.bce_with_logits_loss", name="bce_with_logits_loss", points=3,
        check=calls.from_the_formula(
            check_bce_with_logits_loss, calls.BCE, "bce_with_logits_loss",
            "the loss worked out from the formula of its section (building blocks such as "
            "`exp`, `log1p`, `clamp` or `softplus` are fine)"),
        hint="Work on the logits directly and never form sigmoid(x) before the log: rewrite the "
             "loss so that exp() only ever sees a number <= 0 (softplus is built for that).",
        catches=(Code.SIGMOID_BEFORE_BCE_WITH_LOGITS, Code.UNSTABLE_NUMERICS, Code.WRONG_VALUE,
                 Code.WRONG_OUTPUT_SHAPE, Code.TARGET_SHAPE, Code.BUILTIN_USED),
    ),
    Task(
        id="bce_mse.BinaryClassifier", name="BinaryClassifier", check=check_binary_classifier,
        points=2,
        hint="BCEWithLogitsLoss applies the sigmoid itself, so the model should end with a layer "
             "giving one raw number per sample, shaped like the targets.",
        catches=(Code.WRONG_OUTPUT_SHAPE, Code.SIGMOID_BEFORE_BCE_WITH_LOGITS,
                 Code.ACTIVATION_ON_OUTPUT, Code.WRONG_PARAMETER_COUNT, Code.HARDCODED_BATCH_SIZE,
                 Code.HARDCODED_INPUT_WIDTH, Code.RANDOM_IN_EVAL, Code.WRONG_VALUE,
                 Code.SUBMISSION_ERROR),
    ),
]
