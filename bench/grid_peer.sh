#!/usr/bin/env bash
# Per-trial peer benchmark on the paper's grid (d = 16, K = 8, n/d ∈ {1, 2, 3, 4, 6, 8, 12, 16},
# 30 trials a cell, 240 trials) for six activations: `cnr sweep --jobs 1` (its default method)
# against the same trials in CVXPY + Clarabel (bench/grid_cvxpy.py), on the same data — cnr
# exports every trial's samples with `cnr data`. Both use the data anchor. Wall and CPU seconds:
# cnr's for the whole sweep process (data drawn, solved, checked, written); CVXPY's for building
# and solving the 240 problems (after the imports and reading the files). Prints a Markdown table.
# Run from the repository's root after `cargo build --release`. `ACTIVATIONS=…` chooses which run.
# Creates a virtualenv in bench/out/venv (git-ignored) with cvxpy, clarabel, numpy and scipy.
set -euo pipefail
cd "$(dirname "$0")/.."
cnr=target/release/cnr
out=bench/out/grid
venv=bench/out/venv
py=$venv/bin/python
mkdir -p "$out"
if [ ! -x "$py" ]; then
    python3 -m venv "$venv"
fi
"$py" -m pip install -q cvxpy clarabel numpy scipy
activations=${ACTIVATIONS:-relu leaky_relu(0.2) softplus squared_relu square abs}
echo "| activation | cnr wall s | cnr CPU s | cnr optimal | CVXPY wall s | CVXPY CPU s | CVXPY optimal | wall ratio | max rel. objective difference |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for activation in $activations; do
    dir="$out/$activation"
    rm -rf "$dir"
    /usr/bin/time -f "%e %U %S" -o "$out/time.txt" "$cnr" sweep examples/params_relu.cnr \
        --ratio 1,2,3,4,6,8,12,16 --trials 30 --jobs 1 --activation "$activation" \
        --set relax.anchor=data --out "$dir" > /dev/null
    read -r wall user sys < "$out/time.txt"
    # Every trial's samples, as the sweep drew them (its samples and seed columns).
    python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1])): print(r["cell"], r["trial"], r["samples"], r["seed"])' \
        "$dir/results.csv" | while read -r cell trial samples seed; do
        "$cnr" data examples/params_relu.cnr --samples "$samples" --seed "$seed" \
            --set "network.activation=$activation" --out "$dir/data/trial-$cell-$trial" > /dev/null
    done
    peer=$("$py" bench/grid_cvxpy.py --activation "$activation" --results "$dir/results.csv" --data "$dir/data")
    python3 - "$dir/results.csv" "$wall" "$user" "$sys" "$peer" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
wall, cpu = float(sys.argv[2]), float(sys.argv[3]) + float(sys.argv[4])
peer = json.loads(sys.argv[5])
optimal = sum(r["status"] == "optimal" for r in rows)
print(f"| {peer['activation']} | {wall:.2f} | {cpu:.2f} | {optimal}/{len(rows)} | {peer['wall_seconds']:.2f} | "
      f"{peer['cpu_seconds']:.2f} | {peer['optimal']}/{peer['trials']} | {peer['wall_seconds'] / wall:.0f}× | "
      f"{peer['max_relative_objective_difference']:.1e} |")
PY
done
