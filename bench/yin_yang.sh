#!/usr/bin/env bash
# Train examples/yin_yang.yaml with seeds 1-3, with learned delays and with weights only, and print
# the test accuracy of the parameters chosen on validation accuracy (params.npz) for each run.
# Usage: bench/yin_yang.sh [OUT_DIR]   (default: yin_yang_runs)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-yin_yang_runs}
mkdir -p "$out"
cargo build --release --quiet
bin=target/release/rgenn
echo "| seed | delays | epochs | best validation | test (params.npz) | seconds |"
echo "|---|---|---|---|---|---|"
for seed in 1 2 3; do
  for mode in delays weights; do
    model="$out/yin_yang_${mode}_$seed.yaml"
    sed -e "s/^seed: 1$/seed: $seed/" examples/yin_yang.yaml > "$model"
    if [ "$mode" = weights ]; then
      sed -i -e 's/learn: \[weight, delay\]/learn: [weight]/' "$model"
    fi
    run="$out/run_${mode}_$seed"
    start=$(date +%s.%N)
    "$bin" train "$model" --out "$run" --quiet 2>/dev/null
    secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
    epochs=$(($(wc -l < "$run/metrics.csv") - 1))
    eval_out=$("$bin" eval "$model" --params "$run/params.npz")
    valid=$(sed -n 's/^validation: accuracy \([0-9.]*\)%.*/\1/p' <<<"$eval_out")
    test=$(sed -n 's/^test: accuracy \([0-9.]*\)%.*/\1/p' <<<"$eval_out")
    echo "| $seed | $([ "$mode" = delays ] && echo learned || echo fixed) | $epochs | $valid % | $test % | $secs |"
  done
done
