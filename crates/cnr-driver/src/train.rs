//! Training a two-layer CNN with learned output weights through its exact convex program
//! (docs/learned.md): lower over the compiled arrangements, solve with the program's own checks
//! (`cnr-solve`), read the network back and judge it on the model — its loss computed from the
//! network against the program's data term, the sign rows, the duality gap.

use crate::compile::{compile_for, Purpose};
use crate::{Compiled, Error, MethodChoice, Request};
use cnr_check::learned::{Arrangements, Form, TrainedNetwork};
use cnr_firstorder::{group_lasso, GroupLasso, GroupLassoEnd, GroupLassoSettings};
use cnr_ir::Status;
use cnr_lower::learned::{lower_learned, patch, read_network, LearnedLayout, PatternSet};
use cnr_solve::{ProgramSolve, SolveError};
use ndarray::ShapeBuilder;
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
    /// `interior-point` (the conic program, by the backend) or `first-order` (the gated form's
    /// group lasso, by `cnr-firstorder`).
    pub method: &'static str,
    /// The backend that solved the program (`cnr-firstorder` for the first-order method).
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
    /// The relative duality gap: the interior point's last call's (`cnr-solve`'s check, an
    /// estimate), or the first-order method's certified `(P − D)/P`.
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
    /// Every call of the backend (none for the first-order method).
    pub attempts: Vec<cnr_solve::Attempt>,
    /// What the first-order method did, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_order: Option<FirstOrderRecord>,
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
/// method — the interior point (`cnr-solve`'s checks) or, for the gated form, the first-order
/// method (`cnr-firstorder`, with its duality gap) — and the network read back and checked on the
/// model.
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
    let first_order = match (request.method, learn.form) {
        (MethodChoice::FirstOrder, Form::Gated) => true,
        (MethodChoice::FirstOrder, Form::Exact) => {
            return Err(Error::Usage(
                "--method first-order takes the gated form (`form gated`); the exact form is solved by the interior point".into(),
            ))
        }
        (MethodChoice::Auto, Form::Gated) => compiled.plan.nonzeros > FIRST_ORDER_NONZEROS,
        (MethodChoice::Auto | MethodChoice::Full, _) => false,
        (other, _) => {
            return Err(Error::Usage(format!(
                "--method {} solves a relaxation; a learned model is trained by auto, full or first-order",
                other.as_str()
            )))
        }
    };
    request.hooks.check()?;
    let layout = LearnedLayout::new(model, set.len());
    let solved = if first_order {
        by_first_order(compiled, request, set, &layout, start)?
    } else {
        by_interior_point(compiled, request, set, start)?
    };
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
        method: if first_order { "first-order" } else { "interior-point" },
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
        gap: solved.gap,
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
        variables: solved.sizes.0,
        rows: solved.sizes.1,
        nonzeros: solved.sizes.2,
        attempts: solved.attempts,
        first_order: solved.first_order,
        timings: TrainTimings {
            data_seconds: compiled.data_seconds,
            arrangement_seconds: compiled.anchor_seconds,
            lowering_seconds: solved.lowering_seconds,
            solving_seconds: solved.solving_seconds,
            checking_seconds: checking.elapsed().as_secs_f64(),
            wall_seconds: start.elapsed().as_secs_f64(),
        },
    })
}

/// Above this many non-zeros of the conic program, `auto` trains the gated form by the
/// first-order method (docs/learned.md, "The first-order method": measured on the digits).
pub const FIRST_ORDER_NONZEROS: usize = 50_000;

/// The tolerance of the first-order method's relative duality gap unless the request or the
/// model sets one.
pub const FIRST_ORDER_TOLERANCE: f64 = 1e-6;

/// What a first-order solve did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FirstOrderRecord {
    /// Iterations (two products with the fit's matrix each).
    pub iterations: usize,
    /// Restarts of the momentum.
    pub restarts: usize,
    /// The primal objective at the point.
    pub primal: f64,
    /// The dual objective at the dual point made feasible from its residual: a lower bound on
    /// the optimum.
    pub dual: f64,
    /// The tolerance of the relative gap asked for.
    pub tolerance: f64,
}

