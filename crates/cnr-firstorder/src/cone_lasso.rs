//! The group lasso over cones (the exact form of docs/learned.md), by projected proximal gradient.
//!
//! The primal is
//!
//! ```text
//! min ½‖A(w⁺ − w⁻) + c·1 − y‖² + β Σ_g (‖w⁺_g‖ + ‖w⁻_g‖)
//! s.t. w⁺_g, w⁻_g ∈ C_g = {w : s_gr ⟨x_r, w⟩ ≥ 0 for every row r},
//! ```
//!
//! `x_r` the rows of a matrix `X` every group shares (the patches) and `s_gr ∈ {−1, 0, 1}` the
//! group's signs. For a closed convex cone `C` and the Euclidean norm, the proximal map of
//! `β‖w‖ + ι_C(w)` is the projection onto `C` followed by the soft-threshold (both keep the ray),
//! so the gated form's FISTA solves the exact form with each group projected onto its cone in
//! every step: the iterates satisfy the sign rows (to the projection's accuracy), and the fit's
//! conditioning, not a penalty's, sets the steps.
//!
//! The projection onto `C_g` is the non-negative least squares `min_{λ ≥ 0} ‖v + Σ_r λ_r s_gr x_r‖`
//! by the active-set method of Lawson and Hanson, warm-started from the rows that held the
//! group's last projection; a group whose point violates no row is left as it is, which a pass
//! over every row and group at once finds (`X W`, block by block of rows, by `matrixmultiply`
//! through ndarray, the blocks split over threads).
//!
//! The dual is `max −½‖θ‖² − yᵀθ` over `θ` with `1ᵀθ = 0` (with an offset) such that for every
//! group `min_{λ ≥ 0} ‖±A_gᵀθ − Σ_r λ_r s_gr x_r‖ ≤ β`: that distance to the dual cone `C_g*` is
//! `‖Π_{C_g}(∓A_gᵀθ)‖` (Moreau), the exact form's price of the pattern. The residual, centred and
//! scaled by the largest `s ≤ 1` that holds every group, is such a `θ`; the method stops when the
//! relative gap and the largest violation over `max |y|` are within the tolerance.

use crate::cones::{Cones, Series};
use crate::fista::{Fista, Smooth};
use crate::fit::{group_norms, norm, FitOperator};
use crate::group_lasso::{dual_value, Fit, GroupLasso, GroupLassoEnd};
use ndarray::ArrayView2;
use std::time::Instant;

/// A group lasso over cones: the fit on `u = w⁺ − w⁻` and the cones' rows and signs.
#[derive(Clone, Copy, Debug)]
pub struct ConeGroupLasso<'a> {
    /// The fit: `A` (`n × P·h`, the fit of `u`), the labels, `h`, `β`, the offset.
    pub fit: GroupLasso<'a>,
    /// The rows `x_r` every group's cone shares, `m × h`.
    pub rows: ArrayView2<'a, f64>,
    /// The signs `s_gr`, `m × P` by rows (row `r`, group `g`): `1`, `−1`, or `0` where the row
    /// does not constrain the group.
    pub signs: ArrayView2<'a, i8>,
}

/// When to stop.
#[derive(Clone, Copy, Debug)]
pub struct ConeGroupLassoSettings {
    /// The relative duality gap and the largest violation over `max |y|` to reach.
    pub tolerance: f64,
    /// The most iterations.
    pub max_iter: usize,
    /// Iterations between two certificates (each costs a projection of every group more).
    pub check_every: usize,
    /// When to stop, whatever the certificate.
    pub deadline: Option<Instant>,
    /// Threads of the passes and the projections.
    pub threads: usize,
}

impl Default for ConeGroupLassoSettings {
    fn default() -> Self {
        ConeGroupLassoSettings {
            tolerance: 1e-6,
            max_iter: 100_000,
            check_every: 10,
            deadline: None,
            threads: 1,
        }
    }
}

