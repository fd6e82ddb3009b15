#!/usr/bin/env bash
# The Python package's call overhead against the command line (not part of CI): builds the release
# binary, installs the package into a virtual environment under bench/out, and times both on the
# paper-size model. About 2 minutes, most of it building.
#
#   bash bench/python_overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin cnr
VENV=bench/out/python-venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
CARGO_TARGET_DIR="$PWD/target" "$VENV/bin/pip" install --quiet ./python
"$VENV/bin/python" bench/python_overhead.py target/release/cnr
