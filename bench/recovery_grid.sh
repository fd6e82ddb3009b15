#!/usr/bin/env bash
# The honest-results grid (not part of CI): relu, leaky_relu(0.2), softplus, squared_relu, square and
# abs (spectral anchor), n/d in {1, 2, 3, 4, 6, 8, 12, 16}, 30 planted seeds each, d = 16, K = 8, with
# the default settings. Prints a Markdown table per cell: trials ending optimal, recovered, other
# statuses, the largest relative violation of an optimal trial, and the retries. About 2 minutes.
#
#   bash bench/recovery_grid.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p cnr-driver --example recovery_grid -- "$@"
