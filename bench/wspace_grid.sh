#!/usr/bin/env bash
# The w-space method against the whole program and the sample cutting planes: the paper's grid
# (d = 16, K = 8, n/d ∈ {1, 2, 3, 4, 6, 8, 12, 16}, 30 trials per cell, 240 trials) as `cnr sweep
# --jobs 1` for relu, softplus and squared_relu, then single ReLU solves at large d (n/d = 8).
# Prints Markdown tables. Run from the repository's root after `cargo build --release`.
# `ACTIVATIONS=… METHODS=… DS=… FULL_DS=…` choose what runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cnr=target/release/cnr
out=bench/out/wspace
mkdir -p "$out"
activations=${ACTIVATIONS:-relu softplus squared_relu}
methods=${METHODS:-full wspace}
echo "| activation | method | trials | wall s | optimal | recovered | max relative violation |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for activation in $activations; do
    for method in $methods; do
        dir="$out/$activation-$method"
        start=$(date +%s.%N)
        "$cnr" sweep examples/params_relu.cnr --ratio 1,2,3,4,6,8,12,16 --trials 30 --jobs 1 \
            --activation "$activation" --method "$method" --out "$dir" --force > /dev/null
        end=$(date +%s.%N)
        python3 - "$dir/results.csv" "$activation" "$method" "$start" "$end" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
optimal = sum(r["status"] == "optimal" for r in rows)
recovered = sum(r["success"] == "true" for r in rows)
worst = max((float(r["relative_violation"]) for r in rows if r["relative_violation"]), default=float("nan"))
wall = float(sys.argv[5]) - float(sys.argv[4])
print(f"| {sys.argv[2]} | {sys.argv[3]} | {len(rows)} | {wall:.2f} | {optimal} | {recovered} | {worst:.2e} |")
PY
    done
done
echo
echo "| d | method | n | status | objective | solve s | total wall s | recovery error |"
echo "| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |"
for d in ${DS-16 32 64 128 256}; do
    for method in full wspace; do
        if [ "$method" = full ] && ! [[ " ${FULL_DS-16 32 64} " == *" $d "* ]]; then
            continue
        fi
        start=$(date +%s.%N)
        json=$("$cnr" solve examples/params_relu.cnr --param "d=$d" --param ratio=8 --method "$method" --json || true)
        end=$(date +%s.%N)
        python3 - "$d" "$method" "$start" "$end" "$json" <<'PY'
import json, sys
r = json.loads(sys.argv[5])
wall = float(sys.argv[4]) - float(sys.argv[3])
print(f"| {sys.argv[1]} | {sys.argv[2]} | {r['samples']} | {r['status']} | {r['objective']:.10f} | {r['solve_seconds']:.4f} | {wall:.3f} | {r.get('recovery_error', float('nan')):.2e} |")
PY
    done
done
