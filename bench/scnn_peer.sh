#!/usr/bin/env bash
# cnr's learned two-layer ReLU network (docs/learned.md) against pyscnn 0.0.10 (ConvexReLU by its
# augmented Lagrangian, ConvexGatedReLU by R-FISTA) and CVXPY + Clarabel, on the same data and
# the same arrangements, for a fully connected network (one patch), where pyscnn applies as it
# is (not part of CI).
#
#   bash bench/scnn_peer.sh                                   # bench/learned_fc.cnr
#   bash bench/scnn_peer.sh MODEL.cnr                         # another model with one patch
#   CNR_BIN=path/to/cnr bash bench/scnn_peer.sh               # another binary; no build
#   MODEL_ARGS="--param n=2000 --param arr=100" bash bench/scnn_peer.sh   # the model's params
#   CNR_ARGS="--tolerance 1e-8" bash bench/scnn_peer.sh       # more options of every cnr solve
#   EXACT_METHODS="auto cutting-plane" GATED_METHODS="auto first-order full" bash bench/scnn_peer.sh
#   CORES="1" TEST=500 SKIP_SCNN=1 bash bench/scnn_peer.sh
#
# Virtual environment: bench/out/venv-scnn (git-ignored) with pyscnn==0.0.10 (which pulls torch,
# several GB with its CUDA wheels on Linux), cvxpy, clarabel and numpy; installed once, skipped
# when the imports already work. When pyscnn cannot be installed the rest still runs, and the
# reason is in bench/out/scnn-peer/NAME/pyscnn-unavailable.txt.
#
# What runs, for each number of cores C in CORES (default "1 2": `taskset -c 0`, then
# `taskset -c 0,1`, every thread pool at C threads):
#   - `cnr solve MODEL --json --threads C --set learn.form=F --method M` for the exact form with
#     each method of EXACT_METHODS (default "auto") and the gated form with each of GATED_METHODS
#     (default "auto first-order"), under /usr/bin/time -v;
#   - pyscnn on the exact and the gated program, with the gates of cnr's record (pyscnn's default
#     tolerances unless SCNN_TOL), and CVXPY + Clarabel on both at CVXPY_TOL (default 1e-9);
#   then once, on one core, pyscnn's gated form at SCNN_TIGHT_TOL (default 1e-10, at most 100,000
#   iterations; 0: not run) and CVXPY + Clarabel at REF_TOL (default 1e-10): the reference optimum.
# The data: `cnr data MODEL --samples n + TEST`, the first n the training samples (planted data
# only grow with n), the last TEST (default 1000) held out for the test loss.
# Everything goes to bench/out/scnn-peer/NAME/ (runs/ is cleared first); bench/scnn_peer.py
# solves and prints the Markdown table. Exit code: the table's (bench/scnn_peer.py): 0, 1 when
# cnr's objective is more than 1e-6 relative above the reference, 2 when cnr is not optimal or
# the inputs disagree.
set -euo pipefail

model=$(cd "$(dirname "${1:-bench/learned_fc.cnr}")" && pwd)/$(basename "${1:-bench/learned_fc.cnr}")
cd "$(dirname "$0")/.."

out=bench/out
venv=$out/venv-scnn
py=$venv/bin/python
name=$(basename "$model" .cnr)
dir=$out/scnn-peer/$name
runs=$dir/runs
cores_list=${CORES:-"1 2"}
exact_methods=${EXACT_METHODS:-auto}
gated_methods=${GATED_METHODS:-"auto first-order"}
test_samples=${TEST:-1000}
cvxpy_tol=${CVXPY_TOL:-1e-9}
ref_tol=${REF_TOL:-1e-10}
scnn_tight_tol=${SCNN_TIGHT_TOL:-1e-10}
# Word splitting of these is intended: they are lists of options.
model_args=${MODEL_ARGS:-}
cnr_args=${CNR_ARGS:-}
scnn_args=()
if [ -n "${SCNN_TOL:-}" ]; then
    scnn_args+=(--scnn-tol "$SCNN_TOL")
fi
if [ -n "${SCNN_MAX_ITERS:-}" ]; then
    scnn_args+=(--scnn-max-iters "$SCNN_MAX_ITERS")
fi

mkdir -p "$dir"
rm -rf "$runs"
mkdir -p "$runs"

# ------------------------------------------------------------------ the virtual environment
if [ ! -x "$py" ]; then
    python3 -m venv "$venv"
fi
if ! "$py" -c 'import cvxpy, clarabel, numpy, scipy' 2>/dev/null; then
    "$py" -m pip install -q "cvxpy>=1.5" clarabel numpy scipy
fi
use_scnn=1
rm -f "$dir/pyscnn-unavailable.txt"
if [ -n "${SKIP_SCNN:-}" ]; then
    use_scnn=0
elif ! "$py" -c 'import scnn.optimize, torch' 2>/dev/null; then
    if ! "$py" -m pip install -q "pyscnn==0.0.10" >"$dir/pyscnn-install.log" 2>&1 \
            || ! "$py" -c 'import scnn.optimize, torch' 2>>"$dir/pyscnn-install.log"; then
        use_scnn=0
        {
            echo "pyscnn 0.0.10 could not be installed or imported; the end of the log:"
            tail -n 20 "$dir/pyscnn-install.log"
        } >"$dir/pyscnn-unavailable.txt"
        cat "$dir/pyscnn-unavailable.txt" >&2
    fi
