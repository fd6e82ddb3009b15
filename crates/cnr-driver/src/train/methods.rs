//! Two ways a learned program is solved: the conic program by the interior point (with
//! `cnr-solve`'s checks and a second solve of a small optimum, `solve_conic`, which the cutting
//! planes of `cuts.rs` use too), and the gated form's group lasso by the first-order method
//! (`cnr-firstorder`, optimal only with its certified gap).

use super::{FirstOrderRecord, SignCutRecord};
use crate::{Compiled, Error, Request};
use cnr_firstorder::{
    cone_group_lasso, group_lasso, ConeGroupLasso, ConeGroupLassoSettings, GroupLasso, GroupLassoEnd,
    GroupLassoSettings,
};
use cnr_ir::Status;
use cnr_lower::learned::{lower_learned, LearnedLayout, PatternSet};
use cnr_solve::{ProgramRecord, ProgramSolve};
use ndarray::ShapeBuilder;
use std::time::Instant;

/// An optimum below this is solved again with its objective scaled to about 1: the solve's
/// checks judge the gap relative to `max(|objective|, 1)`, which below 1 is absolute. At the
/// tolerance 1e-7 the optimum of `examples/learned/teacher.cnr` (0.099) came back 8e-6 above the
/// optimum (relative) without it (`bash bench/learned_cvxpy.sh`, bench/README.md).
pub const SMALL_OBJECTIVE: f64 = 0.5;

/// The tolerance of a learned program unless the request or the model sets one: the gap cnr's
/// checks judge is an estimate, and at 1e-7 the optima of `examples/learned/teacher.cnr` and
/// `bench/learned_bias.cnr` came back 1.3e-6 and 8.9e-6 above the optimum (relative; with the
/// rescaling of small optima), at 1e-9 within 6e-9 (`bash bench/learned_cvxpy.sh`, by hand,
/// 2026-12-07).
pub const LEARNED_TOLERANCE: f64 = 1e-9;

/// Above this many non-zeros of the conic program, `auto` trains the gated form by the
/// first-order method (docs/learned.md, "The first-order method": on the digits, 48 patterns,
/// 336,095 non-zeros with the fit compressed, took 2.15 s by the interior point and 3.11 s by the
/// first-order method; 98 patterns, 1,711,935 non-zeros, 105 s and 7.1 s).
pub const FIRST_ORDER_NONZEROS: usize = 500_000;

/// Above this many sign rows `auto` trains the exact form by the first-order method, and by the
/// cutting planes from [`CUT_ROWS`](super::CUT_ROWS) to here (docs/learned.md, "The exact form":
/// on the digits, 5 patterns, 113,220 rows, took 0.34 s by cuts and 1.0 s by the first-order
/// method; 19 patterns, 430,236 rows, 5.4 s and 3.2 s; 98 patterns, 2.2 million rows, more than
/// 900 s and 32 s; but bench/learned_fc.cnr at n = 2,000, P = 100, 400,000 rows, 128 s by cuts
/// and no certificate in 100,000 iterations, 715 s, by the first-order method).
pub const FIRST_ORDER_SIGN_ROWS: usize = 1_000_000;

/// The tolerance of the first-order method's relative duality gap unless the request or the
/// model sets one.
pub const FIRST_ORDER_TOLERANCE: f64 = 1e-6;

/// A solve of a learned program, by either method: its point in the program's layout.
pub(super) struct Solve {
    pub(super) status: Status,
    pub(super) objective: Option<f64>,
    pub(super) x: Option<Vec<f64>>,
    pub(super) backend: &'static str,
    pub(super) gap: Option<f64>,
    pub(super) attempts: Vec<cnr_solve::Attempt>,
    pub(super) first_order: Option<FirstOrderRecord>,
    pub(super) sign_cuts: Option<SignCutRecord>,
    /// Columns, rows and non-zeros of what was solved.
    pub(super) sizes: (usize, usize, usize),
    pub(super) lowering_seconds: f64,
    pub(super) solving_seconds: f64,
}

/// The tolerance a learned solve is asked for: the request's, the model's, else `default`.
pub(super) fn tolerance(model: &cnr_check::Model, request: &Request, default: f64) -> f64 {
    match request.tolerance {
        Some(t) => t,
        None if model.solver.tolerance_written => model.solver.tolerance,
        None => default,
    }
}

