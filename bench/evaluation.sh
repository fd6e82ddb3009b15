#!/usr/bin/env bash
# The evaluation pass before and after a change (not part of CI): the relu grid of the paper
# (d = 16, K = 8, n/d ∈ {1, 2, 3, 4, 6, 8, 12, 16}, 30 trials per cell, 240 w-space solves, each a
# pass over its samples per round) as `cnr sweep --jobs 1`, and one solve of two million planted
# samples (`examples/bench_relu.cnr --samples 2000000`, run twice: the second on warm memory), for
# the revisions BEFORE and AFTER (default HEAD), each built in release mode in its own worktree
# under a temporary folder. Prints a Markdown table of wall seconds (median of RUNS runs of the
# grid, default 3) and the 2M solve's seconds and objective.
#
#   bash bench/evaluation.sh BEFORE [AFTER]
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:?name the revision to compare with}
after=${2:-HEAD}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'for t in before after; do git worktree remove --force "$work/$t" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
for t in before after; do
    rev=$before
    [ "$t" = after ] && rev=$after
    git worktree add --detach "$work/$t" "$rev" >/dev/null 2>&1
    (cd "$work/$t" && cargo build --release -q)
done
grid() {
    "$1" sweep examples/params_relu.cnr --ratio 1,2,3,4,6,8,12,16 --trials 30 --jobs 1 \
        --activation relu --out "$work/grid" --force
}
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk "BEGIN { print $e - $s }"; }
median() { tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| build | relu grid, median of $runs (s) | 2M samples, first (s) | 2M samples, again (s) | objective |"
echo "| --- | ---: | ---: | ---: | ---: |"
for build in "$before:$work/before/target/release/cnr" "$after:$work/after/target/release/cnr"; do
    name=${build%%:*}
    cnr=${build#*:}
    times=""
    for _ in $(seq "$runs"); do times="$times $(seconds grid "$cnr")"; done
    first=$(seconds "$cnr" solve examples/bench_relu.cnr --samples 2000000 -o "$work/first.json")
    again=$(seconds "$cnr" solve examples/bench_relu.cnr --samples 2000000 -o "$work/again.json")
    objective=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["objective"])' "$work/again.json")
    printf '| %s | %.2f | %.2f | %.2f | %s |\n' "$name" "$(echo "$times" | median)" "$first" "$again" "$objective"
done
