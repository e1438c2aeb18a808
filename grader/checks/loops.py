"""Instrumentation for training and evaluation loops: record what student code did, then read it.

A check hands the student's function a model, a loader, a criterion and an optimizer that are
watched through torch's own hooks (never by patching torch):

* the loader yields `Unmoved` tensors, which turn into plain tensors once moved to the device, so a
  batch that reaches the model or the criterion still `Unmoved` was never moved (visible on a CPU);
* a forward pre-hook on the model's first layer records `model.training`, the grad mode and
  whether the batch was moved; a forward hook on its last layer hooks the output tensor, whose
  gradient hook fires as `backward()` starts, before any parameter gradient changes;
* a forward pre-hook on the criterion records what it was given (probabilities? moved?);
* a step pre-hook on the optimizer records the parameter gradients `step()` is about to use;
* the output's autograd node carries a tag (in its `metadata`, which lives exactly as long as the
  node), so each time the loader hands out a batch, and once more when it runs out, the recorder
  counts how many earlier batches' graphs are still reachable from something the code kept.

Everything is undone when `Recorder.watching` exits. Reading the log is the job of the small pure
`diagnose_*` functions below, which turn a list of events into findings.
"""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, default_collate

from grader.checks.losses import softmax_before_ce
from grader.checks.models import is_probabilities
from grader.core.findings import Code, Finding


@dataclass(frozen=True)
class Event:
    """One thing the student's code did, in the order it happened."""

    kind: str  # "batch" | "forward" | "loss" | "backward" | "step" | "move" | "end"
    training: bool = False  # forward: model.training as the model ran
    grad_enabled: bool = False  # forward: torch.is_grad_enabled() (False under inference_mode too)
    unmoved: tuple[str, ...] = ()  # forward/loss: "input"/"target" that arrived without a move
    probs: bool = False  # loss: the criterion's input rows were probabilities (>= 0, sum to 1)
    grads: str = ""  # backward/step: parameter grads at that moment: "none" | "zero" | "nonzero"
    detail: str = ""  # move: the call, e.g. ".cuda()" or ".to(cuda)"
    stale: int = 0  # batch/end: graphs of batches before the previous one that are still alive
    graphs: int = 0  # batch/end: batches whose forward built a graph so far


_ACTIVE: list[Recorder] = []  # the recorder whose run is in progress (innermost last)


def _active() -> Recorder | None:
    return _ACTIVE[-1] if _ACTIVE else None


def _target_device(func: Any, args: tuple, kwargs: dict) -> torch.device | None:
    """Where a move call sends its tensor; None when it moves nothing (`.to(torch.float64)`)."""
    try:
        if func is torch.Tensor.cpu:
            return torch.device("cpu")
        if func is torch.Tensor.cuda:
            return torch.device("cuda")
        return torch._C._nn._parse_to(*args[1:], **kwargs)[0]  # Tensor.to
    except (TypeError, RuntimeError, IndexError):
        return None


def _call_text(func: Any, target: torch.device) -> str:
    return f".to({target.type!r})" if func is torch.Tensor.to else f".{func.__name__}()"


# torch.as_tensor(x, device=...) never reaches __torch_function__ (it returns x itself when no
# copy is needed), so only the Tensor methods can be watched.
_MOVES = (torch.Tensor.to, torch.Tensor.cuda, torch.Tensor.cpu)


