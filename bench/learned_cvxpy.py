"""The learned two-layer CNN's convex program (docs/learned.md), rebuilt in CVXPY from cnr's record.

    python bench/learned_cvxpy.py --model M.cnr --record record.json --data DIR [--cnr-time FILE]

Run by bench/learned_cvxpy.sh, which makes the virtual environment (cvxpy, clarabel, numpy), solves
the model with cnr (`cnr solve M.cnr --json`, the record), exports its data (`cnr data M.cnr --out
DIR`: x.npy, y.npy) and times cnr's process with `/usr/bin/time -v` (--cnr-time).

From the data and the record alone this script builds the patches x̃_ik (the model's geometry, read
from its `network` block, plus a 1 with `bias`), recomputes every pattern
D_j[i,k] = 1[<x̃_ik, g_j> >= 0] from the record's `arrangements.filters` g_j (an all-zero patch is in
no pattern), writes the exact (or gated) program with CVXPY's atoms and solves it with Clarabel
twice: timed, at the tolerance of cnr's last attempt (the same stopping rule), and untimed at
--ref-tol (1e-10) as a reference optimum. It prints a Markdown table of the objectives and times,
and checks the record's network on these patches.

Exit codes: 0 cnr's objective agrees to --rtol (1e-6) relative with both CVXPY solves; 1 it does not;
2 a solve did not end optimal or the inputs are inconsistent (geometry, sizes, patterns).
"""
import argparse
import json
import os
import re
import sys
import time

# One core: set before numpy (and its BLAS) is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

NETWORK_KEYWORDS = {"input", "conv", "activation", "output", "filters"}


class Inconsistent(Exception):
    """The model, the record and the data do not describe one program."""


# ----------------------------------------------------------------------------- the model's text


def network_block(text):
    """Tokens of the model's `network { … }` block, comments removed."""
    text = re.sub(r"#[^\n]*", "", text)
    m = re.search(r"\bnetwork\s*\{([^}]*)\}", text)
    if m is None:
        raise Inconsistent("the model has no `network { … }` block")
    return re.findall(r"\d+(?:\.\d+)?|[A-Za-z_][A-Za-z_0-9]*|\S", m.group(1))


def geometry(tokens):
    """The network's geometry from its tokens: input (C, H, W), kernel, stride, padding, bias,
    offset. 1-D inputs have H = 1 and kernel, stride and padding only along the signal."""

    def number(i):
        tok = tokens[i] if i < len(tokens) else "<end>"
        if not tok.isdigit():
            raise Inconsistent(
                f"expected a whole number in `network`, found `{tok}` "
                "(sizes given by `param` are not read by this script: write numbers)"
            )
        return int(tok), i + 1

    def size(i):
        a, i = number(i)
        if i < len(tokens) and tokens[i] == "x":
            b, i = number(i + 1)
            return (a, b), i
        return (a,), i

    g = {"input": None, "channels": 1, "kernel": None, "stride": None, "padding": None,
         "bias": False, "offset": False}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "input":
            g["input"], i = size(i + 1)
            if i < len(tokens) and tokens[i] == "channels":
                g["channels"], i = number(i + 1)
        elif tok == "conv":
            i += 1
            while i < len(tokens) and tokens[i] not in NETWORK_KEYWORDS - {"filters"}:
                opt = tokens[i]
                if opt in ("kernel", "stride", "padding"):
                    g[opt], i = size(i + 1)
                elif opt == "filters":
                    _, i = number(i + 1)
                elif opt == "bias":
                    g["bias"], i = True, i + 1
                else:
                    raise Inconsistent(f"unknown `conv` option `{opt}`")
        elif tok == "output":
            rest = tokens[i + 1:i + 4]
            g["offset"] = rest[:3] == ["learned", "+", "offset"]
            i += 1
        else:
            i += 1
    if g["input"] is None or g["kernel"] is None:
        raise Inconsistent("the `network` block needs `input` and `conv kernel`")
    two_d = len(g["input"]) == 2

    def pair(v, default, across):
        """(rows, columns) of a size; a 1-D input's first axis is `across` (1 or no padding)."""
        if v is None:
            return (default, default) if two_d else (across, default)
        if two_d:
            return v if len(v) == 2 else (v[0], v[0])
        if len(v) == 2:
            raise Inconsistent("a 1-D input takes one number per size")
        return (across, v[0])

    if two_d:
        hh, ww = g["input"]
    else:
        hh, ww = 1, g["input"][0]
    kh, kw = pair(g["kernel"], 1, 1)
    sh, sw = pair(g["stride"], 1, 1)
    ph, pw = pair(g["padding"], 0, 0)
    return {"C": g["channels"], "H": hh, "W": ww, "kh": kh, "kw": kw, "sh": sh, "sw": sw,
            "ph": ph, "pw": pw, "bias": g["bias"], "offset": g["offset"]}


