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
    /// `‖w − w*‖ / ‖w*‖` up to the network's symmetries, when the planted filter is known.
    pub recovery_error: Option<f64>,
    /// `(1/n) Σ_i (f(x_i; w) − y_i)²`.
    pub training_loss: f64,
    /// The same on the held-out test set, when the data have one.
    pub test_loss: Option<f64>,
    /// `max_i (f(x_i; w) − y_i)`.
    pub max_violation: f64,
    /// The violation relative to the label scale `max_i |y_i|` (none when every label is 0).
    pub relative_violation: Option<f64>,
}

/// Runs the baseline on a compiled model's data from starts drawn with `seed`, and checks what it
/// found on the model.
pub fn baseline(compiled: &Compiled, seed: u64, budget: GdBudget) -> BaselineRecord {
    let model = &compiled.model;
    let start = Instant::now();
    let found = cnr_methods::gd::gradient_descent(model, seed, budget);
    let seconds = start.elapsed().as_secs_f64();
    let fit = model.evaluate(&found.w, &found.b);
    let test_loss = model.test_loss(&found.w, &found.b, Some(1));
    let scale = model.label_scale();
    BaselineRecord {
        found,
        seconds,
        recovery_error: fit.recovery_error,
        training_loss: fit.training_loss,
        test_loss,
        max_violation: fit.max_violation,
        relative_violation: (scale > 0.0).then(|| fit.max_violation / scale),
    }
}
