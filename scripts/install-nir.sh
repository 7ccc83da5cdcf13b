#!/usr/bin/env bash
# Installs the python `nir` package (pinned, with the numpy and h5py it needs) into a venv for the
# NIR tests (tests/nir_export.rs reads rgenn's exports back with `nir.read`; the fixtures in
# tests/nir/fixtures/ are written by tests/nir/make_fixtures.py with it), and prints the venv's
# python on stdout.
#
# Usage: scripts/install-nir.sh [VENV]   (default: $RGENN_NIR_VENV or ~/.cache/rgenn-nir/venv)
# Idempotent: a venv that already imports the pinned nir is reused without touching the network.
set -euo pipefail

venv="${1:-${RGENN_NIR_VENV:-$HOME/.cache/rgenn-nir/venv}}"
packages=("nir==1.0.8" "numpy==2.4.6" "h5py==3.16.0")

if "$venv/bin/python" -c 'import nir, sys; sys.exit(nir.version != "1.0.8")' >/dev/null 2>&1; then
  echo "install-nir: reusing $venv" >&2
else
  echo "install-nir: installing ${packages[*]} into $venv" >&2
  "${PYTHON:-python3}" -m venv "$venv" >&2
  "$venv/bin/pip" install -q "${packages[@]}" >&2
fi
echo "$venv/bin/python"