# ----------------------------------------------------------------------------- patches, patterns


def patches(x, geo):
    """x̃ as an (n, K, h) array: patch k = pr·cols + pc, coordinate j = c·kh·kw + r·kw + s, the entry
    (c, pr·sh − ph + r, pc·sw − pw + s) of the input, zero on padding; then a 1 with a bias."""
    import numpy as np

    n = x.shape[0]
    C, H, W = geo["C"], geo["H"], geo["W"]
    kh, kw, sh, sw, ph, pw = (geo[k] for k in ("kh", "kw", "sh", "sw", "ph", "pw"))
    if x.shape[1] != C * H * W:
        raise Inconsistent(f"x has {x.shape[1]} columns, the model's input {C}·{H}·{W}")
    img = np.zeros((n, C, H + 2 * ph, W + 2 * pw))
    img[:, :, ph:ph + H, pw:pw + W] = x.reshape(n, C, H, W)
    rows = (H + 2 * ph - kh) // sh + 1
    cols = (W + 2 * pw - kw) // sw + 1
    d = C * kh * kw
    h = d + 1 if geo["bias"] else d
    out = np.ones((n, rows * cols, h))
    for pr in range(rows):
        for pc in range(cols):
            # Padded row pr·sh + r is input row pr·sh − ph + r.
            block = img[:, :, pr * sh:pr * sh + kh, pc * sw:pc * sw + kw]
            out[:, pr * cols + pc, :d] = block.reshape(n, d)
    return out


def patterns(xt, filters):
    """D as a (P, n, K) boolean array, D_j[i,k] = 1[<x̃_ik, g_j> >= 0], all-zero patches in none;
    and the smallest |<x̃_ik, g_j>| over the non-zero patches relative to ‖x̃_ik‖‖g_j‖ (how close a
    pattern came to a tie that rounding could decide differently)."""
    import numpy as np

    g = np.asarray(filters, dtype=float)                      # (P, h)
    dots = np.einsum("ikh,ph->pik", xt, g)                    # (P, n, K)
    nonzero = np.any(xt != 0.0, axis=2)                       # (n, K)
    dd = (dots >= 0.0) & nonzero[None, :, :]
    scale = np.linalg.norm(xt, axis=2)[None, :, :] * np.linalg.norm(g, axis=1)[:, None, None]
    margin = np.min(np.abs(dots[:, nonzero]) / scale[:, nonzero]) if nonzero.any() else np.inf
    return dd, float(margin)


# ----------------------------------------------------------------------------- the program


def build(xt, y, dd, beta, exact, offset):
    """The program in CVXPY: c (and c') as P·h vectors, arrangement-major, so that group j is
    entries j·h … j·h + h − 1, as cnr lays out its columns."""
    import cvxpy as cp
    import numpy as np
    import scipy.sparse as sp

    n, kk, h = xt.shape
    p = dd.shape[0]
    # The fit's matrix: row i, block j is Σ_k D_j[i,k] x̃_ik.
    fit = np.einsum("pik,ikh->iph", dd.astype(float), xt).reshape(n, p * h)
    c = cp.Variable(p * h, name="c")
    groups = [c]
    constraints = []
    if exact:
        cn = cp.Variable(p * h, name="c_neg")
        groups.append(cn)
        # The sign rows: block j is (2 D_j[i,k] − 1) x̃_ik over the rows i·K + k.
        signs = (2.0 * dd - 1.0).reshape(p, n * kk)
        flat = xt.reshape(n * kk, h)
        sign = sp.block_diag([signs[j][:, None] * flat for j in range(p)], format="csr")
        constraints = [sign @ c >= 0, sign @ cn >= 0]
        pred = fit @ (c - cn)
    else:
        pred = fit @ c
    off = None
    if offset:
        off = cp.Variable(name="offset")
        pred = pred + off
    decay = sum(cp.sum(cp.norm(cp.reshape(v, (p, h), order="C"), 2, axis=1)) for v in groups)
    objective = 0.5 * cp.sum_squares(pred - y) + beta * decay
    return cp.Problem(cp.Minimize(objective), constraints), groups, off


