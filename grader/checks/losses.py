"""Calling a student's loss the way training would: on copies, then its form, value, gradient
and stability compared with torch's own loss; and the one wording of each loss misconception."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from grader.checks.values import Candidate, close, explain, number
from grader.core.findings import Code, Finding

LossFn = Callable[..., Any]


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


def loss_form_problem(name: str, out: Any) -> Finding | None:
    """WRONG_VALUE: not a tensor; WRONG_OUTPUT_SHAPE: more than one number (a loss is a tensor
    holding one number)."""
    if not isinstance(out, torch.Tensor):
        return Finding(Code.WRONG_VALUE, f"`{name}` returned a {type(out).__name__} "
                       f"({out!r:.40}), not a tensor: backward() cannot start from it, so no "
                       "gradient would ever reach the model's parameters.")
    if out.numel() != 1:
        return Finding(Code.WRONG_OUTPUT_SHAPE, f"`{name}` returned a tensor shaped "
                       f"{tuple(out.shape)}, one value per element: a loss reduces them to a "
                       "single number, the one backward() starts from.")
    return None


def call_on_copy(fn: LossFn, base: torch.Tensor, *args: torch.Tensor,
                 **kwargs: Any) -> tuple[torch.Tensor, Any]:
    """(input copy, whatever fn returned) for fn called on private copies, the first one
    tracking gradients; loss_form_problem judges what came back."""
    x = base.clone().requires_grad_()
    return x, fn(x, *(a.clone() for a in args), **kwargs)


def detached_finding(name: str, wrt: str) -> Finding:
    """WRONG_VALUE: the result has no gradient history back to its input."""
    return Finding(Code.WRONG_VALUE, f"the value `{name}` returns has no gradient history back "
                   f"to `{wrt}`: backward() on it would fail or train nothing. Some step of the "
                   "computation left autograd (.item(), .detach(), torch.tensor(...), NumPy...).")


def grad_problem(name: str, out: torch.Tensor, x: torch.Tensor, want: torch.Tensor,
                 wrt: str) -> Finding | None:
    """WRONG_VALUE: the gradient w.r.t. x of a loss whose value is right differs from torch's."""
    got = student_grad(out, x)
    if got is None:
        return detached_finding(name, wrt)
    if not close(got, want):
        diff = (got.detach().float() - want.float()).abs().max().item()
        return Finding(Code.WRONG_VALUE, f"`{name}` returns the right value, but its gradient "
                       f"with respect to `{wrt}` is off (largest difference {diff:.3g}): part of "
                       "the computation is hidden from autograd, so training would be misled.")
    return None


def compare_loss(name: str, student: LossFn, want: tuple[torch.Tensor, torch.Tensor],
                 base: torch.Tensor, target: torch.Tensor,
                 candidates: Callable[..., list[Candidate]], what: str) -> Finding | None:
    """Call student(base, target) on copies; check form, value (explaining a miss) and gradient
    against `want`, the right (value, gradient w.r.t. base) from `reference` or a recording.

    `what` names the loss for the fallback message; the gradient is taken w.r.t. the first input.
    """
    want_value, want_grad = want
    x, out = call_on_copy(student, base, target)
    if form := loss_form_problem(name, out):
        return form
    got = number(out)
    if not close(got, want_value):
        fallback = (f"`{name}` returned {got.item():.4g} for inputs shaped {tuple(base.shape)}, "
                    f"which is not {what} of those tensors.")
        return explain(got, candidates(got.item(), base, target), fallback)
    return grad_problem(name, out, x, want_grad, _first_param(student))


def _first_param(fn: LossFn) -> str:
    code = getattr(fn, "__code__", None)
    return code.co_varnames[0] if code is not None and code.co_argcount else "its input"


def stability_problem(name: str, fn: LossFn, ref_fn: LossFn, logits: torch.Tensor,
                      target: torch.Tensor) -> Finding | None:
    """UNSTABLE_NUMERICS: logits of ±1000 (a confident model) must give torch's finite value
    and gradient; inf/nan, a capped value or a broken gradient each say what was seen."""
    want_value, want_grad = reference(ref_fn, logits, target)
    x, out = call_on_copy(fn, logits, target)
    if form := loss_form_problem(name, out):
        return form
    got, seen = number(out), f"with logits of ±1000 (a confident model) `{name}`"
    if not torch.isfinite(got):
        return Finding(Code.UNSTABLE_NUMERICS, f"{seen} returned {got.item()}: exp() overflows, "
                       "or a probability rounds to exactly 0 or 1 before its log is taken "
                       "(log(0) = -inf), so one confident sample ruins the whole batch.")
    if not close(got, want_value):
        return Finding(Code.UNSTABLE_NUMERICS, f"{seen} returned {got.item():.4g}, which is wrong "
                       "although small logits work: confident mistakes are capped (a probability "
                       "rounded to 0 or 1, then an eps or a clamp), so their gradient vanishes "
                       "exactly when correction is needed.")
    grad = student_grad(out, x)
    if grad is None:
        return detached_finding(name, "logits")
    if not torch.isfinite(grad).all() or not close(grad, want_grad):
        return Finding(Code.UNSTABLE_NUMERICS, f"{seen} returns the right value but a gradient "
                       "that is nan/inf or wrong: an overflowing or saturated branch is still "
                       "differentiated (torch.where computes both sides), so one backward() "
                       "would mislead or ruin the model.")
    return None


def broadcast_message(name: str, shape: tuple[int, ...], got: float) -> str:
    """The TARGET_SHAPE story: (B, 1) against (B,) broadcast to (B, B) inside the loss."""
    b = shape[0]
    return (f"with both inputs shaped {shape}, `{name}` returned {got:.4g}, the average over all "
            f"{b}×{b} (prediction, target) pairs: inside the function one of the two lost its "
            f"column dimension, and broadcasting ({b},) against ({b}, 1) paired every prediction "
            "with every target.")


def softmax_before_ce(seen: str) -> Finding:
    """SOFTMAX_BEFORE_CE: probabilities reached a loss that applies log-softmax itself."""
    return Finding(Code.SOFTMAX_BEFORE_CE, f"{seen}: cross-entropy applies log-softmax itself, "
                   "so the model is scored on softmax(softmax(x)): the loss can never get near 0 "
                   "and its gradients shrink.")


def sigmoid_before_bce_with_logits(seen: str) -> Finding:
    """SIGMOID_BEFORE_BCE_WITH_LOGITS: outputs squashed into (0, 1) before a loss that applies
    the sigmoid itself."""
    return Finding(Code.SIGMOID_BEFORE_BCE_WITH_LOGITS, f"{seen}: BCEWithLogitsLoss applies the "
                   "sigmoid itself, so the model is scored on sigmoid(sigmoid(x)) and can never "
                   "make a confident prediction.")
