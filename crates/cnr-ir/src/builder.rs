use crate::CscMatrix;

/// Accumulates constraint rows `Σ a_j x_j + s = b` one at a time and turns them into `A` (compressed
/// columns) and `b`.
///
/// Lowering produces constraints row by row, while Clarabel wants columns; the builder keeps rows in
/// compressed-row form and transposes once at the end with a counting pass, so building costs O(nnz)
/// and no sort. Within a row, entries may come in any column order but must not repeat a column.
#[derive(Clone, Debug, Default)]
pub struct RowBuilder {
    rowptr: Vec<usize>,
    colidx: Vec<u32>,
    vals: Vec<f64>,
    rhs: Vec<f64>,
}

impl RowBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        RowBuilder { rowptr: vec![0], ..Default::default() }
    }

    /// An empty builder with room for `rows` rows and `nnz` entries.
    pub fn with_capacity(rows: usize, nnz: usize) -> Self {
        let mut rowptr = Vec::with_capacity(rows + 1);
        rowptr.push(0);
        RowBuilder {
            rowptr,
            colidx: Vec::with_capacity(nnz),
            vals: Vec::with_capacity(nnz),
            rhs: Vec::with_capacity(rows),
        }
    }

    /// Number of rows pushed so far; the index the next row will get.
    pub fn rows(&self) -> usize {
        self.rhs.len()
    }

    /// Number of entries pushed so far.
    pub fn nnz(&self) -> usize {
        self.vals.len()
    }

    /// The entries of row `i` (column indices and values, in the order they were pushed, without
    /// zeros), for stacking rows elsewhere than in [`RowBuilder::stack`].
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.rowptr[i]..self.rowptr[i + 1];
        (&self.colidx[r.clone()], &self.vals[r])
    }

    /// The right-hand sides of the rows pushed so far.
    pub fn rhs(&self) -> &[f64] {
        &self.rhs
    }

    /// Appends the row `Σ entries + s = rhs`; zero coefficients are skipped.
    pub fn push_row(&mut self, entries: &[(usize, f64)], rhs: f64) {
        for &(j, v) in entries {
            self.push_entry(j, v);
        }
        self.end_row(rhs);
    }

    /// Adds one entry to the row being built; finish the row with [`RowBuilder::end_row`].
    #[inline]
    pub fn push_entry(&mut self, col: usize, value: f64) {
        if value != 0.0 {
            self.colidx.push(u32::try_from(col).expect("column index fits in 32 bits"));
            self.vals.push(value);
        }
    }

    /// Closes the row being built with right-hand side `rhs`.
    #[inline]
    pub fn end_row(&mut self, rhs: f64) {
        self.rowptr.push(self.vals.len());
        self.rhs.push(rhs);
    }

    /// Turns the rows into `(A, b)` with `n` columns.
    pub fn finish(self, n: usize) -> (CscMatrix, Vec<f64>) {
        RowBuilder::stack(vec![self], n)
    }

    /// Stacks the rows of several builders, in order, into one `(A, b)` with `n` columns: one counting
    /// pass for the column pointers, one pass writing each entry into its final slot. (Lowering's
    /// large activation blocks do not come through here: `cnr-lower` stamps them straight into `A`
    /// with a parallel fill of its own.)
    pub fn stack(parts: Vec<RowBuilder>, n: usize) -> (CscMatrix, Vec<f64>) {
        let m: usize = parts.iter().map(RowBuilder::rows).sum();
        let nnz: usize = parts.iter().map(RowBuilder::nnz).sum();
        let mut colptr = vec![0usize; n + 1];
        for part in &parts {
            for &j in &part.colidx {
                colptr[j as usize + 1] += 1;
            }
        }
        for j in 0..n {
            colptr[j + 1] += colptr[j];
        }
        let mut next = colptr.clone();
        let mut rowval = vec![0usize; nnz];
        let mut nzval = vec![0.0f64; nnz];
        let mut rhs = Vec::with_capacity(m);
        let mut row0 = 0;
        // Rows are visited in increasing order, so each column's row indices come out sorted.
        for part in &parts {
            for (i, r) in part.rowptr.windows(2).enumerate() {
                for (&j, &v) in part.colidx[r[0]..r[1]].iter().zip(&part.vals[r[0]..r[1]]) {
                    let slot = &mut next[j as usize];
                    rowval[*slot] = row0 + i;
                    nzval[*slot] = v;
                    *slot += 1;
                }
            }
            row0 += part.rows();
            rhs.extend_from_slice(&part.rhs);
        }
        (CscMatrix { m, n, colptr, rowval, nzval }, rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_rows_into_columns() {
        let mut r = RowBuilder::new();
        r.push_row(&[(2, 1.0), (0, -1.0)], 3.0);
        r.push_row(&[(1, 0.0)], 0.0);
        r.push_row(&[(0, 5.0)], -1.0);
        let (a, b) = r.finish(3);
        assert_eq!(b, vec![3.0, 0.0, -1.0]);
        assert_eq!(a.m, 3);
        assert_eq!(a.colptr, vec![0, 2, 2, 3]);
        assert_eq!(a.rowval, vec![0, 2, 0]);
        assert_eq!(a.nzval, vec![-1.0, 5.0, 1.0]);
    }

    #[test]
    fn large_stacks_match_triplets() {
        // Enough entries for the threaded fill; a simple generator spreads them over the columns
        // unevenly, with some columns empty.
        let (n, rows) = (1000, 40_000);
        let mut parts = vec![RowBuilder::new(), RowBuilder::new()];
        let mut triplets = Vec::new();
        let mut state = 12345u64;
        for i in 0..rows {
            let part = &mut parts[usize::from(i >= rows / 3)];
            for _ in 0..30 {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let j = ((state >> 33) as usize % n).pow(2) / n;
                if !triplets.iter().rev().take(30).any(|&(r, c, _)| r == i && c == j) {
                    let v = (state >> 11) as f64 / 1e6 + 1.0;
                    part.push_entry(j, v);
                    triplets.push((i, j, v));
                }
            }
            part.end_row(i as f64);
        }
        assert!(triplets.len() >= 1 << 20);
        let (a, b) = RowBuilder::stack(parts, n);
        assert_eq!(b, (0..rows).map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(a, CscMatrix::from_triplets(rows, n, &triplets));
    }

    #[test]
    fn stacking_offsets_rows() {
        let mut first = RowBuilder::new();
        first.push_row(&[(1, 2.0)], 1.0);
        let mut second = RowBuilder::new();
        second.push_row(&[(0, 3.0), (1, 4.0)], 2.0);
        let (a, b) = RowBuilder::stack(vec![first, second], 2);
        assert_eq!(b, vec![1.0, 2.0]);
        assert_eq!(a.colptr, vec![0, 1, 3]);
        assert_eq!(a.rowval, vec![1, 0, 1]);
        assert_eq!(a.nzval, vec![3.0, 2.0, 4.0]);
    }
}
