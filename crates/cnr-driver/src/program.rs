//! Solving a cone program that came from elsewhere (a CBF file): no model to check against, so the
//! checks are the program's own.

use crate::compile::cone_words;
use crate::{Backend, SolveError};
use cnr_ir::{ConeProgram, Solution, SolverSettings, Status};
use serde::Serialize;

/// What a program's solve reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgramRecord {
    /// The program's name.
    pub program: String,
    /// The backend that solved it.
    pub backend: &'static str,
    /// How the solve ended.
    pub status: Status,
    /// The objective in the program's own sense (none without a point).
    pub objective: Option<f64>,
    /// The point.
    pub x: Option<Vec<f64>>,
    /// cnr's check of the point: the distance of `b − Ax` to the cones.
    pub cone_residual: Option<f64>,
    /// Seconds spent reading the program.
    pub read_seconds: f64,
    /// Seconds in the backend.
    pub solve_seconds: f64,
    /// The backend's iterations.
    pub iterations: u32,
    /// Columns.
    pub variables: usize,
    /// Rows.
    pub rows: usize,
    /// Non-zeros.
    pub nonzeros: usize,
}

/// Solves `program` with `backend`, after checking that the backend takes its cones (a refusal
/// names the rows, in the program's words).
pub fn solve_program(
    program: &ConeProgram,
    backend: Backend,
    settings: &SolverSettings,
    read_seconds: f64,
) -> Result<(ProgramRecord, Solution), SolveError> {
    if let Some(gap) = backend.capabilities().unsupported_rows(program).first() {
        return Err(SolveError(format!(
            "the {} backend cannot take this program: it has {}, from row {} ({})",
            backend.name(),
            cone_words(gap.kind),
            gap.rows.start,
            program.describe_row(gap.rows.start)
        )));
    }
    let solution = backend.solve(program, settings).map_err(SolveError)?;
    let has_point =
        matches!(solution.status, Status::Optimal | Status::Inaccurate) && solution.x.len() == program.n;
    let finite = |x: f64| x.is_finite().then_some(x);
    let record = ProgramRecord {
        program: program.name.clone(),
        backend: backend.name(),
        status: solution.status,
        objective: if has_point { finite(program.user_objective(solution.objective)) } else { None },
        x: has_point.then(|| solution.x.clone()),
        cone_residual: if has_point { finite(program.check_point(&solution.x).distance) } else { None },
        read_seconds,
        solve_seconds: solution.solve_seconds,
        iterations: solution.iterations,
        variables: program.n,
        rows: program.m(),
        nonzeros: program.a.nnz(),
    };
    Ok((record, solution))
}
