//! The arrangements of a learned program: activation patterns `D_j[i, k] = 1[⟨x̃_ik, g_j⟩ ≥ 0]`
//! of filters `g_j` shared by every patch — sampled from Gaussian filters, or all of them.

use super::{patch, patch_len};
use cnr_check::data::{generator, normals};
use cnr_check::Model;
use cnr_numerics::simplex::{CutLp, LpStatus};
use std::collections::HashSet;

/// `arrangements all` is refused when the count of cells could exceed this.
pub const MAX_CELLS: u64 = 20_000;

/// Distinct, non-empty activation patterns, each with a filter that makes it.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternSet {
    /// The filter `g_j` (`h` numbers: the filter, then the bias with `bias`) whose pattern is
    /// pattern `j`: with it the same program can be built anywhere.
    pub generators: Vec<Vec<f64>>,
    /// Filters drawn (sampled), or cells found (all).
    pub drawn: usize,
    /// Whether the set holds every pattern of the arrangement.
    pub complete: bool,
    /// Rows `n·K` of a pattern.
    rows: usize,
    /// The patterns' bits, `words` a pattern: bit `i·K + k` is `D_j[i, k]`.
    bits: Vec<u64>,
}

impl PatternSet {
    fn words(&self) -> usize {
        self.rows.div_ceil(64)
    }

    /// Patterns.
    pub fn len(&self) -> usize {
        self.generators.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.generators.is_empty()
    }

    /// `D_j[i, k]` for `row = i·K + k`.
    pub fn active(&self, j: usize, row: usize) -> bool {
        self.bits[j * self.words() + row / 64] >> (row % 64) & 1 == 1
    }

    /// How many rows pattern `j` switches on.
    pub fn active_rows(&self, j: usize) -> usize {
        let w = self.words();
        self.bits[j * w..(j + 1) * w].iter().map(|b| b.count_ones() as usize).sum()
    }

    /// The set of `filters`' distinct patterns that switch on some patch (a pattern of no patch adds
    /// nothing to the network), in the order first drawn.
    pub fn of_filters(model: &Model, filters: Vec<Vec<f64>>, complete: bool) -> PatternSet {
        let (n, kk, h) = (model.data.n, model.network.patches(), patch_len(model));
        let rows = n * kk;
        let words = rows.div_ceil(64);
        let mut all = vec![0u64; filters.len() * words];
        let mut x = vec![0.0; h];
        for i in 0..n {
            for k in 0..kk {
                patch(model, model.data.sample(i), k, &mut x);
                // A patch of zeros (all padding, no bias) is in no pattern: it adds nothing.
                if x.iter().all(|&v| v == 0.0) {
                    continue;
                }
                let row = i * kk + k;
                for (j, g) in filters.iter().enumerate() {
                    if cnr_numerics::dot(&x, g) >= 0.0 {
                        all[j * words + row / 64] |= 1 << (row % 64);
                    }
                }
            }
        }
        let drawn = filters.len();
        let mut seen = HashSet::new();
        let (mut generators, mut bits) = (Vec::new(), Vec::new());
        for (j, g) in filters.into_iter().enumerate() {
            let pattern = &all[j * words..(j + 1) * words];
            if pattern.iter().any(|&b| b != 0) && seen.insert(pattern.to_vec()) {
                generators.push(g);
                bits.extend_from_slice(pattern);
            }
        }
        PatternSet { generators, drawn, complete, rows, bits }
    }
}

impl PatternSet {
    /// This set and the patterns of `filters` that it does not hold yet, after its own (whose
    /// places stay): `drawn` counts the new filters too.
    pub fn extended(&self, model: &Model, filters: Vec<Vec<f64>>) -> PatternSet {
        let drawn = self.drawn + filters.len();
        let all = self.generators.iter().cloned().chain(filters).collect();
        PatternSet { drawn, ..PatternSet::of_filters(model, all, false) }
    }

    /// This set without the patterns `drop` says, in the same order (`drawn` stays).
    pub fn without(&self, model: &Model, drop: impl Fn(usize) -> bool) -> PatternSet {
        let kept =
            self.generators.iter().enumerate().filter(|(j, _)| !drop(*j)).map(|(_, g)| g.clone()).collect();
        PatternSet { drawn: self.drawn, ..PatternSet::of_filters(model, kept, false) }
    }
}

/// The patterns of `count` standard normal filters of `h` numbers drawn from ChaCha8 seeded with
/// `seed`, filter after filter (docs/learned.md); with `planted`, the planted teacher's filters
/// (and biases) come first, so that their patterns are the program's first.
pub fn sample_arrangements(model: &Model, count: usize, seed: u64, planted: bool) -> PatternSet {
    let (h, d) = (patch_len(model), model.network.d());
    let mut filters: Vec<Vec<f64>> = Vec::new();
    if let (true, Some(w)) = (planted, &model.data.planted) {
        for (m, filter) in w.chunks_exact(d).enumerate() {
            let mut g = filter.to_vec();
            if model.network.bias {
                g.push(model.data.planted_bias.as_ref().map_or(0.0, |b| b[m]));
            }
            filters.push(g);
        }
    }
    let mut rng = generator(seed);
    filters.extend((0..count).map(|_| normals(&mut rng, h)));
    PatternSet::of_filters(model, filters, false)
}

