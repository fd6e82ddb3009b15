//! The backends the driver can run, each with what it declares it takes.

use cnr_ir::{Capabilities, ConeProgram, Solution, SolverSettings};

/// A solver backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Clarabel, the interior-point conic solver: every cone.
    Clarabel,
    /// An LP solver through good_lp (microlp by default): linear programs only.
    GoodLp,
}

impl Backend {
    /// Every backend, default first.
    pub const ALL: [Backend; 2] = [Backend::Clarabel, Backend::GoodLp];

    /// The name used in models (`backend NAME`), on the command line and in records.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Clarabel => "clarabel",
            Backend::GoodLp => "good_lp",
        }
    }

    /// The backend of a name (`goodlp` is accepted for `good_lp`).
    pub fn from_name(name: &str) -> Option<Backend> {
        match name {
            "clarabel" => Some(Backend::Clarabel),
            "good_lp" | "goodlp" => Some(Backend::GoodLp),
            _ => None,
        }
    }

    /// What the backend declares it takes.
    pub fn capabilities(self) -> Capabilities {
        match self {
            Backend::Clarabel => cnr_clarabel::CAPABILITIES,
            Backend::GoodLp => cnr_goodlp::CAPABILITIES,
        }
    }

    /// Solves `program`. An error means the backend refused the program or could not run; a solve
    /// that ends badly is a [`Solution`] with that status.
    pub fn solve(self, program: &ConeProgram, settings: &SolverSettings) -> Result<Solution, String> {
        match self {
            Backend::Clarabel => cnr_clarabel::solve(program, settings).map_err(|e| e.to_string()),
            Backend::GoodLp => cnr_goodlp::solve(program, settings).map_err(|e| e.to_string()),
        }
    }
}
