//! The eigenvector of the largest eigenvalue of a symmetric operator given only by its products,
//! by the Lanczos method with full reorthogonalisation and explicit restarts: what the spectral
//! anchor needs at large `d`, in `O(steps · d)` memory and one product with the operator a step,
//! where a dense eigen-solver takes `O(d²)` memory and `O(d³)` time. The dense solver, by Jacobi
//! rotations, is here too: Lanczos solves its small tridiagonal matrix with it, and the spectral
//! anchor uses it directly for small `d`.

use crate::vector::dot;

/// Krylov steps per restart.
const STEPS: usize = 48;
/// Restarts before giving up on the tolerance (the last Ritz vector is returned).
const RESTARTS: usize = 200;
/// The residual `‖S v − θ v‖` accepted, relative to the largest `|θ|` seen.
const TOLERANCE: f64 = 1e-11;

/// The unit eigenvector of the largest (most positive) eigenvalue of the symmetric operator on
/// `R^d` whose product `apply(v, out)` adds `S v` to `out` (which this function zeroes first). The
/// start vector is fixed, so the result is deterministic; the sign is left to the caller.
pub fn top_eigenvector_of(d: usize, apply: impl Fn(&[f64], &mut [f64])) -> Vec<f64> {
    let mut v = start(d);
    let mut sv = vec![0.0; d];
    let steps = STEPS.min(d);
    for _ in 0..RESTARTS {
        let (ritz, theta, scale) = cycle(d, steps, &v, &apply);
        v = ritz;
        product(&apply, &v, &mut sv);
        let residual = sv.iter().zip(&v).map(|(s, x)| (s - theta * x).powi(2)).sum::<f64>().sqrt();
        if residual <= TOLERANCE * scale.max(f64::MIN_POSITIVE) || scale == 0.0 {
            break;
        }
    }
    v
}

/// `out = S v`.
fn product(apply: &impl Fn(&[f64], &mut [f64]), v: &[f64], out: &mut [f64]) {
    out.iter_mut().for_each(|o| *o = 0.0);
    apply(v, out);
}

/// A fixed start vector with no zero entry and no structure (a 64-bit LCG), of unit length.
fn start(d: usize) -> Vec<f64> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut v: Vec<f64> = (0..d)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            0.5 + (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    normalise(&mut v);
    v
}

fn normalise(v: &mut [f64]) -> f64 {
    let norm = crate::vector::norm(v);
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    norm
}

/// One Lanczos cycle of at most `steps` steps from `v0`: the Ritz vector of the largest Ritz
/// value, that value, and the largest |Ritz value| (the operator's scale).
fn cycle(d: usize, steps: usize, v0: &[f64], apply: &impl Fn(&[f64], &mut [f64])) -> (Vec<f64>, f64, f64) {
    let mut basis: Vec<Vec<f64>> = vec![v0.to_vec()];
    let (mut alpha, mut beta) = (Vec::new(), Vec::new());
    let mut w = vec![0.0; d];
    for j in 0..steps {
        product(apply, &basis[j], &mut w);
        alpha.push(dot(&basis[j], &w));
        // Full reorthogonalisation, twice, against every basis vector.
        for _ in 0..2 {
            for q in &basis {
                let c = dot(q, &w);
                w.iter_mut().zip(q).for_each(|(x, y)| *x -= c * y);
            }
        }
        let b = normalise(&mut w);
        let scale = alpha.iter().chain(&beta).fold(0.0f64, |m, x| m.max(x.abs()));
        if j + 1 == steps || b <= 1e-14 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        beta.push(b);
        basis.push(w.clone());
    }
    // The small tridiagonal matrix T = Qᵀ S Q, dense, and its top eigenvector.
    let k = alpha.len();
    let mut t = vec![0.0; k * k];
    for i in 0..k {
        t[i * k + i] = alpha[i];
        if i + 1 < k {
            t[i * k + i + 1] = beta[i];
            t[(i + 1) * k + i] = beta[i];
        }
    }
    let y = top_eigenvector(t.clone(), k);
    let theta: f64 = (0..k).map(|a| y[a] * (0..k).map(|b| t[a * k + b] * y[b]).sum::<f64>()).sum();
    let scale = alpha.iter().chain(&beta).fold(0.0f64, |m, x| m.max(x.abs()));
    let mut ritz = vec![0.0; d];
    for (q, c) in basis.iter().zip(&y) {
        ritz.iter_mut().zip(q).for_each(|(r, x)| *r += c * x);
    }
    normalise(&mut ritz);
    (ritz, theta, scale)
}

