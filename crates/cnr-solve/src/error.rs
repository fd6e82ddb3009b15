//! What can go wrong in solving a program, as types.

/// Why a solve could not run to a status.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SolveError {
    /// The backend does not take a kind of cone the program has.
    #[error("the {backend} backend cannot take this program: it has {cones}, from row {row} ({row_text})")]
    Unsupported {
        /// The backend.
        backend: &'static str,
        /// The cones, in words.
        cones: &'static str,
        /// The first such row.
        row: usize,
        /// What that row is, in the program's words.
        row_text: String,
    },
    /// A program cnr does not solve: a quadratic objective without constraints.
    #[error(
        "the program has a quadratic objective and no constraints; cnr solves it only with at least one constraint row"
    )]
    QuadraticWithoutRows,
    /// The backend refused the program or failed to run.
    #[error("{message}")]
    Backend {
        /// The backend.
        backend: &'static str,
        /// What it said.
        message: String,
    },
    /// The watcher of the backend's iterations asked it to stop.
    #[error("cancelled")]
    Cancelled,
}

/// A program file that cannot be read or written: what is wrong, naming the file, and what to do.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ProgramError {
    /// What is wrong, naming the file.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl ProgramError {
    /// An error without a hint.
    pub(crate) fn new(message: impl Into<String>) -> ProgramError {
        ProgramError { message: message.into(), hint: None }
    }
}

/// How a cone kind is named in messages.
pub fn cone_words(kind: &str) -> &'static str {
    match kind {
        "soc" => "second-order cones",
        "exp" => "exponential cones",
        "pow" => "power cones",
        "zero" => "equality rows",
        _ => "inequality rows",
    }
}
