#!/usr/bin/env bash
# Checks that lowering still produces the same programs, byte for byte, as a saved baseline.
#
#   bench/same_output.sh save    # before a change: write the baseline
#   bench/same_output.sh check   # after it: compare against the baseline (exit 1 on any difference)
#
# Every example is compiled with --samples 3 (and a few with more samples, so that the sample loop
# and the growth of the row buffers are exercised too) to the printed IR, JSON and CBF. The baseline
# lives in ${CNR_SAME_DIR:-/tmp/cnr-same-output}, outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
base=${CNR_SAME_DIR:-/tmp/cnr-same-output}
cargo build -q --bin cnr
cnr=target/debug/cnr
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for model in examples/*.cnr; do
    name=$(basename "$model" .cnr)
    for samples in 3 40; do
        for emit in ir json cbf; do
            "$cnr" compile "$model" --emit "$emit" --samples "$samples" -o "$out/$name.$samples.$emit" \
                2>"$out/$name.$samples.$emit.err" || echo "exit $?" >>"$out/$name.$samples.$emit.err"
        done
    done
done

case "$mode" in
    save)
        rm -rf "$base"
        mkdir -p "$base"
        cp "$out"/* "$base"/
        echo "baseline saved: $(ls "$base" | wc -l) files in $base"
        ;;
    check)
        if diff -r -q "$base" "$out"; then
            echo "same output: $(ls "$out" | wc -l) files identical to $base"
        else
            echo "DIFFERENT output (see diff -r $base <new run>)" >&2
            exit 1
        fi
        ;;
    *)
        echo "usage: $0 save|check" >&2
        exit 2
        ;;
esac
