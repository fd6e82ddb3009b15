//! What can go wrong in a request, as types: the caller decides how to show each and which exit
//! code it earns.

use crate::Sources;
use cnr_solve::{ProgramError, SolveError};
use cnr_syntax::Diagnostic;

/// Why a request did not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model (with its settings) does not compile: diagnostics about its text.
    #[error("{}", .0.render())]
    Model(Box<ModelErrors>),
    /// The request itself is malformed (a setting's key names no block, a value that cannot be a
    /// parameter's name): a usage error of the caller.
    #[error("{0}")]
    Usage(String),
    /// An input besides the model is wrong: a program file, the filters to evaluate.
    #[error("{message}")]
    Input {
        /// What is wrong, naming the input.
        message: String,
        /// What to do about it.
        hint: Option<String>,
    },
    /// A backend refused or could not run (`cnr-solve`).
    #[error(transparent)]
    Solve(SolveError),
    /// A method's own work (the w-space method's LP, gradient descent's patches) would not fit the
    /// memory budget beside the data.
    #[error(
        "{method} needs up to {} MiB with the data, more than the memory budget of {} MiB; raise it with --max-memory, use fewer samples (--samples), or choose another method",
        .need >> 20,
        .budget >> 20
    )]
    MethodOverBudget {
        /// The method.
        method: &'static str,
        /// Bytes it needs with the data.
        need: u128,
        /// The budget, in bytes.
        budget: u64,
    },
    /// A program would not fit the memory budget.
    #[error(
        "the program of {samples} samples needs about {} MiB with the data and {backend}'s own work on it ({} MiB), more than the memory budget of {} MiB; raise it with --max-memory, or use fewer samples (--samples){}",
        .need >> 20,
        .solver >> 20,
        .budget >> 20,
        if *.whole { ", or solve by cutting planes (--method cutting-plane), which builds programs of subsets" } else { "" }
    )]
    OverBudget {
        /// Samples in the program.
        samples: usize,
        /// Bytes it needs with the data and the backend's work.
        need: u128,
        /// The backend's part of `need` (`cnr_solve::Backend::work_bytes`).
        solver: u128,
        /// The backend.
        backend: &'static str,
        /// The budget, in bytes.
        budget: u64,
        /// Whether it was the whole program (cutting planes would build smaller ones).
        whole: bool,
    },
    /// The caller asked to stop ([`crate::Hooks::cancel`]).
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// An [`Error::Input`] without a hint.
    pub(crate) fn input(message: impl Into<String>) -> Error {
        Error::Input { message: message.into(), hint: None }
    }
}

/// A model's errors, with the texts they point into.
#[derive(Clone, Debug)]
pub struct ModelErrors {
    /// The model's text and its settings' texts.
    pub sources: Sources,
    /// The errors, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl ModelErrors {
    /// The errors rendered with their source lines.
    pub fn render(&self) -> String {
        self.sources.render(&self.diagnostics)
    }
}

impl From<SolveError> for Error {
    /// A stopped backend is the caller's cancellation; anything else, the backend's error.
    fn from(e: SolveError) -> Error {
        match e {
            SolveError::Cancelled => Error::Cancelled,
            e => Error::Solve(e),
        }
    }
}

impl From<cnr_syntax::SettingError> for Error {
    fn from(e: cnr_syntax::SettingError) -> Error {
        Error::Usage(e.0)
    }
}

impl From<ProgramError> for Error {
    fn from(e: ProgramError) -> Error {
        Error::Input { message: e.message, hint: e.hint }
    }
}
