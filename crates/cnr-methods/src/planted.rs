//! Why the relaxation does or does not return the planted filter: the first-order conditions of
//! the relaxation at the planted point `θ* = (w*, b*)`, checked by one small LP.
//!
//! The relaxation maximises `⟨g, θ⟩` over `{θ : f(x_i; θ) ≤ y_i}`, a convex set. Each `f(x_i; ·)`
//! is convex, so for a sample tight at `θ*` (`f(x_i; θ*) = y_i`) with gradient `a_i`, every feasible
//! `θ` has `a_iᵀ(θ − θ*) ≤ 0`. Hence:
//!
//! - `θ*` infeasible (a sample above its label, as noisy labels make it): the program cannot
//!   return it — **the data's** fault;
//! - `g` in the interior of the cone `{Σ λ_i a_i : λ ≥ 0}` of the tight samples' gradients: every
//!   direction `δ ≠ 0` that keeps the tight samples feasible to first order has `⟨g, δ⟩ < 0`, so
//!   `θ*` is the program's **unique** optimum and any solver that solves it recovers `w*`;
//! - `g` outside that cone: some direction `δ` with `a_iᵀδ ≤ 0` for every tight sample gains
//!   objective. For a piecewise-linear activation (ReLU, leaky ReLU, `max_affine`, abs) the
//!   constraints are linear near `θ*`, so `θ* + εδ` is feasible and better: the program's optimum
//!   is elsewhere — **the anchor's** fault. For a smooth activation the same holds through the
//!   optimality conditions (Slater's condition holds when some `θ` fits every sample strictly).
//!
//! The boundary of the cone, where the two cases meet, has probability zero for Gaussian data.
//! The LP is `max ⟨g, δ⟩` subject to `a_iᵀδ ≤ 0` for the tight samples and `‖δ‖∞ ≤ 1`, whose dual
//! is `min_{λ ≥ 0} ‖g − Σ λ_i a_i‖₁`: its value is the **ℓ1 distance from the unit anchor to the
//! cone**, 0 exactly when the anchor lies in it. It is solved by the dual simplex of
//! `cnr_numerics::simplex` (the w-space method's), which ends on a vertex, so the value is 0 up to
//! rounding when the anchor is in the cone.

use cnr_check::Model;
use cnr_numerics::simplex::{CutLp, LpStatus};
use serde::Serialize;

/// A sample is tight at `θ*` when its residual is within this much of its own scale, and the
/// planted point is infeasible when a residual exceeds it: noiseless planted labels fit `θ*` to
/// rounding (about 1e-16), noisy ones miss it by the noise.
pub const PLANTED_TOLERANCE: f64 = 1e-9;

/// An anchor is in the cone when its distance to it is at most this (the anchor has unit length).
pub const IN_CONE: f64 = 1e-9;

/// The most dual simplex steps of the certificate's LP.
const MAX_STEPS: usize = 1_000_000;

/// What the conditions at the planted point say of one anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The planted point is feasible and the anchor lies in its cone: `θ*` is the unique optimum.
    Recovers,
    /// The planted point is feasible, the anchor lies outside its cone: the optimum is elsewhere.
    Anchor,
    /// The planted point violates a sample's constraint: the program cannot return it.
    Data,
    /// The LP stopped at its step limit: no verdict.
    Unknown,
}

impl Verdict {
    /// `recovers`, `anchor`, `data` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Recovers => "recovers",
            Verdict::Anchor => "anchor",
            Verdict::Data => "data",
            Verdict::Unknown => "unknown",
        }
    }
}

/// The conditions at the planted point for one anchor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlantedCertificate {
    /// What they say.
    pub verdict: Verdict,
    /// The planted point's largest residual relative to its sample's scale (positive: violated).
    pub planted_violation: f64,
    /// The samples tight at the planted point with a non-zero gradient (those gradients span the
    /// cone; a ReLU sample with every unit off is tight without one).
    pub tight: usize,
    /// The unit anchor's ℓ1 distance to the cone (none when the planted point is infeasible or the
    /// LP stopped short).
    pub cone_distance: Option<f64>,
    /// The dual simplex steps taken.
    pub steps: usize,
}

/// Whether the certificate applies to `model`: planted filters are known, one filter (so the only
/// symmetry is a sign, for an even activation), no penalty and no offset (which change the program
/// the conditions are of), and a bound, if any, that the planted filter lies strictly inside.
pub fn applies(model: &Model) -> bool {
    let net = &model.network;
    let Some(star) = &model.data.planted else { return false };
    let inside_bound = match model.relax.bound {
        None => true,
        Some((norm, radius)) => {
            let size = match norm {
                cnr_check::Norm::L2 => cnr_numerics::norm(star),
                cnr_check::Norm::Linf => star.iter().fold(0.0f64, |m, v| m.max(v.abs())),
                cnr_check::Norm::L1 => star.iter().map(|v| v.abs()).sum(),
            };
            size < radius * (1.0 - 1e-9)
        }
    };
    net.filters == 1 && !net.offset && model.relax.penalty.is_none() && inside_bound
}

