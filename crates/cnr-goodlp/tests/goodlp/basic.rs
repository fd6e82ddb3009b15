//! Small programs with known answers, and the programs the backend must refuse.

use cnr_goodlp::{solve, GoodLpError, LpSolver};
use cnr_ir::{Block, Cone, ConeProgram, CscMatrix, RowBuilder, Sense, SolverSettings, Status};

/// maximise 3 x0 + 2 x1 + 0.5 s.t. x0 + x1 ≤ 4, x0 + 3 x1 ≤ 6, x0 ≤ 3, x ≥ 0, x0 − x2 = 0.
///
/// The vertices of the (x0, x1) polygon are (0, 0), (3, 0), (3, 1) and (0, 2), with objective values
/// 0, 9, 11 and 4 (before the constant), so the optimum is 11.5 at (3, 1), and x2 = x0 = 3.
fn known_lp() -> ConeProgram {
    let mut rows = RowBuilder::new();
    rows.push_row(&[(0, 1.0), (2, -1.0)], 0.0);
    rows.push_row(&[(0, 1.0), (1, 1.0)], 4.0);
    rows.push_row(&[(0, 1.0), (1, 3.0)], 6.0);
    rows.push_row(&[(0, 1.0)], 3.0);
    rows.push_row(&[(0, -1.0)], 0.0);
    rows.push_row(&[(1, -1.0)], 0.0);
    let (a, b) = rows.finish(3);
    let mut p = ConeProgram::new("known", 3, Sense::Maximize);
    p.q = vec![-3.0, -2.0, 0.0];
    p.c = -0.5;
    p.a = a;
    p.b = b;
    p.cones = vec![Cone::Zero(1), Cone::Nonneg(5)];
    p
}

fn settings() -> SolverSettings {
    SolverSettings::default()
}

#[test]
fn a_small_lp_reaches_its_known_optimum() {
    let p = known_lp();
    let sol = solve(&p, &settings()).unwrap();
    assert_eq!(sol.status, Status::Optimal);
    assert!((p.user_objective(sol.objective) - 11.5).abs() < 1e-9, "{}", sol.objective);
    for (got, want) in sol.x.iter().zip([3.0, 1.0, 3.0]) {
        assert!((got - want).abs() < 1e-9, "x = {:?}", sol.x);
    }
    // s = b − A x, and it lies in the cones.
    assert_eq!(sol.s.len(), 6);
    assert!(sol.s[0].abs() < 1e-9);
    assert!(sol.s[1..].iter().all(|&s| s > -1e-9), "s = {:?}", sol.s);
    assert!(sol.s[1].abs() < 1e-9 && (sol.s[3]).abs() < 1e-9, "the active rows have zero slack");
    assert!(sol.solve_seconds >= 0.0);
}

#[test]
fn an_infeasible_lp_is_a_status_not_an_error() {
    // x ≥ 1 and x ≤ 0.
    let mut rows = RowBuilder::new();
    rows.push_row(&[(0, -1.0)], -1.0);
    rows.push_row(&[(0, 1.0)], 0.0);
    let (a, b) = rows.finish(1);
    let mut p = ConeProgram::new("infeasible", 1, Sense::Minimize);
    p.q = vec![1.0];
    p.a = a;
    p.b = b;
    p.cones = vec![Cone::Nonneg(2)];
    let sol = solve(&p, &settings()).unwrap();
    assert_eq!(sol.status, Status::Infeasible);
}

#[test]
fn an_unbounded_lp_is_a_status_not_an_error() {
    // minimise −x0 − x1 s.t. x0 − x1 = 0, x0 ≥ 0.
    let mut rows = RowBuilder::new();
    rows.push_row(&[(0, 1.0), (1, -1.0)], 0.0);
    rows.push_row(&[(0, -1.0)], 0.0);
    let (a, b) = rows.finish(2);
    let mut p = ConeProgram::new("unbounded", 2, Sense::Minimize);
    p.q = vec![-1.0, -1.0];
    p.a = a;
    p.b = b;
    p.cones = vec![Cone::Zero(1), Cone::Nonneg(1)];
    let sol = solve(&p, &settings()).unwrap();
    assert_eq!(sol.status, Status::Unbounded);
    assert_eq!(sol.objective, f64::NEG_INFINITY);
}

#[test]
fn a_program_with_a_second_order_cone_is_refused_with_its_row() {
    let mut rows = RowBuilder::new();
    rows.push_row(&[(0, -1.0)], 0.0);
    for j in 0..3 {
        rows.push_row(&[(j, -1.0)], 1.0);
    }
    let (a, b) = rows.finish(3);
    let mut p = ConeProgram::new("socp", 3, Sense::Minimize);
    p.q = vec![1.0, 0.0, 0.0];
    p.a = a;
    p.b = b;
    p.cones = vec![Cone::Nonneg(1), Cone::SecondOrder(3)];
    p.row_blocks =
        vec![Block::vector("bound", 0, "row", 1), Block::array("norm: t ≥ ‖z‖", 1, &[("sample", 1)], 3)];
    let err = solve(&p, &settings()).unwrap_err();
    assert_eq!(
        err,
        GoodLpError::NotLinear {
            index: 1, kind: "soc", row: "norm: t ≥ ‖z‖ [sample 0] entry 0 of 3".into()
        }
    );
    let message = err.to_string();
    assert!(message.contains("soc cone") && message.contains("Clarabel backend"), "{message}");
}

#[test]
fn exponential_and_power_cones_are_refused_too() {
    for cone in [Cone::Exp, Cone::Power(0.5)] {
        let mut p = ConeProgram::new("nonlinear", 1, Sense::Minimize);
        let mut rows = RowBuilder::new();
        for _ in 0..3 {
            rows.push_row(&[(0, -1.0)], 1.0);
        }
        (p.a, p.b) = rows.finish(1);
        p.cones = vec![cone];
        let err = solve(&p, &settings()).unwrap_err();
        assert!(matches!(err, GoodLpError::NotLinear { index: 0, row, .. } if row == "row 0"), "{cone:?}");
    }
}

#[test]
fn a_quadratic_objective_is_refused() {
    let mut p = known_lp();
    p.p = CscMatrix::from_triplets(3, 3, &[(0, 0, 1.0)]);
    assert_eq!(solve(&p, &settings()).unwrap_err(), GoodLpError::Quadratic { nnz: 1 });
}

#[test]
fn an_invalid_program_is_refused() {
    let mut p = known_lp();
    p.b[2] = f64::NAN;
    assert!(matches!(solve(&p, &settings()).unwrap_err(), GoodLpError::Invalid(_)));
}

#[test]
fn a_program_without_rows_solves() {
    let p = ConeProgram::new("nothing", 2, Sense::Minimize);
    let sol = solve(&p, &settings()).unwrap();
    assert_eq!(sol.status, Status::Optimal);
    assert_eq!(sol.objective, 0.0);
}

#[test]
fn solvers_are_found_by_name() {
    assert_eq!(LpSolver::from_name("microlp"), Some(LpSolver::Microlp));
    assert_eq!(LpSolver::from_name("nonsense"), None);
    assert_eq!(LpSolver::available()[0], LpSolver::default());
}

#[test]
fn every_solver_in_this_build_solves_the_known_lp() {
    let p = known_lp();
    for solver in LpSolver::available() {
        let sol = cnr_goodlp::solve_with(&p, &settings(), solver).unwrap();
        assert_eq!(sol.status, Status::Optimal, "{}", solver.name());
        let got = p.user_objective(sol.objective);
        assert!((got - 11.5).abs() < 1e-6, "{}: {got}", solver.name());
    }
}
