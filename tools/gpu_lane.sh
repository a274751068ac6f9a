#!/usr/bin/env bash
# The GPU lane: every notebook in full mode on CUDA under nbval, the speed benchmark of chapter 7
# beside airbench94, and the executed notebooks of the device-dependent pages brought back.
#
# The runner this project can use: one NVIDIA H200, lent only at times, for 15 minutes of machine
# time in all (its start of 1-2 minutes, every command and idle time counted); a command runs at
# most 10 minutes, sends at most 64 MiB (working tree included), returns at most 8 files; the
# machine stays warm 30 s between commands. The plan therefore is ONE pack here and TWO prepared
# calls there, back to back (the second within 30 s, on the warm machine), under 12 minutes
# together including the start:
#
#   here:   bash tools/gpu_lane.sh pack          # .carry/wheels (trimmed) + .carry/data1 + .carry/data2,
#                                                # prints what each call sends (must be <= 64 MiB)
#   call 1: carry [.carry/wheels, .carry/data1]  command: OUT=$OUT bash tools/gpu_lane.sh call 1
#           the pages on MNIST, Fashion-MNIST, Tiny Shakespeare and synthetic data
#   call 2: carry [.carry/wheels, .carry/wheels2, .carry/data2]  command: OUT=$OUT bash tools/gpu_lane.sh call 2
#           the CIFAR-10 pages and those whose libraries travel in wheels2 (CALL2 below), then the
#           benchmark alone on the machine (bench/bench.py -> gpu.{json,md})
#   here:   bash tools/gpu_lane.sh report junit-1.xml junit-2.xml       # -> reports/gpu-lane.{md,json}
#           bash tools/gpu_lane.sh unpack notebooks-1.tar notebooks-2.tar
#                 # the GPU-executed device-dependent pages (DEVICE_PAGES) into chapters/, and where
#                 # their outputs come from into reports/outputs.json
#           cp gpu.json gpu.md bench/reports/   then   make execute NB=chapters/07_tools/07_1_speed.ipynb
#
# Each call returns at most 5 files: junit-N.xml, notebooks-N.tar, lane-N.log (and in call 2
# gpu.json, gpu.md). Inside a call the notebooks run in parallel (pytest-xdist, which the H200 image
# has: -n $GPU_LANE_WORKERS, one file per worker, one CPU thread per kernel as in tools/notebook.env).
#
# Measured dry runs on the CPU (this script with GPU_LANE_DEVICE=cpu on the 2-core development
# machine; the H200 box has 16 cores and the GPU, so these are upper bounds for the CPU-bound pages):
#   - full mode, all 29 pages one after another: 931 s (reports/cpu-full-lane.md, 2026-11-23);
#     the longest page alone: 6.1 at 170 s, then 5.5 at 133 s and 5.4 at 126 s.
#   - the plumbing of both calls in fast mode (`dryrun`: GPU_LANE_MODE=fast GPU_LANE_DEVICE=cpu, 2
#     workers, 2026-12-02, 34 pages): call 1 177 s (26 pages, 613 cells, all pass), call 2 118 s
#     (8 pages and the bench's rows a and b1), each returning the files listed above.
# With 6 workers, call 1 (about 25 pages) and call 2's pages are each bounded by their longest page
# plus setup (about 1 minute: wheels, data preparation); the benchmark is sized to about 4 minutes
# (--epochs 2, 3 speed runs, 3 airbench94 runs).
#
# Other commands: `dryrun` (both calls here in fast mode on the CPU, OUT=/tmp/gpu-lane-dryrun),
# `pages N` (print the pages of call N). On a GPU machine with internet and the project's venv,
# `make test-gpu` runs the notebooks in one go instead.
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=.carry
SHARED_DATA=${SHARED_DATA:-../shared/data}
FASHION=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
PYTHON=${PYTHON:-python3}
DEVICE=${GPU_LANE_DEVICE:-cuda}  # cpu: a dry run of the same steps on a machine without a GPU
MODE=${GPU_LANE_MODE:-full}
WORKERS=${GPU_LANE_WORKERS:-6}
OUTDIR=${OUT:-reports}
LIMIT_MIB=64
# Pages whose outputs depend on the device (they train longer on CUDA, or report its speed): they
# are executed there in place and come back in notebooks-N.tar, so the book shows what a GPU gives.
DEVICE_PAGES="chapters/06_applications/06_1_vision.ipynb chapters/06_applications/06_2_sequence_models.ipynb chapters/07_tools/07_1_speed.ipynb"
# Wheels the H200 image lacks (device/KINDS.md lists what it has: pytest, pytest-xdist, pyyaml,
# psutil, pygments, packaging, attrs, coverage, torchmetrics, lightning, tensorboard, onnx,
# onnxruntime, onnxscript, ...). Optional imports that nbval never needs are left out on purpose:
# debugpy (the kernel's debugger), jedi and parso (tab completion).
WANT="nbval ipykernel"
NODEPS="myst-nb docutils"  # myst_nb.glue (the pages glue their results) needs only these two
# The libraries of pages 6.3 (gymnasium), 6.5 (espeakng-loader, 10 MB) and 7.4 (torchao) that the
# image lacks travel in .carry/wheels2, with call 2 only, so that neither call passes 64 MiB.
EXTRA="gymnasium farama-notifications espeakng-loader torchao"
# A page runs in call 2 when its code names one of these (CIFAR-10, or a library of wheels2), else
# in call 1, which alone carries Fashion-MNIST and Tiny Shakespeare (tests/test_tools.py checks that
# no page needs both).
CALL2="cifar10( gymnasium speech. deploy."
DEVICE_HAS="pytest pluggy iniconfig packaging typing_extensions attrs psutil pyyaml pygments python_dateutil six coverage"
NOT_NEEDED="debugpy jedi parso"

