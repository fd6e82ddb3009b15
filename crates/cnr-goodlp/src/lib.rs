//! The good_lp backend of cnr: solves a **linear** cone program of the IR (zero and non-negative cones,
//! no quadratic objective) with one of good_lp's LP solvers.
//!
//! The default solver is microlp, a pure-Rust simplex solver, so the backend builds on a bare Rust
//! toolchain. Other good_lp solvers are available behind this crate's cargo features (`highs`,
//! `coin_cbc`, `clarabel`) through [`solve_with`]. Programs with second-order, exponential or power
//! cones are refused with [`GoodLpError::NotLinear`], which names the first such cone and its row: use
//! the Clarabel backend for them.
//!
//! ```
//! use cnr_ir::{Cone, ConeProgram, RowBuilder, Sense, SolverSettings, Status};
//! // minimise x subject to x ≥ 1, i.e. −x + s = −1 with s ≥ 0.
//! let mut rows = RowBuilder::new();
//! rows.push_row(&[(0, -1.0)], -1.0);
//! let (a, b) = rows.finish(1);
//! let mut p = ConeProgram::new("tiny", 1, Sense::Minimize);
//! p.q = vec![1.0];
//! p.a = a;
//! p.b = b;
//! p.cones = vec![Cone::Nonneg(1)];
//!
//! let solution = cnr_goodlp::solve(&p, &SolverSettings::default()).unwrap();
//! assert_eq!(solution.status, Status::Optimal);
//! assert!((solution.x[0] - 1.0).abs() < 1e-9);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::time::Instant;

use cnr_ir::{Capabilities, Cone, ConeProgram, IrError, Solution, SolverSettings, Status};
use good_lp::{
    variable, Constraint, Expression, ProblemVariables, ResolutionError, SolutionStatus, SolverModel,
    Variable,
};
use thiserror::Error;

/// Why the good_lp backend could not solve a program. Infeasibility, unboundedness and time limits are
/// not errors: they are reported in [`Solution::status`].
#[derive(Debug, Error, PartialEq)]
pub enum GoodLpError {
    /// The program does not validate.
    #[error("the program is invalid: {0}")]
    Invalid(#[from] IrError),
    /// The program has a cone an LP solver cannot handle.
    #[error(
        "the good_lp backend solves linear programs only, but cone {index} is a {kind} cone (its first row \
         is {row}); use the Clarabel backend for this program"
    )]
    NotLinear {
        /// Position of the cone in the program's cone list.
        index: usize,
        /// The cone's kind (`soc`, `exp`, `pow`).
        kind: &'static str,
        /// The cone's first row, in the model's words.
        row: String,
    },
    /// The objective has a quadratic part.
    #[error(
        "the good_lp backend solves linear programs only, but the objective has a quadratic part \
         (P has {nnz} non-zero entries); use the Clarabel backend for this program"
    )]
    Quadratic {
        /// How many non-zero entries `P` has.
        nnz: usize,
    },
    /// The solver failed for a reason that is not a property of the program.
    #[error("the {solver} LP solver failed: {message}")]
    Solver {
        /// The good_lp solver's name.
        solver: &'static str,
        /// What it said.
        message: String,
    },
}

/// The good_lp solvers this build offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LpSolver {
    /// microlp, a pure-Rust simplex solver (always available, the default).
    #[default]
    Microlp,
    /// HiGHS (cargo feature `highs`).
    #[cfg(feature = "highs")]
    Highs,
    /// COIN-OR Cbc (cargo feature `coin_cbc`).
    #[cfg(feature = "coin_cbc")]
    CoinCbc,
    /// Clarabel through good_lp (cargo feature `clarabel`).
    #[cfg(feature = "clarabel")]
    Clarabel,
}

impl LpSolver {
    /// Every solver compiled into this build, the default first.
    pub fn available() -> Vec<LpSolver> {
        vec![
            LpSolver::Microlp,
            #[cfg(feature = "highs")]
            LpSolver::Highs,
            #[cfg(feature = "coin_cbc")]
            LpSolver::CoinCbc,
            #[cfg(feature = "clarabel")]
            LpSolver::Clarabel,
        ]
    }

