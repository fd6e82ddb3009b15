//! The calls of a backend for one program: the plan of calls (objective scale, recovery level,
//! equilibration), the checks of every answer (the point on the model or the program, the dual
//! residual and gap, the certificates of infeasibility and unboundedness), and the log of attempts.

use crate::equilibrate::Scaling;
use crate::{Backend, SolveError};
use cnr_ir::{ConeProgram, Solution, SolverSettings, Status};
use std::sync::Arc;

/// One iteration of a backend, as its watcher is told it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Iteration {
    /// The program's rows.
    pub rows: usize,
    /// The backend.
    pub backend: &'static str,
    /// Which call of the plan (1, 2, …).
    pub call: u32,
    /// The backend's iteration.
    pub iteration: u32,
    /// Its relative gap.
    pub gap: f64,
}

/// Told every [`Iteration`]; returns `true` to stop the solve ([`SolveError::Cancelled`]).
pub type CallWatch = Arc<dyn Fn(&Iteration) -> bool + Send + Sync>;

/// One call of a backend for one program: how it was scaled, which recovery settings, how it ended.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Attempt {
    /// Which program of the solve it was for (1, 2, … — one per cutting-plane round).
    pub program: u32,
    /// The backend called.
    pub backend: &'static str,
    /// The factor the objective was multiplied by (a power of two).
    pub objective_scale: f64,
    /// The backend's settings level (0: its fastest, 1: its defaults, higher: more conservative).
    pub recovery: u32,
    /// Whether the program's rows and columns were rescaled by cnr first (`equilibrate.rs`).
    pub equilibrated: bool,
    /// The tolerance the backend was asked for (a hundredth of the judged one on the last call of
    /// a plan).
    pub tolerance: f64,
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
    /// An infeasible answer overruled because the program is known to be feasible (a penalised
    /// model, or a program feasible by its structure: docs/solving.md), whatever its certificate.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub overruled: bool,
    /// Its iterations.
    pub iterations: u32,
}

