"""Prints the digits example's table from what run.sh wrote: cnr's solve records (JSON), the
gradient-descent baseline's rows of a sweep (results.csv) and export.py's references.
Usage: python table.py OUT_DIR DATA_DIR"""

import csv
import json
import sys
from pathlib import Path

out, data = Path(sys.argv[1]), Path(sys.argv[2])
rows = []
for path in sorted(out.glob("solve_lam_*.json"), key=lambda p: float(p.stem.removeprefix("solve_lam_"))):
    record = json.loads(path.read_text())
    lam = path.stem.removeprefix("solve_lam_")
    seconds = record["compile_seconds"] + record["solve_seconds"]
    rows.append((f"relaxation, λ = {lam} ({record['status']})", record["training_loss"], record.get("test_loss"), seconds))
    refined = record.get("refined")
    if refined:
        rows.append(
            (f"relaxation, λ = {lam}, then gradient descent", refined["training_loss"], refined.get("test_loss"), seconds + refined["seconds"])
        )
for path in sorted(out.glob("learned_*.json"), key=lambda p: (p.stem.split("_")[1], int(p.stem.split("_")[2]))):
    record = json.loads(path.read_text())
    a = record["arrangements"]
    method = (
        f"learned output weights, {record['form']} form, {a['patterns']} arrangements, "
        f"β = {record['weight_decay']:g}, {record['method']} ({record['status']})"
    )
    rows.append((method, record["training_loss"], record.get("test_loss"), record["timings"]["wall_seconds"]))
with open(out / "gd" / "results.csv") as f:
    for row in csv.DictReader(f):
        if row["method"] == "gd":
            rows.append(
                (f"gradient descent from random starts (seed {row['seed']})", float(row["training_loss"]), float(row["test_loss"]), float(row["solve_seconds"]))
            )
for reference in json.loads((data / "references.json").read_text()):
    rows.append((reference["method"], reference["train"], reference["test"], reference["seconds"]))

print("| method | training MSE | test MSE | seconds |")
print("|---|---:|---:|---:|")
def shown(value):
    return "—" if value is None else f"{value:.2f}"


for method, train, test, seconds in rows:
    print(f"| {method} | {shown(train)} | {shown(test)} | {seconds:.2f} |")
