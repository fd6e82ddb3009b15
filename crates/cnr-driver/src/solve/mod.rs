//! Solving a compiled model: the method (the whole program, or cutting planes over the samples,
//! in `cutting_plane.rs`), lowering each program within the memory budget, and the backend's calls
//! with their checks and retries (`cnr-solve`'s `Calls`). The record is assembled from the outcome by
//! `record.rs`.

mod cutting_plane;
mod restarts;

use restarts::solve_relaxation;

use cnr_check::sizes::DataSizes;
use cnr_methods::wspace::WSpaceEnd;
use cnr_solve::{power_of_two, recovery_plan, Calls, Scale, RECOVERY_PLAN};

use crate::compile::{compile_for, Purpose};
use crate::record::{Attempt, Filters, GdRefinement, Method, Outcome, SolveRecord, Timings};
use crate::{Compiled, Error, Event, Hooks, Request};
use cnr_check::{Model, Norm};
use cnr_ir::{Solution, SolverSettings};
use cnr_lower::Lowered;
use std::cell::RefCell;
use std::time::Instant;

/// How to solve the relaxation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MethodChoice {
    /// The w-space method where it applies (no penalty, no backend asked for); else cutting
    /// planes when the whole program is large (more than [`AUTO_ROWS`] rows) and has many more
    /// samples than the first subset; else the whole program.
    #[default]
    Auto,
    /// The whole program.
    Full,
    /// Cutting planes over the samples.
    CuttingPlane,
    /// Cuts in the filters' space (`cnr_methods::wspace`): no cone program, no epigraph variables.
    WSpace,
    /// A learned model's gated form by accelerated proximal gradient (`cnr-firstorder`), with a
    /// duality-gap certificate; for learned models only.
    FirstOrder,
}

impl MethodChoice {
    /// The name on the command line and in records: `auto`, `full`, `cutting-plane`.
    pub fn as_str(self) -> &'static str {
        match self {
            MethodChoice::Auto => "auto",
            MethodChoice::Full => "full",
            MethodChoice::CuttingPlane => "cutting-plane",
            MethodChoice::WSpace => "wspace",
            MethodChoice::FirstOrder => "first-order",
        }
    }
}

/// Above this many rows of the whole program, `auto` uses cutting planes.
pub const AUTO_ROWS: usize = 20_000;

/// The solver settings of a model and a request: the request's tolerance and time limit over the
/// model's.
pub fn solver_settings(model: &Model, request: &Request) -> SolverSettings {
    let tolerance = request.tolerance.unwrap_or(model.solver.tolerance);
    SolverSettings {
        tol_abs: tolerance,
        tol_rel: tolerance,
        max_iter: model.solver.max_iter,
        time_limit: request.limits.time_limit.or(model.solver.time_limit),
        verbose: request.verbose,
        recovery: 1, // each call of the plan sets its own level
    }
}

/// A solved model: what was compiled, and the record of its solve.
#[derive(Debug)]
pub struct Solved {
    /// The compiled model.
    pub compiled: Compiled,
    /// The solve's record.
    pub record: SolveRecord,
}

/// Compiles the request's model and solves it, checking the answer on the model.
pub fn solve(request: &Request) -> Result<Solved, Error> {
    let compiled = compile_for(request, Purpose::Solve)?;
    let record = solve_compiled(&compiled, request)?;
    Ok(Solved { compiled, record })
}

