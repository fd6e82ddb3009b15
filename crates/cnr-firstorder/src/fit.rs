//! The fit's matrix as an operator, and the groups' norms: what both forms' methods share.

use ndarray::{s, Array1, ArrayView2, Axis};

/// Below this many entries of `A` a product runs on one thread (a thread costs more than it saves).
const PARALLEL_ENTRIES: usize = 1 << 16;

/// `A` with its columns centred when the problem has an offset: `A w + c·1 = A_c w + (c + μᵀw)·1`
/// with `μ` the columns' means, so the methods work in `(w, c' = c + μᵀw)` with `A_c`, whose
/// columns are orthogonal to the offset's — the same problem, far better conditioned when the
/// inputs share a mean (pixels in [0, 1]: on the digits' gated form, 55,800 iterations without it).
/// Products write into the caller's buffers and split over `threads` (rows for `A_c w`, columns
/// for `A_cᵀ r`), each thread's share summed in the same order whatever their number.
pub(crate) struct FitOperator<'a> {
    a: ArrayView2<'a, f64>,
    means: Option<Array1<f64>>,
    threads: usize,
}

impl<'a> FitOperator<'a> {
    pub(crate) fn new(a: ArrayView2<'a, f64>, offset: bool, threads: usize) -> FitOperator<'a> {
        let means = offset.then(|| a.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(a.ncols())));
        FitOperator { a, means, threads: threads.max(1) }
    }

    fn threads_for(&self, parts: usize) -> usize {
        if self.a.len() < PARALLEL_ENTRIES {
            1
        } else {
            self.threads.min(parts).max(1)
        }
    }

    /// `out = A_c w`, column by column over each thread's rows (`A` is stored by columns),
    /// skipping the zeros the group soft-threshold leaves.
    pub(crate) fn apply(&self, w: &[f64], out: &mut [f64]) {
        let n = self.a.nrows();
        let chunk = n.div_ceil(self.threads_for(n)).max(1);
        // `A` by columns, contiguous (the driver's layout): each thread's share of a column is a
        // slice; any other layout goes through the views.
        let by_columns = self.a.t().to_slice();
        let rows = |start: usize, out: &mut [f64]| {
            out.iter_mut().for_each(|o| *o = 0.0);
            let len = out.len();
            match by_columns {
                Some(data) => {
                    for (j, &wj) in w.iter().enumerate() {
                        if wj != 0.0 {
                            let column = &data[j * n + start..j * n + start + len];
                            out.iter_mut().zip(column).for_each(|(o, a)| *o += wj * a);
                        }
                    }
                }
                None => {
                    let block = self.a.slice(s![start..start + len, ..]);
                    for (column, &wj) in block.columns().into_iter().zip(w) {
                        if wj != 0.0 {
                            out.iter_mut().zip(column).for_each(|(o, a)| *o += wj * a);
                        }
                    }
                }
            }
        };
        if chunk >= n {
            rows(0, out);
        } else {
            std::thread::scope(|scope| {
                for (t, part) in out.chunks_mut(chunk).enumerate() {
                    scope.spawn(move || rows(t * chunk, part));
                }
            });
        }
        if let Some(mu) = &self.means {
            let shift: f64 = mu.iter().zip(w).map(|(m, w)| m * w).sum();
            out.iter_mut().for_each(|v| *v -= shift);
        }
    }

    /// `out = A_cᵀ r`: a dot product per column, the columns split over the threads.
    pub(crate) fn apply_t(&self, r: &[f64], out: &mut [f64]) {
        let m = self.a.ncols();
        let r = ndarray::ArrayView1::from(r);
        let chunk = m.div_ceil(self.threads_for(m)).max(1);
        let columns = |start: usize, out: &mut [f64]| {
            for (j, o) in out.iter_mut().enumerate() {
                *o = self.a.column(start + j).dot(&r);
            }
        };
        if chunk >= m {
            columns(0, out);
        } else {
            std::thread::scope(|scope| {
                for (t, part) in out.chunks_mut(chunk).enumerate() {
                    scope.spawn(move || columns(t * chunk, part));
                }
            });
        }
        if let Some(mu) = &self.means {
            let total = r.sum();
            out.iter_mut().zip(mu).for_each(|(o, m)| *o -= total * m);
        }
    }

    /// The offset `c` of the point `(w, c')`.
    pub(crate) fn offset(&self, w: &[f64], c_centred: f64) -> f64 {
        self.means
            .as_ref()
            .map_or(c_centred, |mu| c_centred - mu.iter().zip(w).map(|(m, w)| m * w).sum::<f64>())
    }

    /// The centred offset `c'` of the point `(w, c)`.
    pub(crate) fn centred_offset(&self, w: &[f64], c: f64) -> f64 {
        self.means.as_ref().map_or(c, |mu| c + mu.iter().zip(w).map(|(m, w)| m * w).sum::<f64>())
    }

    /// An estimate of `λ_max(A'ᵀA')` by power iteration (`A' = [A_c, 1]` with an offset); a step
    /// that fails the sufficient decrease doubles it.
    pub(crate) fn lipschitz(&self) -> f64 {
        let (n, m) = self.a.dim();
        let offset = self.means.is_some();
        let mut v = vec![1.0; m + usize::from(offset)];
        let (mut av, mut next) = (vec![0.0; n], vec![0.0; v.len()]);
        let mut value = 0.0;
        for _ in 0..50 {
            let norm = norm(&v);
            if norm == 0.0 {
                return 1.0;
            }
            v.iter_mut().for_each(|x| *x /= norm);
            self.apply(&v[..m], &mut av);
            if offset {
                av.iter_mut().for_each(|a| *a += v[m]);
            }
            self.apply_t(&av, &mut next[..m]);
            if offset {
                next[m] = av.iter().sum();
            }
            value = v.iter().zip(&next).map(|(a, b)| a * b).sum();
            std::mem::swap(&mut v, &mut next);
        }
        value
    }
}

pub(crate) use cnr_numerics::{dot, norm};

/// `Σ_g ‖w_g‖` over the groups of `h` numbers that fill `w`.
pub(crate) fn group_norms(w: &[f64], h: usize) -> f64 {
    w.chunks_exact(h.max(1)).map(norm).sum()
}

/// The group soft-threshold: each group of `h` numbers of `w` shrunk towards 0 by `amount` in norm.
pub(crate) fn shrink(w: &mut [f64], h: usize, amount: f64) {
    for block in w.chunks_exact_mut(h.max(1)) {
        let norm = norm(block);
        let keep = if norm > amount { 1.0 - amount / norm } else { 0.0 };
        block.iter_mut().for_each(|v| *v *= keep);
    }
}
