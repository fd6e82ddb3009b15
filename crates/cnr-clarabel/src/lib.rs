//! The Clarabel backend of cnr: solves a [`ConeProgram`] with the Clarabel interior-point solver.
//!
//! The IR is Clarabel's own standard form, so the translation is direct:
//!
//! ```text
//! minimise    ½ xᵀ P x + qᵀ x (+ c, added back by cnr)
//! subject to  A x + s = b,   s ∈ K = K₁ × K₂ × … (in the order of the cones)
//! ```
//!
//! Both sides use the same sign convention: a row `aᵀx + s = b` with `s` in the non-negative cone
//! means `aᵀx ≤ b`; in the zero cone it means `aᵀx = b`; and a cone over several rows constrains the
//! vector `s = b − A x` of those rows, in the cone's own order (for the exponential cone Clarabel's
//! `(x, y, z)` with `y·e^(x/y) ≤ z`, which is the order the IR stores). `P` is passed as the upper
//! triangle the IR stores; Clarabel reads it as the symmetric matrix it is the triangle of.
//!
//! ```
//! use cnr_ir::{Cone, ConeProgram, RowBuilder, Sense, SolverSettings, Status};
//! // minimise x subject to x ≥ 1, written as −x + s = −1, s ≥ 0.
//! let mut rows = RowBuilder::new();
//! rows.push_row(&[(0, -1.0)], -1.0);
//! let (a, b) = rows.finish(1);
//! let mut p = ConeProgram::new("tiny", 1, Sense::Minimize);
//! p.q = vec![1.0];
//! p.a = a;
//! p.b = b;
//! p.cones = vec![Cone::Nonneg(1)];
//! let solution = cnr_clarabel::solve(&p, &SolverSettings::default()).unwrap();
//! assert_eq!(solution.status, Status::Optimal);
//! assert!((solution.objective - 1.0).abs() < 1e-7);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use clarabel::algebra::CscMatrix as ClarabelCsc;
use clarabel::io::ConfigurablePrintTarget;
use clarabel::solver::{DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};
use cnr_ir::{Capabilities, Cone, ConeProgram, CscMatrix, IrError, Solution, SolverSettings, Status};
use thiserror::Error;

