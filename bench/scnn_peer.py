"""cnr's learned two-layer ReLU network against pyscnn and CVXPY + Clarabel, on one program.

    python bench/scnn_peer.py solve --tool pyscnn|cvxpy --form exact|gated --cores C \
        --record RECORD.json --data DIR --out RESULT.json
    python bench/scnn_peer.py table --runs DIR

Run by bench/scnn_peer.sh, which solves a fully connected model (one patch: `conv kernel` equal
to the input, e.g. bench/learned_fc.cnr) with cnr, exports its samples with `cnr data` (the
training samples and, after them, held-out ones) and calls this script once per tool, form and
number of cores, each call its own process, so that the thread settings below hold for it alone.

The program (docs/learned.md), on cnr's scale, over the arrangements D_j = diag(1[X̃ g_j ≥ 0]) of
the record's filters g_j (x̃ = (x, 1) with `bias`):

    exact:  ½‖Σ_j D_j X̃ (c_j − c'_j) − y‖² + β Σ_j (‖c_j‖ + ‖c'_j‖),  (2D_j − I) X̃ c_j ≥ 0, same for c'_j
    gated:  ½‖Σ_j D_j X̃ c_j − y‖² + β Σ_j ‖c_j‖

pyscnn 0.0.10 (imported as `scnn`) minimises the same functions divided by n: its squared loss is
‖f − y‖² / (2n) (`ConvexMLP._objective`: `squared_error / (2 * scaling)`, scaling = n for one
output) and `NeuronGL1(lam)` adds lam Σ_j ‖c_j‖ (`group_l1_penalty`). So lam = β / n gives
pyscnn's objective = cnr's objective / n, the same minimiser. Its bias is a column of ones appended
to X (`add_bias_col`) with the gate's bias as the gates' last row, and the bias sits inside each
neuron's group, as cnr's does. `unitize_data=False` keeps X as it is (the default rescales X's
columns, which changes the regulariser's meaning), `dtype="float64"` avoids float32 rounding.
On the CPU pyscnn computes with NumPy (`lab.set_backend("numpy")`): torch is imported but does
not do the arithmetic, so the threads that count are NumPy's BLAS's.

`ConvexReLU(bias=True)` cannot return its convex weights in 0.0.10 (`ConvexReLU.set_parameters`
checks the shapes of a bias-less list and fails with AssertionError), so for the exact form this
script appends the column of ones itself and passes the gates with their bias row and
`bias=False`: exactly what `bias=True` does inside. The gated form uses pyscnn's own `bias=True`.

Every objective in the output is computed here, in NumPy, from the weights the tool returned
(pyscnn's own final objective, times n, and CVXPY's value are kept beside it), with the patterns
recomputed from the gates the tool returned (pyscnn sorts and may drop patterns); for the exact
form also the largest sign violation max (−(2D − 1) X̃ c)_+ / max |y|. Training and test losses
are mean squared errors of the network: the gated network for the gated form, and for the exact
form the ReLU network f(x) = Σ_j (x̃ᵀc_j)_+ − (x̃ᵀc'_j)_+ (what the program's point is as a
network; it matches the data term only where the sign rows hold).

Times are wall (`time.perf_counter`) and CPU (`time.process_time`) seconds of the solve alone:
after the imports and after reading the data and the record; for pyscnn the call of
`optimize_model` (its data conversion, patterns and solver), for CVXPY building the problem,
compiling it and Clarabel. cnr's come from its record and `/usr/bin/time` (whole process).
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


class Inconsistent(Exception):
    """The record and the data do not describe one program."""


def set_threads(cores):
    """Every thread pool the tools may start gets `cores` threads; call before importing NumPy."""
    for var in THREAD_VARS:
        os.environ[var] = str(cores)


def helpers():
    """bench/learned_cvxpy.py, for its CVXPY program (`build`), its evaluation of cnr's network
    (`network_check`) and its reading of `/usr/bin/time -v` (`cnr_wall`)."""
    sys.path.insert(0, HERE)
    import learned_cvxpy

    return learned_cvxpy


# ----------------------------------------------------------------------------- data and patterns


def load(record_path, data_dir):
    """The record, and the training and held-out samples as x̃ (n × h) and y: the first
    `record["samples"]` rows of `cnr data --out DIR` are the training set (raising n only extends
    planted data), the rest is held out."""
    import numpy as np

    with open(record_path) as fh:
        record = json.load(fh)
    if record["patches"] != 1:
        raise Inconsistent(f"the model has {record['patches']} patches: this bench is for a fully "
                           "connected network (one patch, `conv kernel` equal to the input)")
    x = np.load(os.path.join(data_dir, "x.npy")).astype(float)
    y = np.load(os.path.join(data_dir, "y.npy")).astype(float).reshape(-1)
    n, d = record["samples"], record["d"]
    filters = np.asarray(record["arrangements"]["filters"], dtype=float)   # (P, h)
    h = filters.shape[1]
    if x.shape[1] != d or h not in (d, d + 1) or x.shape[0] < n or y.shape[0] != x.shape[0]:
        raise Inconsistent(f"x is {x.shape}, y {y.shape}; the record has n = {n}, d = {d}, "
                           f"filters of {h} numbers")
    bias = h == d + 1
    xt = np.hstack([x, np.ones((x.shape[0], 1))]) if bias else x
    return record, filters, bias, (xt[:n], y[:n]), (xt[n:], y[n:])


def patterns(xt, gates):
    """D (n × P, 0/1) with D[i, j] = 1[⟨x̃_i, g_j⟩ ≥ 0], gates as a (P × h) array (cnr's rule;
    pyscnn's is `> 0`, the same unless a product is exactly zero)."""
    import numpy as np

    return (xt @ np.asarray(gates).T >= 0.0).astype(float)


def evaluate(form, xt, y, dd, groups, beta):
    """Data term and objective on cnr's scale, and the sign violation (exact form), from the
    groups (a (P × h) array, or the pair (c, c') for the exact form) and the patterns `dd` they
    belong to."""
    import numpy as np

    out = {}
    if form == "gated":
        (w,) = groups
        fit = np.sum((xt @ w.T) * dd, axis=1)
        decay = np.linalg.norm(w, axis=1).sum()
    else:
        cp_, cn_ = groups
        fit = np.sum((xt @ (cp_ - cn_).T) * dd, axis=1)
        decay = np.linalg.norm(cp_, axis=1).sum() + np.linalg.norm(cn_, axis=1).sum()
        sign = 2.0 * dd - 1.0
        worst = max(np.max(-sign * (xt @ cp_.T)), np.max(-sign * (xt @ cn_.T)), 0.0)
        out["sign_violation"] = float(worst / np.max(np.abs(y)))
    data_term = 0.5 * float(np.sum((fit - y) ** 2))
    out["data_term"] = data_term
    out["objective"] = data_term + beta * float(decay)
    out["groups_nonzero"] = int(sum(int(np.any(g != 0, axis=1).sum()) for g in groups))
    return out


def network_mse(form, xt, y, gates, groups):
    """Mean squared error of the trained network on (x̃, y): gated, Σ_j 1[x̃ᵀg_j ≥ 0] x̃ᵀc_j; ReLU,
    Σ_j (x̃ᵀc_j)_+ − (x̃ᵀc'_j)_+."""
    import numpy as np

    if y.size == 0:
        return None
    if form == "gated":
        (w,) = groups
        f = np.sum((xt @ w.T) * patterns(xt, gates), axis=1)
    else:
        cp_, cn_ = groups
        f = np.maximum(xt @ cp_.T, 0.0).sum(axis=1) - np.maximum(xt @ cn_.T, 0.0).sum(axis=1)
    return float(np.mean((f - y) ** 2))


# ----------------------------------------------------------------------------- the solvers


def solve_pyscnn(form, xt, y, filters, bias, beta, args):
    """pyscnn's convex model with the record's gates: ConvexGatedReLU by R-FISTA or ConvexReLU by
    its augmented Lagrangian, NeuronGL1(β / n), pyscnn's tolerances unless given. Returns the
    groups, the gates they go with (P × h, pyscnn's order), status and the solver's own figures."""
    import numpy as np
    import torch
    from scnn import optimize as scnn_optimize
    from scnn.metrics import Metrics
    from scnn.models import ConvexGatedReLU, ConvexReLU
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL, RFISTA

    torch.set_num_threads(args.cores)
    n, h = xt.shape
    # optimize_model drops the procedure's exit status; keep it by wrapping the procedure that
    # build_optimizer returns (the solve itself is untouched).
    exit_status = {}
    original = scnn_optimize.build_optimizer

    def keeping_status(*a, **k):
        procedure = original(*a, **k)

        def run(*pa, **pk):
            status, model, metrics = procedure(*pa, **pk)
            exit_status.update(status)
            return status, model, metrics

        return run

    scnn_optimize.build_optimizer = keeping_status
    lam = beta / n
    if form == "gated":
        if bias:
            # pyscnn's own bias: X without the ones, the gates' bias apart.
            x_in = xt[:, :-1]
            model = ConvexGatedReLU(filters[:, :-1].T.copy(), c=1, bias=True,
                                    G_bias=filters[:, -1].copy())
        else:
            x_in, model = xt, ConvexGatedReLU(filters.T.copy(), c=1)
        kwargs = {} if args.scnn_tol is None else {"tol": args.scnn_tol}
        if args.scnn_max_iters is not None:
            kwargs["max_iters"] = args.scnn_max_iters
        solver = RFISTA(model, **kwargs)
        method = f"R-FISTA, tol {solver.tol:g}"
    else:
        # The ones column and the gates' bias row by hand (see the module's docstring).
        x_in, model = xt, ConvexReLU(filters.T.copy(), c=1, bias=False)
        kwargs = {} if args.scnn_tol is None else {"tol": args.scnn_tol,
                                                   "constraint_tol": args.scnn_tol}
        if args.scnn_max_iters is not None:
            kwargs["max_primal_iters"] = args.scnn_max_iters
        solver = AL(model, **kwargs)
        method = f"AL, tol {solver.tol:g}"
    metrics = Metrics()

    wall, cpu = time.perf_counter(), time.process_time()
    trained, metrics = scnn_optimize.optimize_model(
        model, solver, metrics, x_in, y, regularizer=NeuronGL1(lam), return_convex=True,
        unitize_data=False, verbose=False, device="cpu", dtype="float64")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    params = [np.asarray(p, dtype=float) for p in trained.parameters]
    if form == "gated":
        w = params[0][0]
        if bias:
            w = np.hstack([w, params[1][0][:, None]])
            gates = np.vstack([trained.G, trained.G_bias[None, :]]).T
        else:
            gates = np.asarray(trained.G).T
        groups = (w,)
    else:
        groups = (params[0][0], params[1][0])
        gates = np.asarray(trained.G).T
    success = exit_status.get("success")
    iterations = exit_status.get("iterations", exit_status.get("total_inner_iterations"))
    detail = {
        "lam": lam,
        "own_objective_times_n": float(metrics.objective[-1]) * n,
        "grad_norm_squared": float(metrics.grad_norm[-1]),
        "tolerance": solver.tol,
        "exit_status": {k: v for k, v in exit_status.items() if isinstance(v, (bool, int, float))},
        "patterns_kept": int(gates.shape[0]),
    }
    if form == "exact":
        detail["outer_iterations"] = exit_status.get("outer_iterations")
    status = {True: "converged", False: "not converged"}.get(success, "unknown")
    return groups, gates, method, status, iterations, wall, cpu, detail


def solve_cvxpy(form, xt, y, filters, bias, beta, args):
    """The program written with CVXPY's atoms (bench/learned_cvxpy.py's `build`) and solved by
    Clarabel at `--tol` (gap and feasibility)."""
    import cvxpy as cp

    lc = helpers()
    dd = patterns(xt, filters)                     # (n, P)
    n, h = xt.shape
    p = filters.shape[0]
    wall, cpu = time.perf_counter(), time.process_time()
    prob, groups, _ = lc.build(xt[:, None, :], y, dd.T[:, :, None].astype(bool), beta,
                               form == "exact", False)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=args.tol, tol_gap_rel=args.tol,
               tol_feas=args.tol, max_iter=500)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    values = tuple(g.value.reshape(p, h) for g in groups)
    detail = {"own_objective": float(prob.value), "tolerance": args.tol,
              "compile_seconds": prob.compilation_time,
              "clarabel_seconds": prob.solver_stats.solve_time}
    method = f"Clarabel, tol {args.tol:g}" + (" (reference)" if args.role == "reference" else "")
    return values, filters, method, prob.status, prob.solver_stats.num_iters, wall, cpu, detail


