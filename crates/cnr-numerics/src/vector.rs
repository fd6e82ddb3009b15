//! The small vector helpers every numerical routine shares.

/// `aᵀx` with eight partial sums, which the compiler turns into vector instructions (a single
/// running sum must be added in order, one lane at a time). The slices are read to the shorter's
/// length.
pub fn dot(a: &[f64], x: &[f64]) -> f64 {
    let n = a.len().min(x.len());
    let (a, x) = (&a[..n], &x[..n]);
    let mut sums = [0.0; 8];
    let (a_chunks, x_chunks) = (a.chunks_exact(8), x.chunks_exact(8));
    let tail: f64 = a_chunks.remainder().iter().zip(x_chunks.remainder()).map(|(a, x)| a * x).sum();
    for (a, x) in a_chunks.zip(x_chunks) {
        for lane in 0..8 {
            sums[lane] += a[lane] * x[lane];
        }
    }
    let [s0, s1, s2, s3, s4, s5, s6, s7] = sums;
    ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)) + tail
}

/// The Euclidean norm `‖v‖₂`.
pub fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// The largest `|v_j|` (0 for an empty slice; NaN entries are skipped by `f64::max`).
pub fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// The largest `|a_j − b_j|`.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_the_plain_sum_on_every_length() {
        for n in 0..40 {
            let a: Vec<f64> = (0..n).map(|i| i as f64 - 3.5).collect();
            let b: Vec<f64> = (0..n).map(|i| 1.0 / (i as f64 + 1.0)).collect();
            let plain: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() <= 1e-12 * (1.0 + plain.abs()), "n = {n}");
        }
    }

    #[test]
    fn norms_and_differences() {
        assert_eq!(norm(&[3.0, 4.0]), 5.0);
        assert_eq!(max_abs(&[1.0, -7.0, 2.0]), 7.0);
        assert_eq!(max_abs(&[]), 0.0);
        assert_eq!(max_abs_diff(&[1.0, 2.0], &[1.5, -1.0]), 3.0);
    }
}
