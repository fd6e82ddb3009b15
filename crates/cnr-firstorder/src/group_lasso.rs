//! The group lasso by FISTA with restarts.
//!
//! The primal is `P(w, c) = ½‖r‖² + β Σ_g ‖w_g‖` with `r = A w + c·1 − y`; its dual is
//! `D(θ) = −½‖θ‖² − yᵀθ` over `θ` with `‖A_gᵀθ‖ ≤ β` for every group (and `1ᵀθ = 0` with an
//! offset). At a point `(w, c)` the residual, centred (with an offset) and scaled into the dual's
//! feasible set, is such a `θ`; at the optimum it is the optimal one. `P − D ≥ 0` bounds the
//! distance to the optimum, and the method stops when `P − D ≤ tolerance · max(P, ε)`.
//!
//! Steps are `1/L` with `L ≥ λ_max(A'ᵀA')` (`A' = [A, 1]`) from a power iteration, doubled
//! whenever a step fails the sufficient-decrease test; the momentum restarts when the objective
//! rises (O'Donoghue & Candès 2015). Each iteration is two products with `A`.

use ndarray::{s, Array1, ArrayView1, ArrayView2, Axis};
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
}

impl Default for GroupLassoSettings {
    fn default() -> Self {
        GroupLassoSettings { tolerance: 1e-6, max_iter: 100_000, check_every: 10, deadline: None }
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
    /// Iterations taken.
    pub iterations: usize,
    /// Times the momentum restarted.
    pub restarts: usize,
    /// How it ended.
    pub end: GroupLassoEnd,
}

/// `A` with its columns centred when the problem has an offset: `A w + c·1 = A_c w + (c + μᵀw)·1`
/// with `μ` the columns' means, so the method works in `(w, c' = c + μᵀw)` with `A_c`, whose
/// columns are orthogonal to the offset's — the same problem, far better conditioned when the
/// inputs share a mean (pixels in [0, 1]: on the digits' gated form, 55,800 iterations without it).
struct Operator<'a> {
    a: ArrayView2<'a, f64>,
    means: Option<Array1<f64>>,
}

impl Operator<'_> {
    fn new<'a>(problem: &GroupLasso<'a>) -> Operator<'a> {
        let means = problem
            .offset
            .then(|| problem.a.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(problem.a.ncols())));
        Operator { a: problem.a, means }
    }

    /// `A_c w`, column by column (`A` is stored by columns), skipping the zeros the group
    /// soft-threshold leaves.
    fn apply(&self, w: &Array1<f64>) -> Array1<f64> {
        let mut out = Array1::<f64>::zeros(self.a.nrows());
        for (column, &wj) in self.a.columns().into_iter().zip(w) {
            if wj != 0.0 {
                out.scaled_add(wj, &column);
            }
        }
        if let Some(mu) = &self.means {
            let shift = mu.dot(w);
            out.mapv_inplace(|v| v - shift);
        }
        out
    }

    /// `A_cᵀ r`: a dot product per column.
    fn apply_t(&self, r: &Array1<f64>) -> Array1<f64> {
        let mut out: Array1<f64> = self.a.columns().into_iter().map(|column| column.dot(r)).collect();
        if let Some(mu) = &self.means {
            out.scaled_add(-r.sum(), mu);
        }
        out
    }

    /// The offset `c` of the point `(w, c')`.
    fn offset(&self, w: &Array1<f64>, c_centred: f64) -> f64 {
        self.means.as_ref().map_or(c_centred, |mu| c_centred - mu.dot(w))
    }
}