def network_check(xt, y, record):
    """The record's network (neurons and offset) evaluated on these patches: its loss ½‖f − y‖²
    and objective with weight decay β/2 Σ (‖u‖² + b² + α²). A ReLU neuron adds
    α Σ_k (<x_k, u> + b)_+; a gated one (with `gate`: its arrangement's filter and bias g)
    α Σ_k 1[<x̃_k, g> >= 0] (<x_k, u> + b)."""
    import numpy as np

    net = record["network"]
    f = np.full(y.shape, float(net.get("offset") or 0.0))
    decay = 0.0
    for nu in net["neurons"]:
        u = np.asarray(nu["filter"], dtype=float)
        b = float(nu.get("bias") or 0.0)
        a = float(nu["weight"])
        z = xt[:, :, :u.size] @ u + b
        if nu.get("gate") is not None:
            gu, gb = nu["gate"]
            on = xt[:, :, :u.size] @ np.asarray(gu, dtype=float) + float(gb or 0.0) >= 0.0
            on &= np.any(xt != 0.0, axis=2)
            f += a * np.where(on, z, 0.0).sum(axis=1)
        else:
            f += a * np.maximum(z, 0.0).sum(axis=1)
        decay += u @ u + b * b + a * a
    loss = 0.5 * float(np.sum((f - y) ** 2))
    return loss, loss + 0.5 * record["weight_decay"] * decay


