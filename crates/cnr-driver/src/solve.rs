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

use crate::record::{CuttingPlaneRecord, Filters, Method, Run, SolveRecord, Timings};
use crate::{Backend, Compiled};
use cnr_check::Model;
use cnr_ir::{ConeProgram, Solution, SolverSettings, Status};
use cnr_lower::{Lowered, Request};
use std::cell::RefCell;
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

impl MethodChoice {
    /// The name on the command line and in records: `auto`, `full`, `cutting-plane`.
    pub fn as_str(self) -> &'static str {
        match self {
            MethodChoice::Auto => "auto",
            MethodChoice::Full => "full",
            MethodChoice::CuttingPlane => "cutting-plane",
        }
    }
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
    /// Told each phase as it starts (`anchor`, `lowering 2,000 samples`, `solving: call 2`, …),
    /// for a progress display.
    pub progress: Option<Progress>,
}

/// A callback told the phase a solve is in.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
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
        recovery: 0,
    }
}

/// What a method ends with: the last program, its solution and the bookkeeping.
struct Outcome {
    method: Method,
    lowered: Lowered,
    solution: Solution,
    /// The residuals of every sample at the solution's point, when already computed.
    residuals: Option<Vec<f64>>,
    cutting_plane: Option<CuttingPlaneRecord>,
}

