"""Checks for notebook 02 (datasets and loaders): TensorPairDataset, make_loaders, iterations."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from grader.checks.values import as_int
from grader.core import expected
from grader.core.expected import answers
from grader.core.findings import Code, Finding
from grader.core.task import Context, Task

# --------------------------------------------------------------------------- TensorPairDataset


class _Transform:
    """A per-sample transform that records the shape of every tensor it is called with.

    2·x - mean(x) + 1: the mean is the sample's own, so applying it to the whole feature tensor
    at once gives different values; the +1 makes it visible on a 0-d label too.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[int, ...]] = []

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append(tuple(x.shape))
        return _apply(x)


def _apply(x: torch.Tensor) -> torch.Tensor:
    return 2 * x - x.float().mean() + 1


def _pair_cases(strict: bool) -> list[tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(0)
    cases = [(torch.randn(7, 3, generator=gen), torch.tensor([3, 1, 4, 1, 5, 9, 2]))]
    return cases + (answers("dataloaders").pair_cases() if strict else [])


def _same(a: Any, b: torch.Tensor) -> bool:
    try:
        a = torch.as_tensor(a)
    except (TypeError, ValueError, RuntimeError):
        return False
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), atol=1e-6)


def _same_values(a: Any, b: torch.Tensor) -> bool:
    """a holds b's values, whatever its shape."""
    try:
        return _same(torch.as_tensor(a).reshape(b.shape), b)
    except (TypeError, ValueError, RuntimeError):
        return False


def _label_finding(y: Any, i: int, labels: torch.Tensor,
                   transform: _Transform | None) -> Finding | None:
    """WRONG_VALUE: if the label of dataset[i] is not labels[i] as it is."""
    if _same(y, labels[i]):
        return None
    if transform and _same(y, _apply(labels[i])):
        return Finding(Code.WRONG_VALUE, f"dataset[{i}] returned a transformed label: the "
                       "transform was applied to the labels too; it is meant for the features "
                       "only (think image augmentation: the class stays the same).")
    if _same_values(y, labels[i]):
        return Finding(Code.WRONG_VALUE, f"dataset[{i}] returned the label {y!r} of shape "
                       f"{tuple(torch.as_tensor(y).shape)}, but labels[{i}] has shape "
                       f"{tuple(labels[i].shape)}: a batch of labels would get an extra dimension.")
    return Finding(Code.WRONG_VALUE, f"dataset[{i}] returned the label {y!r}, which is not "
                   f"labels[{i}]: each sample must keep its own label.")


def _features_finding(x: Any, i: int, features: torch.Tensor,
                      transform: _Transform | None) -> Finding | None:
    """WRONG_VALUE: if the features of dataset[i] are not (transformed) features[i]."""
    def expected(j: int) -> torch.Tensor:
        return _apply(features[j]) if transform else features[j]

    if _same(x, expected(i)):
        return None
    n = len(features)
    for j in ((i - 1) % n, i + 1):  # a neighbour, wrapping around like a negative index
        if j < n and j != i and _same(x, expected(j)):
            return Finding(Code.WRONG_VALUE, f"dataset[{i}] returned the features of sample "
                           f"{j}: the index is shifted by one.")
    if transform and _same(x, features[i]):
        return Finding(Code.WRONG_VALUE, f"with a transform given, dataset[{i}] returned "
                       f"features[{i}] unchanged: the transform was ignored.")
    what = f"transform(features[{i}])" if transform else f"features[{i}]"
    return Finding(Code.WRONG_VALUE, f"dataset[{i}] returned features that differ from {what}.")


def _item_finding(ds: Any, i: int, features: torch.Tensor, labels: torch.Tensor,
                  transform: _Transform | None) -> Finding | None:
    """WRONG_VALUE: if dataset[i] is not (transform(features[i]) or features[i], labels[i])."""
    try:
        item = ds[i]
    except IndexError as exc:
        return Finding(Code.WRONG_VALUE, f"dataset[{i}] raised IndexError ({exc}) although the "
                       f"features hold {len(features)} samples: valid indices are all of "
                       "0 … len - 1.")
    if not isinstance(item, tuple | list) or len(item) != 2:
        return Finding(Code.WRONG_VALUE, f"dataset[{i}] returned a {type(item).__name__}; an "
                       "item is a (features, label) pair, which a DataLoader batches as two.")
    x, y = item
    labelled = _label_finding(y, i, labels, transform)
    if transform and labelled and _same(y, _apply(labels[i])):
        return labelled  # the transform applied to everything explains the features too
    return _features_finding(x, i, features, transform) or labelled


