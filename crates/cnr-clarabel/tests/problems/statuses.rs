//! Programs that do not end at an optimum, and programs Clarabel must never see.

use super::*;
use cnr_clarabel::ClarabelError;
use cnr_ir::IrError;

/// x ≥ 1 and x ≤ 0 cannot both hold.
#[test]
fn infeasible_lp() {
    let p = program(
        "infeasible",
        Sense::Minimize,
        &[1.0],
        &[(&[(0, -1.0)], -1.0), (&[(0, 1.0)], 0.0)],
        vec![Cone::Nonneg(2)],
    );
    let solution = cnr_clarabel::solve(&p, &SolverSettings::default()).unwrap();
    assert_eq!(solution.status, Status::Infeasible);
    assert_eq!(solution.objective, f64::INFINITY);
}

/// minimise −x₀ subject to x₀ ≥ 0 and x₁ ≤ 2: x₀ can grow without bound.
#[test]
fn unbounded_lp() {
    let p = program(
        "unbounded",
        Sense::Minimize,
        &[-1.0, 0.0],
        &[(&[(0, -1.0)], 0.0), (&[(1, 1.0)], 2.0)],
        vec![Cone::Nonneg(2)],
    );
    let solution = cnr_clarabel::solve(&p, &SolverSettings::default()).unwrap();
    assert_eq!(solution.status, Status::Unbounded);
    assert_eq!(solution.objective, f64::NEG_INFINITY);
}

/// The second-order program of `socp.rs` needs several iterations; one is not enough.
#[test]
fn iteration_limit() {
    let p = program(
        "socp",
        Sense::Minimize,
        &[-1.0, -2.0],
        &[(&[], 1.0), (&[(0, -1.0)], 0.0), (&[(1, -1.0)], 0.0), (&[(0, 1.0)], 0.3)],
        vec![Cone::SecondOrder(3), Cone::Nonneg(1)],
    );
    let settings = SolverSettings { max_iter: 1, ..SolverSettings::default() };
    let solution = cnr_clarabel::solve(&p, &settings).unwrap();
    assert_eq!(solution.status, Status::IterationLimit);
    assert_eq!(solution.iterations, 1);
}

/// A `b` one entry short is caught by validation, before Clarabel sees it.
#[test]
fn wrong_b_length_is_an_error() {
    let mut p = program("short b", Sense::Minimize, &[1.0], &[(&[(0, -1.0)], -1.0)], vec![Cone::Nonneg(1)]);
    p.b.clear();
    let err = cnr_clarabel::solve(&p, &SolverSettings::default()).unwrap_err();
    assert!(
        matches!(err, ClarabelError::InvalidProgram(IrError::Dimension { what: "b", expected: 1, found: 0 })),
        "{err}"
    );
    assert_eq!(err.to_string(), "invalid cone program: b has size 0, expected 1");
}

/// Cones that do not add up to the rows, and a power cone exponent out of range, are errors too.
#[test]
fn malformed_cones_are_errors() {
    let mut p = program("cones", Sense::Minimize, &[1.0], &[(&[(0, -1.0)], -1.0)], vec![Cone::Nonneg(1)]);
    p.cones = vec![Cone::Nonneg(2)];
    assert!(matches!(
        cnr_clarabel::solve(&p, &SolverSettings::default()),
        Err(ClarabelError::InvalidProgram(_))
    ));
    p.cones = vec![Cone::Nonneg(1)];
    p.q = vec![f64::NAN];
    assert!(matches!(
        cnr_clarabel::solve(&p, &SolverSettings::default()),
        Err(ClarabelError::InvalidProgram(_))
    ));
}

/// A time limit of zero stops Clarabel at its first check of the clock.
#[test]
fn time_limit() {
    let p = program(
        "exp",
        Sense::Minimize,
        &[-2.0, 1.0],
        &[(&[(0, -1.0)], 0.0), (&[], 1.0), (&[(1, -1.0)], 0.0)],
        vec![Cone::Exp],
    );
    let settings = SolverSettings { time_limit: Some(0.0), ..SolverSettings::default() };
    let solution = cnr_clarabel::solve(&p, &settings).unwrap();
    assert_eq!(solution.status, Status::TimeLimit);
}
