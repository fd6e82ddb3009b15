//! The group lasso by FISTA with restarts.
//!
//! The primal is `P(w, c) = ½‖r‖² + β Σ_g ‖w_g‖` with `r = A w + c·1 − y`; its dual is
//! `D(θ) = −½‖θ‖² − yᵀθ` over `θ` with `‖A_gᵀθ‖ ≤ β` for every group (and `1ᵀθ = 0` with an
//! offset). At a point `(w, c)` the residual, centred (with an offset) and scaled into the dual's
//! feasible set, is such a `θ`; at the optimum it is the optimal one. `P − D ≥ 0` bounds the
//! distance to the optimum, and the method stops when `P − D ≤ tolerance · max(P, ε)`.
//!
//! The method is `fista`'s, with a first `L ≥ λ_max(A'ᵀA')` (`A' = [A, 1]`) from a power
//! iteration. Each iteration is three products with `A` (two at the momentum point, one at the
//! step's), each check one more.

use crate::fista::{Fista, Smooth};
use crate::fit::{group_norms, norm, FitOperator};
use ndarray::{ArrayView1, ArrayView2};
use std::time::Instant;

/// A group lasso: `A` is `n × (groups · h)` (group `g`'s columns are `g·h .. (g+1)·h`).
#[derive(Clone, Copy, Debug)]
pub struct GroupLasso<'a> {
    /// The matrix.
    pub a: ArrayView2<'a, f64>,
    /// The labels.
    pub y: ArrayView1<'a, f64>,
    /// Columns per group.
    pub h: usize,
    /// The weight `β > 0` of the group norms.
    pub beta: f64,
    /// Whether a free offset `c` is added to every output.
    pub offset: bool,
}

/// When to stop.
#[derive(Clone, Copy, Debug)]
pub struct GroupLassoSettings {
    /// The relative duality gap to reach.
    pub tolerance: f64,
    /// The most iterations.
    pub max_iter: usize,
    /// Iterations between two duality gaps (each costs one more product with `A`).
    pub check_every: usize,
    /// When to stop, whatever the gap.
    pub deadline: Option<Instant>,
    /// Threads of the products with `A`.
    pub threads: usize,
}

impl Default for GroupLassoSettings {
    fn default() -> Self {
        GroupLassoSettings { tolerance: 1e-6, max_iter: 100_000, check_every: 10, deadline: None, threads: 1 }
    }
}

/// How a solve ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupLassoEnd {
    /// The duality gap is within the tolerance.
    Converged,
    /// The iteration limit was reached first.
    IterationLimit,
    /// The deadline passed first.
    TimeLimit,
}

/// A solve's point and its certificate.
#[derive(Clone, Debug)]
pub struct GroupLassoSolution {
    /// The groups' weights, `groups · h` numbers.
    pub w: Vec<f64>,
    /// The offset (0 without one).
    pub offset: f64,
    /// `P(w, c)`.
    pub primal: f64,
    /// `D(θ)` at the dual point: a lower bound on the optimum.
    pub dual: f64,
    /// `(P − D) / max(P, ε)`.
    pub gap: f64,
    /// The relative KKT residual: the largest group's distance from its optimality condition
    /// `0 ∈ A_gᵀr + β ∂‖w_g‖`, over `β` (reported beside the gap, which decides).
    pub kkt: f64,
    /// Iterations taken.
    pub iterations: usize,
    /// Times the momentum restarted.
    pub restarts: usize,
    /// How it ended.
    pub end: GroupLassoEnd,
}

/// The fit `½‖A_c w + c' − y‖²` at `x = (w, c')`, with its residual's buffer.
pub(crate) struct Fit<'a, 'b> {
    pub(crate) op: &'b FitOperator<'a>,
    pub(crate) y: ArrayView1<'a, f64>,
    /// The residual at the last point evaluated.
    pub(crate) r: Vec<f64>,
}

impl<'a, 'b> Fit<'a, 'b> {
    pub(crate) fn new(op: &'b FitOperator<'a>, y: ArrayView1<'a, f64>) -> Fit<'a, 'b> {
        Fit { op, y, r: vec![0.0; y.len()] }
    }

    /// `r = A_c w + c' − y` at `w` and the offset `c` (which is `A w + c − y`), and `½‖r‖²`.
    pub(crate) fn residual(&mut self, w: &[f64], c: f64) -> f64 {
        self.op.apply(w, &mut self.r);
        self.r.iter_mut().zip(self.y.iter()).for_each(|(r, y)| *r += c - y);
        0.5 * self.r.iter().map(|r| r * r).sum::<f64>()
    }
}

/// The group lasso's smooth part at `x = (w, c')` (the offset last, when there is one).
struct GatedFit<'a, 'b> {
    fit: Fit<'a, 'b>,
    m: usize,
}