/// Solves a model compiled already (with the request's method, tolerance, limits and hooks) and
/// checks the answer on the model: the solve layer under [`solve`].
///
/// A time limit (the request's, else the model's) bounds the whole request: each backend call is
/// given what is left of it, restarts and refinements start only while some is left, and the
/// descent of `refine_gd` stops when it runs out; `timings.wall_seconds` is the time spent.
pub fn solve_compiled(compiled: &Compiled, request: &Request) -> Result<SolveRecord, Error> {
    if compiled.model.learn.is_some() {
        return Err(Error::Usage(format!(
            "model `{}` has learned output weights: train it (`cnr_driver::train`), there is no relaxation to solve",
            compiled.model.name
        )));
    }
    if request.method == MethodChoice::FirstOrder {
        return Err(Error::Usage(
            "--method first-order trains learned output weights (`output learned`, `form gated`); a relaxation is solved by auto, full, cutting-plane or wspace".into(),
        ));
    }
    let start = Instant::now();
    let limit = request.limits.time_limit.or(compiled.model.solver.time_limit);
    let deadline = cnr_solve::deadline_after(start, limit);
    let mut record = solve_relaxation(compiled, request, deadline)?;
    if record.status == cnr_ir::Status::Unbounded && compiled.model.relax.penalty.is_some() {
        record.penalty_threshold = penalty_threshold(compiled, request, deadline)?;
    }
    if let (Some(iterations), Some(w)) = (request.refine_gd, &record.w) {
        fits(compiled, "gradient descent", cnr_methods::gd::patch_bytes(&compiled.model))?;
        let threads = request.limits.threads;
        let refined =
            refine_by_gd(&compiled.model, &w.flat(), &record.extras(), iterations, threads, deadline);
        record.refined = Some(refined);
    }
    record.run.refine_gd = request.refine_gd;
    record.timings.wall_seconds = start.elapsed().as_secs_f64();
    Ok(record)
}

/// The seconds left before `deadline` (none without one), at most `limit`.
fn left(deadline: Option<Instant>, limit: Option<f64>) -> Option<f64> {
    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs_f64());
    match (left, limit) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The smallest weight of the penalty that bounds the relaxation (`cnr_lower::lower_penalty_threshold`),
/// solved by Clarabel; `None` when that program does not end optimal.
fn penalty_threshold(
    compiled: &Compiled,
    request: &Request,
    deadline: Option<Instant>,
) -> Result<Option<f64>, Error> {
    let Some(program) = cnr_lower::lower_penalty_threshold(&compiled.model, &compiled.anchor) else {
        return Ok(None);
    };
    request.hooks.check()?;
    let mut settings = solver_settings(&compiled.model, request);
    settings.time_limit = left(deadline, settings.time_limit);
    if settings.time_limit.is_some_and(|t| t <= 0.0) {
        return Ok(None);
    }
    let solution = crate::Backend::CLARABEL.run(&program, &settings, None)?;
    Ok((solution.status == cnr_ir::Status::Optimal).then(|| solution.x[0]))
}

/// `--refine gd`: gradient descent from the relaxation's point, judged on the model.
fn refine_by_gd(
    model: &Model,
    w: &[f64],
    extras: &[f64],
    iterations: usize,
    threads: Option<usize>,
    deadline: Option<Instant>,
) -> GdRefinement {
    let start = std::time::Instant::now();
    let found = cnr_methods::gd::descend_from(model, w, extras, iterations, deadline);
    let seconds = start.elapsed().as_secs_f64();
    let figures = model.figures_at(&found.w, &found.b, threads);
    let (b, offset) = crate::record::split_extras(&model.network, &found.b);
    GdRefinement {
        w: Filters::from_flat(&found.w, model.network.d()),
        b,
        offset,
        training_loss: figures.training_loss,
        test_loss: figures.test_loss,
        recovery_error: figures.recovery_error,
        max_violation: figures.max_violation,
        relative_violation: figures.relative_violation,
        iterations: found.iterations,
        converged: found.converged,
        seconds,
    }
}

