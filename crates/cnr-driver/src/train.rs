//! Training a two-layer CNN with learned output weights through its exact convex program
//! (docs/learned.md): lower over the compiled arrangements, solve with the program's own checks
//! (`cnr-solve`), read the network back and judge it on the model — its loss computed from the
//! network against the program's data term, the sign rows, the duality gap.

use crate::compile::{compile_for, Purpose};
use crate::{Compiled, Error, Request};
use cnr_check::learned::{Arrangements, TrainedNetwork};
use cnr_ir::Status;
use cnr_lower::learned::{lower_learned, patch, read_network, LearnedLayout, PatternSet};
use cnr_solve::{ProgramSolve, SolveError};
use serde::Serialize;
use std::time::Instant;

/// An optimum below this is solved again with its objective scaled to about 1: the solve's
/// checks judge the gap relative to `max(|objective|, 1)`, which below 1 is absolute. At the
/// tolerance 1e-7 the optimum of `examples/learned/teacher.cnr` (0.099) came back 8e-6 above the
/// optimum (relative) without it (`bash bench/learned_cvxpy.sh`, bench/README.md).
pub const SMALL_OBJECTIVE: f64 = 0.5;

/// The tolerance of a learned program unless the request or the model sets one: the gap cnr's
/// checks judge is an estimate, and at 1e-7 the optima of `examples/learned/teacher.cnr` and
/// `bench/learned_bias.cnr` came back 1.3e-6 and 8.9e-6 above the optimum (relative; with the
/// rescaling of small optima), at 1e-9 within 6e-9 (`bash bench/learned_cvxpy.sh`, by hand,
/// 2026-12-07).
pub const LEARNED_TOLERANCE: f64 = 1e-9;

/// Everything a training reports. The figures under "from the network" are computed from the
/// trained network on the data, never taken from the program.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainRecord {
    /// The model's name.
    pub model: String,
    /// FNV-1a of the model's text (with its settings).
    pub model_hash: String,
    /// `exact` or `gated`.
    pub form: &'static str,
    /// The weight decay `β`.
    pub weight_decay: f64,
    /// The backend that solved the program.
    pub backend: &'static str,
    /// How the solve ended, after cnr's checks of the point and its dual.
    pub status: Status,
    /// What the status proves: `global minimum` (every pattern, optimal), `optimal over these
    /// P arrangements`, or `not proven` (any other status).
    pub proven: String,
    /// The program's objective at its point.
    pub objective: Option<f64>,
    /// From the network: `½ Σ_i (f(x_i) − y_i)² + β/2 Σ_j (‖u_j‖² + b_j² + α_j²)`.
    pub network_objective: Option<f64>,
    /// The program's data term at its point, `½ ‖Σ_j D_j X̃ (c_j − c'_j) + offset − y‖²`,
    /// computed from the groups (not from the loss variable).
    pub data_term: Option<f64>,
    /// From the network: `½ Σ_i (f(x_i) − y_i)²`.
    pub network_loss: Option<f64>,
    /// The equivalence check: `|network_loss − data_term| / max(data_term, ε·½‖y‖²)`.
    pub equivalence: Option<f64>,
    /// The largest sign violation `(−(2D − 1)⟨x̃, c⟩)_+` of the exact form, over `max_i |y_i|`
    /// (none for the gated form, which has no sign rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_violation: Option<f64>,
    /// The last call's duality gap, relative (`cnr-solve`'s check).
    pub gap: Option<f64>,
    /// From the network: `(1/n) Σ_i (f(x_i) − y_i)²` on the training set.
    pub training_loss: Option<f64>,
    /// From the network: the same on the test set, when the data have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// From the network: its distance to the planted teacher, up to the neurons' order and
    /// scale, relative to the teacher's size (docs/learned.md), when the teacher is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_error: Option<f64>,
    /// The trained network: its neurons (groups that are not zero) and offset.
    pub network: Option<TrainedNetwork>,
    /// Its neurons whose `α² = ‖c_j‖` is at least `1e-4` of the largest: the network's size (an
    /// interior point leaves the groups that are zero at the optimum small, not zero).
    pub significant_neurons: Option<usize>,
    /// Where the arrangements came from, and the filters that make them.
    pub arrangements: ArrangementRecord,
    /// Samples.
    pub samples: usize,
    /// Filter size `d`.
    pub d: usize,
    /// Patches `K`.
    pub patches: usize,
    /// Columns of the program.
    pub variables: usize,
    /// Rows of the program.
    pub rows: usize,
    /// Non-zeros of the program.
    pub nonzeros: usize,
    /// Every call of the backend.
    pub attempts: Vec<cnr_solve::Attempt>,
    /// Where the time went.
    pub timings: TrainTimings,
}