/// Solves a compiled model and checks the answer on the model.
pub fn solve(compiled: &Compiled, options: &SolveOptions) -> Result<SolveRecord, SolveError> {
    let model = &compiled.model;
    let settings = settings(model, options);
    let mut timings = Timings { data_seconds: compiled.data_seconds, ..Timings::default() };
    let anchor = &compiled.anchor;
    timings.anchor_seconds = compiled.anchor_seconds;
    let cx = Context {
        compiled,
        anchor,
        settings: &settings,
        threads: options.threads,
        attempts: RefCell::new(Vec::new()),
        progress: options.progress.clone(),
    };
    let method = match options.method {
        MethodChoice::Full => Method::Full,
        MethodChoice::CuttingPlane => Method::CuttingPlane,
        MethodChoice::Auto
            if (compiled.plan.rows > AUTO_ROWS || cx.over_budget(model.data.n).is_some())
                && model.data.n > 2 * start_size(model) =>
        {
            Method::CuttingPlane
        }
        MethodChoice::Auto => Method::Full,
    };
    let outcome = match method {
        Method::Full => cx.full(&mut timings)?,
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
    /// Every solver call so far.
    attempts: RefCell<Vec<Attempt>>,
    /// Told each phase.
    progress: Option<Progress>,
}

impl Context<'_> {
    /// Tells the progress display the phase.
    fn tell(&self, phase: &str) {
        if let Some(p) = &self.progress {
            (p.0)(phase)
        }
    }

    /// Lowers with `request` and solves, adding to the timings.
    fn lower_and_solve(
        &self,
        request: &Request,
        timings: &mut Timings,
    ) -> Result<(Lowered, Solution), SolveError> {
        let samples = request.samples.map_or(self.compiled.model.data.n, <[usize]>::len);
        if let Some(need) = self.over_budget(samples) {
            return Err(SolveError(format!(
                "the program of {samples} samples needs about {} MiB with the data, more than the memory budget of {} MiB; raise it with --max-memory, or use fewer samples (--samples){}",
                need >> 20,
                self.compiled.max_memory >> 20,
                if request.samples.is_none() { ", or solve by cutting planes (--method cutting-plane), which builds programs of subsets" } else { "" }
            )));
        }
        self.tell(&format!("lowering {samples} samples"));
        let start = Instant::now();
        let lowered = cnr_lower::lower_with(&self.compiled.model, self.anchor, request);
        self.tell(&format!("solving {} rows with {}", lowered.program.m(), self.compiled.backend.name()));
        timings.lowering_seconds += start.elapsed().as_secs_f64();
        let start = Instant::now();
        let solution = self.solve_with_recovery(&lowered)?;
        timings.solving_seconds += start.elapsed().as_secs_f64();
        Ok((lowered, solution))
    }

    /// The bytes the data and the program of `samples` samples need, when they exceed the budget
    /// (the program's are the whole plan's, in proportion to the samples).
    fn over_budget(&self, samples: usize) -> Option<u128> {
        let model = &self.compiled.model;
        let whole = cnr_lower::plan_bytes(&self.compiled.plan);
        let data = 8 * (model.data.x.len() as u128 + model.data.y.len() as u128);
        let need = data + whole * samples as u128 / model.data.n.max(1) as u128;
        (need > u128::from(self.compiled.max_memory)).then_some(need)
    }

    /// Solves a lowered program with the attempts of [`RECOVERY_PLAN`] until one ends optimal and
    /// its point passes the check on the model, or ends with a finding about the program
    /// (infeasible, unbounded, a time limit). Each attempt is logged. The objective is scaled by a
    /// power of two, which is exact, and the returned objective is that of the unscaled program.
    ///
    /// An attempt that Clarabel calls optimal but whose point violates a sample's constraint by more
    /// than the tolerance relative to the label scale is not optimal: it is logged as `inaccurate`
    /// with the figure, and the next attempt runs; if none is left, that is the status reported.
    fn solve_with_recovery(&self, lowered: &Lowered) -> Result<Solution, SolveError> {
        let model = &self.compiled.model;
        let mut log = self.attempts.borrow_mut();
        let calls = Calls {
            plan: &recovery_plan(self.compiled.backend, &RECOVERY_PLAN),
            settings: self.settings,
            objective_scale: &|scale| objective_scale(model, scale),
            violation: &|x: &[f64]| {
                constraint_violation(model, lowered, x, self.threads) / model.label_scale()
            },
            always_feasible: model.relax.penalty.is_some(),
            progress: self.progress.clone(),
        };
        calls.run(&lowered.program, &mut log)
    }

    /// The whole program.
    fn full(&self, timings: &mut Timings) -> Result<Outcome, SolveError> {
        let request = Request { threads: self.threads, ..Request::default() };
        let (lowered, solution) = self.lower_and_solve(&request, timings)?;
        Ok(Outcome { method: Method::Full, lowered, solution, residuals: None, cutting_plane: None })
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
                    return Ok(Outcome {
                        method: Method::CuttingPlane,
                        lowered,
                        solution,
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
                return fallback(self, timings, record, why);
            }
            self.tell(&format!("round {}: checking all {n} samples", record.rounds));
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
                    residuals: Some(residuals),
                    cutting_plane: Some(record),
                });
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

    /// The record of an outcome: the point decoded by the layout and checked on the model.
    fn record(&self, outcome: Outcome, mut timings: Timings) -> SolveRecord {
        let model = &self.compiled.model;
        let Outcome { method, lowered, solution, residuals, cutting_plane } = outcome;
        let attempts = self.attempts.borrow().clone();
        let program = &lowered.program;
        let has_point = matches!(
            solution.status,
            Status::Optimal | Status::Inaccurate | Status::IterationLimit | Status::TimeLimit
        ) && solution.x.len() == program.n;
        let net = &model.network;
        let d = net.d();
        let filters_of = |w: &[f64]| {
            if net.filters == 1 {
                Filters::One(w.to_vec())
            } else {
                Filters::Many(w.chunks(net.d().max(1)).map(<[f64]>::to_vec).collect())
            }
        };
        let (data, seed, noise) = match model.data.source {
            cnr_check::DataSource::Planted { seed, noise } => ("planted", Some(seed), Some(noise)),
            cnr_check::DataSource::Files => ("files", None, None),
        };
        let run = Run {
            cnr_version: env!("CARGO_PKG_VERSION"),
            model_hash: self.compiled.model_hash.clone(),
            data,
            seed,
            noise,
            activation: model.activation.name.clone(),
            anchor: model.relax.anchor_name(),
            penalty: model.relax.penalty.map(|(n, l)| format!("{} {l}", n.name())),
            bound: model.relax.bound.map(|(n, r)| format!("{} {r}", n.name())),
            tolerance: self.settings.tol_rel,
            max_iter: self.settings.max_iter,
            time_limit: self.settings.time_limit,
            planted: model.data.planted.as_deref().map(filters_of),
        };
        let mut record = SolveRecord {
            model: model.name.clone(),
            run,
            backend: attempts.last().map_or(self.compiled.backend.name(), |a| a.backend),
            method,
            status: solution.status,
            objective: None,
            w: None,
            b: None,
            xi: None,
            compile_seconds: 0.0,
            solve_seconds: 0.0,
            iterations: attempts.iter().map(|a| a.iterations).sum(),
            max_violation: None,
            training_loss: None,
            recovery_error: None,
            recovery_distance: None,
            symmetries: Vec::new(),
            cone_residual: None,
            relative_violation: None,
            attempts,
            warnings: self.compiled.warnings.iter().map(|d| d.message.clone()).collect(),
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
            record.recovery_distance = fit.recovery_distance.and_then(finite);
            record.symmetries = fit.symmetries.clone();
            record.relative_violation = finite(fit.max_violation / model.label_scale());
            record.cone_residual = finite(program.check_point(&solution.x).distance);
            record.w = Some(filters_of(&w));
            record.b = (!b.is_empty()).then_some(b);
            if let Some(xi) = &lowered.layout.xi {
                let mut all = vec![0.0; model.data.n];
                for (p, &i) in lowered.layout.samples.iter().enumerate() {
                    all[i] = solution.x[xi.start + p].max(0.0);
                }
                record.xi = Some(all);
            }
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
    cnr_check::budget::first_subset(&model.network)
}

/// The first radius of the box: a hundred times a rough scale of `w`, from the labels, the inputs
/// and the output weights (a label is about `Σ_k u_k` times `|⟨w, x_k⟩|`). Only the number of rounds
/// depends on it: a box that turns out active grows.
fn initial_radius(model: &Model) -> f64 {
    let sizes = DataSizes::of(model);
    let scale = sizes.mean_abs_y / (sizes.u_sum * sizes.rms_x);
    100.0 * if scale.is_finite() && scale > 0.0 { scale.max(1e-6) } else { 1.0 }
}

/// The rough sizes of a model's data that the box and the objective's scale are set from.
struct DataSizes {
    /// Samples.
    n: f64,
    /// The mean `|y_i|`.
    mean_abs_y: f64,
    /// The inputs' root mean square, from at most a million entries: a scale, not a statistic.
    rms_x: f64,
    /// The largest `Σ_k u_mk` over the filters.
    u_sum: f64,
}

impl DataSizes {
    fn of(model: &Model) -> Self {
        let y = &model.data.y;
        let x = &model.data.x[..model.data.x.len().min(1 << 20)];
        let kk = model.network.patches();
        DataSizes {
            n: model.data.n as f64,
            mean_abs_y: y.iter().map(|v| v.abs()).sum::<f64>() / y.len().max(1) as f64,
            rms_x: (x.iter().map(|v| v * v).sum::<f64>() / x.len().max(1) as f64).sqrt(),
            u_sum: model.output.chunks(kk.max(1)).map(|c| c.iter().sum::<f64>()).fold(0.0, f64::max),
        }
    }
}

/// The calls of a backend for one program, and how their answers are checked.
pub(crate) struct Calls<'a> {
    /// The calls, in order.
    pub(crate) plan: &'a [Step],
    /// The solve's settings.
    pub(crate) settings: &'a SolverSettings,
    /// The objective's factor for a scale.
    pub(crate) objective_scale: &'a dyn Fn(Scale) -> f64,
    /// The relative violation of the program's constraints at a point, as judged by the caller
    /// (from the model, or from the program alone).
    pub(crate) violation: &'a dyn Fn(&[f64]) -> f64,
    /// Whether the program is known to be feasible (a penalised model), so that `infeasible` is
    /// never accepted.
    pub(crate) always_feasible: bool,
    /// Told the phase and, while the backend iterates, the iteration and its gap.
    pub(crate) progress: Option<Progress>,
}

impl Calls<'_> {
    /// Calls the backend as planned until an answer passes the checks or is a finding about the
    /// program (infeasible, unbounded, a time limit), logging each call. The objective is scaled by a
    /// power of two, which is exact, and the returned objective is that of the unscaled program.
    ///
    /// An answer the backend calls optimal whose point violates the constraints by more than the
    /// tolerance, whose dual point does not bound the objective, or whose gap is too large is
    /// `inaccurate`; an infeasible or unbounded answer whose certificate does not check out is a
    /// numerical error. Both are retried; when no call is left, that is the status returned.
    pub(crate) fn run(&self, program: &ConeProgram, log: &mut Vec<Attempt>) -> Result<Solution, SolveError> {
        let index = log.last().map_or(1, |a| a.program + 1);
        let mut last = None;
        for (k, &Step { backend, scale, recovery, equilibrate }) in self.plan.iter().enumerate() {
            let c = (self.objective_scale)(scale);
            let mut scaled = program.clone();
            scaled.q.iter_mut().for_each(|q| *q *= c);
            let settings = SolverSettings { recovery, ..self.settings.clone() };
            let hook = self.progress.clone().map(|p| {
                let (rows, name, call) = (program.m(), backend.name(), k + 1);
                std::sync::Arc::new(move |iteration: u32, gap: f64| {
                    (p.0)(&format!(
                        "solving {rows} rows with {name} (call {call}): iteration {iteration}, gap {gap:.1e}"
                    ))
                }) as cnr_clarabel::IterationHook
            });
            let mut solution = if equilibrate && scaled.p.nnz() == 0 {
                let mut balanced = scaled.clone();
                let factors = crate::equilibrate::equilibrate(&mut balanced);
                let mut solution = backend.solve_telling(&balanced, &settings, hook).map_err(SolveError)?;
                factors.unscale(&mut solution);
                solution
            } else {
                backend.solve_telling(&scaled, &settings, hook).map_err(SolveError)?
            };
            if solution.objective.is_finite() {
                solution.objective = program.objective(&solution.x);
            }
            let said = solution.status;
            let (mut violation, mut dual, mut gap) = (None, None, None);
            if said == Status::Optimal {
                let v = (self.violation)(&solution.x);
                let r = dual_residual(&scaled, &solution);
                let g = duality_gap(&scaled, &solution, c);
                // The dual residual is judged against the objective alone: a solver that measures it
                // against `Aᵀz` too can call a point optimal whose dual bound says nothing.
                let tol = DUAL_SLACK * self.settings.tol_rel;
                if v > self.settings.tol_rel || r.is_some_and(|r| r > tol) || g.is_some_and(|g| g > tol) {
                    solution.status = Status::Inaccurate;
                }
                (violation, dual, gap) = (Some(v), r, g);
            }
            let mut certificate = None;
            if matches!(said, Status::Infeasible | Status::Unbounded) {
                // Judged on an equilibrated copy, where "small" means the same in every row: on the
                // program as lowered, rows with tiny coefficients hide their violations.
                let mut balanced = scaled.clone();
                let factors = crate::equilibrate::equilibrate(&mut balanced);
                let cert = match said {
                    Status::Infeasible => balanced.check_infeasible(&factors.to_scaled_dual(&solution.z)),
                    _ => balanced.check_unbounded(&factors.to_scaled_primal(&solution.x)),
                };
                let structural = said == Status::Infeasible && self.always_feasible;
                if structural || !cert.holds(CERTIFICATE_TOLERANCE) {
                    solution.status = Status::NumericalError;
                }
                certificate = Some(cert);
            }
            log.push(Attempt {
                program: index,
                backend: backend.name(),
                objective_scale: c,
                recovery,
                equilibrated: equilibrate,
                solver_status: said,
                status: solution.status,
                relative_violation: violation,
                dual_residual: dual,
                gap,
                certificate,
                iterations: solution.iterations,
            });
            // `max_iter` bounds each call, so a call that hits it is retried like one that stalls; a
            // time limit is the user's budget for the solve and ends it.
            let retry = matches!(
                solution.status,
                Status::Inaccurate | Status::NumericalError | Status::IterationLimit
            );
            if !retry || k + 1 == self.plan.len() {
                return Ok(solution);
            }
            last = Some(solution);
        }
        Ok(last.expect("at least one call"))
    }
}

