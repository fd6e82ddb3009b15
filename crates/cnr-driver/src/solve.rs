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

use crate::record::{CuttingPlaneRecord, Filters, Method, SolveRecord, Timings};
use crate::Compiled;
use cnr_check::Model;
use cnr_ir::{Solution, SolverSettings, Status};
use cnr_lower::{Lowered, Request};
use std::time::Instant;

/// How to solve the relaxation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MethodChoice {
    /// Cutting planes when the whole program is large (more than [`AUTO_ROWS`] rows) and has many
    /// more samples than the first subset; else the whole program.
    #[default]
    Auto,
    /// The whole program.
    Full,
    /// Cutting planes over the samples.
    CuttingPlane,
}

/// Above this many rows of the whole program, `auto` uses cutting planes.
pub const AUTO_ROWS: usize = 20_000;

/// The solve's settings besides the model's own.
#[derive(Clone, Debug, Default)]
pub struct SolveOptions {
    /// The method.
    pub method: MethodChoice,
    /// Absolute and relative tolerance; `None`: the model's.
    pub tolerance: Option<f64>,
    /// Whether the backend prints its log.
    pub verbose: bool,
    /// Threads for lowering and evaluating (`None`: as many as pay off); a sweep passes `Some(1)`.
    pub threads: Option<usize>,
}

/// A backend that refused or failed to run on a program.
#[derive(Clone, Debug, PartialEq)]
pub struct SolveError(pub String);

impl std::fmt::Display for SolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The most programs the cutting-plane method solves before it gives up and solves the whole one.
const MAX_ROUNDS: u32 = 60;
/// How many times the box may grow tenfold before the program is taken to be unbounded (and the
/// whole program is solved for the evidence). Far larger boxes only make the solver's numbers worse.
const MAX_BOX_GROWTH: u32 = 6;

/// The solver settings of a model and the options.
pub fn settings(model: &Model, options: &SolveOptions) -> SolverSettings {
    let tolerance = options.tolerance.unwrap_or(model.solver.tolerance);
    SolverSettings {
        tol_abs: tolerance,
        tol_rel: tolerance,
        max_iter: model.solver.max_iter,
        time_limit: model.solver.time_limit,
        verbose: options.verbose,
    }
}

/// What a method ends with: the last program, its solution and the bookkeeping.
struct Outcome {
    method: Method,
    lowered: Lowered,
    solution: Solution,
    iterations: u32,
    /// The residuals of every sample at the solution's point, when already computed.
    residuals: Option<Vec<f64>>,
    cutting_plane: Option<CuttingPlaneRecord>,
}

/// Solves a compiled model and checks the answer on the model.
pub fn solve(compiled: &Compiled, options: &SolveOptions) -> Result<SolveRecord, SolveError> {
    let model = &compiled.model;
    let settings = settings(model, options);
    let mut timings = Timings { data_seconds: compiled.data_seconds, ..Timings::default() };
    let start = Instant::now();
    let anchor = cnr_lower::anchor(model);
    timings.anchor_seconds = start.elapsed().as_secs_f64();
    let cx = Context { compiled, anchor: &anchor, settings: &settings, threads: options.threads };
    let method = match options.method {
        MethodChoice::Full => Method::Full,
        MethodChoice::CuttingPlane => Method::CuttingPlane,
        MethodChoice::Auto if compiled.plan.rows > AUTO_ROWS && model.data.n > 2 * start_size(model) => {
            Method::CuttingPlane
        }
        MethodChoice::Auto => Method::Full,
    };
    let outcome = match method {
        Method::Full => cx.full(&mut timings, 0)?,
        Method::CuttingPlane => cx.cutting_plane(&mut timings)?,
    };
    Ok(cx.record(outcome, timings))
}

/// What every phase of a solve needs.
struct Context<'a> {
    compiled: &'a Compiled,
    anchor: &'a [f64],
    settings: &'a SolverSettings,
    threads: Option<usize>,
}