/// The bytes [`planted_certificate`] holds: the tight samples' gradients, and the LP's basis.
pub fn certificate_bytes(model: &Model) -> u128 {
    let p = (model.network.filters * model.network.d() + model.network.extras()) as u128;
    8 * (model.data.n as u128 * p + 2 * p * p)
}

/// The conditions at the planted point of `model` for `anchor` (its point's numbers: filter, then
/// biases), `None` where they do not apply ([`applies`]). With an even activation the planted
/// point is taken with the sign the anchor prefers — the only image of it that can be optimal.
pub fn planted_certificate(
    model: &Model,
    anchor: &[f64],
    threads: Option<usize>,
) -> Option<PlantedCertificate> {
    if !applies(model) {
        return None;
    }
    let net = &model.network;
    let md = net.d();
    let mut w = model.data.planted.clone()?;
    let mut b = match (&model.data.planted_bias, net.bias) {
        (Some(b), true) => b.clone(),
        (None, true) => return None,
        (_, false) => Vec::new(),
    };
    if anchor.len() != md + b.len() {
        return None;
    }
    let toward = |w: &[f64], b: &[f64]| -> f64 { w.iter().chain(b).zip(anchor).map(|(x, g)| x * g).sum() };
    if model.activation.is_even() && toward(&w, &b) < 0.0 {
        w.iter_mut().chain(b.iter_mut()).for_each(|x| *x = -*x);
    }
    let residuals = model.residuals(&w, &b, threads);
    let planted_violation = residuals.max_relative();
    if planted_violation.is_nan() || planted_violation > PLANTED_TOLERANCE {
        return Some(PlantedCertificate {
            verdict: Verdict::Data,
            planted_violation,
            tight: 0,
            cone_distance: None,
            steps: 0,
        });
    }
    let length = cnr_numerics::norm(anchor);
    if !(length > 0.0 && length.is_finite()) {
        return None;
    }
    let unit: Vec<f64> = anchor.iter().map(|g| g / length).collect();
    let mut lp = CutLp::new(&unit, 1.0);
    let mut slope = vec![0.0; anchor.len()];
    let mut tight = 0;
    for i in 0..model.data.n {
        if residuals.relative(i) < -PLANTED_TOLERANCE {
            continue; // slack at θ*: no first-order condition
        }
        slope.iter_mut().for_each(|s| *s = 0.0);
        model.predict_with_slope(i, &w, &b, &mut slope);
        if slope.iter().any(|s| *s != 0.0) {
            lp.add_cut(slope.clone(), 0.0);
            tight += 1;
        }
    }
    let status = lp.solve(MAX_STEPS);
    let value: f64 = lp.theta().iter().zip(&unit).map(|(d, g)| d * g).sum();
    let (verdict, cone_distance) = match status {
        LpStatus::Optimal if value <= IN_CONE => (Verdict::Recovers, Some(value.max(0.0))),
        LpStatus::Optimal => (Verdict::Anchor, Some(value)),
        // δ = 0 satisfies every cut, so the LP is never infeasible; rounding aside.
        LpStatus::Infeasible | LpStatus::StepLimit => (Verdict::Unknown, None),
    };
    Some(PlantedCertificate { verdict, planted_violation, tight, cone_distance, steps: lp.steps })
}

/// Why a solve did or did not recover the planted filter, by the verdict of its anchors and the
/// solve's outcome (recovered: optimal and within the success threshold of `w*`): `recovered` (and
/// the verdict says so), `near` (recovered, but the anchor lies outside the cone: the optimum is
/// not `w*` itself, only within the threshold of it), `data` or `anchor` (a failure, the verdict's
/// fault), `status` (the verdict says the planted filter is the unique optimum, but the solve did
/// not end optimal), `unknown` (no verdict), or `unexplained` — the verdict and the outcome
/// disagree, which the conditions above rule out for a solver that solves the program.
pub fn explain(verdict: Verdict, trusted: bool, recovered: bool) -> &'static str {
    match (verdict, recovered) {
        (Verdict::Recovers, true) => "recovered",
        (Verdict::Anchor, true) => "near",
        (_, true) => "unexplained",
        (Verdict::Recovers, false) if trusted => "unexplained",
        (Verdict::Recovers, false) => "status",
        (other, false) => other.as_str(),
    }
}

