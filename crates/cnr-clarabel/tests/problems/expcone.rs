//! An exponential cone program, in Clarabel's (x, y, z) order: y·e^(x/y) ≤ z.

use super::*;

/// minimise t − 2u subject to t ≥ e^u, written as (u, 1, t) in the exponential cone.
///
/// Derivation: at the optimum t = e^u, and d/du (e^u − 2u) = e^u − 2 = 0 gives u = ln 2, t = 2, and
/// the value 2 − 2 ln 2. Columns: x = (u, t). Rows: `−u + s = 0`, `s = 1`, `−t + s = 0`.
#[test]
fn exp_cone_epigraph() {
    let p = program(
        "exp",
        Sense::Minimize,
        &[-2.0, 1.0],
        &[(&[(0, -1.0)], 0.0), (&[], 1.0), (&[(1, -1.0)], 0.0)],
        vec![Cone::Exp],
    );
    let solution = solve_tight(&p);
    let ln2 = std::f64::consts::LN_2;
    assert_close(solution.objective, 2.0 - 2.0 * ln2, "objective");
    assert_point(solution.x[0], ln2, "u");
    assert_point(solution.x[1], 2.0, "t");
    assert_checks(&p, &solution);
}

/// maximise log(v) − v/4 written with a hypograph: maximise r subject to (r, 1, v) in the cone
/// (e^r ≤ v, i.e. r ≤ log v), minus v/4.
///
/// Derivation: at the optimum r = log v and d/dv (log v − v/4) = 1/v − ¼ = 0 gives v = 4, r = ln 4,
/// and the user's value ln 4 − 1. The stored minimisation is −r + v/4 with value 1 − ln 4.
#[test]
fn exp_cone_hypograph_of_the_logarithm() {
    let p = program(
        "log",
        Sense::Maximize,
        &[-1.0, 0.25],
        &[(&[(0, -1.0)], 0.0), (&[], 1.0), (&[(1, -1.0)], 0.0)],
        vec![Cone::Exp],
    );
    let solution = solve_tight(&p);
    let ln4 = 4f64.ln();
    assert_close(p.user_objective(solution.objective), ln4 - 1.0, "user objective");
    assert_point(solution.x[0], ln4, "r");
    assert_point(solution.x[1], 4.0, "v");
    assert_checks(&p, &solution);
}
