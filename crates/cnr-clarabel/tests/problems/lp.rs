//! A linear program with inequalities, an equality and a constant in the objective.

use super::*;

/// maximise x₀ + 2x₁ subject to x₀ + x₁ ≤ 4, x₀ + 3x₁ ≤ 6, x ≥ 0, and x₂ = x₀ + x₁, plus 1.
///
/// Derivation: the vertices of the feasible polygon are (0, 0), (4, 0), (0, 2) and, where both
/// constraints are tight, x₁ = 1 and x₀ = 3; the objective there is 5 against 0, 4 and 4. It is optimal
/// by KKT too: (1, 2) = ½(1, 1) + ½(1, 3) with non-negative multipliers. So x = (3, 1, 4) and the
/// user's objective is 5 + 1 = 6; the stored minimisation is −x₀ − 2x₁ − 1, with value −6.
#[test]
fn lp_with_an_equality_and_a_constant() {
    let mut p = program(
        "lp",
        Sense::Maximize,
        &[-1.0, -2.0, 0.0],
        &[
            (&[(0, 1.0), (1, 1.0)], 4.0),
            (&[(0, 1.0), (1, 3.0)], 6.0),
            (&[(0, -1.0)], 0.0),
            (&[(1, -1.0)], 0.0),
            // x₂ − x₀ − x₁ + s = 0 with s in the zero cone.
            (&[(2, 1.0), (0, -1.0), (1, -1.0)], 0.0),
        ],
        vec![Cone::Nonneg(2), Cone::Nonneg(2), Cone::Zero(1)],
    );
    p.c = -1.0;
    let solution = solve_optimal(&p);
    assert_close(solution.objective, -6.0, "stored objective");
    assert_close(p.user_objective(solution.objective), 6.0, "user objective");
    for (found, expected) in solution.x.iter().zip([3.0, 1.0, 4.0]) {
        assert_close(*found, expected, "x");
    }
    assert_checks(&p, &solution);
    assert!(solution.iterations > 0);
    assert!(solution.solve_seconds >= 0.0);
}
