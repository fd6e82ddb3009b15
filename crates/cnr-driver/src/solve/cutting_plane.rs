//! Solving a compiled model: the whole program at once, or by cutting planes over the samples.
//!
//! The cutting-plane method solves the relaxation on a subset `S` of the samples, with the anchor of
//! all samples, then evaluates every sample at the point and adds the most violated ones to `S`,
//! until none outside `S` is violated. The program on `S` keeps every column of the shared
//! variables and only drops rows, so it is a relaxation of the whole program: its optimum is at
//! least the whole one's. When every sample outside `S` holds at its optimum, that point (with
//! `t_i = σ(z_i)` and, with a penalty, `ξ_i = 0` for those samples) is feasible for the whole program
//! with the same objective, hence optimal for it. With a penalty this is exact for `l1` and `l2`:
//! both norms only grow when entries are added, and a sample that holds adds `ξ_i = 0`.
//!
//! A program on few samples may be unbounded, so the shared variables get an artificial box
//! `|w_j|, |b_m| ≤ R`. A box that is active at the optimum may cut the answer off: then `R` grows ten
//! times and the round is repeated. An answer is certified only with the box inactive.

use super::{start_size, Context};
use crate::record::{CuttingPlaneRecord, Method, Outcome, Timings};
use crate::{Error, Event};
use cnr_check::sizes::initial_radius;
use cnr_ir::Status;
use cnr_lower::Request;
use std::time::Instant;

/// The most programs the cutting-plane method solves before it gives up and solves the whole one.
const MAX_ROUNDS: u32 = 60;
/// How many times the box may grow tenfold before the program is taken to be unbounded (and the
/// whole program is solved for the evidence). Far larger boxes only make the solver's numbers worse.
const MAX_BOX_GROWTH: u32 = 6;

impl Context<'_> {
    /// Solves by cutting planes over the samples, falling back to the whole program where no
    /// certificate can be had.
    pub(super) fn cutting_plane(&self, timings: &mut Timings) -> Result<Outcome, Error> {
        let model = &self.compiled.model;
        let n = model.data.n;
        let start = start_size(model).min(n);
        // Evenly spread over the data, so that files sorted by some property still give a mixed start.
        let mut subset: Vec<usize> = (0..start).map(|j| j * n / start.max(1)).collect();
        let mut in_subset = vec![false; n];
        subset.iter().for_each(|&i| in_subset[i] = true);
        let tolerance = self.settings.tol_rel;
        let mut record = CuttingPlaneRecord {
            rounds: 0,
            start_size: start,
            subset_size: start,
            box_radius: initial_radius(model),
            box_active: false,
            max_violation_outside: f64::NEG_INFINITY,
            tolerance,
            certified: false,
            fallback: None,
        };
        let mut growth = 0;
        let fallback = |this: &Self, timings: &mut Timings, mut record: CuttingPlaneRecord, why: String| {
            record.fallback = Some(why);
            let mut outcome = this.full(timings)?;
            outcome.cutting_plane = Some(record);
            Ok(outcome)
        };
        loop {
            if record.rounds == MAX_ROUNDS {
                let why = format!("no certificate after {MAX_ROUNDS} programs; solved the whole program");
                return fallback(self, timings, record, why);
            }
            record.rounds += 1;
            record.subset_size = subset.len();
            let request = Request {
                samples: Some(&subset),
                box_radius: Some(record.box_radius),
                threads: self.threads,
            };
            let (lowered, solution) = self.lower_and_solve(&request, timings)?;
            if solution.status == Status::Infeasible {
                // The box may be what makes it infeasible: without it, an infeasible subset proves the
                // whole program infeasible (it has all of the subset's rows and more).
                let request = Request { samples: Some(&subset), box_radius: None, threads: self.threads };
                let (lowered, solution) = self.lower_and_solve(&request, timings)?;
                record.rounds += 1;
                if solution.status == Status::Infeasible {
                    // The status holds for the whole program: that is the certificate.
                    record.certified = true;
                    let mut outcome = Outcome::program(Method::CuttingPlane, lowered, solution);
                    outcome.cutting_plane = Some(record);
                    return Ok(outcome);
                }
            }
            if solution.status != Status::Optimal {
                let why = format!(
                    "the program on {} samples ended {}; solved the whole program",
                    subset.len(),
                    solution.status.as_str()
                );
                return fallback(self, timings, record, why);
            }
            self.hooks.tell(Event::Checking { round: record.rounds, samples: n });
            self.hooks.check()?;
            let check = Instant::now();
            let (w, b) = lowered.layout.filters(&solution.x);
            let largest = w.iter().chain(&b).fold(0.0f64, |m, v| m.max(v.abs()));
            record.box_active = largest >= 0.999 * record.box_radius;
            let residuals = model.residuals(&w, &b, self.threads);
            let mut violated: Vec<(f64, usize)> = Vec::new();
            record.max_violation_outside = f64::NEG_INFINITY;
            // Every sample is held to its own scale (cnr_check::Residuals).
            for (i, r) in residuals.violated(tolerance) {
                if !in_subset[i] {
                    violated.push((r, i));
                }
            }
            record.max_violation_outside = (0..n)
                .filter(|&i| !in_subset[i])
                .map(|i| residuals.values[i])
                .fold(f64::NEG_INFINITY, f64::max);
            timings.checking_seconds += check.elapsed().as_secs_f64();
            if violated.is_empty() && !record.box_active {
                record.certified = true;
                let mut outcome = Outcome::program(Method::CuttingPlane, lowered, solution);
                outcome.residuals = Some(residuals);
                outcome.cutting_plane = Some(record);
                return Ok(outcome);
            }
            if violated.is_empty() {
                // Every sample holds but the box is active: the box may be what stops the objective.
                if subset.len() == n {
                    let why = "the box was active with every sample in the subset; solved the whole program without it";
                    return fallback(self, timings, record, why.to_string());
                }
                if growth == MAX_BOX_GROWTH {
                    let why = format!(
                        "the box stayed active up to radius {:.3e}: the relaxation may be unbounded; solved the whole program",
                        record.box_radius
                    );
                    return fallback(self, timings, record, why);
                }
                growth += 1;
                record.box_radius *= 10.0;
                continue;
            }
            // Violated samples are rows of the whole program whether or not the box is active: add the
            // most violated first, at most as many as the subset holds, so that it at most doubles.
            let take = violated.len().min(subset.len().max(start));
            if take < violated.len() {
                violated.select_nth_unstable_by(take - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            }
            for &(_, i) in &violated[..take] {
                in_subset[i] = true;
                subset.push(i);
            }
            subset.sort_unstable();
        }
    }
}
