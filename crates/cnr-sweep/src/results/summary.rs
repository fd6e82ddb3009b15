//! `summary.csv`: one row per cell and method — the success rate with its Wilson interval, and the
//! quantiles of the recovery error and the losses.

use super::{axis_columns, method_order, number, summary_method, Row};
use crate::grid::Grid;
use serde::Serialize;

/// One cell and method of `summary.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CellSummary {
    /// The cell.
    pub cell: usize,
    /// `relaxation`, `relaxation+gd` or `gd`.
    pub method: String,
    /// The axes' values, as in `results.csv`.
    pub axes: Vec<String>,
    /// The number of samples (the same for every trial of a cell).
    pub samples: u64,
    /// The filter size.
    pub d: usize,
    /// The patches `K` (0 when the rows do not say).
    pub patches: usize,
    /// Trials finished.
    pub trials: usize,
    /// Of which succeeded.
    pub successes: usize,
    /// The recovery error's quantiles over the trials (none without a planted filter).
    pub error: Option<Quantiles>,
    /// The training loss's quantiles.
    pub loss: Option<Quantiles>,
    /// The test loss's quantiles (none without a test set).
    pub test_loss: Option<Quantiles>,
    /// How the trials' `explanation`s count (none where no trial has one).
    pub explained: Option<Explained>,
}

/// How a cell's trials are explained by the conditions at the planted filter (`results.csv`'s
/// `explanation`): failures by their cause, and trials whose verdict and outcome disagree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Explained {
    /// Failed: the anchor outside the cone at `w*`.
    pub anchor: usize,
    /// Failed: `w*` infeasible.
    pub data: usize,
    /// Failed: the solve did not end optimal, though `w*` is the optimum.
    pub status: usize,
    /// The verdict and the outcome disagree, or no verdict (`unexplained`, `unknown`).
    pub unexplained: usize,
}

impl Explained {
    /// The counts of `trials`' explanations; none where none has one.
    fn of(trials: &[&Row]) -> Option<Explained> {
        let mut out = Explained::default();
        let mut any = false;
        for r in trials {
            any |= !r.explanation.is_empty();
            match r.explanation.as_str() {
                "anchor" => out.anchor += 1,
                "data" => out.data += 1,
                "status" => out.status += 1,
                "" | "recovered" | "near" => {}
                _ => out.unexplained += 1,
            }
        }
        any.then_some(out)
    }
}

/// The 10%, 50% and 90% quantiles of a cell's values of one figure.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Quantiles {
    /// 10%.
    pub q10: f64,
    /// 50%.
    pub median: f64,
    /// 90%.
    pub q90: f64,
}

impl Quantiles {
    /// The quantiles of the trials' values, `None` for a trial without one (its solve gave no
    /// point): such a trial counts as `+∞`, the worst value, so that a failure is not left out.
    /// `None` when no trial has a value (the figure does not apply). A quantile `p` of `m` sorted
    /// values is interpolated linearly at position `p·(m − 1)`, NumPy's default.
    pub fn of(values: impl Iterator<Item = Option<f64>>) -> Option<Quantiles> {
        let mut sorted: Vec<f64> = Vec::new();
        let mut any = false;
        for v in values {
            any |= v.is_some();
            sorted.push(v.filter(|x| !x.is_nan()).unwrap_or(f64::INFINITY));
        }
        if !any {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let at = |p: f64| {
            let position = p * (sorted.len() - 1) as f64;
            let (k, f) = (position.floor() as usize, position.fract());
            match sorted.get(k + 1) {
                Some(&next) if f > 0.0 && sorted[k].is_finite() && next.is_finite() => {
                    sorted[k] + f * (next - sorted[k])
                }
                Some(&next) if f > 0.0 => next.max(sorted[k]),
                _ => sorted[k],
            }
        };
        Some(Quantiles { q10: at(0.1), median: at(0.5), q90: at(0.9) })
    }
}

/// The two-sided 95% normal quantile.
pub(super) const Z95: f64 = 1.959_963_984_540_054;

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

/// The columns of `summary.csv` after the grid's axes.
const SUMMARY_TRAILING: &[&str] = &[
    "samples",
    "filter_size",
    "patches",
    "trials",
    "successes",
    "rate",
    "wilson_low",
    "wilson_high",
    "error_q10",
    "error_median",
    "error_q90",
    "loss_q10",
    "loss_median",
    "loss_q90",
    "test_loss_q10",
    "test_loss_median",
    "test_loss_q90",
    "failed_anchor",
    "failed_data",
    "failed_status",
    "unexplained",
];

/// The header of `summary.csv`.
pub fn summary_header(grid: &Grid) -> Vec<String> {
    ["cell", "method"]
        .iter()
        .map(|s| s.to_string())
        .chain(axis_columns(grid))
        .chain(SUMMARY_TRAILING.iter().map(|s| s.to_string()))
        .collect()
}

/// The cells and methods of `rows`, in cell order, then the relaxation, its refinement and the
/// baseline.
pub fn summarise(rows: &[Row]) -> Vec<CellSummary> {
    let known = Known::of(rows);
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.cell, method_order(&r.method)));
    sorted
        .chunk_by(|a, b| a.cell == b.cell && summary_method(&a.method) == summary_method(&b.method))
        .map(|trials| CellSummary::of(trials, known))
        .collect()
}

