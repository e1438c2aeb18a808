"""Checks for notebook 01 (nn.Module): SimpleCNN, LeNet, count_parameters, conv_output_size,
sgd_step."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parameter import is_lazy

from grader.checks import models, shapes
from grader.checks.calls import builtin_used
from grader.checks.shapes import BatchRun
from grader.checks.updates import UpdateWatch
from grader.checks.values import as_int, equal, first_matching
from grader.core import expected
from grader.core.expected import answers
from grader.core.findings import Code, Finding
from grader.core.runner import finding_for_exception, student_location
from grader.core.task import Context, Task

# --------------------------------------------------------------------------- the described models


@dataclass(frozen=True)
class _Spec:
    task: str  # task id
    name: str  # the student's class name
    image_size: int  # inputs are (B, 1, image_size, image_size)


_SIMPLE_CNN = _Spec("nn_module.SimpleCNN", "SimpleCNN", 28)
_LENET = _Spec("nn_module.LeNet", "LeNet", 32)

_BATCHES = (1, 3)  # visible: a single sample and a small odd batch


def _images(batch: int, size: int, device: str, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 1, size, size, generator=gen).to(device)


def _forward(model: nn.Module, batch: int, spec: _Spec, device: str) -> BatchRun:
    """One forward pass on a (batch, 1, H, W) input, any exception of the student's recorded."""
    return shapes.run_batch(model, _images(batch, spec.image_size, device), errors=(Exception,))


def _describe(trace: BatchRun) -> tuple[str, str, str]:
    """(kind, observation, why it matters) for one forward pass; kind "ok" when it gave (B, 10)."""
    b = trace.batch
    for shape, in_features in trace.linear_inputs:
        if len(shape) < 2 or shape[0] != b:
            return ("folded", f"the input of nn.Linear had shape {shape}",
                    "the batch dimension was merged into the features or fixed to a constant, "
                    "so the model only works for some batch sizes; flatten each sample, "
                    "not the whole batch")
        if len(shape) > 2:
            out = trace.output
            returned = f" and the model returned shape {tuple(out.shape)}" \
                if isinstance(out, torch.Tensor) else ""
            return ("unflattened", f"the input of nn.Linear had shape {shape}{returned}",
                    "nn.Linear only mixes the last dimension, so each sample's feature maps "
                    "have to become one flat vector before it")
        if shape[-1] != in_features:
            return ("features", f"the input of nn.Linear had {shape[-1]} features per sample "
                    f"(shape {shape}), not the number that layer was built for",
                    "the spatial size after the convolutions and poolings differs from the "
                    "one the layer assumes; work it out layer by layer with conv_output_size")
    if trace.error is not None:
        exc = trace.error
        text = (str(exc).splitlines() or [""])[0][:200]
        return "error", f"it raised {type(exc).__name__}: {text}{student_location(exc)}", ""
    out = trace.output
    if not isinstance(out, torch.Tensor):
        return "shape", f"it returned a {type(out).__name__}", "a model returns a tensor of scores"
    if tuple(out.shape) != (b, 10):
        return ("shape", f"it returned a tensor of shape {tuple(out.shape)}",
                "the output must hold one row of 10 class scores per sample")
    return "ok", "", ""


def _shape_findings(model: nn.Module, spec: _Spec, ctx: Context, *,
                   crash: bool = True) -> list[Finding]:
    """HARDCODED_BATCH_SIZE: a batch size fails while another gives (B, 10), or a Linear's input
    lost the batch dimension; WRONG_OUTPUT_SHAPE: a wrong but consistent output shape, or feature
    maps reaching a Linear unflattened or with another number of features.

    A model that runs at no batch size tried (not even a common hard-coded one such as 64) has
    crashed: the crash is the finding (or none with crash=False, when the caller explains it).
    """
    sizes = answers("nn_module").BATCHES if ctx.strict else _BATCHES
    report = shapes.probe(model, lambda b: _images(b, spec.image_size, ctx.device), sizes,
                          expected=lambda b: (b, 10), errors=(Exception,))
    described = [(t, *_describe(t)) for t in report.runs]
    bad = [d for d in described if d[1] != "ok"]
    if not bad:
        return []
    good = [t.batch for t, kind, _, _ in described if kind == "ok"]
    trace, kind, seen, why = next((d for d in bad if d[1] == "folded"), bad[0])
    name, b = spec.name, trace.batch
    if kind == "folded":
        return [Finding(Code.HARDCODED_BATCH_SIZE, f"`{name}`: with a batch of {b}, {seen}: "
                        f"{why}.")]
    if good:
        why = f" ({why})" if why else ""
        return [Finding(Code.HARDCODED_BATCH_SIZE, f"`{name}` gives 10 scores per sample for a "
                        f"batch of {good[0]}, but with a batch of {b} {seen}{why}. A model must "
                        "work for any batch size, e.g. the smaller last batch of an epoch.")]
    if kind == "error":
        working = shapes.first_working(
            model, lambda n: _images(n, spec.image_size, ctx.device),
            lambda run: _describe(run)[0] == "ok", errors=(Exception,))
        if working is None:  # an ordinary crash, reported as the runner reports one
            return [finding_for_exception(trace.error, name)] if crash else []
        return [Finding(Code.HARDCODED_BATCH_SIZE, f"`{name}` only worked for a batch of "
                        f"{working}: with a batch of {b} {seen}. The batch size is fixed "
                        "somewhere in the model; it must work for any batch size.")]
    return [Finding(Code.WRONG_OUTPUT_SHAPE, f"`{name}`: with a batch of {b}, {seen}: {why}.")]