class Unmoved(torch.Tensor):
    """A batch tensor not yet moved to the device under test. Other ops keep the mark.

    `.to(device)`, `.cuda()` or `.cpu()` onto the device under test return a plain tensor. A move
    to an accelerator that is not the device under test (a hard-coded `.cuda()` on a CPU run) is
    recorded as a "move" event, then performed as asked.
    """

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _MOVES:
            target = _target_device(func, args, kwargs)
            if target is not None:
                return cls._move(func, args, kwargs, target)
        return super().__torch_function__(func, types, args, kwargs)

    @classmethod
    def _move(cls, func: Any, args: tuple, kwargs: dict, target: torch.device) -> torch.Tensor:
        recorder = _active()
        device_type = recorder.device_type if recorder else target.type
        if target.type not in (device_type, "cpu") and recorder is not None:
            recorder.add(Event("move", detail=_call_text(func, target)))
        with torch._C.DisableTorchFunctionSubclass():
            out = func(*args, **kwargs)  # may raise, e.g. .cuda() with no GPU: as it would anyway
        still_off = target.type != device_type and target.type == "cpu"  # .cpu() on a GPU run
        return out.as_subclass(cls if still_off else torch.Tensor)


def plain(value: Any) -> Any:
    """The same data as a plain tensor (the mark removed), anything else unchanged."""
    return value.as_subclass(torch.Tensor) if isinstance(value, Unmoved) else value


def grad_state(params: Sequence[torch.Tensor]) -> str:
    """"none" when no parameter has a .grad, "zero" when all are zero, else "nonzero"."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return "none"
    return "nonzero" if any(bool(g.detach().any()) for g in grads) else "zero"


class _GraphTag:
    """Put in an autograd node's metadata: it is freed exactly when the node is."""


_TAG_KEY = "grader.loops.graph_tag"


class _WatchedLoader(DataLoader):
    """A DataLoader that tells the recorder when an iteration over it runs out."""

    def __init__(self, *args: Any, on_end: Any, **kwargs: Any) -> None:
        self._on_end = on_end
        super().__init__(*args, **kwargs)

    def __iter__(self) -> Iterator:
        yield from super().__iter__()
        self._on_end()


