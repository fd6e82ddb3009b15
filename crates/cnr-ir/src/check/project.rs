//! The Euclidean projections onto the second-order, exponential and power cones, and the membership
//! tests and norms they are built from. [`check_point`](crate::ConeProgram::check_point) measures a
//! unit's violation as its distance to its projection (the parent module describes the measure).

/// `‖a − b‖₂`, scaled so that large entries do not overflow the squares.
pub(super) fn dist(a: &[f64], b: &[f64]) -> f64 {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    norm(&d)
}

/// `‖v‖₂` without overflow or underflow of the squares.
pub(super) fn norm(v: &[f64]) -> f64 {
    let scale = v.iter().fold(0.0, |acc: f64, x| acc.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        // Zero, infinite or NaN: the plain sum gives the right answer (0, inf or NaN).
        return v.iter().map(|x| x * x).sum::<f64>().sqrt();
    }
    scale * v.iter().map(|x| (x / scale) * (x / scale)).sum::<f64>().sqrt()
}

/// The projection of `v = (t, w)` onto the second-order cone `{t ≥ ‖w‖}`, in closed form: `v` itself
/// inside, 0 inside the polar cone `{−t ≥ ‖w‖}`, and otherwise `((t + ‖w‖)/2)·(1, w/‖w‖)`.
pub(crate) fn project_soc(v: &[f64]) -> Vec<f64> {
    let Some((&t, w)) = v.split_first() else { return Vec::new() };
    let nw = norm(w);
    if nw <= t {
        v.to_vec()
    } else if nw <= -t {
        vec![0.0; v.len()]
    } else {
        let a = (t + nw) / 2.0;
        std::iter::once(a).chain(w.iter().map(|wi| a * wi / nw)).collect()
    }
}

/// Whether `v = (x, y, z)` lies in the closed exponential cone `{y·e^(x/y) ≤ z, y > 0} ∪
/// {x ≤ 0, y = 0, z ≥ 0}`.
pub(crate) fn in_exp(v: [f64; 3]) -> bool {
    let [x, y, z] = v;
    if y > 0.0 {
        y * (x / y).exp() <= z
    } else {
        y == 0.0 && x <= 0.0 && z >= 0.0
    }
}

/// Whether `v = (x, y, z)` lies in the power cone `{x^α·y^(1−α) ≥ |z|, x ≥ 0, y ≥ 0}`.
pub(crate) fn in_pow(v: [f64; 3], alpha: f64) -> bool {
    let [x, y, z] = v;
    x >= 0.0 && y >= 0.0 && x.powf(alpha) * y.powf(1.0 - alpha) >= z.abs()
}

/// The projection of `v` onto the exponential cone (Clarabel's order: `y·e^(x/y) ≤ z`).
///
/// Outside the cone the projection lies on the boundary, which is the union of the rays through
/// `(r, 1, e^r)` for real `r` and the face `{x ≤ 0, y = 0, z ≥ 0}`. The projection onto one ray is
/// `max(0, ⟨v, û⟩)·û` (with `û` the unit direction); the best ray is found by minimising the distance
/// over `r = sinh(τ)`, `τ ∈ [−30, 30]`, on a grid and then by golden-section search around the best
/// grid point; the face's projection `(min(x, 0), 0, max(z, 0))` is the other candidate. The distance
/// is computed as `‖v − p‖` rather than from `‖v‖² − ⟨v, û⟩²`, which would lose half the digits.
pub(crate) fn project_exp(v: [f64; 3]) -> [f64; 3] {
    if in_exp(v) {
        return v;
    }
    on_scaled(v, |v| {
        let face = [v[0].min(0.0), 0.0, v[2].max(0.0)];
        // The unit direction of the ray through (r, 1, e^r), computed without overflow for large r.
        let ray = |tau: f64| {
            let r = tau.sinh();
            if r <= 0.0 {
                unit([r, 1.0, r.exp()])
            } else {
                let e = (-r).exp();
                unit([r * e, e, 1.0])
            }
        };
        let best = best_ray(v, ray, -30.0, 30.0);
        closer(v, best, face)
    })
}

