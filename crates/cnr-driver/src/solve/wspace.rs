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
//! tolerance, on the scale of the largest label, as the full program is judged) and no side of the
//! box carries a multiplier (and the bound holds, when the model has one), the LP's multipliers `λ ≥ 0` on the cuts satisfy `g = Σ λ_i a_i`:
//! no point satisfying the cuts does better, and the cuts are implied by the constraints, so no
//! feasible point does better than this vertex, which is itself feasible. A box that binds grows
//! tenfold (the program may be unbounded: after [`MAX_BOX_GROWTH`] growths the cone program is
//! solved for the evidence); an LP the cuts make infeasible, a penalty, or no certificate after
//! [`MAX_ROUNDS`] rounds also hand the model to the cone program (the whole one, or cutting planes
//! over the samples when it is large), and the record says why.
//!
//! **A bound** on `w` is constraints of the LP too: `bound linf R` its `2·M·d` sides from the
//! start, `bound l2 R` a tangent `w₀ᵀw / ‖w₀‖ ≤ R` of the ball at each vertex outside it (implied by
//! `‖w‖ ≤ R`, since `w₀ᵀw ≤ ‖w₀‖‖w‖`).

use super::{initial_radius, Context, Outcome};
use crate::record::{Method, Timings, WSpaceRecord};
use crate::{Error, Event};
use cnr_check::Norm;
use cnr_numerics::simplex::{CutLp, LpStatus};
use std::time::Instant;

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
/// The working set's first size, at least (see the loop of [`Context::wspace`]).
const WORKING_SET: usize = 4096;
/// The most Newton steps towards a sample's boundary (see [`boundary_point`]).
const NEWTON_STEPS: usize = 6;

