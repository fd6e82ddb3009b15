"""Peer benchmark: the ReLU relaxation that cnr builds, solved with CVXPY + Clarabel on the same data.

    python bench/peer_cvxpy.py make-data --n 2000 --seed 1 --out bench/out/peer-2000
    python bench/peer_cvxpy.py solve --dir bench/out/peer-2000 --json
    python bench/peer_cvxpy.py table --runs bench/out/peer-runs.tsv   # used by bench/peer.sh

Run it with the virtualenv that bench/peer.sh creates (bench/out/venv, git-ignored), which has
cvxpy, clarabel, numpy and scipy. `make-data` draws planted data (input 512, kernel 32, stride 32,
K = 16 patches, relu, output weights 1) and writes x.npy, y.npy, w.npy and a model.cnr reading them;
`solve` solves the relaxation with CVXPY and Clarabel and prints times, objective and recovery;
`table` turns the runs recorded by bench/peer.sh into a Markdown table.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

D = 32  # filter length
K = 16  # patches per input
INPUT = D * K
TOL = 1e-7  # cnr's default tolerance (gap absolute, gap relative, feasibility)

MODEL = """model bench_relu_files

network {
  input 512
  conv kernel 32 stride 32
  activation relu
  output ones
}

data files {
  inputs "x.npy"
  labels "y.npy"
  planted "w.npy"
}
"""


def make_data(args):
    import numpy as np

    rng = np.random.default_rng(args.seed)
    w = rng.standard_normal(D)
    x = rng.standard_normal((args.n, INPUT))
    # Patch k of input i is x[i, 32k:32k+32]; as (n, K, d) the pre-activations are one product.
    y = np.maximum(x.reshape(args.n, K, D) @ w, 0.0).sum(axis=1)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "x.npy"), x.astype(np.float64))
    np.save(os.path.join(args.out, "y.npy"), y.astype(np.float64))
    np.save(os.path.join(args.out, "w.npy"), w.astype(np.float64))
    with open(os.path.join(args.out, "model.cnr"), "w") as f:
        f.write(MODEL)
    print(f"wrote {args.out}: x {x.shape}, y {y.shape}, w {w.shape}, model.cnr")


def solve(args):
    t_import = time.perf_counter()
    import numpy as np
    import cvxpy as cp

    # The call starts after the imports (about 1 s for cvxpy); peer.sh's /usr/bin/time has all.
    t_start = time.perf_counter()
    x = np.load(os.path.join(args.dir, "x.npy"))
    y = np.load(os.path.join(args.dir, "y.npy"))
    w_star = np.load(os.path.join(args.dir, "w.npy"))
    n = x.shape[0]
    if x.shape[1] != INPUT or y.shape != (n,) or w_star.shape != (D,):
        sys.exit(f"unexpected shapes: x {x.shape}, y {y.shape}, w {w_star.shape}")
    # Row i*K + k is patch k of input i (a view, no copy).
    patches = x.reshape(n * K, D)

    # Data anchor g = sum_i y_i sum_k x_ik, of unit length (as cnr's `anchor data`).
    g = y @ x.reshape(n, K, D).sum(axis=1)
    g /= np.linalg.norm(g)

    t_build = time.perf_counter()
    w = cp.Variable(D, name="w")
    t = cp.Variable((n, K), name="t")
    if args.form == "patches":
        # One matrix expression per patch: t[:, k] >= X_k w (compiles slightly faster).
        epi = [t[:, k] >= x[:, D * k:D * (k + 1)] @ w for k in range(K)]
    else:
        # One constraint for all patches: the (nK)-vector of pre-activations, reshaped row-major.
        epi = [t >= cp.reshape(patches @ w, (n, K), order="C")]
    constraints = epi + [t >= 0, cp.sum(t, axis=1) <= y]
    problem = cp.Problem(cp.Maximize(g @ w), constraints)
    build_seconds = time.perf_counter() - t_build

    opts = dict(tol_gap_abs=TOL, tol_gap_rel=TOL, tol_feas=TOL)
    t_call = time.perf_counter()
    problem.solve(solver=cp.CLARABEL, verbose=args.verbose, **opts)
    call_seconds = time.perf_counter() - t_call
    total_seconds = time.perf_counter() - t_start

    # CVXPY's own compilation time (canonicalisation + get_problem_data) plus building the problem.
    compilation = problem.compilation_time
    compile_seconds = build_seconds + (compilation if compilation is not None else float("nan"))
    stats = problem.solver_stats
    solve_seconds = stats.solve_time if stats is not None and stats.solve_time is not None else None

    w_val = w.value
    if w_val is not None:
        objective = float(g @ w_val)
        recovery = float(np.linalg.norm(w_val - w_star) / np.linalg.norm(w_star))
    else:
        objective = recovery = None
    out = {
        "tool": "cvxpy",
        "method": f"clarabel-{args.form}",
        "samples": n,
        "status": problem.status,
        "objective": objective,
        "planted_objective": float(g @ w_star),
        "recovery_error": recovery,
        "compile_seconds": compile_seconds,
        "solve_seconds": solve_seconds,
        "total_seconds": total_seconds,
        # Details: the parts of compile, the whole solve() call (compile + interface + solver +
        # unpacking), data loading and the anchor (part of total, not of compile).
        "build_seconds": build_seconds,
        "cvxpy_compilation_seconds": compilation,
        "solve_call_seconds": call_seconds,
        "load_seconds": t_build - t_start,
        "import_seconds": t_start - t_import,
        "iterations": stats.num_iters if stats is not None else None,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cvxpy_version": cp.__version__,
        "tolerance": TOL,
    }
    try:
        from importlib.metadata import version

        out["clarabel_version"] = version("clarabel")
    except Exception:
        pass
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:28} {v}")
    return 0 if problem.status == cp.OPTIMAL else 2


def _load_json(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        try:
            return json.loads(text)
        except ValueError:
            pass
        # Else the JSON object is the last line that holds one (something was printed before it).
        for line in reversed(text.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
        return json.loads(text)
    except (OSError, ValueError):
        return {}


def _time_file(path):
    """`/usr/bin/time -f '%e %M'` output: wall seconds and peak resident KB (last line)."""
    try:
        with open(path) as f:
            lines = [l.split() for l in f if l.strip()]
        for parts in reversed(lines):
            if len(parts) == 2:
                return float(parts[0]), float(parts[1]) / 1024
    except (OSError, ValueError):
        pass
    return None, None


def _num(v, fmt):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "?"
    try:
        return format(float(v), fmt)
    except (TypeError, ValueError):
        return "?"


def table(args):
    """Rows of the manifest: tool, method, n, exit code, JSON file, time file (tab-separated)."""
    runs = []
    with open(args.runs) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 6:
                runs.append(parts[:6])
    results = []
    for tool, method, n, rc, json_path, time_path in runs:
        j = _load_json(json_path)
        wall, peak = _time_file(time_path)
        if tool == "cvxpy":
            # In-process figures: total of the call (after imports) and getrusage's peak.
            wall = j.get("total_seconds", wall)
            peak = j.get("peak_rss_mb", peak)
        results.append(dict(tool=tool, method=j.get("method", method), n=int(n), rc=rc, j=j,
                            wall=wall, peak=peak))
    ref = {r["n"]: r["j"].get("objective") for r in results
           if r["tool"] == "cvxpy" and r["j"].get("objective") is not None}
    print("| tool | method | N | exit | status | compile s | solve s | total wall s | peak MB "
          "| objective | rel. diff to CVXPY | recovery error |")
    print("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        j = r["j"]
        obj = j.get("objective")
        diff = ""
        if r["n"] in ref and obj is not None and r["tool"] != "cvxpy":
            c = ref[r["n"]]
            diff = format((float(obj) - c) / abs(c), ".2e") if c != 0 else "?"
        elif r["tool"] == "cvxpy" and obj is not None:
            diff = "0"
        print(f"| {r['tool']} | {r['method']} | {r['n']} | {r['rc']} | {j.get('status', '?')} "
              f"| {_num(j.get('compile_seconds'), '.3f')} | {_num(j.get('solve_seconds'), '.3f')} "
              f"| {_num(r['wall'], '.2f')} | {_num(r['peak'], '.0f')} | {_num(obj, '.9f')} "
              f"| {diff} | {_num(j.get('recovery_error'), '.2e')} |")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make-data", help="draw planted data and write x.npy, y.npy, w.npy, model.cnr")
    m.add_argument("--n", type=int, required=True, help="number of samples")
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--out", required=True, help="directory to write")
    s = sub.add_parser("solve", help="solve the relaxation with CVXPY + Clarabel")
    s.add_argument("--dir", required=True, help="directory written by make-data")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--form", choices=["reshape", "patches"], default="patches",
                   help="one constraint per patch (default) or one reshaped constraint for all")
    s.add_argument("--verbose", action="store_true", help="Clarabel's and CVXPY's log")
    t = sub.add_parser("table", help="Markdown table of the runs recorded by bench/peer.sh")
    t.add_argument("--runs", required=True, help="tab-separated manifest written by peer.sh")
    args = p.parse_args()
    if args.cmd == "make-data":
        return make_data(args)
    if args.cmd == "solve":
        return solve(args)
    return table(args)


if __name__ == "__main__":
    sys.exit(main() or 0)