# --------------------------------------------------------------------------- architecture, values


def _shapes(params: list[torch.Tensor]) -> list[tuple[int, ...]]:
    return sorted(tuple(p.shape) for p in params)


def _layers(model: nn.Module) -> dict[str, Any]:
    """What the architecture check compares: the parameter count and the sorted shapes."""
    return {"count": sum(p.numel() for p in model.parameters()),
            "shapes": _shapes(list(model.parameters()))}


def _architecture_finding(model: nn.Module, layers: dict[str, Any],
                          name: str) -> Finding | None:
    """WRONG_PARAMETER_COUNT: trainable parameters (count and shapes) differ from the described
    model's (`layers`, from _layers)."""
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    count = sum(p.numel() for _, p in trainable)
    wanted = [tuple(shape) for shape in layers["shapes"]]
    same_shapes = _shapes(list(model.parameters())) == wanted
    if count == layers["count"] and same_shapes:
        return None
    shown = ", ".join(f"{n} {tuple(p.shape)}" for n, p in trainable[:12])
    shown += ", …" if len(trainable) > 12 else ""
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    if frozen and same_shapes:
        return Finding(Code.WRONG_PARAMETER_COUNT, f"`{name}()` has the layers described above, "
                       f"but {frozen:,} of its parameters are frozen (requires_grad=False): "
                       "the optimizer would never update them. Here every layer is trained.")
    frozen_text = f" (plus {frozen:,} frozen)" if frozen else ""
    return Finding(Code.WRONG_PARAMETER_COUNT, f"`{name}()` has {count:,} trainable parameters"
                   f"{frozen_text} in tensors of shape {shown or 'none'}, which does not match "
                   "the architecture described above: compare each layer's channels, kernel size "
                   "and features with the description.")


def _seeded_weights(shapes: list[tuple[int, ...]]) -> dict[tuple[int, ...], torch.Tensor]:
    """Fixed weights for every parameter shape of the described model (unique in both nets),
    scaled like nn.Linear's and nn.Conv2d's own initialisation: uniform in ±1/sqrt(fan_in)."""
    gen = torch.Generator().manual_seed(1)
    weights = {}
    for shape in sorted(set(shapes)):
        fan_in = math.prod(shape[1:]) if len(shape) > 1 else shape[0]
        bound = 1 / math.sqrt(fan_in)
        weights[shape] = (torch.rand(shape, generator=gen) * 2 - 1) * bound
    return weights


def _copy_weights(model: nn.Module, weights: dict[tuple[int, ...], torch.Tensor]) -> None:
    """Give a model the fixed weights, matched by shape."""
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(weights[tuple(param.shape)])


def _reference_logits(spec: _Spec, images: torch.Tensor) -> torch.Tensor:
    """The described model's logits for the images, with the fixed weights (instructor only)."""
    model = getattr(answers("nn_module"), spec.name)().to(images.device).eval()
    _copy_weights(model, _seeded_weights(_shapes(list(model.parameters()))))
    with torch.no_grad():
        return model(images)


def _centre(logits: torch.Tensor) -> torch.Tensor:
    # Logits are defined up to a per-row constant: softmax, cross-entropy and argmax ignore it,
    # so log_softmax(logits) (= logits - logsumexp) is accepted as logits.
    return logits - logits.mean(dim=1, keepdim=True)


_ACTIVATIONS: tuple[tuple[str, Callable[[torch.Tensor], torch.Tensor], str], ...] = (
    ("softmax", lambda t: t.softmax(dim=1), "every row sums to 1"),
    ("sigmoid", torch.sigmoid, "every value lies between 0 and 1"),
    ("ReLU", F.relu, "no value is negative"),
    ("tanh", torch.tanh, "every value lies between -1 and 1"),
)