/// The projection of `v` onto the power cone with exponent `α` (`x^α·y^(1−α) ≥ |z|`, `x, y ≥ 0`).
///
/// Outside the cone the projection lies on the surface `|z| = x^α·y^(1−α)`, on the side of the sign
/// of `z` (reflecting `z` would only move it away). The surface is a union of rays, parametrised by
/// `τ` so that both ends are reached smoothly even for α near 0 or 1: `(e^(τ/α), 1, ±e^τ)` for
/// `τ ≤ 0` and `(1, e^(−τ/(1−α)), ±e^(−τ))` for `τ > 0`, i.e. `z/y = e^τ` on one side and `z/x = e^(−τ)`
/// on the other. The search over `τ ∈ [−40, 40]` is the one of [`project_exp`]; the two edge rays
/// `(1, 0, 0)` and `(0, 1, 0)` are candidates too.
pub(crate) fn project_pow(v: [f64; 3], alpha: f64) -> [f64; 3] {
    if in_pow(v, alpha) {
        return v;
    }
    on_scaled(v, |v| {
        let sign = if v[2] < 0.0 { -1.0 } else { 1.0 };
        let ray = |tau: f64| {
            if tau <= 0.0 {
                unit([(tau / alpha).exp(), 1.0, sign * tau.exp()])
            } else {
                unit([1.0, (-tau / (1.0 - alpha)).exp(), sign * (-tau).exp()])
            }
        };
        let best = best_ray(v, ray, -40.0, 40.0);
        let edges = closer(v, onto_ray(v, [1.0, 0.0, 0.0]), onto_ray(v, [0.0, 1.0, 0.0]));
        closer(v, best, edges)
    })
}

/// Applies a projection to `v / scale` and scales the result back, so that the search works on
/// numbers of order 1 whatever the magnitude of `v`. Cones are invariant under positive scaling.
fn on_scaled(v: [f64; 3], project: impl Fn([f64; 3]) -> [f64; 3]) -> [f64; 3] {
    let scale = v.iter().fold(0.0, |acc: f64, x| acc.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return if scale == 0.0 { v } else { [f64::NAN; 3] };
    }
    let p = project([v[0] / scale, v[1] / scale, v[2] / scale]);
    [p[0] * scale, p[1] * scale, p[2] * scale]
}

fn unit(d: [f64; 3]) -> [f64; 3] {
    let n = norm(&d);
    [d[0] / n, d[1] / n, d[2] / n]
}

/// The projection of `v` onto the ray `{λ·u : λ ≥ 0}` for a unit vector `u`.
fn onto_ray(v: [f64; 3], u: [f64; 3]) -> [f64; 3] {
    let h = (v[0] * u[0] + v[1] * u[1] + v[2] * u[2]).max(0.0);
    [h * u[0], h * u[1], h * u[2]]
}

/// Whichever of `a` and `b` is closer to `v`.
fn closer(v: [f64; 3], a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    if dist(&v, &a) <= dist(&v, &b) {
        a
    } else {
        b
    }
}

