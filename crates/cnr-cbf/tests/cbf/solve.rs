//! The fixtures `tests/fixtures/*.cbf` have optima derived by hand; Clarabel must reach them after
//! the reader's conversions (sign convention, L-, QR, EXP order, EXP*, POW normalisation, POW*).

use cnr_ir::{SolverSettings, Status};

/// Reads a fixture, solves it with Clarabel and returns the objective in the file's own sense
/// (a MAX file reports the maximum), including OBJBCOORD.
fn optimum(name: &str) -> f64 {
    let path = format!("{}/tests/fixtures/{name}.cbf", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the fixture is readable");
    let program = cnr_cbf::read_cbf(&text, name, 8 << 30).unwrap_or_else(|e| panic!("{name}: {e}"));
    let solution = cnr_clarabel::solve(&program, &SolverSettings::default()).expect("Clarabel runs");
    assert_eq!(solution.status, Status::Optimal, "{name}");
    program.user_objective(solution.objective)
}

fn assert_close(name: &str, expected: f64) {
    let got = optimum(name);
    assert!((got - expected).abs() <= 1e-6 * expected.abs(), "{name}: got {got}, expected {expected}");
}

/// maximise 3 x0 + 2 x1 − x2 + 0.5 with x2 = 1 and (x0, x1) in the polygon x0 + x1 ≤ 4,
/// x0 + 3 x1 ≤ 6, 0 ≤ x0 ≤ 3, x1 ≥ 0. Its vertices (0, 0), (3, 0), (3, 1), (0, 2) give 3 x0 + 2 x1 =
/// 0, 9, 11, 4, so the optimum is 11 − 1 + 0.5 = 10.5. (The L- rows must be negated: read as L+ they
/// would make the problem infeasible.)
#[test]
fn lp() {
    assert_close("lp", 10.5);
}

/// minimise t with t ≥ ‖(x0 − 3, x1 − 4)‖ and x0 + x1 ≤ 0: the distance from (3, 4) to the half-plane
/// x0 + x1 ≤ 0, which is (3 + 4)/√2 = 7/√2.
#[test]
fn socp_with_q() {
    assert_close("socp_q", 7.0 / 2f64.sqrt());
}

/// minimise t + y with 2·t·y ≥ z², t, y ≥ 0 and z = 2, i.e. t·y ≥ 2. By AM–GM t + y ≥ 2√(t·y) ≥ 2√2,
/// with equality at t = y = √2: the optimum is 2√2. (Reading QR as t·y ≥ z² would give 4.)
#[test]
fn socp_with_rotated_q() {
    assert_close("socp_qr", 2.0 * 2f64.sqrt());
}

/// maximise 2x − t with t ≥ eˣ. At the optimum t = eˣ, and d/dx (2x − eˣ) = 2 − eˣ = 0 gives x = ln 2,
/// so the optimum is 2 ln 2 − 2 ≈ −0.6137. (With the EXP rows not reversed the cone would say
/// x ≥ exp(t), and the problem would be unbounded.)
#[test]
fn exponential_cone() {
    assert_close("exp", 2.0 * 2f64.ln() - 2.0);
}

/// minimise u0 with (u0, 1, −1) in EXP*: u0 ≥ −u2·e⁻¹·exp(u1/u2) = 1·e⁻¹·e⁻¹ = e⁻², so the optimum
/// is e⁻².
#[test]
fn dual_exponential_cone() {
    assert_close("exp_dual", (-2.0f64).exp());
}

/// maximise z with x^(1/4)·y^(3/4) ≥ |z| (α = (1, 3) normalised) and x + y = 4. For a fixed sum s,
/// x^β·y^(1−β) is largest at x = β·s, y = (1 − β)·s (Lagrange), here x = 1, y = 3, so the optimum is
/// 1^(1/4)·3^(3/4) = 3^(3/4) ≈ 2.2795.
#[test]
fn power_cone() {
    assert_close("pow", 3f64.powf(0.75));
}

/// minimise x0 + x1 with (x0/β0)^β0·(x1/β1)^β1 ≥ 1, β = (½, ½): 2·√(x0·x1) ≥ 1, i.e. x0·x1 ≥ ¼.
/// By AM–GM x0 + x1 ≥ 2·√(x0·x1) ≥ 1, with equality at x0 = x1 = ½: the optimum is 1.
#[test]
fn dual_power_cone() {
    assert_close("pow_dual", 1.0);
}