    /// The solver's name: `microlp`, `highs`, `coin_cbc` or `clarabel`.
    pub fn name(self) -> &'static str {
        match self {
            LpSolver::Microlp => "microlp",
            #[cfg(feature = "highs")]
            LpSolver::Highs => "highs",
            #[cfg(feature = "coin_cbc")]
            LpSolver::CoinCbc => "coin_cbc",
            #[cfg(feature = "clarabel")]
            LpSolver::Clarabel => "clarabel",
        }
    }

    /// The solver with the given [`name`](LpSolver::name), if this build has it.
    pub fn from_name(name: &str) -> Option<LpSolver> {
        LpSolver::available().into_iter().find(|s| s.name() == name)
    }
}

/// What the default solver (microlp) takes: linear programs, with a time limit.
pub const CAPABILITIES: Capabilities = Capabilities {
    zero: true,
    nonneg: true,
    second_order: false,
    exponential: false,
    power: false,
    quadratic_objective: false,
    iteration_limit: false,
    time_limit: true,
    reports_iterations: false,
    recovery_levels: 0,
};

/// Solves a linear program with the default LP solver (microlp).
///
/// Of the settings, only `time_limit` is honoured: microlp has no tolerances or iteration limit to set
/// and prints no log. [`Solution::iterations`] is 0, as good_lp does not report it.
pub fn solve(program: &ConeProgram, settings: &SolverSettings) -> Result<Solution, GoodLpError> {
    solve_with(program, settings, LpSolver::default())
}

/// Solves a linear program with the given good_lp solver.
///
/// The program must validate and be linear: only zero and non-negative cones, and `P = 0`. Every
/// variable is free; a row `a x + s = b` becomes `a x = b` (zero cone) or `a x ≤ b` (non-negative cone,
/// `s = b − a x ≥ 0`). `time_limit` is honoured by every solver except Clarabel.
pub fn solve_with(
    program: &ConeProgram,
    settings: &SolverSettings,
    solver: LpSolver,
) -> Result<Solution, GoodLpError> {
    program.validate()?;
    check_linear(program)?;
    let Model { variables, x, objective, constraints } = build(program);
    let problem = variables.minimise(objective);
    let start = Instant::now();
    let outcome = match solver {
        LpSolver::Microlp => {
            use good_lp::WithTimeLimit;
            let mut model = problem.using(good_lp::microlp);
            if let Some(t) = settings.time_limit {
                model = model.with_time_limit(t);
            }
            read_outcome(model.with_all(constraints).solve(), &x)
        }
        #[cfg(feature = "highs")]
        LpSolver::Highs => {
            use good_lp::WithTimeLimit;
            let mut model = problem.using(good_lp::highs);
            if let Some(t) = settings.time_limit {
                model = model.with_time_limit(t);
            }
            read_outcome(model.with_all(constraints).solve(), &x)
        }
        #[cfg(feature = "coin_cbc")]
        LpSolver::CoinCbc => {
            use good_lp::WithTimeLimit;
            let mut model = problem.using(good_lp::coin_cbc);
            if let Some(t) = settings.time_limit {
                model = model.with_time_limit(t);
            }
            read_outcome(model.with_all(constraints).solve(), &x)
        }
        #[cfg(feature = "clarabel")]
        LpSolver::Clarabel => {
            read_outcome(problem.using(good_lp::clarabel).with_all(constraints).solve(), &x)
        }
    };
    let solve_seconds = start.elapsed().as_secs_f64();
    let (status, x) = outcome.map_err(|message| GoodLpError::Solver { solver: solver.name(), message })?;
    let objective = match status {
        // The optimal value of an infeasible minimisation is +∞ and of an unbounded one −∞ by convention.
        Status::Infeasible => f64::INFINITY,
        Status::Unbounded => f64::NEG_INFINITY,
        _ => program.objective(&x),
    };
    // The slack s = b − A x, as Clarabel would report it.
    let mut s = program.b.clone();
    let mut ax = vec![0.0; program.m()];
    program.a.mul_add(&x, &mut ax);
    for (si, axi) in s.iter_mut().zip(&ax) {
        *si -= axi;
    }
    Ok(Solution { status, x, s, z: Vec::new(), objective, iterations: 0, solve_seconds })
}

