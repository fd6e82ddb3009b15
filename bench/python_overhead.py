"""The Python package's call overhead on the paper-size model (ReLU, d = 16, K = 8, n = 192):
`Model.solve()` in the process against `cnr solve --json` as a process, and the driver's own time
inside each (compile and solve, from the record). Run by bench/python_overhead.sh, which installs
the package in a virtual environment first."""

import json
import statistics
import subprocess
import sys
import time

import cnr

MODEL = "examples/paper_relu.cnr"
BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/cnr"


def median_ms(samples):
    return 1e3 * statistics.median(samples)


model = cnr.Model(MODEL)
data = model.data()
for _ in range(20):
    model.solve()
calls, inside = [], []
for _ in range(500):
    start = time.perf_counter()
    record = model.solve()
    calls.append(time.perf_counter() - start)
    inside.append(record.compile_seconds + record.solve_seconds)
arrays = []
for _ in range(500):
    start = time.perf_counter()
    model.solve(x=data["x"], y=data["y"], planted=data["planted"])
    arrays.append(time.perf_counter() - start)
process, process_inside = [], []
for _ in range(50):
    start = time.perf_counter()
    out = subprocess.run([BINARY, "solve", MODEL, "--json"], check=True, capture_output=True, text=True)
    process.append(time.perf_counter() - start)
    r = json.loads(out.stdout)
    process_inside.append(r["compile_seconds"] + r["solve_seconds"])

print("| call | median per solve | of which cnr's compile + solve |")
print("|---|---:|---:|")
print(f"| `model.solve()` (planted data drawn in the call) | {median_ms(calls):.3f} ms | {median_ms(inside):.3f} ms |")
print(f"| `model.solve(x=…, y=…, planted=…)` (arrays) | {median_ms(arrays):.3f} ms | |")
print(f"| `cnr solve {MODEL} --json` (a process) | {median_ms(process):.3f} ms | {median_ms(process_inside):.3f} ms |")