/// The calls of a backend for one program, and how their answers are checked.
pub struct Calls<'a> {
    /// The calls, in order.
    pub plan: &'a [Step],
    /// The solve's settings.
    pub settings: &'a SolverSettings,
    /// The objective's factor for a scale.
    pub objective_scale: &'a dyn Fn(Scale) -> f64,
    /// The relative violation of the program's constraints at a point, as judged by the caller
    /// (from the model, or from the program alone).
    pub violation: &'a dyn Fn(&[f64]) -> f64,
    /// Whether the program is known to be feasible (a penalised model), so that `infeasible` is
    /// never accepted.
    pub always_feasible: bool,
    /// An equilibrated copy of the program and its factors, on which the dual residual and the gap
    /// are judged (a program from a file, whose scale is its own); `None` judges them on the
    /// program as given (a relaxation, whose objective has a unit anchor).
    pub judged_on: Option<&'a (ConeProgram, Scaling)>,
    /// Told, while the backend iterates, the iteration and its gap; asked whether to stop.
    pub watch: Option<&'a CallWatch>,
    /// When the caller's time runs out: each call is given what is left of it, and none starts
    /// after it (the answer so far, or a time limit, is returned).
    pub deadline: Option<std::time::Instant>,
    /// Whether a point the backend calls almost solved (`inaccurate`) is judged by cnr's checks
    /// at every call, as it is at a tighter call: `optimal` when it passes them. A program's solve
    /// does so (`solve_program`); on the digits' learned program Clarabel's first call at 1e-9 was
    /// "almost solved", and five more calls followed before one was judged.
    pub judge_almost_solved: bool,
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
    pub fn run(&self, program: &ConeProgram, log: &mut Vec<Attempt>) -> Result<Solution, SolveError> {
        let index = log.last().map_or(1, |a| a.program + 1);
        let mut last = None;
        // The calls in the plan's order, except that a near miss (a point the backend calls
        // optimal, off by less than a hundred times the tolerance, with a dual point that bounds
        // the objective) is retried at once with the tighter tolerance, which is what it needs.
        let mut order: Vec<usize> = (0..self.plan.len()).collect();
        // A program feasible by its structure is never infeasible, whatever a certificate says:
        // one can hold to the solver's tolerance and still only exclude points up to the scale
        // the solver worked at (`t ≥ e³⁰`, docs/solving.md).
        let feasible = self.always_feasible || program.evidently_feasible();
        let mut position = 0;
        while position < order.len() {
            let k = order[position];
            position += 1;
            let Step { backend, scale, recovery, equilibrate, tighter } = self.plan[k];
            let c = (self.objective_scale)(scale);
            let mut scaled = program.clone();
            scaled.q.iter_mut().for_each(|q| *q *= c);
            let mut settings = SolverSettings { recovery, ..self.settings.clone() };
            if let Some(deadline) = self.deadline {
                let left = deadline.saturating_duration_since(std::time::Instant::now()).as_secs_f64();
                if left <= 0.0 {
                    return Ok(last.unwrap_or_else(out_of_time));
                }
                settings.time_limit = Some(settings.time_limit.map_or(left, |t| t.min(left)));
            }
            if tighter {
                settings.tol_abs = (settings.tol_abs * TIGHTER).max(1e-14);
                settings.tol_rel = (settings.tol_rel * TIGHTER).max(1e-14);
            }
            let (rows, name, call) = (program.m(), backend.name(), k as u32 + 1);
            let watch = self.watch.map(|told| {
                let told = told.clone();
                Arc::new(move |iteration: u32, gap: f64| {
                    told(&Iteration { rows, backend: name, call, iteration, gap })
                }) as crate::backend::Watch
            });
            let mut solution = if equilibrate && scaled.p.nnz() == 0 {
                let mut balanced = scaled.clone();
                let factors = crate::equilibrate(&mut balanced);
                let mut solution = backend.run(&balanced, &settings, watch)?;
                factors.unscale(&mut solution);
                solution
            } else {
                backend.run(&scaled, &settings, watch)?
            };
            if solution.objective.is_finite() {
                solution.objective = program.objective(&solution.x);
            }
            let said = solution.status;
            let (mut violation, mut dual, mut gap) = (None, None, None);
            // A call asked for a tighter tolerance than the one judged may stop short of its own
            // (the solver's "almost solved") and still meet the judged one: cnr's checks decide.
            if said == Status::Optimal
                || ((tighter || self.judge_almost_solved) && said == Status::Inaccurate)
            {
                let v = (self.violation)(&solution.x);
                let (r, g) = match self.judged_on {
                    Some((balanced, factors)) => {
                        let z: Vec<f64> = solution.z.iter().map(|z| z / c).collect();
                        let point = Solution {
                            x: factors.to_scaled_primal(&solution.x),
                            z: factors.to_scaled_dual(&z),
                            ..solution.clone()
                        };
                        (dual_residual(balanced, &point), duality_gap(balanced, &point, 1.0))
                    }
                    None => (dual_residual(&scaled, &solution), duality_gap(&scaled, &solution, c)),
                };
                // The dual residual is judged against the objective alone: a solver that measures it
                // against `Aᵀz` too can call a point optimal whose dual bound says nothing.
                let tol = DUAL_SLACK * self.settings.tol_rel;
                if v > self.settings.tol_rel || r.is_some_and(|r| r > tol) || g.is_some_and(|g| g > tol) {
                    solution.status = Status::Inaccurate;
                } else if said == Status::Inaccurate && r.is_some() && g.is_some() {
                    solution.status = Status::Optimal;
                }
                (violation, dual, gap) = (Some(v), r, g);
                let near_miss = v <= 100.0 * self.settings.tol_rel
                    && r.is_none_or(|r| r <= tol)
                    && g.is_none_or(|g| g <= tol);
                if solution.status == Status::Inaccurate && near_miss && !tighter {
                    if let Some(t) = order[position..].iter().position(|&j| self.plan[j].tighter) {
                        let j = order.remove(position + t);
                        order.insert(position, j);
                    }
                }
            }
            let mut certificate = None;
            if matches!(said, Status::Infeasible | Status::Unbounded) {
                // Judged on an equilibrated copy, where "small" means the same in every row: on the
                // program as lowered, rows with tiny coefficients hide their violations.
                let mut balanced = scaled.clone();
                let factors = crate::equilibrate(&mut balanced);
                let cert = match said {
                    Status::Infeasible => balanced.check_infeasible(&factors.to_scaled_dual(&solution.z)),
                    _ => balanced.check_unbounded(&factors.to_scaled_primal(&solution.x)),
                };
                let structural = said == Status::Infeasible && feasible;
                if structural || !cert.holds(CERTIFICATE_TOLERANCE) {
                    solution.status = Status::NumericalError;
                }
                certificate = Some(cert);
                if solution.status == Status::Unbounded && !feasible {
                    // A ray proves the program unbounded only together with a feasible point: an
                    // infeasible program can have improving rays too (labels of −1e-12, which no
                    // filter reaches, with an anchor that a ray of filters switched off improves).
                    // The point found must hold on the model's scale too: labels of −1e-12 are
                    // "feasible" to an absolute tolerance and violated entirely to a relative one.
                    let mut feasibility = balanced.clone();
                    feasibility.q.iter_mut().for_each(|q| *q = 0.0);
                    let mut found = backend.run(&feasibility, &settings, None)?;
                    factors.unscale(&mut found);
                    match found.status {
                        Status::Optimal if (self.violation)(&found.x) <= self.settings.tol_rel => {}
                        Status::Infeasible => {
                            let cert = balanced.check_infeasible(&factors.to_scaled_dual(&found.z));
                            solution.status = if cert.holds(CERTIFICATE_TOLERANCE) {
                                Status::Infeasible
                            } else {
                                Status::NumericalError
                            };
                            solution.objective = f64::INFINITY;
                            certificate = Some(cert);
                        }
                        _ => solution.status = Status::NumericalError,
                    }
                }
            }
            log.push(Attempt {
                program: index,
                backend: backend.name(),
                objective_scale: c,
                recovery,
                equilibrated: equilibrate,
                tolerance: settings.tol_rel,
                solver_status: said,
                status: solution.status,
                relative_violation: violation,
                dual_residual: dual,
                gap,
                certificate,
                overruled: said == Status::Infeasible && feasible,
                iterations: solution.iterations,
            });
            // `max_iter` bounds each call, so a call that hits it is retried like one that stalls; a
            // time limit is the user's budget for the solve and ends it.
            let retry = matches!(
                solution.status,
                Status::Inaccurate | Status::NumericalError | Status::IterationLimit
            );
            if !retry || position == order.len() {
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
pub enum Scale {
    /// Unscaled.
    One,
    /// `√n · max_m Σ_k u_mk · rms(x)`: the size of `Σ_i λ_i ∇f_i` when the sample rows' duals are
    /// of order `1/√n`.
    Patches,
    /// `n · mean |y_i|`: the objective in the units of the labels summed over the samples.
    Labels,
    /// `1 / ‖q‖∞`: an objective of unit size (a program's; a model's anchor has it already).
    UnitObjective,
}

/// One call of a backend: which, the objective's scale, the backend's recovery level, and whether
/// cnr equilibrates the program first.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    backend: Backend,
    scale: Scale,
    recovery: u32,
    equilibrate: bool,
    /// Whether the backend is asked for a tolerance a hundred times tighter than the one the
    /// answer is judged by: an interior point stops just short of its own tolerance by design, so
    /// a point judged at that tolerance can miss it by a hair.
    tighter: bool,
}

/// How much tighter than the judged tolerance a `tighter` call asks the backend to be.
const TIGHTER: f64 = 0.01;

/// The calls, in order, for a backend with recovery settings. The first is the program as lowered,
/// with the backend's fastest settings (level 0), whose objective is the most accurate where it
/// converges; the others, with its defaults (level 1) or more conservative ones,
/// rescue most of the rest: a scaled objective, cnr's own equilibration (for data far from 1, which
/// the solver's equilibration cannot reach), then more conservative settings. Measured over the
/// planted grid of `bench/recovery_grid.sh` (see bench/README.md).
pub const RECOVERY_PLAN: [(Scale, u32, bool, bool); 6] = [
    (Scale::One, 0, false, false),
    (Scale::Patches, 1, false, false),
    (Scale::One, 1, true, false),
    (Scale::Labels, 2, false, false),
    (Scale::One, 3, false, false),
    (Scale::One, 1, false, true),
];

/// For a program without a model (a CBF or JSON file): no scale that needs the model's data, and
/// the backend's defaults from the first call (the fast settings were measured on relaxations only).
pub const PROGRAM_PLAN: [(Scale, u32, bool, bool); 6] = [
    (Scale::One, 1, false, false),
    (Scale::UnitObjective, 1, true, false),
    (Scale::UnitObjective, 1, false, false),
    (Scale::UnitObjective, 2, true, false),
    (Scale::UnitObjective, 3, true, false),
    (Scale::UnitObjective, 1, true, true),
];

/// The calls for one program with `backend`: the plan `calls` for a backend with recovery
/// settings; one call for a backend without (good_lp), then, should that fail, Clarabel's plan,
/// since an LP is a conic program too. Measured: microlp calls some bounded LPs of these models
/// unbounded (without a certificate), which Clarabel and good_lp's own Clarabel solve.
pub fn recovery_plan(backend: Backend, calls: &[(Scale, u32, bool, bool)]) -> Vec<Step> {
    let with_plan = |backend: Backend| {
        calls.iter().map(move |&(scale, recovery, equilibrate, tighter)| Step {
            backend,
            scale,
            recovery,
            equilibrate,
            tighter,
        })
    };
    if backend.capabilities().recovery_levels > 0 {
        with_plan(backend).collect()
    } else {
        let first = Step { backend, scale: Scale::One, recovery: 0, equilibrate: false, tighter: false };
        std::iter::once(first).chain(with_plan(Backend::CLARABEL)).collect()
    }
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
///
/// The bound `−bᵀz` holds only where `Aᵀz + q = 0`: for a feasible `x`, `qᵀx = −bᵀz + rᵀx + zᵀs`
/// with `r = Aᵀz + q` and `zᵀs ≥ 0`, so near the point found the bound is off by up to
/// `Σ_j |r_j x_j|`, which the gap includes. A residual small against `‖q‖∞` can be large against the
/// objective when the point has large entries (inputs of 1e3 give epigraph variables of 1e3: a
/// residual of 1e-6 of a unit anchor once let a point 0.4% below the optimum pass).
fn duality_gap(program: &cnr_ir::ConeProgram, solution: &Solution, scale: f64) -> Option<f64> {
    if solution.z.len() != program.m() || program.p.nnz() > 0 {
        return None;
    }
    let primal = program.objective(&solution.x);
    let dual = -program.b.iter().zip(&solution.z).map(|(b, z)| b * z).sum::<f64>() + program.c;
    let slack = (0..program.n)
        .map(|j| {
            let r = program.q[j] + program.a.column(j).map(|(i, v)| v * solution.z[i]).sum::<f64>();
            (r * solution.x[j]).abs()
        })
        .sum::<f64>();
    let z_norm = solution.z.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    let outside = program.dual_cone_distance(&solution.z) / z_norm;
    Some(((primal - dual).abs() + slack) / primal.abs().max(scale) + outside)
}

/// The answer of a call that had no time left to start: no point.
fn out_of_time() -> Solution {
    Solution {
        status: Status::TimeLimit,
        x: Vec::new(),
        s: Vec::new(),
        z: Vec::new(),
        objective: f64::NAN,
        iterations: 0,
        solve_seconds: 0.0,
    }
}

/// The moment `seconds` after `start`; `None` without a limit, or for an infinite one (or one
/// past what an `Instant` holds), which is no limit.
pub fn deadline_after(start: std::time::Instant, seconds: Option<f64>) -> Option<std::time::Instant> {
    seconds.and_then(|t| std::time::Duration::try_from_secs_f64(t).ok()).and_then(|t| start.checked_add(t))
}

/// The power of two nearest `c` (within 2^±60), or 1 for a `c` that is not a positive number: a
/// factor that scales exactly.
pub fn power_of_two(c: f64) -> f64 {
    if c.is_finite() && c > 0.0 {
        2f64.powi(c.log2().round().clamp(-60.0, 60.0) as i32)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_program, ProgramFormat};

    /// min x subject to x − 1 ≥ 0: optimal at x = 1.
    const LP: &str = "VER\n3\n\nOBJSENSE\nMIN\n\nVAR\n1 1\nF 1\n\nCON\n1 1\nL+ 1\n\nOBJACOORD\n1\n0 1.0\n\nACOORD\n1\n0 0 1.0\n\nBCOORD\n1\n0 -1.0\n";

    fn program() -> ConeProgram {
        read_program(LP, ProgramFormat::Cbf, "lp.cbf", "lp", 1 << 30).expect("a valid CBF").0
    }

    fn calls<'a>(
        plan: &'a [Step],
        settings: &'a SolverSettings,
        violation: &'a dyn Fn(&[f64]) -> f64,
    ) -> Calls<'a> {
        Calls {
            plan,
            settings,
            objective_scale: &|_| 1.0,
            violation,
            always_feasible: false,
            judged_on: None,
            watch: None,
            deadline: None,
            judge_almost_solved: false,
        }
    }

    #[test]
    fn an_answer_that_passes_its_checks_ends_the_plan() {
        let plan = recovery_plan(Backend::CLARABEL, &RECOVERY_PLAN);
        let settings = SolverSettings { tol_abs: 1e-8, tol_rel: 1e-8, ..SolverSettings::default() };
        let program = program();
        let violation = |x: &[f64]| (1.0 - x[0]).max(0.0);
        let mut log = Vec::new();
        let solution = calls(&plan, &settings, &violation).run(&program, &mut log).unwrap();
        assert_eq!(solution.status, Status::Optimal);
        assert!((solution.x[0] - 1.0).abs() < 1e-6, "{:?}", solution.x);
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0].relative_violation, Some(violation(&solution.x)));
    }

    #[test]
    fn a_point_the_caller_judges_violated_is_inaccurate_after_every_call() {
        // The caller's violation overrules the backend: every call is tried, the near-miss retry
        // moved forward, and the last call's answer is reported as it is.
        let plan = recovery_plan(Backend::CLARABEL, &RECOVERY_PLAN);
        let settings = SolverSettings { tol_abs: 1e-8, tol_rel: 1e-8, ..SolverSettings::default() };
        let mut log = Vec::new();
        let solution = calls(&plan, &settings, &|_| 1.0).run(&program(), &mut log).unwrap();
        assert_eq!(solution.status, Status::Inaccurate);
        assert_eq!(log.len(), plan.len());
        assert!(log.iter().all(|a| a.solver_status == Status::Optimal && a.status == Status::Inaccurate));
        assert!(log.iter().any(|a| a.tolerance < settings.tol_rel), "the tighter call ran: {log:?}");
    }

    #[test]
    fn a_backend_without_recovery_levels_falls_back_to_clarabel() {
        let plan = recovery_plan(Backend::GOOD_LP, &RECOVERY_PLAN);
        assert_eq!(plan.len(), RECOVERY_PLAN.len() + 1);
        assert_eq!(plan[0].backend, Backend::GOOD_LP);
        assert!(plan[1..].iter().all(|s| s.backend == Backend::CLARABEL));
    }

    #[test]
    fn a_watch_that_asks_to_stop_cancels_the_solve() {
        let plan = recovery_plan(Backend::CLARABEL, &RECOVERY_PLAN);
        let settings = SolverSettings::default();
        let stop: CallWatch = Arc::new(|_: &Iteration| true);
        let mut c = calls(&plan, &settings, &|_| 0.0);
        c.watch = Some(&stop);
        assert_eq!(c.run(&program(), &mut Vec::new()), Err(SolveError::Cancelled));
    }

    #[test]
    fn powers_of_two_are_exact_and_bounded() {
        assert_eq!(power_of_two(3.0), 4.0);
        assert_eq!(power_of_two(0.3), 0.25);
        assert_eq!(power_of_two(f64::NAN), 1.0);
        assert_eq!(power_of_two(-2.0), 1.0);
        assert_eq!(power_of_two(1e300), 2f64.powi(60));
    }
}
