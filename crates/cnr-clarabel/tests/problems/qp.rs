//! A quadratic objective, which checks that the upper triangle of `P` reaches Clarabel as the
//! symmetric matrix it stands for.

use super::*;

/// minimise ½xᵀPx − x₀ − x₁ with P = [[2, 1], [1, 2]] (stored as its upper triangle), x ≥ 0.
///
/// Derivation: the objective is strictly convex, and its stationary point P x = (1, 1) is
/// x = (⅓, ⅓) ≥ 0, so the bounds are inactive; the value is ½·(⅓, ⅓)·(1, 1) − ⅔ = −⅓. Had the solver
/// read the triangle as a non-symmetric [[2, 1], [0, 2]] or dropped the off-diagonal entry, the
/// answer would differ ((½, ½) with value −½ for the latter).
#[test]
fn qp_reads_the_upper_triangle() {
    let mut p = program(
        "qp",
        Sense::Minimize,
        &[-1.0, -1.0],
        &[(&[(0, -1.0)], 0.0), (&[(1, -1.0)], 0.0)],
        vec![Cone::Nonneg(2)],
    );
    p.p = cnr_ir::CscMatrix::from_triplets(2, 2, &[(0, 0, 2.0), (0, 1, 1.0), (1, 1, 2.0)]);
    p.validate().unwrap();
    let solution = solve_optimal(&p);
    assert_close(solution.objective, -1.0 / 3.0, "objective");
    assert_close(solution.x[0], 1.0 / 3.0, "x₀");
    assert_close(solution.x[1], 1.0 / 3.0, "x₁");
    assert_checks(&p, &solution);
}
