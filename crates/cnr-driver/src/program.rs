//! Cone programs from files, through the front door: `cnr-solve` reads, writes and solves them;
//! this module fills in the defaults of a model's solve and the caller's hooks.

use crate::{Error, Hooks};
use cnr_ir::ConeProgram;
use cnr_solve::{Backend, ProgramSolve};
pub use cnr_solve::{ProgramFormat, ProgramRecord};

/// How a program from a file is solved: the backend (`None`: Clarabel), the tolerance (`None`:
/// the models' default, so that a model and the program written from it are solved alike), the
/// backend's log, and the hooks.
#[derive(Clone, Debug, Default)]
pub struct ProgramRequest {
    /// The backend.
    pub backend: Option<Backend>,
    /// Absolute and relative tolerance.
    pub tolerance: Option<f64>,
    /// Whether the backend prints its log (on standard error).
    pub verbose: bool,
    /// Progress and cancellation.
    pub hooks: Hooks,
}

/// A program read from a file's text, validated, with the seconds reading took. `file` names the
/// file in errors; the program is named `name`. A CBF file's declared sizes are held to
/// `max_memory` bytes (`None`: the driver's default budget) before anything is allocated.
pub fn read_program(
    text: &str,
    format: ProgramFormat,
    file: &str,
    name: &str,
    max_memory: Option<u64>,
) -> Result<(ConeProgram, f64), Error> {
    let budget = crate::Limits { max_memory, ..crate::Limits::default() }.memory_budget();
    Ok(cnr_solve::read_program(text, format, file, name, budget)?)
}

/// A program written in `format`.
pub fn write_program(program: &ConeProgram, format: ProgramFormat) -> Result<Vec<u8>, Error> {
    Ok(cnr_solve::write_program(program, format)?)
}

/// Solves `program`, after checking that the backend takes its cones (a refusal names the rows,
/// in the program's words). `read_seconds` is reported as the time it took to read.
pub fn solve_program(
    program: &ConeProgram,
    request: &ProgramRequest,
    read_seconds: f64,
) -> Result<ProgramRecord, Error> {
    let solve = ProgramSolve {
        backend: request.backend.unwrap_or(Backend::CLARABEL),
        tolerance: request.tolerance.unwrap_or(cnr_check::SolverSpec::default().tolerance),
        verbose: request.verbose,
        watch: Some(request.hooks.call_watch()),
        time_limit: None,
    };
    Ok(cnr_solve::solve_program(program, &solve, read_seconds)?)
}
