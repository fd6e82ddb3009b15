//! The backends the driver can run, each with what it declares it takes.

use cnr_goodlp::LpSolver;
use cnr_ir::{Capabilities, ConeProgram, Solution, SolverSettings};

/// A solver backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Clarabel, the interior-point conic solver: every cone.
    Clarabel,
    /// An LP solver through good_lp: linear programs only. `microlp` (pure Rust) is always there;
    /// HiGHS, Cbc and good_lp's Clarabel come with cargo features (docs/backends.md).
    GoodLp(LpSolver),
}

/// The good_lp solvers cnr knows of, whether or not this build has them, with the feature that
/// brings each.
const LP_SOLVERS: &[(&str, &str)] = &[
    ("microlp", "always built"),
    ("highs", "highs"),
    ("coin_cbc", "coin_cbc"),
    ("clarabel", "goodlp_clarabel"),
];

impl Backend {
    /// Every backend, default first (good_lp with its default solver).
    pub const ALL: [Backend; 2] = [Backend::Clarabel, Backend::GoodLp(LpSolver::Microlp)];

    /// The name used in models (`backend NAME`), on the command line and in records: `clarabel`,
    /// `good_lp` (microlp), `good_lp:highs`, …
    pub fn name(self) -> &'static str {
        match self {
            Backend::Clarabel => "clarabel",
            Backend::GoodLp(LpSolver::Microlp) => "good_lp",
            Backend::GoodLp(s) => match s.name() {
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
    pub fn parse(name: &str) -> Result<Backend, String> {
        match name {
            "clarabel" => return Ok(Backend::Clarabel),
            "good_lp" | "goodlp" => return Ok(Backend::GoodLp(LpSolver::Microlp)),
            _ => {}
        }
        let Some(solver) = name.strip_prefix("good_lp:").or_else(|| name.strip_prefix("goodlp:")) else {
            return Err(format!("unknown backend `{name}`; known: clarabel, good_lp, good_lp:SOLVER"));
        };
        if let Some(s) = LpSolver::from_name(solver) {
            return Ok(Backend::GoodLp(s));
        }
        match LP_SOLVERS.iter().find(|(n, _)| *n == solver) {
            Some((_, feature)) => Err(format!(
                "this build of cnr has no `{solver}` for good_lp: build it with `--features {feature}` (docs/backends.md says what that needs)"
            )),
            None => {
                let names: Vec<&str> = LP_SOLVERS.iter().map(|s| s.0).collect();
                Err(format!("good_lp has no solver `{solver}`; cnr knows {}", names.join(", ")))
            }
        }
    }

    /// What the backend declares it takes.
    pub fn capabilities(self) -> Capabilities {
        match self {
            Backend::Clarabel => cnr_clarabel::CAPABILITIES,
            Backend::GoodLp(_) => cnr_goodlp::CAPABILITIES,
        }
    }

    /// Solves `program`. An error means the backend refused the program or could not run; a solve
    /// that ends badly is a [`Solution`] with that status.
    pub fn solve(self, program: &ConeProgram, settings: &SolverSettings) -> Result<Solution, String> {
        self.solve_telling(program, settings, None)
    }

    /// [`Backend::solve`], telling `iterations` each iteration and its relative gap where the
    /// backend reports them (Clarabel).
    pub fn solve_telling(
        self,
        program: &ConeProgram,
        settings: &SolverSettings,
        iterations: Option<cnr_clarabel::IterationHook>,
    ) -> Result<Solution, String> {
        match self {
            Backend::Clarabel => {
                cnr_clarabel::solve_with_progress(program, settings, iterations).map_err(|e| e.to_string())
            }
            Backend::GoodLp(s) => cnr_goodlp::solve_with(program, settings, s).map_err(|e| e.to_string()),
        }
    }
}
