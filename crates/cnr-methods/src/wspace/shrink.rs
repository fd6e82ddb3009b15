//! A vertex the cuts cannot make feasible, moved to a feasible point with nearly its objective.
//!
//! Where the relaxation's optimum sits at (or near) a point where samples are tight with no room
//! to spare — the origin, when labels of 0 switch every unit off — the LP's vertex comes within
//! rounding of it but violates those samples relative to their own (tiny) terms, and new cuts no
//! longer move it. The LP still bounds the optimum: its vertex is optimal over cuts that contain the
//! relaxation's feasible set, so `⟨g, θ_lp⟩ ≥ ⟨g, θ⟩` for every feasible `θ`. If the origin is
//! feasible, the segment to it leads to feasible points (by convexity every sample's residual along
//! it is at most the mix of its ends'), and one whose objective is within the tolerance of that
//! bound is optimal to the tolerance.

use cnr_check::Model;

/// The point `t·θ_lp` to return, with `t`: the least shrink of the vertex `theta` (objective bound
/// `⟨anchor, θ⟩`) whose objective is within `tolerance` of the bound on the scale of the
/// objective's range over the box `|θ_j| ≤ radius`, if every sample holds there within `tolerance`
/// of its own scale; `None` when the origin does not hold every sample or that point does not.
pub(super) fn shrink_to_feasible(
    model: &Model,
    anchor: &[f64],
    theta: &[f64],
    radius: f64,
    tolerance: f64,
    threads: Option<usize>,
) -> Option<(Vec<f64>, f64, cnr_check::Residuals)> {
    let md = model.network.filters * model.network.d();
    let holds = |point: &[f64]| {
        let residuals = model.residuals(&point[..md], &point[md..], threads);
        let holds = residuals.violated(tolerance).next().is_none();
        holds.then_some(residuals)
    };
    holds(&vec![0.0; theta.len()])?;
    let bound = cnr_numerics::dot(anchor, theta);
    let range = anchor.iter().map(|g| g.abs()).sum::<f64>() * radius;
    // (1 − t)·bound ≤ tolerance·range; the origin's objective is 0, so a bound at or below the
    // allowed loss keeps the origin itself.
    let t = if bound > tolerance * range { 1.0 - tolerance * range / bound } else { 0.0 };
    // `+ 0.0` turns a −0 (from t = 0) into 0.
    let point: Vec<f64> = theta.iter().map(|v| v * t + 0.0).collect();
    let residuals = holds(&point)?;
    Some((point, t, residuals))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Model {
        let file = cnr_syntax::parse(text).unwrap();
        cnr_check::check(&file, "m", &cnr_check::MemoryFiles::default(), &Default::default()).unwrap()
    }

    const ZERO_LABELS: &str = "network { input 2 conv kernel 2 stride 2 activation relu output ones }
                               data planted { samples 2 seed 1 }";

    #[test]
    fn a_vertex_within_rounding_of_a_tight_origin_is_moved_onto_it() {
        let mut m = model(ZERO_LABELS);
        m.data.x = vec![1.0, 0.0, 0.0, 1.0];
        m.data.y = vec![0.0, 0.0];
        // The vertex violates both samples entirely relative to their own terms.
        let theta = [1e-15, 1e-15];
        assert_eq!(m.residuals(&theta, &[], Some(1)).violated(1e-9).count(), 2);
        let (point, t, residuals) = shrink_to_feasible(&m, &[1.0, 1.0], &theta, 3.0, 1e-9, Some(1)).unwrap();
        assert_eq!((point, t), (vec![0.0, 0.0], 0.0));
        assert_eq!(residuals.values, vec![0.0, 0.0]);
    }

    #[test]
    fn a_bound_far_above_the_origin_or_an_infeasible_origin_is_not_shrunk() {
        let mut m = model(ZERO_LABELS);
        m.data.x = vec![1.0, 0.0, 0.0, 1.0];
        m.data.y = vec![1.0, 0.0];
        // The bound 1 is far from the origin's 0, and a point with t near 1 still violates sample 1.
        assert!(shrink_to_feasible(&m, &[1.0, 1.0], &[1.0, 1e-3], 3.0, 1e-9, Some(1)).is_none());
        // A point that the second sample holds: t·(1, 0) holds both, with t = 1 − 1e-9·6.
        let (point, t, _) = shrink_to_feasible(&m, &[1.0, 1.0], &[1.0, 0.0], 3.0, 1e-9, Some(1)).unwrap();
        assert!((t - (1.0 - 6e-9)).abs() < 1e-15 && point[1] == 0.0, "{t}");
        // Negative labels: the origin itself violates, so nothing is claimed.
        m.data.y = vec![-1.0, 0.0];
        assert!(shrink_to_feasible(&m, &[1.0, 1.0], &[1e-15, 0.0], 3.0, 1e-9, Some(1)).is_none());
    }
}