/// Why the Clarabel backend could not solve a program. A solve that runs and ends badly (infeasible,
/// iteration limit, …) is not an error: it is a [`Solution`] with that [`Status`].
#[derive(Debug, Error)]
pub enum ClarabelError {
    /// The program does not validate; Clarabel never saw it.
    #[error("invalid cone program: {0}")]
    InvalidProgram(#[from] IrError),
    /// Clarabel refused the data or the settings before solving.
    #[error("Clarabel refused the problem: {0}")]
    Rejected(String),
    /// The iteration hook asked Clarabel to stop; there is no answer.
    #[error("the solve was stopped by its caller")]
    Stopped,
}

/// What Clarabel takes: every cone of the IR and a quadratic objective, with iteration and time
/// limits.
pub const CAPABILITIES: Capabilities = Capabilities {
    zero: true,
    nonneg: true,
    second_order: true,
    exponential: true,
    power: true,
    quadratic_objective: true,
    iteration_limit: true,
    time_limit: true,
    reports_iterations: true,
    recovery_levels: 3,
};

/// Solves `program` with Clarabel.
///
/// The program is validated first; an invalid one is an error and Clarabel never sees it. The
/// returned [`Solution`] carries the status, Clarabel's `x` and `s`, the objective of the stored
/// minimisation *recomputed by cnr* at `x` (including the constant `c`, which Clarabel does not know),
/// the iteration count and Clarabel's solve time. For a program found infeasible the objective is
/// `+∞`, and for one found unbounded `−∞` (the optimal values of such minimisations); `x` is then
/// Clarabel's certificate, not a solution.
///
/// Clarabel's statuses map to cnr's as follows:
///
/// | Clarabel | cnr |
/// |---|---|
/// | `Solved` | `Optimal` |
/// | `AlmostSolved` | `Inaccurate` |
/// | `PrimalInfeasible`, `AlmostPrimalInfeasible` | `Infeasible` |
/// | `DualInfeasible`, `AlmostDualInfeasible` | `Unbounded` |
/// | `MaxIterations` | `IterationLimit` |
/// | `MaxTime` | `TimeLimit` |
/// | `NumericalError`, `InsufficientProgress` | `NumericalError` |
/// | `Unsolved`, `CallbackTerminated` | `NumericalError` |
///
/// `Unsolved` cannot happen (the solver always runs); `CallbackTerminated` happens only when an
/// [`IterationHook`] asks to stop, and is then [`ClarabelError::Stopped`], not a status. Should
/// either come back all the same, the point is not an answer, and `NumericalError` is the status
/// that says "the solver failed" without claiming anything about the program.
///
/// Settings: `tol_abs` and `tol_rel` become Clarabel's absolute and relative duality-gap tolerances;
/// Clarabel's feasibility tolerance is relative to the size of the data, so it takes `tol_rel`. No
/// time limit is Clarabel's infinite one; everything else keeps Clarabel's default.
pub fn solve(program: &ConeProgram, settings: &SolverSettings) -> Result<Solution, ClarabelError> {
    solve_with_progress(program, settings, None)
}

/// Something told each iteration of a solve — its number and the relative duality gap — that
/// returns `true` to stop the solve (a cancelled request).
pub type IterationHook = std::sync::Arc<dyn Fn(u32, f64) -> bool + Send + Sync>;

/// [`solve`], telling `progress` (when given) each iteration and its relative gap, for a progress
/// display, and stopping with [`ClarabelError::Stopped`] when it returns `true`.
pub fn solve_with_progress(
    program: &ConeProgram,
    settings: &SolverSettings,
    progress: Option<IterationHook>,
) -> Result<Solution, ClarabelError> {
    program.validate()?;
    let p = to_clarabel_csc(&program.p);
    let a = to_clarabel_csc(&program.a);
    let cones = to_clarabel_cones(&program.cones);
    let mut solver =
        DefaultSolver::new(&p, &program.q, &a, &program.b, &cones, to_clarabel_settings(settings)?)
            .map_err(|e| ClarabelError::Rejected(e.to_string()))?;
    // The log (with `verbose`) goes to standard error, so that standard output carries only what
    // the caller prints there (a report, or JSON).
    solver.print_to_stream(Box::new(std::io::stderr()));
    if let Some(hook) = progress {
        solver.set_termination_callback(move |info: &clarabel::solver::DefaultInfo<f64>| {
            hook(info.iterations, info.gap_rel)
        });
    }
    solver.solve();
    let sol = &solver.solution;
    if sol.status == SolverStatus::CallbackTerminated {
        return Err(ClarabelError::Stopped);
    }
    let status = map_status(sol.status);
    let objective = match status {
        Status::Infeasible => f64::INFINITY,
        Status::Unbounded => f64::NEG_INFINITY,
        _ => program.objective(&sol.x),
    };
    Ok(Solution {
        status,
        x: sol.x.clone(),
        s: sol.s.clone(),
        z: sol.z.clone(),
        objective,
        iterations: sol.iterations,
        solve_seconds: sol.solve_time,
    })
}

/// Maps each of Clarabel's statuses to cnr's, in one exhaustive match (a new Clarabel status is a
/// compile error here, not a silent default); the table is in the documentation of [`solve`].
fn map_status(status: SolverStatus) -> Status {
    match status {
        SolverStatus::Solved => Status::Optimal,
        SolverStatus::AlmostSolved => Status::Inaccurate,
        // "Dual infeasible" is Clarabel's word for a certificate that the primal is unbounded.
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => Status::Infeasible,
        SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => Status::Unbounded,
        SolverStatus::MaxIterations => Status::IterationLimit,
        SolverStatus::MaxTime => Status::TimeLimit,
        SolverStatus::NumericalError | SolverStatus::InsufficientProgress => Status::NumericalError,
        SolverStatus::Unsolved | SolverStatus::CallbackTerminated => Status::NumericalError,
    }
}

/// Copies a validated IR matrix into Clarabel's type. Both are compressed sparse columns with sorted
/// row indices, so the arrays carry over unchanged.
fn to_clarabel_csc(m: &CscMatrix) -> ClarabelCsc<f64> {
    ClarabelCsc::new(m.m, m.n, m.colptr.clone(), m.rowval.clone(), m.nzval.clone())
}

/// Maps the IR's cones to Clarabel's, in order. Adjacent zero cones are merged into one, and so are
/// adjacent non-negative cones: the product of two orthants is an orthant, so the rows and their
/// meaning do not change, and Clarabel handles one large cone faster than many small ones.
fn to_clarabel_cones(cones: &[Cone]) -> Vec<SupportedConeT<f64>> {
    let mut out: Vec<SupportedConeT<f64>> = Vec::with_capacity(cones.len());
    for cone in cones {
        match (*cone, out.last_mut()) {
            (Cone::Zero(d), Some(SupportedConeT::ZeroConeT(prev))) => *prev += d,
            (Cone::Nonneg(d), Some(SupportedConeT::NonnegativeConeT(prev))) => *prev += d,
            (Cone::Zero(d), _) => out.push(SupportedConeT::ZeroConeT(d)),
            (Cone::Nonneg(d), _) => out.push(SupportedConeT::NonnegativeConeT(d)),
            (Cone::SecondOrder(d), _) => out.push(SupportedConeT::SecondOrderConeT(d)),
            // Same (x, y, z) order and the same inequality y·e^(x/y) ≤ z on both sides.
            (Cone::Exp, _) => out.push(SupportedConeT::ExponentialConeT()),
            // Same convention on both sides: x^α·y^(1−α) ≥ |z|.
            (Cone::Power(alpha), _) => out.push(SupportedConeT::PowerConeT(alpha)),
        }
    }
    out
}

/// Clarabel's settings from cnr's, as the documentation of [`solve`] describes.
fn to_clarabel_settings(s: &SolverSettings) -> Result<clarabel::solver::DefaultSettings<f64>, ClarabelError> {
    let mut builder = DefaultSettingsBuilder::default();
    builder
        .tol_gap_abs(s.tol_abs)
        .tol_gap_rel(s.tol_rel)
        .tol_feas(s.tol_rel)
        .max_iter(s.max_iter)
        .time_limit(s.time_limit.unwrap_or(f64::INFINITY))
        .verbose(s.verbose);
    match s.recovery {
        // The fast first call: no iterative refinement of the KKT solves. On the paper's grid
        // (240 ReLU trials) it took 30% less time with the same iterations and statuses on every
        // trial; the retries, for the programs where accuracy runs out, keep it.
        0 => {
            builder.iterative_refinement_enable(false);
        }
        // Clarabel's defaults.
        1 => {}
        // A hundred times Clarabel's static regularisation (1e-8): the KKT systems of these
        // degenerate programs, whose optimum has every sample constraint tight, lose accuracy in
        // the last iterations, and a larger shift keeps them solvable.
        2 => {
            builder.static_regularization_constant(1e-6);
        }
        // Also shorter steps and more iterative refinement.
        _ => {
            builder
                .static_regularization_constant(1e-6)
                .max_step_fraction(0.9)
                .iterative_refinement_max_iter(50)
                .iterative_refinement_reltol(1e-15)
                .iterative_refinement_abstol(1e-15);
        }
    }
    builder.build().map_err(|e| ClarabelError::Rejected(format!("settings: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_orthants_merge_and_other_cones_keep_their_order() {
        let cones = [
            Cone::Zero(1),
            Cone::Zero(2),
            Cone::Nonneg(3),
            Cone::Nonneg(1),
            Cone::Exp,
            Cone::Nonneg(2),
            Cone::SecondOrder(3),
            Cone::SecondOrder(3),
            Cone::Power(0.25),
        ];
        assert_eq!(
            to_clarabel_cones(&cones),
            vec![
                SupportedConeT::ZeroConeT(3),
                SupportedConeT::NonnegativeConeT(4),
                SupportedConeT::ExponentialConeT(),
                SupportedConeT::NonnegativeConeT(2),
                SupportedConeT::SecondOrderConeT(3),
                SupportedConeT::SecondOrderConeT(3),
                SupportedConeT::PowerConeT(0.25),
            ]
        );
    }

    #[test]
    fn every_status_maps() {
        use SolverStatus::*;
        let table = [
            (Unsolved, Status::NumericalError),
            (Solved, Status::Optimal),
            (PrimalInfeasible, Status::Infeasible),
            (DualInfeasible, Status::Unbounded),
            (AlmostSolved, Status::Inaccurate),
            (AlmostPrimalInfeasible, Status::Infeasible),
            (AlmostDualInfeasible, Status::Unbounded),
            (MaxIterations, Status::IterationLimit),
            (MaxTime, Status::TimeLimit),
            (NumericalError, Status::NumericalError),
            (InsufficientProgress, Status::NumericalError),
            (CallbackTerminated, Status::NumericalError),
        ];
        for (clarabel, ours) in table {
            assert_eq!(map_status(clarabel), ours, "{clarabel:?}");
        }
    }

    #[test]
    fn settings_carry_over() {
        let s = SolverSettings {
            tol_abs: 1e-5,
            tol_rel: 1e-6,
            max_iter: 7,
            time_limit: Some(2.5),
            verbose: true,
            recovery: 0,
        };
        let c = to_clarabel_settings(&s).unwrap();
        assert_eq!((c.tol_gap_abs, c.tol_gap_rel, c.tol_feas), (1e-5, 1e-6, 1e-6));
        // Level 0 drops iterative refinement, level 1 is Clarabel's defaults.
        assert!(!c.iterative_refinement_enable);
        let defaults = to_clarabel_settings(&SolverSettings { recovery: 1, ..s.clone() }).unwrap();
        assert!(defaults.iterative_refinement_enable);
        assert_eq!((c.max_iter, c.time_limit, c.verbose), (7, 2.5, true));
        let c = to_clarabel_settings(&SolverSettings::default()).unwrap();
        assert_eq!((c.time_limit, c.verbose), (f64::INFINITY, false));
    }
}