fi
"$py" - <<'EOF'
from importlib.metadata import PackageNotFoundError, version
import sys

def v(p):
    try:
        return f"{p} {version(p)}"
    except PackageNotFoundError:
        return f"{p} (not installed)"

print("python", sys.version.split()[0], *(v(p) for p in
      ("torch", "pyscnn", "cvxpy", "clarabel", "numpy", "scipy")), sep=", ")
EOF

# ------------------------------------------------------------------ cnr
if [ -z "${CNR_BIN:-}" ]; then
    cargo build --release
    cnr=target/release/cnr
else
    cnr=$CNR_BIN
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

cpus_of() {  # the CPU list of taskset for C cores: 0, 0,1, …
    seq -s, 0 $(($1 - 1))
}

threads() {  # every thread pool at $1 threads, for the command that follows
    export OMP_NUM_THREADS=$1 OPENBLAS_NUM_THREADS=$1 MKL_NUM_THREADS=$1 RAYON_NUM_THREADS=$1 \
        NUMEXPR_NUM_THREADS=$1 VECLIB_MAXIMUM_THREADS=$1
}

run_cnr() {  # FORM METHOD CORES
    local tag=$runs/cnr-$1-$2-$3 rc=0
    echo "== cnr solve $name, form $1, method $2, $3 core(s)" >&2
    threads "$3"
    # shellcheck disable=SC2086
    taskset -c "$(cpus_of "$3")" /usr/bin/time -v -o "$tag.time" \
        "$cnr" solve "$model" --json --threads "$3" --set "learn.form=$1" --method "$2" \
        $model_args $cnr_args >"$tag.json" 2>"$tag.err" || rc=$?
    if [ "$rc" != 0 ]; then
        echo "   cnr exited $rc (stderr in $tag.err)" >&2
        if [ ! -s "$tag.json" ]; then
            cat "$tag.err" >&2
            exit "$rc"
        fi
    fi
}

for c in $cores_list; do
    for m in $exact_methods; do run_cnr exact "$m" "$c"; done
    for m in $gated_methods; do run_cnr gated "$m" "$c"; done
done

# The records of one form share their filters; the first one of each form is the one the other
# tools read.
first_c=${cores_list%% *}
exact_record=$runs/cnr-exact-${exact_methods%% *}-$first_c.json
gated_record=$runs/cnr-gated-${gated_methods%% *}-$first_c.json
n=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["samples"])' "$exact_record")
# shellcheck disable=SC2086
"$cnr" data "$model" $model_args --samples $((n + test_samples)) --out "$dir/data" >/dev/null

# ------------------------------------------------------------------ pyscnn and CVXPY
solve_py() {  # TOOL FORM CORES RECORD [ARGS…]
    local tool=$1 form=$2 c=$3 record=$4
    shift 4
    echo "== $tool $form, $c core(s)" >&2
    threads "$c"
    taskset -c "$(cpus_of "$c")" "$py" bench/scnn_peer.py solve --tool "$tool" --form "$form" \
        --cores "$c" --record "$record" --data "$dir/data" "$@" \
        || echo "   $tool $form on $c core(s) failed (exit $?)" >&2
}

for c in $cores_list; do
    for form in exact gated; do
        record=$exact_record
        [ "$form" = gated ] && record=$gated_record
        if [ "$use_scnn" = 1 ]; then
            solve_py pyscnn "$form" "$c" "$record" --out "$runs/py-pyscnn-$form-$c.json" \
                ${scnn_args[@]+"${scnn_args[@]}"}
        fi
        solve_py cvxpy "$form" "$c" "$record" --out "$runs/py-cvxpy-$form-$c.json" \
            --tol "$cvxpy_tol"
    done
done
# pyscnn's gated form once more, on one core, at a tight tolerance: its time to the accuracy
# cnr and Clarabel reach (R-FISTA is cheap here; the AL at a tight tolerance is not run).
if [ "$use_scnn" = 1 ] && [ "$scnn_tight_tol" != 0 ]; then
    solve_py pyscnn gated 1 "$gated_record" --out "$runs/py-pyscnn-gated-1-tight.json" \
        --scnn-tol "$scnn_tight_tol" --scnn-max-iters 100000
fi
if [ "$ref_tol" != 0 ]; then
    solve_py cvxpy exact 1 "$exact_record" --out "$runs/py-cvxpy-exact-ref.json" \
        --tol "$ref_tol" --role reference
    solve_py cvxpy gated 1 "$gated_record" --out "$runs/py-cvxpy-gated-ref.json" \
        --tol "$ref_tol" --role reference
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

threads 1
code=0
"$py" bench/scnn_peer.py table --runs "$runs" --data "$dir/data" | tee "$dir/table.md" || code=$?
if [ "$use_scnn" = 0 ] && [ -s "$dir/pyscnn-unavailable.txt" ]; then
    echo
    echo "pyscnn was not run: $(head -n 1 "$dir/pyscnn-unavailable.txt") (see $dir/pyscnn-unavailable.txt)"
fi
exit "$code"
