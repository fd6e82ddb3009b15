//! The rows of `results.csv` (one per trial and method) and of `summary.csv` (one per cell and
//! method, `summary.rs`), with their fixed column order; where curves cross 10%, 50% and 90%
//! (`crossings.rs`, `crossings.csv`).

use crate::grid::Grid;

pub mod crossings;
mod summary;

pub use summary::{
    summarise, summary_header, summary_record, wilson, CellSummary, Explained, Known, Quantiles,
};

/// The columns before the grid's axes.
const LEADING: &[&str] = &["cell", "trial", "method"];

/// The columns after the grid's axes.
const TRAILING: &[&str] = &[
    "samples",
    "seed",
    "success",
    "status",
    "recovery_error",
    "training_loss",
    "test_loss",
    "max_violation",
    "relative_violation",
    "objective",
    "iterations",
    "solve_seconds",
    "backend",
    "filter_size",
    "patches",
    "cone_distance",
    "explanation",
];

/// Columns added since the first `results.csv`, oldest first, each group at once: a file written
/// before a group (and so without it and every later one) is read with those columns empty, and
/// rewritten with them when a sweep resumes into it.
pub const ADDED_COLUMNS: &[&[&str]] = &[&["test_loss", "patches"], &["cone_distance", "explanation"]];

/// Whether `column` is one of [`ADDED_COLUMNS`].
fn added(column: &str) -> bool {
    ADDED_COLUMNS.iter().any(|group| group.contains(&column))
}

/// The headers of the `results.csv` files of earlier versions for the same grid, newest first:
/// [`header`] without the groups of [`ADDED_COLUMNS`] from each one on.
pub fn legacy_headers(grid: &Grid) -> Vec<Vec<String>> {
    (0..ADDED_COLUMNS.len())
        .rev()
        .map(|from| {
            let later: Vec<&str> = ADDED_COLUMNS[from..].iter().flat_map(|g| g.iter().copied()).collect();
            header(grid).into_iter().filter(|c| !later.contains(&c.as_str())).collect()
        })
        .collect()
}

/// The grid's columns in both files: one per axis, but `samples`, which has its own.
fn axis_columns(grid: &Grid) -> impl Iterator<Item = String> + '_ {
    grid.axes.iter().map(|a| a.column()).filter(|c| c != "samples")
}

/// The header of `results.csv` for a grid.
pub fn header(grid: &Grid) -> Vec<String> {
    let trailing = TRAILING.iter().map(|s| s.to_string());
    LEADING.iter().map(|s| s.to_string()).chain(axis_columns(grid)).chain(trailing).collect()
}

/// The names a parameter axis may not take, because a fixed column has them.
pub fn reserved_columns() -> Vec<&'static str> {
    LEADING
        .iter()
        .chain(TRAILING)
        .copied()
        .chain(["ratio", "activation", "noise", "anchor", "restarts", "refine"])
        .collect()
}

impl Row {
    /// This row with a point's figures, and its success by the one definition
    /// ([`cnr_driver::recovered`]): `trusted` (an optimal status, or a descent's point) and the
    /// recovery error below `threshold`.
    pub fn with_figures(self, figures: &cnr_driver::Figures, trusted: bool, threshold: f64) -> Row {
        Row {
            success: cnr_driver::recovered(trusted, figures.recovery_error, threshold),
            recovery_error: figures.recovery_error,
            training_loss: figures.training_loss,
            test_loss: figures.test_loss,
            max_violation: figures.max_violation,
            relative_violation: figures.relative_violation,
            ..self
        }
    }
}

/// One trial of one method.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// The cell of the grid.
    pub cell: usize,
    /// The trial's index in its cell.
    pub trial: usize,
    /// `wspace`, `full` or `cutting-plane` (the relaxation, as solved), `relaxation+gd` (its point
    /// refined by gradient descent) or `gd` (the baseline).
    pub method: String,
    /// The values of the grid's axes, as written (without `samples`, which has its own column).
    pub axes: Vec<String>,
    /// The number of samples.
    pub samples: u64,
    /// The planted data's seed.
    pub seed: u64,
    /// Optimal (or converged, for `gd`) and recovery error below the threshold.
    pub success: bool,
    /// The solver's status (`optimal`, `iteration_limit`, …), or for `gd` `converged`/`budget`.
    pub status: String,
    /// `‖w − w*‖/‖w*‖` up to the network's symmetries.
    pub recovery_error: Option<f64>,
    /// `(1/n) Σ (f(x_i; w) − y_i)²`.
    pub training_loss: Option<f64>,
    /// The same on the held-out test set, when the data have one.
    pub test_loss: Option<f64>,
    /// `max_i f(x_i; w) − y_i`.
    pub max_violation: Option<f64>,
    /// The largest residual relative to its own sample's scale.
    pub relative_violation: Option<f64>,
    /// The relaxation's objective (`gd`: none).
    pub objective: Option<f64>,
    /// Solver iterations (`gd`: gradient steps).
    pub iterations: u64,
    /// Seconds of the solve.
    pub solve_seconds: f64,
    /// The backend (`gd`: `gd`).
    pub backend: String,
    /// The filter size of the cell.
    pub d: usize,
    /// The patches `K` of the cell (0 in a file of cnr 0.1, which did not record them).
    pub patches: usize,
    /// For planted data, the relaxation's rows: the unit anchor's ℓ1 distance to the cone of the
    /// tight samples' gradients at the planted filter, the smallest over the trial's anchors (0:
    /// the planted filter is the program's unique optimum; `cnr_driver::planted`).
    pub cone_distance: Option<f64>,
    /// Why the trial did or did not recover (`recovered`, `near`, `anchor`, `data`, `status`, `unknown`,
    /// `unexplained`: `cnr_driver::planted::explain`); empty where the conditions do not apply.
    pub explanation: String,
}

