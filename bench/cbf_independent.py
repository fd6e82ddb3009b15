#!/usr/bin/env python3
"""Independent check of the CBF files that cnr writes (not part of CI).

For every examples/*.cnr:
  1. `cnr compile MODEL --emit cbf -o bench/out/NAME.cbf` and `cnr solve MODEL --json`;
  2. MOSEK's Python package reads the CBF file (reading needs no licence);
  3. the problem MOSEK holds (variables and their bounds, linear constraints, affine conic
     constraints with their domains, objective and sense) is turned into Clarabel's form
     (P, q, A, b, cones) by the code below, independent of cnr's Rust reader;
  4. Clarabel's Python package solves it (at the tightest of 1e-8, 1e-7, 1e-6 that gives Solved),
     and its objective, in the file's sense (cnr writes OBJSENSE MAX with the user's objective),
     is compared with the objective of `cnr solve` to a relative 1e-6;
  5. MOSEK measures how far Clarabel's point violates the problem as MOSEK understood it
     (Task.putxx + getpviol*), which tests the conversion in step 3 against MOSEK itself;
  6. for information only: `cnr solve` on the CBF file (cnr's own reader), and SCS, a solver
     unrelated to Clarabel (the engine of `cnr solve`), on the same converted problem.

Then `cnr solve` is run on tests/fixtures/cbf/mosek_written.cbf, a file written by MOSEK (see
bench/make_mosek_cbf.py), and its objective is compared with the optimum derived by hand.

One line per check; the exit code is 1 if any check fails. Run it through bench/cbf_independent.sh,
which sets up the virtualenv and builds cnr.
"""

import argparse
import glob
import json
import math
import os
import subprocess
import sys

import clarabel
import mosek
import numpy as np
import scipy.sparse as sp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join("tests", "fixtures", "cbf", "mosek_written.cbf")
# The hand-derived optimum of the fixture (see tests/fixtures/cbf/mosek_written.md).
FIXTURE_OPTIMUM = -2.5 - 4.0 * math.log(2.0) - math.sqrt(5.0)


class Unsupported(Exception):
    """The task holds something this converter does not map to Clarabel."""


# --------------------------------------------------------------------------------------------
# Reading a file with MOSEK and taking the problem out of the task
# --------------------------------------------------------------------------------------------


def read_with_mosek(env, path):
    """Reads PATH as CBF into a new task. Returns (task, log text). Raises mosek.Error if MOSEK
    rejects the file."""
    log = []
    task = env.Task()
    task.set_Stream(mosek.streamtype.log, log.append)
    task.set_Stream(mosek.streamtype.err, log.append)
    task.set_Stream(mosek.streamtype.wrn, log.append)
    task.readdataformat(path, mosek.dataformat.cb, mosek.compresstype.none)
    return task, "".join(log)


def _bound_rows(bk, bl, bu):
    """For bound keys and values, the rows `sign·(expr) + const` that must be zero (eq) or
    non-negative (ge), as lists of (index, sign, const)."""
    eq, ge = [], []
    for i, (k, lo, up) in enumerate(zip(bk, bl, bu)):
        if k == mosek.boundkey.fr:
            continue
        if k == mosek.boundkey.fx:
            eq.append((i, 1.0, -lo))  # expr - lo = 0
        elif k == mosek.boundkey.lo:
            ge.append((i, 1.0, -lo))  # expr - lo >= 0
        elif k == mosek.boundkey.up:
            ge.append((i, -1.0, up))  # up - expr >= 0
        elif k == mosek.boundkey.ra:
            ge.append((i, 1.0, -lo))
            ge.append((i, -1.0, up))
        else:
            raise Unsupported(f"bound key {k}")
    return eq, ge


