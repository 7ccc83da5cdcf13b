#!/usr/bin/env bash
# Time one forward + backward pass per trial (rgenn grad) of the SHD-shaped network with delays up
# to 62 and up to 1000 steps, side by side, with 1 and 2 threads, and report peak RSS.
# Usage: bench/grad.sh [DATA.npz]   (default: ../shared/bench/shd_synth_50.npz next to the repo)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/bench/shd_synth_50.npz}
cargo build --release --quiet
bin=target/release/rgenn
echo "| max delay | threads | ms per trial (forward + backward) | peak RSS |"
echo "|---|---|---|---|"
for d in 62 1000; do
  # Build once outside the timing.
  "$bin" build "bench/grad_delay$d.yaml" >/dev/null 2>&1
  for threads in 1 2; do
    out=$(mktemp)
    log=$( { /usr/bin/time -f "RSS %M" "$bin" grad "bench/grad_delay$d.yaml" --data "$data" \
      --out "$out" --threads "$threads"; } 2>&1 )
    rm -f "$out"
    secs=$(sed -n 's/.* in \([0-9.]*\) s .*/\1/p' <<<"$log")
    trials=$(sed -n 's/.*over \([0-9]*\) trial.*/\1/p' <<<"$log")
    rss=$(sed -n 's/^RSS \([0-9]*\)/\1/p' <<<"$log")
    ms=$(awk -v s="$secs" -v n="$trials" 'BEGIN { printf "%.2f", 1000 * s / n }')
    echo "| $d | $threads | $ms | $((rss / 1024)) MB |"
  done
done
