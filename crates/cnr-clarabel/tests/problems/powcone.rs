//! Power cone programs: x^α·y^(1−α) ≥ |z|, x, y ≥ 0.

use super::*;

/// maximise z subject to (x, y, z) in the power cone with α = 0.6 and x + 2y = 3.
///
/// Derivation: z = x^α y^(1−α) at the optimum; maximising α ln x + (1−α) ln y on x + 2y = 3 with a
/// multiplier λ gives α/x = λ and (1−α)/y = 2λ, so x + 2y = (α + 1 − α)/λ = 3, λ = ⅓, x = 3α = 1.8,
/// y = 3(1−α)/2 = 0.6, and z = 1.8^0.6·0.6^0.4.
#[test]
fn power_cone_geometric_mean() {
    let p = program(
        "pow",
        Sense::Maximize,
        &[0.0, 0.0, -1.0],
        &[(&[(0, -1.0)], 0.0), (&[(1, -1.0)], 0.0), (&[(2, -1.0)], 0.0), (&[(0, 1.0), (1, 2.0)], 3.0)],
        vec![Cone::Power(0.6), Cone::Zero(1)],
    );
    let solution = solve_tight(&p);
    let z = 1.8f64.powf(0.6) * 0.6f64.powf(0.4);
    assert_close(p.user_objective(solution.objective), z, "user objective");
    for (found, expected) in solution.x.iter().zip([1.8, 0.6, z]) {
        assert_point(*found, expected, "x");
    }
    assert_checks(&p, &solution);
}

/// minimise t − z subject to t ≥ |z|³, written as (t, 1, z) in the power cone with α = ⅓ (the
/// `power(3)` activation's form: t^⅓ ≥ |z|).
///
/// Derivation: at the optimum t = z³ with z > 0, and d/dz (z³ − z) = 3z² − 1 = 0 gives z = 1/√3,
/// t = 1/(3√3), and the value 1/(3√3) − 1/√3 = −2/(3√3). Columns: x = (t, z).
#[test]
fn power_cone_cube() {
    let p = program(
        "cube",
        Sense::Minimize,
        &[1.0, -1.0],
        &[(&[(0, -1.0)], 0.0), (&[], 1.0), (&[(1, -1.0)], 0.0)],
        vec![Cone::Power(1.0 / 3.0)],
    );
    let solution = solve_tight(&p);
    let r3 = 3f64.sqrt();
    assert_close(solution.objective, -2.0 / (3.0 * r3), "objective");
    assert_point(solution.x[0], 1.0 / (3.0 * r3), "t");
    assert_point(solution.x[1], 1.0 / r3, "z");
    assert_checks(&p, &solution);
}
