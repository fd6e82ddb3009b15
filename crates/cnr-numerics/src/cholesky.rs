//! Solving a symmetric positive definite system by its Cholesky factor.

/// Solves `A x = b` for a symmetric positive definite `A` (`n × n`, row-major, overwritten by its
/// lower factor); `None` when it is not positive definite (a pivot that is not positive, or NaN).
pub fn cholesky_solve(a: &mut [f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut diag = a[j * n + j];
        for k in 0..j {
            diag -= a[j * n + k] * a[j * n + k];
        }
        if diag.is_nan() || diag <= 0.0 {
            return None;
        }
        let diag = diag.sqrt();
        a[j * n + j] = diag;
        for i in j + 1..n {
            let mut v = a[i * n + j];
            for k in 0..j {
                v -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = v / diag;
        }
    }
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= a[i * n + k] * y[k];
        }
        y[i] /= a[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= a[k * n + i] * y[k];
        }
        y[i] /= a[i * n + i];
    }
    Some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_small_system() {
        // A = [[4, 2], [2, 3]], x = [1, -2] → b = [0, -4].
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let x = cholesky_solve(&mut a, &[0.0, -4.0], 2).expect("positive definite");
        assert!((x[0] - 1.0).abs() < 1e-14 && (x[1] + 2.0).abs() < 1e-14, "{x:?}");
    }

    #[test]
    fn refuses_an_indefinite_matrix() {
        let mut a = vec![1.0, 2.0, 2.0, 1.0];
        assert!(cholesky_solve(&mut a, &[1.0, 1.0], 2).is_none());
        let mut nan = vec![f64::NAN];
        assert!(cholesky_solve(&mut nan, &[1.0], 1).is_none());
    }
}
