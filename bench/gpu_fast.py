"""The fast path of notebook 05's "Make it fast", pushed as far as one GPU takes it.

    .venv/bin/python bench/gpu_fast.py                  # GPU: the full runs; CPU: a tiny smoke run
    .venv/bin/python bench/gpu_fast.py --tiny           # a few hundred images, one epoch (CPU too)
    .venv/bin/python bench/gpu_fast.py --json out.json  # also write the figures as JSON

Everything the notebook's section 12 teaches, on FashionMNIST (goal: >= 91 % test accuracy in
<= 1 s of training on an H100/H200-class GPU) and on the MNIST in data_cache/ (goal: >= 99 %, as
fast as it goes): the whole dataset normalised once into one tensor that stays on the device,
batches sliced out of a per-epoch permutation, channels_last memory layout, bf16 autocast, a
one-cycle learning rate, random flips/shifts done on the device, and torch.compile when it pays
(the same recipe is timed compiled and eager; compilation happens before the clock starts).

"Training time" is the wall time of the epochs alone, after a warm-up, between two
torch.cuda.synchronize() calls: no data loading, compilation or evaluation in it. Each recipe is
run for a few epoch counts, so one run shows the fastest that meets the goal.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Recipe:
    """One training run: dataset, epochs, batch size, peak learning rate and options."""

    dataset: str  # "FashionMNIST" | "MNIST"
    epochs: int
    batch: int = 512
    lr: float = 0.4  # peak of the one-cycle schedule (SGD, Nesterov momentum)
    flip: bool = True  # random horizontal flips (FashionMNIST only: digits are not symmetric)
    shift: int = 2  # random translation of up to this many pixels, per batch
    compile: bool = False
    bf16: bool = True
    channels_last: bool = True
    width: int = 32


@dataclass
class Outcome:
    recipe: Recipe
    train_seconds: float
    test_accuracy: float
    steps: int
    compile_seconds: float = 0.0


def tensors(dataset: str, device: torch.device, limit: int | None = None):
    """(train x, train y, test x, test y): normalised float images (N, 1, 28, 28) on `device`."""
    from torchvision import datasets

    from grader.data import DATA_DIR

    cls = getattr(datasets, dataset)
    train, test = (cls(root=str(DATA_DIR), train=t, download=True) for t in (True, False))
    x_train, y_train = train.data[:limit], train.targets[:limit]
    x_test, y_test = test.data[:limit], test.targets[:limit]
    mean, std = x_train.float().mean() / 255, x_train.float().std() / 255

    def prep(x: torch.Tensor) -> torch.Tensor:
        return ((x.to(device).float() / 255 - mean) / std).unsqueeze(1)

    return prep(x_train), y_train.to(device), prep(x_test), y_test.to(device)


def make_net(width: int) -> nn.Sequential:
    """Three conv blocks (conv, BatchNorm, ReLU, max-pool) and one linear layer: ~0.1 M weights."""
    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True), nn.MaxPool2d(2)]

    w = width
    return nn.Sequential(*block(1, w), *block(w, 2 * w), *block(2 * w, 4 * w),
                         nn.Flatten(), nn.Linear(4 * w * 3 * 3, 10))


@dataclass
class Rng:
    """Seeded generators: one on the device (permutations, flips), one on the host (shifts)."""

    device: torch.Generator
    host: torch.Generator

    @classmethod
    def seeded(cls, device: torch.device, seed: int) -> Rng:
        return cls(torch.Generator(device=device).manual_seed(seed),
                   torch.Generator().manual_seed(seed))


def augment(x: torch.Tensor, recipe: Recipe, rng: Rng) -> torch.Tensor:
    """Random flips per image and one random shift per batch, all on the device."""
    if recipe.flip and recipe.dataset == "FashionMNIST":
        flip = torch.rand(x.shape[0], 1, 1, 1, device=x.device, generator=rng.device) < 0.5
        x = torch.where(flip, x.flip(3), x)
    if recipe.shift:
        dy, dx = torch.randint(-recipe.shift, recipe.shift + 1, (2,), generator=rng.host).tolist()
        x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    return x


def one_cycle(step: int, total: int, peak: float) -> float:
    """Linear warm-up over the first 20 % of the steps, then linear decay to 0."""
    warm = max(1, int(0.2 * total))
    return peak * (step + 1) / warm if step < warm else peak * (total - step) / (total - warm)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _step_fn(model: nn.Module, optimizer: torch.optim.Optimizer, recipe: Recipe,
             device: torch.device):
    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=recipe.bf16):
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return step


def _epochs(step, data, recipe: Recipe, optimizer: torch.optim.Optimizer, rng: Rng) -> int:
    x_train, y_train = data[0], data[1]
    n = len(y_train)
    per_epoch = n // recipe.batch  # drop the ragged last batch: one shape, one compiled graph
    total, done = per_epoch * recipe.epochs, 0
    for _ in range(recipe.epochs):
        order = torch.randperm(n, device=x_train.device, generator=rng.device)
        for i in range(per_epoch):
            rows = order[i * recipe.batch:(i + 1) * recipe.batch]
            for group in optimizer.param_groups:
                group["lr"] = one_cycle(min(done, total - 1), total, recipe.lr)
            step(augment(x_train[rows], recipe, rng), y_train[rows])
            done += 1
    return done


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, recipe: Recipe,
             device: torch.device) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(y), 2000):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=recipe.bf16):
            correct += int((model(x[i:i + 2000]).argmax(1) == y[i:i + 2000]).sum())
    model.train()
    return correct / len(y)


def train(recipe: Recipe, data, device: torch.device) -> Outcome:
    """Warm up (and compile) on a throwaway copy of the state, then time the real run."""
    torch.manual_seed(0)
    net = make_net(recipe.width).to(device)
    if recipe.channels_last:
        net = net.to(memory_format=torch.channels_last)
    model = torch.compile(net) if recipe.compile else net
    optimizer = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=0.9, nesterov=True,
                                weight_decay=5e-4)
    layout = torch.channels_last if recipe.channels_last else torch.contiguous_format
    data = (data[0].contiguous(memory_format=layout), data[1],
            data[2].contiguous(memory_format=layout), data[3])
    step = _step_fn(model, optimizer, recipe, device)
    initial = {k: v.clone() for k, v in net.state_dict().items()}
    start = time.perf_counter()
    rng = Rng.seeded(device, 1)
    for _ in range(3):  # compilation and cuDNN's algorithm search happen here
        rows = torch.randperm(len(data[1]), device=device, generator=rng.device)[:recipe.batch]
        step(augment(data[0][rows], recipe, rng), data[1][rows])
    accuracy(model, data[2], data[3], recipe, device)
    _sync(device)
    compile_seconds = time.perf_counter() - start
    net.load_state_dict(initial)
    optimizer.state.clear()
    rng = Rng.seeded(device, 0)
    _sync(device)
    start = time.perf_counter()
    steps = _epochs(step, data, recipe, optimizer, rng)
    _sync(device)
    seconds = time.perf_counter() - start
    return Outcome(recipe, seconds, accuracy(model, data[2], data[3], recipe, device), steps,
                   compile_seconds)


def plan(tiny: bool, on_gpu: bool) -> list[Recipe]:
    """The runs of one invocation: a sweep of epochs on a GPU, one small run otherwise."""
    if tiny or not on_gpu:
        return [Recipe("FashionMNIST", epochs=1, batch=128, lr=0.1, bf16=on_gpu,
                       channels_last=on_gpu),
                Recipe("MNIST", epochs=1, batch=128, lr=0.1, bf16=on_gpu, channels_last=on_gpu)]
    runs = [Recipe("FashionMNIST", epochs=e) for e in (8, 4, 6, 12)]  # eager first: no compile
    runs += [Recipe("MNIST", epochs=e, batch=128, lr=0.2) for e in (10, 20, 40)]
    runs += [Recipe("FashionMNIST", epochs=e, compile=True) for e in (8, 6)]
    runs += [Recipe("FashionMNIST", epochs=8, width=48, compile=True)]
    return runs


def summary(outcomes: list[Outcome]) -> dict:
    """Per dataset: the fastest run that meets its goal, else the most accurate."""
    goals = {"FashionMNIST": (0.91, 1.0), "MNIST": (0.99, math.inf)}
    best: dict = {}
    for dataset, (acc_goal, seconds_goal) in goals.items():
        runs = [o for o in outcomes if o.recipe.dataset == dataset]
        if not runs:
            continue
        met = [o for o in runs if o.test_accuracy >= acc_goal and o.train_seconds <= seconds_goal]
        pick = min(met, key=lambda o: o.train_seconds) if met else max(
            runs, key=lambda o: o.test_accuracy)
        best[dataset] = {"goal_met": bool(met), "accuracy_goal": acc_goal,
                         "seconds_goal": seconds_goal if seconds_goal != math.inf else None,
                         **_row(pick)}
    return best


def _row(o: Outcome) -> dict:
    return {**asdict(o.recipe), "train_seconds": round(o.train_seconds, 3),
            "test_accuracy": round(o.test_accuracy, 4), "steps": o.steps,
            "compile_seconds": round(o.compile_seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a few hundred images, one epoch")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    on_gpu = torch.cuda.is_available()
    device = torch.device("cuda" if on_gpu else "cpu")
    if not on_gpu:
        print("no CUDA GPU: tiny smoke run on the CPU (figures say nothing about the goals)")
    if on_gpu:
        torch.backends.cudnn.benchmark = True
    limit = 512 if (args.tiny or not on_gpu) else None
    cache: dict = {}
    outcomes: list[Outcome] = []
    failed: list[dict] = []

    def report() -> dict:  # rewritten after every run: a run cut short keeps what it measured
        result = {"device": torch.cuda.get_device_name(0) if on_gpu else "cpu",
                  "torch": torch.__version__, "tiny": bool(args.tiny or not on_gpu),
                  "runs": [_row(o) for o in outcomes], "failed": failed,
                  "best": summary(outcomes)}
        if args.json:
            args.json.write_text(json.dumps(result, indent=1) + "\n")
        return result

    print(f"{'dataset':<13} {'ep':>3} {'batch':>5} {'w':>3} {'compile':>7} {'train s':>8} "
          f"{'test acc':>8} {'warm-up s':>9}")
    for recipe in plan(args.tiny, on_gpu):
        if recipe.dataset not in cache:
            cache[recipe.dataset] = tensors(recipe.dataset, device, limit)
        try:
            o = train(recipe, cache[recipe.dataset], device)
        except Exception as exc:  # e.g. torch.compile without a working compiler: go on
            failed.append({**asdict(recipe), "error": f"{type(exc).__name__}: {exc}"[:500]})
            print(f"{recipe.dataset:<13} {recipe.epochs:>3} FAILED: {failed[-1]['error']}")
            report()
            continue
        outcomes.append(o)
        print(f"{recipe.dataset:<13} {recipe.epochs:>3} {recipe.batch:>5} {recipe.width:>3} "
              f"{str(recipe.compile):>7} {o.train_seconds:>8.3f} {o.test_accuracy:>8.2%} "
              f"{o.compile_seconds:>9.1f}", flush=True)
        report()
    for dataset, best in report()["best"].items():
        print(f"best {dataset}: {best['test_accuracy']:.2%} in {best['train_seconds']:.3f} s "
              f"({best['epochs']} epochs, compile={best['compile']}); goal met: {best['goal_met']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