/// How the objective is scaled for the solver. The relaxation's objective `⟨g, w⟩` has a unit
/// anchor, while the sample rows carry labels that may be in the hundreds: Clarabel scales the
/// rows and columns of a conic program but not the objective of one without `P`, and with the
/// objective that small its last iterations stall short of the tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scale {
    /// Unscaled.
    One,
    /// `√n · max_m Σ_k u_mk · rms(x)`: the size of `Σ_i λ_i ∇f_i` when the sample rows' duals are
    /// of order `1/√n`.
    Patches,
    /// `n · mean |y_i|`: the objective in the units of the labels summed over the samples.
    Labels,
}

/// One call of a backend: which, the objective's scale, the backend's recovery level, and whether
/// cnr equilibrates the program first.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    backend: Backend,
    scale: Scale,
    recovery: u32,
    equilibrate: bool,
}

/// The calls, in order, for a backend with recovery settings. The first is the program as lowered,
/// with the backend's defaults, whose objective is the most accurate where it converges; the others
/// rescue most of the rest: a scaled objective, cnr's own equilibration (for data far from 1, which
/// the solver's equilibration cannot reach), then more conservative settings. Measured over the
/// planted grid of `bench/recovery_grid.sh` (see bench/README.md).
pub(crate) const RECOVERY_PLAN: [(Scale, u32, bool); 5] = [
    (Scale::One, 0, false),
    (Scale::Patches, 0, false),
    (Scale::One, 0, true),
    (Scale::Labels, 1, false),
    (Scale::One, 2, false),
];