def _cone_map(task, domidx):
    """The linear map T (a sparse n x n matrix) and the Clarabel cone for MOSEK domain DOMIDX, such
    that u lies in the domain exactly when T u lies in the Clarabel cone. None for R^n.

    A cone is written as a tuple (kind, dim, parameter...): ('zero', n), ('nonneg', n), ('soc', n),
    ('exp', 3) = {(x, y, z): y exp(x/y) <= z}, ('pow', 3, a) = {x^a y^(1-a) >= |z|} and
    ('genpow', n, beta) = {prod x_i^beta_i >= ||y||}: Clarabel's cones (see clarabel_cones)."""
    dt = task.getdomaintype(domidx)
    n = int(task.getdomainn(domidx))
    D = mosek.domaintype
    eye = sp.identity(n, format="csr")
    if dt == D.r:
        return None
    if dt == D.rzero:
        return eye, ('zero', n)
    if dt == D.rplus:
        return eye, ('nonneg', n)
    if dt == D.rminus:
        return -eye, ('nonneg', n)
    if dt == D.quadratic_cone:
        # u0 >= ||u1..||; a 1-d one is u0 >= 0
        cone = ('soc', n) if n >= 2 else ('nonneg', 1)
        return eye, cone
    if dt == D.rquadratic_cone:
        # 2 u0 u1 >= ||u2..||^2, u0, u1 >= 0  <=>  ((u0+u1)/sqrt2, (u0-u1)/sqrt2, u2..) in SOC
        T = eye.tolil()
        r = 1.0 / math.sqrt(2.0)
        T[0, 0], T[0, 1], T[1, 0], T[1, 1] = r, r, r, -r
        return T.tocsr(), ('soc', n)
    if dt == D.primal_exp_cone:
        # MOSEK: u0 >= u1 exp(u2/u1), u1 > 0 (and its closure). Clarabel (x, y, z): y exp(x/y) <= z.
        # So (x, y, z) = (u2, u1, u0).
        return sp.csr_matrix(np.eye(3)[[2, 1, 0]]), ('exp', 3)
    if dt == D.dual_exp_cone:
        # MOSEK: u0 >= -u2 exp(u1/u2 - 1), u2 < 0 (and its closure). With y = -u2, z = u0 and
        # x = u2 - u1: y exp(x/y) = -u2 exp(u1/u2 - 1) <= z. The closures match too
        # (y = 0 gives x <= 0, z >= 0, that is u1 >= 0, u0 >= 0).
        T = np.array([[0.0, -1.0, 1.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
        return sp.csr_matrix(T), ('exp', 3)
    if dt in (D.primal_power_cone, D.dual_power_cone):
        _, nleft = task.getpowerdomaininfo(domidx)
        nleft = int(nleft)
        alpha = np.array(task.getpowerdomainalpha(domidx), dtype=float)
        beta = alpha / alpha.sum()
        # primal: prod u_i^beta_i >= ||u_nleft..||, u_0..nleft-1 >= 0
        # dual:   prod (u_i/beta_i)^beta_i >= ||u_nleft..||: scale the left part by 1/beta_i
        scale = np.ones(n)
        if dt == D.dual_power_cone:
            scale[:nleft] = 1.0 / beta
        T = sp.diags(scale, format="csr")
        if nleft == 1:
            cone = ('soc', n)
        elif nleft == 2 and n == 3:
            cone = ('pow', 3, float(beta[0]))
        else:
            cone = ('genpow', n, list(map(float, beta)))
        return T, cone
    raise Unsupported(f"domain type {dt}")


def task_to_clarabel(task):
    """Converts what MOSEK holds into Clarabel's minimisation form.

    Returns a dict with P, q, A, b, cones, the objective vector c, its constant cfix and
    sense_sign (+1 for MIN, -1 for MAX: the file's objective is sense_sign * obj_val + cfix)."""
    n = task.getnumvar()
    m = task.getnumcon()
    if task.getnumbarvar() or task.getnumcone():
        raise Unsupported("PSD variables or old-style cones")
    if task.getnumdjc():
        raise Unsupported("disjunctive constraints")
    if any(task.getvartype(j) != mosek.variabletype.type_cont for j in range(n)):
        raise Unsupported("integer variables")
    if task.getnumqobjnz():
        raise Unsupported("quadratic objective")

    c = np.array(task.getc(), dtype=float)
    cfix = task.getcfix()
    sense_sign = -1.0 if task.getobjsense() == mosek.objsense.maximize else 1.0

    zero_A, zero_b, nonneg_A, nonneg_b = [], [], [], []

    # Variable bounds: rows in x itself.
    if n:
        eq, ge = _bound_rows(*task.getvarboundslice(0, n))
        for rows, As, bs in ((eq, zero_A, zero_b), (ge, nonneg_A, nonneg_b)):
            if rows:
                idx = np.array([r[0] for r in rows])
                sign = np.array([r[1] for r in rows])
                const = np.array([r[2] for r in rows])
                # s = sign*x_j + const  =>  A = -sign*e_j, b = const
                As.append(sp.csr_matrix((-sign, (np.arange(len(rows)), idx)), shape=(len(rows), n)))
                bs.append(const)

    # Linear constraints bl <= A x <= bu.
    if m:
        sub = task.getarowslicetrip(0, m)
        Alin = sp.csr_matrix(
            (np.array(sub[2], dtype=float), (np.array(sub[0]), np.array(sub[1]))), shape=(m, n)
        )
        eq, ge = _bound_rows(*task.getconboundslice(0, m))
        for rows, As, bs in ((eq, zero_A, zero_b), (ge, nonneg_A, nonneg_b)):
            if rows:
                idx = np.array([r[0] for r in rows])
                sign = sp.diags(np.array([r[1] for r in rows]))
                As.append(-(sign @ Alin[idx]))
                bs.append(np.array([r[2] for r in rows]))

    # Affine conic constraints: F[afeidx] x + g[afeidx] - b_acc in domain.
    numafe = task.getnumafe()
    fi, fj, fv = task.getafeftrip() if numafe else ([], [], [])
    F = sp.csr_matrix(
        (np.array(fv, dtype=float), (np.array(fi, dtype=np.int64), np.array(fj, dtype=np.int64))),
        shape=(numafe, n),
    )
    g = np.array(task.getafegslice(0, numafe), dtype=float) if numafe else np.zeros(0)
    if task.getafebarfnumblocktriplets():
        raise Unsupported("PSD terms in affine expressions")

    blocks_A, blocks_b, cones = [], [], []
    if zero_A:
        Z = sp.vstack(zero_A)
        blocks_A.append(Z)
        blocks_b.append(np.concatenate(zero_b))
        cones.append(('zero', Z.shape[0]))
    if nonneg_A:
        N = sp.vstack(nonneg_A)
        blocks_A.append(N)
        blocks_b.append(np.concatenate(nonneg_b))
        cones.append(('nonneg', N.shape[0]))
    for k in range(task.getnumacc()):
        mapped = _cone_map(task, task.getaccdomain(k))
        if mapped is None:
            continue
        T, cone = mapped
        afe = np.array(task.getaccafeidxlist(k), dtype=np.int64)
        h = g[afe] - np.array(task.getaccb(k), dtype=float)
        # s = T (F x + h) in the cone  =>  A = -T F, b = T h
        blocks_A.append(-(T @ F[afe]))
        blocks_b.append(T @ h)
        cones.append(cone)

    A = sp.vstack(blocks_A).tocsc() if blocks_A else sp.csc_matrix((0, n))
    b = np.concatenate(blocks_b) if blocks_b else np.zeros(0)
    return {
        "P": sp.csc_matrix((n, n)),
        "q": sense_sign * c,
        "A": A,
        "b": b,
        "cones": cones,
        "c": c,
        "cfix": cfix,
        "sense_sign": sense_sign,
    }


def clarabel_cones(cones):
    make = {
        "zero": lambda c: clarabel.ZeroConeT(c[1]),
        "nonneg": lambda c: clarabel.NonnegativeConeT(c[1]),
        "soc": lambda c: clarabel.SecondOrderConeT(c[1]),
        "exp": lambda c: clarabel.ExponentialConeT(),
        "pow": lambda c: clarabel.PowerConeT(c[2]),
        "genpow": lambda c: clarabel.GenPowerConeT(c[2], c[1] - len(c[2])),
    }
    return [make[c[0]](c) for c in cones]


def solve_clarabel(prob, tol=1e-7):
    """Solves with Clarabel's Python package. TOL goes to the gap and feasibility tolerances; the
    default, 1e-7, is what cnr uses for a model (a model's `solver { tolerance }` default)."""
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = tol
    solver = clarabel.DefaultSolver(prob["P"], prob["q"], prob["A"], prob["b"], clarabel_cones(prob["cones"]), settings)
    sol = solver.solve()
    x = np.array(sol.x)
    objective = float(prob["c"] @ x + prob["cfix"])  # in the file's own sense
    return str(sol.status), objective, x


def solve_scs(prob, eps=1e-9, max_iters=200_000, time_limit=10.0):
    """Solves the same problem with SCS, a first-order solver unrelated to Clarabel. SCS wants the
    rows grouped by cone, in the order zero, non-negative, second-order, exponential, power. Returns
    (status, objective in the file's sense, x), or None when SCS is missing or a cone has no SCS
    counterpart (Clarabel's generalised power cone)."""
    try:
        import scs
    except ImportError:
        return None
    order = ["zero", "nonneg", "soc", "exp", "pow"]
    groups = {k: [] for k in order}  # kind -> list of (row range, cone)
    row = 0
    for c in prob["cones"]:
        if c[0] not in groups:
            return None
        groups[c[0]].append((range(row, row + c[1]), c))
        row += c[1]
    perm = [r for k in order for rows, _ in groups[k] for r in rows]
    cone = {
        "z": sum(c[1] for _, c in groups["zero"]),
        "l": sum(c[1] for _, c in groups["nonneg"]),
        "q": [c[1] for _, c in groups["soc"]],
        "ep": len(groups["exp"]),
        "p": [c[2] for _, c in groups["pow"]],
    }
    data = {"A": prob["A"][perm].tocsc(), "b": prob["b"][perm], "c": prob["q"]}
    solver = scs.SCS(data, cone, eps_abs=eps, eps_rel=eps, max_iters=max_iters,
                     time_limit_secs=time_limit, verbose=False)
    sol = solver.solve()
    x = np.array(sol["x"])
    return sol["info"]["status"], float(prob["c"] @ x + prob["cfix"]), x


def mosek_violation(task, x):
    """The largest violation MOSEK measures at the point x, over bounds, linear constraints and
    affine conic constraints (absolute, in MOSEK's own units). Needs no licence."""
    itr = mosek.soltype.itr
    task.putxx(itr, list(map(float, x)))
    if task.getnumcon():
        # xc = A x, the constraint activity
        sub = task.getarowslicetrip(0, task.getnumcon())
        Alin = sp.csr_matrix(
            (np.array(sub[2], dtype=float), (np.array(sub[0]), np.array(sub[1]))),
            shape=(task.getnumcon(), task.getnumvar()),
        )
        task.putxcslice(itr, 0, task.getnumcon(), list(map(float, Alin @ x)))  # putxc would overwrite its argument
    worst = 0.0
    if task.getnumvar():
        worst = max(worst, max(task.getpviolvar(itr, range(task.getnumvar()))))
    if task.getnumcon():
        worst = max(worst, max(task.getpviolcon(itr, range(task.getnumcon()))))
    if task.getnumacc():
        worst = max(worst, max(task.getpviolacc(itr, range(task.getnumacc()))))
    return worst


TOL_LADDER = (1e-8, 1e-7, 1e-6)


def independent_objective(env, path, tols=TOL_LADDER):
    """MOSEK reads PATH, Clarabel solves what MOSEK read, at the tightest tolerance of TOLS at which
    Clarabel reports Solved (the files carry no tolerance, and some of the models ask for only
    1e-6). Returns a dict with accepted, error, status, tol, objective and violation."""
    try:
        task, log = read_with_mosek(env, path)
    except mosek.Error as e:
        return {"accepted": False, "error": f"MOSEK: {e}"}
    out = {"accepted": True, "log_warnings": [ln for ln in log.splitlines() if "arning" in ln]}
    try:
        prob = task_to_clarabel(task)
        for tol in tols:
            status, obj, x = solve_clarabel(prob, tol)
            if status in ("Solved", "PrimalInfeasible", "DualInfeasible"):
                break
        out.update(status=status, tol=tol, objective=obj, violation=mosek_violation(task, x))
        scs_result = solve_scs(prob)
        if scs_result is not None:
            out.update(scs_status=scs_result[0], scs_objective=scs_result[1])
    except Unsupported as e:
        out.update(error=f"unsupported: {e}")
    finally:
        task.__del__()
    return out


# --------------------------------------------------------------------------------------------
# cnr
# --------------------------------------------------------------------------------------------


def run_cnr(cnr, *args):
    p = subprocess.run([cnr, *args], cwd=ROOT, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


# cnr's status for a program without an optimum, and Clarabel's for the same finding
NO_OPTIMUM = {"infeasible": "PrimalInfeasible", "unbounded": "DualInfeasible"}


def cnr_status(cnr, path):
    """The status `cnr solve PATH --json` reports, or None."""
    code, out, _ = run_cnr(cnr, "solve", path, "--json")
    try:
        return json.loads(out).get("status")
    except ValueError:
        return None


def cnr_solve_objective(cnr, path):
    """(objective, None) when `cnr solve PATH --json` reports status optimal; otherwise
    (objective or None, what went wrong)."""
    code, out, err = run_cnr(cnr, "solve", path, "--json")
    if not out.strip():
        return None, f"exit {code}: {err.strip()[:200]}"
    res = json.loads(out)
    obj = res.get("objective")
    obj = float(obj) if isinstance(obj, (int, float)) else None
    if res.get("status") != "optimal":
        return obj, f"status {res.get('status')} (exit {code})"
    return obj, None


def rel_diff(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


def scs_column(ind, reference):
    """SCS's relative difference from REFERENCE, or why there is none (information only)."""
    if "scs_status" not in ind:
        return "-"
    if ind["scs_status"] in ("unbounded", "infeasible"):
        return ind["scs_status"]
    if ind["scs_status"] != "solved":
        return "no conv."
    if reference is None:
        return "?"
    return f"{rel_diff(ind['scs_objective'], reference):.1e}"


def fmt(v):
    return "-" if v is None else f"{v:.10g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnr", default=os.path.join("target", "release", "cnr"), help="the cnr binary")
    ap.add_argument("--out", default=os.path.join("bench", "out"), help="where the CBF files go")
    ap.add_argument("--tol", type=float, default=1e-6, help="relative tolerance on the objective")
    ap.add_argument("--viol-tol", type=float, default=1e-6, help="largest MOSEK violation accepted")
    ap.add_argument("examples", nargs="*", help="models (default: examples/*.cnr)")
    args = ap.parse_args()

    os.chdir(ROOT)
    models = args.examples or sorted(glob.glob(os.path.join("examples", "*.cnr")))
    os.makedirs(args.out, exist_ok=True)
    print(f"MOSEK {'.'.join(map(str, mosek.Env.getversion()))} (reading only), clarabel {clarabel.__version__}")
    header = ("example", "mosek", "independent", "tol", "cnr", "rel.diff", "cnr(cbf)", "mosek-viol", "scs", "result")
    print("{:<18} {:>5} {:>18} {:>5} {:>18} {:>9} {:>18} {:>10} {:>9}  {}".format(*header))
    failures = 0
    with mosek.Env() as env:
        for model in models:
            name = os.path.splitext(os.path.basename(model))[0]
            cbf = os.path.join(args.out, name + ".cbf")
            notes = []
            code, _, err = run_cnr(args.cnr, "compile", model, "--emit", "cbf", "-o", cbf)
            if code != 0:
                print(f"{name:<18} compile failed (exit {code}): {err.strip()[:200]}  FAIL")
                failures += 1
                continue
            cnr_obj, why = cnr_solve_objective(args.cnr, model)
            cnr_no_opt = None  # "infeasible" or "unbounded" when cnr finds no optimum
            if why:
                notes.append(f"cnr solve: {why}")
                cnr_obj = None
                status = cnr_status(args.cnr, model)
                cnr_no_opt = status if status in NO_OPTIMUM else None
            cbf_obj, why = cnr_solve_objective(args.cnr, cbf)  # cnr's own reader, for information
            if why:
                notes.append(f"cnr solve on the CBF: {why}")
            ind = independent_objective(env, cbf)
            ind_obj = ind.get("objective")
            if ind.get("status") in NO_OPTIMUM.values():
                ind_obj = None
            if "error" in ind:
                notes.append(ind["error"])
            if ind.get("status") not in (None, "Solved"):
                notes.append(f"clarabel: {ind['status']}")
            if ind.get("log_warnings"):
                notes.append("MOSEK warnings: " + "; ".join(ind["log_warnings"])[:200])
            rd = rel_diff(ind_obj, cnr_obj) if ind_obj is not None and cnr_obj is not None else None
            viol = ind.get("violation")
            ok = (
                ind["accepted"]
                and ind.get("status") == "Solved"
                and rd is not None
                and rd <= args.tol
                and viol is not None
                and viol <= args.viol_tol
            )
            if cnr_no_opt is not None:
                # no optimum: pass when Clarabel, on MOSEK's reading, finds the same
                ok = ind["accepted"] and ind.get("status") == NO_OPTIMUM[cnr_no_opt]
                notes.append(f"both {cnr_no_opt}" if ok else f"cnr says {cnr_no_opt}")
                viol = None
            if cbf_obj is not None and cnr_obj is not None and rel_diff(cbf_obj, cnr_obj) > args.tol:
                notes.append("cnr's objective on its own CBF differs")
            failures += not ok
            print(
                "{:<18} {:>5} {:>18} {:>5} {:>18} {:>9} {:>18} {:>10} {:>9}  {}{}".format(
                    name,
                    "yes" if ind["accepted"] else "no",
                    fmt(ind_obj) if ind.get("status") not in NO_OPTIMUM.values() else ind["status"],
                    f"{ind['tol']:.0e}" if "tol" in ind else "-",
                    fmt(cnr_obj) if cnr_no_opt is None else cnr_no_opt,
                    "-" if rd is None else f"{rd:.1e}",
                    fmt(cbf_obj),
                    "-" if viol is None else f"{viol:.1e}",
                    scs_column(ind, cnr_obj),
                    "OK" if ok else "FAIL",
                    ("  (" + "; ".join(notes) + ")") if notes else "",
                ),
                flush=True,
            )

        # A CBF file written by another tool: MOSEK.
        print()
        if not os.path.exists(FIXTURE):
            print(f"{FIXTURE}: missing (run bench/make_mosek_cbf.py)  FAIL")
            failures += 1
        else:
            obj, why = cnr_solve_objective(args.cnr, FIXTURE)
            ind = independent_objective(env, FIXTURE)
            rd = rel_diff(obj, FIXTURE_OPTIMUM) if obj is not None else None
            ok = why is None and rd is not None and rd <= args.tol
            failures += not ok
            print(
                f"{FIXTURE} (written by MOSEK): known optimum {FIXTURE_OPTIMUM:.10g}, "
                f"cnr solve {fmt(obj)}, rel.diff {'-' if rd is None else f'{rd:.1e}'}, "
                f"clarabel via MOSEK's reading {fmt(ind.get('objective'))}, "
                f"scs rel.diff {scs_column(ind, FIXTURE_OPTIMUM)}  "
                f"{'OK' if ok else 'FAIL'}{'  (' + why + ')' if why else ''}"
            )

    print(f"\n{failures} failed" if failures else "\nall OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
