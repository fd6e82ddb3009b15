use serde::{Deserialize, Serialize};

/// A sparse matrix in compressed sparse columns, as Clarabel takes it.
///
/// Column `j` holds the entries `rowval[colptr[j]..colptr[j+1]]` / `nzval[...]`; within a column, row
/// indices are strictly increasing (no duplicates). Explicit zeros are allowed but never produced by
/// cnr's own builders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CscMatrix {
    /// Number of rows.
    pub m: usize,
    /// Number of columns.
    pub n: usize,
    /// Column pointers, length `n + 1`, starting at 0.
    pub colptr: Vec<usize>,
    /// Row index of each stored entry.
    pub rowval: Vec<usize>,
    /// Value of each stored entry.
    pub nzval: Vec<f64>,
}

impl CscMatrix {
    /// The `m × n` matrix with no entries.
    pub fn zeros(m: usize, n: usize) -> Self {
        CscMatrix { m, n, colptr: vec![0; n + 1], rowval: Vec::new(), nzval: Vec::new() }
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.nzval.len()
    }

    /// The `(row, value)` entries of column `j`.
    pub fn column(&self, j: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.colptr[j]..self.colptr[j + 1];
        self.rowval[range.clone()].iter().copied().zip(self.nzval[range].iter().copied())
    }

    /// Builds a matrix from `(row, column, value)` triplets, summing duplicates and dropping entries
    /// that sum to exactly zero.
    pub fn from_triplets(m: usize, n: usize, triplets: &[(usize, usize, f64)]) -> Self {
        let mut sorted: Vec<(usize, usize, f64)> = triplets.to_vec();
        sorted.sort_by_key(|&(i, j, _)| (j, i));
        let mut colptr = vec![0; n + 1];
        let mut rowval = Vec::with_capacity(sorted.len());
        let mut nzval: Vec<f64> = Vec::with_capacity(sorted.len());
        let mut last: Option<(usize, usize)> = None;
        let mut cols = Vec::with_capacity(sorted.len());
        for (i, j, v) in sorted {
            if last == Some((i, j)) {
                *nzval.last_mut().expect("a previous entry exists") += v;
            } else {
                rowval.push(i);
                nzval.push(v);
                cols.push(j);
                last = Some((i, j));
            }
        }
        let mut keep_row = Vec::with_capacity(rowval.len());
        let mut keep_val = Vec::with_capacity(rowval.len());
        for ((i, v), j) in rowval.into_iter().zip(nzval).zip(cols) {
            if v != 0.0 {
                keep_row.push(i);
                keep_val.push(v);
                colptr[j + 1] += 1;
            }
        }
        for j in 0..n {
            colptr[j + 1] += colptr[j];
        }
        CscMatrix { m, n, colptr, rowval: keep_row, nzval: keep_val }
    }

    /// `y += A x`.
    pub fn mul_add(&self, x: &[f64], y: &mut [f64]) {
        for (j, &xj) in x.iter().enumerate().take(self.n) {
            if xj == 0.0 {
                continue;
            }
            for (i, v) in self.column(j) {
                y[i] += v * xj;
            }
        }
    }

    /// All entries as `(row, column, value)` triplets, column by column.
    pub fn triplets(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.n).flat_map(move |j| self.column(j).map(move |(i, v)| (i, j, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triplets_sum_duplicates_and_sort() {
        let a = CscMatrix::from_triplets(
            2,
            2,
            &[(1, 0, 1.0), (0, 0, 2.0), (1, 0, 3.0), (0, 1, 1.0), (0, 1, -1.0)],
        );
        assert_eq!(a.colptr, vec![0, 2, 2]);
        assert_eq!(a.rowval, vec![0, 1]);
        assert_eq!(a.nzval, vec![2.0, 4.0]);
        let mut y = vec![0.0; 2];
        a.mul_add(&[1.0, 5.0], &mut y);
        assert_eq!(y, vec![2.0, 4.0]);
    }
}
