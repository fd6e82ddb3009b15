//! Stacking blocks of rows into `A` (compressed columns) and `b` without a row-major copy.
//!
//! [`RowBuilder::stack`] transposes rows that were stored first; here the blocks produce their
//! entries on demand instead ([`RowSource`]), so `A` is allocated at its exact size and every entry
//! is computed straight into its final slot. This is what lets the activation's rows — nearly all of
//! `A` — go from the data to `A` without ever being stored in between (`crate::stamp`).

use cnr_ir::{CscMatrix, RowBuilder};
use std::ops::Range;

/// A block of constraint rows `Σ a_j x_j + s = b` that produces its entries on demand, so that `A`
/// can be filled straight from it: [`stack`] asks every block twice, once to count the
/// entries of each column and once to write them, instead of keeping a row-major copy of `A` and
/// transposing it. A [`RowBuilder`] is one; the activation's rows, stamped out of a template, are
/// another (`crate::stamp`).
pub(crate) trait RowSource: Sync {
    /// Number of rows.
    fn rows(&self) -> usize;

    /// Appends the right-hand sides of the rows to `b`.
    fn rhs_into(&self, b: &mut Vec<f64>);

    /// Passes the entries of the rows `rows` (numbered from 0 in this block) to `sink`, row after row
    /// in increasing order. Within a row the columns may come in any order but must not repeat.
    /// Every call must pass the same entries with the same values (the sink is called once to count
    /// and once to write). Zeros and entries outside [`ColumnSink::columns`] may be passed; the sink
    /// skips them, so a source only narrows to those columns where that saves work.
    fn entries(&self, rows: Range<usize>, sink: &mut ColumnSink<'_>);
}

impl RowSource for RowBuilder {
    fn rows(&self) -> usize {
        RowBuilder::rows(self)
    }

    fn rhs_into(&self, b: &mut Vec<f64>) {
        b.extend_from_slice(self.rhs());
    }

    fn entries(&self, rows: Range<usize>, sink: &mut ColumnSink<'_>) {
        for i in rows {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                sink.entry(i, j as usize, v);
            }
        }
    }
}

/// Receives entries from a [`RowSource`]: either counts them per column or writes them into their
/// slots of `A`, for the columns [`ColumnSink::columns`] only.
pub(crate) struct ColumnSink<'a> {
    cols: Range<usize>,
    /// The first row of the source being read, in the stacked matrix.
    row0: usize,
    out: Out<'a>,
}

enum Out<'a> {
    /// Entries per column of `cols`.
    Count(&'a mut [usize]),
    /// The next free slot of each column of `cols`, and the entries of exactly those columns.
    Fill { next: &'a mut [usize], rowval: &'a mut [usize], nzval: &'a mut [f64] },
}

impl ColumnSink<'_> {
    /// The columns this sink keeps; entries in other columns are skipped.
    pub(crate) fn columns(&self) -> Range<usize> {
        self.cols.clone()
    }

    /// The entry `value` in row `row` of the source and column `col`; zeros are skipped.
    #[inline]
    pub(crate) fn entry(&mut self, row: usize, col: usize, value: f64) {
        if value == 0.0 {
            return;
        }
        let Some(c) = col.checked_sub(self.cols.start).filter(|&c| c < self.cols.len()) else {
            return;
        };
        match &mut self.out {
            Out::Count(counts) => counts[c] += 1,
            Out::Fill { next, rowval, nzval } => {
                let slot = next[c];
                rowval[slot] = self.row0 + row;
                nzval[slot] = value;
                next[c] = slot + 1;
            }
        }
    }
}

