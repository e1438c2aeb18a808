"""Checks for the BCE-vs-MSE notebook: mse_loss, bce_loss, bce_with_logits_loss, BinaryClassifier.

The loss functions are specified on same-shaped tensors, so no check passes them (B, 1) against
(B,). They are fed (B, 1) against (B, 1), the shapes a model's output and its targets have in this
course: a function that flattens only one of the two broadcasts to (B, B) internally, which is
reported as TARGET_SHAPE. A model that itself returns (B,) is a BinaryClassifier problem, reported
there as WRONG_OUTPUT_SHAPE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from grader.core.findings import Code, Finding
from grader.core.task import Context, Task

RTOL, ATOL = 1e-4, 1e-5

# One explanation of a wrong value: (value the misconception gives, its code, the message).
Candidate = tuple[torch.Tensor, Code, str]
LossFn = Callable[..., Any]


# ---------------------------------------------------------------- helpers shared with cross_entropy

def close(a: torch.Tensor, b: torch.Tensor, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Same shape and values (nan never matches); a is cast to b's dtype and device."""
    a = a.detach().to(b.device, b.dtype)
    return a.shape == b.shape and bool(torch.allclose(a, b.detach(), rtol=rtol, atol=atol))


def number(out: torch.Tensor) -> torch.Tensor:
    """The single value of a one-element loss, detached, as a 0-dim float tensor."""
    return out.detach().reshape(()).float()


def loss_form_problem(name: str, out: Any) -> Finding | None:
    """A loss must be a tensor holding one number, so that backward() can start from it."""
    if not isinstance(out, torch.Tensor):
        return Finding(Code.WRONG_VALUE, f"`{name}` returned a {type(out).__name__} "
                       f"({out!r:.40}), not a tensor: backward() cannot start from it, so no "
                       "gradient would ever reach the model's parameters.")
    if out.numel() != 1:
        return Finding(Code.WRONG_OUTPUT_SHAPE, f"`{name}` returned a tensor shaped "
                       f"{tuple(out.shape)}, one value per element: a loss reduces them to a "
                       "single number, the one backward() starts from.")
    return None


def explain(got: torch.Tensor, candidates: list[Candidate], fallback: str) -> Finding:
    """The first misconception whose value matches `got`, else a WRONG_VALUE with `fallback`."""
    for value, code, message in candidates:
        if close(got, value, rtol=1e-3, atol=1e-5):
            return Finding(code, message)
    return Finding(Code.WRONG_VALUE, fallback)