pages() {  # the notebooks of call $1 (see CALL2 above); call 1 = the rest
  local call=$1 nb
  for nb in chapters/*/*.ipynb; do
    local needs=1
    "$PYTHON" - "$nb" "$CALL2" <<'PY' && needs=2
import json, sys
nb = json.load(open(sys.argv[1]))
code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
sys.exit(0 if any(marker in code for marker in sys.argv[2].split()) else 1)
PY
    if [ "$needs" = "$call" ]; then echo "$nb"; fi
  done
}

tree_bytes() {  # what every call sends besides the carried paths: tracked and untracked-not-ignored files
  { git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2>/dev/null || true; } | tail -1 | cut -f1
}

pack() {
  rm -rf "$CARRY" && mkdir -p "$CARRY/wheels" "$CARRY/wheels2" "$CARRY/data1" "$CARRY/data2"
  local py="--only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64"
  # shellcheck disable=SC2086
  "$PYTHON" -m pip download -q $py -d "$CARRY/wheels" $WANT
  # shellcheck disable=SC2086
  "$PYTHON" -m pip download -q $py --no-deps -d "$CARRY/wheels" $NODEPS
  # shellcheck disable=SC2086
  "$PYTHON" -m pip download -q $py --no-deps -d "$CARRY/wheels2" $EXTRA
  "$PYTHON" -m pip wheel -q --no-deps -w "$CARRY/wheels2" airbench==0.1.8  # the peer of 7.1's speed run (an sdist)
  local name
  for name in $DEVICE_HAS $NOT_NEEDED; do rm -f "$CARRY/wheels/${name}"-[0-9]*.whl; done
  # call 1's data: MNIST, Fashion-MNIST, Tiny Shakespeare; call 2's: MNIST (the bench's MLP), CIFAR-10
  mkdir -p "$CARRY/data1/MNIST/raw" "$CARRY/data2/MNIST/raw" "$CARRY/data1/fashion-mnist" "$CARRY/data1/tinyshakespeare"
  cp "$SHARED_DATA"/MNIST/raw/*.gz "$CARRY/data1/MNIST/raw/"
  cp "$SHARED_DATA"/MNIST/raw/*.gz "$CARRY/data2/MNIST/raw/"
  cp "$FASHION"/*.gz "$CARRY/data1/fashion-mnist/"
  cp "$SHARED_DATA/tinyshakespeare/input.txt" "$CARRY/data1/tinyshakespeare/"
  cp "$SHARED_DATA/cifar10-jpeg.tar.gz" "$CARRY/data2/"
  local tree wheels extra status=0 call data total
  tree=$(tree_bytes); wheels=$(du -sb "$CARRY/wheels" | cut -f1); extra=$(du -sb "$CARRY/wheels2" | cut -f1)
  echo "working tree: $((tree / 1048576)) MiB; wheels: $((wheels / 1048576)) MiB, wheels2: $((extra / 1048576)) MiB"
  for call in 1 2; do
    data=$(du -sb "$CARRY/data$call" | cut -f1); total=$(((tree + wheels + data + (call - 1) * extra) / 1048576))
    echo "call $call sends $total MiB (data $((data / 1048576)) MiB; limit $LIMIT_MIB MiB): $(pages "$call" | wc -l) pages"
    [ "$total" -lt "$LIMIT_MIB" ] || { echo "call $call is over the limit" >&2; status=2; }
  done
  return $status
}

setup() {  # $1 = call: install the carried wheels (on a bare machine), prepare that call's data
  local call=$1 site=/tmp/gpu-lane-site
  [ -d "$CARRY/data$call" ] || { echo "no $CARRY/data$call: run 'bash tools/gpu_lane.sh pack' here first" >&2; exit 2; }
  if ! "$PYTHON" -c "import nbval, ipykernel, myst_nb" 2>/dev/null; then
    local wheels=("$CARRY"/wheels/*.whl)
    [ "$call" = 2 ] && wheels+=("$CARRY"/wheels2/*.whl)
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --upgrade --target "$site" "${wheels[@]}"
  fi
  export PYTHONPATH="$site:$PWD/code${PYTHONPATH:+:$PYTHONPATH}" PATH="$site/bin:$PATH"
  export TORCHBOOK_DATA=${GPU_LANE_DATA:-/tmp/gpu-lane-data} TORCHBOOK_OFFLINE=1 TORCHBOOK_DEVICE=$DEVICE
  set -a; . tools/notebook.env; set +a  # the notebooks' environment, as in the Makefile's NB_ENV
  export IPYTHONDIR="$PWD/$IPYTHONDIR"
  local fashion=()
  [ -d "$CARRY/data$call/fashion-mnist" ] && fashion=(--fashion-mnist "$CARRY/data$call/fashion-mnist")
  "$PYTHON" -m torchbook.mirror prepare --from "$CARRY/data$call" "${fashion[@]}"
  "$PYTHON" -c "from torchbook import runtime; print(runtime.environment())"
}

call() {  # $1 = 1 or 2: the pages of that call under nbval; device pages executed first; call 2 benches
  local call=$1 status=0 nb
  mkdir -p "$OUTDIR"
  exec > >(tee "$OUTDIR/lane-$call.log") 2>&1
  local start=$SECONDS
  setup "$call"
  export TORCHBOOK_MODE=$MODE
  mapfile -t nbs < <(pages "$call")
  local executed=()
  for nb in $DEVICE_PAGES; do
    [[ " ${nbs[*]} " == *" $nb "* ]] && executed+=("$nb")
  done
  if ((${#executed[@]})); then  # in place, in parallel: their outputs become the committed ones
    # their provenance (tools/provenance.py) travels in the tar as outputs-N.json; unpack merges it
    printf '%s\n' "${executed[@]}" | xargs -P "$WORKERS" -I{} "$PYTHON" tools/execute.py {} \
      --outputs-report "$OUTDIR/outputs-$call.json" || status=$?
    local provenance=()
    [ -f "$OUTDIR/outputs-$call.json" ] && provenance=(-C "$OUTDIR" "outputs-$call.json")
    tar -cf "$OUTDIR/notebooks-$call.tar" "${executed[@]}" "${provenance[@]}"
  fi
  echo "setup and device pages: $((SECONDS - start)) s"
  # nbval's settings come from pyproject.toml, as in `make nbval`; one notebook per worker
  "$PYTHON" -m pytest --nbval -n "$WORKERS" --dist loadfile --junitxml="$OUTDIR/junit-$call.xml" "${nbs[@]}" || status=$?
  echo "notebooks: $((SECONDS - start)) s"
  if [ "$call" = 2 ]; then  # alone on the machine, after the notebooks
    local bench=(--epochs 2 --speedrun 3 --airbench 3)
    [ "$MODE" = fast ] && bench=(--epochs 1 --limit 2000 --test-limit 1000 --tasks mlp --rows a,b1)
    env -u OMP_NUM_THREADS "$PYTHON" bench/bench.py --device "$DEVICE" "${bench[@]}" --out "$OUTDIR/gpu" || status=$?
    echo "bench: $((SECONDS - start)) s"
  fi
  return $status
}

dryrun() {  # both calls here, fast mode, CPU: checks the plumbing and times it
  local out=/tmp/gpu-lane-dryrun t0=$SECONDS status=0
  # the calls execute DEVICE_PAGES in place (on the runner that is a copy): here they are restored after
  # shellcheck disable=SC2086
  if [ -n "$(git status --porcelain -- $DEVICE_PAGES)" ]; then
    echo "dryrun rewrites $DEVICE_PAGES in place: commit or stash their changes first" >&2; return 2
  fi
  rm -rf "$out"
  for c in 1 2; do
    OUT="$out" GPU_LANE_DEVICE=cpu GPU_LANE_MODE=fast GPU_LANE_WORKERS=2 GPU_LANE_DATA=/tmp/gpu-lane-dryrun-data \
      PYTHON="${PYTHON}" bash "$0" call "$c" >/dev/null 2>&1 || status=$?
    echo "call $c: $((SECONDS - t0)) s (status $status); files: $(ls "$out" | tr '\n' ' ')"
  done
  # shellcheck disable=SC2086
  git checkout -- $DEVICE_PAGES
  return $status
}

unpack() {  # the GPU-executed notebooks into chapters/ (only DEVICE_PAGES are in the tars), and
  # where their outputs come from into reports/outputs.json
  local tarball
  for tarball in "$@"; do tar -xvf "$tarball"; done
  for json in outputs-[12].json; do
    [ -f "$json" ] && "$PYTHON" tools/provenance.py merge "$json" && rm "$json"
  done
  return 0
}

case "${1:-}" in
  pack) shift; pack ;;
  call) shift; call "${1:?call 1 or 2}" ;;
  pages) shift; pages "${1:?1 or 2}" ;;
  dryrun) shift; dryrun ;;
  unpack) shift; unpack "$@" ;;
  report) shift; "$PYTHON" tools/gpu_report.py "$@" --out reports/gpu-lane.md --mode full ;;
  *) sed -n '2,38p' "$0"; exit 2 ;;
esac