/// For a program without a model (a CBF or JSON file): no scale that needs the model's data.
pub(crate) const PROGRAM_PLAN: [(Scale, u32, bool); 4] =
    [(Scale::One, 0, false), (Scale::One, 0, true), (Scale::One, 1, false), (Scale::One, 2, false)];

/// The calls for one program with `backend`: the plan `calls` for a backend with recovery
/// settings; one call for a backend without (good_lp), then, should that fail, Clarabel's plan,
/// since an LP is a conic program too. Measured: microlp calls some bounded LPs of these models
/// unbounded (without a certificate), which Clarabel and good_lp's own Clarabel solve.
pub(crate) fn recovery_plan(backend: Backend, calls: &[(Scale, u32, bool)]) -> Vec<Step> {
    let with_plan = |backend: Backend| {
        calls.iter().map(move |&(scale, recovery, equilibrate)| Step {
            backend,
            scale,
            recovery,
            equilibrate,
        })
    };
    if backend.capabilities().recovery_levels > 0 {
        with_plan(backend).collect()
    } else {
        let first = Step { backend, scale: Scale::One, recovery: 0, equilibrate: false };
        std::iter::once(first).chain(with_plan(Backend::Clarabel)).collect()
    }
}

/// One solve of one program: how it was scaled, which recovery settings, how it ended.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Attempt {
    /// Which program of the solve it was for (1, 2, … — one per cutting-plane round).
    pub program: u32,
    /// The backend called.
    pub backend: &'static str,
    /// The factor the objective was multiplied by (a power of two).
    pub objective_scale: f64,
    /// The backend's recovery level (0: its defaults).
    pub recovery: u32,
    /// Whether the program's rows and columns were rescaled by cnr first (`equilibrate.rs`).
    pub equilibrated: bool,
    /// What the solver said.
    pub solver_status: Status,
    /// What cnr takes it to be, after checking the point on the model.
    pub status: Status,
    /// The largest violation of a sample's constraint at the point, relative to the label scale
    /// (for points the solver called optimal).
    pub relative_violation: Option<f64>,
    /// `‖Aᵀz + q‖∞ / ‖q‖∞` at the solver's dual point, for points the solver called optimal (when
    /// the backend gives a dual point).
    pub dual_residual: Option<f64>,
    /// `|qᵀx + bᵀz + c|` — the distance between the objective and the dual point's bound `−bᵀz`,
    /// whose dual-cone violation is added — over `max(|objective|, 1)` in the model's units, for
    /// points the solver called optimal.
    pub gap: Option<f64>,
    /// For an infeasible or unbounded answer, how well the solver's certificate checks out on the
    /// program; one that does not hold makes the call a numerical error.
    pub certificate: Option<cnr_ir::Certificate>,
    /// Its iterations.
    pub iterations: u32,
}