def _activation_finding(name: str, got: torch.Tensor, want: torch.Tensor | None,
                        slack: float = 1.0) -> Finding | None:
    """ACTIVATION_ON_OUTPUT: outputs equal an activation of the reference logits (or look so).

    `want` is None when the model's layers differ, so no fixed weights could be copied in.
    """
    guess = models.output_activation(got) if want is None else None
    for act, fn, seen in _ACTIVATIONS:
        if act == guess or want is not None and torch.allclose(
                got, fn(want), rtol=1e-4 * slack, atol=1e-5 * slack):
            return Finding(Code.ACTIVATION_ON_OUTPUT, f"`{name}` ends with a {act}: {seen} in "
                           "its output. The model should return raw scores (logits); the loss "
                           "(nn.CrossEntropyLoss) applies log-softmax itself, and an extra "
                           "activation squashes the scores and slows or stalls learning.")
    return None


def _value_images(spec: _Spec, ctx: Context) -> torch.Tensor:
    return _images(16 if ctx.strict else 4, spec.image_size, ctx.device, seed=1)


def _value_findings(model: nn.Module, layers: dict[str, Any], want: torch.Tensor, spec: _Spec,
                    ctx: Context) -> list[Finding]:
    """WRONG_VALUE: given the same fixed weights as the described model, the logits differ from
    its logits `want` (an activation on the output is named instead, through
    _activation_finding)."""
    _copy_weights(model, _seeded_weights([tuple(s) for s in layers["shapes"]]))
    with torch.no_grad():
        got = model(_value_images(spec, ctx)).float()
    want = want.to(got.device)
    slack = expected.slack(ctx.device)
    if torch.allclose(_centre(got), _centre(want), rtol=1e-4 * slack, atol=1e-5 * slack):
        return []
    finding = _activation_finding(spec.name, got, want, slack)
    if finding is not None:
        return [finding]
    diff = (_centre(got) - _centre(want)).abs().max().item()
    return [Finding(Code.WRONG_VALUE, f"`{spec.name}` has the right layers, but given the same "
                    f"weights as the architecture described above its outputs differ from it by "
                    f"up to {diff:.3g} on the same images: check the operations between the "
                    "layers (which activation, where, and which kind of pooling).")]


def _mismatch_extras(model: nn.Module, spec: _Spec, ctx: Context) -> list[Finding]:
    """Shape and activation findings for a model whose layers differ (so no weights to copy)."""
    findings = _shape_findings(model, spec, ctx, crash=False)  # the layers explain a crash
    if findings:
        return findings
    out = _forward(model, 8, spec, ctx.device).output
    if not isinstance(out, torch.Tensor) or out.dim() != 2:
        return []
    found = _activation_finding(spec.name, out.float(), None)
    return [found] if found else []


def _check_model(cls: Any, ctx: Context, spec: _Spec) -> list[Finding]:
    """SUBMISSION_ERROR: not a class that builds an nn.Module. Then the architecture, the shapes
    over batch sizes and the values, each through its own detector."""
    if isinstance(cls, nn.Module):  # SUBMISSION_ERROR: an instance, not the class
        return [models.not_a_module(f"`{spec.name}`", cls)]
    layers = expected.expected(spec.task, "layers", lambda: _layers(
        getattr(answers("nn_module"), spec.name)()))
    want = expected.expected(spec.task, f"logits{len(_value_images(spec, ctx))}",
                             lambda: _reference_logits(spec, _value_images(spec, ctx)))
    torch.manual_seed(0)
    model = cls()
    if not isinstance(model, nn.Module):  # SUBMISSION_ERROR: the class builds something else
        return [models.not_a_module(f"`{spec.name}()`", model)]
    model.to(ctx.device).eval()  # eval: Dropout (no parameters) is then the identity
    if any(is_lazy(p) for p in model.parameters()):
        _forward(model, 2, spec, ctx.device)  # lazy layers get their shapes on the first call
    architecture = _architecture_finding(model, layers, spec.name)
    if architecture is not None:
        return [architecture, *_mismatch_extras(model, spec, ctx)]
    images = _images(8, spec.image_size, ctx.device, seed=2)
    return (_shape_findings(model, spec, ctx)
            or models.random_in_eval(model, images, f"`{spec.name}`", "images")
            or _value_findings(model, layers, want, spec, ctx))


