//! Least squares by Householder QR: `‖A z − y‖² = ‖R z − (Qᵀy)₁‖² + ‖(Qᵀy)₂‖²` for every `z`, so a
//! program may hold the `m` rows of `R z − (Qᵀy)₁` in place of the `n` rows of `A z − y` (`n > m`),
//! with the constant `‖(Qᵀy)₂‖²` beside. Exact whatever `A`'s rank: a column that the reflections
//! leave at zero gives a zero row of `R`.

/// `R` and `Qᵀy` of the Householder QR of an `n × m` matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct LeastSquaresQr {
    /// Columns `m`.
    pub m: usize,
    /// `R`, `m × m` upper triangular, column-major (`r[i + j·m]`, zero below the diagonal).
    pub r: Vec<f64>,
    /// The first `m` entries of `Qᵀy`.
    pub qty: Vec<f64>,
    /// `‖(Qᵀy)₂‖²`: the squared norm of the part of `y` no column reaches.
    pub rest: f64,
}

/// The Householder QR of `a` (`n × m`, column-major, `n ≥ m`), applied to `y` too.
pub fn least_squares_qr(mut a: Vec<f64>, n: usize, m: usize, y: &[f64]) -> LeastSquaresQr {
    assert!(n >= m && a.len() == n * m && y.len() == n, "an n × m matrix with n ≥ m, and n labels");
    let mut y = y.to_vec();
    let mut v = vec![0.0; n];
    for k in 0..m {
        let (head, tail) = a.split_at_mut((k + 1) * n);
        let x = &mut head[k * n + k..(k + 1) * n];
        let norm = crate::norm(x);
        if norm == 0.0 {
            continue;
        }
        // v = x − α e₁ with α = −sign(x₀)‖x‖ (no cancellation); H = I − 2vvᵀ/vᵀv maps x to α e₁.
        let alpha = if x[0] > 0.0 { -norm } else { norm };
        let v = &mut v[..n - k];
        v.copy_from_slice(x);
        v[0] -= alpha;
        let vv = crate::dot(v, v);
        x.iter_mut().for_each(|e| *e = 0.0);
        x[0] = alpha;
        let reflect = |col: &mut [f64]| {
            let f = 2.0 * crate::dot(v, col) / vv;
            col.iter_mut().zip(v.iter()).for_each(|(c, v)| *c -= f * v);
        };
        for j in k + 1..m {
            reflect(&mut tail[(j - k - 1) * n + k..(j - k) * n]);
        }
        reflect(&mut y[k..]);
    }
    let mut r = vec![0.0; m * m];
    for j in 0..m {
        r[j * m..j * m + j + 1].copy_from_slice(&a[j * n..j * n + j + 1]);
    }
    let rest = y[m..].iter().map(|e| e * e).sum();
    y.truncate(m);
    LeastSquaresQr { m, r, qty: y, rest }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `‖A z − y‖²` against `‖R z − Qᵀy‖² + rest` at random points, a rank-deficient `A` included.
    #[test]
    fn the_squared_residual_is_kept_at_every_point() {
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for (n, m, deficient) in [(9, 4, false), (12, 5, true), (6, 6, false), (20, 1, false)] {
            let mut a: Vec<f64> = (0..n * m).map(|_| next()).collect();
            if deficient {
                // Column 2 repeats column 0, and column 3 is zero.
                let first: Vec<f64> = a[..n].to_vec();
                a[2 * n..3 * n].copy_from_slice(&first);
                a[3 * n..4 * n].iter_mut().for_each(|e| *e = 0.0);
            }
            let y: Vec<f64> = (0..n).map(|_| next()).collect();
            let qr = least_squares_qr(a.clone(), n, m, &y);
            for i in 0..m {
                for j in 0..i {
                    assert_eq!(qr.r[j * m + i], 0.0, "below the diagonal");
                }
            }
            for _ in 0..5 {
                let z: Vec<f64> = (0..m).map(|_| next()).collect();
                let full: f64 =
                    (0..n).map(|i| ((0..m).map(|j| a[j * n + i] * z[j]).sum::<f64>() - y[i]).powi(2)).sum();
                let small: f64 = (0..m)
                    .map(|i| ((0..m).map(|j| qr.r[j * m + i] * z[j]).sum::<f64>() - qr.qty[i]).powi(2))
                    .sum::<f64>()
                    + qr.rest;
                assert!((full - small).abs() <= 1e-12 * full.max(1.0), "{n}×{m}: {full} vs {small}");
            }
        }
    }
}
