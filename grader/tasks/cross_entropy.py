"""Checks for the cross-entropy notebook: a stable softmax, cross_entropy from logits, and the
gradient of cross-entropy by hand.

The notebook asks for all three from the formula: calling torch's own softmax or cross-entropy,
or autograd for the gradient, is BUILTIN_USED (grader.checks.calls watches the calls). Otherwise
grading is by behaviour: any correct, stable (and, for the losses, differentiable) way of writing
them passes. The gradient is compared with autograd through torch's own F.cross_entropy.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from grader.checks import calls
from grader.checks.losses import (
    LossFn,
    call_on_copy,
    detached_finding,
    grad_problem,
    loss_form_problem,
    reference,
    softmax_before_ce,
    stability_problem,
    student_grad,
)
from grader.checks.values import Candidate, close, explain, number, seeded_generator
from grader.core.expected import answers
from grader.core.findings import Code, Finding
from grader.core.task import Context, Task

# Logits of a very confident model: exp() of them overflows float32 (and exp(-1000) is 0).
LARGE_LOGITS = [[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0], [0.5, -0.5, 0.0]]
# A confident batch for the loss and its gradient: right, wrong, a tie, and a small row.
LARGE_CE_LOGITS = [[1000.0, 0.0, -1000.0], [0.0, 1000.0, 1000.0], [-1000.0, 1000.0, 0.0],
                   [2.0, 1.0, -1.0]]
LARGE_CE_TARGETS = [0, 0, 2, 1]


# ------------------------------------------------------------------------------------- softmax

def _call_softmax(softmax: LossFn, x: torch.Tensor, dim: int | None) -> Any:
    return softmax(x) if dim is None else softmax(x, dim=dim)


def _mismatch_message(out: torch.Tensor, x: torch.Tensor, dim: int) -> str:
    """Describe how a softmax output (same shape as x) differs from the real one."""
    call = f"softmax(logits shaped {tuple(x.shape)}, dim={dim})"
    ones = torch.ones((), device=x.device)
    for k in range(x.dim()):
        if k != dim % x.dim() and close(out, torch.softmax(x, k)):
            return (f"{call} sums to 1 along dim {k} instead: the dim argument is not honoured "
                    "(a dimension is fixed somewhere inside the function).")
    if close(out.sum(), ones, rtol=1e-4, atol=1e-4):
        return (f"the whole output of {call} sums to 1: it is normalised over every element at "
                "once instead of separately along dim.")
    sums = out.sum(dim)
    if close(sums, torch.ones_like(sums), rtol=1e-4, atol=1e-4):
        return (f"the slices of {call} sum to 1 along dim, but the values are not proportional "
                "to exp(logit), so they are not the softmax of the logits.")
    return (f"the output of {call} does not sum to 1 along dim (slice sums range from "
            f"{sums.min().item():.3g} to {sums.max().item():.3g}).")


def _softmax_value_problem(softmax: LossFn, x: torch.Tensor, dim: int | None) -> Finding | None:
    """WRONG_VALUE: the input changed in place, not a tensor, another shape, or other values than
    torch.softmax."""
    arg = x.clone()
    out = _call_softmax(softmax, arg, dim)
    if not torch.equal(arg, x):
        return Finding(Code.WRONG_VALUE, "`softmax` changed the tensor it was given (an in-place "
                       "operation such as -= on the logits): the caller's logits are overwritten, "
                       "and autograd refuses in-place changes to tensors it needs.")
    d = -1 if dim is None else dim
    if not isinstance(out, torch.Tensor):
        return Finding(Code.WRONG_VALUE, f"`softmax` returned a {type(out).__name__}, not a "
                       "tensor.")
    if out.shape != x.shape:
        return Finding(Code.WRONG_VALUE, f"`softmax` returned shape {tuple(out.shape)} for logits "
                       f"shaped {tuple(x.shape)} with dim={d}: softmax rescales values and keeps "
                       "the shape of its input.")
    if close(out, torch.softmax(x, d)):
        return None
    return Finding(Code.WRONG_VALUE, _mismatch_message(out.detach().float(), x, d))


def _softmax_cases(ctx: Context) -> list[tuple[torch.Tensor, int | None]]:
    g = seeded_generator()
    x2 = torch.randn(3, 5, generator=g) * 2
    x3 = torch.randn(2, 3, 4, generator=g) * 2
    cases: list[tuple[torch.Tensor, int | None]] = [(x2, None), (x2, 0), (x2, 1), (x3, 1), (x3, 0)]
    if ctx.strict:
        cases += answers("cross_entropy").softmax_cases(x2, x3, g)
    return [(x.to(ctx.device), dim) for x, dim in cases]


def _large_logit_problem(softmax: LossFn, x: torch.Tensor, dim: int) -> Finding | None:
    """UNSTABLE_NUMERICS: Value and gradient must stay finite and right for logits around ±1000."""
    xs = x.clone().requires_grad_()
    out = _call_softmax(softmax, xs, dim)
    if not isinstance(out, torch.Tensor):
        return None  # reported by the value checks
    bad = [i for i in range(x.shape[0]) if not torch.isfinite(out[i]).all()]
    rows = ", ".join(str(x[i].tolist()) for i in bad[:2]) if x.dim() == 2 else "±1000"
    if bad and len(bad) < x.shape[0] and torch.isfinite(out[0]).all():
        return Finding(Code.UNSTABLE_NUMERICS, f"`softmax` gives nan/inf for the row(s) {rows} "
                       "but not for the row holding the largest logit: one shift for the whole "
                       "tensor does not bring every slice near 0, so exp() of the others "
                       "underflows to 0 and 0/0 is nan.")
    if bad:
        return Finding(Code.UNSTABLE_NUMERICS, f"`softmax` gives nan/inf for logits like {rows}: "
                       "exp(1000) overflows to inf (and exp(-1000) underflows to 0), and inf/inf "
                       "or 0/0 is nan. Softmax of these logits is perfectly well defined.")
    if not close(out, torch.softmax(x, dim)):
        return Finding(Code.UNSTABLE_NUMERICS, "`softmax` gives wrong values for logits around "
                       "±1000 although it is right for small ones: large logits lose precision.")
    return _softmax_grad_problem(out, xs, dim, large=True)


def _softmax_grad_problem(out: torch.Tensor, xs: torch.Tensor, dim: int,
                          large: bool = False) -> Finding | None:
    """WRONG_VALUE: the gradient of a weighted sum of the output differs from torch.softmax's;
    UNSTABLE_NUMERICS: the same, for large logits (`large`)."""
    w = torch.linspace(-1.0, 2.0, out.numel(), device=xs.device).reshape(out.shape)
    got = student_grad(out * w, xs)
    if got is None:
        return detached_finding("softmax", "logits")
    ref_x = xs.detach().clone().requires_grad_()
    (want,) = torch.autograd.grad((torch.softmax(ref_x, dim) * w).sum(), ref_x)
    if large and not torch.isfinite(got).all():
        return Finding(Code.UNSTABLE_NUMERICS, "for logits around ±1000 the output of `softmax` "
                       "is right but its gradient holds nan/inf: an overflowing intermediate is "
                       "still differentiated.")
    if not close(got, want):
        code = Code.UNSTABLE_NUMERICS if large else Code.WRONG_VALUE
        return Finding(code, "`softmax` returns the right values but a different gradient than "
                       "autograd through softmax: part of the computation is hidden from "
                       "autograd, so a model using it would be trained in the wrong direction.")
    return None


def check_softmax(softmax: LossFn, ctx: Context) -> list[Finding]:
    """softmax(logits, dim=-1) equals torch.softmax along dim, stably and differentiably.

    Detects: dim ignored (output equals softmax along another dim), normalising over the whole
    tensor, values that sum to 1 but are not the softmax, a changed shape, modifying the input in
    place, an output cut from the graph or a wrong gradient (WRONG_VALUE); nan/inf or wrong
    values for logits like [1000, 1001, 1002] and [-1000, -1001, -1002], including one global
    max subtracted from every row (UNSTABLE_NUMERICS). Tested on 2-D dims 0/1 and 3-D dims 0/1.
    """
    for x, dim in _softmax_cases(ctx):
        finding = _softmax_value_problem(softmax, x, dim)
        if finding:
            return [finding]
    g = seeded_generator()
    x = (torch.randn(3, 5, generator=g) * 2).to(ctx.device).requires_grad_()
    out = softmax(x, dim=1)
    finding = _softmax_grad_problem(out, x, 1)
    large = [(torch.tensor(LARGE_LOGITS), 1)]
    if ctx.strict:
        large += answers("cross_entropy").large_logits(g)
    for logits, dim in large:
        finding = finding or _large_logit_problem(softmax, logits.to(ctx.device), dim)
    return [finding] if finding else []


# ------------------------------------------------------------------------------- cross_entropy

def _target_shape_problem(ce: LossFn, x: torch.Tensor, t: torch.Tensor,
                          seen: str) -> Finding | None:
    """TARGET_SHAPE: If the function gives the right loss for the same targets in another format,
    name it."""
    b, c = x.shape
    want = F.cross_entropy(x, t).float()
    formats = [(F.one_hot(t, c).float(), f"one-hot rows shaped ({b}, {c})"),
               (t.unsqueeze(1), f"a ({b}, 1) column")]
    for alt, label in formats:
        try:
            with torch.no_grad():
                out = ce(x.clone(), alt)
        except Exception:  # this format fails too: not the explanation
            continue
        if isinstance(out, torch.Tensor) and out.numel() == 1 and close(number(out), want):
            return Finding(Code.TARGET_SHAPE, f"with class-index targets shaped ({b},), the "
                           "format nn.CrossEntropyLoss and the course's DataLoaders use, "
                           f"`cross_entropy` {seen}, yet it gives the right loss when the same "
                           f"targets come as {label}: it assumes a different target format.")
    return None


def _ce_candidates(got: float, x: torch.Tensor, t: torch.Tensor) -> list[Candidate]:
    b, c = x.shape
    ref = F.cross_entropy(x, t)
    probs = torch.softmax(x, dim=1)
    wrong = Code.WRONG_VALUE
    twice = softmax_before_ce(f"`cross_entropy` returned {got:.4g}, which is cross-entropy "
                              "computed on softmax(logits)")
    return [
        (F.cross_entropy(probs, t), twice.code, twice.message),
        (ref * b, wrong, f"`cross_entropy` returned {got:.4g} for a batch of {b}, {b} times the "
         "per-sample average: the value scales with the batch size, so the step size would "
         "depend on how many samples a batch holds."),
        (ref / c, wrong, f"`cross_entropy` returned {got:.4g}, the average over all {b}×{c} "
         "(sample, class) entries: dividing by the classes as well shrinks the loss and its "
         f"gradient {c}-fold."),
        (F.nll_loss(F.log_softmax(x, dim=0), t), wrong, f"`cross_entropy` returned {got:.4g}: "
         "the logits are normalised over the batch dimension (dim 0) instead of over each "
         "sample's classes."),
        (-F.log_softmax(x, dim=1)[:, t].mean(), wrong, f"`cross_entropy` returned {got:.4g}, "
         f"the mean of a {b}×{b} block of log-probabilities: every sample's row was indexed "
         f"with all {b} targets of the batch (`[:, targets]` picks columns for every row), not "
         "with its own target only, so each sample is scored against the other samples' "
         "classes too."),
        (-ref, wrong, f"`cross_entropy` returned {got:.4g}, a negative number: minimising it "
         "would make the target classes less likely."),
        (F.nll_loss(x, t), wrong, f"`cross_entropy` returned {got:.4g}, minus the mean logit of "
         "the target classes: the logits were never turned into log-probabilities, so the loss "
         "can decrease forever by inflating one logit."),
        (F.nll_loss(probs, t), wrong, f"`cross_entropy` returned {got:.4g}, minus the mean "
         "probability of the target classes: probabilities are used where log-probabilities "
         "belong."),
    ]


def _ce_case_problem(ce: LossFn, x: torch.Tensor, t: torch.Tensor) -> Finding | None:
    """Value and gradient on one batch; a failure is first tested for a target-format cause."""
    want_value, want_grad = reference(F.cross_entropy, x, t)
    try:
        xs, out = call_on_copy(ce, x, t)
    except Exception as exc:
        finding = _target_shape_problem(ce, x, t, f"raised {type(exc).__name__}")
        if finding:
            return finding
        raise
    if form := loss_form_problem("cross_entropy", out):
        return form
    got = number(out)
    if close(got, want_value):
        return grad_problem("cross_entropy", out, xs, want_grad, "logits")
    fallback = (f"`cross_entropy` returned {got.item():.4g} for logits shaped {tuple(x.shape)} "
                "and class-index targets, which is not their mean cross-entropy.")
    return (_target_shape_problem(ce, x, t, f"returned {got.item():.4g}")
            or explain(got, _ce_candidates(got.item(), x, t), fallback))


def check_cross_entropy(ce: LossFn, ctx: Context) -> list[Finding]:
    """cross_entropy(logits (B, C), targets (B,) long) equals nn.CrossEntropyLoss()(...).

    Detects (a wrong value is matched against each misconception's formula): softmax applied
    before a loss that applies log-softmax (SOFTMAX_BEFORE_CE); sum instead of mean, averaging
    over B×C entries, normalising over the batch dim, sign error, logits or probabilities used
    as log-probabilities, a detached or float result, a wrong gradient (WRONG_VALUE); no
    reduction (WRONG_OUTPUT_SHAPE); class-index targets failing where one-hot (B, C) or (B, 1)
    targets work (TARGET_SHAPE: B != C, so one-hot code cannot silently broadcast); nan/inf or a
    capped value or gradient at logits of ±1000 (UNSTABLE_NUMERICS).
    """
    g = seeded_generator()
    shapes = [(5, 4)] + (answers("cross_entropy").CE_SHAPES if ctx.strict else [])
    for b, c in shapes:
        x = (torch.randn(b, c, generator=g) * 2).to(ctx.device)
        t = torch.randint(0, c, (b,), generator=g).to(ctx.device)
        finding = _ce_case_problem(ce, x, t)
        if finding:
            return [finding]
    x, t = torch.tensor(LARGE_CE_LOGITS), torch.tensor(LARGE_CE_TARGETS)
    finding = stability_problem("cross_entropy", ce, F.cross_entropy, x.to(ctx.device),
                                t.to(ctx.device))
    return [finding] if finding else []


# --------------------------------------------------------------------------- cross_entropy_grad

def _grad_form_problem(out: Any, x: torch.Tensor) -> Finding | None:
    """WRONG_VALUE: not a tensor; WRONG_OUTPUT_SHAPE: not one entry per logit."""
    if not isinstance(out, torch.Tensor):
        return Finding(Code.WRONG_VALUE, f"`cross_entropy_grad` returned a {type(out).__name__}, "
                       "not a tensor.")
    if out.shape == x.shape:
        return None
    b, c = x.shape
    why = {(): "a single number, the size of a loss, not of its gradient",
           (c,): "one value per class: the samples of the batch were reduced away",
           (b,): "one value per sample: the classes were reduced away"}.get(
               tuple(out.shape), "a different layout")
    return Finding(Code.WRONG_OUTPUT_SHAPE, f"`cross_entropy_grad` returned shape "
                   f"{tuple(out.shape)} for logits shaped {tuple(x.shape)}, {why}. The gradient "
                   "with respect to the logits holds one entry per logit, so it has their shape: "
                   "an optimizer subtracts it from them entry by entry.")


def _grad_candidates(x: torch.Tensor, t: torch.Tensor, want: torch.Tensor) -> list[Candidate]:
    """Each slip as what it does to autograd's gradient `want` of the mean cross-entropy."""
    b, c = x.shape
    one_hot = F.one_hot(t, c).to(want.dtype)
    wrong, got = Code.WRONG_VALUE, "the gradient `cross_entropy_grad` returned"
    return [
        (want * b, wrong, f"{got} is {b} times autograd's for a batch of {b}: it is the gradient "
         "of the summed loss, not of the mean over the batch that nn.CrossEntropyLoss returns, "
         "so the size of every step would grow with the batch."),
        (-want, wrong, f"{got} is autograd's with every sign flipped: its entry at each target "
         "class is positive, so a gradient-descent step would make the target classes less "
         "likely."),
        (-want * b, wrong, f"{got} is autograd's with every sign flipped and {b} times larger for "
         f"a batch of {b}: a step would make the target classes less likely, and its size would "
         "grow with the batch."),
        (want + one_hot / b, wrong, f"every entry of {got} is positive and each row sums to 1/B "
         f"(here {1 / b:.3g}) instead of 0: the target class is pushed down like the other "
         "classes instead of being pulled up. The derivative of the -z_t term of the loss is "
         "missing."),
        (want * b + one_hot, wrong, f"each row of {got} is positive and sums to 1: these are "
         "probabilities, not yet the gradient of the mean loss. The derivative of the -z_t term "
         "is missing (the target class is never pulled up), and so is the mean's factor 1/B."),
        (want + (torch.softmax(x, 0) - torch.softmax(x, 1)) / b, wrong, f"the probabilities "
         f"inside {got} sum to 1 down each column, over the samples of the batch (dim 0), not "
         "along each row over one sample's classes: the softmax is taken over the wrong "
         "dimension, so each sample's gradient depends on the other samples."),
        (want / c, wrong, f"{got} is {c} times smaller than autograd's for {c} classes: it is "
         "divided by B×C, the number of entries, where the mean over the batch divides by B "
         "only."),
    ]


def _grad_mismatch(got: torch.Tensor, x: torch.Tensor, t: torch.Tensor,
                   want: torch.Tensor) -> Finding:
    """WRONG_VALUE: a gradient that differs from autograd's, explained by a slip if one fits."""
    diff = (got - want.float()).abs().max().item()
    sums = got.sum(dim=1)
    rows = ("" if close(sums, torch.zeros_like(sums)) else
            f" Its rows sum to between {sums.min().item():.3g} and {sums.max().item():.3g}, where "
            "the rows of this gradient always sum to 0.")
    fallback = (f"`cross_entropy_grad` returned values for logits shaped {tuple(x.shape)} that "
                f"differ from autograd's gradient of the mean cross-entropy by up to {diff:.3g}."
                + rows)
    return explain(got, _grad_candidates(x, t, want), fallback)


def _grad_target_problem(fn: LossFn, x: torch.Tensor, t: torch.Tensor, want: torch.Tensor,
                         seen: str) -> Finding | None:
    """TARGET_SHAPE: the right gradient when the same targets come as one-hot rows."""
    b, c = x.shape
    try:
        out = fn(x.clone(), F.one_hot(t, c).float())
    except Exception:  # this format fails too: not the explanation
        return None
    if isinstance(out, torch.Tensor) and close(out, want):
        return Finding(Code.TARGET_SHAPE, f"with class-index targets shaped ({b},), the format "
                       "nn.CrossEntropyLoss and the course's DataLoaders use, "
                       f"`cross_entropy_grad` {seen}, yet it returns the right gradient when the "
                       f"same targets come as one-hot rows shaped ({b}, {c}): it assumes one-hot "
                       "targets.")
    return None


def _grad_case_problem(fn: LossFn, x: torch.Tensor, t: torch.Tensor) -> Finding | None:
    """WRONG_VALUE: the logits changed in place; else the form of the result, then its values
    against autograd (a failure is first tested for a target-format cause)."""
    want = reference(F.cross_entropy, x, t)[1]
    arg = x.clone()
    try:
        out = fn(arg, t.clone())
    except Exception as exc:
        finding = _grad_target_problem(fn, x, t, want, f"raised {type(exc).__name__}")
        if finding:
            return finding
        raise
    if not torch.equal(arg, x):
        return Finding(Code.WRONG_VALUE, "`cross_entropy_grad` changed the logits it was given "
                       "(an in-place operation such as -= on them): the caller's logits are "
                       "overwritten.")
    form = _grad_form_problem(out, x)
    if form is not None:
        return form
    if close(out, want):
        return None
    return (_grad_target_problem(fn, x, t, want, "returns another gradient")
            or _grad_mismatch(out.detach().float(), x, t, want))


def _grad_stability_problem(fn: LossFn, x: torch.Tensor, t: torch.Tensor) -> Finding | None:
    """UNSTABLE_NUMERICS: logits of ±1000 must give autograd's finite gradient."""
    want = reference(F.cross_entropy, x, t)[1]
    out = fn(x.clone(), t.clone())
    if _grad_form_problem(out, x) or close(out, want):
        return None  # a form problem is reported on the small logits
    got = out.detach().float()
    seen = "with logits of ±1000 (a confident model) `cross_entropy_grad`"
    if not torch.isfinite(got).all():
        bad = [i for i in range(len(x)) if not torch.isfinite(got[i]).all()]
        rows = ", ".join(str(x[i].tolist()) for i in bad[:2])
        return Finding(Code.UNSTABLE_NUMERICS, f"{seen} returns nan/inf in the rows for logits "
                       f"{rows}: exp(1000) overflows to inf and inf/inf is nan, although the "
                       "gradient is perfectly well defined there.")
    return Finding(Code.UNSTABLE_NUMERICS, f"{seen} returns finite but wrong values although it "
                   "is right for small logits: large logits lose precision (an eps, a clamp or "
                   "a rounding) where the probabilities should be computed from shifted logits.")


def check_cross_entropy_grad(fn: LossFn, ctx: Context) -> list[Finding]:
    """cross_entropy_grad(logits (B, C), targets (B,) long) equals autograd's d/dlogits of
    F.cross_entropy(logits, targets) (the mean over the batch).

    Detects (a wrong value is matched against what each slip does to the right gradient): no
    division by B, the sign flipped, both, the one-hot term missing (with or without 1/B),
    softmax over the batch dimension, division by B×C, the logits changed in place, a result
    that is not a tensor (WRONG_VALUE); a result of another shape than the logits
    (WRONG_OUTPUT_SHAPE); class-index targets failing or wrong where one-hot rows give the right
    gradient (TARGET_SHAPE); nan/inf or wrong values at logits of ±1000 (UNSTABLE_NUMERICS).
    """
    g = seeded_generator(1)
    hidden = answers("cross_entropy") if ctx.strict else None
    shapes = [(5, 4)] + (hidden.GRAD_SHAPES if hidden else [])
    for b, c in shapes:
        x = (torch.randn(b, c, generator=g) * 2).to(ctx.device)
        t = torch.randint(0, c, (b,), generator=g).to(ctx.device)
        finding = _grad_case_problem(fn, x, t)
        if finding:
            return [finding]
    large = [(torch.tensor(LARGE_CE_LOGITS), torch.tensor(LARGE_CE_TARGETS))]
    if hidden:
        large += hidden.grad_large_logits(g)
    for x, t in large:
        finding = _grad_stability_problem(fn, x.to(ctx.device), t.to(ctx.device))
        if finding:
            return [finding]
    return []


TASKS: list[Task] = [
    Task(
        id="cross_entropy.softmax", name="softmax", points=3,
        check=calls.from_the_formula(check_softmax, calls.SOFTMAX, "softmax", (
            "a softmax written from its formula (exponentials over their sum along `dim`), "
            "not torch's")),
        hint="Softmax does not change when the same number is subtracted from every logit of a "
             "slice: choose one that keeps exp() from overflowing, and do every reduction along "
             "`dim` so the result still lines up with the input.",
        catches=(Code.WRONG_VALUE, Code.UNSTABLE_NUMERICS, Code.BUILTIN_USED),
    ),
    Task(
        id="cross_entropy.cross_entropy", name="cross_entropy", points=4,
        check=calls.from_the_formula(check_cross_entropy, calls.CROSS_ENTROPY, "cross_entropy", (
            "cross-entropy written by hand from the logits (log-probabilities computed in log "
            "space; building blocks such as `torch.logsumexp` are fine)")),
        hint="Cross-entropy takes raw logits and one class index per sample: it needs the "
             "log-probability of each sample's target class, computed stably from the logits, "
             "averaged over the batch.",
        catches=(Code.SOFTMAX_BEFORE_CE, Code.WRONG_VALUE, Code.WRONG_OUTPUT_SHAPE,
                 Code.TARGET_SHAPE, Code.UNSTABLE_NUMERICS, Code.BUILTIN_USED),
    ),
    Task(
        id="cross_entropy.cross_entropy_grad", name="cross_entropy_grad", points=3,
        check=calls.from_the_formula(check_cross_entropy_grad, calls.AUTOGRAD,
                                     "cross_entropy_grad", (
            "the gradient worked out by hand from the loss's formula, not computed by "
            "autograd")),
        hint="Differentiate one sample's loss, -z_t + log(sum_j exp(z_j)), one term at a time "
             "with respect to a logit z_i; then ask how much one sample's loss counts in the "
             "mean over the batch. Compare with autograd's `.grad` on a batch of two to see "
             "which part is off.",
        catches=(Code.WRONG_VALUE, Code.WRONG_OUTPUT_SHAPE, Code.TARGET_SHAPE,
                 Code.UNSTABLE_NUMERICS, Code.BUILTIN_USED),
    ),
]
