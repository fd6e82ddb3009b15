//! The activation's rows for every item (sample, filter, patch), stamped from the [`Template`]
//! straight into `A`.
//!
//! These rows are nearly all of `A` (at n = 20,000, K = 16, d = 32: 10.9 M of 11.2 M entries). They
//! are not kept anywhere before `A` exists: [`Stamped`] is a [`RowSource`] that recomputes an item's
//! entries from its data whenever the stacking asks — once to count the entries of each column, once
//! to write them into their final slots. Recomputing is a few multiplications per entry and reads the
//! data (8 bytes per entry of `z`), while a row-major copy would cost 12 bytes per entry written,
//! read back and transposed, and would live next to the finished `A` at the peak.
//!
//! [`Template`]: crate::emit::Template

use crate::emit::TemplateRow;
use crate::stack::{ColumnSink, RowSource};
use cnr_check::Model;
use std::ops::Range;

/// What tells the items apart: item `p·U + u` (the program's sample `p`, unit `u = (m, k)`) has the
/// pre-activation `z = ⟨w_m, x_ik⟩ + b_m`, where `i` is the model's sample at position `p`, and its
/// own columns from `t0 + (p·U + u)·width` on.
#[derive(Debug)]
pub(crate) struct Items<'a> {
    model: &'a Model,
    /// The units `(m, k)` with a non-zero output weight, in item order.
    pub(crate) units: Vec<(usize, usize)>,
    /// Per unit, the columns of `w_m` that multiply data and the input coordinates they multiply
    /// (the patch off the padding), sorted by column.
    taps: Vec<Vec<(usize, usize)>>,
    /// The column of `b_0`, when the network has biases.
    bias0: Option<usize>,
    /// The first own column of the first item.
    t0: usize,
    /// Own columns per item.
    width: usize,
    /// The model's samples in the program's order (`None`: all of them, in order).
    samples: Option<&'a [usize]>,
}

impl<'a> Items<'a> {
    /// The items of `model` with `width` own columns each from `t0` on; `bias0` is the column of
    /// `b_0` when the network has biases.
    pub(crate) fn new(
        model: &'a Model,
        units: Vec<(usize, usize)>,
        bias0: Option<usize>,
        t0: usize,
        width: usize,
        samples: Option<&'a [usize]>,
    ) -> Self {
        let d = model.network.d();
        let taps = units
            .iter()
            .map(|&(m, k)| model.geometry.of(k).iter().map(|&(j, src)| (m * d + j, src)).collect())
            .collect();
        Items { model, units, taps, bias0, t0, width, samples }
    }

    /// The number of items.
    pub(crate) fn len(&self) -> usize {
        self.samples.map_or(self.model.data.n, <[usize]>::len) * self.units.len()
    }

    /// Writes into `out` the terms of the item's `z` whose columns lie in `cols`, sorted by column
    /// (the coordinates of `w_m` off the padding, then `b_m`), and returns the item's first own
    /// column. Data outside `cols` are not read.
    #[inline]
    pub(crate) fn z_into(&self, item: usize, cols: &Range<usize>, out: &mut Vec<(usize, f64)>) -> usize {
        let u = item % self.units.len();
        let p = item / self.units.len();
        let x = self.model.data.sample(self.samples.map_or(p, |s| s[p]));
        // The taps are sorted by column, so those in `cols` are a contiguous run.
        let taps = &self.taps[u];
        let (lo, hi) = (taps.partition_point(|t| t.0 < cols.start), taps.partition_point(|t| t.0 < cols.end));
        out.clear();
        out.extend(taps[lo..hi].iter().map(|&(col, src)| (col, x[src])));
        if let Some(b) = self.bias0.map(|b0| b0 + self.units[u].0).filter(|b| cols.contains(b)) {
            out.push((b, 1.0));
        }
        self.t0 + item * self.width
    }
}

/// One section's rows of the template, for every item in turn (item-major, as lowering each item on
/// its own would stack them).
#[derive(Debug)]
pub(crate) struct Stamped<'a> {
    pub(crate) items: &'a Items<'a>,
    pub(crate) rows: &'a [TemplateRow],
}

impl RowSource for Stamped<'_> {
    fn rows(&self) -> usize {
        self.items.len() * self.rows.len()
    }

    fn rhs_into(&self, b: &mut Vec<f64>) {
        for _ in 0..self.items.len() {
            b.extend(self.rows.iter().map(TemplateRow::constant));
        }
    }

    fn entries(&self, rows: Range<usize>, sink: &mut ColumnSink<'_>) {
        let per = self.rows.len();
        if per == 0 {
            return;
        }
        // Only the terms of `z` in the sink's columns are built: a thread filling other columns (say,
        // the items' own) then reads no data at all.
        let cols = sink.columns();
        let mut z = Vec::new();
        for item in rows.start / per..rows.end.div_ceil(per) {
            let first = self.items.z_into(item, &cols, &mut z);
            for (r, row) in self.rows.iter().enumerate() {
                let at = item * per + r;
                if rows.contains(&at) {
                    row.stamp(&z, first, |j, v| sink.entry(at, j, v));
                }
            }
        }
    }
}
