//! The w-space method: the relaxation solved over the filters themselves, `θ = (w, b)`, with cuts
//! in place of the epigraph variables.
//!
//! Every sample's constraint `f(x_i; θ) = Σ_{m,k} u_mk σ(⟨w_m, x_ik⟩ + b_m) ≤ y_i` is convex in `θ`
//! (σ convex, `u ≥ 0`). At a point `θ₀`, a subgradient `s` of `f(x_i; ·)` gives the cut
//! `f(x_i; θ₀) + sᵀ(θ − θ₀) ≤ y_i`, which every `θ` satisfying the constraint satisfies: for a
//! piecewise-linear σ it is the sum of the patches' active pieces, exact at `θ₀`; for a smooth σ,
//! the tangent. Each round solves the LP `max ⟨g, θ⟩` over the cuts so far and an artificial box
//! `|θ_j| ≤ R` (`cnr_numerics::simplex`, warm-started from the last basis), evaluates the samples at its
//! vertex, and adds a cut for each of the most violated ones. With many samples the rounds check a
//! working set (the first 4,096 or `64·p`, then every sample found violated) until it holds, and
//! only then all samples in one parallel pass; with fewer, every round checks all of them.
//!
//! **The certificate.** When every sample holds at the vertex (relative violation at most the
//! tolerance, each sample on its own scale, as the full program is judged) and no side of the
//! box carries a multiplier (and the bound holds, when the model has one), the LP's multipliers `λ ≥ 0` on the cuts satisfy `g = Σ λ_i a_i`:
//! no point satisfying the cuts does better, and the cuts are implied by the constraints, so no
//! feasible point does better than this vertex, which is itself feasible. A box that binds grows
//! tenfold (the program may be unbounded: after [`MAX_BOX_GROWTH`] growths the cone program is
//! solved for the evidence); an LP the cuts make infeasible, a penalty, or no certificate after
//! [`MAX_ROUNDS`] rounds also end the method with a [`HandOff`]: the caller solves the cone
//! program instead (the driver: the whole one, or cutting planes over the samples when it is
//! large), and the record says why.
//!
//! **A bound** on `w` is constraints of the LP too: `bound linf R` its `2·M·d` sides from the
//! start, `bound l2 R` a tangent `w₀ᵀw / ‖w₀‖ ≤ R` of the ball at each vertex outside it (implied by
//! `‖w‖ ≤ R`, since `w₀ᵀw ≤ ‖w₀‖‖w‖`).

use crate::{Cancelled, Watch};
use cnr_check::sizes::initial_radius;
use cnr_check::{Model, Norm};
use cnr_numerics::simplex::{CutLp, LpStatus};
use serde::Serialize;
use shrink::shrink_to_feasible;
use std::time::Instant;

mod shrink;

/// The most rounds before the cone program is solved instead.
const MAX_ROUNDS: u32 = 500;
/// How many times the box may grow tenfold before the program is taken to be unbounded.
const MAX_BOX_GROWTH: u32 = 6;
/// The most dual simplex steps per round.
const MAX_STEPS: usize = 100_000;
/// The tolerance on the samples' relative violation is the solve's, but never looser than this:
/// the cuts are exact for piecewise-linear activations, and converge fast for smooth ones where
/// it matters (at the recovered filter).
const TOLERANCE: f64 = 1e-9;
/// The first box is this much smaller than the cone program's (100 times the labels' linear
/// scale): tangent cuts taken far out are weak for fast-growing activations, so a smaller start
/// saves rounds (squared_relu grid 1.22 s → 0.87 s, softplus 0.86 s → 0.45 s; `bench/wspace_grid.sh`),
/// and a box that binds grows tenfold. A hundredfold smaller start made softplus fall back.
const WSPACE_BOX_SHRINK: f64 = 10.0;
/// The working set's first size, at least (see the loop of [`wspace`]).
const WORKING_SET: usize = 4096;
/// The most Newton steps towards a sample's boundary (see [`boundary_point`]).
const NEWTON_STEPS: usize = 6;