/// The conic program, lowered and solved by the interior point with `cnr-solve`'s checks.
pub(super) fn by_interior_point(
    compiled: &Compiled,
    request: &Request,
    set: &PatternSet,
    start: Instant,
) -> Result<Solve, Error> {
    let model = &compiled.model;
    fits_budget(compiled, true)?;
    let lowering = Instant::now();
    let (mut program, _) = lower_learned(model, set);
    let lowering_seconds = lowering.elapsed().as_secs_f64();
    let tolerance = tolerance(model, request, LEARNED_TOLERANCE);
    let solving = Instant::now();
    let solved = solve_conic(compiled, request, &mut program, tolerance, start)?;
    Ok(Solve {
        status: solved.status,
        objective: solved.objective,
        gap: solved.attempts.last().and_then(|a| a.gap),
        x: solved.x,
        backend: solved.backend,
        attempts: solved.attempts,
        first_order: None,
        sign_cuts: None,
        sizes: (program.n, program.m(), program.a.nnz()),
        lowering_seconds,
        solving_seconds: solving.elapsed().as_secs_f64(),
    })
}

/// What is left at this moment of a time limit counted from `start`.
pub(super) fn time_left(limit: Option<f64>, start: Instant) -> Option<f64> {
    limit.map(|t| (t - start.elapsed().as_secs_f64()).max(0.0))
}

/// A learned conic program solved by the interior point with `cnr-solve`'s checks, given what is
/// left of the request's time limit; an optimum below [`SMALL_OBJECTIVE`] solved again with its
/// objective scaled to about 1 (`program` is left as it came).
pub(super) fn solve_conic(
    compiled: &Compiled,
    request: &Request,
    program: &mut cnr_ir::ConeProgram,
    tolerance: f64,
    start: Instant,
) -> Result<ProgramRecord, Error> {
    let settings = crate::solver_settings(&compiled.model, request);
    let run = |program: &cnr_ir::ConeProgram| {
        let solve = ProgramSolve {
            backend: compiled.backend,
            tolerance,
            verbose: request.verbose,
            watch: Some(request.hooks.call_watch()),
            time_limit: time_left(settings.time_limit, start),
        };
        cnr_solve::solve_program(program, &solve, 0.0).map_err(Error::from)
    };
    let mut solved = run(program)?;
    // The checks judge the gap relative to `max(|objective|, 1)`: an optimum well below 1 is solved
    // again with the objective scaled by a power of two to about 1, so that the tolerance is
    // relative to it (docs/learned.md, "What is proven").
    if let (Status::Optimal, Some(objective)) = (solved.status, solved.objective) {
        if objective > 0.0 && objective < SMALL_OBJECTIVE {
            let factor = cnr_solve::power_of_two(1.0 / objective);
            program.q.iter_mut().for_each(|q| *q *= factor);
            let again = run(program);
            program.q.iter_mut().for_each(|q| *q /= factor);
            let mut again = again?;
            again.objective = again.objective.map(|o| o / factor);
            let mut attempts = std::mem::take(&mut solved.attempts);
            attempts.append(&mut again.attempts);
            // The scaled solve's answer stands when it holds; else the first one's does.
            if again.status == Status::Optimal {
                solved = again;
            }
            solved.attempts = attempts;
        }
    }
    Ok(solved)
}