/// One solve of a compiled model with the objective's anchor `anchor`; `shared` holds the whole
/// program once lowered, for the other solves of the same model (restarts, refinements).
pub(super) fn solve_with_anchor(
    compiled: &Compiled,
    request: &Request,
    anchor: &[f64],
    shared: Option<&std::sync::OnceLock<Lowered>>,
    deadline: Option<Instant>,
) -> Result<SolveRecord, Error> {
    let model = &compiled.model;
    let settings = solver_settings(model, request);
    let mut timings = Timings {
        data_seconds: compiled.data_seconds,
        anchor_seconds: compiled.anchor_seconds,
        ..Timings::default()
    };
    let cx = Context {
        compiled,
        anchor,
        settings: &settings,
        threads: request.limits.threads,
        attempts: RefCell::new(Vec::new()),
        hooks: &request.hooks,
        shared,
        deadline,
    };
    let method = match request.method {
        MethodChoice::Full => Method::Full,
        MethodChoice::CuttingPlane => Method::CuttingPlane,
        MethodChoice::WSpace => {
            fits(compiled, "the w-space method", cnr_methods::wspace::lp_bytes(&compiled.model))?;
            Method::WSpace
        }
        MethodChoice::Auto if wspace_takes(compiled, request) => Method::WSpace,
        MethodChoice::Auto => cx.conic_method(),
        MethodChoice::FirstOrder => unreachable!("refused by solve_compiled"),
    };
    let outcome = match method {
        Method::Full => cx.full(&mut timings)?,
        Method::CuttingPlane => cx.cutting_plane(&mut timings)?,
        Method::WSpace => cx.wspace(&mut timings)?,
    };
    let attempts = cx.attempts.into_inner();
    let mut record =
        crate::record::assemble(compiled, &settings, request.limits.threads, attempts, outcome, timings);
    record.planted = planted_certificate(compiled, anchor, request.limits.threads);
    Ok(record)
}

/// The conditions at the planted filter for `anchor`, where they apply and their LP fits the
/// memory budget beside the data (else none: they explain a solve, they are not needed for it).
fn planted_certificate(
    compiled: &Compiled,
    anchor: &[f64],
    threads: Option<usize>,
) -> Option<cnr_methods::planted::PlantedCertificate> {
    use cnr_methods::planted;
    let model = &compiled.model;
    let fits = fits(compiled, "the planted filter's certificate", planted::certificate_bytes(model)).is_ok();
    (fits && planted::applies(model)).then(|| planted::planted_certificate(model, anchor, threads)).flatten()
}

/// Whether `auto` solves in the filters' space: the model has no penalty (which the w-space
/// method does not take yet) and no backend was asked for (a named backend is asked to solve).
fn wspace_takes(compiled: &Compiled, request: &Request) -> bool {
    let model = &compiled.model;
    model.relax.penalty.is_none()
        && request.backend.is_none()
        && model.solver.backend.is_none()
        && fits(compiled, "the w-space method", cnr_methods::wspace::lp_bytes(model)).is_ok()
}

/// Whether `bytes` of a method's own work fit the memory budget beside the model's data.
pub(crate) fn fits(compiled: &Compiled, method: &'static str, bytes: u128) -> Result<(), Error> {
    let data = &compiled.model.data;
    let need = 8 * (data.x.len() as u128 + data.y.len() as u128) + bytes;
    if need > u128::from(compiled.max_memory) {
        return Err(Error::MethodOverBudget { method, need, budget: compiled.max_memory });
    }
    Ok(())
}

/// What every phase of a solve needs.
pub(crate) struct Context<'a> {
    pub(crate) compiled: &'a Compiled,
    /// The objective's anchor (the model's, or a restart's).
    pub(crate) anchor: &'a [f64],
    pub(crate) settings: &'a SolverSettings,
    pub(crate) threads: Option<usize>,
    /// Every solver call so far.
    pub(crate) attempts: RefCell<Vec<Attempt>>,
    /// Told each phase; asked whether to stop.
    pub(crate) hooks: &'a Hooks,
    /// The whole program, lowered by the first of several solves of one model and reused, with
    /// this solve's anchor, by the others.
    pub(crate) shared: Option<&'a std::sync::OnceLock<Lowered>>,
    /// When the request's time runs out.
    pub(crate) deadline: Option<Instant>,
}

/// What the w-space method is told and asked: the request's hooks, and its deadline.
struct Watching<'a> {
    hooks: &'a Hooks,
    deadline: Option<Instant>,
}

impl cnr_methods::Watch for Watching<'_> {
    fn checking(&self, round: u32, samples: usize) {
        self.hooks.tell(Event::Checking { round, samples });
    }

    fn cancelled(&self) -> bool {
        self.hooks.cancelled()
    }

    fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