/// The verdict of several solves of one program with different anchors (restarts, refinements),
/// of which the lowest training loss is kept: one anchor that recovers makes the whole recover
/// (its solve fits every sample, the lowest loss there is); else the data's fault, which no anchor
/// changes; else unknown if any LP stopped short; else the anchors'. The cone distance is the
/// smallest of them.
pub fn best_of(certificates: Vec<PlantedCertificate>) -> Option<PlantedCertificate> {
    let rank = |v: Verdict| match v {
        Verdict::Recovers => 0,
        Verdict::Data => 1,
        Verdict::Unknown => 2,
        Verdict::Anchor => 3,
    };
    let nearest = certificates.iter().filter_map(|c| c.cone_distance).min_by(f64::total_cmp);
    let steps = certificates.iter().map(|c| c.steps).sum();
    let best = certificates.into_iter().min_by_key(|c| rank(c.verdict))?;
    Some(PlantedCertificate { cone_distance: nearest.or(best.cone_distance), steps, ..best })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wspace::{wspace, WSpaceEnd};

    use crate::test_model as model;

    struct Quiet;
    impl crate::Watch for Quiet {
        fn checking(&self, _round: u32, _samples: usize) {}
        fn cancelled(&self) -> bool {
            false
        }
    }

    fn relu(samples: usize, seed: u64, extra: &str) -> Model {
        model(&format!(
            "network {{ input 32 conv kernel 8 stride 8 activation relu output ones }}
             data planted {{ samples {samples} seed {seed} {extra} }}"
        ))
    }

    #[test]
    fn the_verdict_agrees_with_the_solve_trial_by_trial_and_both_outcomes_occur() {
        // d = 8, K = 4, the data anchor, n/d from 2 to 6: the transition is inside this range.
        let (mut recovered, mut failed) = (0, 0);
        for samples in [16, 24, 32, 40, 48] {
            for seed in 1..=8 {
                let model = relu(samples, seed, "");
                let anchor = cnr_lower::anchor(&model);
                let certificate = planted_certificate(&model, &anchor, Some(1)).expect("it applies");
                let run = wspace(&model, &anchor, 1e-7, Some(1), &Quiet).expect("not cancelled");
                let WSpaceEnd::Certified { theta, residuals, .. } = &run.end else {
                    panic!("n = {samples}, seed {seed}: {:?}", run.end);
                };
                let error = model.fit_of(&residuals.values, theta).recovery_error.expect("planted");
                let recovers = error < 1e-4;
                assert_eq!(
                    certificate.verdict,
                    if recovers { Verdict::Recovers } else { Verdict::Anchor },
                    "n = {samples}, seed {seed}: error {error:e}, {certificate:?}"
                );
                // Every noiseless sample is tight; those with every unit off have no gradient.
                let on = model.data.y.iter().filter(|y| **y > 0.0).count();
                assert_eq!(certificate.tight, on, "n = {samples}, seed {seed}");
                if recovers {
                    recovered += 1;
                } else {
                    failed += 1;
                }
            }
        }
        assert!(recovered > 0 && failed > 0, "{recovered} recovered, {failed} failed");
    }

    #[test]
    fn the_planted_anchor_recovers_its_opposite_does_not_and_noise_is_the_datas_fault() {
        let model = relu(48, 2, "");
        let star = model.data.planted.clone().expect("planted");
        let at = |anchor: &[f64]| planted_certificate(&model, anchor, Some(1)).expect("applies");
        let oracle = at(&star);
        assert_eq!((oracle.verdict, oracle.cone_distance), (Verdict::Recovers, Some(0.0)), "{oracle:?}");
        // −w*: shrinking w* towards 0 keeps every sample feasible and gains along −w*.
        let opposite: Vec<f64> = star.iter().map(|x| -x).collect();
        let away = at(&opposite);
        assert_eq!(away.verdict, Verdict::Anchor);
        assert!(away.cone_distance.expect("solved") > 0.1, "{away:?}");
        let noisy = relu(48, 2, "noise 0.1");
        let data = planted_certificate(&noisy, &star, Some(1)).expect("applies");
        assert_eq!(data.verdict, Verdict::Data);
        assert!(data.planted_violation > 1e-3, "{data:?}");
    }

    #[test]
    fn an_explanation_names_the_cause_and_flags_a_verdict_the_outcome_contradicts() {
        use Verdict::*;
        let cases = [
            ((Recovers, true, true), "recovered"),
            ((Anchor, true, true), "near"),
            ((Data, true, true), "unexplained"),
            ((Unknown, true, true), "unexplained"),
            ((Anchor, true, false), "anchor"),
            ((Anchor, false, false), "anchor"),
            ((Data, true, false), "data"),
            ((Recovers, false, false), "status"),
            ((Recovers, true, false), "unexplained"),
            ((Unknown, true, false), "unknown"),
        ];
        for ((verdict, trusted, recovered), said) in cases {
            assert_eq!(explain(verdict, trusted, recovered), said, "{verdict:?}, {trusted}, {recovered}");
        }
    }

    #[test]
    fn it_does_not_apply_with_a_penalty_or_two_filters() {
        let penalty = model(
            "network { input 32 conv kernel 8 stride 8 activation relu output ones }
             data planted { samples 32 seed 1 } relax { penalty l2 1 }",
        );
        assert!(!applies(&penalty));
        let two = model(
            "network { input 32 conv kernel 8 stride 8 filters 2 activation relu output ones }
             data planted { samples 32 seed 1 }",
        );
        assert!(!applies(&two));
        assert!(applies(&relu(32, 1, "")));
    }
}
