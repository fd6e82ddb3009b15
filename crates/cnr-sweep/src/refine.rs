//! Adaptive refinement of a sweep's sample axis (`--refine-axis STEP`): where a curve turns, the
//! grid gets points between neighbours, so that a figure resolves its transition without a
//! uniformly fine grid.
//!
//! After the grid's trials ran, every curve — the cells equal in every axis but the sample axis
//! (`ratio`, else `samples`), one per method — is read along that axis; between two neighbouring
//! values whose success rates differ by more than `STEP`, the midpoint is added (the geometric
//! mean on an axis that spans two decades, as its figure is drawn), when it gives a sample count
//! of its own. The new cells' trials run, and the rounds repeat until no pair differs by more
//! than `STEP`, the trials of the grid would pass the budget, or [`MAX_ROUNDS`] rounds ran.

use crate::grid::{Axis, Grid};
use crate::results::{summarise, Row};
use std::collections::BTreeMap;

/// The most rounds of refinement.
pub const MAX_ROUNDS: usize = 6;

/// How the sample axis is refined.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Refinement {
    /// Neighbours whose success rates differ by more than this get a point between them.
    pub step: f64,
    /// The most trials of the refined grid, in all.
    pub budget: usize,
}

/// The axis refined: the ratio's, else the sample counts'.
pub fn sample_axis(grid: &Grid) -> Option<usize> {
    let of = |want: fn(&Axis) -> bool| grid.axes.iter().position(|a| want(a) && a.len() > 1);
    of(|a| matches!(a, Axis::Ratio { .. })).or_else(|| of(|a| matches!(a, Axis::Samples { .. })))
}

/// A point of a curve along the sample axis: the value's index, the success rate, the filter size.
type AxisPoint = (usize, f64, usize);

/// The values to add to the sample axis `k` of `grid` after the trials `rows` (see the module's
/// documentation), sorted.
pub fn new_values(grid: &Grid, rows: &[Row], k: usize, step: f64) -> Vec<f64> {
    let axis = &grid.axes[k];
    let values = axis.numbers();
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let geometric = lo > 0.0 && hi / lo >= 100.0;
    let counts = matches!(axis, Axis::Samples { .. });
    // Each curve: (method, the other axes' coordinates) → its points.
    let mut curves: BTreeMap<(String, Vec<usize>), Vec<AxisPoint>> = BTreeMap::new();
    for s in summarise(rows) {
        if s.error.is_none() {
            continue; // no planted filter: no success rate
        }
        let mut at = grid.coordinates(s.cell);
        let j = at.remove(k);
        curves.entry((s.method.clone(), at)).or_default().push((j, s.rate(), s.d));
    }
    let mut added: Vec<f64> = Vec::new();
    for points in curves.values_mut() {
        points.sort_by(|a, b| values[a.0].total_cmp(&values[b.0]));
        for pair in points.windows(2) {
            let ((a, ra, d), (b, rb, _)) = (pair[0], pair[1]);
            if (rb - ra).abs() <= step {
                continue;
            }
            let (x, y) = (values[a], values[b]);
            let mid = if geometric { (x * y).sqrt() } else { 0.5 * (x + y) };
            let mid = if counts { mid.round() } else { crate::results::crossings::significant(mid, 4) };
            // A point of its own: a sample count neither neighbour has.
            let samples = |v: f64| if counts { v } else { crate::grid::samples_for_ratio(v, d) as f64 };
            if samples(mid) != samples(x) && samples(mid) != samples(y) && !added.contains(&mid) {
                added.push(mid);
            }
        }
    }
    added.retain(|v| !values.contains(v));
    added.sort_by(f64::total_cmp);
    added
}

/// `grid` with `added` among the values of its axis `k`, in order.
pub fn extended(grid: &Grid, k: usize, added: &[f64]) -> Grid {
    let mut out = grid.clone();
    let mut values = grid.axes[k].numbers();
    values.extend_from_slice(added);
    values.sort_by(f64::total_cmp);
    values.dedup();
    out.axes[k] = match &grid.axes[k] {
        Axis::Samples { .. } => Axis::Samples { values: values.iter().map(|v| *v as u64).collect() },
        _ => Axis::Ratio { values },
    };
    out
}

