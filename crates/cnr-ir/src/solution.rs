use serde::{Deserialize, Serialize};

/// How a solve ended, in the project's own terms (each backend maps its solver's statuses here).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Solved to the requested tolerances.
    Optimal,
    /// The constraints admit no point.
    Infeasible,
    /// The objective decreases without bound (the user's maximisation increases without bound).
    Unbounded,
    /// The iteration limit was reached first.
    IterationLimit,
    /// The time limit was reached first.
    TimeLimit,
    /// The solver stopped close to, but not within, the requested tolerances.
    Inaccurate,
    /// The solver failed for numerical reasons.
    NumericalError,
}

impl Status {
    /// Whether `x` is a trustworthy optimum.
    pub fn is_optimal(self) -> bool {
        self == Status::Optimal
    }

    /// The status as written in output (`optimal`, `iteration_limit`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Optimal => "optimal",
            Status::Infeasible => "infeasible",
            Status::Unbounded => "unbounded",
            Status::IterationLimit => "iteration_limit",
            Status::TimeLimit => "time_limit",
            Status::Inaccurate => "inaccurate",
            Status::NumericalError => "numerical_error",
        }
    }
}

/// What a backend returns: the status, the primal point and the solver's bookkeeping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// How the solve ended.
    pub status: Status,
    /// The primal point `x` (length `n`); meaningful only when `status` is optimal or inaccurate.
    pub x: Vec<f64>,
    /// The slack `s = b − A x` as the solver reports it (length `m`; empty if the backend has none).
    pub s: Vec<f64>,
    /// The dual point `z` (length `m`, in the dual cone), when the backend gives one (else empty):
    /// at an optimum `Aᵀz + Px + q = 0`, which lets a caller check the optimality claim itself.
    pub z: Vec<f64>,
    /// The objective of the stored minimisation at `x` (see [`crate::ConeProgram::user_objective`]).
    pub objective: f64,
    /// Iterations the solver took.
    pub iterations: u32,
    /// Wall-clock seconds spent in the solver.
    pub solve_seconds: f64,
}

/// Settings every backend understands; a backend ignores what it cannot honour and says so.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SolverSettings {
    /// Absolute tolerance (gap and feasibility).
    pub tol_abs: f64,
    /// Relative tolerance (gap and feasibility).
    pub tol_rel: f64,
    /// Iteration limit.
    pub max_iter: u32,
    /// Time limit in seconds, if any.
    pub time_limit: Option<f64>,
    /// Whether the solver prints its own log.
    pub verbose: bool,
    /// Which of the backend's settings to use: 0 is its fastest (Clarabel: its defaults without
    /// iterative refinement), 1 its defaults; each higher level is a documented, more
    /// conservative set, for a later attempt after a solve that ended inaccurate or with a
    /// numerical error. A backend without such settings ignores it.
    pub recovery: u32,
}

impl Default for SolverSettings {
    fn default() -> Self {
        SolverSettings {
            tol_abs: 1e-8,
            tol_rel: 1e-8,
            max_iter: 200,
            time_limit: None,
            verbose: false,
            // The backend's defaults; the driver asks for its fastest settings itself, on the
            // first call of a relaxation.
            recovery: 1,
        }
    }
}
