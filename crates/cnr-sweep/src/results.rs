//! The rows of `results.csv` (one per trial and method) and of `summary.csv` (one per cell and
//! method), with their fixed column order.

use crate::grid::Grid;
use serde::Serialize;

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
    "max_violation",
    "relative_violation",
    "objective",
    "iterations",
    "solve_seconds",
    "backend",
    "filter_size",
];

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

/// One trial of one method.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The cell of the grid.
    pub cell: usize,
    /// The trial's index in its cell.
    pub trial: usize,
    /// `full` or `cutting-plane` (the relaxation, as solved), or `gd` (the baseline).
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
    /// `max_i f(x_i; w) − y_i`.
    pub max_violation: Option<f64>,
    /// The same over the largest label.
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
            optional(self.max_violation),
            optional(self.relative_violation),
            optional(self.objective),
            self.iterations.to_string(),
            format!("{:.6}", self.solve_seconds),
            self.backend.clone(),
            self.d.to_string(),
        ]);
        out
    }

    /// Reads a row written by [`Row::record`] under `header`.
    pub fn parse(header: &[String], fields: &csv::StringRecord) -> Result<Row, String> {
        if fields.len() != header.len() {
            return Err(format!("{} fields where the header has {}", fields.len(), header.len()));
        }
        let axes_count = header.len() - LEADING.len() - TRAILING.len();
        let get = |k: usize| fields.get(k).unwrap_or("");
        let whole = |k: usize| {
            get(k)
                .parse::<u64>()
                .map_err(|_| format!("`{}` is not a whole number in column `{}`", get(k), header[k]))
        };
        let float = |k: usize| -> Result<Option<f64>, String> {
            match get(k) {
                "" => Ok(None),
                s => s
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| format!("`{s}` is not a number in column `{}`", header[k])),
            }
        };
        let t = LEADING.len() + axes_count;
        let success = match get(t + 2) {
            "true" => true,
            "false" => false,
            s => return Err(format!("`{s}` is not true or false in column `success`")),
        };
        Ok(Row {
            cell: whole(0)? as usize,
            trial: whole(1)? as usize,
            method: get(2).to_string(),
            axes: (LEADING.len()..t).map(|k| get(k).to_string()).collect(),
            samples: whole(t)?,
            seed: whole(t + 1)?,
            success,
            status: get(t + 3).to_string(),
            recovery_error: float(t + 4)?,
            training_loss: float(t + 5)?,
            max_violation: float(t + 6)?,
            relative_violation: float(t + 7)?,
            objective: float(t + 8)?,
            iterations: whole(t + 9)?,
            solve_seconds: float(t + 10)?.unwrap_or(0.0),
            backend: get(t + 11).to_string(),
            d: whole(t + 12)? as usize,
        })
    }
}

/// One cell and method of `summary.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CellSummary {
    /// The cell.
    pub cell: usize,
    /// `relaxation` or `gd`.
    pub method: String,
    /// The axes' values, as in `results.csv`.
    pub axes: Vec<String>,
    /// The number of samples (the same for every trial of a cell).
    pub samples: u64,
    /// The filter size.
    pub d: usize,
    /// Trials finished.
    pub trials: usize,
    /// Of which succeeded.
    pub successes: usize,
}

/// The two-sided 95% normal quantile.
const Z95: f64 = 1.959_963_984_540_054;

impl CellSummary {
    /// The success rate.
    pub fn rate(&self) -> f64 {
        if self.trials == 0 {
            0.0
        } else {
            self.successes as f64 / self.trials as f64
        }
    }

    /// The 95% Wilson score interval of the success rate: unlike the normal interval it stays in
    /// [0, 1] and is not empty at a rate of 0 or 1, which a phase transition has at both ends.
    pub fn wilson(&self) -> (f64, f64) {
        wilson(self.successes, self.trials)
    }
}

/// The 95% Wilson score interval for `successes` of `trials`.
pub fn wilson(successes: usize, trials: usize) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The header of `summary.csv`.
pub fn summary_header(grid: &Grid) -> Vec<String> {
    ["cell", "method"]
        .iter()
        .map(|s| s.to_string())
        .chain(axis_columns(grid))
        .chain(
            ["samples", "filter_size", "trials", "successes", "rate", "wilson_low", "wilson_high"]
                .iter()
                .map(|s| s.to_string()),
        )
        .collect()
}

/// What a summary calls a row's method: `relaxation`, however it was solved (`auto` may solve
/// a cell's small trials whole and its large ones by cutting planes), or `gd`.
pub fn summary_method(row_method: &str) -> &'static str {
    if row_method == "gd" {
        "gd"
    } else {
        "relaxation"
    }
}

/// The cells and methods of `rows`, in cell order, the relaxation before the baseline.
pub fn summarise(rows: &[Row]) -> Vec<CellSummary> {
    let mut out: Vec<CellSummary> = Vec::new();
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.cell, r.method == "gd"));
    for r in sorted {
        let method = summary_method(&r.method);
        match out.iter_mut().find(|s| s.cell == r.cell && s.method == method) {
            Some(s) => {
                s.trials += 1;
                s.successes += usize::from(r.success);
            }
            None => out.push(CellSummary {
                cell: r.cell,
                method: method.to_string(),
                axes: r.axes.clone(),
                samples: r.samples,
                d: r.d,
                trials: 1,
                successes: usize::from(r.success),
            }),
        }
    }
    out.sort_by_key(|s| (s.cell, s.method == "gd"));
    out
}

/// A summary's fields, in [`summary_header`]'s order.
pub fn summary_record(s: &CellSummary) -> Vec<String> {
    let (low, high) = s.wilson();
    let mut out = vec![s.cell.to_string(), s.method.clone()];
    out.extend(s.axes.iter().cloned());
    out.extend([
        s.samples.to_string(),
        s.d.to_string(),
        s.trials.to_string(),
        s.successes.to_string(),
        format!("{:.4}", s.rate()),
        format!("{low:.4}"),
        format!("{high:.4}"),
    ]);
    out
}

#[cfg(test)]
mod tests {
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
    fn numbers_round_trip_through_their_text() {
        for x in [0.0, 1.5, -3.25e-9, 1e-300, 6.02e23, 0.1 + 0.2, 123456.789] {
            assert_eq!(number(x).parse::<f64>().unwrap(), x, "{}", number(x));
        }
    }
}