/// The projection of `v` onto the closest of the rays `ray(τ)`, `τ ∈ [lo, hi]`: a grid with step 0.1
/// finds the basin, golden-section search on the distance refines it to the resolution of `f64`.
fn best_ray(v: [f64; 3], ray: impl Fn(f64) -> [f64; 3], lo: f64, hi: f64) -> [f64; 3] {
    let f = |tau: f64| dist(&v, &onto_ray(v, ray(tau)));
    let steps = ((hi - lo) / 0.1).round() as usize;
    let at = |k: usize| lo + (hi - lo) * k as f64 / steps as f64;
    let (mut best_k, mut best_f) = (0, f64::INFINITY);
    for k in 0..=steps {
        let fk = f(at(k));
        if fk < best_f {
            (best_k, best_f) = (k, fk);
        }
    }
    let (mut a, mut b) = (at(best_k.saturating_sub(1)), at((best_k + 1).min(steps)));
    // Golden-section search keeps a bracket [a, b] around the minimum and shrinks it by 0.618 a step.
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..200 {
        if b - a <= 1e-15 * (1.0 + a.abs().max(b.abs())) {
            break;
        }
        if fc <= fd {
            (b, d, fd) = (d, c, fc);
            c = b - g * (b - a);
            fc = f(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    let tau = if fc <= fd { c } else { d };
    let refined = onto_ray(v, ray(tau));
    let grid = onto_ray(v, ray(at(best_k)));
    closer(v, refined, grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
        a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    }

    /// Whether `u` lies in the dual of the exponential cone, `{u < 0, −u·e^(v/u) ≤ e·w} ∪
    /// {u = 0, v ≥ 0, w ≥ 0}`, up to `tol`.
    fn in_exp_dual(d: [f64; 3], tol: f64) -> bool {
        let [u, v, w] = d;
        if u < -tol {
            -u * (v / u).exp() <= std::f64::consts::E * w + tol
        } else {
            u.abs() <= tol && v >= -tol && w >= -tol
        }
    }

    /// Whether `d` lies in the dual of the power cone, `{(u/α)^α·(v/(1−α))^(1−α) ≥ |w|, u, v ≥ 0}`,
    /// up to `tol`.
    fn in_pow_dual(d: [f64; 3], alpha: f64, tol: f64) -> bool {
        let [u, v, w] = d;
        u >= -tol
            && v >= -tol
            && (u.max(0.0) / alpha).powf(alpha) * (v.max(0.0) / (1.0 - alpha)).powf(1.0 - alpha)
                >= w.abs() - tol
    }

    /// Checks Moreau's characterisation of the projection `p` of `v` onto a cone `C`: `p ∈ C`,
    /// `p − v ∈ C*` and `⟨p − v, p⟩ = 0`. Together they prove that `p` is the projection, so the test
    /// does not depend on how the projection was found. The search pins the optimal ray down to about
    /// √ε (the distance is flat there), so `p` itself is only that accurate and the dual conditions
    /// are checked to 1e-7; the distance, which is what `check_point` reports, is checked to 1e-12 by
    /// [`assert_no_closer_point`].
    fn assert_projection(
        v: [f64; 3],
        p: [f64; 3],
        in_cone: impl Fn([f64; 3]) -> bool,
        in_dual: impl Fn([f64; 3]) -> bool,
    ) {
        let tol = 1e-9;
        let near = |q: [f64; 3]| {
            // p may sit a rounding error outside the cone: accept if a tiny push inwards is inside.
            in_cone(q)
                || in_cone([q[0] * (1.0 - tol), q[1] * (1.0 + tol), q[2] * (1.0 - tol)])
                || in_cone([q[0], q[1], q[2] + tol])
                || in_cone([q[0] + tol, q[1] + tol, q[2] * (1.0 - tol)])
        };
        assert!(near(p), "{p:?} (projection of {v:?}) is not in the cone");
        let r = [p[0] - v[0], p[1] - v[1], p[2] - v[2]];
        assert!(in_dual(r), "{r:?} = p − v is not in the dual cone (v = {v:?}, p = {p:?})");
        assert!(dot(r, p).abs() <= 1e-7, "⟨p − v, p⟩ = {} for v = {v:?}", dot(r, p));
    }

    /// Checks that no point of a dense sample of the cone's boundary rays (`ray(t)` for `t` in a fine
    /// grid, each projected onto optimally) is closer to `v` than the reported distance, by more than
    /// 1e-12. With `p ∈ C` (so the reported distance is at least the true one) this pins it down.
    fn assert_no_closer_point(v: [f64; 3], reported: f64, ray: impl Fn(f64) -> [f64; 3], lo: f64, hi: f64) {
        let steps = 200_000;
        for k in 0..=steps {
            let t = lo + (hi - lo) * k as f64 / steps as f64;
            let d = dist(&v, &onto_ray(v, unit(ray(t))));
            assert!(reported <= d + 1e-12, "reported {reported} but ray {t} is at {d} from {v:?}");
        }
    }

    #[test]
    fn soc_projection_inside_boundary_outside() {
        assert_eq!(project_soc(&[2.0, 1.0, 1.0]), vec![2.0, 1.0, 1.0]);
        assert_eq!(project_soc(&[5.0, 3.0, 4.0]), vec![5.0, 3.0, 4.0]);
        assert_eq!(project_soc(&[-5.0, 3.0, 4.0]), vec![0.0, 0.0, 0.0]);
        // (0, 3, 4): ‖w‖ = 5, projection (5/2)(1, 3/5, 4/5), distance 5/√2.
        let p = project_soc(&[0.0, 3.0, 4.0]);
        assert_eq!(p, vec![2.5, 1.5, 2.0]);
        assert!((dist(&[0.0, 3.0, 4.0], &p) - 5.0 / 2f64.sqrt()).abs() < 1e-15);
        assert_eq!(project_soc(&[-1.0]), vec![0.0]);
    }

    #[test]
    fn exp_cone_points_inside_and_on_the_boundary_do_not_move() {
        for v in [[0.0, 1.0, 2.0], [-3.0, 2.0, 1.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 3.0]] {
            assert_eq!(project_exp(v), v, "{v:?}");
        }
        // On the curved boundary, the point may be a rounding error off: the distance is tiny.
        for r in [-20.0, -2.0, 0.0, 0.5, 3.0, 30.0] {
            let v = [r * 2.0, 2.0, 2.0 * f64::exp(r)];
            assert!(dist(&v, &project_exp(v)) <= 1e-12 * norm(&v), "{v:?}");
        }
    }

    #[test]
    fn exp_cone_projections_satisfy_moreau() {
        let points = [
            [1.0, 0.0, 0.0],
            [0.0, 0.0, -1.0],
            [1.0, 1.0, 1.0],
            [2.0, -1.0, 0.5],
            [-1.0, -1.0, -1.0],
            [3.0, 1.0, 10.0],
            [0.5, 2.0, 2.0],
            [-4.0, -0.01, 3.0],
            [1e6, 1.0, 1.0],
            [-1e-8, 1e-3, -2e-9],
            [1e-300, 1e-300, 1e-300],
            [5e200, 1e200, -1e200],
        ];
        for v in points {
            assert!(!in_exp(v));
            let p = project_exp(v);
            let s = norm(&v);
            let n = |q: [f64; 3]| [q[0] / s, q[1] / s, q[2] / s];
            assert_projection(n(v), n(p), in_exp, |d| in_exp_dual(d, 1e-7));
            let ray = |r: f64| [r, 1.0, r.exp()];
            assert_no_closer_point(n(v), dist(&n(v), &n(p)), ray, -60.0, 20.0);
        }
        // A point in the polar cone −K* projects onto the apex: its distance is its norm.
        let v = [0.0, 0.0, -1.0];
        assert_eq!(dist(&v, &project_exp(v)), 1.0);
    }

    #[test]
    fn power_cone_points_inside_and_on_the_boundary_do_not_move() {
        for alpha in [0.5, 1.0 / 3.0, 0.9] {
            for v in [[1.0, 1.0, 0.5], [1.0, 1.0, -1.0], [0.0, 1.0, 0.0], [4.0, 0.0, 0.0]] {
                assert_eq!(project_pow(v, alpha), v, "{v:?} α = {alpha}");
            }
            for (x, y) in [(2.0, 3.0), (1e-6, 1.0), (1.0, 1e-6)] {
                let v = [x, y, -f64::powf(x, alpha) * f64::powf(y, 1.0 - alpha)];
                assert!(dist(&v, &project_pow(v, alpha)) <= 1e-12 * norm(&v), "{v:?}");
            }
        }
    }

    #[test]
    fn power_cone_projections_satisfy_moreau() {
        let points = [
            [1.0, 1.0, 2.0],
            [1.0, 1.0, -2.0],
            [-1.0, 2.0, 0.5],
            [2.0, -1.0, -0.5],
            [-1.0, -1.0, 0.0],
            [-1.0, -1.0, 3.0],
            [0.0, 0.0, 1.0],
            [10.0, 1e-3, 1.0],
            [1e-3, 10.0, -1.0],
            [-1.0, 0.0, 0.0],
        ];
        let mut inside = 0;
        for alpha in [0.5, 1.0 / 3.0, 0.1, 0.9, 0.01] {
            for v in points {
                if in_pow(v, alpha) {
                    // (10, 0.001, 1) is inside for α = 0.9, (0.001, 10, −1) for α = 0.1 and 0.01.
                    inside += 1;
                    continue;
                }
                let p = project_pow(v, alpha);
                // For α = 0.01 the exact projection of some points has y below 1e-30 (y^0.99 ≫ y there)
                // and is closer than the computed one by less than 1e-30: the distance is right but
                // the point fails Moreau's test, so only the distance is checked.
                if alpha > 0.05 {
                    assert_projection(v, p, |q| in_pow(q, alpha), |d| in_pow_dual(d, alpha, 1e-7));
                }
                // Rays through (u, 1 − u, ±u^α (1 − u)^(1−α)) for u in [0, 1].
                let sign = if v[2] < 0.0 { -1.0 } else { 1.0 };
                let ray = |u: f64| [u, 1.0 - u, sign * u.powf(alpha) * (1.0 - u).powf(1.0 - alpha)];
                assert_no_closer_point(v, dist(&v, &p), ray, 0.0, 1.0);
            }
        }
        assert_eq!(inside, 3);
        // Known case: (0, 0, 1) with α = ½ projects onto (¼, ¼, ½)·... by symmetry x = y = a, z = a:
        // minimise 2a² + (1 − a)², so a = ⅓ and the distance is √(2/9 + 4/9) = √6/3.
        let v = [0.0, 0.0, 1.0];
        let d = dist(&v, &project_pow(v, 0.5));
        assert!((d - 6f64.sqrt() / 3.0).abs() < 1e-14, "{d}");
    }
}