/// What the w-space method did, and its certificate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WSpaceRecord {
    /// Rounds: LP solves, each followed by one pass over the samples.
    pub rounds: u32,
    /// Cuts in the last LP.
    pub cuts: usize,
    /// Dual simplex steps over all rounds.
    pub steps: usize,
    /// The last radius of the artificial box `|w_j|, |b_m| ≤ R`.
    pub box_radius: f64,
    /// Whether a side of the box carried a multiplier at the last vertex (then it is not certified).
    pub box_active: bool,
    /// Whether the last vertex lies on the box although no side carries a multiplier: the optimum
    /// is not unique, and the box picked this optimal point among others farther out.
    pub on_box: bool,
    /// The largest residual relative to its own sample's scale ([`cnr_check::Residuals`]) at the
    /// last vertex.
    pub relative_violation: f64,
    /// `‖g − Σ λ_j a_j‖∞ / ‖g‖∞` of the last LP's multipliers on its active cuts.
    pub dual_residual: f64,
    /// The relative violation allowed.
    pub tolerance: f64,
    /// Whether the point is proved optimal for the whole relaxation: every sample holds within
    /// the tolerance, the box carries no multiplier, and `λ ≥ 0` reproduces the anchor.
    pub certified: bool,
    /// When the cuts stalled at a vertex within rounding of samples tight at the origin: the
    /// factor `t` of the point `t·θ` returned, which every sample holds and whose objective is within
    /// the tolerance of the vertex's bound (see `shrink.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<f64>,
    /// Why the whole program was solved instead, if it was (the caller's words for the
    /// [`HandOff`]).
    pub fallback: Option<String>,
}

/// Why the method hands the model to the cone program: it cannot give a certificate.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HandOff {
    /// The model has a penalty, which the method does not take.
    #[error("the w-space method takes no penalty yet")]
    Penalty,
    /// No certificate after [`MAX_ROUNDS`] rounds.
    #[error("no certificate after {MAX_ROUNDS} rounds")]
    NoCertificate,
    /// The cuts admit no point.
    #[error("the cuts admit no point (the relaxation may be infeasible)")]
    CutsInfeasible,
    /// The caller's time ran out before a certificate.
    #[error("the time limit ran out after {rounds} rounds")]
    OutOfTime {
        /// The rounds run.
        rounds: u32,
    },
    /// A round's LP took more than [`MAX_STEPS`] steps.
    #[error("the cut LP took more than {MAX_STEPS} steps")]
    StepLimit,
    /// Every sample holds, but the multipliers do not prove the vertex optimal.
    #[error("the cut LP's multipliers do not prove the point optimal")]
    Unproved,
    /// New cuts stopped moving the vertex.
    #[error("the cuts stopped moving the vertex at round {round} (relative violation {violation:.3e}, rounding at |θ| up to {largest:.3e})")]
    Stalled {
        /// The round.
        round: u32,
        /// The relative violation there.
        violation: f64,
        /// The largest `|θ_j|`.
        largest: f64,
    },
    /// The box stayed active as it grew: the relaxation may be unbounded.
    #[error("the box stayed active up to radius {radius:.3e}: the relaxation may be unbounded")]
    BoxActive {
        /// The last radius.
        radius: f64,
    },
    /// A sample's cut is not finite (a fast-growing activation far out in the box).
    #[error("sample {sample}'s cut overflows at the vertex of round {round} (|θ| up to {largest:.3e})")]
    Overflow {
        /// The sample.
        sample: usize,
        /// The round.
        round: u32,
        /// The largest `|θ_j|`.
        largest: f64,
    },
}

/// How the method ended.
#[derive(Clone, Debug, PartialEq)]
pub enum WSpaceEnd {
    /// The vertex is certified optimal for the whole relaxation.
    Certified {
        /// The point `θ = (w, b)`.
        theta: Vec<f64>,
        /// `⟨g, θ⟩`.
        objective: f64,
        /// Every sample's `f(x_i; θ) − y_i` and its scale.
        residuals: cnr_check::Residuals,
    },
    /// No certificate: the cone program is the caller's to solve.
    HandOff(HandOff),
}