impl Context<'_> {
    /// Solves by cuts in the filters' space; hands the model to the cone program where it cannot
    /// give a certificate (see the module's documentation).
    pub(super) fn wspace(&self, timings: &mut Timings) -> Result<Outcome, Error> {
        let model = &self.compiled.model;
        let net = &model.network;
        let md = net.filters * net.d();
        let p = md + net.extras();
        let tolerance = self.settings.tol_rel.min(TOLERANCE);
        let mut record = WSpaceRecord {
            rounds: 0,
            cuts: 0,
            steps: 0,
            box_radius: initial_radius(model) / WSPACE_BOX_SHRINK,
            box_active: false,
            relative_violation: f64::INFINITY,
            dual_residual: f64::INFINITY,
            tolerance,
            certified: false,
            fallback: None,
        };
        let fallback = |this: &Self, timings: &mut Timings, mut record: WSpaceRecord, why: String| {
            record.fallback = Some(why);
            let mut outcome = this.conic(timings)?;
            outcome.wspace = Some(record);
            Ok(outcome)
        };
        if model.relax.penalty.is_some() {
            let why = "the w-space method takes no penalty yet; solved the cone program".to_string();
            return fallback(self, timings, record, why);
        }
        let scale = model.label_scale().max(f64::MIN_POSITIVE);
        let mut lp = CutLp::new(self.anchor, record.box_radius);
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
            self.hooks.check()?;
            if record.rounds == MAX_ROUNDS {
                let why = format!("no certificate after {MAX_ROUNDS} rounds; solved the cone program");
                return fallback(self, timings, record, why);
            }
            record.rounds += 1;
            let start = Instant::now();
            let steps_before = lp.steps;
            let status = lp.solve(MAX_STEPS);
            // New cuts that do not move the vertex hold there to the LP's rounding: more of them
            // cannot help (seen at |θ| ~ 1e7, where a growing box had taken an unbounded program).
            let stalled = added && lp.steps == steps_before;
            record.steps = lp.steps;
            timings.solving_seconds += start.elapsed().as_secs_f64();
            match status {
                LpStatus::Optimal => {}
                LpStatus::Infeasible => {
                    let why =
                        "the cuts admit no point (the relaxation may be infeasible); solved the cone program";
                    return fallback(self, timings, record, why.to_string());
                }
                LpStatus::StepLimit => {
                    let why = format!("the cut LP took more than {MAX_STEPS} steps; solved the cone program");
                    return fallback(self, timings, record, why);
                }
            }
            let start = Instant::now();
            let theta = lp.theta().to_vec();
            let (w, b) = theta.split_at(md);
            let is_violated = |r: f64| r > tolerance * scale;
            // The working set first; every sample once it holds.
            let in_working_set: Option<Vec<(f64, usize)>> = working.as_ref().map(|set| {
                self.hooks.tell(Event::Checking { round: record.rounds, samples: set.len() });
                let r = model.residuals_at(set, w, b);
                set.iter().zip(r).filter(|&(_, r)| is_violated(r)).map(|(&i, r)| (r, i)).collect()
            });
            let (residuals, mut violated) = match in_working_set {
                Some(violated) if !violated.is_empty() => (None, violated),
                _ => {
                    self.hooks.tell(Event::Checking { round: record.rounds, samples: model.data.n });
                    let residuals = model.residuals(w, b, self.threads);
                    let violated: Vec<(f64, usize)> = residuals
                        .iter()
                        .enumerate()
                        .filter(|&(_, &r)| is_violated(r))
                        .map(|(i, &r)| (r, i))
                        .collect();
                    if let Some(set) = working.as_mut() {
                        // They were outside the set, which held.
                        set.extend(violated.iter().map(|&(_, i)| i));
                    }
                    (Some(residuals), violated)
                }
            };
            record.relative_violation = match &residuals {
                Some(all) => all.iter().fold(f64::NEG_INFINITY, |m, &r| m.max(r)) / scale,
                None => violated.iter().fold(f64::NEG_INFINITY, |m, &(r, _)| m.max(r)) / scale,
            };
            let norm = cnr_numerics::norm(w);
            let outside_ball = ball.is_some_and(|radius| norm > radius * (1.0 + tolerance));
            record.box_active = lp.box_binds();
            record.dual_residual = lp.dual_residual();
            timings.checking_seconds += start.elapsed().as_secs_f64();
            if let (true, Some(radius)) = (outside_ball, ball) {
                // The tangent of the ball at w/‖w‖: w₀ᵀw / ‖w₀‖ ≤ R.
                let mut tangent = vec![0.0; p];
                tangent[..md].iter_mut().zip(w).for_each(|(t, v)| *t = v / norm);
                lp.add_cut(tangent, radius);
            }
            if violated.is_empty() && !outside_ball && !record.box_active {
                record.certified = lp.least_multiplier() >= -1e-9 && record.dual_residual <= 1e-9;
                if !record.certified {
                    let why =
                        "the cut LP's multipliers do not prove the point optimal; solved the cone program";
                    return fallback(self, timings, record, why.to_string());
                }
                let objective = cnr_numerics::dot(self.anchor, &theta);
                let residuals = residuals.expect("no violation means every sample was checked");
                return Ok(Outcome::filters(Method::WSpace, theta, objective, residuals, record));
            }
            if violated.is_empty() && outside_ball {
                record.cuts = lp.cuts();
                added = false;
                continue;
            }
            if stalled && !record.box_active {
                let why = format!(
                    "the cuts stopped moving the vertex at round {} (relative violation {:.3e}, rounding at |θ| up to {:.3e}); solved the cone program",
                    record.rounds,
                    record.relative_violation,
                    cnr_numerics::max_abs(&theta)
                );
                return fallback(self, timings, record, why);
            }
            if violated.is_empty() || stalled {
                // Every sample holds (or holds to rounding), but the box stops the objective: it
                // may be unbounded.
                if growth == MAX_BOX_GROWTH {
                    let why = format!(
                        "the box stayed active up to radius {:.3e}: the relaxation may be unbounded; solved the cone program",
                        lp.radius()
                    );
                    return fallback(self, timings, record, why);
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
                    let why = format!(
                        "sample {i}'s cut overflows at the vertex of round {} (|θ| up to {:.3e}); solved the cone program",
                        record.rounds,
                        cnr_numerics::max_abs(&theta)
                    );
                    return fallback(self, timings, record, why);
                }
                lp.add_cut(slope.clone(), beta);
            }
            added = true;
            record.cuts = lp.cuts();
        }
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
    model: &cnr_check::Model,
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