/// Refuses a quadratic objective and any cone other than zero and non-negative, naming the first.
fn check_linear(program: &ConeProgram) -> Result<(), GoodLpError> {
    let nnz = program.p.nzval.iter().filter(|&&v| v != 0.0).count();
    if nnz > 0 {
        return Err(GoodLpError::Quadratic { nnz });
    }
    let mut row = 0;
    for (index, cone) in program.cones.iter().enumerate() {
        if !matches!(cone, Cone::Zero(_) | Cone::Nonneg(_)) {
            return Err(GoodLpError::NotLinear { index, kind: cone.kind(), row: program.describe_row(row) });
        }
        row += cone.dim();
    }
    Ok(())
}

/// The program in good_lp's terms.
struct Model {
    variables: ProblemVariables,
    x: Vec<Variable>,
    objective: Expression,
    constraints: Vec<Constraint>,
}

fn build(program: &ConeProgram) -> Model {
    let mut variables = ProblemVariables::new();
    let x = variables.add_vector(variable(), program.n);
    let mut objective = Expression::with_capacity(program.q.iter().filter(|&&v| v != 0.0).count());
    for (j, &qj) in program.q.iter().enumerate() {
        if qj != 0.0 {
            objective.add_mul(qj, x[j]);
        }
    }
    // The constant c is left out of the solver's objective and added back by `ConeProgram::objective`.

    // A is stored by columns; good_lp wants one expression per row.
    let m = program.m();
    let mut rows: Vec<Expression> = (0..m).map(|_| Expression::with_capacity(4)).collect();
    for (j, &xj) in x.iter().enumerate() {
        for (i, v) in program.a.column(j) {
            if v != 0.0 {
                rows[i].add_mul(v, xj);
            }
        }
    }
    let mut constraints = Vec::with_capacity(m);
    let mut rows = rows.into_iter().zip(&program.b);
    for cone in &program.cones {
        for (expr, &b) in rows.by_ref().take(cone.dim()) {
            constraints.push(match cone {
                // s = b − a x = 0.
                Cone::Zero(_) => expr.eq(b),
                // s = b − a x ≥ 0, i.e. a x ≤ b.
                _ => expr.leq(b),
            });
        }
    }
    Model { variables, x, objective, constraints }
}

/// Maps good_lp's answer to a status and a point; `Err` only for failures that say nothing about the
/// program.
fn read_outcome<S: good_lp::Solution>(
    outcome: Result<S, ResolutionError>,
    x: &[Variable],
) -> Result<(Status, Vec<f64>), String> {
    match outcome {
        Ok(solution) => {
            let status = match solution.status() {
                SolutionStatus::Optimal => Status::Optimal,
                SolutionStatus::TimeLimit => Status::TimeLimit,
                // A gap limit only applies to integer programs; an LP stopped by one is not proven optimal.
                SolutionStatus::GapLimit => Status::Inaccurate,
            };
            Ok((status, x.iter().map(|&v| solution.value(v)).collect()))
        }
        Err(ResolutionError::Infeasible) => Ok((Status::Infeasible, vec![0.0; x.len()])),
        Err(ResolutionError::Unbounded) => Ok((Status::Unbounded, vec![0.0; x.len()])),
        // microlp reports a time limit hit before any feasible point as this message.
        Err(ResolutionError::Other(message)) if message.to_ascii_lowercase().contains("time limit") => {
            Ok((Status::TimeLimit, vec![0.0; x.len()]))
        }
        Err(other) => Err(other.to_string()),
    }
}