impl Context<'_> {
    /// Lowers with `request` and solves, adding to the timings.
    fn lower_and_solve(
        &self,
        request: &Request,
        timings: &mut Timings,
    ) -> Result<(Lowered, Solution), SolveError> {
        let start = Instant::now();
        let lowered = cnr_lower::lower_with(&self.compiled.model, self.anchor, request);
        timings.lowering_seconds += start.elapsed().as_secs_f64();
        let start = Instant::now();
        let solution = self.compiled.backend.solve(&lowered.program, self.settings).map_err(SolveError)?;
        timings.solving_seconds += start.elapsed().as_secs_f64();
        Ok((lowered, solution))
    }

    /// The whole program; `iterations` are those of earlier solves, to add to.
    fn full(&self, timings: &mut Timings, iterations: u32) -> Result<Outcome, SolveError> {
        let request = Request { threads: self.threads, ..Request::default() };
        let (lowered, solution) = self.lower_and_solve(&request, timings)?;
        Ok(Outcome {
            method: Method::Full,
            iterations: iterations + solution.iterations,
            lowered,
            solution,
            residuals: None,
            cutting_plane: None,
        })
    }

    fn cutting_plane(&self, timings: &mut Timings) -> Result<Outcome, SolveError> {
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
        let mut iterations = 0;
        let mut growth = 0;
        let fallback =
            |this: &Self, timings: &mut Timings, mut record: CuttingPlaneRecord, iterations, why: String| {
                record.fallback = Some(why);
                let mut outcome = this.full(timings, iterations)?;
                outcome.cutting_plane = Some(record);
                Ok(outcome)
            };
        loop {
            if record.rounds == MAX_ROUNDS {
                let why = format!("no certificate after {MAX_ROUNDS} programs; solved the whole program");
                return fallback(self, timings, record, iterations, why);
            }
            record.rounds += 1;
            record.subset_size = subset.len();
            let request = Request {
                samples: Some(&subset),
                box_radius: Some(record.box_radius),
                threads: self.threads,
            };
            let (lowered, solution) = self.lower_and_solve(&request, timings)?;
            iterations += solution.iterations;
            if solution.status == Status::Infeasible {
                // The box may be what makes it infeasible: without it, an infeasible subset proves the
                // whole program infeasible (it has all of the subset's rows and more).
                let request = Request { samples: Some(&subset), box_radius: None, threads: self.threads };
                let (lowered, solution) = self.lower_and_solve(&request, timings)?;
                iterations += solution.iterations;
                record.rounds += 1;
                if solution.status == Status::Infeasible {
                    // The status holds for the whole program: that is the certificate.
                    record.certified = true;
                    return Ok(Outcome {
                        method: Method::CuttingPlane,
                        lowered,
                        solution,
                        iterations,
                        residuals: None,
                        cutting_plane: Some(record),
                    });
                }
            }
            if solution.status != Status::Optimal {
                let why = format!(
                    "the program on {} samples ended {}; solved the whole program",
                    subset.len(),
                    solution.status.as_str()
                );
                return fallback(self, timings, record, iterations, why);
            }
            let check = Instant::now();
            let (w, b) = lowered.layout.filters(&solution.x);
            let largest = w.iter().chain(&b).fold(0.0f64, |m, v| m.max(v.abs()));
            record.box_active = largest >= 0.999 * record.box_radius;
            let residuals = model.residuals(&w, &b, self.threads);
            let mut violated: Vec<(f64, usize)> = Vec::new();
            record.max_violation_outside = f64::NEG_INFINITY;
            for (i, &r) in residuals.iter().enumerate() {
                if !in_subset[i] {
                    record.max_violation_outside = record.max_violation_outside.max(r);
                    if r > tolerance * (1.0 + model.data.y[i].abs()) {
                        violated.push((r, i));
                    }
                }
            }
            timings.checking_seconds += check.elapsed().as_secs_f64();
            if violated.is_empty() && !record.box_active {
                record.certified = true;
                return Ok(Outcome {
                    method: Method::CuttingPlane,
                    lowered,
                    solution,
                    iterations,
                    residuals: Some(residuals),
                    cutting_plane: Some(record),
                });
            }
            if violated.is_empty() {
                // Every sample holds but the box is active: the box may be what stops the objective.
                if subset.len() == n {
                    let why = "the box was active with every sample in the subset; solved the whole program without it";
                    return fallback(self, timings, record, iterations, why.to_string());
                }
                if growth == MAX_BOX_GROWTH {
                    let why = format!(
                        "the box stayed active up to radius {:.3e}: the relaxation may be unbounded; solved the whole program",
                        record.box_radius
                    );
                    return fallback(self, timings, record, iterations, why);
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

    /// The record of an outcome: the point decoded by the layout and checked on the model.
    fn record(&self, outcome: Outcome, mut timings: Timings) -> SolveRecord {
        let model = &self.compiled.model;
        let Outcome { method, lowered, solution, iterations, residuals, cutting_plane } = outcome;
        let program = &lowered.program;
        let has_point = matches!(
            solution.status,
            Status::Optimal | Status::Inaccurate | Status::IterationLimit | Status::TimeLimit
        ) && solution.x.len() == program.n;
        let net = &model.network;
        let d = net.d();
        let mut record = SolveRecord {
            model: model.name.clone(),
            backend: self.compiled.backend.name(),
            method,
            status: solution.status,
            objective: None,
            w: None,
            b: None,
            compile_seconds: 0.0,
            solve_seconds: 0.0,
            iterations,
            max_violation: None,
            training_loss: None,
            recovery_error: None,
            cone_residual: None,
            samples: model.data.n,
            d,
            patches: net.patches(),
            filters: net.filters,
            variables: program.n,
            rows: program.m(),
            nonzeros: program.a.nnz(),
            cutting_plane,
            timings,
        };
        if has_point {
            let check = Instant::now();
            let (w, b) = lowered.layout.filters(&solution.x);
            let residuals = residuals.unwrap_or_else(|| model.residuals(&w, &b, self.threads));
            let fit = model.fit_of(&residuals, &w);
            let finite = |x: f64| x.is_finite().then_some(x);
            record.objective = finite(program.user_objective(solution.objective));
            record.max_violation = finite(fit.max_violation);
            record.training_loss = finite(fit.training_loss);
            record.recovery_error = fit.recovery_error.and_then(finite);
            record.cone_residual = finite(program.check_point(&solution.x).distance);
            record.w = Some(if net.filters == 1 {
                Filters::One(w)
            } else {
                Filters::Many(w.chunks(d.max(1)).map(<[f64]>::to_vec).collect())
            });
            record.b = (!b.is_empty()).then_some(b);
            timings.checking_seconds += check.elapsed().as_secs_f64();
        }
        record.compile_seconds = timings.data_seconds + timings.anchor_seconds + timings.lowering_seconds;
        record.solve_seconds = timings.solving_seconds;
        record.timings = timings;
        record
    }
}

/// The first subset's size: four samples per shared variable (`w` and `b`).
fn start_size(model: &Model) -> usize {
    let net = &model.network;
    (4 * net.filters * (net.d() + usize::from(net.bias))).max(1)
}

/// The first radius of the box: a hundred times a rough scale of `w`, from the labels, the inputs
/// and the output weights (a label is about `Σ_k u_k` times `|⟨w, x_k⟩|`). Only the number of rounds
/// depends on it: a box that turns out active grows.
fn initial_radius(model: &Model) -> f64 {
    let y = &model.data.y;
    let mean_y = y.iter().map(|v| v.abs()).sum::<f64>() / y.len().max(1) as f64;
    // The inputs' scale from at most a million entries: a scale, not a statistic.
    let x = &model.data.x[..model.data.x.len().min(1 << 20)];
    let rms_x = (x.iter().map(|v| v * v).sum::<f64>() / x.len().max(1) as f64).sqrt();
    let kk = model.network.patches();
    let u_sum = model.output.chunks(kk.max(1)).map(|c| c.iter().sum::<f64>()).fold(0.0, f64::max);
    let scale = mean_y / (u_sum * rms_x);
    100.0 * if scale.is_finite() && scale > 0.0 { scale.max(1e-6) } else { 1.0 }
}