/// A solve's point and its certificate.
#[derive(Clone, Debug)]
pub struct ConeGroupLassoSolution {
    /// `w⁺` then `w⁻`, `2 · P · h` numbers, group-major.
    pub w: Vec<f64>,
    /// The offset (0 without one).
    pub offset: f64,
    /// The objective at the point.
    pub primal: f64,
    /// The dual value: a lower bound on the optimum.
    pub dual: f64,
    /// `(P − D) / max(P, ε)`.
    pub gap: f64,
    /// The largest violation `(−s_gr ⟨x_r, w_g⟩)₊` over `max |y|`.
    pub violation: f64,
    /// The relative KKT residual: the largest group's proximal-gradient step `L ‖w_g −
    /// prox(w_g − ∇_g/L)‖`, over `β` (0 exactly at an optimum; beside the gap, which decides).
    pub kkt: f64,
    /// Iterations.
    pub iterations: usize,
    /// Restarts of the momentum.
    pub restarts: usize,
    /// Steps of the projections' active-set method, over every iteration.
    pub projection_steps: usize,
    /// How it ended.
    pub end: GroupLassoEnd,
}

/// The fit at `x = (w⁺, w⁻, c')`, and the cones its groups are projected onto.
struct Projected<'a, 'b> {
    fit: Fit<'a, 'b>,
    cones: Cones<'a>,
    /// `u = w⁺ − w⁻` and `A_cᵀr`: buffers.
    u: Vec<f64>,
    at: Vec<f64>,
    ph: usize,
    steps: usize,
}

impl Projected<'_, '_> {
    /// `½‖r‖²` at `x`, the residual left in `fit.r`.
    fn fit_value(&mut self, x: &[f64]) -> f64 {
        let ph = self.ph;
        for ((u, a), b) in self.u.iter_mut().zip(&x[..ph]).zip(&x[ph..2 * ph]) {
            *u = a - b;
        }
        self.fit.residual(&self.u, x.get(2 * ph).copied().unwrap_or(0.0))
    }
}

impl Smooth for Projected<'_, '_> {
    fn value(&mut self, x: &[f64]) -> f64 {
        self.fit_value(x)
    }

    fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        let ph = self.ph;
        let value = self.fit_value(x);
        self.fit.op.apply_t(&self.fit.r, &mut self.at);
        for (i, a) in self.at.iter().enumerate() {
            grad[i] = *a;
            grad[ph + i] = -a;
        }
        if let Some(g) = grad.get_mut(2 * ph) {
            *g = self.fit.r.iter().sum();
        }
        value
    }

    fn project(&mut self, groups: &mut [f64]) {
        self.steps += self.cones.project_all(groups, Series::Primal);
    }
}

/// Solves `problem` from `start` (`w⁺` then `w⁻`, then the offset; zeros when `None`; a start
/// outside the cones is projected by the first step).
pub fn cone_group_lasso(
    problem: &ConeGroupLasso,
    settings: &ConeGroupLassoSettings,
    start: Option<(&[f64], f64)>,
) -> ConeGroupLassoSolution {
    let GroupLasso { a, y, h, beta, offset } = problem.fit;
    let ph = a.ncols();
    let op = FitOperator::new(a, offset, settings.threads);
    let mut x = vec![0.0; 2 * ph + usize::from(offset)];
    if let Some((w, c0)) = start {
        x[..2 * ph].copy_from_slice(w);
        if offset {
            let u: Vec<f64> = w[..ph].iter().zip(&w[ph..]).map(|(a, b)| a - b).collect();
            x[2 * ph] = op.centred_offset(&u, c0);
        }
    }
    // The fit's curvature in (w⁺, w⁻, c') is at most twice that of (u, c').
    let lipschitz = 2.0 * op.lipschitz() * 1.01 + f64::MIN_POSITIVE;
    let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    let mut smooth = Projected {
        fit: Fit::new(&op, y),
        cones: Cones::new(problem.rows, problem.signs, settings.threads),
        u: vec![0.0; ph],
        at: vec![0.0; ph],
        ph,
        steps: 0,
    };
    let mut fista = Fista::new(x, 2 * ph, h, beta, lipschitz);
    let mut iterations = 0;
    let mut best_dual = f64::NEG_INFINITY;
    loop {
        iterations += 1;
        fista.step(&mut smooth);
        let out_of_time = settings.deadline.is_some_and(|d| Instant::now() >= d);
        let last = iterations >= settings.max_iter;
        if iterations % settings.check_every.max(1) == 0 || last || out_of_time {
            let mut check = certificate(problem, &mut smooth, &fista.x, scale, fista.lipschitz);
            // Every dual point found bounds the optimum: the best so far stands.
            best_dual = best_dual.max(check.dual);
            check.dual = best_dual;
            check.gap = (check.primal - best_dual).max(0.0) / check.primal.abs().max(f64::MIN_POSITIVE);
            let end = if check.gap <= settings.tolerance && check.violation <= settings.tolerance {
                Some(GroupLassoEnd::Converged)
            } else if out_of_time {
                Some(GroupLassoEnd::TimeLimit)
            } else if last {
                Some(GroupLassoEnd::IterationLimit)
            } else {
                None
            };
            if let Some(end) = end {
                return ConeGroupLassoSolution {
                    iterations,
                    restarts: fista.restarts,
                    projection_steps: smooth.steps,
                    end,
                    ..check
                };
            }
        }
    }
}