/// The eigenvector of the largest eigenvalue of the symmetric `d × d` matrix `s` (row-major), by
/// cyclic Jacobi rotations (for small `d`: `O(d³)` a sweep); its sign is fixed so that its largest
/// entry is positive, which keeps the result deterministic.
pub fn top_eigenvector(mut s: Vec<f64>, d: usize) -> Vec<f64> {
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|a| (0..d).filter(move |&b| b != a).map(move |b| (a, b)))
            .map(|(a, b)| s[a * d + b].powi(2))
            .sum();
        let scale: f64 = s.iter().map(|x| x * x).sum();
        if off <= 1e-30 * scale.max(1e-300) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = s[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (s[q * d + q] - s[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let sn = t * c;
                for k in 0..d {
                    let (skp, skq) = (s[k * d + p], s[k * d + q]);
                    s[k * d + p] = c * skp - sn * skq;
                    s[k * d + q] = sn * skp + c * skq;
                }
                for k in 0..d {
                    let (spk, sqk) = (s[p * d + k], s[q * d + k]);
                    s[p * d + k] = c * spk - sn * sqk;
                    s[q * d + k] = sn * spk + c * sqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - sn * vkq;
                    v[k * d + q] = sn * vkp + c * vkq;
                }
            }
        }
    }
    let top = (0..d).max_by(|&a, &b| s[a * d + a].total_cmp(&s[b * d + b])).unwrap_or(0);
    let mut e: Vec<f64> = (0..d).map(|k| v[k * d + top]).collect();
    fix_sign(&mut e);
    e
}

/// Flips `e` so that its entry of largest magnitude is positive, which makes an eigenvector's
/// sign deterministic.
pub fn fix_sign(e: &mut [f64]) {
    let big = e.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())).unwrap_or(0.0);
    if big < 0.0 {
        e.iter_mut().for_each(|x| *x = -*x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A symmetric, indefinite matrix with a known spectrum: `Σ λ_i q_i q_iᵀ` for an orthonormal
    /// basis from Householder reflections of fixed vectors.
    fn matrix(d: usize, lambdas: &[f64]) -> Vec<f64> {
        let mut s = vec![0.0; d * d];
        for (i, &l) in lambdas.iter().enumerate() {
            // q_i: a reflected unit vector, e_i − 2 (hᵀ e_i) h for a fixed unit h.
            let h = start(d);
            let q: Vec<f64> = (0..d).map(|r| f64::from(u8::from(r == i)) - 2.0 * h[i] * h[r]).collect();
            for a in 0..d {
                for b in 0..d {
                    s[a * d + b] += l * q[a] * q[b];
                }
            }
        }
        s
    }

    fn dense(s: &[f64], d: usize) -> impl Fn(&[f64], &mut [f64]) + '_ {
        move |v, out| {
            for a in 0..d {
                out[a] += (0..d).map(|b| s[a * d + b] * v[b]).sum::<f64>();
            }
        }
    }

    #[test]
    fn lanczos_agrees_with_jacobi_on_indefinite_matrices() {
        for d in [3, 8, 100, 150] {
            // The top eigenvalue is the most positive one, not the largest in magnitude.
            let lambdas: Vec<f64> = (0..d)
                .map(|i| {
                    if i == 0 {
                        -9.0
                    } else if i == 1 {
                        5.0
                    } else {
                        4.0 * ((i * 7) % 11) as f64 / 11.0 - 2.0
                    }
                })
                .collect();
            let s = matrix(d, &lambdas);
            let fast = top_eigenvector_of(d, dense(&s, d));
            let exact = top_eigenvector(s.clone(), d);
            let cos = dot(&fast, &exact).abs();
            assert!((1.0 - cos) < 1e-12, "d = {d}: cos = {cos}");
        }
    }

    #[test]
    fn a_zero_operator_gives_a_unit_vector() {
        let v = top_eigenvector_of(50, |_, _| {});
        assert!((dot(&v, &v) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn jacobi_finds_the_top_eigenvector() {
        // S = 3·aaᵀ + 1·bbᵀ − 2·ccᵀ for orthonormal a, b, c: the top eigenvector is a.
        let a = [0.6, 0.8, 0.0];
        let b = [0.8, -0.6, 0.0];
        let c = [0.0, 0.0, 1.0];
        let mut s = vec![0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                s[i * 3 + j] = 3.0 * a[i] * a[j] + b[i] * b[j] - 2.0 * c[i] * c[j];
            }
        }
        let e = top_eigenvector(s, 3);
        for (x, y) in e.iter().zip(a) {
            assert!((x - y).abs() < 1e-12, "{e:?}");
        }
    }
}