/// Solves `problem` from `start` (`w`, then the offset; zeros when `None`).
pub fn group_lasso(
    problem: &GroupLasso,
    settings: &GroupLassoSettings,
    start: Option<(&[f64], f64)>,
) -> GroupLassoSolution {
    let m = problem.a.ncols();
    let groups = m.checked_div(problem.h).unwrap_or(0);
    let op = Operator::new(problem);
    let mut x = Array1::<f64>::zeros(m);
    let mut c = 0.0;
    if let Some((w, c0)) = start {
        x.assign(&ArrayView1::from(w));
        c = if problem.offset { c0 + op.means.as_ref().map_or(0.0, |mu| mu.dot(&x)) } else { 0.0 };
    }
    let mut step_l = lipschitz(problem, &op) * 1.01 + f64::MIN_POSITIVE;
    let (mut x_prev, mut c_prev) = (x.clone(), c);
    let (mut v, mut vc) = (x.clone(), c); // the momentum point
    let mut t = 1.0f64;
    let mut last_objective = f64::INFINITY;
    let mut restarts = 0;
    let mut best = certificate(problem, &op, &x, c);
    for iteration in 1..=settings.max_iter {
        // Gradient at the momentum point.
        let r = residual(problem, &op, &v, vc);
        let grad = op.apply_t(&r);
        let grad_c = if problem.offset { r.sum() } else { 0.0 };
        let f_v = 0.5 * r.dot(&r);
        // A proximal step, with L doubled until it decreases enough.
        let (x_new, c_new, f_new) = loop {
            let mut x_new = &v - &(&grad / step_l);
            shrink(&mut x_new, problem.h, groups, problem.beta / step_l);
            let c_new = vc - grad_c / step_l;
            let d = &x_new - &v;
            let dc = c_new - vc;
            let r_new = residual(problem, &op, &x_new, c_new);
            let f_new = 0.5 * r_new.dot(&r_new);
            let model = f_v + grad.dot(&d) + grad_c * dc + 0.5 * step_l * (d.dot(&d) + dc * dc);
            if f_new <= model * (1.0 + 1e-12) + 1e-300 || step_l > 1e300 {
                break (x_new, c_new, f_new);
            }
            step_l *= 2.0;
        };
        let objective = f_new + problem.beta * group_norms(&x_new, problem.h, groups);
        // Restart the momentum when the objective rises.
        let t_next = if objective > last_objective {
            restarts += 1;
            1.0
        } else {
            0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt())
        };
        let momentum = if t_next == 1.0 { 0.0 } else { (t - 1.0) / t_next };
        v = &x_new + &((&x_new - &x_prev) * momentum);
        vc = c_new + momentum * (c_new - c_prev);
        x_prev.assign(&x_new);
        c_prev = c_new;
        x = x_new;
        c = c_new;
        t = t_next;
        last_objective = objective;
        let out_of_time = settings.deadline.is_some_and(|d| Instant::now() >= d);
        if iteration % settings.check_every.max(1) == 0 || iteration == settings.max_iter || out_of_time {
            let check = certificate(problem, &op, &x, c);
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
                return GroupLassoSolution { iterations: iteration, restarts, end, ..best };
            }
        }
    }
    GroupLassoSolution { iterations: settings.max_iter, restarts, end: GroupLassoEnd::IterationLimit, ..best }
}

/// `A_c w + c' − y`, which is `A w + c − y`.
fn residual(problem: &GroupLasso, op: &Operator, w: &Array1<f64>, c: f64) -> Array1<f64> {
    let mut r = op.apply(w);
    r.iter_mut().zip(problem.y.iter()).for_each(|(r, y)| *r += c - y);
    r
}

fn group_norms(w: &Array1<f64>, h: usize, groups: usize) -> f64 {
    (0..groups).map(|g| w.slice(s![g * h..(g + 1) * h]).dot(&w.slice(s![g * h..(g + 1) * h])).sqrt()).sum()
}

/// The group soft-threshold: each group shrunk towards 0 by `amount` in norm.
fn shrink(w: &mut Array1<f64>, h: usize, groups: usize, amount: f64) {
    for g in 0..groups {
        let mut block = w.slice_mut(s![g * h..(g + 1) * h]);
        let norm = block.dot(&block).sqrt();
        let keep = if norm > amount { 1.0 - amount / norm } else { 0.0 };
        block.mapv_inplace(|v| v * keep);
    }
}

