#!/usr/bin/env python3
"""Writes tests/fixtures/cbf/mosek_written.cbf: a small conic program built with MOSEK's own API and
written by MOSEK (Task.writedata; writing needs no licence), so that cnr's CBF reader is tested on a
file that another tool wrote. The optimum is derived by hand in tests/fixtures/cbf/mosek_written.md.

Before writing, the script checks the hand derivation without a licence:
  * MOSEK measures the violation of the hand-derived optimal point (Task.putxx + getpviol*), and
    the objective at that point must equal the claimed optimum;
  * the written file is read back by MOSEK and solved by Clarabel (bench/cbf_independent.py's
    converter); its optimum must equal the claimed one to a relative 1e-7, so the point is optimal.

Run with the virtualenv of bench/cbf_independent.sh:  bench/out/venv/bin/python bench/make_mosek_cbf.py
"""

import math
import os
import sys

import mosek
import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cbf_independent as ci  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "cbf", "mosek_written.cbf")

LN2 = math.log(2.0)
# variables, in order
NAMES = ["x", "t1", "z", "t2", "u", "v", "rho", "a", "bq", "p", "w", "e0", "e1", "r", "h"]
J = {name: j for j, name in enumerate(NAMES)}
# objective (minimise) and constant
C = {"x": -2, "t1": 1, "z": -3, "t2": 1, "u": -1, "v": -2, "a": 1, "bq": 2, "p": 1, "w": -1,
     "e0": 1, "e1": 2, "r": -1}
CFIX = 1.5
OPTIMUM = ci.FIXTURE_OPTIMUM  # -2.5 - 4 ln 2 - sqrt 5
POINT = {"x": LN2, "t1": 2.0, "z": 1.0, "t2": 1.0, "u": 1 / math.sqrt(5), "v": 2 / math.sqrt(5),
         "rho": 1.0, "a": 1.0, "bq": 0.5, "p": 1.0, "w": 2.0, "e0": 2.0, "e1": -1.0 - LN2,
         "r": 5.0, "h": 1.0}


def build(task):
    inf = 0.0  # ignored for the bound keys used with it
    n = len(NAMES)
    task.appendvars(n)
    task.putvarboundsliceconst(0, n, mosek.boundkey.fr, -inf, inf)
    task.putvarbound(J["r"], mosek.boundkey.ra, 1.0, 5.0)  # 1 <= r <= 5
    task.putvarbound(J["h"], mosek.boundkey.fx, 1.0, 1.0)  # h = 1
    task.putvarbound(J["t1"], mosek.boundkey.lo, 0.0, inf)  # t1 >= 0 (not active)
    task.putobjsense(mosek.objsense.minimize)
    for name, v in C.items():
        task.putcj(J[name], float(v))
    task.putcfix(CFIX)

    # linear constraints: rho - h = 0 ; x + z <= 10 (not active)
    task.appendcons(2)
    task.putarow(0, [J["rho"], J["h"]], [1.0, -1.0])
    task.putconbound(0, mosek.boundkey.fx, 0.0, 0.0)
    task.putarow(1, [J["x"], J["z"]], [1.0, 1.0])
    task.putconbound(1, mosek.boundkey.up, -inf, 10.0)

    def acc(domain, rows, const=None):
        """rows: a list of {variable: coefficient}; const: the constant of each row (AFE g)."""
        first = task.getnumafe()
        task.appendafes(len(rows))
        for i, row in enumerate(rows):
            for name, v in row.items():
                task.putafefentry(first + i, J[name], float(v))
            if const is not None and const[i] != 0.0:
                task.putafeg(first + i, float(const[i]))
        task.appendacc(domain, list(range(first, first + len(rows))), None)

    # (t1, h, x) in the primal exponential cone: t1 >= h exp(x/h) = e^x
    acc(task.appendprimalexpconedomain(), [{"t1": 1}, {"h": 1}, {"x": 1}])
    # (t2, h, z) in the primal power cone with alpha = (1, 2): t2^(1/3) h^(2/3) >= |z|
    acc(task.appendprimalpowerconedomain(3, [1.0, 2.0]), [{"t2": 1}, {"h": 1}, {"z": 1}])
    # (rho, u, v) in the quadratic cone: rho >= ||(u, v)||
    acc(task.appendquadraticconedomain(3), [{"rho": 1}, {"u": 1}, {"v": 1}])
    # (a, bq, h) in the rotated quadratic cone: 2 a bq >= h^2, a, bq >= 0
    acc(task.appendrquadraticconedomain(3), [{"a": 1}, {"bq": 1}, {"h": 1}])
    # (p, 1, w) in the dual power cone with alpha = (1, 1): (p/0.5)^0.5 (1/0.5)^0.5 >= |w|
    acc(task.appenddualpowerconedomain(3, [1.0, 1.0]), [{"p": 1}, {}, {"w": 1}], [0.0, 1.0, 0.0])
    # (e0, e1, -h) in the dual exponential cone: e0 >= -(-h) exp(e1/(-h) - 1) = exp(-e1 - 1)
    acc(task.appenddualexpconedomain(), [{"e0": 1}, {"e1": 1}, {"h": -1}])
    # 6 - r in R+ (r <= 6, looser than the bound r <= 5: not active)
    acc(task.appendrplusdomain(1), [{"r": -1}], [6.0])


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    x = np.array([POINT[name] for name in NAMES])
    c = np.zeros(len(NAMES))
    for name, v in C.items():
        c[J[name]] = v
    with mosek.Env() as env:
        with env.Task() as task:
            build(task)
            viol = ci.mosek_violation(task, x)
            value = float(c @ x + CFIX)
            print(f"hand-derived point: MOSEK's largest violation {viol:.1e}, objective {value!r}")
            assert viol < 1e-12, "the hand-derived point is not feasible"
            assert abs(value - OPTIMUM) <= 1e-12 * abs(OPTIMUM), (value, OPTIMUM)
            task.writedata(OUT)
        ind = ci.independent_objective(env, OUT)
    print(f"wrote {os.path.relpath(OUT, ROOT)}")
    print(f"read back by MOSEK, solved by Clarabel: {ind.get('status')} {ind.get('objective')!r}"
          f" (claimed optimum {OPTIMUM!r})")
    assert ind.get("status") == "Solved"
    assert abs(ind["objective"] - OPTIMUM) <= 1e-7 * abs(OPTIMUM)


if __name__ == "__main__":
    main()
