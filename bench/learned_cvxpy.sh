#!/usr/bin/env bash
# The learned two-layer CNN (docs/learned.md) solved by cnr and, rebuilt by hand from cnr's record
# and data, by CVXPY + Clarabel; the two optima must agree (not part of CI).
#
#   bench/learned_cvxpy.sh examples/learned/teacher.cnr
#   bench/learned_cvxpy.sh bench/learned_bias.cnr
#   CNR_BIN=path/to/cnr bench/learned_cvxpy.sh MODEL.cnr     # another binary; no build
#   CNR_ARGS="--tolerance 1e-9" bench/learned_cvxpy.sh MODEL.cnr   # more options of cnr solve
#
# Creates a virtual environment in bench/out/venv-cvxpy (git-ignored) with cvxpy, clarabel and
# numpy. Builds cnr in release unless CNR_BIN is set. On one core (taskset -c 0, one thread):
# runs `cnr solve MODEL --json` under /usr/bin/time -v (the record and the times go to
# bench/out/learned-cvxpy/NAME/), exports the model's data (`cnr data MODEL --out …/data`) and runs
# bench/learned_cvxpy.py, which recomputes the patterns from the record's filters, writes the same
# program in CVXPY and prints the table. Exits with the Python script's code: 0 when the
# objectives agree to 1e-6 relative, 1 when they do not, 2 when a solve is not optimal or the
# inputs disagree. CVXPY's timed solve uses the tolerance of cnr's last attempt; a second, untimed
# one at 1e-10 is the reference optimum.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: bench/learned_cvxpy.sh MODEL.cnr" >&2
    exit 2
fi
model=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."

out=bench/out
venv=$out/venv-cvxpy
py=$venv/bin/python
name=$(basename "$model" .cnr)
dir=$out/learned-cvxpy/$name

mkdir -p "$dir"
if [ ! -x "$py" ]; then
    python3 -m venv "$venv"
fi
if ! "$py" -c 'import cvxpy, clarabel, numpy' 2>/dev/null; then
    "$py" -m pip install -q "cvxpy>=1.5" clarabel numpy
fi
"$py" - <<'EOF'
from importlib.metadata import version
import sys
print("python", sys.version.split()[0], *(f"{p} {version(p)}" for p in ("cvxpy", "clarabel", "numpy", "scipy")))
EOF

if [ -z "${CNR_BIN:-}" ]; then
    cargo build --release
    cnr=target/release/cnr
else
    cnr=$CNR_BIN
fi

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1

echo "== cnr solve $name (one core)" >&2
rc=0
taskset -c 0 /usr/bin/time -v -o "$dir/cnr.time" \
    "$cnr" solve "$model" --json --threads 1 ${CNR_ARGS:-} >"$dir/record.json" 2>"$dir/cnr.err" || rc=$?
if [ "$rc" != 0 ]; then
    echo "   cnr exited $rc (stderr in $dir/cnr.err)" >&2
    if [ ! -s "$dir/record.json" ]; then
        cat "$dir/cnr.err" >&2
        exit "$rc"
    fi
fi

"$cnr" data "$model" --out "$dir/data" >/dev/null

echo "== CVXPY + Clarabel $name (one core)" >&2
taskset -c 0 "$py" bench/learned_cvxpy.py --model "$model" --record "$dir/record.json" \
    --data "$dir/data" --cnr-time "$dir/cnr.time"