def _length_finding(ds: Any, features: torch.Tensor) -> Finding | None:
    """WRONG_VALUE: len(dataset) is not the number of samples."""
    n = len(ds)
    if n != len(features):
        return Finding(Code.WRONG_VALUE, f"len(dataset) is {n} for features of shape "
                       f"{tuple(features.shape)}: a DataLoader asks len() how many samples "
                       "(indices) there are, and dimension 0 of the features indexes them.")
    return None


def _transform_timing_finding(calls: list[tuple[int, ...]], at_init: int,
                              features: torch.Tensor) -> Finding | None:
    """WRONG_VALUE: when the transform ran on the whole tensor, or only while building."""
    whole = tuple(features.shape)
    if whole in calls:
        return Finding(Code.WRONG_VALUE, f"the transform was called with a tensor of shape "
                       f"{whole}, the whole feature tensor: transforms act on one sample at a "
                       "time, when that sample is read.")
    if at_init and len(calls) == at_init:
        return Finding(Code.WRONG_VALUE, f"the transform ran {at_init} times while the dataset "
                       "was being built and never when items were read: random augmentations "
                       "would then be drawn once and frozen, instead of anew every epoch.")
    return None


def _dataset_findings(cls: Any, features: torch.Tensor, labels: torch.Tensor,
                      transform: _Transform | None) -> list[Finding]:
    """WRONG_VALUE: the dataset cannot be built, or its items or length differ."""
    ds = cls(features, labels, transform=transform) if transform else cls(features, labels)
    at_init = len(transform.calls) if transform else 0
    found = _length_finding(ds, features)
    if found:
        return [found]
    for i in range(len(features)):
        found = _item_finding(ds, i, features, labels, transform)
        if found:
            break
    if transform:
        timing = _transform_timing_finding(transform.calls, at_init, features)
        found = timing or found
    if found:
        return [found]
    batches = list(DataLoader(ds, batch_size=3))  # duck typing: any __len__/__getitem__ works
    xs, ys = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
    want = torch.stack([_apply(f) for f in features]) if transform else features
    if not (_same(xs, want) and _same(ys, labels)):
        return [Finding(Code.WRONG_VALUE, "a DataLoader over the dataset did not yield the "
                        "samples and labels in the dataset's order.")]
    return []


def check_tensor_pair_dataset(cls: Any, ctx: Context) -> list[Finding]:
    """TensorPairDataset(features, labels, transform=None): item i = (transform(x_i) or x_i, y_i).

    WRONG_VALUE  len() is not the number of samples (e.g. the feature dimension); an index that
                 raises IndexError or is shifted by one; an item that is not a pair; a transform
                 ignored, applied to the labels, called with the whole feature tensor, or run only
                 while the dataset is built (random augmentation would be frozen). The transform
                 is a recording one whose result depends on the sample's own mean, so applying it
                 to the whole tensor is seen in the values too. Subclassing Dataset is not
                 required: a DataLoader needs only __len__ and __getitem__ (checked by batching).
    """
    for features, labels in _pair_cases(ctx.strict):
        for transform in (None, _Transform()):
            findings = _dataset_findings(cls, features, labels, transform)
            if findings:
                return findings
    return []


# --------------------------------------------------------------------------- make_loaders


class _Numbered(Dataset):
    """Items are their own numbers: offset + index, so a batch shows which samples it holds."""

    def __init__(self, size: int, offset: int) -> None:
        self.size, self.offset = size, offset

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> torch.Tensor:
        if not 0 <= index < self.size:
            raise IndexError(index)
        return torch.tensor(self.offset + index)


_TEST_OFFSET = 1000  # test items are 1000, 1001, ...; train items 0, 1, ...


def _epoch(loader: Any) -> list[list[int]]:
    """One pass over a loader: the numbers of the samples in each batch."""
    batches = []
    for batch in loader:
        t = batch[0] if isinstance(batch, list | tuple) else batch
        batches.append([int(v) for v in torch.as_tensor(t).reshape(-1).tolist()])
    return batches


def _flat(batches: list[list[int]]) -> list[int]:
    return [v for b in batches for v in b]