class Recorder:
    """Collects the events of one run of student code on a watched model."""

    def __init__(self, device: str | torch.device) -> None:
        self.device_type = torch.device(device).type
        self.events: list[Event] = []
        self._graphs: list[weakref.ref] = []  # one per forward that built a graph, in order

    def _stale_graphs(self) -> int:
        """Graphs still alive, not counting the most recent one (its variables may still hold
        it legitimately). A count that looks high is confirmed after a garbage collection."""
        count = sum(ref() is not None for ref in self._graphs[:-1])
        if count >= 2:
            gc.collect()
            count = sum(ref() is not None for ref in self._graphs[:-1])
        return count

    def _graph_event(self, kind: str, detail: str = "") -> Event:
        return Event(kind, detail=detail, stale=self._stale_graphs(), graphs=len(self._graphs))

    def _tag_graph(self, output: torch.Tensor) -> None:
        node = output.grad_fn
        if node is None:
            return
        tag = _GraphTag()
        node.metadata[_TAG_KEY] = tag
        self._graphs.append(weakref.ref(tag))

    def add(self, event: Event) -> None:
        if self in _ACTIVE:  # ignore hooks firing after the run (e.g. a late backward())
            self.events.append(event)

    def collate(self, samples: list) -> list:
        """DataLoader collate_fn: records the batch and marks its tensors `Unmoved`."""
        batch = default_collate(samples)
        self.add(self._graph_event("batch", detail=str(len(samples))))
        return [t.as_subclass(Unmoved) if isinstance(t, torch.Tensor) else t for t in batch]

    def loader(self, dataset: Dataset, batch_size: int) -> DataLoader:
        """A real DataLoader (in order, own RNG) whose batches are recorded and marked, and whose
        end is recorded too (with the graphs still alive then)."""
        return _WatchedLoader(dataset, batch_size=batch_size, shuffle=False,
                              collate_fn=self.collate, generator=torch.Generator(),
                              on_end=lambda: self.add(self._graph_event("end")))

    def _on_forward(self, model: nn.Module):
        def hook(module: nn.Module, args: tuple) -> tuple | None:
            unmoved = ("input",) if any(isinstance(a, Unmoved) for a in args) else ()
            self.add(Event("forward", training=model.training,
                           grad_enabled=torch.is_grad_enabled(), unmoved=unmoved))
            return tuple(plain(a) for a in args) if unmoved else None  # same values, unmarked
        return hook

    def _on_output(self, params: list[torch.Tensor]):
        def on_backward(grad: torch.Tensor) -> None:  # runs before any parameter grad changes
            self.add(Event("backward", grads=grad_state(params)))

        def hook(module: nn.Module, args: tuple, output: Any) -> None:
            if isinstance(output, torch.Tensor) and output.requires_grad:
                output.register_hook(on_backward)
                if self in _ACTIVE:
                    self._tag_graph(output)
        return hook

    def _on_loss(self, module: nn.Module, args: tuple) -> tuple | None:
        names = ("input", "target")
        unmoved = tuple(n for n, a in zip(names, args[:2], strict=False) if isinstance(a, Unmoved))
        self.add(Event("loss", unmoved=unmoved, probs=bool(args) and is_probabilities(args[0])))
        return tuple(plain(a) for a in args) if unmoved else None

    def _on_step(self, params: list[torch.Tensor]):
        def hook(optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
            self.add(Event("step", grads=grad_state(params)))
        return hook

    @contextlib.contextmanager
    def watching(self, model: nn.Sequential, criterion: nn.Module | None = None,
                 optimizer: torch.optim.Optimizer | None = None) -> Iterator[Recorder]:
        """Record while the block runs; every hook is removed again on the way out."""
        layers = list(model.children())
        params = list(model.parameters())
        handles = [layers[0].register_forward_pre_hook(self._on_forward(model)),
                   layers[-1].register_forward_hook(self._on_output(params))]
        if criterion is not None:
            handles.append(criterion.register_forward_pre_hook(self._on_loss))
        if optimizer is not None:
            handles.append(optimizer.register_step_pre_hook(self._on_step(params)))
        _ACTIVE.append(self)
        try:
            yield self
        finally:
            _ACTIVE.remove(self)
            for handle in handles:
                handle.remove()


# ---- reading the log: pure functions from events to findings ---------------------------------


def _of(events: Sequence[Event], kind: str) -> list[Event]:
    return [e for e in events if e.kind == kind]


def iterations(events: Sequence[Event]) -> list[list[Event]]:
    """Split the log into loop iterations, each starting where the loader handed out a batch.

    Events before the first batch form a group of their own. When the loader was drained up
    front (`list(loader)`), the model's forward passes mark the iterations instead.
    """
    forwards = [i for i, e in enumerate(events) if e.kind == "forward"]
    batches = [i for i, e in enumerate(events) if e.kind == "batch"]
    drained = len(batches) > 1 and forwards and batches[-1] < forwards[0]
    starts = forwards if drained or not batches else batches
    groups = [list(events[: starts[0]])] if starts else [list(events)]
    for begin, end in zip(starts, [*starts[1:], len(events)], strict=True):
        groups.append(list(events[begin:end]))
    return groups


def _share(n: int, total: int, noun: str) -> str:
    return f"{n} of {total} {noun}" if total else f"{n} {noun}"


def diagnose_device(events: Sequence[Event], name: str, device: str) -> list[Finding]:
    """DEVICE_MISMATCH: a batch or its targets arrived unmoved, or a hard-coded device move."""
    findings: list[Finding] = []
    forwards, losses = _of(events, "forward"), _of(events, "loss")
    unmoved_x = sum("input" in e.unmoved for e in forwards)
    unmoved_y = sum("target" in e.unmoved for e in losses)
    if unmoved_x:
        findings.append(Finding(Code.DEVICE_MISMATCH, (
            f"in `{name}` the batch reached the model without being moved to `device` "
            f"({_share(unmoved_x, len(forwards), 'forward passes')}): on a GPU this fails, "
            "because the model's weights live on `device` while the loader's batches are in "
            "CPU memory.")))
    if unmoved_y:
        findings.append(Finding(Code.DEVICE_MISMATCH, (
            f"in `{name}` the targets reached the criterion without being moved to `device` "
            f"({_share(unmoved_y, len(losses), 'loss computations')}): on a GPU the model's "
            "output and the targets would sit on different devices.")))
    moves = sorted({e.detail for e in _of(events, "move")})
    if moves:
        findings.append(Finding(Code.DEVICE_MISMATCH, (
            f"`{name}` called {', '.join(f'`{m}`' for m in moves)} on a batch although the "
            f"device it was given is {device}: a hard-coded device breaks the function on "
            "machines without that accelerator; the `device` argument says where data goes.")))
    return findings


def diagnose_softmax(events: Sequence[Event], name: str) -> list[Finding]:
    """SOFTMAX_BEFORE_CE: the criterion received rows of probabilities."""
    losses = _of(events, "loss")
    n = sum(e.probs for e in losses)
    if not n:
        return []
    return [softmax_before_ce(f"in `{name}` the rows of the tensor passed to the criterion sum "
                              f"to 1 ({_share(n, len(losses), 'loss computations')})")]


def diagnose_train_mode(events: Sequence[Event], name: str) -> list[Finding]:
    """TRAIN_MODE_NOT_SET: the model ran with model.training False."""
    forwards = _of(events, "forward")
    n = sum(not e.training for e in forwards)
    if not n:
        return []
    return [Finding(Code.TRAIN_MODE_NOT_SET, (
        f"`model.training` was False in {_share(n, len(forwards), 'forward passes')} of "
        f"`{name}`: the model arrived in evaluation mode (as it is after an evaluation), so "
        "Dropout stayed off and BatchNorm normalised with its running statistics instead of "
        "the batch's, and never updated them."))]


def _step_order(events: Sequence[Event]) -> tuple[list[int], list[int]]:
    """Iterations (1-based) whose step came before any backward, and whose step found no grads."""
    early, cleared = [], []
    for index, group in enumerate(iterations(events)):
        seen_backward = False
        for e in group:
            seen_backward = seen_backward or e.kind == "backward"
            if e.kind == "step" and not seen_backward:
                early.append(index)
            elif e.kind == "step" and e.grads != "nonzero":
                cleared.append(index)
    return early, cleared


def _missing_call(events: Sequence[Event], name: str) -> list[Finding]:
    """WRONG_VALUE: when the model, backward() or the optimizer never ran at all."""
    if not _of(events, "forward"):
        what = "never called the model it was given"
    elif not _of(events, "backward"):
        what = "never ran `backward()` through the model's output, so no gradients were computed"
    elif not _of(events, "step"):
        what = "never called `step()` on the optimizer it was given, so no parameter changed"
    else:
        return []
    return [Finding(Code.WRONG_VALUE, f"`{name}` {what}.")]


def diagnose_training(events: Sequence[Event], name: str) -> list[Finding]:
    """MISSING_ZERO_GRAD: backward() found old gradients; ZERO_GRAD_AFTER_BACKWARD: step() found
    them cleared; STEP_BEFORE_BACKWARD: step() before backward(); STEP_OUTSIDE_BATCH_LOOP:
    fewer steps than batches; TRAIN_MODE_NOT_SET, SOFTMAX_BEFORE_CE and WRONG_VALUE from the
    helpers below.

    Order of the five steps: MISSING_ZERO_GRAD, ZERO_GRAD_AFTER_BACKWARD,
    STEP_BEFORE_BACKWARD, STEP_OUTSIDE_BATCH_LOOP, plus train mode and softmax."""
    findings = diagnose_train_mode(events, name) + diagnose_softmax(events, name)
    missing = _missing_call(events, name)
    if missing:
        return findings + missing
    n_batches, steps = len(_of(events, "batch")), _of(events, "step")
    stale = [i for i, e in enumerate(_of(events, "backward"), 1) if e.grads == "nonzero"]
    if stale:
        findings.append(Finding(Code.MISSING_ZERO_GRAD, (
            f"when `backward()` ran for batch {stale[0]}, the parameters still held gradients "
            "from earlier batches: backward() adds into `.grad`, so each update used the sum of "
            "all gradients so far instead of the current batch's.")))
    early, cleared = _step_order(events)
    if early:
        findings.append(Finding(Code.STEP_BEFORE_BACKWARD, (
            "`optimizer.step()` ran before `backward()` in "
            f"{_share(len(early), n_batches, 'batches')}: each update used stale gradients (or "
            "none), not those of the batch just seen.")))
    if cleared:
        findings.append(Finding(Code.ZERO_GRAD_AFTER_BACKWARD, (
            f"`optimizer.step()` found the gradients already cleared in "
            f"{_share(len(cleared), n_batches, 'batches')}, although `backward()` had just run: "
            "clearing them between backward() and step() throws the batch's gradients away.")))
    if len(steps) < n_batches:
        findings.append(Finding(Code.STEP_OUTSIDE_BATCH_LOOP, (
            f"`optimizer.step()` ran {len(steps)} time(s) for {n_batches} batches: the "
            "parameters are updated once per epoch instead of once per batch.")))
    return findings


def diagnose_evaluation(events: Sequence[Event], name: str) -> list[Finding]:
    """EVAL_MODE_MISSING: a forward ran in train mode; NO_GRAD_MISSING: a forward ran with gradient
    tracking on; UPDATES_IN_EVAL: backward() or step() ran.

    EVAL_MODE_MISSING, NO_GRAD_MISSING, UPDATES_IN_EVAL (backward/step), SOFTMAX_BEFORE_CE."""
    findings: list[Finding] = []
    forwards = _of(events, "forward")
    training = sum(e.training for e in forwards)
    if training:
        findings.append(Finding(Code.EVAL_MODE_MISSING, (
            f"`model.training` was True in {_share(training, len(forwards), 'forward passes')} "
            f"of `{name}`: Dropout kept dropping units and BatchNorm used (and updated) batch "
            "statistics, so the scores are noisy and the model changes while it is measured.")))
    graded = sum(e.grad_enabled for e in forwards)
    if graded:
        findings.append(Finding(Code.NO_GRAD_MISSING, (
            f"gradient tracking was on in {_share(graded, len(forwards), 'forward passes')} of "
            f"`{name}`: autograd recorded a graph for every batch, wasting memory and time on "
            "gradients an evaluation never uses.")))
    updates = [f"`{k}()` ran {len(_of(events, k))} time(s)" for k in ("backward", "step")
               if _of(events, k)]
    if updates:
        findings.append(Finding(Code.UPDATES_IN_EVAL, (
            f"during `{name}` {' and '.join(updates)}: evaluation must only measure the model; "
            "gradients or updates computed on evaluation data leak it into training.")))
    return findings + diagnose_softmax(events, name)


def diagnose_graphs(events: Sequence[Event], name: str) -> list[Finding]:
    """LOSS_GRAPH_RETAINED: while the loop ran, the autograd graphs of two or more batches before
    the previous one were still alive (something kept a tensor that is part of each graph)."""
    marks = [e for e in events if e.kind in ("batch", "end")]
    worst = max(marks, key=lambda e: e.stale, default=None)
    if worst is None or worst.stale < 2:
        return []
    when = "when the loader ran out" if worst.kind == "end" else "during the epoch"
    return [Finding(Code.LOSS_GRAPH_RETAINED, (
        f"{when}, the autograd graphs of {worst.stale} earlier batches of `{name}` (out of "
        f"{worst.graphs}) were still alive: a tensor that is part of each batch's graph (a loss "
        "or an output) was kept after its batch, so autograd could free none of them. Memory "
        "then grows with every batch; on a full epoch on a GPU that ends in 'CUDA out of "
        "memory' after some iterations."))]
