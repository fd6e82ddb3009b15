//! A second-order cone program.

use super::*;

/// minimise −x₀ − 2x₁ subject to ‖(x₀, x₁)‖ ≤ 1 and x₀ ≤ 0.3.
///
/// Derivation: without the bound the optimum is (1, 2)/√5, whose x₀ ≈ 0.447 breaks the bound, so the
/// bound is tight: x₀ = 0.3, and x₁ is as large as the disc allows, √(1 − 0.09) = √0.91. KKT confirms
/// it: (1, 2) = μ·x + ν·(1, 0) gives μ = 2/√0.91 and ν = 1 − 0.3μ ≈ 0.371 ≥ 0. The value is
/// −0.3 − 2√0.91.
///
/// Rows: the cone's slack is (1, x₀, x₁), i.e. `s = 1`, `−x₀ + s = 0`, `−x₁ + s = 0`.
#[test]
fn socp_with_a_tight_bound() {
    let p = program(
        "socp",
        Sense::Minimize,
        &[-1.0, -2.0],
        &[(&[], 1.0), (&[(0, -1.0)], 0.0), (&[(1, -1.0)], 0.0), (&[(0, 1.0)], 0.3)],
        vec![Cone::SecondOrder(3), Cone::Nonneg(1)],
    );
    let solution = solve_optimal(&p);
    let x1 = 0.91f64.sqrt();
    assert_close(solution.objective, -0.3 - 2.0 * x1, "objective");
    assert_close(solution.x[0], 0.3, "x₀");
    assert_close(solution.x[1], x1, "x₁");
    assert_checks(&p, &solution);
}
