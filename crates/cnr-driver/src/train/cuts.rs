//! The exact form by cutting planes over its sign rows (docs/learned.md, "Cutting planes"): the
//! program over the arrangements is solved holding only some of its `2·P·n·K` sign rows — at
//! first none — and each round adds, per group, the rows its point violates most. A program
//! holding fewer rows is a relaxation of the whole one, so a point of it that violates no row
//! (within the tolerance, relative to `max |y|`, the measure of the record's `sign_violation`) is
//! an optimum of the whole program.

use super::methods::{fits_budget_of, solve_conic, time_left, tolerance, Solve, LEARNED_TOLERANCE};
use super::SignCutRecord;
use crate::{Compiled, Error, Request};
use cnr_ir::Status;
use cnr_lower::learned::{
    lower_learned_rows, patch_matrix, plan_learned_with, sign_rows, LearnedLayout, PatternSet, SignRows,
};
use std::time::Instant;

/// Above this many sign rows `auto` solves the exact form by cutting planes (docs/learned.md,
/// "Cutting planes"): `examples/learned/teacher.cnr` (33,600 rows) took 0.91 s whole and 0.43 s by
/// cuts, the digits' exact form over 19 patterns (430,236 rows) 231 s whole and 10.2 s by cuts.
pub const CUT_ROWS: usize = 30_000;

/// Rows added to a group in a round: its most violated ones. Fewer rows a round make more rounds
/// of smaller programs; on the digits' 19 patterns 2, 4, 8, 16, 64 and 256 took 13.5, 7.9, 10.2,
/// 11.6, 18.7 and 34.9 s, on the teacher 0.47, 0.56, 0.43, 0.69, 1.14 and 2.10 s (2026-12-07).
pub const CUTS_PER_GROUP: usize = 8;

/// Rounds before the method gives up (status `iteration_limit`, the last point kept).
pub const MAX_CUT_ROUNDS: usize = 100;

/// Solves the exact form by cutting planes over its sign rows.
pub(super) fn by_sign_cuts(
    compiled: &Compiled,
    request: &Request,
    set: &PatternSet,
    layout: &LearnedLayout,
    start: Instant,
) -> Result<Solve, Error> {
    let model = &compiled.model;
    let tolerance = tolerance(model, request, LEARNED_TOLERANCE);
    let all = sign_rows(model, set.len());
    let per_group = model.data.n * model.network.patches();
    let patches = patch_matrix(model);
    let scale = cnr_numerics::max_abs(&model.data.y).max(f64::MIN_POSITIVE);
    let violated =
        |held: &SignRows, x: &[f64]| violated(model, set, layout, &patches, held, x, tolerance * scale);
    let mut held = SignRows::none(layout.groups());
    let mut rounds = Rounds { of: all, ..Rounds::default() };
    let mut last = None;
    loop {
        rounds.rounds += 1;
        request.hooks.check()?;
        rounds.sign_rows = held.count(layout.groups(), per_group);
        fits_budget_of(compiled, &plan_learned_with(model, set.len(), rounds.sign_rows), true)?;
        let lowering = Instant::now();
        let (mut program, _) = lower_learned_rows(model, set, &held);
        rounds.lowering_seconds += lowering.elapsed().as_secs_f64();
        let solving = Instant::now();
        // A round's point only finds rows to add: one call of the backend, unchecked. The program
        // whose point violates no row left out is solved again with every check (`solve_conic`).
        let probed = probe(compiled, request, &program, tolerance, start)?
            .map(|x| violated(&held, &x).1)
            .filter(|cuts| cuts.iter().any(|rows| !rows.is_empty()));
        let cuts = match probed {
            Some(cuts) => {
                rounds.solving_seconds += solving.elapsed().as_secs_f64();
                cuts
            }
            None => {
                let mut solved = solve_conic(compiled, request, &mut program, tolerance, start)?;
                rounds.solving_seconds += solving.elapsed().as_secs_f64();
                rounds.attempts.append(&mut solved.attempts);
                let Some(x) = solved.x.as_deref().filter(|_| solved.status == Status::Optimal) else {
                    let status = solved.status;
                    return Ok(rounds.end(solved, status, f64::NAN, &program));
                };
                let (worst, cuts) = violated(&held, x);
                if cuts.iter().all(Vec::is_empty) {
                    return Ok(rounds.end(solved, Status::Optimal, worst / scale, &program));
                }
                last = Some(solved);
                cuts
            }
        };
        if rounds.rounds == MAX_CUT_ROUNDS {
            // The last checked point, when there is one; else this program's, with its checks.
            let solved = match last.take() {
                Some(solved) => solved,
                None => solve_conic(compiled, request, &mut program, tolerance, start)?,
            };
            return Ok(rounds.end(solved, Status::IterationLimit, f64::NAN, &program));
        }
        for (g, rows) in cuts.into_iter().enumerate() {
            held.add(g, rows);
        }
    }
}

