#!/usr/bin/env bash
# Pack data_cache/ (after `make data`) into .gpu-data/ for a machine that cannot fetch it: every
# raw file the manifest lists, xz-compressed, and MANIFEST.json itself. bench/gpu_proof.sh unpacks
# it into data_cache/ when that is empty; the manifest's sizes then prove the files whole.
#
#   bash bench/gpu_data.sh              # -> .gpu-data/, prints the total size
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && PY=${PYTHON:-.venv/bin/python}
rm -rf .gpu-data
"$PY" - <<'PYTHON'
import json
import lzma
from pathlib import Path

src, dst = Path("data_cache"), Path(".gpu-data")
manifest = json.loads((src / "MANIFEST.json").read_text())
for entry in manifest.values():
    for rel in entry["files"]:
        out = dst / f"{rel}.xz"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(lzma.compress((src / rel).read_bytes(), preset=9))
(dst / "MANIFEST.json").write_text((src / "MANIFEST.json").read_text())
PYTHON
echo "$(find .gpu-data -type f | wc -l) files, $(du -sb .gpu-data | cut -f1) bytes in .gpu-data/"
