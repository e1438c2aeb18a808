#!/usr/bin/env bash
# The GPU proof in one command, from the repository root: does the course run, and grade, on CUDA?
#
#   bash bench/gpu_proof.sh             # log and summary in $OUT, or ./gpu-out when OUT is unset
#
# (a) nvidia-smi, Python, torch and package versions
# (b) the fixture suite (tests/test_fixtures.py) on cpu and, where a GPU is, on cuda; with it the
#     device tests (tests/test_devices.py) and the runner's (tests/test_runner.py)
# (c) device mistakes: every fail_DEVICE_MISMATCH fixture and every passing MNIST fixture, their
#     codes on each device, visible and hidden
# (d) notebook 05 (solutions/) executed under nbclient: time and test accuracy; then the fast
#     path (bench/gpu_fast.py): FashionMNIST >= 91 % in <= 1 s of training, MNIST to >= 99 %
# (e) nbgrader autograde of notebook 05 for two sample students (the solutions, and one who never
#     moves the batches), and every task's check latency on cpu and cuda
#
# Where no GPU is, every CUDA part is skipped and the log says so. A machine with no package index
# gets its missing packages from .whl/ (bench/gpu_wheels.sh) and its data from .gpu-data/
# (bench/gpu_data.sh) when they are there. Each step has its own time limit, and a failing step does
# not stop the others; all steps together stay within BUDGET seconds (default 540 on a GPU host,
# for a 600 s slot); the exit status is that of the first step that failed or was cut short.
# Results: $OUT/gpu_proof.log (everything), $OUT/summary.json and $OUT/summary.md.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
WORK=$(mktemp -d)
LOG=$OUT/gpu_proof.log
: >"$LOG"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
PY=${PYTHON:-python3}
[ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ] && PY=.venv/bin/python
STATUS=0
# Step limits are sized for an H100/H200 host; without a GPU (a smoke run) they stretch SCALE-fold.
SCALE=${SCALE:-$(command -v nvidia-smi >/dev/null && echo 1 || echo 4)}
DEADLINE=$(($(date +%s) + ${BUDGET:-$((540 * SCALE))}))

say() { echo "== $*" | tee -a "$LOG"; }

step() {  # step NAME SECONDS COMMAND...: run with a time limit, log it, remember a failure
  local name=$1 limit=$2 left=$((DEADLINE - $(date +%s))) start rc
  shift 2
  if [ "$left" -lt 20 ]; then
    say "$name: SKIPPED, the time budget is spent"
    [ "$STATUS" = 0 ] && STATUS=124
    return
  fi
  limit=$((limit * SCALE))
  [ "$limit" -gt "$left" ] && limit=$left
  say "$name (limit ${limit}s): $*"
  start=$(date +%s%N)
  timeout --kill-after=5 "$limit" "$@" 2>&1 | tee -a "$LOG"
  rc=${PIPESTATUS[0]}
  say "$name: exit $rc after $((($(date +%s%N) - start) / 1000000)) ms"
  if [ "$rc" != 0 ] && [ "$STATUS" = 0 ]; then STATUS=$rc; fi
}

# --- packages and data for a machine without an index ---------------------------------------
WHL=${WHL:-.whl} SITE=${SITE:-/tmp/site}  # where the wheels are, where they are installed
if compgen -G "$WHL/*.whl" >/dev/null; then
  say "installing $(ls "$WHL"/*.whl | wc -l) wheels from $WHL/ into $SITE"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$WHL"/*.whl 2>&1 | grep -v -i "warning" | tee -a "$LOG"
  export PYTHONPATH=$SITE${PYTHONPATH:+:$PYTHONPATH} PATH=$SITE/bin:$PATH
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}  # `import grader`, in kernels too
if [ -f .gpu-data/MANIFEST.json ] && [ ! -f data_cache/MANIFEST.json ]; then
  say "unpacking .gpu-data/ into data_cache/"
  "$PY" - <<'PYTHON' 2>&1 | tee -a "$LOG"
import lzma
from pathlib import Path

for packed in Path(".gpu-data").rglob("*.xz"):
    target = Path("data_cache") / packed.relative_to(".gpu-data").with_suffix("")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(lzma.decompress(packed.read_bytes()))
Path("data_cache/MANIFEST.json").write_text(Path(".gpu-data/MANIFEST.json").read_text())
PYTHON
fi

# --- (a) the machine ------------------------------------------------------------------------
if command -v nvidia-smi >/dev/null; then
  step nvidia-smi 30 nvidia-smi
else
  say "nvidia-smi: not found, no NVIDIA driver on this machine: CUDA parts will be skipped"
fi
step env 60 "$PY" bench/gpu_proof.py env --work "$WORK"
step data 60 "$PY" -c "
from grader import data
ok = all(data.is_ready(d) for d in data.SOURCES)
print(data.describe()); raise SystemExit(0 if ok else 'data_cache/ is not complete')"

# --- (b) the fixture suite on every device --------------------------------------------------
step pytest 180 "$PY" -m pytest -q -rs -p no:cacheprovider tests/test_fixtures.py \
  tests/test_devices.py tests/test_runner.py --junitxml="$WORK/junit.xml"
"$PY" - "$WORK" <<'PYTHON' 2>&1 | tee -a "$LOG"
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

work = Path(sys.argv[1])
counts = Counter()
if (work / "junit.xml").is_file():
    for case in ET.parse(work / "junit.xml").iter("testcase"):
        name = case.get("name", "")  # test_x[fixture-visible-cuda], test_y_on_cuda[case]
        on_cuda = re.search(r"[\[-]cuda[\]-]", name) or name.split("[")[0].endswith("_on_cuda")
        device = "cuda" if on_cuda else "cpu"
        kinds = {child.tag for child in case}
        outcome = ("failed" if kinds & {"failure", "error"} else
                   "skipped" if "skipped" in kinds else "passed")
        counts[f"{device} {outcome}"] += 1
print("pytest by device:", dict(sorted(counts.items())))
(work / "pytest.json").write_text(json.dumps(dict(sorted(counts.items()))) + "\n")
PYTHON

# --- (c) device mistakes ---------------------------------------------------------------------
step devices 90 "$PY" bench/gpu_proof.py devices --work "$WORK"

# --- (d) notebook 05 and the fast path ------------------------------------------------------
step notebook 150 "$PY" bench/gpu_proof.py notebook --work "$WORK"
step fast 200 "$PY" bench/gpu_fast.py --json "$WORK/fast.json"

# --- (e) autograde and check latency --------------------------------------------------------
step autograde 150 "$PY" bench/gpu_proof.py autograde --work "$WORK"
step latency 60 "$PY" bench/gpu_proof.py latency --work "$WORK"

"$PY" bench/gpu_proof.py summary --work "$WORK" --out "$OUT" 2>&1 | tee -a "$LOG"
"$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" ||
  say "NO GPU: every CUDA part above was skipped; the figures are CPU figures"
say "done, exit $STATUS; results in $OUT"
exit "$STATUS"
