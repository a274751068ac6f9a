#!/usr/bin/env bash
# The GPU lane on a bare CUDA machine without internet (PyTorch present, no Jupyter, no data).
# Every notebook runs in full mode on CUDA under nbval; the result is a report with the date,
# the GPU, torch's version and seconds and pass/fail per notebook.
#
#   bash tools/gpu_lane.sh pack DATASETS...    # on a machine with PyPI and the offline mirror:
#                                               # wheels + data into .carry/ (git-ignored)
#   bash tools/gpu_lane.sh run [NOTEBOOKS...]   # on the GPU machine, from the repo root, with
#                                               # .carry/ beside it: install, prepare, test, report
#   bash tools/gpu_lane.sh bench                # on the GPU machine: the speed benchmark of chapter 7
#                                               # beside airbench94 (bench/bench.py) -> $OUT/h100.{json,md}
#   bash tools/gpu_lane.sh report XML...        # merge the JUnit files of several runs
#
# DATASETS are any of: mnist fashion-mnist cifar10 shakespeare. A machine that accepts at most
# 64 MiB of carried files (this project's `device` tool) takes the wheels (20 MB) with MNIST,
# CIFAR-10 and Tiny Shakespeare (32 MB) in one call and with MNIST and Fashion-MNIST (42 MB) in another:
#   pack mnist cifar10 shakespeare ; run $(ls chapters/0[1-5]*/*.ipynb | grep -v 05_5_)
#                                    run $(ls chapters/0[6-9]*/*.ipynb)   and  bench
#   pack mnist fashion-mnist       ; run chapters/05_practice/05_5_fashion_mnist.ipynb
# (two runs for chapters 1-9 keep each call under a 10-minute limit: the CPU dry run of all pages
# takes about 15 minutes, reports/cpu-full-lane.md). Each run writes $OUT/gpu-junit.xml: keep
# them all, then   report junit-1.xml junit-2.xml junit-3.xml -> reports/gpu-lane.md
# On a GPU machine with internet and the project's venv, `make test-gpu` does all of this.
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=.carry
SHARED_DATA=${SHARED_DATA:-../shared/data}
FASHION=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
PYTHON=${PYTHON:-python3}
DEVICE=${GPU_LANE_DEVICE:-cuda}   # cpu: a dry run of the same steps on a machine without a GPU
OUTDIR=${OUT:-reports}

pack() {
  rm -rf "$CARRY" && mkdir -p "$CARRY/wheels" "$CARRY/data"
  # Python 3.12 x86-64 wheels of nbval and a Jupyter kernel with their dependencies.
  "$PYTHON" -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d "$CARRY/wheels" nbval ipykernel pyyaml
  # page 7.3's libraries, pure Python: without their dependencies, which would pull a second torch
  "$PYTHON" -m pip download -q --only-binary=:all: --no-deps --python-version 3.12 -d "$CARRY/wheels" \
    torchmetrics lightning pytorch-lightning lightning-utilities fsspec tqdm typing-extensions packaging
  # the peer of chapter 7's speed run, a pure-Python sdist: built into a wheel here
  "$PYTHON" -m pip wheel -q --no-deps -w "$CARRY/wheels" airbench==0.1.8
  for set in "$@"; do
    case "$set" in
      mnist) mkdir -p "$CARRY/data/MNIST/raw" && cp "$SHARED_DATA"/MNIST/raw/*.gz "$CARRY/data/MNIST/raw/" ;;
      cifar10) cp "$SHARED_DATA/cifar10-jpeg.tar.gz" "$CARRY/data/" ;;
      shakespeare) mkdir -p "$CARRY/data/tinyshakespeare" && cp "$SHARED_DATA/tinyshakespeare/input.txt" "$CARRY/data/tinyshakespeare/" ;;
      fashion-mnist) mkdir -p "$CARRY/data/fashion-mnist" && cp "$FASHION"/*.gz "$CARRY/data/fashion-mnist/" ;;
      *) echo "unknown data set '$set' (mnist fashion-mnist cifar10 shakespeare)" >&2; exit 2 ;;
    esac
  done
  du -sh "$CARRY"
}

setup() {  # install the carried wheels (on a bare machine) and prepare the carried data
  [ -d "$CARRY/data" ] || { echo "no $CARRY/data: run 'bash tools/gpu_lane.sh pack ...' first" >&2; exit 2; }
  local site=/tmp/gpu-lane-site
  if ! "$PYTHON" -c "import nbval, ipykernel, yaml, torchmetrics, lightning" 2>/dev/null; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --upgrade --target "$site" "$CARRY"/wheels/*.whl
  fi
  export PYTHONPATH="$site:$PWD/code${PYTHONPATH:+:$PYTHONPATH}" PATH="$site/bin:$PATH"
  export TORCHBOOK_DATA=/tmp/gpu-lane-data TORCHBOOK_OFFLINE=1 TORCHBOOK_DEVICE=$DEVICE
  set -a; . tools/notebook.env; set +a  # the notebooks' environment, as in the Makefile's NB_ENV
  "$PYTHON" -m torchbook.data prepare --from "$CARRY/data" --fashion-mnist "$CARRY/data/fashion-mnist"
  "$PYTHON" -c "import torch; from torchbook import runtime; print(runtime.environment())"
}

bench() {
  setup
  mkdir -p "$OUTDIR"
  env -u OMP_NUM_THREADS "$PYTHON" bench/bench.py --device "$DEVICE" --epochs 5 --speedrun 5 --airbench 5 \
    --out "$OUTDIR/h100"
}

run() {
  setup
  export TORCHBOOK_MODE=full
  mkdir -p "$OUTDIR"
  local junit="$OUTDIR/gpu-junit.xml" status=0
  # nbval's settings come from pyproject.toml, as in `make nbval`
  "$PYTHON" -m pytest --nbval --junitxml="$junit" "${@:-chapters}" || status=$?
  local title="GPU lane report"
  [ "$DEVICE" = cpu ] && title="Full-mode lane report (dry run on the CPU)"
  "$PYTHON" tools/gpu_report.py "$junit" --out "$OUTDIR/gpu-lane.md" --mode full --title "$title"
  return $status
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  bench) shift; bench ;;
  report) shift; "$PYTHON" tools/gpu_report.py "$@" --out reports/gpu-lane.md --mode full ;;
  *) sed -n '2,23p' "$0"; exit 2 ;;
esac