/// One call of the backend on `program` at `tolerance`, unchecked: its point when it has one.
fn probe(
    compiled: &Compiled,
    request: &Request,
    program: &cnr_ir::ConeProgram,
    tolerance: f64,
    start: Instant,
) -> Result<Option<Vec<f64>>, Error> {
    let limits = crate::solver_settings(&compiled.model, request);
    let hooks = request.hooks.clone();
    let watch: std::sync::Arc<dyn Fn(u32, f64) -> bool + Send + Sync> =
        std::sync::Arc::new(move |_, _| hooks.cancelled());
    let settings = cnr_ir::SolverSettings {
        tol_abs: tolerance,
        tol_rel: tolerance,
        verbose: request.verbose,
        time_limit: time_left(limits.time_limit, start),
        ..cnr_ir::SolverSettings::default()
    };
    let solution = compiled.backend.run(program, &settings, Some(watch))?;
    let has_point =
        matches!(solution.status, Status::Optimal | Status::Inaccurate) && solution.x.len() == program.n;
    Ok(has_point.then_some(solution.x))
}

/// What the rounds did so far.
#[derive(Default)]
struct Rounds {
    rounds: usize,
    /// Sign rows the current program holds, and the whole program's.
    sign_rows: usize,
    of: usize,
    attempts: Vec<cnr_solve::Attempt>,
    lowering_seconds: f64,
    solving_seconds: f64,
}

impl Rounds {
    /// The solve of the last program, `solved`, as the training takes it.
    fn end(
        self,
        solved: cnr_solve::ProgramRecord,
        status: Status,
        violation: f64,
        program: &cnr_ir::ConeProgram,
    ) -> Solve {
        let Rounds { rounds, sign_rows, of, attempts, lowering_seconds, solving_seconds } = self;
        Solve {
            status,
            objective: solved.objective,
            gap: attempts.last().and_then(|a| a.gap),
            x: solved.x,
            backend: solved.backend,
            attempts,
            first_order: None,
            sign_cuts: Some(SignCutRecord { rounds, sign_rows, of, sign_violation: violation }),
            sizes: (program.n, program.m(), program.a.nnz()),
            lowering_seconds,
            solving_seconds,
        }
    }
}

/// The largest violation `(−(2D − 1)⟨x̃, c_g⟩)_+` over every sign row at `x`, and per group the
/// rows not held whose violation exceeds `threshold`, at most [`CUTS_PER_GROUP`], worst first.
fn violated(
    model: &cnr_check::Model,
    set: &PatternSet,
    layout: &LearnedLayout,
    patches: &[f64],
    held: &SignRows,
    x: &[f64],
    threshold: f64,
) -> (f64, Vec<Vec<u32>>) {
    let (rows, h, p) = (model.data.n * model.network.patches(), layout.h, set.len());
    let mut worst = 0.0f64;
    let mut cuts = Vec::with_capacity(layout.groups());
    let mut found: Vec<(f64, u32)> = Vec::new();
    for g in 0..layout.groups() {
        let (j, c) = (g % p, &x[layout.group(g)]);
        found.clear();
        for row in 0..rows {
            let value = cnr_numerics::dot(&patches[row * h..(row + 1) * h], c);
            let violation = if set.active(j, row) { -value } else { value };
            worst = worst.max(violation);
            if violation > threshold && !held.holds(g, row) {
                found.push((violation, row as u32));
            }
        }
        if found.len() > CUTS_PER_GROUP {
            found.select_nth_unstable_by(CUTS_PER_GROUP - 1, |a, b| b.0.total_cmp(&a.0));
            found.truncate(CUTS_PER_GROUP);
        }
        cuts.push(found.iter().map(|&(_, row)| row).collect());
    }
    (worst, cuts)
}
