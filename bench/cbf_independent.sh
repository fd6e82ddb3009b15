#!/usr/bin/env bash
# Independent check of the CBF files cnr writes (not part of CI; see bench/README.md).
#
#   bench/cbf_independent.sh            # every examples/*.cnr, then the MOSEK-written fixture
#   bench/cbf_independent.sh examples/elu.cnr
#
# Creates a virtualenv in bench/out/venv (git-ignored) with MOSEK's Python package (used only to
# read CBF files and to measure violations, which needs no licence), Clarabel, numpy and scipy;
# builds cnr in release mode; runs bench/cbf_independent.py. Exits non-zero on any failure.
# To rewrite tests/fixtures/cbf/mosek_written.cbf: bench/out/venv/bin/python bench/make_mosek_cbf.py
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/out/venv
if [ ! -x "$venv/bin/python" ]; then
    mkdir -p bench/out
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q mosek clarabel numpy scipy scs
cargo build --release --bin cnr
exec "$venv/bin/python" bench/cbf_independent.py "$@"