def cmd_solve(args):
    set_threads(args.cores)
    # Imports first (torch is slow to import), then the data: neither is timed.
    import numpy as np

    if args.tool == "pyscnn":
        import scnn.optimize  # noqa: F401
        import torch  # noqa: F401
    else:
        import cvxpy  # noqa: F401

    record, filters, bias, (xt, y), (xt_test, y_test) = load(args.record, args.data)
    beta = record["weight_decay"]
    solve = solve_pyscnn if args.tool == "pyscnn" else solve_cvxpy
    groups, gates, method, status, iterations, wall, cpu, detail = solve(
        args.form, xt, y, filters, bias, beta, args)
    dd = patterns(xt, gates)
    result = {"tool": args.tool, "role": args.role, "form": args.form, "method": method,
              "cores": args.cores,
              "status": status, "iterations": iterations, "wall": wall, "cpu": cpu,
              "solve": wall, "samples": int(y.size), "test_samples": int(y_test.size),
              "patterns": int(filters.shape[0]), "beta": beta, "detail": detail}
    result.update(evaluate(args.form, xt, y, dd, groups, beta))
    result["training_mse"] = network_mse(args.form, xt, y, gates, groups)
    result["test_mse"] = network_mse(args.form, xt_test, y_test, gates, groups)
    # The tool's gates must be the record's (pyscnn sorts them and drops repeated patterns).
    mine = {tuple(np.round(g, 12)) for g in filters}
    theirs = {tuple(np.round(g, 12)) for g in np.asarray(gates)}
    result["same_gates"] = mine == theirs
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1)
    print(f"   {args.tool} {args.form} on {args.cores} core(s): {status}, objective "
          f"{result['objective']:.10g}, {wall:.2f} s", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------- the table


def cnr_row(path, lc, data_dir):
    """A table row from cnr's record (…/cnr-FORM-METHOD-C.json) and its /usr/bin/time report."""
    import numpy as np

    record, _, _, (xt, y), (xt_test, y_test) = load(path, data_dir)
    name = os.path.basename(path)[:-len(".json")]
    # cnr-FORM-METHOD-CORES, where METHOD may hold dashes (first-order).
    _, form, rest = name.split("-", 2)
    method, cores = rest.rsplit("-", 1)
    wall, peak = lc.cnr_wall(path[:-len(".json")] + ".time")
    cpu = None
    with open(path[:-len(".json")] + ".time") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith(("User time", "System time")):
                cpu = (cpu or 0.0) + float(line.rsplit(" ", 1)[1])
    # The record's network, evaluated here on the same samples: its loss must be the record's.
    loss, net_obj = lc.network_check(xt[:, None, :], y, record)
    if abs(loss - record["network_loss"]) > 1e-8 * max(1.0, abs(record["network_loss"])):
        raise Inconsistent(f"{name}: the record's network has loss {loss} on these samples, "
                           f"the record says {record['network_loss']}")
    test_mse = None
    if y_test.size:
        test_loss, _ = lc.network_check(xt_test[:, None, :], y_test, record)
        test_mse = 2.0 * test_loss / y_test.size
    if record["attempts"]:
        iterations = sum(a["iterations"] for a in record["attempts"])
    else:
        iterations = record.get("first_order", {}).get("iterations")
    label = record["method"]
    if record.get("sign_cuts"):
        label += f" ({record['sign_cuts']['rounds']} rounds)"
    return {"tool": "cnr", "form": form, "method": f"{label}, asked {method}", "asked": method,
            "cores": int(cores), "status": record["status"], "iterations": iterations,
            "wall": wall, "cpu": cpu, "solve": record["timings"]["solving_seconds"],
            "objective": record["objective"], "network_objective": net_obj,
            "sign_violation": record.get("sign_violation") if form == "exact" else None,
            "training_mse": 2.0 * loss / y.size, "test_mse": test_mse, "peak_mb": peak // 1024,
            "samples": int(y.size), "test_samples": int(y_test.size),
            "patterns": len(record["arrangements"]["filters"]), "beta": record["weight_decay"],
            "record_wall": record["timings"]["wall_seconds"], "same_gates": True}


def cmd_table(args):
    set_threads(1)
    lc = helpers()
    rows = []
    for name in sorted(os.listdir(args.runs)):
        path = os.path.join(args.runs, name)
        if name.startswith("cnr-") and name.endswith(".json"):
            rows.append(cnr_row(path, lc, args.data))
        elif name.startswith("py-") and name.endswith(".json"):
            with open(path) as fh:
                rows.append(json.load(fh))
    if not rows:
        raise Inconsistent(f"no results in {args.runs}")
    order = {"cnr": 0, "pyscnn": 1, "cvxpy": 2}
    # Exact form first; cnr (`auto` first), pyscnn, CVXPY (the reference last); then cores.
    rows.sort(key=lambda r: (r["form"] != "exact", order[r["tool"]], r.get("asked") != "auto",
                             r.get("role") == "reference", r["method"], r["cores"]))

    # The reference optimum of each form: the CVXPY + Clarabel solve run as the reference (at
    # 1e-10); without one, CVXPY's solve on one core.
    ref = {}
    for r in rows:
        if r["tool"] == "cvxpy" and (r.get("role") == "reference"
                                     or (r["cores"] == 1 and r["form"] not in ref)):
            ref[r["form"]] = r

    def fmt(v, spec):
        return "" if v is None else format(v, spec)

    first = rows[0]
    print(f"\nn = {first['samples']} training samples ({first['test_samples']} held out), "
          f"P = {first['patterns']} arrangements, beta = {first['beta']}. Objectives on cnr's scale, "
          "computed from each tool's weights; wall and CPU seconds: cnr's whole process "
          "(`/usr/bin/time`), the others' solve alone (after imports and data loading); solve s: "
          "cnr's record (`timings.solving_seconds`); iterations: cnr's backend calls' in the "
          "record (for cutting planes the last program's) or its first-order method's, pyscnn's "
          "(the AL's inner iterations in all), Clarabel's\n")
    print("| tool | form | method | cores | status | iterations | wall s | CPU s | solve s "
          "| objective | rel. diff to reference | training MSE | test MSE | sign violation |")
    print("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        best = ref.get(r["form"])
        rel = (r["objective"] - best["objective"]) / abs(best["objective"]) if best else None
        tool = {"cnr": "cnr", "pyscnn": "pyscnn", "cvxpy": "CVXPY + Clarabel"}[r["tool"]]
        print("| " + " | ".join([
            tool, r["form"], r["method"], str(r["cores"]), r["status"],
            "" if r["iterations"] is None else str(r["iterations"]),
            fmt(r["wall"], ".2f"), fmt(r["cpu"], ".2f"), fmt(r["solve"], ".2f"),
            fmt(r["objective"], ".8f"), fmt(rel, ".2e"), fmt(r["training_mse"], ".6f"),
            fmt(r["test_mse"], ".6f"), fmt(r.get("sign_violation"), ".1e")]) + " |")
    print()
    # What each tool said about its own point, beside what this script computed.
    for r in rows:
        d = r.get("detail", {})
        if r["tool"] == "cnr":
            print(f"- cnr {r['form']} ({r['method']}, {r['cores']} core(s)): the record's network's "
                  f"objective {r['network_objective']:.10g} (recomputed here), the record's wall "
                  f"{r['record_wall']:.2f} s, peak {r['peak_mb']} MB")
        elif r["tool"] == "pyscnn":
            print(f"- pyscnn {r['form']} ({r['method']}, {r['cores']} core(s)): lam = beta/n = "
                  f"{d['lam']:.3g}; its last recorded objective x n {d['own_objective_times_n']:.10g}"
                  + (" (with the AL's penalty term)" if r["form"] == "exact" else "")
                  + f", squared subgradient norm "
                  f"{d['grad_norm_squared']:.2e}; exit {d['exit_status']}; {d['patterns_kept']} "
                  f"patterns, the record's gates: {r['same_gates']}")
        else:
            print(f"- CVXPY {r['form']} ({r['method']}, {r['cores']} core(s)): CVXPY's value "
                  f"{d['own_objective']:.10g}, compiling {d['compile_seconds']:.2f} s, Clarabel "
                  f"{d['clarabel_seconds']:.2f} s")

    # Exit code: 2 when the inputs disagree or cnr did not end optimal; 1 when cnr's objective is
    # more than --rtol above the reference (or below an optimal one); pyscnn's accuracy and
    # CVXPY's status are measurements, reported but not judged.
    code = 0
    for r in rows:
        if not r["same_gates"]:
            print(f"{r['tool']} {r['form']}: its gates are not the record's", file=sys.stderr)
            code = 2
        if r["tool"] == "cnr" and r["status"] != "optimal":
            print(f"cnr {r['form']} ({r['method']}, {r['cores']} cores) is {r['status']}",
                  file=sys.stderr)
            code = 2
        if r["tool"] == "cvxpy" and r["status"] != "optimal":
            print(f"note: CVXPY + Clarabel {r['form']} ({r['method']}, {r['cores']} cores) is "
                  f"{r['status']}", file=sys.stderr)
    for r in rows:
        best = ref.get(r["form"])
        if code or r["tool"] != "cnr" or best is None:
            continue
        rel = (r["objective"] - best["objective"]) / abs(best["objective"])
        if rel > args.rtol or (rel < -args.rtol and best["status"] == "optimal"):
            print(f"cnr {r['form']} ({r['method']}, {r['cores']} cores) is {rel:.2e} from the "
                  f"reference, more than {args.rtol:g}", file=sys.stderr)
            code = 1
    return code


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("solve", help="solve the record's program with pyscnn or CVXPY")
    s.add_argument("--tool", choices=("pyscnn", "cvxpy"), required=True)
    s.add_argument("--form", choices=("exact", "gated"), required=True)
    s.add_argument("--cores", type=int, default=1, help="threads of every pool (match taskset)")
    s.add_argument("--record", required=True, help="a cnr record of the form (its filters, β)")
    s.add_argument("--data", required=True, help="cnr data's folder: training then held-out")
    s.add_argument("--out", required=True, help="the result (JSON)")
    s.add_argument("--tol", type=float, default=1e-9, help="Clarabel's gap and feasibility "
                   "tolerances (CVXPY; default cnr's for learned programs, 1e-9)")
    s.add_argument("--role", choices=("timed", "reference"), default="timed",
                   help="`reference`: this solve's objective is the table's reference optimum")
    s.add_argument("--scnn-tol", type=float, help="pyscnn's tol (default: its own, 1e-6)")
    s.add_argument("--scnn-max-iters", type=int, help="pyscnn's iteration limit (default: its "
                   "own, 10,000 for R-FISTA and for the AL's inner iterations in all)")
    t = sub.add_parser("table", help="print the Markdown table of a folder of results")
    t.add_argument("--runs", required=True, help="the folder of cnr-*.json, *.time and py-*.json")
    t.add_argument("--data", required=True, help="cnr data's folder")
    t.add_argument("--rtol", type=float, default=1e-6, help="cnr's largest accepted relative "
                   "difference to the reference")
    args = ap.parse_args()
    return cmd_solve(args) if args.cmd == "solve" else cmd_table(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Inconsistent as e:
        print(f"scnn_peer.py: {e}", file=sys.stderr)
        sys.exit(2)
