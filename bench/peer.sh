#!/usr/bin/env bash
# Peer benchmark: cnr against CVXPY + Clarabel on the same planted ReLU data (not part of CI).
#
#   bench/peer.sh                                  # N = 2000 20000, then cnr alone at 200000 2000000
#   NS="2000" BIG_NS="" bench/peer.sh              # smaller run
#   SKIP_CNR=1 NS="2000 20000" BIG_NS="" bench/peer.sh   # the CVXPY side only
#   CNR=path/to/cnr bench/peer.sh                  # another binary (default target/release/cnr)
#
# Creates a virtualenv in bench/out/venv (git-ignored) with cvxpy, clarabel, numpy and scipy.
# For each N in NS: writes planted data (seed 1) and a model reading it to bench/out/peer-N/, runs
# `cnr solve --method full` and `--method cutting-plane` on it (wall time and peak memory from
# /usr/bin/time) and bench/peer_cvxpy.py solve. For each N in BIG_NS: cnr alone, cutting-plane, on
# examples/bench_relu.cnr with --samples N. Ends with a Markdown table of all runs. Does not build
# cnr: run `cargo build --release` first. A run that exits non-zero is recorded with its exit code.
set -euo pipefail
cd "$(dirname "$0")/.."

NS=${NS-"2000 20000"}
BIG_NS=${BIG_NS-"200000 2000000"}
SKIP_CNR=${SKIP_CNR:-0}
CNR=${CNR:-target/release/cnr}
out=bench/out
venv=$out/venv
py=$venv/bin/python
runs=$out/peer-runs.tsv

mkdir -p "$out"
if [ ! -x "$py" ]; then
    python3 -m venv "$venv"
fi
"$py" -m pip install -q cvxpy clarabel numpy scipy
"$py" - <<'EOF'
from importlib.metadata import version
import sys
print("python", sys.version.split()[0], *(f"{p} {version(p)}" for p in ("cvxpy", "clarabel", "numpy", "scipy")))
EOF

if [ "$SKIP_CNR" != 1 ] && [ ! -x "$CNR" ]; then
    echo "peer.sh: $CNR not found; build it (cargo build --release) or set CNR, or SKIP_CNR=1" >&2
    exit 1
fi

: >"$runs"

# run TOOL METHOD N PREFIX CMD...: runs CMD with stdout to PREFIX.json, stderr to PREFIX.err and
# `%e %M` (wall seconds, peak KB) to PREFIX.time; records the exit code in the manifest.
run() {
    local tool=$1 method=$2 n=$3 prefix=$4
    shift 4
    echo "== $tool $method N=$n: $*" >&2
    local rc=0
    /usr/bin/time -f '%e %M' -o "$prefix.time" "$@" >"$prefix.json" 2>"$prefix.err" || rc=$?
    if [ "$rc" != 0 ]; then
        echo "   exit $rc (stderr in $prefix.err)" >&2
    fi
    echo "   $(tail -n 1 "$prefix.time" 2>/dev/null || echo '? ?') (wall s, peak KB)" >&2
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$method" "$n" "$rc" "$prefix.json" "$prefix.time" >>"$runs"
}

for n in $NS; do
    dir=$out/peer-$n
    "$py" bench/peer_cvxpy.py make-data --n "$n" --seed 1 --out "$dir" >&2
    if [ "$SKIP_CNR" != 1 ]; then
        for method in full cutting-plane; do
            run cnr "$method" "$n" "$dir/cnr-$method" "$CNR" solve "$dir/model.cnr" --method "$method" --json
        done
    fi
    run cvxpy clarabel "$n" "$dir/cvxpy" "$py" bench/peer_cvxpy.py solve --dir "$dir" --json
done

if [ "$SKIP_CNR" != 1 ]; then
    for n in $BIG_NS; do
        dir=$out/peer-$n
        mkdir -p "$dir"
        if [ ! -f examples/bench_relu.cnr ]; then
            echo "peer.sh: examples/bench_relu.cnr is missing; N=$n not run" >&2
            printf 'cnr\tcutting-plane\t%s\tmissing model\t-\t-\n' "$n" >>"$runs"
            continue
        fi
        run cnr cutting-plane "$n" "$dir/cnr-cutting-plane" \
            "$CNR" solve examples/bench_relu.cnr --samples "$n" --method cutting-plane --json
    done
fi

echo
echo "CVXPY's times are in-process (after importing cvxpy) and its peak is getrusage's; cnr's wall"
echo "time and peak are /usr/bin/time's. Whole-process figures of every run: $out/peer-*/*.time."
echo
"$py" bench/peer_cvxpy.py table --runs "$runs"