def check_simple_cnn(cls: Any, ctx: Context) -> list[Finding]:
    """SimpleCNN: (B, 1, 28, 28) -> logits (B, 10); conv 1→8 k3 p1, ReLU, max-pool 2, Linear.

    WRONG_PARAMETER_COUNT  trainable parameter count or shapes differ from the described layers.
    HARDCODED_BATCH_SIZE   right output at one batch size but not another (1, 3; strict 1..17),
                           a Linear input whose first dimension is not the batch, or a model that
                           only runs at a common size such as 64.
    WRONG_OUTPUT_SHAPE     output not (B, 10) at every size, or feature maps reach the Linear
                           unflattened / with a different feature count.
    ACTIVATION_ON_OUTPUT   with the reference weights copied in (matched by shape), the outputs
                           equal softmax/sigmoid/ReLU/tanh of the reference logits.
    RANDOM_IN_EVAL         in eval mode, two passes over the same images differ (F.dropout not
                           told the model's mode).
    WRONG_VALUE            same weights, different logits (e.g. avg-pool, missing ReLU).
    Logits are compared up to a per-row constant, so log_softmax outputs pass; the model is
    evaluated in eval mode, so a Dropout layer (no parameters) is accepted.
    """
    return _check_model(cls, ctx, _SIMPLE_CNN)


def check_lenet(cls: Any, ctx: Context) -> list[Finding]:
    """LeNet: (B, 1, 32, 32) -> logits (B, 10), the PyTorch tutorial's network.

    Same checks and findings as check_simple_cnn, against the LeNet reference (61,706 weights):
    WRONG_PARAMETER_COUNT, HARDCODED_BATCH_SIZE, WRONG_OUTPUT_SHAPE, ACTIVATION_ON_OUTPUT,
    RANDOM_IN_EVAL, WRONG_VALUE (e.g. a missing ReLU between the Linear layers, average pooling).
    """
    return _check_model(cls, ctx, _LENET)


# --------------------------------------------------------------------------- count_parameters


def _count_cases(strict: bool) -> list[tuple[str, nn.Module]]:
    frozen = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    frozen[0].requires_grad_(False)  # a frozen "backbone"
    cases = [
        ("nn.Linear(3, 4)", nn.Linear(3, 4)),
        ("a Sequential whose first Linear is frozen", frozen),
        ("a Sequential with a BatchNorm1d", nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))),
    ]
    return cases + (answers("nn_module").count_cases() if strict else [])


def _count_slips(models: list[nn.Module], wanted: list[int]) -> list[tuple[str, list[int]]]:
    """What common wrong versions of count_parameters would return for each model (`wanted`:
    the right counts)."""
    def numel(tensors: Any) -> int:
        return sum(t.numel() for t in tensors)

    tensors = "that is the number of parameter tensors, not of the values they hold"
    buffers = "buffers such as BatchNorm's running statistics were counted too, but training " \
              "does not update them"
    return [
        ("the frozen parameters (requires_grad=False) were counted too",
         [numel(m.parameters()) for m in models]),
        (tensors, [len([p for p in m.parameters() if p.requires_grad]) for m in models]),
        (tensors, [len(list(m.parameters())) for m in models]),
        (buffers, [w + numel(m.buffers()) for m, w in zip(models, wanted, strict=True)]),
        ("model.state_dict() holds frozen parameters and buffers (such as BatchNorm's running "
         "statistics) too, and training updates neither", [numel(m.state_dict().values())
                                                          for m in models]),
    ]


def check_count_parameters(fn: Any, ctx: Context) -> list[Finding]:
    """WRONG_VALUE: count_parameters(model) does not return the number of trainable
    (requires_grad) parameter values.

    Checked on Linear, partly frozen, BatchNorm (buffers) and, strict, parameter-free and
    CNN models; the slip that reproduces every result is named: frozen parameters
    counted, tensors counted instead of values, buffers / state_dict counted. A
    non-integer result (float, float tensor) is also WRONG_VALUE; numpy/torch
    integers are accepted.
    """
    cases = _count_cases(ctx.strict)
    wanted = [expected.expected("nn_module.count_parameters", desc,
                                lambda m=model: answers("nn_module").count_parameters(m))
              for desc, model in cases]
    observed = [fn(model) for _, model in cases]
    for (desc, _), got, want in zip(cases, observed, wanted, strict=True):
        value = as_int(got)
        if value is None:
            return [Finding(Code.WRONG_VALUE, f"count_parameters({desc}) returned {got!r} "
                            f"({type(got).__name__}); a number of parameters is a whole number, "
                            "so it should be an int.")]
        if value != want:
            why = first_matching(observed, _count_slips([m for _, m in cases], wanted))
            return [Finding(Code.WRONG_VALUE, f"count_parameters({desc}) returned {value:,}{why}. "
                            "Only parameters that training updates count, each with as many "
                            "values as it holds.")]
    return []


