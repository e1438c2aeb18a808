"""Unit tests for grader.checks.loops: the loop recorder and the pure functions over its log."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import TensorDataset

from grader.checks import loops as record
from grader.checks.loops import Event, Recorder, Unmoved
from grader.tasks import mnist

# ---------------------------------------------------------------- hand-made logs

BATCH = Event("batch")
FWD = Event("forward", training=True, grad_enabled=True)
LOSS = Event("loss")


def back(grads: str = "none") -> Event:
    return Event("backward", grads=grads)


def step(grads: str = "nonzero") -> Event:
    return Event("step", grads=grads)


def codes(findings) -> list[str]:
    return [f.code.value for f in findings]


def canonical(n: int = 3) -> list[Event]:
    """zero_grad (set_to_none), forward, loss, backward, step for n batches."""
    return [e for _ in range(n) for e in (BATCH, FWD, LOSS, back("none"), step("nonzero"))]


# ---------------------------------------------------------------- diagnose_training


def test_canonical_loop_has_no_findings() -> None:
    assert record.diagnose_training(canonical(), "f") == []


def test_zero_grad_at_end_of_iteration_has_no_findings() -> None:
    # zero_grad(set_to_none=False) after step: the next backward finds zeros, not stale grads
    events = [BATCH, FWD, LOSS, back("none"), step()] + [BATCH, FWD, LOSS, back("zero"), step()]
    assert record.diagnose_training(events, "f") == []


def test_backward_finding_old_gradients_is_missing_zero_grad() -> None:
    events = [BATCH, FWD, LOSS, back("none"), step()] + [BATCH, FWD, LOSS, back("nonzero"), step()]
    assert codes(record.diagnose_training(events, "f")) == ["MISSING_ZERO_GRAD"]


def test_step_without_gradients_after_backward_is_zero_grad_after_backward() -> None:
    events = [e for _ in range(3) for e in (BATCH, FWD, LOSS, back("none"), step("none"))]
    assert codes(record.diagnose_training(events, "f")) == ["ZERO_GRAD_AFTER_BACKWARD"]


def test_step_before_backward_in_each_batch() -> None:
    events = [e for _ in range(3) for e in (BATCH, FWD, LOSS, step("none"), back("none"))]
    assert codes(record.diagnose_training(events, "f")) == ["STEP_BEFORE_BACKWARD"]


def test_one_step_after_the_loop_is_step_outside_batch_loop() -> None:
    events = [e for _ in range(3) for e in (BATCH, FWD, LOSS, back("none"))] + [step()]
    assert codes(record.diagnose_training(events, "f")) == ["STEP_OUTSIDE_BATCH_LOOP"]


def test_eval_mode_forward_is_train_mode_not_set() -> None:
    events = [Event("forward", training=False) if e is FWD else e for e in canonical()]
    assert codes(record.diagnose_training(events, "f")) == ["TRAIN_MODE_NOT_SET"]


def test_probabilities_into_the_criterion_is_softmax_before_ce() -> None:
    events = [Event("loss", probs=True) if e is LOSS else e for e in canonical()]
    assert codes(record.diagnose_training(events, "f")) == ["SOFTMAX_BEFORE_CE"]


def test_model_backward_or_step_never_called_is_wrong_value() -> None:
    assert codes(record.diagnose_training([BATCH, BATCH], "f")) == ["WRONG_VALUE"]
    no_backward = [BATCH, FWD, LOSS, step("none")]
    assert "backward" in record.diagnose_training(no_backward, "f")[0].message
    no_step = [BATCH, FWD, LOSS, back()]
    assert "step" in record.diagnose_training(no_step, "f")[0].message


def test_iterations_split_at_batches_or_at_forwards_when_loader_was_drained() -> None:
    assert [len(g) for g in record.iterations(canonical(2))] == [0, 5, 5]
    drained = [BATCH, BATCH, FWD, back(), step(), FWD, back(), step()]
    assert [len(g) for g in record.iterations(drained)] == [2, 3, 3]
    assert record.diagnose_training([BATCH, BATCH, FWD, LOSS, back(), step(), FWD, LOSS,
                                     back(), step()], "f") == []


# ---------------------------------------------------------------- device and evaluation


def test_diagnose_device() -> None:
    assert record.diagnose_device(canonical(), "f", "cpu") == []
    events = [BATCH, Event("forward", unmoved=("input",)), Event("loss", unmoved=("target",)),
              Event("move", detail=".cuda()")]
    found = record.diagnose_device(events, "f", "cpu")
    assert codes(found) == ["DEVICE_MISMATCH"] * 3
    assert "`.cuda()`" in found[2].message


def test_diagnose_evaluation() -> None:
    clean = [BATCH, Event("forward", training=False, grad_enabled=False), LOSS]
    assert record.diagnose_evaluation(clean, "g") == []
    assert codes(record.diagnose_evaluation([BATCH, FWD, LOSS], "g")) == [
        "EVAL_MODE_MISSING", "NO_GRAD_MISSING"]
    graded = [BATCH, Event("forward", grad_enabled=True), LOSS, back()]
    assert codes(record.diagnose_evaluation(graded, "g")) == ["NO_GRAD_MISSING",
                                                              "UPDATES_IN_EVAL"]


# ---------------------------------------------------------------- small pure helpers


def test_is_probabilities_and_grad_state() -> None:
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 0.3, -0.2]])
    assert record.is_probabilities(torch.softmax(logits, dim=1))
    assert not record.is_probabilities(logits)
    assert not record.is_probabilities(torch.log_softmax(logits, dim=1))
    p = nn.Parameter(torch.ones(2))
    assert record.grad_state([p]) == "none"
    p.grad = torch.zeros(2)
    assert record.grad_state([p]) == "zero"
    p.grad = torch.tensor([0.0, 1.0])
    assert record.grad_state([p]) == "nonzero"


def test_accuracy_and_loss_slips_are_named() -> None:
    truth = mnist._EvalTruth(losses=[(1.0, 4), (1.0, 4), (4.0, 2)],
                             correct=[(3, 4), (3, 4), (1, 2)])
    assert mnist._accuracy_findings(0.7, truth, True, "g") == []
    assert "percentage" in mnist._accuracy_findings(70.0, truth, True, "g")[0].message
    assert "per-batch" in mnist._accuracy_findings(2 / 3, truth, True, "g")[0].message
    assert mnist._accuracy_findings(0.4, truth, False, "g") == []  # eval mode was wrong
    assert codes(mnist._accuracy_findings(7.0, truth, False, "g")) == ["ACCURACY_WRONG"]
    assert mnist._eval_loss_findings(2.0, truth, "g") == []  # per batch
    assert mnist._eval_loss_findings(1.6, truth, "g") == []  # per sample
    assert codes(mnist._eval_loss_findings(6.0, truth, "g")) == ["WRONG_VALUE"]


# ---------------------------------------------------------------- the recorder itself


def _parts() -> tuple[nn.Sequential, nn.Module, torch.optim.Optimizer, TensorDataset]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    data = TensorDataset(torch.randn(10, 4), torch.randint(0, 3, (10,)))
    return model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), data


def test_unmoved_mark_is_removed_only_by_a_move_to_the_device() -> None:
    x = torch.randn(3, 4).as_subclass(Unmoved)
    recorder = Recorder("cpu")
    with recorder.watching(nn.Sequential(nn.Linear(4, 2))):
        assert type(x.view(4, 3)) is Unmoved
        assert type(x.float() * 2) is Unmoved
        assert type(x.to(torch.float64)) is Unmoved  # a dtype change moves nothing
        assert type(x.to("cpu")) is torch.Tensor
        assert type(x.to(torch.device("cpu"), non_blocking=True)) is torch.Tensor
        assert type(x.cpu()) is torch.Tensor
        assert type(x.to("meta")) is torch.Tensor  # another device: recorded
    assert recorder.events == [Event("move", detail=".to('meta')")]


def test_cpu_copy_stays_unmoved_when_the_device_is_an_accelerator() -> None:
    x = torch.randn(3, 4).as_subclass(Unmoved)
    with Recorder("cuda").watching(nn.Sequential(nn.Linear(4, 2))):
        assert type(x.cpu()) is Unmoved


def test_recorder_logs_a_training_loop_and_removes_its_hooks() -> None:
    model, criterion, optimizer, data = _parts()
    recorder = Recorder("cpu")
    with recorder.watching(model, criterion, optimizer):
        for x, y in recorder.loader(data, batch_size=4):
            assert type(x) is Unmoved and type(y) is Unmoved
            loss = criterion(model(x.to("cpu")), y)  # y unmoved on purpose
            loss.backward()  # no zero_grad: the second backward finds old gradients
            optimizer.step()
    kinds = [e.kind for e in recorder.events]
    assert kinds == ["batch", "forward", "loss", "backward", "step"] * 3 + ["end"]
    backs = [e.grads for e in recorder.events if e.kind == "backward"]
    assert backs == ["none", "nonzero", "nonzero"]
    assert all(e.unmoved == ("target",) for e in recorder.events if e.kind == "loss")
    assert not model[0]._forward_pre_hooks and not model[-1]._forward_hooks
    assert not criterion._forward_pre_hooks and not optimizer._optimizer_step_pre_hooks
    assert codes(record.diagnose_training(recorder.events, "f")) == ["MISSING_ZERO_GRAD"]


def test_recorder_records_modes_and_stops_recording_after_the_block() -> None:
    model, criterion, _, data = _parts()
    recorder = Recorder("cpu")
    model.eval()
    with recorder.watching(model, criterion), torch.no_grad():
        for x, _y in recorder.loader(data, batch_size=5):
            model(x)
    forwards = [e for e in recorder.events if e.kind == "forward"]
    assert [(e.training, e.grad_enabled, e.unmoved) for e in forwards] == [
        (False, False, ("input",))] * 2
    before = len(recorder.events)
    model(torch.randn(2, 4)).sum().backward()
    assert len(recorder.events) == before


# ---------------------------------------------------------------- graphs kept alive


def test_diagnose_graphs_names_the_worst_moment() -> None:
    ok = [Event("batch", stale=0, graphs=k) for k in range(4)] + [Event("end", stale=1, graphs=4)]
    assert record.diagnose_graphs(ok, "f") == []
    kept = [Event("batch", stale=max(k - 1, 0), graphs=k) for k in range(4)]
    found = record.diagnose_graphs([*kept, Event("end", stale=3, graphs=4)], "f")
    assert codes(found) == ["LOSS_GRAPH_RETAINED"]
    assert "3 earlier batches" in found[0].message and "loader ran out" in found[0].message


def _stale_after_epoch(keep) -> list[int]:
    """Stale-graph counts a recorder logs for one epoch in which `keep(loss)` runs per batch."""
    model, criterion, optimizer, data = _parts()
    recorder = Recorder("cpu")
    with recorder.watching(model, criterion, optimizer):
        for x, y in recorder.loader(data, batch_size=2):
            optimizer.zero_grad()
            loss = criterion(model(x.to("cpu")), y.to("cpu"))
            loss.backward()
            optimizer.step()
            keep(loss)
    return [e.stale for e in recorder.events if e.kind in ("batch", "end")]


def test_recorder_counts_graphs_kept_alive_by_the_loop() -> None:
    kept: list[torch.Tensor] = []
    assert _stale_after_epoch(kept.append) == [0, 0, 1, 2, 3, 4]  # 5 batches of 2
    numbers: list[float] = []
    assert _stale_after_epoch(lambda loss: numbers.append(loss.item())) == [0] * 6
    detached: list[torch.Tensor] = []
    assert _stale_after_epoch(lambda loss: detached.append(loss.detach())) == [0] * 6


def test_recorder_tags_no_graph_under_no_grad() -> None:
    model, criterion, _, data = _parts()
    recorder = Recorder("cpu")
    kept = []
    with recorder.watching(model, criterion), torch.no_grad():
        for x, y in recorder.loader(data, batch_size=2):
            kept.append(criterion(model(x.to("cpu")), y.to("cpu")))
    assert [e.stale for e in recorder.events if e.kind in ("batch", "end")] == [0] * 6