/// Which figures a sweep's trials have: the recovery error (a planted filter is known) and the test
/// loss (the data have a test set). Where a sweep has a figure, a cell none of whose trials has a
/// value of it (no solve gave a point) has quantiles of `+∞` and, for the recovery error, a
/// success rate of 0, rather than none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Known {
    /// Some trial has a recovery error.
    pub recovery: bool,
    /// Some trial has a test loss.
    pub test_loss: bool,
}

impl Known {
    /// What the trials `rows` (a whole sweep's) have.
    pub fn of(rows: &[Row]) -> Known {
        Known {
            recovery: rows.iter().any(|r| r.recovery_error.is_some()),
            test_loss: rows.iter().any(|r| r.test_loss.is_some()),
        }
    }
}

impl CellSummary {
    /// The summary of trials of one method (not empty), labelled with the first one's cell, axes,
    /// samples and sizes: a cell's trials, or those a plot pools into one point. `known` says
    /// which figures the sweep has ([`Known`]).
    pub fn of(trials: &[&Row], known: Known) -> CellSummary {
        let first = trials[0];
        // A trial without a point counts as +∞; so do trials of which none has a point.
        let worst = Quantiles { q10: f64::INFINITY, median: f64::INFINITY, q90: f64::INFINITY };
        let figure = |get: fn(&Row) -> Option<f64>, applies: bool| {
            Quantiles::of(trials.iter().map(|r| get(r))).or(applies.then_some(worst))
        };
        CellSummary {
            cell: first.cell,
            method: summary_method(&first.method).to_string(),
            axes: first.axes.clone(),
            samples: first.samples,
            d: first.d,
            patches: first.patches,
            trials: trials.len(),
            successes: trials.iter().filter(|r| r.success).count(),
            error: figure(|r| r.recovery_error, known.recovery),
            loss: figure(|r| r.training_loss, true),
            test_loss: figure(|r| r.test_loss, known.test_loss),
            explained: Explained::of(trials),
        }
    }
}

/// A summary's fields, in [`summary_header`]'s order.
pub fn summary_record(s: &CellSummary) -> Vec<String> {
    let (low, high) = s.wilson();
    let mut out = vec![s.cell.to_string(), s.method.clone()];
    out.extend(s.axes.iter().cloned());
    out.extend([s.samples.to_string(), s.d.to_string(), s.patches.to_string(), s.trials.to_string()]);
    // Success is recovery: without a planted filter (real data) it is not defined, and the
    // recovery error has no quantiles ([`Known`]).
    out.extend(match s.error {
        Some(_) => {
            [s.successes.to_string(), format!("{:.4}", s.rate()), format!("{low:.4}"), format!("{high:.4}")]
        }
        None => Default::default(),
    });
    for q in [s.error, s.loss, s.test_loss] {
        out.extend(match q {
            Some(q) => [q.q10, q.median, q.q90].map(number),
            None => Default::default(),
        });
    }
    out.extend(match s.explained {
        Some(e) => [e.anchor, e.data, e.status, e.unexplained].map(|n| n.to_string()),
        None => Default::default(),
    });
    out
}