# --------------------------------------------------------------------------- conv_output_size

_CONV_CASES = ((28, 3, 1, 1), (28, 5), (32, 5, 1, 0), (28, 2, 2, 0), (8, 3, 2, 1), (7, 3, 2, 0))
_NO_FIT = "a window that does not fit completely produces no output"
Sizes = tuple[int, int, int, int]  # size, kernel_size, stride, padding
# Common slips, each as (what went wrong, the arguments at which the right formula gives what
# the slip gives): padding counted once is the size at (size - p, k, s, p); rounding up is
# rounding down at size + s - 1.
_CONV_SLIPS: tuple[tuple[str, Callable[[int, int, int, int], Sizes]], ...] = (
    ("the padding was added on one side only", lambda n, k, s, p: (n - p, k, s, p)),
    ("the padding was left out", lambda n, k, s, p: (n, k, s, 0)),
    (f"it was rounded up, but {_NO_FIT}", lambda n, k, s, p: (n + s - 1, k, s, p)),
)


def _full(args: tuple[int, ...]) -> Sizes:
    size, k, s, p = (*args, 1, 0) if len(args) == 2 else args
    return size, k, s, p


def _conv_sizes(cases: tuple[tuple[int, ...], ...]) -> dict[Sizes, int]:
    """The right output size at each case and at the arguments of every slip."""
    needed = {_full(a) for a in cases} | {slip(*_full(a)) for a in cases for _, slip in
                                          _CONV_SLIPS}
    return {args: expected.expected("nn_module.conv_output_size", ",".join(map(str, args)),
                                    lambda a=args: answers("nn_module").conv_output_size(*a))
            for args in sorted(needed)}


def _conv_slip(observed: list[Any], cases: tuple[tuple[int, ...], ...],
               sizes: dict[Sizes, int]) -> str:
    """'; <why>' for the slip that reproduces every observed result, else ''."""
    right = [sizes[_full(a)] for a in cases]
    slips = [(why, [sizes[slip(*_full(a))] for a in cases]) for why, slip in _CONV_SLIPS]
    slips.append(("it is one short: the window's first position counts too",
                  [w - 1 for w in right]))
    # Not rounded down: every result is a number just above (or at) the right size.
    unrounded = [g if isinstance(g, float) and math.floor(g) == w else math.nan
                 for g, w in zip(observed, right, strict=True)]
    slips.append((f"it was not rounded down: {_NO_FIT}", unrounded))
    return first_matching(observed, slips)


def check_conv_output_size(fn: Any, ctx: Context) -> list[Finding]:
    """WRONG_VALUE: conv_output_size(size, kernel_size, stride=1, padding=0) is not the number
    of positions the window takes across the input padded on both sides.

    Checked on padded, strided and non-dividing cases (plus the two defaults); the slip that
    reproduces every result is named: padding added once or left out, a missing +1,
    rounding up or not rounding (fractions); a float result is WRONG_VALUE even when
    it is whole (sizes are ints).
    """
    cases = _CONV_CASES + (answers("nn_module").CONV_CASES if ctx.strict else ())
    sizes = _conv_sizes(cases)
    observed = [fn(*args) for args in cases]
    for args, got in zip(cases, observed, strict=True):
        wanted = sizes[_full(args)]
        value = as_int(got)
        call = f"conv_output_size({', '.join(map(str, args))})"
        if value is None and equal(got, wanted):
            return [Finding(Code.WRONG_VALUE, f"{call} returned {got!r}, a {type(got).__name__}: "
                            "a size is a whole number of pixels, so it should be an int.")]
        if value != wanted:
            return [Finding(Code.WRONG_VALUE, f"{call} returned {got!r}"
                            f"{_conv_slip(observed, cases, sizes)}.")]
    return []


# --------------------------------------------------------------------------- sgd_step

StepCase = tuple[str, nn.Module, tuple[int, ...], float]  # about, model, input shape, lr


def _step_cases(strict: bool) -> list[StepCase]:
    """Models sgd_step is tried on, with the shape of their input batch and a learning rate."""
    frozen = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    frozen[0].requires_grad_(False)  # a frozen "backbone": its parameters get no gradient
    cases = [
        ("a two-layer MLP", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), (5, 4),
         0.1),
        ("an MLP whose first layer is frozen", frozen, (5, 4), 0.5),
    ]
    return cases + (answers("nn_module").sgd_cases() if strict else [])