/// `arrangements all` would find more cells than [`MAX_CELLS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the arrangement of {rows} distinct patches in {h} dimensions may have up to {:.1e} patterns, more than {max}", *.bound as f64)]
pub struct TooManyCells {
    /// Distinct non-zero patches.
    pub rows: usize,
    /// Their dimension.
    pub h: usize,
    /// Cover's bound on the cells, `2 Σ_{j<h} C(rows − 1, j)`.
    pub bound: u64,
    /// [`MAX_CELLS`].
    pub max: u64,
}

/// Every pattern of the patches' hyperplane arrangement: the cells `{u : ⟨x̃_l, u⟩ ≠ 0 with a
/// fixed sign for every patch l}` that are not empty, found by splitting the cells one hyperplane
/// at a time, each split tested by a small LP (the largest margin `t` with `σ_l ⟨x̃_l, u⟩ ≥ t‖x̃_l‖`
/// in the unit box: the cell is open and non-empty exactly when `t > 0`). Each cell's filter is
/// its LP's point, inside the cell, so its pattern is the cell's. Every filter `u` lies in the
/// closure of a cell, where `(X u)_+ = D X u`: with these patterns the program is the global
/// minimum of the training problem (for enough neurons).
pub fn all_arrangements(model: &Model) -> Result<PatternSet, TooManyCells> {
    let h = patch_len(model);
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut seen = HashSet::new();
    let mut x = vec![0.0; h];
    for i in 0..model.data.n {
        for k in 0..model.network.patches() {
            patch(model, model.data.sample(i), k, &mut x);
            let key: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
            if x.iter().any(|&v| v != 0.0) && seen.insert(key) {
                rows.push(x.clone());
            }
        }
    }
    let bound = cell_bound(rows.len() as u64, h as u64);
    if bound > MAX_CELLS {
        return Err(TooManyCells { rows: rows.len(), h, bound, max: MAX_CELLS });
    }
    // A cell: the signs of the rows so far, and a point strictly inside it.
    let mut cells: Vec<(Vec<bool>, Vec<f64>)> = vec![(Vec::new(), vec![0.0; h])];
    for (l, row) in rows.iter().enumerate() {
        let mut next = Vec::with_capacity(cells.len() * 2);
        for (signs, point) in cells {
            let side = cnr_numerics::dot(row, &point);
            for positive in [true, false] {
                // The side the cell's point is on keeps that point (the first row has none).
                let keeps = l > 0 && side != 0.0 && (side > 0.0) == positive;
                let mut extended = signs.clone();
                extended.push(positive);
                let inside = if keeps { Some(point.clone()) } else { interior(&rows[..=l], &extended) };
                if let Some(p) = inside {
                    next.push((extended, p));
                }
            }
        }
        cells = next;
    }
    let filters = cells.into_iter().map(|(_, p)| p).collect();
    Ok(PatternSet::of_filters(model, filters, true))
}

/// A point strictly inside the cell where row `l` has sign `signs[l]`, if the cell is open and
/// non-empty: the maximiser of the margin LP.
fn interior(rows: &[Vec<f64>], signs: &[bool]) -> Option<Vec<f64>> {
    let h = rows[0].len();
    let mut g = vec![0.0; h + 1];
    g[h] = 1.0;
    let mut lp = CutLp::new(&g, 1.0);
    for (row, &positive) in rows.iter().zip(signs) {
        let sign = if positive { 1.0 } else { -1.0 };
        let norm = cnr_numerics::norm(row);
        // −σ⟨x̃, u⟩ + t‖x̃‖ ≤ 0.
        let mut cut: Vec<f64> = row.iter().map(|v| -sign * v).collect();
        cut.push(norm);
        lp.add_cut(cut, 0.0);
    }
    if lp.solve(100_000) != LpStatus::Optimal {
        return None;
    }
    let theta = lp.theta();
    (theta[h] > MARGIN).then(|| theta[..h].to_vec())
}

/// The margin (in the unit box, relative to each patch's length) below which a cell is taken to
/// be empty: a cell thinner than this is rounding.
const MARGIN: f64 = 1e-9;

/// `2 Σ_{j<h} C(N − 1, j)`, the most cells `N` hyperplanes through the origin cut `R^h` into
/// (Cover 1965), saturating.
fn cell_bound(rows: u64, h: u64) -> u64 {
    if rows == 0 {
        return 1;
    }
    let mut total: u64 = 0;
    let mut binomial: u64 = 1; // C(rows − 1, 0)
    for j in 0..h.min(rows) {
        total = total.saturating_add(binomial);
        binomial = binomial.saturating_mul(rows - 1 - j) / (j + 1);
    }
    total.saturating_mul(2)
}

#[cfg(test)]
mod tests {
    use super::cell_bound;

    #[test]
    fn the_bound_on_cells_is_covers() {
        // Three lines through the origin of the plane: six sectors.
        assert_eq!(cell_bound(3, 2), 6);
        // Four generic planes through the origin of R^3: 2 (1 + 3 + 3) = 14 cells.
        assert_eq!(cell_bound(4, 3), 14);
        assert_eq!(cell_bound(1, 5), 2);
    }
}