impl Context<'_> {
    /// The method for a cone program: cutting planes over the samples when the whole program is
    /// large (more than [`AUTO_ROWS`] rows, or over the memory budget) and has many more samples
    /// than the first subset; else the whole program.
    fn conic_method(&self) -> Method {
        let model = &self.compiled.model;
        let large = self.compiled.plan.rows > AUTO_ROWS || self.over_budget(model.data.n).is_some();
        if large && model.data.n > 2 * start_size(model) {
            Method::CuttingPlane
        } else {
            Method::Full
        }
    }

    /// Solves by [`Context::conic_method`].
    fn conic(&self, timings: &mut Timings) -> Result<Outcome, Error> {
        match self.conic_method() {
            Method::CuttingPlane => self.cutting_plane(timings),
            _ => self.full(timings),
        }
    }

    /// Lowers with `request` and solves, adding to the timings.
    fn lower_and_solve(
        &self,
        request: &cnr_lower::Request,
        timings: &mut Timings,
    ) -> Result<(Lowered, Solution), Error> {
        self.hooks.check()?;
        let samples = request.samples.map_or(self.compiled.model.data.n, <[usize]>::len);
        if let Some((need, solver)) = self.over_budget(samples) {
            return Err(Error::OverBudget {
                samples,
                need,
                solver,
                backend: self.compiled.backend.name(),
                budget: self.compiled.max_memory,
                whole: request.samples.is_none(),
            });
        }
        self.hooks.tell(Event::Lowering { samples });
        let start = Instant::now();
        let whole = request.samples.is_none() && request.box_radius.is_none();
        let lowered = match self.shared.filter(|_| whole) {
            Some(cell) => {
                let lower = || cnr_lower::lower_with(&self.compiled.model, self.anchor, request);
                let mut lowered = cell.get_or_init(lower).clone();
                cnr_lower::set_anchor(&mut lowered.program, self.anchor);
                lowered
            }
            None => cnr_lower::lower_with(&self.compiled.model, self.anchor, request),
        };
        let backend = self.compiled.backend.name();
        self.hooks.tell(Event::Solving { rows: lowered.program.m(), backend });
        timings.lowering_seconds += start.elapsed().as_secs_f64();
        self.hooks.check()?;
        let start = Instant::now();
        let solution = self.solve_with_recovery(&lowered)?;
        timings.solving_seconds += start.elapsed().as_secs_f64();
        Ok((lowered, solution))
    }

    /// The bytes the data, the program of `samples` samples and the backend's work on it need,
    /// when they exceed the budget (the program's are the whole plan's, in proportion to the
    /// samples), with the backend's part.
    fn over_budget(&self, samples: usize) -> Option<(u128, u128)> {
        let model = &self.compiled.model;
        let plan = &self.compiled.plan;
        let part = |whole: u128| whole * samples as u128 / model.data.n.max(1) as u128;
        let data = 8 * (model.data.x.len() as u128 + model.data.y.len() as u128);
        let backend = self
            .compiled
            .backend
            .work_bytes(part(plan.nonzeros as u128), part(plan.rows as u128 + plan.variables as u128));
        let need = data + part(cnr_lower::plan_bytes(plan)) + backend;
        (need > u128::from(self.compiled.max_memory)).then_some((need, backend))
    }

    /// Solves a lowered program with the attempts of [`RECOVERY_PLAN`] until one ends optimal and
    /// its point passes the check on the model, or ends with a finding about the program
    /// (infeasible, unbounded, a time limit). Each attempt is logged. The objective is scaled by a
    /// power of two, which is exact, and the returned objective is that of the unscaled program.
    ///
    /// An attempt that Clarabel calls optimal but whose point violates a sample's constraint by more
    /// than the tolerance relative to that sample's own scale is not optimal: it is logged as `inaccurate`
    /// with the figure, and the next attempt runs; if none is left, that is the status reported.
    fn solve_with_recovery(&self, lowered: &Lowered) -> Result<Solution, Error> {
        let model = &self.compiled.model;
        let mut log = self.attempts.borrow_mut();
        let calls = Calls {
            plan: &recovery_plan(self.compiled.backend, &RECOVERY_PLAN),
            settings: self.settings,
            objective_scale: &|scale| objective_scale(model, scale),
            violation: &|x: &[f64]| constraint_violation(model, lowered, x, self.threads),
            always_feasible: model.relax.penalty.is_some(),
            judged_on: None,
            watch: Some(&self.hooks.call_watch()),
            deadline: self.deadline,
            judge_almost_solved: false,
        };
        Ok(calls.run(&lowered.program, &mut log)?)
    }

    /// Solves by cuts in the filters' space (`cnr-methods`); where the method cannot certify its
    /// point it hands the model back, and the cone program is solved, the record saying why.
    fn wspace(&self, timings: &mut Timings) -> Result<Outcome, Error> {
        let model = &self.compiled.model;
        let watch = Watching { hooks: self.hooks, deadline: self.deadline };
        let run =
            cnr_methods::wspace::wspace(model, self.anchor, self.settings.tol_rel, self.threads, &watch)
                .map_err(|cnr_methods::Cancelled| Error::Cancelled)?;
        timings.solving_seconds += run.solving_seconds;
        timings.checking_seconds += run.checking_seconds;
        let mut record = run.record;
        match run.end {
            WSpaceEnd::Certified { theta, objective, residuals } => {
                Ok(Outcome::filters(Method::WSpace, theta, objective, residuals, record))
            }
            WSpaceEnd::HandOff(why) => {
                record.fallback = Some(format!("{why}; solved the cone program"));
                let mut outcome = self.conic(timings)?;
                outcome.wspace = Some(record);
                Ok(outcome)
            }
        }
    }

    /// The whole program.
    fn full(&self, timings: &mut Timings) -> Result<Outcome, Error> {
        let request = cnr_lower::Request { threads: self.threads, ..cnr_lower::Request::default() };
        let (lowered, solution) = self.lower_and_solve(&request, timings)?;
        Ok(Outcome::program(Method::Full, lowered, solution))
    }
}