/// Whether `refined` is `grid` with values added to its sample axis (and nothing else changed):
/// the folder of a refined sweep, which the same command resumes.
pub fn refines(refined: &Grid, grid: &Grid) -> bool {
    let Some(k) = sample_axis(grid) else { return false };
    refined.axes.len() == grid.axes.len()
        && (0..grid.axes.len()).all(|j| {
            if j != k {
                return refined.axes[j] == grid.axes[j];
            }
            let (mine, theirs) = (grid.axes[j].numbers(), refined.axes[j].numbers());
            std::mem::discriminant(&refined.axes[j]) == std::mem::discriminant(&grid.axes[j])
                && mine.iter().all(|v| theirs.contains(v))
        })
}

/// Cell `c` of `old` in `new`, a grid whose axes take every value of `old`'s (and more).
pub fn cell_in(old: &Grid, new: &Grid, c: usize) -> usize {
    let values = old.values(c);
    new.axes.iter().zip(&values).fold(0, |cell, (axis, value)| {
        let k = (0..axis.len()).find(|&k| axis.value(k) == *value).expect("the new axis has the old value");
        cell * axis.len() + k
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cell: usize, trial: usize, success: bool, d: usize) -> Row {
        Row {
            cell,
            trial,
            method: "wspace".into(),
            success,
            recovery_error: Some(if success { 0.0 } else { 1.0 }),
            d,
            ..Row::default()
        }
    }

    /// Ratio 1, 2, 3, 4 × d = 8, 16: rates 0, 0, 1, 1 for d = 8 and 0, 0.5, 1, 1 for d = 16.
    fn grid_and_rows() -> (Grid, Vec<Row>) {
        let grid = Grid {
            axes: vec![
                Axis::Param { name: "d".into(), values: vec![8.0, 16.0] },
                Axis::Ratio { values: vec![1.0, 2.0, 3.0, 4.0] },
            ],
        };
        let rates = [[0, 0, 2, 2], [0, 1, 2, 2]];
        let mut rows = Vec::new();
        for (g, d) in [8, 16].into_iter().enumerate() {
            for (j, &successes) in rates[g].iter().enumerate() {
                let cell = g * 4 + j;
                rows.extend((0..2).map(|t| row(cell, t, t < successes, d)));
            }
        }
        (grid, rows)
    }

    #[test]
    fn points_go_between_neighbours_whose_rates_differ_by_more_than_the_step() {
        let (grid, rows) = grid_and_rows();
        let k = sample_axis(&grid).expect("a ratio axis");
        // d = 8 jumps from 0 to 1 between 2 and 3; d = 16 by 0.5 between 1–2 and 2–3.
        assert_eq!(new_values(&grid, &rows, k, 0.4), [1.5, 2.5]);
        assert_eq!(new_values(&grid, &rows, k, 0.6), [2.5]);
        assert!(new_values(&grid, &rows, k, 1.0).is_empty());
    }

    #[test]
    fn a_refined_grid_keeps_every_cell_and_is_recognised_as_the_same_sweep() {
        let (grid, _) = grid_and_rows();
        let refined = extended(&grid, 1, &[2.5, 1.5]);
        assert_eq!(refined.axes[1], Axis::Ratio { values: vec![1.0, 1.5, 2.0, 2.5, 3.0, 4.0] });
        assert!(refines(&refined, &grid) && refines(&grid, &grid));
        assert!(!refines(&grid, &refined), "values were lost");
        for c in 0..grid.cells() {
            assert_eq!(refined.values(cell_in(&grid, &refined, c)), grid.values(c));
        }
    }

    #[test]
    fn a_midpoint_without_a_sample_count_of_its_own_is_not_added() {
        // d = 8: ratios 1 and 1.125 are 8 and 9 samples; their midpoint rounds onto one of them.
        let grid = Grid { axes: vec![Axis::Ratio { values: vec![1.0, 1.125] }] };
        let rows = vec![row(0, 0, false, 8), row(1, 0, true, 8)];
        assert!(new_values(&grid, &rows, 0, 0.1).is_empty());
    }
}
