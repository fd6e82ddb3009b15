//! Training a two-layer CNN with learned output weights through its exact convex program
//! (docs/learned.md): the program over the compiled arrangements solved by the interior point or
//! the first-order method (`methods.rs`), or for the exact form by cutting planes over its sign rows
//! (`cuts.rs`), the network read back and judged on the model — its loss
//! computed from the network against the program's data term, the sign rows, the duality gap —
//! and the record (`record.rs`).

mod cuts;
mod generate;
mod methods;
mod record;

pub use cuts::{CUTS_PER_GROUP, CUT_ROWS, MAX_CUT_ROUNDS};
pub use generate::PRICE_SLACK;
pub(crate) use methods::fits_budget;
pub use methods::{FIRST_ORDER_NONZEROS, FIRST_ORDER_SIGN_ROWS, FIRST_ORDER_TOLERANCE};
pub use record::{
    ArrangementRecord, FirstOrderRecord, GenerationRecord, SignCutRecord, TrainRecord, TrainTimings,
};

use crate::compile::{compile_for, Purpose};
use crate::{Compiled, Error, MethodChoice, Request};
use cnr_check::learned::{Arrangements, Form};
use cnr_ir::Status;
use cnr_lower::learned::{judge, read_network, LearnedLayout, PatternSet};
use std::time::Instant;

/// The threads a training may use: the request's, else the machine's.
fn threads(request: &Request) -> usize {
    request
        .limits
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |p| p.get()))
        .max(1)
}

/// How a learned program is solved.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Method {
    /// The whole conic program by the interior point.
    InteriorPoint,
    /// The exact form by the interior point over the sign rows its points violate (`cuts.rs`).
    SignCuts,
    /// The gated form's group lasso by `cnr-firstorder`.
    FirstOrder,
}

impl Method {
    /// The name in records and reports.
    fn name(self) -> &'static str {
        match self {
            Method::InteriorPoint => "interior-point",
            Method::SignCuts => "cutting-plane",
            Method::FirstOrder => "first-order",
        }
    }
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
/// method — the interior point (`cnr-solve`'s checks), for the exact form by cutting planes over
/// its sign rows, or for the gated form the first-order method (`cnr-firstorder`, with its duality
/// gap) — and the network read back and checked on the model.
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
    // The most patterns the program may hold (generated arrangements grow).
    let most = match learn.arrangements {
        Arrangements::Generated { count, .. } => count.max(set.len()),
        _ => set.len(),
    };
    let method = match (request.method, learn.form) {
        (MethodChoice::FirstOrder, _) => Method::FirstOrder,
        (MethodChoice::CuttingPlane, Form::Exact) => Method::SignCuts,
        (MethodChoice::CuttingPlane, Form::Gated) => {
            return Err(Error::Usage(
                "--method cutting-plane cuts the exact form's sign rows; the gated form has none (use `full` or `first-order`)".into(),
            ))
        }
        (MethodChoice::Auto, Form::Gated) if compiled.plan.nonzeros > FIRST_ORDER_NONZEROS => Method::FirstOrder,
        (MethodChoice::Auto, Form::Exact) if cnr_lower::learned::sign_rows(model, most) > FIRST_ORDER_SIGN_ROWS => {
            Method::FirstOrder
        }
        (MethodChoice::Auto, Form::Exact) if cnr_lower::learned::sign_rows(model, most) > CUT_ROWS => Method::SignCuts,
        (MethodChoice::Auto | MethodChoice::Full, _) => Method::InteriorPoint,
        (other, _) => {
            return Err(Error::Usage(format!(
                "--method {} solves a relaxation; a learned model is trained by auto, full, cutting-plane or first-order",
                other.as_str()
            )))
        }
    };
    request.hooks.check()?;
    // `warm`: a point of `layout` to start from (the generation's last round's, moved to this
    // round's patterns); the first-order method starts there, the others solve from scratch.
    let solve = |set: &PatternSet, layout: &LearnedLayout, warm: Option<&[f64]>| match method {
        Method::FirstOrder => methods::by_first_order(compiled, request, set, layout, start, warm),
        Method::SignCuts => cuts::by_sign_cuts(compiled, request, set, layout, start),
        Method::InteriorPoint => methods::by_interior_point(compiled, request, set, start),
    };
    let threads = threads(request);
    let (grown, solved, generation) = match learn.arrangements {
        Arrangements::Generated { count, seed } => {
            let (grown, solved, record) =
                generate::by_generation(model, (**set).clone(), count, seed, threads, solve)?;
            (Some(grown), solved, Some(record))
        }
        _ => (None, solve(set, &LearnedLayout::new(model, set.len()), None)?, None),
    };
    let set = grown.as_ref().unwrap_or(set);
    let layout = LearnedLayout::new(model, set.len());
    let checking = Instant::now();
    let x = solved.x.as_deref();
    let network = x.map(|x| read_network(model, &layout, set, x));
    let figures = x.zip(network.as_ref()).map(|(x, net)| judge(model, &layout, set, x, net));
    let complete = set.complete;
    let proven_global =
        generation.as_ref().is_some_and(|g| generate::proves_global(g, learn.weight_decay, solved.status));
    let proven = match solved.status {
        Status::Optimal if complete || proven_global => "global minimum".to_string(),
        Status::Optimal => format!("optimal over these {} arrangements", set.len()),
        _ => "not proven".to_string(),
    };
    let (seed, source) = match learn.arrangements {
        Arrangements::Sampled { seed, .. } => (Some(seed), "sampled"),
        Arrangements::Generated { seed, .. } => (Some(seed), "generated"),
        Arrangements::All => (None, "all"),
    };
    let f = figures.as_ref();
    Ok(TrainRecord {
        model: model.name.clone(),
        model_hash: compiled.model_hash.clone(),
        form: learn.form.name(),
        weight_decay: learn.weight_decay,
        method: method.name(),
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
        sign_cuts: solved.sign_cuts,
        generation,
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
