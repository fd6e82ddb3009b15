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
    /// Every call of a backend, as for a model (docs/solving.md).
    pub attempts: Vec<crate::Attempt>,
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
    let mut attempts = Vec::new();
    let solution = match trivial(program, settings.tol_rel)? {
        Some(solution) => solution,
        None => {
            let calls = crate::solve::Calls {
                plan: &crate::solve::recovery_plan(backend, &crate::solve::PROGRAM_PLAN),
                settings,
                objective_scale: &|_| 1.0,
                violation: &|x: &[f64]| program.check_point(x).relative_violation(),
                always_feasible: false,
                progress: None,
            };
            calls.run(program, &mut attempts)?
        }
    };
    let backend_name = attempts.last().map_or(backend.name(), |a: &crate::Attempt| a.backend);
    let has_point =
        matches!(solution.status, Status::Optimal | Status::Inaccurate) && solution.x.len() == program.n;
    let finite = |x: f64| x.is_finite().then_some(x);
    let record = ProgramRecord {
        program: program.name.clone(),
        backend: backend_name,
        status: solution.status,
        objective: if has_point { finite(program.user_objective(solution.objective)) } else { None },
        x: has_point.then(|| solution.x.clone()),
        cone_residual: if has_point { finite(program.check_point(&solution.x).distance) } else { None },
        read_seconds,
        solve_seconds: solution.solve_seconds,
        iterations: solution.iterations,
        attempts,
        variables: program.n,
        rows: program.m(),
        nonzeros: program.a.nnz(),
    };
    Ok((record, solution))
}

/// Solves a program without rows or without columns, which backends do not take (Clarabel's
/// factorisation fails on an empty system): `None` for any other program.
///
/// - No columns: the only point is the empty one, feasible when `b` itself is in the cones.
/// - No rows and no quadratic part: optimal at `x = 0` when `q = 0`, else unbounded along `−q`.
/// - No rows with a quadratic part is refused: cnr solves only conic programs with constraints.
fn trivial(program: &ConeProgram, tol: f64) -> Result<Option<Solution>, SolveError> {
    let solution = |status, x: Vec<f64>, objective| Solution {
        status,
        s: program.b.clone(),
        z: Vec::new(),
        x,
        objective,
        iterations: 0,
        solve_seconds: 0.0,
    };
    if program.n == 0 {
        let scale = program.b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        return Ok(Some(if program.cone_distance(&program.b) <= tol * scale {
            solution(Status::Optimal, Vec::new(), program.c)
        } else {
            solution(Status::Infeasible, Vec::new(), f64::INFINITY)
        }));
    }
    if program.m() > 0 {
        return Ok(None);
    }
    if program.p.nzval.iter().any(|&v| v != 0.0) {
        return Err(SolveError(
            "the program has a quadratic objective and no constraints; cnr solves it only with at least one constraint row"
                .into(),
        ));
    }
    Ok(Some(if program.q.iter().all(|&q| q == 0.0) {
        solution(Status::Optimal, vec![0.0; program.n], program.c)
    } else {
        // Along −q the objective falls without end, and there is no row to stop it.
        solution(Status::Unbounded, program.q.iter().map(|q| -q).collect(), f64::NEG_INFINITY)
    }))
}