/// A run of the method: how it ended, its record, and its seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct WSpaceRun {
    /// How it ended.
    pub end: WSpaceEnd,
    /// What it did.
    pub record: WSpaceRecord,
    /// Seconds in the cut LP.
    pub solving_seconds: f64,
    /// Seconds evaluating the samples.
    pub checking_seconds: f64,
}

/// The most bytes the method's LP can take on `model`: every cut it may add (at most `max(p, 8)` a
/// round for [`MAX_ROUNDS`] rounds, and a bound's `2·M·d` sides), `p` numbers each, and the basis
/// and its inverse (`2·p²`), for `p` coordinates of `θ`. Held to the memory budget before the
/// method runs.
pub fn lp_bytes(model: &Model) -> u128 {
    let net = &model.network;
    let md = (net.filters * net.d()) as u128;
    let p = md + net.extras() as u128;
    let cuts = u128::from(MAX_ROUNDS) * p.max(8) + 2 * md;
    8 * (cuts * p + 2 * p * p)
}

/// Solves the relaxation of `model` with the objective's anchor `anchor` by cuts in the filters'
/// space, judging samples to the relative `tolerance` (never looser than [`TOLERANCE`]) on
/// `threads`; `watch` is told each full check and asked whether to stop. See the module's
/// documentation.
pub fn wspace(
    model: &Model,
    anchor: &[f64],
    tolerance: f64,
    threads: Option<usize>,
    watch: &dyn Watch,
) -> Result<WSpaceRun, Cancelled> {
    let net = &model.network;
    let md = net.filters * net.d();
    let p = md + net.extras();
    let tolerance = tolerance.min(TOLERANCE);
    let mut record = WSpaceRecord {
        rounds: 0,
        cuts: 0,
        steps: 0,
        box_radius: initial_radius(model) / WSPACE_BOX_SHRINK,
        box_active: false,
        on_box: false,
        relative_violation: f64::INFINITY,
        dual_residual: f64::INFINITY,
        tolerance,
        certified: false,
        shrunk: None,
        fallback: None,
    };
    let (mut solving_seconds, mut checking_seconds) = (0.0, 0.0);
    let hand_off = |record: WSpaceRecord, why: HandOff, solving_seconds, checking_seconds| {
        Ok(WSpaceRun { end: WSpaceEnd::HandOff(why), record, solving_seconds, checking_seconds })
    };
    if model.relax.penalty.is_some() {
        return hand_off(record, HandOff::Penalty, 0.0, 0.0);
    }
    let mut lp = CutLp::new(anchor, record.box_radius);
    if let Some((Norm::Linf, radius)) = model.relax.bound {
        for j in 0..md {
            for sign in [1.0, -1.0] {
                let mut side = vec![0.0; p];
                side[j] = sign;
                lp.add_cut(side, radius);
            }
        }
    }
    // The l2 bound's radius, when its tangents are added as the vertices need them.
    let ball = match model.relax.bound {
        Some((Norm::L2, radius)) => Some(radius),
        _ => None,
    };
    let mut growth = 0;
    let mut slope = vec![0.0; p];
    // Whether the last round added cuts for violated samples.
    let mut added = false;
    // With many samples, rounds check a working set (the first samples, then those found
    // violated) until it holds, and only then every sample: a pass over all of them is the
    // cost of a round at millions of samples.
    let first = WORKING_SET.max(64 * p);
    let mut working: Option<Vec<usize>> = (model.data.n > 4 * first).then(|| (0..first).collect());
    // Every sample's output at θ = 0, `σ(0)·Σ u`, for the cuts' points; none for
    // piecewise-linear activations, whose cut at the vertex is the one at the boundary.
    let f_at_zero =
        (model.activation.cone_class() != cnr_check::ConeClass::Lp && model.data.n > 0).then(|| {
            let zeros = vec![0.0; p];
            model.predict_with_slope(0, &zeros[..md], &zeros[md..], &mut slope)
        });
    loop {
        if watch.cancelled() {
            return Err(Cancelled);
        }
        if watch.out_of_time() {
            let why = HandOff::OutOfTime { rounds: record.rounds };
            return hand_off(record, why, solving_seconds, checking_seconds);
        }
        if record.rounds == MAX_ROUNDS {
            return hand_off(record, HandOff::NoCertificate, solving_seconds, checking_seconds);
        }
        record.rounds += 1;
        let start = Instant::now();
        let steps_before = lp.steps;
        let status = lp.solve(MAX_STEPS);
        // New cuts that do not move the vertex hold there to the LP's rounding: more of them
        // cannot help (seen at |θ| ~ 1e7, where a growing box had taken an unbounded program).
        let stalled = added && lp.steps == steps_before;
        record.steps = lp.steps;
        solving_seconds += start.elapsed().as_secs_f64();
        match status {
            LpStatus::Optimal => {}
            LpStatus::Infeasible => {
                return hand_off(record, HandOff::CutsInfeasible, solving_seconds, checking_seconds);
            }
            LpStatus::StepLimit => {
                return hand_off(record, HandOff::StepLimit, solving_seconds, checking_seconds);
            }
        }
        let start = Instant::now();
        let theta = lp.theta().to_vec();
        let (w, b) = theta.split_at(md);
        // The working set first; every sample once it holds. Each sample is held to its own
        // scale (cnr_check::Residuals): one large label must not hide a small one's violation.
        let in_working_set: Option<(Vec<(f64, usize)>, f64)> = working.as_ref().map(|set| {
            watch.checking(record.rounds, set.len());
            let r = model.residuals_at(set, w, b);
            (r.violated(tolerance).map(|(k, v)| (v, set[k])).collect(), r.max_relative())
        });
        let (residuals, mut violated) = match in_working_set {
            Some((violated, worst)) if !violated.is_empty() => {
                record.relative_violation = worst;
                (None, violated)
            }
            _ => {
                watch.checking(record.rounds, model.data.n);
                let residuals = model.residuals(w, b, threads);
                let violated: Vec<(f64, usize)> =
                    residuals.violated(tolerance).map(|(i, r)| (r, i)).collect();
                if let Some(set) = working.as_mut() {
                    // They were outside the set, which held.
                    set.extend(violated.iter().map(|&(_, i)| i));
                }
                record.relative_violation = residuals.max_relative();
                (Some(residuals), violated)
            }
        };
        let norm = cnr_numerics::norm(w);
        let outside_ball = ball.is_some_and(|radius| norm > radius * (1.0 + tolerance));
        record.box_active = lp.box_binds();
        record.on_box = !record.box_active && cnr_numerics::max_abs(&theta) >= lp.radius() * (1.0 - 1e-9);
        record.dual_residual = lp.dual_residual();
        checking_seconds += start.elapsed().as_secs_f64();
        if let (true, Some(radius)) = (outside_ball, ball) {
            // The tangent of the ball at w/‖w‖: w₀ᵀw / ‖w₀‖ ≤ R.
            let mut tangent = vec![0.0; p];
            tangent[..md].iter_mut().zip(w).for_each(|(t, v)| *t = v / norm);
            lp.add_cut(tangent, radius);
        }
        if violated.is_empty() && !outside_ball && !record.box_active {
            record.certified = lp.least_multiplier() >= -1e-9 && record.dual_residual <= 1e-9;
            if !record.certified {
                return hand_off(record, HandOff::Unproved, solving_seconds, checking_seconds);
            }
            let objective = cnr_numerics::dot(anchor, &theta);
            let residuals = residuals.expect("no violation means every sample was checked");
            let end = WSpaceEnd::Certified { theta, objective, residuals };
            return Ok(WSpaceRun { end, record, solving_seconds, checking_seconds });
        }
        if violated.is_empty() && outside_ball {
            record.cuts = lp.cuts();
            added = false;
            continue;
        }
        if stalled && !record.box_active {
            // The vertex bounds the optimum when its multipliers prove it optimal over the cuts.
            let bounds = lp.least_multiplier() >= -1e-9 && record.dual_residual <= 1e-9;
            let radius = lp.radius();
            if let Some((theta, t, residuals)) = bounds
                .then(|| shrink_to_feasible(model, anchor, &theta, radius, tolerance, threads))
                .flatten()
            {
                record.certified = true;
                record.shrunk = Some(t);
                record.relative_violation = residuals.max_relative();
                let objective = cnr_numerics::dot(anchor, &theta);
                let end = WSpaceEnd::Certified { theta, objective, residuals };
                return Ok(WSpaceRun { end, record, solving_seconds, checking_seconds });
            }
            let why = HandOff::Stalled {
                round: record.rounds,
                violation: record.relative_violation,
                largest: cnr_numerics::max_abs(&theta),
            };
            return hand_off(record, why, solving_seconds, checking_seconds);
        }
        if violated.is_empty() || stalled {
            // Every sample holds (or holds to rounding), but the box stops the objective: it
            // may be unbounded.
            if growth == MAX_BOX_GROWTH {
                let why = HandOff::BoxActive { radius: lp.radius() };
                return hand_off(record, why, solving_seconds, checking_seconds);
            }
            growth += 1;
            record.box_radius = lp.radius() * 10.0;
            lp.set_radius(record.box_radius);
            added = false;
            continue;
        }
        // The most violated samples first, at most as many as there are coordinates (at least
        // 8): enough to pin the vertex down in a few rounds, few enough to keep the LP small.
        let take = violated.len().min(p.max(8));
        if take < violated.len() {
            violated.select_nth_unstable_by(take - 1, |a, c| c.0.total_cmp(&a.0).then(a.1.cmp(&c.1)));
        }
        for &(_, i) in &violated[..take] {
            let (point, f) = boundary_point(model, i, &theta, md, f_at_zero, &mut slope);
            // f(θ₁) + sᵀ(θ − θ₁) ≤ y_i, that is sᵀθ ≤ y_i − f(θ₁) + sᵀθ₁.
            let at: f64 = cnr_numerics::dot(&slope, &point);
            let beta = model.data.y[i] - f + at;
            if !beta.is_finite() || slope.iter().any(|s| !s.is_finite()) {
                // A fast-growing activation (exp, a high power) overflows far out in the box.
                let why = HandOff::Overflow {
                    sample: i,
                    round: record.rounds,
                    largest: cnr_numerics::max_abs(&theta),
                };
                return hand_off(record, why, solving_seconds, checking_seconds);
            }
            // The LP scales each cut to a unit normal, so every sample weighs alike in it.
            lp.add_cut(slope.clone(), beta);
        }
        added = true;
        record.cuts = lp.cuts();
    }
}