def _backward(model: nn.Module, shape: tuple[int, ...], device: str) -> None:
    """Fill the model's gradients with those of a cross-entropy on a fixed random batch."""
    gen = torch.Generator().manual_seed(2)
    out = model(torch.randn(shape, generator=gen).to(device))
    targets = torch.randint(out.shape[1], (out.shape[0],), generator=gen).to(device)
    F.cross_entropy(out, targets).backward()


def _sgd_reference(model: nn.Module, lr: float) -> list[torch.Tensor]:
    """The parameters after torch.optim.SGD's step with the model's gradients, on a copy."""
    twin = copy.deepcopy(model)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        q.grad = None if p.grad is None else p.grad.detach().clone()
    torch.optim.SGD(twin.parameters(), lr=lr).step()
    return [q.detach() for q in twin.parameters()]


_LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation"


def _crash_finding(exc: Exception, call: str, watch: UpdateWatch, params: list[torch.Tensor],
                   grads: list[torch.Tensor | None]) -> Finding | None:
    """NO_GRAD_MISSING: torch refused to change a parameter in place while autograd recorded;
    ZERO_GRAD_AFTER_BACKWARD: the gradients were set to None before the update read them, which
    then failed on None; SUBMISSION_ERROR: it failed on a parameter that has no gradient (frozen,
    or not used by the loss). None for any other exception (the runner reports it)."""
    text = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200].rstrip('.')}"
    raised = f"{call} raised {text}{student_location(exc)}"
    if isinstance(exc, RuntimeError) and _LEAF_IN_PLACE in str(exc):
        return Finding(Code.NO_GRAD_MISSING, f"{raised}. The update changed a parameter in place "
                       "while autograd was recording: a parameter is a leaf of the graph "
                       "autograd builds, and torch refuses to change one in place while it "
                       "tracks what is done with it. The update itself is not part of any "
                       "computation to learn from.")
    if not isinstance(exc, TypeError | AttributeError) or "NoneType" not in str(exc):
        return None
    cleared = any(g is not None and p.grad is None for p, g in zip(params, grads, strict=True))
    if cleared and not watch.used:
        return Finding(Code.ZERO_GRAD_AFTER_BACKWARD, f"{raised}: the gradients were cleared "
                       "(set to None) before the update read them, so there was nothing left to "
                       "step with. The update is made of the gradients; clear them once it has "
                       "used them.")
    if any(g is None for g in grads):
        return Finding(Code.SUBMISSION_ERROR, f"{raised}. Some parameters of this model have no "
                       "gradient (`.grad` is None): frozen ones (requires_grad=False) and ones "
                       "the loss did not use. torch.optim.SGD leaves them as they are, and "
                       "`sgd_step` must not fail on them.")
    return None


def _unchanged_finding(call: str, watch: UpdateWatch, model: nn.Module, params: list[torch.Tensor],
                       cleared: bool) -> Finding:
    """UPDATE_REBINDS_NAME: the gradients were read but no parameter changed (new tensors were
    bound to a name, or put into the model in place of its parameters);
    ZERO_GRAD_AFTER_BACKWARD: the gradients were cleared before the update read them;
    WRONG_VALUE: no gradient was read at all."""
    if watch.used:
        if [id(p) for p in model.parameters()] != [id(p) for p in params]:
            return Finding(Code.UPDATE_REBINDS_NAME, f"after {call}, the model holds new "
                           "parameter tensors, and the ones it held before are unchanged: an "
                           "optimizer, or anything else given `model.parameters()` earlier, "
                           "still holds those and never sees the step. The update made new "
                           "tensors instead of changing the parameters themselves.")
        return Finding(Code.UPDATE_REBINDS_NAME, f"after {call}, every parameter still held the "
                       "values it had before, although the gradients were read: the update made "
                       "new tensors that never went into the parameters. Assigning `p = ...` in "
                       "a loop only makes the name `p` point at a new tensor; the parameter in "
                       "the model stays as it was.")
    if cleared:
        return Finding(Code.ZERO_GRAD_AFTER_BACKWARD, f"after {call}, no parameter had changed: "
                       "the gradients were cleared before the update read them, so each "
                       "parameter moved by zero (or was skipped for lack of a gradient). The "
                       "update is made of the gradients; clear them once it has used them.")
    return Finding(Code.WRONG_VALUE, f"after {call}, no parameter had changed, and `sgd_step` "
                   "never read a gradient (`.grad`), which is what the update is made of.")