/// Stacks the rows of several sources, in order, into one `(A, b)` with `n` columns, without an
/// intermediate copy: `A` is allocated at its exact size after a counting pass and each entry is
/// written once, into its final slot.
///
/// Large matrices are counted by a few threads, each reading a contiguous range of rows, and filled
/// by a few threads, each owning a contiguous range of columns (and so a contiguous range of `A`'s
/// entries). Every entry is written by exactly one thread with the same value, and rows are visited in
/// increasing order, so the result does not depend on the number of threads.
///
/// `threads` sets the number of threads for both passes; `None` takes as many as pay off. The
/// result is the same for every choice (tests check that).
pub(crate) fn stack(parts: &[&dyn RowSource], n: usize, threads: Option<usize>) -> (CscMatrix, Vec<f64>) {
    let m: usize = parts.iter().map(|p| p.rows()).sum();
    let available = || std::thread::available_parallelism().map_or(1, |p| p.get()).min(MAX_THREADS);
    // Below about 32,000 rows (a few hundred thousand entries) a counting thread costs more than it
    // saves.
    let count_threads = threads.unwrap_or_else(|| if m < 1 << 15 { 1 } else { available() }).max(1);

    // Count: thread t reads the rows m·t/T..m·(t+1)/T into counts of its own, summed afterwards.
    let count_rows = |rows: Range<usize>| {
        let mut counts = vec![0usize; n];
        let mut sink = ColumnSink { cols: 0..n, row0: 0, out: Out::Count(&mut counts) };
        for_each_part(parts, &mut sink, rows);
        counts
    };
    let mut colptr = vec![0usize; n + 1];
    let mut add = |counts: Vec<usize>| colptr[1..].iter_mut().zip(counts).for_each(|(p, c)| *p += c);
    if count_threads == 1 {
        add(count_rows(0..m));
    } else {
        let all: Vec<Vec<usize>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..count_threads)
                .map(|t| {
                    let rows = m * t / count_threads..m * (t + 1) / count_threads;
                    scope.spawn(move || count_rows(rows))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a counting thread panicked")).collect()
        });
        all.into_iter().for_each(&mut add);
    }
    for j in 0..n {
        colptr[j + 1] += colptr[j];
    }
    let nnz = colptr[n];

    let mut rowval = vec![0usize; nnz];
    let mut nzval = vec![0.0f64; nnz];
    let mut rhs = Vec::with_capacity(m);
    for part in parts {
        part.rhs_into(&mut rhs);
    }
    // Filling is bound by scattered writes and first touches of fresh pages, which do run in
    // parallel; below a million entries a thread costs more than it saves.
    let threads = threads.unwrap_or_else(|| if nnz < 1 << 20 { 1 } else { available() }).max(1);
    if threads == 1 {
        fill(parts, 0..n, &colptr, &mut rowval, &mut nzval);
    } else {
        // Column ranges with about equal numbers of entries.
        let mut bounds = vec![0];
        for t in 1..threads {
            let cut = colptr.partition_point(|&p| p < nnz * t / threads).min(n);
            bounds.push(cut.max(*bounds.last().expect("bounds start with 0")));
        }
        bounds.push(n);
        std::thread::scope(|scope| {
            let (mut rows_left, mut vals_left) = (rowval.as_mut_slice(), nzval.as_mut_slice());
            let mut done = 0;
            for w in bounds.windows(2) {
                let take = colptr[w[1]] - done;
                let (rows_here, rows_rest) = rows_left.split_at_mut(take);
                let (vals_here, vals_rest) = vals_left.split_at_mut(take);
                (rows_left, vals_left, done) = (rows_rest, vals_rest, colptr[w[1]]);
                let (colptr, cols) = (&colptr, w[0]..w[1]);
                scope.spawn(move || fill(parts, cols, colptr, rows_here, vals_here));
            }
        });
    }
    (CscMatrix { m, n, colptr, rowval, nzval }, rhs)
}

/// The most threads [`stack`] uses: each filling thread reads all the rows, so more threads
/// than memory channels only add reading.
const MAX_THREADS: usize = 4;

/// Passes the entries of the stacked rows `rows` to `sink`, source by source.
fn for_each_part(parts: &[&dyn RowSource], sink: &mut ColumnSink<'_>, rows: Range<usize>) {
    let mut row0 = 0;
    for part in parts {
        let here = row0..row0 + part.rows();
        let (lo, hi) = (rows.start.max(here.start), rows.end.min(here.end));
        if lo < hi {
            sink.row0 = row0;
            part.entries(lo - row0..hi - row0, sink);
        }
        row0 = here.end;
    }
}

/// Writes the entries of the columns `cols` into `rowval` and `nzval`, which hold exactly those
/// columns' entries (`colptr[cols.start]..colptr[cols.end]` of the whole matrix). Rows are visited in
/// increasing order, so each column's row indices come out sorted.
fn fill(
    parts: &[&dyn RowSource],
    cols: Range<usize>,
    colptr: &[usize],
    rowval: &mut [usize],
    nzval: &mut [f64],
) {
    let (first, base) = (cols.start, colptr[cols.start]);
    let mut next: Vec<usize> = colptr[cols.clone()].iter().map(|&p| p - base).collect();
    let m = parts.iter().map(|p| p.rows()).sum();
    let mut sink = ColumnSink { cols, row0: 0, out: Out::Fill { next: &mut next, rowval, nzval } };
    for_each_part(parts, &mut sink, 0..m);
    // Both passes saw the same entries: every column is exactly full.
    debug_assert!(next.iter().zip(&colptr[first + 1..]).all(|(&e, &p)| e == p - base));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_like_the_row_builder_with_any_threads() {
        // Enough rows for the threaded passes; a simple generator spreads the entries over the
        // columns unevenly, with some columns empty, and a few rows empty.
        let (n, rows) = (1000, 40_000);
        let mut parts = vec![RowBuilder::new(), RowBuilder::new(), RowBuilder::new()];
        let mut state = 12345u64;
        for i in 0..rows {
            let part = &mut parts[usize::from(i >= rows / 3) + usize::from(i >= rows / 2)];
            let mut used = Vec::new();
            for _ in 0..(i % 7) * 5 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let j = ((state >> 33) as usize % n).pow(2) / n;
                if !used.contains(&j) {
                    used.push(j);
                    part.push_entry(j, (state >> 11) as f64 / 1e6 - 1e6);
                }
            }
            part.end_row(i as f64);
        }
        let sources: Vec<&dyn RowSource> = parts.iter().map(|p| p as &dyn RowSource).collect();
        let want = RowBuilder::stack(parts.clone(), n);
        for threads in [Some(1), Some(2), Some(3), Some(5), None] {
            assert!(stack(&sources, n, threads) == want, "{threads:?} threads");
        }
    }
}
