//! The restarts and refinements of a model's `relax` block: one solve per anchor — the model's,
//! random ones, or the filter the last solve found — run side by side, the lowest training loss kept.

use super::solve_with_anchor;
use crate::record::{Restart, Restarts, SolveRecord};
use crate::{Compiled, Error, Request};
use cnr_lower::Lowered;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// The relaxation's solves: one, or the restarts and refinements of the model's `relax` block.
pub(super) fn solve_relaxation(
    compiled: &Compiled,
    request: &Request,
    deadline: Option<Instant>,
) -> Result<SolveRecord, Error> {
    let relax = &compiled.model.relax;
    let (restarts, refine) = (relax.restarts.max(1) as usize, relax.refine);
    if restarts == 1 && refine == 0 {
        return solve_with_anchor(compiled, request, &compiled.anchor, None, deadline);
    }
    // Amplification: the model's anchor, then random anchors 1, 2, … (the model's own random
    // anchor is random anchor 0); after each, up to `refine` solves anchored at the filter just
    // found. The restarts are independent, so they run side by side on the request's threads (a
    // sweep gives each trial its share); the whole program, when that is what is solved, is lowered
    // once and only its objective changes. The solve with the lowest training loss is kept, and
    // every one is listed, in the order above.
    let shared = OnceLock::new();
    let chains: Vec<Mutex<Option<Chain>>> = (0..restarts).map(|_| Mutex::new(None)).collect();
    let workers = request
        .limits
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |p| p.get()))
        .clamp(1, restarts);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= restarts {
                    break;
                }
                let chain = refinement_chain(compiled, request, k, &shared, deadline);
                *chains[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(chain);
            });
        }
    });
    let mut list = Vec::new();
    let mut certificates = Vec::new();
    let mut kept: Option<(usize, SolveRecord)> = None;
    let loss = |r: &SolveRecord| r.training_loss.filter(|l| l.is_finite()).unwrap_or(f64::INFINITY);
    for chain in chains {
        let chain = chain.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every restart ran");
        for (name, record) in chain? {
            list.push(Restart {
                anchor: name,
                status: record.status,
                objective: record.objective,
                training_loss: record.training_loss,
                recovery_error: record.recovery_error,
                planted: record.planted.as_ref().map(|c| c.verdict),
                solve_seconds: record.solve_seconds,
            });
            certificates.extend(record.planted.clone());
            if kept.as_ref().is_none_or(|(_, best)| loss(&record) < loss(best)) {
                kept = Some((list.len() - 1, record));
            }
        }
    }
    let (k, mut record) = kept.expect("at least one solve");
    // One solve (a first anchor that fitted every sample, so no refinement ran) is a plain record.
    if list.len() > 1 {
        record.restarts = Some(Restarts { kept: k, runs: list });
        record.planted = cnr_methods::planted::best_of(certificates);
    }
    Ok(record)
}

/// A solve with the name of its anchor (`lstsq (auto), refined 1`, `random 2`, …).
type Named = (String, SolveRecord);

/// One restart's solves, or what stopped them.
type Chain = Result<Vec<Named>, Error>;

/// Restart `k`'s solves: its anchor (the model's for `k = 0`, else random anchor `k`), then up to
/// `refine` solves anchored at the filter just found, stopping at one that fits every sample.
fn refinement_chain(
    compiled: &Compiled,
    request: &Request,
    k: usize,
    shared: &OnceLock<Lowered>,
    deadline: Option<Instant>,
) -> Chain {
    let model = &compiled.model;
    let (scale, md) = (model.label_scale(), model.network.filters * model.network.d());
    let (mut anchor, name) = if k == 0 {
        (compiled.anchor.clone(), model.relax.anchor_name())
    } else {
        (cnr_lower::random_anchor(model, k as u64), format!("random {k}"))
    };
    let mut record = solve_with_anchor(compiled, request, &anchor, Some(shared), deadline)?;
    let mut chain = vec![(name.clone(), record.clone())];
    for j in 1..=model.relax.refine {
        // A filter that fits every sample is found again from its own direction.
        if record.training_loss.is_none_or(|l| l.is_nan() || l <= 1e-12 * scale * scale) {
            break;
        }
        let Some(next) = refined_anchor(&anchor, &record, md) else {
            break;
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        anchor = next;
        record = solve_with_anchor(compiled, request, &anchor, Some(shared), deadline)?;
        chain.push((format!("{name}, refined {j}"), record.clone()));
    }
    Ok(chain)
}

/// The anchor of a refinement: the filter `record` found, in the place of the anchor's filter part
/// (`md` numbers) and with its length; the bias coordinates stay the anchor's, which keep the biases
/// bounded below. `None` when the solve found no filter, a zero one, or the same direction again.
fn refined_anchor(anchor: &[f64], record: &SolveRecord, md: usize) -> Option<Vec<f64>> {
    let w = record.w.as_ref()?.flat();
    let norm = cnr_numerics::norm;
    let (found, length) = (norm(&w), norm(&anchor[..md]));
    if record.status != cnr_ir::Status::Optimal || found.is_nan() || found <= 0.0 || w.len() != md {
        return None;
    }
    let mut next = anchor.to_vec();
    next[..md].iter_mut().zip(&w).for_each(|(g, v)| *g = v / found * length);
    let moved = cnr_numerics::max_abs_diff(&next, anchor);
    (moved > 1e-9).then_some(next)
}