/// The point `x` with its objective, the dual point of the module's comment, their gap, the
/// largest violation and the KKT residual (the proximal step at `lipschitz`).
fn certificate(
    problem: &ConeGroupLasso,
    smooth: &mut Projected,
    x: &[f64],
    scale: f64,
    lipschitz: f64,
) -> ConeGroupLassoSolution {
    let GroupLasso { y, h, beta, offset, .. } = problem.fit;
    let ph = smooth.ph;
    let w = &x[..2 * ph];
    let primal = smooth.fit_value(x) + beta * group_norms(w, h);
    let mut theta = std::mem::take(&mut smooth.fit.r);
    if offset {
        let mean = theta.iter().sum::<f64>() / theta.len().max(1) as f64;
        theta.iter_mut().for_each(|v| *v -= mean);
    }
    // `A_cᵀθ` is the gradient in `u` (the columns of `A_c` sum to zero).
    smooth.fit.op.apply_t(&theta, &mut smooth.at);
    let groups = 2 * ph / h.max(1);
    let least = smooth.cones.least(w, None);
    let violation = least[..groups].iter().fold(0.0f64, |m, &z| m.max(-z)) / scale;
    // The dual's test: `‖Π_C(−a_g)‖` with `a_g = ±A_gᵀθ`; the KKT residual's proximal steps.
    let mut minus_a = vec![0.0; 2 * ph];
    let mut stepped = w.to_vec();
    for i in 0..ph {
        minus_a[i] = -smooth.at[i];
        minus_a[ph + i] = smooth.at[i];
        stepped[i] -= smooth.at[i] / lipschitz;
        stepped[ph + i] += smooth.at[i] / lipschitz;
    }
    smooth.cones.project_all(&mut minus_a, Series::Dual);
    let largest = minus_a.chunks_exact(h.max(1)).map(norm).fold(0.0, f64::max);
    smooth.cones.project_all(&mut stepped, Series::Primal);
    crate::fit::shrink(&mut stepped, h, beta / lipschitz);
    let kkt = stepped
        .chunks_exact(h.max(1))
        .zip(w.chunks_exact(h.max(1)))
        .map(|(a, b)| lipschitz * a.iter().zip(b).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt() / beta)
        .fold(0.0, f64::max);
    let dual = dual_value(&theta, y, largest, beta);
    smooth.fit.r = theta;
    let gap = (primal - dual).max(0.0) / primal.abs().max(f64::MIN_POSITIVE);
    ConeGroupLassoSolution {
        w: w.to_vec(),
        offset: smooth.fit.op.offset(&smooth.u, x.get(2 * ph).copied().unwrap_or(0.0)),
        primal,
        dual,
        gap,
        violation,
        kkt,
        iterations: 0,
        restarts: 0,
        projection_steps: 0,
        end: GroupLassoEnd::IterationLimit,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ndarray::{array, Array1, Array2};

    /// A problem of `n` samples, `p` groups of `h`, `m` rows with signs from a pattern of filters.
    pub(crate) fn random(
        n: usize,
        p: usize,
        h: usize,
        m: usize,
        seed: u64,
    ) -> (Array2<f64>, Array1<f64>, Array2<f64>, Array2<i8>) {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let a = Array2::from_shape_fn((n, p * h), |_| next());
        let y = Array1::from_shape_fn(n, |_| 2.0 * next());
        let rows = Array2::from_shape_fn((m, h), |_| next());
        let filters = Array2::from_shape_fn((p, h), |_| next());
        let signs =
            Array2::from_shape_fn(
                (m, p),
                |(r, g)| if rows.row(r).dot(&filters.row(g)) >= 0.0 { 1 } else { -1 },
            );
        (a, y, rows, signs)
    }

    #[test]
    fn a_row_pair_that_pins_a_coordinate_holds_it_at_zero() {
        // Rows ±e₁ with sign +1 hold the first number of both halves at 0, so u₁ = 0; the second
        // is a lasso: min ½(u₂ − 1)² + 0.1|u₂| at u₂ = 0.9. Objective ½ + 0.005 + 0.09.
        let a = array![[1.0, 0.0], [0.0, 1.0]];
        let y = array![1.0, 1.0];
        let rows = array![[1.0, 0.0], [-1.0, 0.0]];
        let signs = array![[1i8], [1]];
        let problem = ConeGroupLasso {
            fit: GroupLasso { a: a.view(), y: y.view(), h: 2, beta: 0.1, offset: false },
            rows: rows.view(),
            signs: signs.view(),
        };
        let s = cone_group_lasso(
            &problem,
            &ConeGroupLassoSettings { tolerance: 1e-9, ..Default::default() },
            None,
        );
        assert_eq!(s.end, GroupLassoEnd::Converged, "{s:?}");
        let u = [s.w[0] - s.w[2], s.w[1] - s.w[3]];
        assert!(u[0].abs() < 1e-6 && (u[1] - 0.9).abs() < 1e-6, "{u:?}");
        // The point may violate a row by the tolerance, so its objective may be just below the
        // optimum; the dual value never is above it.
        assert!((s.primal - 0.595).abs() < 1e-8 && s.dual <= 0.595 + 1e-12, "{s:?}");
    }

    #[test]
    fn without_constraints_it_is_the_group_lasso_of_the_difference() {
        let (a, y, rows, _) = random(30, 4, 3, 20, 2);
        let signs = Array2::<i8>::zeros((20, 4));
        let fit = GroupLasso { a: a.view(), y: y.view(), h: 3, beta: 0.8, offset: true };
        let tight = ConeGroupLassoSettings { tolerance: 1e-10, ..Default::default() };
        let cone =
            cone_group_lasso(&ConeGroupLasso { fit, rows: rows.view(), signs: signs.view() }, &tight, None);
        let plain = crate::group_lasso(
            &fit,
            &crate::GroupLassoSettings { tolerance: 1e-10, ..Default::default() },
            None,
        );
        assert_eq!(cone.end, GroupLassoEnd::Converged, "{cone:?}");
        assert!(
            (cone.primal - plain.primal).abs() < 1e-8 * plain.primal,
            "{} against {}",
            cone.primal,
            plain.primal
        );
    }

    #[test]
    fn the_certificate_holds_on_a_random_problem_and_the_tolerance_is_met() {
        let (a, y, rows, signs) = random(40, 5, 3, 60, 3);
        let problem = ConeGroupLasso {
            fit: GroupLasso { a: a.view(), y: y.view(), h: 3, beta: 0.5, offset: false },
            rows: rows.view(),
            signs: signs.view(),
        };
        let solve = |tolerance| {
            cone_group_lasso(&problem, &ConeGroupLassoSettings { tolerance, ..Default::default() }, None)
        };
        let (tight, loose) = (solve(1e-10), solve(1e-5));
        assert_eq!((tight.end, loose.end), (GroupLassoEnd::Converged, GroupLassoEnd::Converged));
        assert!(tight.violation <= 1e-10 && loose.violation <= 1e-5 && loose.gap <= 1e-5);
        // Every dual value bounds the other's (nearly feasible) primal value.
        assert!(loose.dual <= tight.primal + 1e-9 && tight.dual <= loose.primal + 1e-5 * loose.primal);
        assert!(
            (loose.primal - tight.primal).abs() <= 2e-5 * tight.primal,
            "{} {}",
            loose.primal,
            tight.primal
        );
        // Some constraint binds: without them the optimum is lower.
        let free = crate::group_lasso(
            &problem.fit,
            &crate::GroupLassoSettings { tolerance: 1e-10, ..Default::default() },
            None,
        );
        assert!(free.primal < tight.primal * (1.0 - 1e-3), "{} {}", free.primal, tight.primal);
    }
}