def _coverage_finding(label: str, seen: list[int], wanted: list[int], bs: int) -> Finding | None:
    """WRONG_VALUE: an epoch misses or repeats samples."""
    if sorted(seen) == wanted:
        return None
    n, m = len(seen), len(wanted)
    if n < m and len(set(seen)) == n and set(seen) <= set(wanted) and m - n < bs:
        lost = "some samples are left out of every epoch" if label == "training" \
            else "those samples are never evaluated"
        return Finding(Code.WRONG_VALUE, f"{n} samples of {m} were seen in one epoch of the "
                       f"{label} loader: the last, incomplete batch was dropped, so {lost}.")
    return Finding(Code.WRONG_VALUE, f"one epoch of the {label} loader yielded {n} samples "
                   f"({n - len(set(seen))} repeated) for a dataset of {m}: every sample should "
                   "appear exactly once per epoch.")


def _batch_size_finding(label: str, batches: list[list[int]], bs: int) -> Finding | None:
    """HARDCODED_BATCH_SIZE: the batches ignore batch_size."""
    sizes = [len(b) for b in batches]
    if all(s == bs for s in sizes[:-1]) and sizes and 0 < sizes[-1] <= bs:
        return None
    shown = ", ".join(map(str, sizes[:6])) + (", …" if len(sizes) > 6 else "")
    return Finding(Code.HARDCODED_BATCH_SIZE, f"with batch_size={bs}, the {label} loader gave "
                   f"batches of sizes [{shown}]: the batch size asked for was not used.")


def _order_findings(train: list[list[list[int]]], test: list[int]) -> list[Finding]:
    """SHUFFLE_SETTINGS: train order fixed (sorted, or the same every epoch), test order mixed."""
    findings = []
    first, second = _flat(train[0]), _flat(train[1])
    if first == sorted(first):
        findings.append(Finding(Code.SHUFFLE_SETTINGS, "the training loader yields the samples in "
                        "their stored order (0, 1, 2, …): every epoch sees the same batches in "
                        "the same order, and sorted data (e.g. by class) gives biased batches."))
    elif first == second:
        findings.append(Finding(Code.SHUFFLE_SETTINGS, "the training loader gave the same order in "
                        "two epochs: the data was shuffled once, not reshuffled every epoch."))
    if test != sorted(test):
        findings.append(Finding(Code.SHUFFLE_SETTINGS, f"the test loader yields the samples in a "
                        f"mixed order (starting {test[:4]}): evaluation should read the data in "
                        "a fixed order, so results are reproducible and predictions line up with "
                        "the dataset's samples."))
    return findings


def _call(fn: Any, n_train: int, n_test: int, bs: int | None) -> Any:
    train_ds, test_ds = _Numbered(n_train, 0), _Numbered(n_test, _TEST_OFFSET)
    return fn(train_ds, test_ds) if bs is None else fn(train_ds, test_ds, bs)


def _loader_findings(fn: Any, n_train: int, n_test: int, bs: int) -> list[Finding]:
    """WRONG_VALUE: make_loaders did not return two loaders, or they cover the wrong samples."""
    result = _call(fn, n_train, n_test, bs)
    if not isinstance(result, tuple | list) or len(result) != 2:
        return [Finding(Code.WRONG_VALUE, f"make_loaders returned a {type(result).__name__}; it "
                        "should return two loaders, (train_loader, test_loader).")]
    torch.manual_seed(0)
    train = [_epoch(result[0]), _epoch(result[0])]  # two epochs: is it reshuffled?
    test = _epoch(result[1])
    train_seen, test_seen = _flat(train[0]), _flat(test)
    if train_seen and min(train_seen) >= _TEST_OFFSET and test_seen and max(test_seen) < n_train:
        return [Finding(Code.WRONG_VALUE, "the first loader make_loaders returned reads the test "
                        "dataset and the second the training dataset: the pair comes back in the "
                        "wrong order.")]
    test_wanted = list(range(_TEST_OFFSET, _TEST_OFFSET + n_test))
    findings = [
        _coverage_finding("training", train_seen, list(range(n_train)), bs),
        _coverage_finding("test", test_seen, test_wanted, bs),
        _batch_size_finding("training", train[0], bs),
        _batch_size_finding("test", test, bs),
    ]
    return [f for f in findings if f] + _order_findings(train, test_seen)


def _default_batch_findings(fn: Any) -> list[Finding]:
    """WRONG_VALUE: when make_loaders(train, test) does not batch by the signature's default."""
    loaders = _call(fn, 150, 70, None)
    sizes = [len(b) for b in _epoch(loaders[0])]
    if sizes[:2] == [64, 64]:
        return []
    shown = ", ".join(map(str, sizes[:6])) + (", …" if len(sizes) > 6 else "")
    return [Finding(Code.WRONG_VALUE, f"called without batch_size, make_loaders gave training "
                    f"batches of sizes [{shown}] for 150 samples: check the default value of "
                    "batch_size against the signature given.")]