/// Where sample `i`'s cut is taken, and `f(x_i; ·)` there (its slope in `slope`). Where the origin
/// satisfies the sample strictly (`f(x_i; 0) < y_i`), the point where the segment from the origin
/// to the vertex `θ₀` leaves the sample's constraint: a few Newton steps on the convex
/// `φ(t) = f(x_i; tθ₀) − y_i` from `t = 1`, which approach the root from above. A tangent there
/// supports the constraint's set where the vertex's ray crosses it, which for fast-growing
/// activations is far tighter than the tangent at a vertex far outside (docs/solving.md has the
/// measurement). Otherwise, and for piecewise-linear activations where both cuts are one
/// (`f_at_zero` is `None`), the vertex itself.
fn boundary_point(
    model: &Model,
    i: usize,
    theta: &[f64],
    md: usize,
    f_at_zero: Option<f64>,
    slope: &mut [f64],
) -> (Vec<f64>, f64) {
    let y = model.data.y[i];
    let mut point = theta.to_vec();
    let mut f = model.predict_with_slope(i, &point[..md], &point[md..], slope);
    let Some(f_at_zero) = f_at_zero.filter(|&f0| f0 < y && f > y) else {
        return (point, f);
    };
    let mut t = 1.0f64;
    for _ in 0..NEWTON_STEPS {
        // φ'(t) = s(tθ₀)ᵀθ₀ > 0 while φ(t) > 0 > φ(0) (convexity).
        let derivative: f64 = cnr_numerics::dot(slope, theta);
        let next = t - (f - y) / derivative;
        if !(derivative > 0.0 && next > 0.0 && next < t) {
            break;
        }
        let trial: Vec<f64> = theta.iter().map(|v| v * next).collect();
        let mut trial_slope = vec![0.0; slope.len()];
        let f_next = model.predict_with_slope(i, &trial[..md], &trial[md..], &mut trial_slope);
        if !f_next.is_finite() {
            break;
        }
        (t, point, f) = (next, trial, f_next);
        slope.copy_from_slice(&trial_slope);
        if f - y <= 1e-3 * (y - f_at_zero) {
            break;
        }
    }
    (point, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    use crate::test_model as model;

    /// Counts the full checks; asks to stop once `stop_after` of them were told.
    struct Counter {
        checks: Cell<u32>,
        stop_after: u32,
    }

    impl Watch for Counter {
        fn checking(&self, _round: u32, _samples: usize) {
            self.checks.set(self.checks.get() + 1);
        }
        fn cancelled(&self) -> bool {
            self.checks.get() >= self.stop_after
        }
    }

    fn watch() -> Counter {
        Counter { checks: Cell::new(0), stop_after: u32::MAX }
    }

    const PLANTED: &str = "network { input 16 conv kernel 8 stride 4 activation relu output ones }
                           data planted { samples 64 seed 3 }";

    #[test]
    fn a_planted_relu_model_is_certified_at_its_filter() {
        let model = model(PLANTED);
        let anchor = cnr_lower::anchor(&model);
        let counter = watch();
        let run = wspace(&model, &anchor, 1e-7, Some(1), &counter).unwrap();
        let WSpaceEnd::Certified { theta, objective, residuals } = &run.end else {
            panic!("no certificate: {:?}", run.end);
        };
        assert!(run.record.certified && !run.record.box_active, "{:?}", run.record);
        assert!(run.record.relative_violation <= TOLERANCE, "{:?}", run.record);
        assert_eq!(residuals.len(), model.data.n);
        assert!((objective - cnr_numerics::dot(&anchor, theta)).abs() <= 1e-12 * objective.abs().max(1.0));
        // The point is the planted filter: what the relaxation recovers, checked on the model.
        let fit = model.fit_of(&residuals.values, theta);
        assert!(fit.recovery_error.expect("a planted filter") < 1e-6, "{fit:?}");
        assert_eq!(counter.checks.get(), run.record.rounds, "every round checks every sample");
    }

    #[test]
    fn a_penalty_is_handed_to_the_cone_program_before_any_round() {
        let model = model(&format!("{PLANTED} relax {{ penalty l2 2 }}"));
        let run = wspace(&model, &cnr_lower::anchor(&model), 1e-7, Some(1), &watch()).unwrap();
        assert_eq!(run.end, WSpaceEnd::HandOff(HandOff::Penalty));
        assert_eq!(run.record.rounds, 0);
    }

    #[test]
    fn an_anchor_along_a_ray_of_the_feasible_set_ends_with_an_active_box() {
        // One sample and one patch: every w with ⟨w, x⟩ ≤ 0 holds, so max ⟨−x, w⟩ is unbounded and
        // the box grows until it gives up.
        let model = model(
            "network { input 8 conv kernel 8 stride 8 activation relu output ones }
                           data planted { samples 1 seed 5 }",
        );
        let anchor: Vec<f64> = model.data.sample(0).iter().map(|x| -x).collect();
        let run = wspace(&model, &anchor, 1e-7, Some(1), &watch()).unwrap();
        assert!(matches!(run.end, WSpaceEnd::HandOff(HandOff::BoxActive { .. })), "{:?}", run.end);
        assert!(!run.record.certified);
        assert!(run.record.box_radius > initial_radius(&model) / WSPACE_BOX_SHRINK);
    }

    #[test]
    fn a_watch_that_asks_to_stop_stops_the_rounds() {
        let model = model(PLANTED);
        let counter = Counter { checks: Cell::new(0), stop_after: 1 };
        assert_eq!(wspace(&model, &cnr_lower::anchor(&model), 1e-7, Some(1), &counter), Err(Cancelled));
        assert_eq!(counter.checks.get(), 1);
    }

    #[test]
    fn hand_offs_say_why_in_words() {
        assert_eq!(HandOff::NoCertificate.to_string(), format!("no certificate after {MAX_ROUNDS} rounds"));
        let stalled = HandOff::Stalled { round: 3, violation: 1e-3, largest: 2e7 };
        assert!(stalled.to_string().contains("round 3"), "{stalled}");
    }
}
