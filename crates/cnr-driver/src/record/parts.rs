//! The parts of a solve's record that one method or one call reports: the cutting-plane and
//! w-space methods' bookkeeping and certificates, each backend call, the restarts, the refinement
//! by gradient descent, and the time per phase.

use crate::record::Filters;
use cnr_ir::Status;
use serde::Serialize;

/// The point gradient descent reached from the relaxation's, judged on the model as the
/// relaxation's is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GdRefinement {
    /// The filters.
    pub w: Filters,
    /// The biases, when the network has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub b: Option<Vec<f64>>,
    /// The offset, when the network has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<f64>,
    /// `(1/n) Σ_i (f(x_i; w) − y_i)²`: never above the relaxation's.
    pub training_loss: Option<f64>,
    /// The same on the held-out test set, when the data have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f64>,
    /// `‖w − w*‖ / ‖w*‖` up to the network's symmetries, when the planted filter is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_error: Option<f64>,
    /// `max_i (f(x_i; w) − y_i)`.
    pub max_violation: Option<f64>,
    /// The same relative to the label scale (in the sweeps' rows; the record has the relaxation's).
    #[serde(skip)]
    pub relative_violation: Option<f64>,
    /// Gradient steps taken.
    pub iterations: usize,
    /// Whether it stopped at a stationary point before the step budget.
    pub converged: bool,
    /// Seconds it took.
    pub seconds: f64,
}

impl GdRefinement {
    /// The refined point's figures (without a recovery distance, which the refinement does not
    /// report).
    pub fn figures(&self) -> cnr_check::Figures {
        cnr_check::Figures {
            max_violation: self.max_violation,
            relative_violation: self.relative_violation,
            training_loss: self.training_loss,
            test_loss: self.test_loss,
            recovery_error: self.recovery_error,
            ..cnr_check::Figures::default()
        }
    }
}

/// What the cutting-plane method did, and its certificate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CuttingPlaneRecord {
    /// Programs solved.
    pub rounds: u32,
    /// Samples in the first subset.
    pub start_size: usize,
    /// Samples in the last subset.
    pub subset_size: usize,
    /// The last radius of the artificial box `|w_j|, |b_m| ≤ R`.
    pub box_radius: f64,
    /// Whether the box was active at the last point (then the point is not certified).
    pub box_active: bool,
    /// The largest `f(x_i; w) − y_i` over the samples outside the last subset (−∞ when there are none).
    pub max_violation_outside: f64,
    /// The relative violation allowed for a sample outside the subset: a sample is violated when
    /// `f(x_i; w) − y_i` exceeds `tolerance` times its own scale (`cnr_check::Residuals`).
    pub tolerance: f64,
    /// Whether the reported status holds for the whole program: for `optimal`, the last program
    /// solved to optimality, every sample outside the subset holds within the tolerance and the box is
    /// not active; for `infeasible`, the subset's rows alone, without the box, admit no point.
    pub certified: bool,
    /// Why the whole program was solved instead, if it was.
    pub fallback: Option<String>,
}

/// The solves of `restarts r` and `refine r`: one per anchor, the lowest training loss kept.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Restarts {
    /// The index of the kept solve in `runs` (the record's own figures are its).
    pub kept: usize,
    /// Every solve, in order.
    pub runs: Vec<Restart>,
}

/// One solve of `restarts r`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Restart {
    /// Its anchor: the model's (`data (auto)`, …) for the first, `random k` after.
    pub anchor: String,
    /// How it ended.
    pub status: Status,
    /// Its objective.
    pub objective: Option<f64>,
    /// Its training loss, from the model (the kept one's is the lowest).
    pub training_loss: Option<f64>,
    /// Its recovery error, when the planted filter is known.
    pub recovery_error: Option<f64>,
    /// What the conditions at the planted filter say of its anchor (`cnr_methods::planted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planted: Option<cnr_methods::planted::Verdict>,
    /// Seconds in the solver.
    pub solve_seconds: f64,
}

/// Seconds per phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Parsing, checking and reading or drawing the data.
    pub data_seconds: f64,
    /// The objective's anchor.
    pub anchor_seconds: f64,
    /// Lowering (over all programs built).
    pub lowering_seconds: f64,
    /// The backend (over all solves).
    pub solving_seconds: f64,
    /// Checking points on the model and the program.
    pub checking_seconds: f64,
    /// The whole request, end to end: every solve of its restarts and refinements, every retry,
    /// the penalty's threshold and the descent — what a time limit bounds.
    pub wall_seconds: f64,
}

impl Timings {
    /// All phases together.
    pub fn total(&self) -> f64 {
        self.data_seconds
            + self.anchor_seconds
            + self.lowering_seconds
            + self.solving_seconds
            + self.checking_seconds
    }
}