def check_make_loaders(fn: Any, ctx: Context) -> list[Finding]:
    """make_loaders(train_dataset, test_dataset, batch_size=64) -> (train_loader, test_loader).

    Behavioural, on datasets whose items are their own numbers (train 0.., test 1000..):
    SHUFFLE_SETTINGS      train loader in stored order or the same order in two epochs;
                          test loader not in stored order.
    WRONG_VALUE           samples missing ("N samples of M were seen": drop_last) or repeated;
                          the pair returned as (test, train); the default batch size is not 64.
    HARDCODED_BATCH_SIZE  batches (train or test) not of the requested size (8; strict also 5).
    """
    for n_train, n_test, bs in ((50, 23, 8),) + (answers("dataloaders").LOADER_CASES
                                                if ctx.strict else ()):
        findings = _loader_findings(fn, n_train, n_test, bs)
        if findings:
            return findings
    return _default_batch_findings(fn)


# --------------------------------------------------------------------------- iterations_per_epoch

_ITER_CASES = ((100, 10, False), (101, 10, False), (101, 10, True), (5, 10, False),
               (5, 10, True), (60000, 64, False), (60000, 64, True))


def _iterations(n: int, bs: int, drop_last: bool) -> int:
    """The right number of iterations (from the answers, or the kit's recording)."""
    return expected.expected("dataloaders.iterations_per_epoch", f"{n},{bs},{drop_last}",
                             lambda: answers("dataloaders").iterations_per_epoch(n, bs, drop_last))


def _iterations_reason(drop_last: bool, value: int, other: int) -> str:
    """Why `value` is wrong when it is the right count for the other drop_last setting."""
    if value != other:
        return ""
    if drop_last:
        return "; with drop_last=True the last, incomplete batch is not yielded"
    return "; without drop_last a DataLoader also yields the last, smaller batch"


def check_iterations_per_epoch(fn: Any, ctx: Context) -> list[Finding]:
    """WRONG_VALUE: iterations_per_epoch(num_samples, batch_size, drop_last=False) -> int.

    WRONG_VALUE  on divisible and non-divisible sizes, a dataset smaller than one batch, with and
                 without drop_last: a result that is right for the other drop_last setting (the
                 last batch counted or dropped the wrong way, or the argument ignored), and a
                 float result (whole floats such as 10.0 too).
    """
    cases = _ITER_CASES + (answers("dataloaders").ITERATION_CASES if ctx.strict else ())
    wanted = {(n, bs, drop): _iterations(n, bs, drop) for n, bs, d in cases
              for drop in (d, not d)}
    for n, bs, drop_last in cases:
        got = fn(n, bs, drop_last=True) if drop_last else fn(n, bs)
        call = f"iterations_per_epoch({n}, {bs}{', drop_last=True' if drop_last else ''})"
        value = as_int(got)
        if value is None:
            return [Finding(Code.WRONG_VALUE, f"{call} returned {got!r}, a {type(got).__name__}: "
                            "a number of iterations is a whole number, so it should be an int.")]
        if value != wanted[n, bs, drop_last]:
            reason = _iterations_reason(drop_last, value, wanted[n, bs, not drop_last])
            return [Finding(Code.WRONG_VALUE, f"{call} returned {value}{reason}.")]
    return []


TASKS: list[Task] = [
    Task(
        id="dataloaders.TensorPairDataset", name="TensorPairDataset",
        check=check_tensor_pair_dataset, points=4,
        hint="A Dataset answers two questions: how many samples are there (__len__), and what "
             "is sample i (__getitem__)? Transform one sample's features when it is read.",
        catches=(Code.WRONG_VALUE,),
    ),
    Task(
        id="dataloaders.make_loaders", name="make_loaders", check=check_make_loaders, points=4,
        hint="Training wants a new random order every epoch; evaluation wants a fixed order and "
             "every sample, including those in the last, smaller batch.",
        catches=(Code.SHUFFLE_SETTINGS, Code.WRONG_VALUE, Code.HARDCODED_BATCH_SIZE),
    ),
    Task(
        id="dataloaders.iterations_per_epoch", name="iterations_per_epoch",
        check=check_iterations_per_epoch, points=2,
        hint="One iteration per batch: how many batches does a DataLoader make from num_samples, "
             "and what happens to a last batch that is not full?",
        catches=(Code.WRONG_VALUE,),
    ),
]
