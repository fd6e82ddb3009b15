#!/usr/bin/env bash
# The backends' own memory (not part of CI): the peak resident memory of `cnr solve --method full`
# on planted models of each cone class at two sample counts, beside what the memory budget counts
# for the data and the program alone. The difference per non-zero of `A` is what the budget charges
# a backend (`cnr_solve::Backend::work_bytes`; bench/README.md has the table).
#
#   bash bench/solver_memory.sh [BACKEND]     (default clarabel; good_lp takes the LP only)
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-clarabel}"
cargo build --release -q
cnr=target/release/cnr
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "| activation | samples | rows + columns | non-zeros | data and program (MiB) | peak (MiB) | backend's, per non-zero (B) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for activation in relu squared_relu softplus "power(1.5)"; do
    if [ "$backend" != clarabel ] && [ "$activation" != relu ]; then continue; fi
    for n in 2000 8000; do
        model="$tmp/m.cnr"
        printf 'network { input 512 conv kernel 32 stride 32 activation %s output ones }\ndata planted { samples %d seed 1 }\nsolver { backend %s }\n' \
            "$activation" "$n" "$backend" > "$model"
        # The program's size from `check`; what the budget counts for the data and the program from
        # the refusal of a budget of 1 MiB (in MiB).
        sizes=$("$cnr" check "$model" | sed -n 's/^  program *\([0-9,]*\) variables, \([0-9,]*\) rows, \([0-9,]*\) non-zeros$/\1 \2 \3/p' | tr -d ,)
        read -r columns rows nnz <<< "$sizes"
        counted=$("$cnr" solve "$model" --method full --max-memory 1M 2>&1 | sed -n 's/.*samples need about \([0-9.]*\) MiB of memory.*/\1/p' || true)
        /usr/bin/time -f %M -o "$tmp/peak" "$cnr" solve "$model" --method full --max-memory 100G > /dev/null 2>&1 || true
        peak_kib=$(tail -1 "$tmp/peak")
        python3 -c "
counted, peak, nnz = $counted, $peak_kib / 1024, $nnz
print(f'| $activation | $n | {$rows + $columns:,} | {nnz:,} | {counted} | {peak:.0f} | {(peak - counted) * 2**20 / nnz:.0f} |')"
    done
done