def _scaled_step(call: str, lr: float, step: torch.Tensor, ref: torch.Tensor,
                 tol: float) -> Finding | None:
    """WRONG_VALUE: every parameter moved along torch.optim.SGD's step, but by another factor
    (the sign flipped, the learning rate left out or applied twice), named when it is one."""
    factor = float((step * ref).sum() / (ref * ref).sum())
    if not bool(((step - factor * ref).abs() <= tol).all()):
        return None
    slips = ((-1.0, "each parameter moved as far as torch.optim.SGD's step, but the other way: "
                    "up the gradient, so every step makes the loss larger (gradient ascent)"),
             (1 / lr, f"each parameter moved by its whole gradient, {1 / lr:g} times as far as "
                      f"torch.optim.SGD's step with lr={lr:g}: the learning rate was not applied"),
             (lr, f"each parameter moved {lr:g} times as far as torch.optim.SGD's step: the "
                  "learning rate was applied twice"))
    why = next((why for f, why in slips if math.isclose(factor, f, rel_tol=1e-3)),
               f"each parameter moved {factor:.3g} times as far as torch.optim.SGD's step")
    return Finding(Code.WRONG_VALUE, f"after {call}, {why}.")


def _update_findings(call: str, lr: float, names: list[str], before: list[torch.Tensor],
                     after: list[torch.Tensor], want: list[torch.Tensor],
                     grads: list[torch.Tensor | None]) -> list[Finding]:
    """WRONG_VALUE: the parameters differ from where torch.optim.SGD's step puts them: the
    step scaled (_scaled_step), parameters with a gradient left out, or another difference."""
    steps = [w - b for w, b in zip(want, before, strict=True)]
    tol = 1e-6 + 1e-3 * max(float(s.abs().max()) for s in steps if s.numel())
    wrong = [i for i, (a, w) in enumerate(zip(after, want, strict=True))
             if not bool(((a - w).abs() <= tol).all())]
    if not wrong:
        return []
    moved = [i for i, g in enumerate(grads) if g is not None]
    scaled = _scaled_step(call, lr, torch.cat([(after[i] - before[i]).flatten() for i in moved]),
                          torch.cat([steps[i].flatten() for i in moved]), tol)
    if scaled is not None:
        return [scaled]
    left = [names[i] for i in wrong if grads[i] is not None and torch.equal(after[i], before[i])]
    if left and len(left) == len(wrong):
        shown = " and ".join(f"`{n}`" for n in left) if len(left) < 3 else \
            ", ".join(f"`{n}`" for n in left[:-1]) + f" and `{left[-1]}`"
        each = "each has" if len(left) > 1 else "it has"
        return [Finding(Code.WRONG_VALUE, f"after {call}, {shown} had not changed, although "
                        f"{each} a gradient: every parameter with a gradient takes the step.")]
    i = wrong[0]
    diff = float((after[i] - want[i]).abs().max())
    kind = "has a gradient" if grads[i] is not None else "has no gradient (SGD leaves it alone)"
    return [Finding(Code.WRONG_VALUE, f"after {call}, `{names[i]}` (which {kind}) is up to "
                    f"{diff:.3g} away from where torch.optim.SGD's step puts it; that step moves "
                    f"no value by more than {float(steps[i].abs().max()):.3g}.")]


def _clearing_findings(call: str, names: list[str], params: list[torch.Tensor],
                       grads: list[torch.Tensor | None]) -> list[Finding]:
    """MISSING_ZERO_GRAD: a parameter that had a gradient still holds a non-zero one after the
    step."""
    kept = [n for n, p, g in zip(names, params, grads, strict=True)
            if g is not None and p.grad is not None and bool(p.grad.any())]
    if not kept:
        return []
    shown = ", ".join(f"`{n}.grad`" for n in kept[:4]) + (", …" if len(kept) > 4 else "")
    return [Finding(Code.MISSING_ZERO_GRAD, f"after {call}, the gradients were still there "
                    f"({shown}): the next backward() adds its gradients to them, so every later "
                    "step would move along the sum of this batch's gradient and the new one.")]


def _step_findings(fn: Any, case: StepCase, ctx: Context) -> list[Finding]:
    """The findings of one sgd_step call, against torch.optim.SGD on the same gradients."""
    about, model, shape, lr = case
    model.to(ctx.device)
    _backward(model, shape, ctx.device)
    names = [n for n, _ in model.named_parameters()]
    params = list(model.parameters())
    before = [p.detach().clone() for p in params]
    grads = [p.grad for p in params]  # kept: their storages identify the gradients
    want = _sgd_reference(model, lr)
    call = f"`sgd_step(model, {lr:g})` on {about}"
    watch = UpdateWatch(grads)
    try:
        watch.run(fn, model, lr)
    except (RuntimeError, TypeError, AttributeError) as exc:
        found = _crash_finding(exc, call, watch, params, grads)
        if found is None:
            raise
        return [found]
    after = [p.detach() for p in params]
    cleared = not any(p.grad is not None and bool(p.grad.any()) for p in params)
    if all(torch.equal(a, b) for a, b, g in zip(after, before, grads, strict=True)
           if g is not None):
        update = [_unchanged_finding(call, watch, model, params, cleared)]
    else:
        update = _update_findings(call, lr, names, before, after, want, grads)
    return (update + _clearing_findings(call, names, params, grads)
            + builtin_used(watch.stepped, "sgd_step", "the update written by hand"))


