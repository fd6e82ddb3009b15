//! Solves small programs with known optima through the Clarabel backend, one module per problem
//! class, and checks every optimum independently with `ConeProgram::check_point`.

mod expcone;
mod lp;
mod powcone;
mod qp;
mod socp;
mod statuses;

use cnr_ir::{Cone, ConeProgram, RowBuilder, Sense, Solution, SolverSettings, Status};

/// One constraint row `Σ coefficient·x_column + s = rhs`.
type Row<'a> = (&'a [(usize, f64)], f64);

/// Builds a program from its linear objective, rows and cones (no blocks, no quadratic part).
fn program(name: &str, sense: Sense, q: &[f64], rows: &[Row], cones: Vec<Cone>) -> ConeProgram {
    let mut builder = RowBuilder::new();
    for &(entries, rhs) in rows {
        builder.push_row(entries, rhs);
    }
    let (a, b) = builder.finish(q.len());
    let mut p = ConeProgram::new(name, q.len(), sense);
    p.q = q.to_vec();
    p.a = a;
    p.b = b;
    p.cones = cones;
    p.validate().expect("the test program is well formed");
    p
}

/// Solves with the default settings and expects an optimum.
fn solve_optimal(p: &ConeProgram) -> Solution {
    solve_with(p, &SolverSettings::default())
}

/// Solves with tolerances of 1e-12 and expects an optimum. With a linear objective and a curved cone,
/// the default gap of 1e-8 pins the value down but the point only to about 1e-4 (see
/// [`assert_point`]); tests that compare the point ask for the tighter gap.
fn solve_tight(p: &ConeProgram) -> Solution {
    solve_with(p, &SolverSettings { tol_abs: 1e-12, tol_rel: 1e-12, ..SolverSettings::default() })
}

fn solve_with(p: &ConeProgram, settings: &SolverSettings) -> Solution {
    let solution = cnr_clarabel::solve(p, settings).expect("Clarabel accepts the program");
    assert_eq!(solution.status, Status::Optimal, "{p}");
    solution
}

/// Asserts `|found − expected| ≤ 1e-6·max(1, |expected|)`: a relative error below 1e-6, measured
/// absolutely near zero where a relative error means nothing.
fn assert_close(found: f64, expected: f64, what: &str) {
    assert_within(found, expected, 1e-6, what);
}

/// Asserts a point's coordinate to a relative 1e-5. Around the optimum of a linear objective over a
/// curved cone the objective is flat to second order, so a point is only as accurate as the square
/// root of the objective's gap; at Clarabel's tightest reliable gap (1e-12) that is about 1e-6, with a
/// constant that reaches 1.25 in the exponential cone tests.
fn assert_point(found: f64, expected: f64, what: &str) {
    assert_within(found, expected, 1e-5, what);
}

fn assert_within(found: f64, expected: f64, tol: f64, what: &str) {
    let err = (found - expected).abs() / expected.abs().max(1.0);
    assert!(err < tol, "{what}: found {found}, expected {expected} (error {err:e})");
}

/// Checks a solution the way a user would, without trusting the solver: `s = b − A x` lies in the
/// cones up to a relative 1e-7, agrees with the slack Clarabel reports, and the objective is the one
/// recomputed from `x`.
fn assert_checks(p: &ConeProgram, solution: &Solution) {
    let check = p.check_point(&solution.x);
    assert!(check.is_feasible(1e-7), "violation {:?} of {p}", check.worst);
    for (i, (ours, theirs)) in check.s.iter().zip(&solution.s).enumerate() {
        assert!((ours - theirs).abs() <= 1e-7 * (1.0 + check.norm_b), "row {i}: s = {ours} vs {theirs}");
    }
    assert_eq!(check.objective, solution.objective);
}