def cnr_wall(path):
    """Elapsed wall seconds and peak KB from `/usr/bin/time -v`'s report."""
    wall = peak = None
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("Elapsed (wall clock) time"):
                parts = line.rsplit(" ", 1)[1].split(":")
                wall = sum(float(v) * 60 ** i for i, v in enumerate(reversed(parts)))
            elif line.startswith("Maximum resident set size"):
                peak = int(line.rsplit(" ", 1)[1])
    return wall, peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="the model (.cnr)")
    ap.add_argument("--record", required=True, help="cnr solve MODEL --json's record")
    ap.add_argument("--data", required=True, help="the folder of cnr data MODEL --out DIR")
    ap.add_argument("--cnr-time", help="/usr/bin/time -v's report for cnr's process")
    ap.add_argument("--rtol", type=float, default=1e-6, help="largest relative difference accepted")
    ap.add_argument("--tol", type=float, help="Clarabel's gap and feasibility tolerances for the "
                    "timed solve (default: those of cnr's last attempt)")
    ap.add_argument("--ref-tol", type=float, default=1e-10, help="the same for a second, untimed "
                    "reference solve (0: none)")
    args = ap.parse_args()

    t_import = time.perf_counter()
    import cvxpy as cp
    import numpy as np
    t_import = time.perf_counter() - t_import

    # End to end from here: reading everything, building, compiling, solving.
    t0 = time.perf_counter()
    x = np.load(os.path.join(args.data, "x.npy"))
    y = np.load(os.path.join(args.data, "y.npy")).reshape(-1)
    with open(args.record) as fh:
        record = json.load(fh)
    with open(args.model) as fh:
        geo = geometry(network_block(fh.read()))
    xt = patches(np.asarray(x, dtype=float), geo)
    n, kk, h = xt.shape
    filters = record["arrangements"]["filters"]
    problems = []
    if n != record["samples"] or n != y.shape[0]:
        problems.append(f"samples: x {n}, y {y.shape[0]}, record {record['samples']}")
    if kk != record["patches"]:
        problems.append(f"patches: {kk} from the geometry, record {record['patches']}")
    if h - geo["bias"] != record["d"]:
        problems.append(f"d: {h - geo['bias']} from the geometry, record {record['d']}")
    if any(len(g) != h for g in filters):
        problems.append(f"filters of {sorted({len(g) for g in filters})} numbers, h = {h}")
    net_offset = float(record["network"].get("offset") or 0.0)
    if net_offset != 0.0 and not geo["offset"]:
        problems.append(f"the record's offset is {net_offset} but the model has no `+ offset`")
    if problems:
        raise Inconsistent("; ".join(problems))
    dd, margin = patterns(xt, filters)
    p = dd.shape[0]
    flat = dd.reshape(p, -1)
    distinct = len({row.tobytes() for row in np.packbits(flat, axis=1)})
    empty = int(np.sum(~flat.any(axis=1)))
    exact = record["form"] == "exact"
    beta = record["weight_decay"]
    # The tolerance cnr was held to: its last backend call's, or the first-order method's gap.
    if args.tol is not None:
        tol = args.tol
    elif record["attempts"]:
        tol = record["attempts"][-1]["tolerance"]
    else:
        tol = record["first_order"]["tolerance"]
    prob, _, off = build(xt, y, dd, beta, exact, geo["offset"])
    t_built = time.perf_counter() - t0
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol)
    t_total = time.perf_counter() - t0

    ref = None
    if args.ref_tol > 0:
        ref, _, _ = build(xt, y, dd, beta, exact, geo["offset"])
        t_ref = time.perf_counter()
        ref.solve(solver=cp.CLARABEL, tol_gap_abs=args.ref_tol, tol_gap_rel=args.ref_tol,
                  tol_feas=args.ref_tol, max_iter=500)
        t_ref = time.perf_counter() - t_ref

    def value(pr):
        return float(pr.value) if pr.value is not None else float("nan")

    def rel(a, b):
        return abs(a - b) / max(abs(b), 1e-300)

    ours = record["objective"]
    theirs = value(prob)
    best = value(ref) if ref is not None else None
    wall, peak = cnr_wall(args.cnr_time) if args.cnr_time else (None, None)
    rec_wall = record["timings"]["wall_seconds"]
    cnr_s = wall if wall is not None else rec_wall
    net_loss, net_obj = network_check(xt, y, record)
    # cnr's tolerance and iterations: its last backend call's, or the first-order method's.
    last = record["attempts"][-1] if record["attempts"] else record["first_order"]

    name = os.path.basename(args.model)
    print(f"\n{name}: form {record['form']}, n = {n}, K = {kk}, h = {h}, P = {p} patterns "
          f"({distinct} distinct, {empty} empty), bias {'yes' if geo['bias'] else 'no'}, "
          f"offset {'yes' if geo['offset'] else 'no'}, beta = {beta}\n")
    ref_col = " rel. diff to reference |" if ref is not None else ""
    print(f"| solver | tolerance | status | iterations | objective | rel. diff to cnr |{ref_col}"
          " wall s | / cnr |")
    print("|---|---:|---|---:|---:|---:|" + ("---:|" if ref is not None else "") + "---:|---:|")

    def row(label, t, status, iters, obj, secs):
        cells = [label, f"{t:g}", status, str(iters), f"{obj:.10f}", f"{rel(obj, ours):.2e}"]
        if ref is not None:
            cells.append(f"{rel(obj, best):.2e}")
        cells += [f"{secs:.3f}" if secs is not None else "", f"{secs / cnr_s:.2f}" if secs else ""]
        print("| " + " | ".join(cells) + " |")

    row("cnr", last["tolerance"], record["status"], last["iterations"], ours, cnr_s)
    row("CVXPY + Clarabel", tol, prob.status, prob.solver_stats.num_iters, theirs, t_total)
    if ref is not None:
        row("CVXPY + Clarabel, reference", args.ref_tol, ref.status, ref.solver_stats.num_iters,
            best, None)
    print()
    print(f"cnr wall: {'process (/usr/bin/time) ' + format(wall, '.2f') + ' s, ' if wall else ''}"
          f"record {rec_wall:.3f} s (solving {record['timings']['solving_seconds']:.3f} s)"
          f"{', peak ' + str(peak // 1024) + ' MB' if peak else ''}; record's gap "
          f"{record['gap']:.1e}, {len(record['attempts'])} attempt(s)")
    print(f"CVXPY wall: reading and building {t_built:.3f} s, compiling "
          f"{prob.compilation_time:.3f} s, Clarabel {prob.solver_stats.solve_time:.3f} s; total "
          f"{t_total:.3f} s (after {t_import:.2f} s of imports)"
          + (f"; the reference solve {t_ref:.3f} s" if ref is not None else ""))
    print(f"patterns: smallest relative |<x~, g>| {margin:.1e} (a tie would need 0)")
    print(f"record's network on these patches: loss {net_loss:.10g} (record "
          f"{record['network_loss']:.10g}), objective {net_obj:.10g} (record "
          f"{record['network_objective']:.10g})")
    if off is not None:
        print(f"offset: CVXPY {float(off.value):.6g}, cnr {net_offset:.6g}")

    statuses = [record["status"] == "optimal", prob.status == cp.OPTIMAL]
    if ref is not None:
        statuses.append(ref.status == cp.OPTIMAL)
    if not all(statuses):
        print("not every solve ended optimal", file=sys.stderr)
        return 2
    if distinct != p or empty:
        print("the record's filters do not give distinct non-empty patterns here", file=sys.stderr)
        return 2
    code = 0
    if not rel(ours, theirs) <= args.rtol:
        print(f"cnr and CVXPY differ by {rel(ours, theirs):.2e} relative, more than {args.rtol:g}",
              file=sys.stderr)
        code = 1
    if ref is not None and not rel(ours, best) <= args.rtol:
        print(f"cnr and the reference differ by {rel(ours, best):.2e} relative, more than "
              f"{args.rtol:g}", file=sys.stderr)
        code = 1
    return code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Inconsistent as e:
        print(f"learned_cvxpy.py: {e}", file=sys.stderr)
        sys.exit(2)
