"""The paper's grid in CVXPY + Clarabel, trial by trial, on the data of a `cnr sweep`.

    python bench/grid_cvxpy.py --activation softplus --results DIR/results.csv --data DIR/data

Run by bench/grid_peer.sh with the virtualenv it creates. For each row of the sweep's results.csv
(K = 8 non-overlapping patches of size d = 16, output weights 1, the data anchor), reads the trial's
samples that `cnr data` exported to DATA/trial-<cell>-<trial>/ (x.npy, y.npy), builds the relaxation
max gᵀw s.t. Σ_k σ(⟨w, x_ik⟩) ≤ y_i as a researcher would write it in CVXPY, and solves it with
Clarabel at cnr's tolerance 1e-7. Prints one JSON line: trials, wall and CPU seconds of building and
solving (after the imports and reading the files), optimal statuses, and the largest relative
difference of the objective to cnr's over the trials both call optimal.
"""
import argparse
import csv
import json
import os
import time

K, D = 8, 16
TOL = 1e-7  # cnr's default tolerance (gap absolute, gap relative, feasibility)


def activation(cp, name, z):
    return {
        "relu": lambda: cp.pos(z),
        "leaky_relu(0.2)": lambda: cp.maximum(z, 0.2 * z),
        "softplus": lambda: cp.logistic(z),
        "squared_relu": lambda: cp.square(cp.pos(z)),
        "square": lambda: cp.square(z),
        "abs": lambda: cp.abs(z),
    }[name]()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--activation", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()

    import numpy as np
    import cvxpy as cp

    rows = list(csv.DictReader(open(args.results)))
    trials = []
    for row in rows:
        folder = os.path.join(args.data, f"trial-{row['cell']}-{row['trial']}")
        trials.append((row, np.load(os.path.join(folder, "x.npy")), np.load(os.path.join(folder, "y.npy"))))

    wall = cpu = 0.0
    optimal = both = 0
    worst = 0.0
    for row, x, y in trials:
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        n = x.shape[0]
        # The data anchor of unit length, as cnr's `anchor data`: g = Σ_i y_i Σ_k x_ik.
        g = y @ x.reshape(n, K, D).sum(axis=1)
        g /= np.linalg.norm(g)
        w = cp.Variable(D)
        z = cp.reshape(x.reshape(n * K, D) @ w, (n, K), order="C")
        problem = cp.Problem(cp.Maximize(g @ w), [cp.sum(activation(cp, args.activation, z), axis=1) <= y])
        try:
            problem.solve(solver=cp.CLARABEL, tol_gap_abs=TOL, tol_gap_rel=TOL, tol_feas=TOL)
            status = problem.status
        except cp.error.SolverError:
            status = "solver_error"
        wall += time.perf_counter() - wall_start
        cpu += time.process_time() - cpu_start
        if status == "optimal":
            optimal += 1
            if row["status"] == "optimal":
                both += 1
                ours, theirs = float(row["objective"]), float(g @ w.value)
                worst = max(worst, abs(ours - theirs) / max(abs(theirs), 1.0))
    print(json.dumps({
        "activation": args.activation,
        "trials": len(trials),
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "optimal": optimal,
        "both_optimal": both,
        "max_relative_objective_difference": worst,
        "cvxpy": cp.__version__,
    }))


if __name__ == "__main__":
    main()