/// The first subset's size: four samples per shared variable (`w` and `b`).
pub(crate) fn start_size(model: &Model) -> usize {
    cnr_check::budget::first_subset(&model.network)
}

/// The largest violation of the program's sample constraints at `x`, measured on the model:
/// `max_i (f(x_i; w) − y_i) / s_i` over the program's samples, each on its own scale `s_i`
/// (`cnr_check::Residuals`); under a penalty, what the samples' excess over their slack costs the
/// objective.
fn constraint_violation(model: &Model, lowered: &Lowered, x: &[f64], threads: Option<usize>) -> f64 {
    let layout = &lowered.layout;
    let (w, b) = layout.filters(x);
    let residuals = if layout.samples.len() == model.data.n {
        model.residuals(&w, &b, threads)
    } else {
        model.residuals_at(&layout.samples, &w, &b)
    };
    let (Some(xi), Some((norm, lambda))) = (&layout.xi, model.relax.penalty) else {
        return residuals.max_relative();
    };
    // Under a penalty every sample holds with slack enough: the point with `ξ_i = max(ξ_i, r_i)`
    // is feasible, and costs the objective at most λ times the norm of the excess — the figure
    // judged, relative to the objective (as the gap is), since no sample is then violated.
    let excess = (0..residuals.len()).map(|p| (residuals.values[p] - x[xi.start + p].max(0.0)).max(0.0));
    let cost = match norm {
        Norm::L1 => excess.sum::<f64>(),
        _ => excess.map(|e| e * e).sum::<f64>().sqrt(),
    };
    lambda * cost / lowered.program.objective(x).abs().max(1.0)
}

/// The objective's scale: a power of two near the chosen size.
fn objective_scale(model: &Model, scale: Scale) -> f64 {
    let sizes = DataSizes::of(model);
    let c = match scale {
        Scale::One | Scale::UnitObjective => 1.0,
        Scale::Labels => sizes.n * sizes.mean_abs_y,
        Scale::Patches => sizes.n.sqrt() * sizes.u_sum * sizes.rms_x,
    };
    power_of_two(c)
}