/// The values of cell `cell`'s axes as its rows write them (without `samples`, which has its own
/// column).
pub fn axis_values(grid: &Grid, cell: usize) -> Vec<String> {
    grid.axes
        .iter()
        .zip(grid.values(cell))
        .filter(|(a, _)| !matches!(a, crate::grid::Axis::Samples { .. }))
        .map(|(_, v)| match v {
            crate::grid::Value::Number(x) => number(x),
            other => other.to_string(),
        })
        .collect()
}

/// A number as CSV writes it: plain in the usual range, in exponent form outside it; both parse
/// back to the same double.
pub fn number(x: f64) -> String {
    if x == 0.0 || (1e-4..1e7).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

fn optional(x: Option<f64>) -> String {
    x.map(number).unwrap_or_default()
}

impl Row {
    /// The row's fields, in [`header`]'s order.
    pub fn record(&self) -> Vec<String> {
        let mut out = vec![self.cell.to_string(), self.trial.to_string(), self.method.clone()];
        out.extend(self.axes.iter().cloned());
        out.extend([
            self.samples.to_string(),
            self.seed.to_string(),
            self.success.to_string(),
            self.status.clone(),
            optional(self.recovery_error),
            optional(self.training_loss),
            optional(self.test_loss),
            optional(self.max_violation),
            optional(self.relative_violation),
            optional(self.objective),
            self.iterations.to_string(),
            format!("{:.6}", self.solve_seconds),
            self.backend.clone(),
            self.d.to_string(),
            self.patches.to_string(),
            optional(self.cone_distance),
            self.explanation.clone(),
        ]);
        out
    }

    /// Reads a row written by [`Row::record`] under `header` (this version's, or a
    /// [`legacy_headers`], whose added columns read as empty).
    pub(crate) fn parse(header: &[String], fields: &csv::StringRecord) -> Result<Row, String> {
        if fields.len() != header.len() {
            return Err(format!("{} fields where the header has {}", fields.len(), header.len()));
        }
        let column = |name: &str| header.iter().position(|h| h == name);
        let get = |name: &str| column(name).and_then(|k| fields.get(k)).unwrap_or("");
        let whole = |name: &str| match get(name) {
            "" if added(name) => Ok(0),
            s => s.parse::<u64>().map_err(|_| format!("`{s}` is not a whole number in column `{name}`")),
        };
        let float = |name: &str| -> Result<Option<f64>, String> {
            match get(name) {
                "" => Ok(None),
                s => s
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| format!("`{s}` is not a number in column `{name}`")),
            }
        };
        let success = match get("success") {
            "true" => true,
            "false" => false,
            s => return Err(format!("`{s}` is not true or false in column `success`")),
        };
        let first_trailing = column(TRAILING[0]).ok_or("no `samples` column")?;
        Ok(Row {
            cell: whole("cell")? as usize,
            trial: whole("trial")? as usize,
            method: get("method").to_string(),
            axes: (LEADING.len()..first_trailing).map(|k| fields.get(k).unwrap_or("").to_string()).collect(),
            samples: whole("samples")?,
            seed: whole("seed")?,
            success,
            status: get("status").to_string(),
            recovery_error: float("recovery_error")?,
            training_loss: float("training_loss")?,
            test_loss: float("test_loss")?,
            max_violation: float("max_violation")?,
            relative_violation: float("relative_violation")?,
            objective: float("objective")?,
            iterations: whole("iterations")?,
            solve_seconds: float("solve_seconds")?.unwrap_or(0.0),
            backend: get("backend").to_string(),
            d: whole("filter_size")? as usize,
            patches: whole("patches")? as usize,
            cone_distance: float("cone_distance")?,
            explanation: get("explanation").to_string(),
        })
    }
}

/// The method of the rows of the baseline, gradient descent from random starts (`--baseline gd`).
pub const BASELINE: &str = "gd";