/// How many times the tolerance the relative dual residual may be before an optimal claim is
/// refused: Clarabel's own test divides by the larger of `‖q‖` and `‖Aᵀz‖`, so correct answers
/// reach about the tolerance here; ten times it leaves room for that and none for a dual point that
/// does not bound the objective (measured: 6e-6 on such a point, at most 1e-7 on the examples).
const DUAL_SLACK: f64 = 10.0;

/// The tolerance a certificate of infeasibility or unboundedness is checked to (relative figures
/// of [`cnr_ir::Certificate`]).
const CERTIFICATE_TOLERANCE: f64 = 1e-6;

/// `‖Aᵀz + q‖∞ / ‖q‖∞` (P is zero in the relaxations), or `None` without a dual point.
fn dual_residual(program: &cnr_ir::ConeProgram, solution: &Solution) -> Option<f64> {
    if solution.z.len() != program.m() || program.p.nnz() > 0 {
        return None;
    }
    let q_norm = program.q.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let r = (0..program.n)
        .map(|j| (program.q[j] + program.a.column(j).map(|(i, v)| v * solution.z[i]).sum::<f64>()).abs())
        .fold(0.0f64, f64::max);
    (q_norm > 0.0).then(|| r / q_norm)
}

/// The relative gap between the objective at `x` and the dual bound of `z`, plus `z`'s distance to
/// the dual cone (relative to `‖z‖∞`); `scale` is the factor the objective was multiplied by, so
/// that the gap is relative to `max(|objective|, 1)` in the model's units.
fn duality_gap(program: &cnr_ir::ConeProgram, solution: &Solution, scale: f64) -> Option<f64> {
    if solution.z.len() != program.m() || program.p.nnz() > 0 {
        return None;
    }
    let primal = program.objective(&solution.x);
    let dual = -program.b.iter().zip(&solution.z).map(|(b, z)| b * z).sum::<f64>() + program.c;
    let z_norm = solution.z.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    let outside = program.dual_cone_distance(&solution.z) / z_norm;
    Some((primal - dual).abs() / primal.abs().max(scale) + outside)
}