/// The arrangements of a training: enough to build the same program anywhere.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArrangementRecord {
    /// `sampled` or `all`.
    pub source: &'static str,
    /// The seed of sampled filters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Filters drawn (sampled) or cells found (all).
    pub drawn: usize,
    /// Distinct patterns that switch on some patch: the program's `P`.
    pub patterns: usize,
    /// Whether they are every pattern of the data's arrangement.
    pub complete: bool,
    /// The filter (and bias) of each pattern: `D_j[i, k] = 1[⟨x̃_ik, g_j⟩ ≥ 0]`.
    pub filters: Vec<Vec<f64>>,
}

/// Seconds per phase of a training.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TrainTimings {
    /// Parsing, checking and reading or drawing the data.
    pub data_seconds: f64,
    /// The arrangements.
    pub arrangement_seconds: f64,
    /// Lowering.
    pub lowering_seconds: f64,
    /// The backend, over all its calls, with their checks.
    pub solving_seconds: f64,
    /// Reading the network back and checking it.
    pub checking_seconds: f64,
    /// The whole training, end to end.
    pub wall_seconds: f64,
}

/// A trained model: what was compiled, and the record of its training.
#[derive(Debug)]
pub struct Trained {
    /// The compiled model.
    pub compiled: Compiled,
    /// The training's record.
    pub record: TrainRecord,
}

/// Compiles the request's model, which must have learned output weights, and trains it.
pub fn train(request: &Request) -> Result<Trained, Error> {
    let compiled = compile_for(request, Purpose::Solve)?;
    let record = train_compiled(&compiled, request)?;
    Ok(Trained { compiled, record })
}

/// Trains a model compiled already: the program over its arrangements, solved by the request's
/// backend with `cnr-solve`'s checks, and the network read back and checked on the model.
pub fn train_compiled(compiled: &Compiled, request: &Request) -> Result<TrainRecord, Error> {
    let start = Instant::now();
    let model = &compiled.model;
    let Some(learn) = &model.learn else {
        return Err(Error::Usage(format!(
            "model `{}` has fixed output weights: solve its relaxation (`cnr_driver::solve`)",
            model.name
        )));
    };
    let Some(set) = &compiled.arrangements else {
        return Err(Error::Usage(format!(
            "model `{}` was compiled for its data only (`Purpose::Data`): compile it for a solve to train it",
            model.name
        )));
    };
    fits_budget(compiled, true)?;
    request.hooks.check()?;
    let lowering = Instant::now();
    let (program, layout) = lower_learned(model, set);
    let lowering_seconds = lowering.elapsed().as_secs_f64();
    let settings = crate::solver_settings(model, request);
    let tolerance = match request.tolerance {
        Some(t) => t,
        None if model.solver.tolerance_written => model.solver.tolerance,
        None => LEARNED_TOLERANCE,
    };
    let solving = Instant::now();
    // Each solve is given what is left of the request's time limit.
    let run = |program: &cnr_ir::ConeProgram| {
        let solve = ProgramSolve {
            backend: compiled.backend,
            tolerance,
            verbose: request.verbose,
            watch: Some(request.hooks.call_watch()),
            time_limit: settings.time_limit.map(|t| (t - start.elapsed().as_secs_f64()).max(0.0)),
        };
        cnr_solve::solve_program(program, &solve, 0.0).map_err(|e| match e {
            SolveError::Cancelled => Error::Cancelled,
            e => Error::Solve(e),
        })
    };
    let mut program = program;
    let mut solved = run(&program)?;
    // The checks judge the gap relative to `max(|objective|, 1)`: an optimum well below 1 is solved
    // again with the objective scaled by a power of two to about 1, so that the tolerance is
    // relative to it (docs/learned.md, "What is proven").
    if let (Status::Optimal, Some(objective)) = (solved.status, solved.objective) {
        if objective > 0.0 && objective < SMALL_OBJECTIVE {
            let factor = cnr_solve::power_of_two(1.0 / objective);
            program.q.iter_mut().for_each(|q| *q *= factor);
            let mut again = run(&program)?;
            program.q.iter_mut().for_each(|q| *q /= factor);
            again.objective = again.objective.map(|o| o / factor);
            let mut attempts = std::mem::take(&mut solved.attempts);
            attempts.append(&mut again.attempts);
            // The scaled solve's answer stands when it holds; else the first one's does.
            if again.status == Status::Optimal {
                solved = again;
            }
            solved.attempts = attempts;
        }
    }
    let solving_seconds = solving.elapsed().as_secs_f64();
    let checking = Instant::now();
    let x = solved.x.as_deref();
    let network = x.map(|x| read_network(model, &layout, set, x));
    let figures = x.zip(network.as_ref()).map(|(x, net)| judge(model, &layout, set, x, net));
    let complete = set.complete;
    let proven = match solved.status {
        Status::Optimal if complete => "global minimum".to_string(),
        Status::Optimal => format!("optimal over these {} arrangements", set.len()),
        _ => "not proven".to_string(),
    };
    let (seed, source) = match learn.arrangements {
        Arrangements::Sampled { seed, .. } => (Some(seed), "sampled"),
        Arrangements::All => (None, "all"),
    };
    let f = figures.as_ref();
    Ok(TrainRecord {
        model: model.name.clone(),
        model_hash: compiled.model_hash.clone(),
        form: learn.form.name(),
        weight_decay: learn.weight_decay,
        backend: solved.backend,
        status: solved.status,
        proven,
        objective: solved.objective,
        network_objective: f
            .map(|f| f.network_loss + network.as_ref().map_or(0.0, |n| n.weight_decay(learn.weight_decay))),
        data_term: f.map(|f| f.data_term),
        network_loss: f.map(|f| f.network_loss),
        equivalence: f.map(|f| f.equivalence),
        sign_violation: f.and_then(|f| f.sign_violation),
        gap: solved.attempts.last().and_then(|a| a.gap),
        training_loss: f.map(|f| 2.0 * f.network_loss / model.data.n.max(1) as f64),
        test_loss: network.as_ref().and_then(|net| {
            let test = model.data.test.as_deref()?;
            Some(2.0 * net.half_squared_error(model, test) / test.n.max(1) as f64)
        }),
        recovery_error: network.as_ref().and_then(|net| net.recovery_error(model)),
        significant_neurons: network.as_ref().map(cnr_lower::learned::significant),
        network,
        arrangements: ArrangementRecord {
            source,
            seed,
            drawn: set.drawn,
            patterns: set.len(),
            complete,
            filters: set.generators.clone(),
        },
        samples: model.data.n,
        d: model.network.d(),
        patches: model.network.patches(),
        variables: program.n,
        rows: program.m(),
        nonzeros: program.a.nnz(),
        attempts: solved.attempts,
        timings: TrainTimings {
            data_seconds: compiled.data_seconds,
            arrangement_seconds: compiled.anchor_seconds,
            lowering_seconds,
            solving_seconds,
            checking_seconds: checking.elapsed().as_secs_f64(),
            wall_seconds: start.elapsed().as_secs_f64(),
        },
    })
}