/// A solve of a learned program, by either method: its point in the program's layout.
struct Solve {
    status: Status,
    objective: Option<f64>,
    x: Option<Vec<f64>>,
    backend: &'static str,
    gap: Option<f64>,
    attempts: Vec<cnr_solve::Attempt>,
    first_order: Option<FirstOrderRecord>,
    /// Columns, rows and non-zeros of what was solved.
    sizes: (usize, usize, usize),
    lowering_seconds: f64,
    solving_seconds: f64,
}

/// The tolerance a learned solve is asked for: the request's, the model's, else `default`.
fn tolerance(model: &cnr_check::Model, request: &Request, default: f64) -> f64 {
    match request.tolerance {
        Some(t) => t,
        None if model.solver.tolerance_written => model.solver.tolerance,
        None => default,
    }
}

/// The conic program, lowered and solved by the interior point with `cnr-solve`'s checks.
fn by_interior_point(
    compiled: &Compiled,
    request: &Request,
    set: &PatternSet,
    start: Instant,
) -> Result<Solve, Error> {
    let model = &compiled.model;
    fits_budget(compiled, true)?;
    let lowering = Instant::now();
    let (program, _) = lower_learned(model, set);
    let lowering_seconds = lowering.elapsed().as_secs_f64();
    let settings = crate::solver_settings(model, request);
    let tolerance = tolerance(model, request, LEARNED_TOLERANCE);
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
    Ok(Solve {
        status: solved.status,
        objective: solved.objective,
        gap: solved.attempts.last().and_then(|a| a.gap),
        x: solved.x,
        backend: solved.backend,
        attempts: solved.attempts,
        first_order: None,
        sizes: (program.n, program.m(), program.a.nnz()),
        lowering_seconds,
        solving_seconds: solving.elapsed().as_secs_f64(),
    })
}

/// The gated form's group lasso over the fit's matrix, by `cnr-firstorder`; `optimal` only when its
/// duality gap is within the tolerance.
fn by_first_order(
    compiled: &Compiled,
    request: &Request,
    set: &PatternSet,
    layout: &LearnedLayout,
    start: Instant,
) -> Result<Solve, Error> {
    let model = &compiled.model;
    let (n, m) = (model.data.n, set.len() * layout.h);
    // The fit's matrix and the method's vectors (a few of length m and n).
    crate::solve::fits(
        compiled,
        "the first-order method",
        8 * (n as u128 * m as u128 + 8 * (n + m) as u128),
    )?;
    let lowering = Instant::now();
    let a = cnr_lower::learned::fit_matrix(model, set);
    let lowering_seconds = lowering.elapsed().as_secs_f64();
    let a = ndarray::ArrayView2::from_shape((n, m).f(), &a).expect("the fit's matrix has n·P·h numbers");
    let y = ndarray::ArrayView1::from(&model.data.y);
    let problem = GroupLasso {
        a,
        y,
        h: layout.h,
        beta: model.learn.as_ref().expect("learned").weight_decay,
        offset: layout.offset.is_some(),
    };
    let tolerance = tolerance(model, request, FIRST_ORDER_TOLERANCE);
    let limit = request.limits.time_limit.or(model.solver.time_limit);
    let deadline =
        limit.and_then(|t| std::time::Duration::try_from_secs_f64(t).ok()).and_then(|t| start.checked_add(t));
    let settings = GroupLassoSettings { tolerance, deadline, ..GroupLassoSettings::default() };
    let solving = Instant::now();
    let solution = group_lasso(&problem, &settings, None);
    let solving_seconds = solving.elapsed().as_secs_f64();
    // The point in the program's layout, which the read-back takes.
    let mut x = vec![0.0; layout.n];
    x[layout.c.clone()].copy_from_slice(&solution.w);
    if let Some(col) = layout.offset {
        x[col] = solution.offset;
    }
    let status = match solution.end {
        GroupLassoEnd::Converged => Status::Optimal,
        GroupLassoEnd::IterationLimit => Status::IterationLimit,
        GroupLassoEnd::TimeLimit => Status::TimeLimit,
    };
    Ok(Solve {
        status,
        objective: Some(solution.primal),
        x: Some(x),
        backend: "cnr-firstorder",
        gap: Some(solution.gap),
        attempts: Vec::new(),
        first_order: Some(FirstOrderRecord {
            iterations: solution.iterations,
            restarts: solution.restarts,
            primal: solution.primal,
            dual: solution.dual,
            tolerance,
        }),
        sizes: (m + usize::from(problem.offset), n, n * m),
        lowering_seconds,
        solving_seconds,
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
