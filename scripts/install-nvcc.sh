#!/usr/bin/env bash
# Installs nvcc from PyPI into a Python venv for compile-only checks of generated CUDA (no GPU
# needed), pinned to the CUDA 13.0 set of the GPU machine, and prints nvcc's bin folder on stdout.
#
# Usage: scripts/install-nvcc.sh [VENV]   (default: $RGENN_NVCC_VENV or ~/.cache/rgenn-nvcc/venv)
# Idempotent: a venv whose nvcc already reports release 13.0 is reused without touching the network.
# Progress goes to stderr, so `bin=$(scripts/install-nvcc.sh)` captures only the folder.
set -euo pipefail

venv="${1:-${RGENN_NVCC_VENV:-$HOME/.cache/rgenn-nvcc/venv}}"
release="13.0"
# A bare nvidia-cuda-nvcc==13.0.* pulls nvidia-nvvm 13.5, whose PTX the 13.0 ptxas rejects: pin all four.
packages=(
  "nvidia-cuda-nvcc==13.0.88"
  "nvidia-cuda-crt==13.0.88"
  "nvidia-cuda-runtime==13.0.96"
  "nvidia-nvvm==13.0.88"
)

# The bin folder of the venv's nvcc, or nothing.
find_bin() {
  local nvcc
  nvcc=$(find "$venv/lib" -path '*/nvidia/cu13/bin/nvcc' -type f 2>/dev/null | head -n 1)
  [ -n "$nvcc" ] && dirname "$nvcc"
}

# True when the venv's nvcc runs and reports the pinned release.
works() {
  local bin
  bin=$(find_bin) || return 1
  "$bin/nvcc" --version 2>/dev/null | grep -q "release $release,"
}

if works; then
  echo "install-nvcc: reusing $venv" >&2
  find_bin
  exit 0
fi

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "install-nvcc: $python not found; install Python 3 (with venv) or set PYTHON" >&2
  exit 1
fi

echo "install-nvcc: installing CUDA $release nvcc into $venv" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-input "${packages[@]}" >&2

if ! works; then
  echo "install-nvcc: nvcc from ${packages[0]} did not run or is not release $release" >&2
  exit 1
fi
bin=$(find_bin)
"$bin/nvcc" --version | tail -n 2 >&2
echo "$bin"