impl GatedFit<'_, '_> {
    fn offset_of(&self, x: &[f64]) -> f64 {
        x.get(self.m).copied().unwrap_or(0.0)
    }
}

impl Smooth for GatedFit<'_, '_> {
    fn value(&mut self, x: &[f64]) -> f64 {
        let c = self.offset_of(x);
        self.fit.residual(&x[..self.m], c)
    }

    fn gradient(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        let value = self.value(x);
        self.fit.op.apply_t(&self.fit.r, &mut grad[..self.m]);
        if let Some(g) = grad.get_mut(self.m) {
            *g = self.fit.r.iter().sum();
        }
        value
    }
}

/// Solves `problem` from `start` (`w`, then the offset; zeros when `None`).
pub fn group_lasso(
    problem: &GroupLasso,
    settings: &GroupLassoSettings,
    start: Option<(&[f64], f64)>,
) -> GroupLassoSolution {
    let m = problem.a.ncols();
    let op = FitOperator::new(problem.a, problem.offset, settings.threads);
    let mut x = vec![0.0; m + usize::from(problem.offset)];
    if let Some((w, c0)) = start {
        x[..m].copy_from_slice(w);
        if problem.offset {
            x[m] = op.centred_offset(w, c0);
        }
    }
    let lipschitz = op.lipschitz() * 1.01 + f64::MIN_POSITIVE;
    let mut smooth = GatedFit { fit: Fit::new(&op, problem.y), m };
    let mut best = certificate(problem, &mut smooth.fit, &x);
    let mut fista = Fista::new(x, m, problem.h, problem.beta, lipschitz);
    for iteration in 1..=settings.max_iter {
        fista.step(&mut smooth);
        let out_of_time = settings.deadline.is_some_and(|d| Instant::now() >= d);
        if iteration % settings.check_every.max(1) == 0 || iteration == settings.max_iter || out_of_time {
            let check = certificate(problem, &mut smooth.fit, &fista.x);
            if check.gap < best.gap || best.gap.is_nan() {
                best = check;
            }
            let end = if best.gap <= settings.tolerance {
                Some(GroupLassoEnd::Converged)
            } else if out_of_time {
                Some(GroupLassoEnd::TimeLimit)
            } else if iteration == settings.max_iter {
                Some(GroupLassoEnd::IterationLimit)
            } else {
                None
            };
            if let Some(end) = end {
                return GroupLassoSolution { iterations: iteration, restarts: fista.restarts, end, ..best };
            }
        }
    }
    GroupLassoSolution {
        iterations: settings.max_iter,
        restarts: fista.restarts,
        end: GroupLassoEnd::IterationLimit,
        ..best
    }
}

/// The dual point `s·θ` made feasible from the residual `θ` (centred with an offset, so that
/// `1ᵀθ = 0` and `A_cᵀθ = Aᵀθ`) by the largest `s ≤ 1` that holds every group's
/// `‖A_gᵀθ − (the cone's multipliers)‖ ≤ β` (`largest` is the largest of those norms at `s = 1`),
/// and its value `−½s²‖θ‖² − s·yᵀθ`.
pub(crate) fn dual_value(theta: &[f64], y: ArrayView1<f64>, largest: f64, beta: f64) -> f64 {
    let s = if largest > beta { beta / largest } else { 1.0 };
    let tt: f64 = theta.iter().map(|t| t * t).sum();
    let ty: f64 = theta.iter().zip(y.iter()).map(|(t, y)| t * y).sum();
    -0.5 * s * s * tt - s * ty
}

/// `‖q_g + β w_g/‖w_g‖‖` where `w_g ≠ 0`, `(‖q_g‖ − β)₊` where it is zero: how far group `g` is
/// from its optimality condition `0 ∈ q_g + β ∂‖w_g‖`, over `β`.
pub(crate) fn stationarity(q: &[f64], w: &[f64], beta: f64) -> f64 {
    let wn = norm(w);
    let off = if wn > 0.0 {
        q.iter().zip(w).map(|(q, w)| (q + beta * w / wn).powi(2)).sum::<f64>().sqrt()
    } else {
        (norm(q) - beta).max(0.0)
    };
    off / beta.max(f64::MIN_POSITIVE)
}

