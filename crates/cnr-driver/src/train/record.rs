//! The record of a training: what `--json` prints for a model of learned output weights.

use cnr_check::learned::TrainedNetwork;
use cnr_ir::Status;
use serde::Serialize;

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
    /// What the cutting planes over the exact form's sign rows did, when they ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_cuts: Option<SignCutRecord>,
    /// The rounds of generated arrangements, when the model asks for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<GenerationRecord>,
    /// Where the time went.
    pub timings: TrainTimings,
}

/// The arrangements of a training: enough to build the same program anywhere.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArrangementRecord {
    /// `sampled`, `generated` or `all`.
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

/// What the generation of arrangements from the dual did (docs/learned.md, "Generated
/// arrangements").
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GenerationRecord {
    /// Programs solved: one per round.
    pub rounds: usize,
    /// Patterns sampled before the first round.
    pub sampled: usize,
    /// The patterns each round's program held.
    pub patterns: Vec<usize>,
    /// Patterns dropped over the rounds (gated form) because their neurons were zero at a round's
    /// optimum (their price is then at most `β`), making room for new ones under the cap.
    pub dropped: usize,
    /// Each round's objective.
    pub objectives: Vec<Option<f64>>,
    /// The largest price `‖(D X̃)ᵀ v‖` the last round's search found (an improving pattern prices
    /// above `β`; the search is not exhaustive).
    pub largest_price: f64,
    /// The largest price over every pattern of the arrangement that the last program does not
    /// hold, when they could be enumerated: at most `β` proves the global minimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest_price_left_out: Option<f64>,
    /// Seconds in the pricing (the solves are in `solving_seconds`).
    pub pricing_seconds: f64,
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

/// What the cutting planes over the exact form's sign rows did (docs/learned.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SignCutRecord {
    /// Programs solved: one per round.
    pub rounds: usize,
    /// Sign rows the last program held.
    pub sign_rows: usize,
    /// Sign rows of the whole program.
    pub of: usize,
    /// The largest violation of a sign row at the last point, over `max |y|` (every row, held or
    /// not): at most the tolerance when the point is optimal.
    pub sign_violation: f64,
}

/// What a first-order solve did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FirstOrderRecord {
    /// Iterations (three products with the fit's matrix each; for the exact form a pass over the
    /// sign rows and the projections of the groups that violate one, too).
    pub iterations: usize,
    /// Restarts of the momentum.
    pub restarts: usize,
    /// The primal objective at the point.
    pub primal: f64,
    /// The dual objective at the dual point made feasible from its residual: a lower bound on
    /// the optimum.
    pub dual: f64,
    /// The relative KKT residual: the largest group's distance from its optimality condition,
    /// over `β` (beside the gap, which decides).
    pub kkt: f64,
    /// The exact form's largest sign violation at the point, over `max |y|` (the method's own
    /// measure; the record's `sign_violation` is computed again from the groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_violation: Option<f64>,
    /// The exact form's steps of the projections onto the groups' cones (active-set solves),
    /// over every iteration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_steps: Option<usize>,
    /// The tolerance of the relative gap (and, exact, of the violation) asked for.
    pub tolerance: f64,
}
