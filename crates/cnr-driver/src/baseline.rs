//! The non-convex baseline that sweeps run beside the relaxation (`--baseline gd`): gradient
//! descent from `cnr-methods`, its point judged on the model as a solve's is.

use crate::Compiled;
pub use cnr_methods::gd::{GdBudget, GdResult};
use std::time::Instant;

/// A run of the baseline, judged from the model as a solve's point is.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineRecord {
    /// What gradient descent found.
    pub found: GdResult,
    /// Seconds it took.
    pub seconds: f64,
    /// Its figures, from the model.
    pub figures: cnr_check::Figures,
}

/// Runs the baseline on a compiled model's data from starts drawn with `seed`, and checks what it
/// found on the model; its patches are held to the memory budget first.
pub fn baseline(compiled: &Compiled, seed: u64, budget: GdBudget) -> Result<BaselineRecord, crate::Error> {
    crate::solve::fits(compiled, "gradient descent", cnr_methods::gd::patch_bytes(&compiled.model))?;
    let model = &compiled.model;
    let start = Instant::now();
    let found = cnr_methods::gd::gradient_descent(model, seed, budget);
    let seconds = start.elapsed().as_secs_f64();
    let figures = model.figures_at(&found.w, &found.b, Some(1));
    Ok(BaselineRecord { found, seconds, figures })
}
