#!/usr/bin/env bash
# The whole GPU check in one go, on a machine with an NVIDIA GPU, nvcc and a C++ compiler:
# CPU/GPU parity on every example and on small random networks, the GPU benchmark
# (700-256(recurrent)-20, batch 256, delays up to 62/250/1000 steps) and the `--ignored` GPU
# tests, written to one markdown report. Takes a few minutes on an H200.
#
# Usage: scripts/gpu-check.sh [REPORT.md]        (default: gpu-check-report.md)
#
# The driver is runtime/examples/gpu_check. It is built with cargo when cargo is there; on a
# machine without cargo or without network access, build it elsewhere (same CPU architecture):
#   cargo build --release -p rgenn-runtime --example gpu_check
#   cargo test --release -p rgenn-runtime --test cuda --no-run   # prints the test binary's path
# copy the binaries (strip them to save space) and set GPU_CHECK_BIN (and GPU_TEST_BIN).
#
# Environment: RGENN_NVCC / CUDA_PATH / PATH for nvcc (else /usr/local/cuda/bin/nvcc);
# CUDA_ARCH (default: the GPU's compute capability from nvidia-smi); GPU_CHECK_ARGS (extra
# arguments for the driver, e.g. `--random 20` or `--bench-seconds 30`); GPU_CHECK_TIMEOUT
# (seconds for the driver, default 420).
set -euo pipefail
cd "$(dirname "$0")/.."
report="${1:-gpu-check-report.md}"
start=$(date +%s)
work=$(mktemp -d)
sampler=""
cleanup() {
  if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { echo "gpu-check: $*" >&2; }

# nvcc: as the runtime finds it, plus the toolkit's usual place.
if [ -z "${RGENN_NVCC:-}" ]; then
  if [ -n "${CUDA_PATH:-}" ] && [ -x "$CUDA_PATH/bin/nvcc" ]; then
    RGENN_NVCC="$CUDA_PATH/bin/nvcc"
  elif command -v nvcc >/dev/null 2>&1; then
    RGENN_NVCC=$(command -v nvcc)
  elif [ -x /usr/local/cuda/bin/nvcc ]; then
    RGENN_NVCC=/usr/local/cuda/bin/nvcc
  else
    say "no nvcc: install the CUDA toolkit or set RGENN_NVCC"
    exit 1
  fi
fi
export RGENN_NVCC
if ! command -v c++ >/dev/null 2>&1 && [ -z "${CXX:-}" ]; then
  say "no C++ compiler (c++) for the CPU reference: install g++ or set CXX"
  exit 1
fi
# Build only for this GPU (faster nvcc runs); the compute capability reads like 9.0.
if [ -z "${CUDA_ARCH:-}" ] && command -v nvidia-smi >/dev/null 2>&1; then
  cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d ' .')
  if [[ "$cap" =~ ^[0-9]+$ ]]; then export CUDA_ARCH="$cap"; fi
fi
export RGENN_CACHE_DIR="${RGENN_CACHE_DIR:-$PWD/target/gpu-check-cache}"

# The driver and the GPU tests.
bin="${GPU_CHECK_BIN:-}"
tests="${GPU_TEST_BIN:-}"
if [ -z "$bin" ]; then
  if ! command -v cargo >/dev/null 2>&1; then
    say "no cargo: install Rust (rustup.rs) or set GPU_CHECK_BIN to a prebuilt gpu_check (see the top of this script)"
    exit 1
  fi
  build=(cargo build --release -p rgenn-runtime --example gpu_check)
  say "building: ${build[*]}"
  "${build[@]}" >&2 || "${build[@]}" --offline >&2
  bin=target/release/examples/gpu_check
  if [ -z "$tests" ]; then
    tests=$(cargo test --release -p rgenn-runtime --test cuda --no-run --message-format=json 2>/dev/null \
      | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1 || true)
  fi
fi

# Device memory as nvidia-smi sees it, every 200 ms, while the check runs.
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$work/memory.csv" 2>/dev/null &
  sampler=$!
fi

status=0
say "running the driver: $bin --out $report ${GPU_CHECK_ARGS:-}"
# shellcheck disable=SC2086
timeout "${GPU_CHECK_TIMEOUT:-420}" "$bin" --out "$report" --cache "$RGENN_CACHE_DIR" ${GPU_CHECK_ARGS:-} || status=$?

test_result="not run (no test binary; set GPU_TEST_BIN or install cargo)"
if [ -n "$tests" ] && [ -x "$tests" ]; then
  say "running the GPU tests: $tests --ignored"
  if timeout 150 "$tests" --ignored --test-threads 1 >"$work/tests.log" 2>&1; then
    test_result="passed"
  else
    test_result="FAILED"
    status=1
  fi
fi

if [ -n "$sampler" ]; then
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  sampler=""
fi
peak=$(sort -n "$work/memory.csv" 2>/dev/null | tail -n 1 || true)

if [ ! -f "$report" ]; then
  printf '# rgenn GPU check\n\nThe driver wrote no report (exit status %s).\n' "$status" >"$report"
fi
{
  echo
  echo "## Environment"
  echo
  echo "- date (UTC): $(date -u '+%Y-%m-%d %H:%M:%S')"
  if commit=$(git rev-parse --short HEAD 2>/dev/null); then
    git diff --quiet HEAD 2>/dev/null || commit="$commit (with local changes)"
    echo "- git commit: $commit"
  fi
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader | head -n 1)"
  fi
  echo "- nvcc: $("$RGENN_NVCC" --version | grep release || true); CUDA_ARCH=${CUDA_ARCH:-default}"
  echo "- C++: $(${CXX:-c++} --version | head -n 1)"
  echo "- peak device memory used (nvidia-smi, all processes): ${peak:-n/a} MiB"
  echo "- GPU tests (\`cargo test -p rgenn-runtime --test cuda -- --ignored\`): $test_result"
  echo "- driver exit status: $status; script time: $(($(date +%s) - start)) s"
  if [ "$test_result" = "FAILED" ]; then
    echo
    echo '```'
    tail -n 40 "$work/tests.log"
    echo '```'
  fi
} >>"$report"
say "wrote $report (exit status $status)"
exit "$status"