/// The method of the rows of the relaxation's point refined by gradient descent (`--refine-gd`).
pub const REFINED: &str = "relaxation+gd";

/// The method of the rows of a model of learned output weights, trained (docs/learned.md).
pub const LEARNED: &str = "learned";

/// What a summary calls a row's method: `relaxation`, however it was solved (`auto` may solve
/// a cell's small trials whole and its large ones by cutting planes), `relaxation+gd`, `gd` or
/// `learned`.
pub fn summary_method(row_method: &str) -> &'static str {
    match row_method {
        BASELINE => BASELINE,
        REFINED => REFINED,
        LEARNED => LEARNED,
        _ => "relaxation",
    }
}

/// Where a row's method comes among a trial's rows: the relaxation, its refinement, the baseline.
pub fn method_order(row_method: &str) -> u8 {
    match summary_method(row_method) {
        BASELINE => 2,
        REFINED => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::summary::Z95;
    use super::*;

    #[test]
    fn the_wilson_interval_matches_its_formula_at_known_points() {
        // 0 of 20: [0, z²/(n + z²)].
        let (low, high) = wilson(0, 20);
        assert_eq!(low, 0.0);
        assert!((high - Z95 * Z95 / (20.0 + Z95 * Z95)).abs() < 1e-12, "{high}");
        // Symmetric around 1/2 at half the trials.
        let (low, high) = wilson(10, 20);
        assert!((low + high - 1.0).abs() < 1e-12);
        assert!((low - 0.2993).abs() < 1e-3, "{low}"); // 0.29929 by the formula, computed by hand
        let (low, high) = wilson(20, 20);
        assert_eq!(high, 1.0);
        assert!((low - 20.0 / (20.0 + Z95 * Z95)).abs() < 1e-12);
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics_and_count_a_missing_value_as_the_worst() {
        // 1..=5 in any order: position p·4.
        let q = Quantiles::of([3.0, 1.0, 5.0, 2.0, 4.0].map(Some).into_iter()).expect("values");
        assert_eq!((q.q10, q.median, q.q90), (1.4, 3.0, 4.6));
        // A trial without a value is +∞: it moves the upper quantiles, not the lower ones.
        let q = Quantiles::of([Some(1.0), Some(2.0), None].into_iter()).expect("values");
        assert_eq!((q.q10, q.median), (1.2, 2.0));
        assert_eq!(q.q90, f64::INFINITY);
        assert_eq!(Quantiles::of([None, None].into_iter()), None);
        let one = Quantiles::of(std::iter::once(Some(7.0))).expect("a value");
        assert_eq!((one.q10, one.median, one.q90), (7.0, 7.0, 7.0));
    }

    /// A row of cell 0 with the figures given.
    fn row(trial: usize, recovery_error: Option<f64>, training_loss: Option<f64>) -> Row {
        Row {
            cell: 0,
            trial,
            method: "full".into(),
            axes: Vec::new(),
            samples: 8,
            seed: trial as u64,
            status: "unbounded".into(),
            recovery_error,
            training_loss,
            backend: "clarabel".into(),
            d: 4,
            patches: 2,
            ..Row::default()
        }
    }

    #[test]
    fn a_cell_without_any_point_has_a_rate_of_0_and_infinite_quantiles_where_the_sweep_has_them() {
        let failed = [row(0, None, None), row(1, None, None)];
        let refs: Vec<&Row> = failed.iter().collect();
        // A planted filter known elsewhere in the sweep: success is defined, and failed here.
        let known = Known::of(&[row(2, Some(0.5), Some(1.0))]);
        let s = CellSummary::of(&refs, known);
        let fields = summary_record(&s);
        let header = summary_header(&Grid { axes: Vec::new() });
        let field = |name: &str| fields[header.iter().position(|h| h == name).expect(name)].as_str();
        assert_eq!((field("successes"), field("rate"), field("wilson_low")), ("0", "0.0000", "0.0000"));
        assert_eq!((field("error_median"), field("loss_q90")), ("inf", "inf"));
        assert_eq!(field("test_loss_median"), "", "no test set");
        // Without a planted filter anywhere: no success, no recovery error, the loss still +∞.
        let s = CellSummary::of(&refs, Known::of(&failed));
        let fields = summary_record(&s);
        let field = |name: &str| fields[header.iter().position(|h| h == name).expect(name)].as_str();
        assert_eq!((field("rate"), field("error_median"), field("loss_median")), ("", "", "inf"));
    }

    #[test]
    fn numbers_round_trip_through_their_text() {
        for x in [0.0, 1.5, -3.25e-9, 1e-300, 6.02e23, 0.1 + 0.2, 123456.789] {
            assert_eq!(number(x).parse::<f64>().unwrap(), x, "{}", number(x));
        }
    }
}