def check_sgd_step(fn: Any, ctx: Context) -> list[Finding]:
    """sgd_step(model, lr): every parameter with a gradient moves as torch.optim.SGD's step
    moves it (on a copy of the model with the same gradients), then the gradients are cleared.

    UPDATE_REBINDS_NAME       the gradients were read, but no parameter changed: `p = p - ...`
                              in a loop, or new tensors put into the model in their place.
    NO_GRAD_MISSING           torch refused an in-place change of a parameter: autograd was on.
    ZERO_GRAD_AFTER_BACKWARD  the gradients were cleared (zeroed or set to None) before the
                              update read them: nothing moved, or it failed on None.
    MISSING_ZERO_GRAD         the gradients were still there after the step (zeroed or None
                              both count as cleared).
    WRONG_VALUE               the step went the other way (ascent), left out or squared the
                              learning rate, another factor, parameters left out, or differs.
    SUBMISSION_ERROR          it failed on a parameter without a gradient (frozen, unused).
    BUILTIN_USED              a torch optimizer took the step.
    Updating `p.data` and clearing with zero_grad(), `p.grad = None` or zero_() all pass. Tried
    on an MLP and one with a frozen layer (strict: a CNN, an unused layer, a frozen bias, other
    learning rates); the first case with a finding is reported.
    """
    torch.manual_seed(0)
    for case in _step_cases(ctx.strict):
        findings = _step_findings(fn, case, ctx)
        if findings:
            return findings
    return []


check_sgd_step.refuses = ("torch.optim.SGD",)  # the exercise text names it (tests hold it)


TASKS: list[Task] = [
    Task(
        id="nn_module.SimpleCNN", name="SimpleCNN", check=check_simple_cnn, points=3,
        hint="Write down the shape (B, C, H, W) after every layer; flatten everything except the "
             "batch dimension before the Linear layer, and return the last layer's raw scores.",
        catches=(Code.WRONG_PARAMETER_COUNT, Code.WRONG_OUTPUT_SHAPE, Code.HARDCODED_BATCH_SIZE,
                 Code.ACTIVATION_ON_OUTPUT, Code.RANDOM_IN_EVAL, Code.WRONG_VALUE,
                 Code.SUBMISSION_ERROR),
    ),
    Task(
        id="nn_module.LeNet", name="LeNet", check=check_lenet, points=2,
        hint="Each 5×5 convolution without padding shrinks the image by 4 and each pooling halves "
             "it; flatten all but the batch dimension before the first Linear layer and leave the "
             "last layer's output as it is.",
        catches=(Code.WRONG_PARAMETER_COUNT, Code.WRONG_OUTPUT_SHAPE, Code.HARDCODED_BATCH_SIZE,
                 Code.ACTIVATION_ON_OUTPUT, Code.RANDOM_IN_EVAL, Code.WRONG_VALUE,
                 Code.SUBMISSION_ERROR),
    ),
    Task(
        id="nn_module.count_parameters", name="count_parameters", check=check_count_parameters,
        points=1,
        hint="model.parameters() yields tensors: you want how many numbers they hold, and only "
             "for the tensors that training will update.",
        catches=(Code.WRONG_VALUE,),
    ),
    Task(
        id="nn_module.conv_output_size", name="conv_output_size", check=check_conv_output_size,
        points=2,
        hint="Count the positions a window of kernel_size can take, moving stride pixels at a "
             "time, across the padded input (padding is added on both sides).",
        catches=(Code.WRONG_VALUE,),
    ),
    Task(
        id="nn_module.sgd_step", name="sgd_step", check=check_sgd_step, points=2,
        hint="Each parameter has to change where it lives: the model, and any optimizer, hold "
             "that very tensor. Autograd must not record the change, parameters without a "
             "gradient stay as they are, and the gradients are cleared only once used.",
        catches=(Code.UPDATE_REBINDS_NAME, Code.NO_GRAD_MISSING, Code.ZERO_GRAD_AFTER_BACKWARD,
                 Code.MISSING_ZERO_GRAD, Code.WRONG_VALUE, Code.BUILTIN_USED,
                 Code.SUBMISSION_ERROR),
    ),
]