/// The largest violation of the program's sample constraints at `x`, measured on the model:
/// `max_i f(x_i; w) − y_i − ξ_i` over the program's samples (`ξ_i = 0` without a penalty).
fn constraint_violation(model: &Model, lowered: &Lowered, x: &[f64], threads: Option<usize>) -> f64 {
    let layout = &lowered.layout;
    let (w, b) = layout.filters(x);
    let residuals = if layout.samples.len() == model.data.n {
        model.residuals(&w, &b, threads)
    } else {
        model.residuals_at(&layout.samples, &w, &b)
    };
    let slack = |p: usize| layout.xi.as_ref().map_or(0.0, |xi| x[xi.start + p].max(0.0));
    residuals.iter().enumerate().map(|(p, r)| r - slack(p)).fold(f64::NEG_INFINITY, f64::max)
}

/// The objective's scale: a power of two near the chosen size.
fn objective_scale(model: &Model, scale: Scale) -> f64 {
    let sizes = DataSizes::of(model);
    let c = match scale {
        Scale::One => 1.0,
        Scale::Labels => sizes.n * sizes.mean_abs_y,
        Scale::Patches => sizes.n.sqrt() * sizes.u_sum * sizes.rms_x,
    };
    if c.is_finite() && c > 0.0 {
        2f64.powi(c.log2().round().clamp(-60.0, 60.0) as i32)
    } else {
        1.0
    }
}