/// Refuses a learned program that would not fit the memory budget beside the data (with the
/// backend's own work on it when `solving`), before it is built.
pub(crate) fn fits_budget(compiled: &Compiled, solving: bool) -> Result<(), Error> {
    let (model, plan) = (&compiled.model, &compiled.plan);
    let data = 8 * (model.data.x.len() as u128 + model.data.y.len() as u128);
    let backend = if solving {
        compiled.backend.work_bytes(plan.nonzeros as u128, (plan.rows + plan.variables) as u128)
    } else {
        0
    };
    let need = data + cnr_lower::plan_bytes(plan) + backend;
    if need > u128::from(compiled.max_memory) {
        return Err(Error::OverBudget {
            samples: model.data.n,
            need,
            solver: backend,
            backend: compiled.backend.name(),
            budget: compiled.max_memory,
            whole: false,
        });
    }
    Ok(())
}

/// The figures of a point, from the groups and from the network read back from them.
struct Judged {
    data_term: f64,
    network_loss: f64,
    equivalence: f64,
    sign_violation: Option<f64>,
}

fn judge(
    model: &cnr_check::Model,
    layout: &LearnedLayout,
    set: &PatternSet,
    x: &[f64],
    network: &TrainedNetwork,
) -> Judged {
    let (n, kk, h, p) = (model.data.n, model.network.patches(), layout.h, layout.arrangements);
    let exact = layout.c_neg.is_some();
    let mut xt = vec![0.0; h];
    let (mut data_term, mut worst) = (0.0, 0.0f64);
    for i in 0..n {
        let mut f = layout.offset.map_or(0.0, |col| x[col]);
        for k in 0..kk {
            patch(model, model.data.sample(i), k, &mut xt);
            for j in 0..p {
                let on = set.active(j, i * kk + k);
                let plus = cnr_numerics::dot(&xt, &x[layout.group(j)]);
                let minus = if exact { cnr_numerics::dot(&xt, &x[layout.group(p + j)]) } else { 0.0 };
                if on {
                    f += plus - minus;
                }
                if exact {
                    let sign = if on { 1.0 } else { -1.0 };
                    worst = worst.max(-sign * plus).max(-sign * minus);
                }
            }
        }
        data_term += 0.5 * (f - model.data.y[i]) * (f - model.data.y[i]);
    }
    let network_loss = network.half_squared_error(model, &model.data);
    let labels = 0.5 * model.data.y.iter().map(|y| y * y).sum::<f64>();
    let floor = (f64::EPSILON * labels).max(f64::MIN_POSITIVE);
    let scale = cnr_numerics::max_abs(&model.data.y).max(f64::MIN_POSITIVE);
    Judged {
        data_term,
        network_loss,
        equivalence: (network_loss - data_term).abs() / data_term.max(floor),
        sign_violation: exact.then_some(worst / scale),
    }
}