/// The point `x = (w, c')` with its primal value, a dual point made feasible from its residual,
/// their relative gap and the largest group's distance from stationarity; the solution's
/// offset is `c`.
fn certificate(problem: &GroupLasso, fit: &mut Fit, x: &[f64]) -> GroupLassoSolution {
    let m = problem.a.ncols();
    let (w, c) = (&x[..m], x.get(m).copied().unwrap_or(0.0));
    let h = problem.h.max(1);
    let p = fit.residual(w, c) + problem.beta * group_norms(w, h);
    let mut theta = std::mem::take(&mut fit.r);
    if problem.offset {
        let mean = theta.iter().sum::<f64>() / theta.len().max(1) as f64;
        theta.iter_mut().for_each(|v| *v -= mean);
    }
    let mut at = vec![0.0; m];
    fit.op.apply_t(&theta, &mut at);
    let largest = at.chunks_exact(h).map(norm).fold(0.0, f64::max);
    let kkt = at
        .chunks_exact(h)
        .zip(w.chunks_exact(h))
        .map(|(q, w)| stationarity(q, w, problem.beta))
        .fold(0.0, f64::max);
    let d = dual_value(&theta, problem.y, largest, problem.beta);
    fit.r = theta;
    let gap = (p - d).max(0.0) / p.abs().max(f64::MIN_POSITIVE);
    GroupLassoSolution {
        w: w.to_vec(),
        offset: fit.op.offset(w, c),
        primal: p,
        dual: d,
        gap,
        kkt,
        iterations: 0,
        restarts: 0,
        end: GroupLassoEnd::IterationLimit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1, Array2};

    #[test]
    fn one_group_of_one_column_is_the_soft_threshold_of_least_squares() {
        // min ½ Σ (x_i w − y_i)² + β|w| at x = (1, 2), y = (1, 2), β = 0.5: w = (5 − 0.5)/5 = 0.9.
        let a = array![[1.0], [2.0]];
        let y = array![1.0, 2.0];
        let problem = GroupLasso { a: a.view(), y: y.view(), h: 1, beta: 0.5, offset: false };
        let s = group_lasso(&problem, &GroupLassoSettings { tolerance: 1e-12, ..Default::default() }, None);
        assert_eq!(s.end, GroupLassoEnd::Converged);
        // The objective is 5/2 (w − 0.9)² above its optimum, so a gap of 1e-12 of P = 0.475 holds
        // w within √(2 · 4.75e-13 / 5) = 4.4e-7.
        assert!((s.w[0] - 0.9).abs() < 4.4e-7, "{:?}", s.w);
        assert!((s.primal - 0.475).abs() < 1e-9 && s.dual <= s.primal);
    }

    #[test]
    fn a_large_weight_zeroes_every_group_and_the_offset_takes_the_mean() {
        let a = Array2::from_shape_fn((6, 4), |(i, j)| ((i * 7 + j * 3) % 5) as f64 - 2.0);
        let y = array![3.0, 1.0, 2.0, 5.0, 4.0, 0.0];
        let problem = GroupLasso { a: a.view(), y: y.view(), h: 2, beta: 1e3, offset: true };
        let s = group_lasso(&problem, &GroupLassoSettings { tolerance: 1e-10, ..Default::default() }, None);
        assert_eq!(s.end, GroupLassoEnd::Converged);
        assert!(s.w.iter().all(|&v| v == 0.0), "{:?}", s.w);
        // A gap of 1e-10 of P = 8.75 allows (c − 2.5)² · 6/2 ≤ 8.75e-10: |c − 2.5| ≤ 1.7e-5.
        assert!((s.offset - 2.5).abs() < 1.8e-5, "{}", s.offset);
    }

    #[test]
    fn the_gap_certifies_the_optimum_of_a_random_problem() {
        let a = Array2::from_shape_fn((40, 12), |(i, j)| ((i * 31 + j * 17) % 23) as f64 / 11.0 - 1.0);
        let y = Array1::from_shape_fn(40, |i| ((i * 13) % 7) as f64 - 3.0);
        let problem = GroupLasso { a: a.view(), y: y.view(), h: 3, beta: 2.0, offset: true };
        // 1e-11: a gap of 1e-12 is at the rounding of P − D here (P = 76, sums of 40 squares).
        let tight =
            group_lasso(&problem, &GroupLassoSettings { tolerance: 1e-11, ..Default::default() }, None);
        let loose =
            group_lasso(&problem, &GroupLassoSettings { tolerance: 1e-4, ..Default::default() }, None);
        assert_eq!((tight.end, loose.end), (GroupLassoEnd::Converged, GroupLassoEnd::Converged));
        // The loose point is within its certified gap of the tight one's objective, and every dual
        // value bounds every primal one.
        assert!(loose.primal - tight.primal <= 1e-4 * loose.primal + 1e-11 * tight.primal);
        assert!(loose.dual <= tight.primal + 1e-9 && tight.dual <= loose.primal + 1e-9);
        // Warm started at the tight point, it is done at the first check.
        let warm = group_lasso(
            &problem,
            &GroupLassoSettings { tolerance: 1e-10, ..Default::default() },
            Some((&tight.w, tight.offset)),
        );
        assert_eq!(warm.end, GroupLassoEnd::Converged);
        assert!(warm.iterations <= 10, "{}", warm.iterations);
    }
}
