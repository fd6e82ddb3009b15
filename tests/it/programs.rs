//! Small cone programs with optima worked out by hand, solved from their CBF text through the
//! driver as `cnr solve FILE.cbf` solves them: status and objective must be right, whatever the
//! scale.

use cnr_driver::{ProgramFormat, ProgramRequest, Status};

/// Solves a CBF text with the defaults of `cnr solve` (tolerance 1e-7, Clarabel).
fn solve(cbf: &str) -> cnr_driver::ProgramRecord {
    let (program, seconds) =
        cnr_driver::read_program(cbf, ProgramFormat::Cbf, "test.cbf", "test", 1 << 30).expect("reads");
    cnr_driver::solve_program(&program, &ProgramRequest::default(), seconds).expect("solves")
}

fn lp(objective: &str, cones: &str, rows: &str, rhs: &str, vars: usize) -> String {
    format!("VER\n1\nOBJSENSE\nMIN\nVAR\n{vars} 1\nF {vars}\nCON\n{cones}\nOBJACOORD\n{objective}\nACOORD\n{rows}\nBCOORD\n{rhs}\n")
}

#[test]
fn the_smallest_socp_is_optimal_not_inaccurate() {
    // min x₀ s.t. (x₀, x₁ − 1, x₂ − 2) ∈ Q³, x₁ + x₂ = 0: the distance from (1, 2) to the line
    // x₁ + x₂ = 0, 3/√2. Clarabel's point misses the tolerance by a hair (1.03e-7 relative at
    // 1e-7), which a tighter call mends.
    let cbf = lp("1\n0 1", "4 2\nQ 3\nL= 1", "5\n0 0 1\n1 1 1\n2 2 1\n3 1 1\n3 2 1", "2\n1 -1\n2 -2", 3);
    let r = solve(&cbf);
    assert_eq!(r.status, Status::Optimal, "{:?}", r.attempts);
    let want = 3.0 / 2f64.sqrt();
    assert!((r.objective.expect("objective") - want).abs() <= 1e-7 * want, "{:?}", r.objective);
}

#[test]
fn tiny_coefficients_give_the_right_optimum() {
    // min 1e-9·x s.t. 1e-9·x ≥ 1e-9: x = 1, optimum 1e-9.
    // Once refused as `inaccurate`: a program's objective is brought to unit size (a power of
    // two, exact) on the call that equilibrates its rows.
    let r = solve(&lp("1\n0 1e-9", "1 1\nL+ 1", "1\n0 0 1e-9", "1\n0 -1e-9", 1));
    assert_eq!(r.status, Status::Optimal, "{:?}", r.attempts);
    let x = r.x.as_ref().expect("a point")[0];
    assert!((x - 1.0).abs() <= 1e-6, "x = {x}");
    assert!((r.objective.expect("objective") - 1e-9).abs() <= 1e-15, "{:?}", r.objective);
}

#[test]
fn an_lp_and_its_infeasible_and_unbounded_variants() {
    // min x + y s.t. x + 2y ≥ 4, 3x + y ≥ 6 (x, y ≥ 0 implied): (1.6, 1.2), optimum 2.8.
    let r = solve(&lp("2\n0 1\n1 1", "2 1\nL+ 2", "4\n0 0 1\n0 1 2\n1 0 3\n1 1 1", "2\n0 -4\n1 -6", 2));
    assert_eq!(r.status, Status::Optimal);
    assert!((r.objective.expect("objective") - 2.8).abs() <= 1e-7 * 2.8, "{:?}", r.objective);
    // x ≥ 1 and x ≤ 0.
    let r = solve(&lp("1\n0 1", "2 2\nL+ 1\nL- 1", "2\n0 0 1\n1 0 1", "1\n0 -1", 1));
    assert_eq!(r.status, Status::Infeasible, "{:?}", r.attempts);
    // min −x s.t. x ≥ 0.
    let r = solve(&lp("1\n0 -1", "1 1\nL+ 1", "1\n0 0 1", "0", 1));
    assert_eq!(r.status, Status::Unbounded, "{:?}", r.attempts);
}