/// The point `(w, c')` with its primal value, a dual point made feasible from its residual, and
/// their relative gap; the solution's offset is `c`.
fn certificate(problem: &GroupLasso, op: &Operator, w: &Array1<f64>, c: f64) -> GroupLassoSolution {
    let groups = w.len().checked_div(problem.h).unwrap_or(0);
    let h = problem.h;
    let mut theta = residual(problem, op, w, c);
    let p = 0.5 * theta.dot(&theta) + problem.beta * group_norms(w, h, groups);
    if problem.offset {
        // Centred, so that 1ᵀθ = 0 (then A_cᵀθ = Aᵀθ).
        let mean = theta.mean().unwrap_or(0.0);
        theta.mapv_inplace(|v| v - mean);
    }
    let at = op.apply_t(&theta);
    let largest = (0..groups)
        .map(|g| at.slice(s![g * h..(g + 1) * h]).dot(&at.slice(s![g * h..(g + 1) * h])).sqrt())
        .fold(0.0, f64::max);
    let scale = if largest > problem.beta { problem.beta / largest } else { 1.0 };
    theta.mapv_inplace(|v| v * scale);
    let d = -0.5 * theta.dot(&theta) - theta.dot(&problem.y);
    let gap = (p - d).max(0.0) / p.abs().max(f64::MIN_POSITIVE);
    GroupLassoSolution {
        w: w.to_vec(),
        offset: op.offset(w, c),
        primal: p,
        dual: d,
        gap,
        iterations: 0,
        restarts: 0,
        end: GroupLassoEnd::IterationLimit,
    }
}

/// An estimate of `λ_max(A'ᵀA')` by power iteration (`A' = [A_c, 1]` with an offset); a step
/// that fails the sufficient decrease doubles it.
fn lipschitz(problem: &GroupLasso, op: &Operator) -> f64 {
    let m = problem.a.ncols();
    let mut v = Array1::<f64>::from_elem(m + usize::from(problem.offset), 1.0);
    let mut value = 0.0;
    for _ in 0..50 {
        let norm = v.dot(&v).sqrt();
        if norm == 0.0 {
            return 1.0;
        }
        v /= norm;
        let mut av = op.apply(&v.slice(s![..m]).to_owned());
        if problem.offset {
            av += v[m];
        }
        let mut atav = op.apply_t(&av).to_vec();
        if problem.offset {
            atav.push(av.sum());
        }
        let next = Array1::from(atav);
        value = v.dot(&next);
        v = next;
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn one_group_of_one_column_is_the_soft_threshold_of_least_squares() {
        // min ½ Σ (x_i w − y_i)² + β|w| at x = (1, 2), y = (1, 2), β = 0.5: w = (5 − 0.5)/5 = 0.9.
        let a = array![[1.0], [2.0]];
        let y = array![1.0, 2.0];
        let problem = GroupLasso { a: a.view(), y: y.view(), h: 1, beta: 0.5, offset: false };
        let s = group_lasso(&problem, &GroupLassoSettings { tolerance: 1e-12, ..Default::default() }, None);
        assert_eq!(s.end, GroupLassoEnd::Converged);
        assert!((s.w[0] - 0.9).abs() < 1e-9, "{:?}", s.w);
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
        let tight =
            group_lasso(&problem, &GroupLassoSettings { tolerance: 1e-12, ..Default::default() }, None);
        let loose =
            group_lasso(&problem, &GroupLassoSettings { tolerance: 1e-4, ..Default::default() }, None);
        assert_eq!((tight.end, loose.end), (GroupLassoEnd::Converged, GroupLassoEnd::Converged));
        // The loose point is within its certified gap of the tight one's objective, and every dual
        // value bounds every primal one.
        assert!(loose.primal - tight.primal <= 1e-4 * loose.primal + 1e-12);
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
