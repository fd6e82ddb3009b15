//! The backends cnr can run, each with what it declares it takes: the only module of cnr that
//! names a backend crate.

use crate::SolveError;
use cnr_goodlp::LpSolver;
use cnr_ir::{Capabilities, ConeProgram, Solution, SolverSettings};
use std::sync::Arc;

/// A solver backend, known by its name ([`Backend::parse`]); which solver crate runs it is this
/// crate's business.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backend(Kind);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Clarabel, the interior-point conic solver: every cone.
    Clarabel,
    /// An LP solver through good_lp: linear programs only. `microlp` (pure Rust) is always there;
    /// HiGHS, Cbc and good_lp's Clarabel come with cargo features (docs/backends.md).
    GoodLp(LpSolver),
}

/// Why a name names no backend of this build.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BackendNameError {
    /// No backend has the name.
    #[error("unknown backend `{name}`; known: clarabel, good_lp, good_lp:SOLVER")]
    Unknown {
        /// The name.
        name: String,
    },
    /// good_lp has the solver, but this build was made without its feature.
    #[error("this build of cnr has no `{solver}` for good_lp: build it with `--features {feature}` (docs/backends.md says what that needs)")]
    NotBuilt {
        /// The solver.
        solver: String,
        /// The cargo feature that brings it.
        feature: &'static str,
    },
    /// good_lp has no such solver.
    #[error("good_lp has no solver `{solver}`; cnr knows {}", LP_SOLVERS.iter().map(|s| s.0).collect::<Vec<_>>().join(", "))]
    UnknownLpSolver {
        /// The solver.
        solver: String,
    },
}

/// Told each iteration and its relative gap; returns `true` to stop the solve.
pub type Watch = Arc<dyn Fn(u32, f64) -> bool + Send + Sync>;

/// The good_lp solvers cnr knows of, whether or not this build has them, with the feature that
/// brings each.
const LP_SOLVERS: &[(&str, &str)] = &[
    ("microlp", "always built"),
    ("highs", "highs"),
    ("coin_cbc", "coin_cbc"),
    ("clarabel", "goodlp_clarabel"),
];

/// Clarabel's bytes per non-zero and per row or column ([`Backend::work_bytes`]): measured 163 B
/// (LP), 292 (second-order), 273 (exponential) and 220 (power) per non-zero of bench_relu-sized
/// programs at 4.4–5.0 M non-zeros, whose rows and columns differ by class; this fit covers each,
/// 9% (second-order) to 40% (LP, exponential) above.
const CLARABEL_BYTES: (u128, u128) = (150, 900);
/// good_lp's (microlp) bytes ([`Backend::work_bytes`]): measured 233–278 B per non-zero on LPs of
/// 0.1–0.45 M non-zeros (it is too slow for larger ones); this fit covers both.
const GOOD_LP_BYTES: (u128, u128) = (250, 900);

impl Backend {
    /// Clarabel, the interior-point conic solver: every cone. The default.
    pub const CLARABEL: Backend = Backend(Kind::Clarabel);
    /// good_lp with microlp (pure Rust): linear programs only.
    pub const GOOD_LP: Backend = Backend(Kind::GoodLp(LpSolver::Microlp));
    /// Every backend, default first (good_lp with its default solver).
    pub const ALL: [Backend; 2] = [Backend::CLARABEL, Backend::GOOD_LP];

    /// The name used in models (`backend NAME`), on the command line and in records: `clarabel`,
    /// `good_lp` (microlp), `good_lp:highs`, …
    pub fn name(self) -> &'static str {
        match self.0 {
            Kind::Clarabel => "clarabel",
            Kind::GoodLp(LpSolver::Microlp) => "good_lp",
            Kind::GoodLp(s) => match s.name() {
                "highs" => "good_lp:highs",
                "coin_cbc" => "good_lp:coin_cbc",
                "clarabel" => "good_lp:clarabel",
                _ => "good_lp",
            },
        }
    }

    /// The backend of a name (`goodlp` is accepted for `good_lp`), if this build has it.
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::parse(name).ok()
    }

    /// The backend of a name, or why there is none: unknown, or a good_lp solver this build lacks
    /// (with the feature that brings it).
    pub fn parse(name: &str) -> Result<Backend, BackendNameError> {
        match name {
            "clarabel" => return Ok(Backend::CLARABEL),
            "good_lp" | "goodlp" => return Ok(Backend::GOOD_LP),
            _ => {}
        }
        let Some(solver) = name.strip_prefix("good_lp:").or_else(|| name.strip_prefix("goodlp:")) else {
            return Err(BackendNameError::Unknown { name: name.to_string() });
        };
        if let Some(s) = LpSolver::from_name(solver) {
            return Ok(Backend(Kind::GoodLp(s)));
        }
        match LP_SOLVERS.iter().find(|(n, _)| *n == solver) {
            Some(&(_, feature)) => Err(BackendNameError::NotBuilt { solver: solver.to_string(), feature }),
            None => Err(BackendNameError::UnknownLpSolver { solver: solver.to_string() }),
        }
    }

    /// What the backend declares it takes.
    pub fn capabilities(self) -> Capabilities {
        match self.0 {
            Kind::Clarabel => cnr_clarabel::CAPABILITIES,
            Kind::GoodLp(_) => cnr_goodlp::CAPABILITIES,
        }
    }

    /// The bytes the backend takes beside the program while it solves one of `nonzeros` non-zeros
    /// in `A` and `rows + variables` rows and columns: its own copy of the matrix, the KKT system
    /// and its factors, its iterates, and the copy of the program cnr scales for it. Peak resident
    /// memory measured over every cone class by `bench/solver_memory.sh` (bench/README.md), and
    /// fitted to lie above every measurement.
    pub fn work_bytes(self, nonzeros: u128, rows_and_columns: u128) -> u128 {
        let (per_nonzero, per_row) = match self.0 {
            Kind::Clarabel => CLARABEL_BYTES,
            Kind::GoodLp(_) => GOOD_LP_BYTES,
        };
        per_nonzero * nonzeros + per_row * rows_and_columns
    }

    /// Solves `program`, telling `watch` each iteration and its relative gap where the backend
    /// reports them (Clarabel), and stopping when it returns `true`. An error means the backend
    /// refused the program, could not run, or was stopped; a solve that ends badly is a [`Solution`]
    /// with that status.
    pub fn run(
        self,
        program: &ConeProgram,
        settings: &SolverSettings,
        watch: Option<Watch>,
    ) -> Result<Solution, SolveError> {
        let failed = |message: String| SolveError::Backend { backend: self.name(), message };
        match self.0 {
            Kind::Clarabel => match cnr_clarabel::solve_with_progress(program, settings, watch) {
                Ok(solution) => Ok(solution),
                Err(cnr_clarabel::ClarabelError::Stopped) => Err(SolveError::Cancelled),
                Err(e) => Err(failed(e.to_string())),
            },
            Kind::GoodLp(s) => {
                cnr_goodlp::solve_with(program, settings, s).map_err(|e| failed(e.to_string()))
            }
        }
    }
}