/// The learned program by `cnr-firstorder`: the gated form's group lasso over the fit's matrix, or
/// the exact form's group lasso over cones with the sign rows' patches and signs; `optimal` only
/// when its duality gap (and, exact, its largest sign violation) is within the tolerance.
pub(super) fn by_first_order(
    compiled: &Compiled,
    request: &Request,
    set: &PatternSet,
    layout: &LearnedLayout,
    start: Instant,
    warm: Option<&[f64]>,
) -> Result<Solve, Error> {
    let model = &compiled.model;
    let exact = layout.c_neg.is_some();
    let threads = super::threads(request);
    let (n, p, h) = (model.data.n, set.len(), layout.h);
    let (m, rows) = (p * h, n * model.network.patches());
    // The fit's matrix and the method's vectors (a few of length m and n); the exact form's patch
    // matrix, signs, each thread's block of products and each group's rows held.
    let mut need = 8 * (n as u128 * m as u128 + 8 * (n + 2 * m) as u128);
    if exact {
        let groups = 2 * p as u128;
        need += 8 * rows as u128 * h as u128 + rows as u128 * p as u128;
        need += 8 * threads as u128 * 4_096 * groups + 4 * groups * h as u128;
    }
    crate::solve::fits(compiled, "the first-order method", need)?;
    let lowering = Instant::now();
    let patches = cnr_lower::learned::patch_matrix(model);
    let a = cnr_lower::learned::fit_matrix_with(model, set, &patches);
    let signs = exact.then(|| cnr_lower::learned::sign_matrix(model, set, &patches));
    let lowering_seconds = lowering.elapsed().as_secs_f64();
    let a = ndarray::ArrayView2::from_shape((n, m).f(), &a).expect("the fit's matrix has n·P·h numbers");
    let fit = GroupLasso {
        a,
        y: ndarray::ArrayView1::from(&model.data.y),
        h,
        beta: model.learn.as_ref().expect("learned").weight_decay,
        offset: layout.offset.is_some(),
    };
    let tolerance = tolerance(model, request, FIRST_ORDER_TOLERANCE);
    let deadline = cnr_solve::deadline_after(start, request.limits.time_limit.or(model.solver.time_limit));
    let groups = layout.c.start..layout.c_neg.as_ref().map_or(layout.c.end, |c| c.end);
    let warm = warm.map(|x| (&x[groups.clone()], layout.offset.map_or(0.0, |col| x[col])));
    let solving = Instant::now();
    // The record of either method; `cones`: the exact form's violation and projection steps.
    let record = |iterations, restarts, primal, dual, kkt, cones: Option<(f64, usize)>| FirstOrderRecord {
        iterations,
        restarts,
        primal,
        dual,
        kkt,
        sign_violation: cones.map(|c| c.0),
        projection_steps: cones.map(|c| c.1),
        tolerance,
    };
    let (w, offset, end, record) = match &signs {
        None => {
            let settings =
                GroupLassoSettings { tolerance, deadline, threads, ..GroupLassoSettings::default() };
            let s = group_lasso(&fit, &settings, warm);
            let record = record(s.iterations, s.restarts, s.primal, s.dual, s.kkt, None);
            (s.w, s.offset, s.end, record)
        }
        Some(signs) => {
            let problem = ConeGroupLasso {
                fit,
                rows: ndarray::ArrayView2::from_shape((rows, h), &patches).expect("n·K patches of h numbers"),
                signs: ndarray::ArrayView2::from_shape((rows, p), signs).expect("n·K rows of P signs"),
            };
            let settings =
                ConeGroupLassoSettings { tolerance, deadline, threads, ..ConeGroupLassoSettings::default() };
            let s = cone_group_lasso(&problem, &settings, warm);
            let cones = Some((s.violation, s.projection_steps));
            let record = record(s.iterations, s.restarts, s.primal, s.dual, s.kkt, cones);
            (s.w, s.offset, s.end, record)
        }
    };
    let solving_seconds = solving.elapsed().as_secs_f64();
    // The point in the program's layout, which the read-back takes.
    let mut x = vec![0.0; layout.n];
    x[groups].copy_from_slice(&w);
    if let Some(u) = &layout.u {
        for (i, col) in u.clone().enumerate() {
            x[col] = w[i] - w[m + i];
        }
    }
    if let Some(col) = layout.offset {
        x[col] = offset;
    }
    let status = match end {
        GroupLassoEnd::Converged => Status::Optimal,
        GroupLassoEnd::IterationLimit => Status::IterationLimit,
        GroupLassoEnd::TimeLimit => Status::TimeLimit,
    };
    let columns = w.len() + usize::from(fit.offset);
    Ok(Solve {
        status,
        objective: Some(record.primal),
        x: Some(x),
        backend: "cnr-firstorder",
        gap: Some((record.primal - record.dual).max(0.0) / record.primal.abs().max(f64::MIN_POSITIVE)),
        attempts: Vec::new(),
        first_order: Some(record),
        sign_cuts: None,
        sizes: (
            columns,
            n + if exact { 2 * p * rows } else { 0 },
            n * m + if exact { 2 * p * rows * h } else { 0 },
        ),
        lowering_seconds,
        solving_seconds,
    })
}

/// Refuses a learned program that would not fit the memory budget beside the data (with the
/// backend's own work on it when `solving`), before it is built.
pub(crate) fn fits_budget(compiled: &Compiled, solving: bool) -> Result<(), Error> {
    fits_budget_of(compiled, &compiled.plan, solving)
}

/// [`fits_budget`] for the program of `plan` (the cutting planes' programs hold fewer rows than
/// the compiled one).
pub(super) fn fits_budget_of(
    compiled: &Compiled,
    plan: &cnr_lower::Plan,
    solving: bool,
) -> Result<(), Error> {
    let model = &compiled.model;
    let data = 8 * (model.data.x.len() as u128 + model.data.y.len() as u128);
    let backend = if solving {
        compiled.backend.work_bytes(plan.nonzeros as u128, (plan.rows + plan.variables) as u128)
    } else {
        0
    };
    let need = data + cnr_lower::plan_bytes(plan) + backend;
    if need > u128::from(compiled.max_memory) {
        return Err(Error::OverBudget {
            samples: model.data.n,
            need,
            solver: backend,
            backend: compiled.backend.name(),
            budget: compiled.max_memory,
            whole: false,
        });
    }
    Ok(())
}