def reference(fn: LossFn, base: torch.Tensor, *args: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Value and gradient (w.r.t. base) of torch's own loss, computed on a private copy."""
    x = base.clone().requires_grad_()
    loss = fn(x, *args)
    (grad,) = torch.autograd.grad(loss, x)
    return loss.detach().float(), grad


def student_grad(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor | None:
    """d(out)/dx through the student's graph, or None when out is not connected to x."""
    if out.grad_fn is None:
        return None
    return torch.autograd.grad(out.sum(), x, allow_unused=True)[0]


def detached_finding(name: str, wrt: str) -> Finding:
    return Finding(Code.WRONG_VALUE, f"the value `{name}` returns has no gradient history back "
                   f"to `{wrt}`: backward() on it would fail or train nothing. Some step of the "
                   "computation left autograd (.item(), .detach(), torch.tensor(...), NumPy...).")


def grad_problem(name: str, out: torch.Tensor, x: torch.Tensor, want: torch.Tensor,
                 wrt: str) -> Finding | None:
    """The student's gradient w.r.t. x (whose loss value is right) must match the reference."""
    got = student_grad(out, x)
    if got is None:
        return detached_finding(name, wrt)
    if not close(got, want):
        diff = (got.detach().float() - want.float()).abs().max().item()
        return Finding(Code.WRONG_VALUE, f"`{name}` returns the right value, but its gradient "
                       f"with respect to `{wrt}` is off (largest difference {diff:.3g}): part of "
                       "the computation is hidden from autograd, so training would be misled.")
    return None


def compare_loss(name: str, student: LossFn, ref_fn: LossFn, base: torch.Tensor,
                 target: torch.Tensor, candidates: Callable[..., list[Candidate]],
                 what: str) -> Finding | None:
    """Call student(base, target) on copies; check form, value (explaining a miss) and gradient.

    `what` names the loss for the fallback message; the gradient is taken w.r.t. the first input.
    """
    want_value, want_grad = reference(ref_fn, base, target)
    x = base.clone().requires_grad_()
    out = student(x, target.clone())
    problem = loss_form_problem(name, out)
    if problem:
        return problem
    got = number(out)
    if not close(got, want_value):
        fallback = (f"`{name}` returned {got.item():.4g} for inputs shaped {tuple(base.shape)}, "
                    f"which is not {what} of those tensors.")
        return explain(got, candidates(got.item(), base, target), fallback)
    return grad_problem(name, out, x, want_grad, _first_param(student))


def _first_param(fn: LossFn) -> str:
    code = getattr(fn, "__code__", None)
    return code.co_varnames[0] if code is not None and code.co_argcount else "its input"


def seeded_generator() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def broadcast_message(name: str, shape: tuple[int, ...], got: float) -> str:
    b = shape[0]
    return (f"with both inputs shaped {shape}, `{name}` returned {got:.4g}, the average over all "
            f"{b}×{b} (prediction, target) pairs: inside the function one of the two lost its "
            f"column dimension, and broadcasting ({b},) against ({b}, 1) paired every prediction "
            "with every target.")


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
    shapes = [(4, 3), (6, 1)] + ([(5,), (2, 3, 4), (1, 1)] if ctx.strict else [])
    for shape in shapes:
        pred = torch.randn(shape, generator=g).to(ctx.device)
        target = torch.randn(shape, generator=g).to(ctx.device)
        finding = compare_loss("mse_loss", mse_loss, F.mse_loss, pred, target,
                               _mse_candidates, "the mean squared error")
        if finding:
            return [finding]
    return []


# ------------------------------------------------------------------------------------ bce_loss

def bce_reference(prob: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Mean binary cross-entropy on probabilities clamped to [eps, 1 - eps]."""
    p = prob.clamp(eps, 1 - eps)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()


def _bce_candidates(got: float, prob: torch.Tensor, target: torch.Tensor) -> list[Candidate]:
    ref, n = bce_reference(prob, target), prob.numel()
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
        (bce_reference(torch.sigmoid(prob), target), Code.WRONG_VALUE, f"`bce_loss` returned "
         f"{got:.4g}, the cross-entropy of sigmoid(prob): the inputs are already probabilities, "
         "and squashing them again keeps every prediction near 0.5."),
    ]
    if prob.dim() == 2 and prob.shape[1] == 1:
        pairs = bce_reference(prob.reshape(1, -1), target.reshape(-1, 1))
        cands.append((pairs, Code.TARGET_SHAPE,
                      broadcast_message("bce_loss", tuple(prob.shape), got)))
    return cands


def _bce_edge_problem(bce_loss: LossFn, eps: float | None, device: str) -> Finding | None:
    """Probabilities of exactly 0 and 1 must give a finite loss and gradient, clamped at eps."""
    prob = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.3, 0.8], device=device).reshape(6, 1)
    target = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0], device=device).reshape(6, 1)
    x = prob.clone().requires_grad_()
    out = bce_loss(x, target.clone()) if eps is None else bce_loss(x, target.clone(), eps=eps)
    problem = loss_form_problem("bce_loss", out)
    if problem:
        return problem
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
    if not close(got, bce_reference(prob, target, used), rtol=2e-2):
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
    shapes = [(8, 1), (3, 4)] + ([(6,), (2, 2, 3)] if ctx.strict else [])
    for shape in shapes:
        prob = (torch.rand(shape, generator=g) * 0.9 + 0.05).to(ctx.device)
        target = torch.randint(0, 2, shape, generator=g).float()
        target.view(-1)[:2] = torch.tensor([0.0, 1.0])  # both classes present
        finding = compare_loss("bce_loss", bce_loss, bce_reference, prob, target.to(ctx.device),
                               _bce_candidates, "the binary cross-entropy")
        if finding:
            return [finding]
    for eps in (None, 1e-3):
        finding = _bce_edge_problem(bce_loss, eps, ctx.device)
        if finding:
            return [finding]
    return []


# ---------------------------------------------------------------------------- bce_with_logits

def _logits_candidates(got: float, logits: torch.Tensor, target: torch.Tensor
                       ) -> list[Candidate]:
    ref = F.binary_cross_entropy_with_logits(logits, target)
    n = logits.numel()
    cands: list[Candidate] = [
        (F.binary_cross_entropy_with_logits(torch.sigmoid(logits), target),
         Code.SIGMOID_BEFORE_BCE_WITH_LOGITS, f"`bce_with_logits_loss` returned {got:.4g}, the "
         "logits loss of sigmoid(logits): the logits are squashed into (0, 1) before a loss that "
         "applies the sigmoid itself, so the model is scored on sigmoid(sigmoid(x)) and the "
         "loss can never get close to 0."),
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


def _extreme_logits_problem(fn: LossFn, logits: torch.Tensor, target: torch.Tensor
                            ) -> Finding | None:
    """Logits of ±1000 must give torch's finite value and gradient."""
    name = "bce_with_logits_loss"
    want_value, want_grad = reference(F.binary_cross_entropy_with_logits, logits, target)
    x = logits.clone().requires_grad_()
    out = fn(x, target.clone())
    problem = loss_form_problem(name, out)
    if problem:
        return problem
    got = number(out)
    if not torch.isfinite(got):
        return Finding(Code.UNSTABLE_NUMERICS, f"with logits of ±1000 (a confident model) `{name}`"
                       f" returned {got.item()}: exp() overflows, or sigmoid rounds to exactly 0 "
                       "or 1 and log(0) = -inf, so one confident sample ruins the whole batch.")
    if not close(got, want_value):
        return Finding(Code.UNSTABLE_NUMERICS, f"with logits of ±1000 `{name}` returned "
                       f"{got.item():.4g}, yet a logit of 1000 on the wrong side costs about 1000: "
                       "confident mistakes are capped (a sigmoid rounded to 0 or 1, then an eps or "
                       "a clamp), so their gradient vanishes exactly when correction is needed.")
    grad = student_grad(out, x)
    if grad is None:
        return detached_finding(name, "logits")
    if not torch.isfinite(grad).all():
        return Finding(Code.UNSTABLE_NUMERICS, f"with logits of ±1000 the loss of `{name}` is "
                       "finite but its gradient holds nan/inf: an overflowing branch is still "
                       "differentiated (torch.where computes both sides), so a single backward() "
                       "would fill the model with nan.")
    if not close(grad, want_grad):
        return Finding(Code.UNSTABLE_NUMERICS, f"with logits of ±1000 the gradient of `{name}` is "
                       "wrong although the value is right: saturated steps stop the gradient.")
    return None


def check_bce_with_logits_loss(fn: LossFn, ctx: Context) -> list[Finding]:
    """bce_with_logits_loss(logits, target) equals F.binary_cross_entropy_with_logits.

    Detects: sigmoid applied before a loss that applies it again (SIGMOID_BEFORE_BCE_WITH_LOGITS:
    the value equals the logits loss of sigmoid(logits)); sum instead of mean, sign error, a term
    missing (WRONG_VALUE); per-element result (WRONG_OUTPUT_SHAPE); (B, 1) broadcast to (B, B)
    (TARGET_SHAPE); sigmoid-then-log or exp of a large logit, seen at logits of ±1000 as inf/nan,
    a capped value or a nan gradient (UNSTABLE_NUMERICS).
    """
    g = seeded_generator()
    shapes = [(8, 1), (3, 4)] + ([(6,), (16, 1)] if ctx.strict else [])
    for shape in shapes:
        logits = (torch.randn(shape, generator=g) * 3).to(ctx.device)
        target = torch.randint(0, 2, shape, generator=g).float()
        target.view(-1)[:2] = torch.tensor([0.0, 1.0])  # both classes present
        finding = compare_loss("bce_with_logits_loss", fn, F.binary_cross_entropy_with_logits,
                               logits, target.to(ctx.device), _logits_candidates,
                               "the binary cross-entropy of the sigmoid")
        if finding:
            return [finding]
    big = torch.tensor([1000.0, -1000.0, 1000.0, -1000.0, 2.5, -1.5]).reshape(6, 1)
    labels = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0]).reshape(6, 1)
    cases = [(big, labels)] + ([(big.reshape(3, 2) * 3, labels.reshape(3, 2))] if ctx.strict
                               else [])
    for logits, target in cases:
        finding = _extreme_logits_problem(fn, logits.to(ctx.device), target.to(ctx.device))
        if finding:
            return [finding]
    return []


# ---------------------------------------------------------------------------- BinaryClassifier

def _forward(model: nn.Module, x: torch.Tensor, n_in: int, first: bool, batch_ok: bool) -> Any:
    """model(x); a size error after an earlier success names what was hard-coded."""
    try:
        return model(x)
    except RuntimeError as exc:
        text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if first or ("shape" not in text and "size" not in text):
            raise
        if batch_ok:  # this in_features worked with another batch size
            return Finding(Code.HARDCODED_BATCH_SIZE, f"BinaryClassifier({n_in}) works for one "
                           f"batch size but fails on a batch shaped {tuple(x.shape)} ({text}): "
                           "a batch size is hard-coded; the last batch of an epoch is often "
                           "smaller.")
        return Finding(Code.SUBMISSION_ERROR, f"BinaryClassifier({n_in}) fails on a batch shaped "
                       f"{tuple(x.shape)} ({text}): its layers do not seem to be sized from the "
                       "in_features argument.")


def _output_shape_problem(out: Any, n_in: int, batch: int) -> Finding | None:
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


def _build(cls: type, n_in: int, device: str) -> nn.Module | Finding:
    torch.manual_seed(n_in)
    model = cls(n_in)
    if not isinstance(model, nn.Module):
        return Finding(Code.SUBMISSION_ERROR, f"BinaryClassifier({n_in}) is a "
                       f"{type(model).__name__}, not an nn.Module.")
    if not any(p.requires_grad for p in model.parameters()):
        return Finding(Code.WRONG_PARAMETER_COUNT, f"BinaryClassifier({n_in}) has no trainable "
                       "parameters: layers kept in a plain list or dict (or created inside "
                       "forward) are invisible to nn.Module, so an optimizer has nothing to train.")
    return model.to(device)


def _shape_problems(cls: type, ctx: Context) -> Finding | tuple[nn.Module, int]:
    """Build for several in_features, run several batch sizes; a finding, or the last model."""
    g = seeded_generator()
    sizes = (5, 3) + ((12,) if ctx.strict else ())
    for k, n_in in enumerate(sizes):
        model = _build(cls, n_in, ctx.device)
        if isinstance(model, Finding):
            return model
        model.eval()  # shapes only: BatchNorm must accept a batch of 1 here
        for i, batch in enumerate((8, 3) + ((1,) if ctx.strict else ())):
            x = torch.randn(batch, n_in, generator=g).to(ctx.device)
            out = _forward(model, x, n_in, first=k == i == 0, batch_ok=i > 0)
            problem = out if isinstance(out, Finding) else _output_shape_problem(out, n_in, batch)
            if problem:
                return problem
    return model, sizes[-1]


def _activation_problem(model: nn.Module, n_in: int, device: str) -> Finding | None:
    """Outputs for large, varied inputs reveal a squashing activation at the end."""
    g = seeded_generator()
    model.eval()
    with torch.no_grad():
        out = model((torch.randn(64, n_in, generator=g) * 100).to(device)).float()
    low, high = out.min().item(), out.max().item()
    if low >= 0 and high <= 1 and high - low > 1e-3:
        return Finding(Code.SIGMOID_BEFORE_BCE_WITH_LOGITS, "for 64 varied inputs every output of "
                       f"BinaryClassifier lies in [0, 1] ({low:.3g} to {high:.3g}): the model "
                       "squashes its logits, and BCEWithLogitsLoss applies the sigmoid again, "
                       "so training sees sigmoid(sigmoid(x)) and confident predictions are "
                       "impossible.")
    if low == high == 1.0:
        return Finding(Code.ACTIVATION_ON_OUTPUT, "every output of BinaryClassifier is exactly 1.0 "
                       "for 64 varied inputs: an activation at the end (softmax over a single "
                       "column?) makes the output constant, so nothing can be learned.")
    if low >= 0 and bool((out == 0).any()) and high > 1:
        return Finding(Code.ACTIVATION_ON_OUTPUT, "BinaryClassifier never outputs a negative "
                       f"logit for 64 varied inputs (min {low:.3g}, several exactly 0): an "
                       "activation at the end clips the logits, so the model cannot say 'class 0' "
                       "with confidence, and clipped samples get no gradient.")
    return None


def _learning_problem(cls: type, device: str) -> Finding | None:
    """40 Adam steps of BCEWithLogitsLoss on a separable toy set must lower the loss clearly."""
    g = seeded_generator()
    x = torch.randn(64, 4, generator=g)
    y = (x @ torch.tensor([1.5, -2.0, 1.0, 0.5]) > 0).float().unsqueeze(1)
    x, y = x.to(device), y.to(device)
    torch.manual_seed(0)
    model, loss_fn = cls(4).to(device), nn.BCEWithLogitsLoss()
    before = _eval_loss(model, loss_fn, x, y)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    model.train()
    for _ in range(40):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        if loss.grad_fn is None:
            return Finding(Code.WRONG_VALUE, "the output of BinaryClassifier has no gradient "
                           "history back to its parameters (computed under no_grad, detached or "
                           "rebuilt as a new tensor), so backward() cannot train it.")
        loss.backward()
        optimizer.step()
    after = _eval_loss(model, loss_fn, x, y)
    if not after < 0.7 * before:
        return Finding(Code.WRONG_VALUE, "40 Adam steps with BCEWithLogitsLoss on a linearly "
                       f"separable toy set took BinaryClassifier(4)'s loss from {before:.3f} only "
                       f"to {after:.3f}: its output barely responds to training.")
    return None


def _eval_loss(model: nn.Module, loss_fn: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        return loss_fn(model(x), y).item()


def check_binary_classifier(cls: type, ctx: Context) -> list[Finding]:
    """BinaryClassifier(in_features) maps (B, in_features) to raw logits shaped (B, 1).

    Detects: output (B,) or (B, k != 1), or not a tensor (WRONG_OUTPUT_SHAPE); in_features
    ignored, seen as a size error with a second in_features (SUBMISSION_ERROR); a batch size
    hard-coded, seen as a size error with a second batch size (HARDCODED_BATCH_SIZE); no
    registered parameters (WRONG_PARAMETER_COUNT); outputs all in [0, 1] for large varied
    inputs (SIGMOID_BEFORE_BCE_WITH_LOGITS); outputs never negative with exact zeros, or all
    exactly 1 (ACTIVATION_ON_OUTPUT); an output cut from the graph or a loss that 40 Adam steps
    on separable data barely lowers (WRONG_VALUE).
    """
    built = _shape_problems(cls, ctx)
    if isinstance(built, Finding):
        return [built]
    finding = _activation_problem(*built, ctx.device) or _learning_problem(cls, ctx.device)
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
        id="bce_mse.bce_with_logits_loss", name="bce_with_logits_loss",
        check=check_bce_with_logits_loss, points=3,
        hint="Work on the logits directly and never form sigmoid(x) before the log: rewrite the "
             "loss so that exp() only ever sees a number <= 0, or use a function built for it.",
        catches=(Code.SIGMOID_BEFORE_BCE_WITH_LOGITS, Code.UNSTABLE_NUMERICS, Code.WRONG_VALUE,
                 Code.WRONG_OUTPUT_SHAPE, Code.TARGET_SHAPE),
    ),
    Task(
        id="bce_mse.BinaryClassifier", name="BinaryClassifier", check=check_binary_classifier,
        points=2,
        hint="BCEWithLogitsLoss applies the sigmoid itself, so the model should end with a layer "
             "giving one raw number per sample, shaped like the targets.",
        catches=(Code.WRONG_OUTPUT_SHAPE, Code.SIGMOID_BEFORE_BCE_WITH_LOGITS,
                 Code.ACTIVATION_ON_OUTPUT, Code.WRONG_PARAMETER_COUNT, Code.HARDCODED_BATCH_SIZE,
                 Code.WRONG_VALUE, Code.SUBMISSION_ERROR),
    ),
]
