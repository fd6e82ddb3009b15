//! Cone programs as files: reading CBF and cnr's JSON form, writing the printed IR, JSON and CBF,
//! and solving a program that came from elsewhere — no model to check against, so the checks are
//! the program's own.

use crate::{cone_words, power_of_two, Attempt, Backend, CallWatch, Calls, ProgramError, Scale, SolveError};
use cnr_ir::{ConeProgram, Solution, SolverSettings, Status};
use serde::Serialize;
use std::time::Instant;

/// The file formats of a cone program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramFormat {
    /// The printed IR (written only).
    Ir,
    /// cnr's JSON form of the IR (`docs/ir.md`).
    Json,
    /// The Conic Benchmark Format.
    Cbf,
}

impl ProgramFormat {
    /// The format a file name's extension says a program is in (`.cbf`, `.json`); `None` for
    /// anything else, such as a model.
    pub fn of_file_name(name: &str) -> Option<ProgramFormat> {
        let ext = std::path::Path::new(name).extension()?.to_string_lossy().to_ascii_lowercase();
        match ext.as_str() {
            "cbf" => Some(ProgramFormat::Cbf),
            "json" => Some(ProgramFormat::Json),
            _ => None,
        }
    }
}

/// A program read from a file's text, validated, with the seconds reading took. `file` names the
/// file in errors; the program is named `name`. A CBF file's declared sizes are held to
/// `max_memory` bytes before anything is allocated.
pub fn read_program(
    text: &str,
    format: ProgramFormat,
    file: &str,
    name: &str,
    max_memory: u64,
) -> Result<(ConeProgram, f64), ProgramError> {
    let start = Instant::now();
    let (program, hint) = match format {
        ProgramFormat::Cbf => (
            cnr_cbf::read_cbf(text, name, max_memory).map_err(|e| e.to_string()),
            "see docs/backends.md for what cnr reads",
        ),
        ProgramFormat::Json | ProgramFormat::Ir => (
            ConeProgram::from_json(text).map_err(|e| e.to_string()),
            "cnr reads the JSON that `cnr compile --emit json` writes (docs/ir.md)",
        ),
    };
    let program = program
        .map_err(|e| ProgramError { message: format!("{file}: {e}"), hint: Some(hint.to_string()) })?;
    program.validate().map_err(|e| ProgramError::new(format!("{file}: the program is not valid: {e}")))?;
    Ok((program, start.elapsed().as_secs_f64()))
}

/// A program written in `format`.
pub fn write_program(program: &ConeProgram, format: ProgramFormat) -> Result<Vec<u8>, ProgramError> {
    program
        .validate()
        .map_err(|e| ProgramError::new(format!("internal error: the lowered program is invalid: {e}")))?;
    Ok(match format {
        ProgramFormat::Ir => program.to_string().into_bytes(),
        ProgramFormat::Json => format!("{}\n", program.to_json()).into_bytes(),
        ProgramFormat::Cbf => {
            let mut bytes = Vec::new();
            cnr_cbf::write_cbf(program, &mut bytes, env!("CARGO_PKG_VERSION"))
                .map_err(|e| ProgramError::new(e.to_string()))?;
            bytes
        }
    })
}

/// How a program from a file is solved: the backend, the tolerance, the backend's log, and the
/// watcher of its iterations.
#[derive(Clone)]
pub struct ProgramSolve {
    /// The backend.
    pub backend: Backend,
    /// Absolute and relative tolerance.
    pub tolerance: f64,
    /// Whether the backend prints its log (on standard error).
    pub verbose: bool,
    /// Told each iteration; asked whether to stop.
    pub watch: Option<CallWatch>,
    /// Seconds the whole solve may take (every call of its plan); `None`: no limit.
    pub time_limit: Option<f64>,
}

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
    pub attempts: Vec<Attempt>,
    /// Columns.
    pub variables: usize,
    /// Rows.
    pub rows: usize,
    /// Non-zeros.
    pub nonzeros: usize,
}

/// Solves `program`, after checking that the backend takes its cones (a refusal names the rows,
/// in the program's words). `read_seconds` is reported as the time it took to read.
pub fn solve_program(
    program: &ConeProgram,
    request: &ProgramSolve,
    read_seconds: f64,
) -> Result<ProgramRecord, SolveError> {
    let (backend, tolerance) = (request.backend, request.tolerance);
    let settings = &SolverSettings {
        tol_abs: tolerance,
        tol_rel: tolerance,
        verbose: request.verbose,
        time_limit: request.time_limit,
        ..SolverSettings::default()
    };
    let deadline = crate::deadline_after(std::time::Instant::now(), request.time_limit);
    if let Some(gap) = backend.capabilities().unsupported_rows(program).first() {
        return Err(SolveError::Unsupported {
            backend: backend.name(),
            cones: cone_words(gap.kind),
            row: gap.rows.start,
            row_text: program.describe_row(gap.rows.start),
        });
    }
    let mut attempts = Vec::new();
    // A point, its dual point and their gap are judged on an equilibrated copy, where `A`, `b` and
    // `q` have entries near 1: there the floor of 1 under each relative figure means the same in
    // every program, whereas on the program as written rows of 1e-9 would be "feasible" to an
    // absolute 1e-7 whatever the point.
    let mut balanced = program.clone();
    let factors = crate::equilibrate(&mut balanced);
    let judged_on = (balanced, factors);
    let solution = match trivial(program, settings.tol_rel)? {
        Some(solution) => solution,
        None => {
            let calls = Calls {
                plan: &crate::recovery_plan(backend, &crate::PROGRAM_PLAN),
                settings,
                objective_scale: &|scale| match scale {
                    Scale::UnitObjective => {
                        let q = program.q.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                        power_of_two(1.0 / q)
                    }
                    _ => 1.0,
                },
                violation: &|x: &[f64]| {
                    judged_on.0.check_point(&judged_on.1.to_scaled_primal(x)).relative_violation()
                },
                always_feasible: false,
                judged_on: (program.p.nnz() == 0).then_some(&judged_on),
                watch: request.watch.as_ref(),
                deadline,
                judge_almost_solved: true,
            };
            calls.run(program, &mut attempts)?
        }
    };
    let backend_name = attempts.last().map_or(backend.name(), |a: &Attempt| a.backend);
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
    Ok(record)
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
        return Err(SolveError::QuadraticWithoutRows);
    }
    Ok(Some(if program.q.iter().all(|&q| q == 0.0) {
        solution(Status::Optimal, vec![0.0; program.n], program.c)
    } else {
        // Along −q the objective falls without end, and there is no row to stop it.
        solution(Status::Unbounded, program.q.iter().map(|q| -q).collect(), f64::NEG_INFINITY)
    }))
}
