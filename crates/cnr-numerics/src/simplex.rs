//! A small dense LP for cutting planes: maximise `gᵀθ` over `θ ∈ R^p` subject to cuts
//! `aᵀθ ≤ β`, added over time, and a box `|θ_j| ≤ R`.
//!
//! It is solved by the dual simplex method in its active-set form, which suits cuts in few
//! dimensions: a basis is `p` active constraints (cuts or sides of the box) whose normals form the
//! rows of an invertible `B`; the vertex is `θ = B⁻¹β` and the multipliers `λ = B⁻ᵀg`. The start,
//! the corner of the box where `θ_j = R·sign(g_j)`, has `λ_j = |g_j| ≥ 0`: dual feasible. Each step
//! takes the most violated constraint into the basis and lets leave the active one whose multiplier
//! reaches zero first (the ratio test), so `λ` stays non-negative; when no constraint is violated,
//! the vertex is optimal. A new cut keeps the basis dual feasible, so the next solve starts where
//! the last one ended (a warm start), and so does a larger box. `B⁻¹` is kept up to date by a
//! rank-one update per step (`O(p²)`) and recomputed from scratch every [`REFACTOR_EVERY`] steps.
//!
//! At the optimum, `g = Σ λ_i a_i` over the active constraints with `λ ≥ 0`: the certificate that
//! no point satisfying the active constraints has a larger objective. When the active sides of the
//! box carry no multiplier, the cuts alone prove it.

use crate::vector::dot;

/// Steps between two fresh inversions of the basis, at least: an inversion costs `O(p³)` and a
/// step's update `O(p²)`, so the LP inverts afresh every `max(p, REFACTOR_EVERY)` steps, which
/// keeps the inversions' share of the time bounded as `p` grows.
const REFACTOR_EVERY: usize = 64;

/// A constraint of the LP: a cut (by its index) or a side of the box (`sign · θ_j ≤ R`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Row {
    /// The cut of this index.
    Cut(usize),
    /// The side `sign · θ_j ≤ R`.
    Side {
        /// The coordinate.
        j: usize,
        /// `+1` or `−1`.
        sign: f64,
    },
}

/// How a solve of the LP ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpStatus {
    /// No constraint is violated at the vertex, and every multiplier is non-negative.
    Optimal,
    /// A violated constraint cannot enter: no point satisfies the constraints (Farkas).
    Infeasible,
    /// The step limit was reached.
    StepLimit,
}

/// The LP and its current basis.
pub struct CutLp {
    p: usize,
    g: Vec<f64>,
    radius: f64,
    /// The cuts' normals (unit length, or zero), one after another (`p` numbers each), and their
    /// right-hand sides.
    normals: Vec<f64>,
    rhs: Vec<f64>,
    /// The active constraints, one per coordinate.
    basis: Vec<Row>,
    /// Whether each cut, and each side (`2j` for `+θ_j`, `2j + 1` for `−θ_j`), is in the basis:
    /// the pricing loop asks it of every violated constraint.
    cut_active: Vec<bool>,
    side_active: Vec<bool>,
    /// `B⁻¹`, column-major (`p × p`).
    inverse: Vec<f64>,
    theta: Vec<f64>,
    lambda: Vec<f64>,
    since_refactor: usize,
    /// Steps taken over all solves.
    pub steps: usize,
}

impl CutLp {
    /// The LP with no cut: the box, at the corner the objective points to.
    pub fn new(g: &[f64], radius: f64) -> CutLp {
        let p = g.len();
        let basis: Vec<Row> =
            (0..p).map(|j| Row::Side { j, sign: if g[j] < 0.0 { -1.0 } else { 1.0 } }).collect();
        let mut lp = CutLp {
            p,
            g: g.to_vec(),
            radius,
            normals: Vec::new(),
            rhs: Vec::new(),
            cut_active: Vec::new(),
            side_active: (0..2 * p)
                .map(|i| basis[i / 2] == Row::Side { j: i / 2, sign: if i % 2 == 0 { 1.0 } else { -1.0 } })
                .collect(),
            basis,
            inverse: vec![0.0; p * p],
            theta: vec![0.0; p],
            lambda: vec![0.0; p],
            since_refactor: 0,
            steps: 0,
        };
        lp.refactor();
        lp
    }

    /// Adds the cut `aᵀθ ≤ β`, scaled to a unit normal (a zero normal is kept as it is).
    pub fn add_cut(&mut self, a: Vec<f64>, beta: f64) -> usize {
        let norm = a.iter().map(|v| v * v).sum::<f64>().sqrt();
        let scale = if norm > 0.0 { 1.0 / norm } else { 1.0 };
        assert_eq!(a.len(), self.p, "a cut has one coefficient per coordinate");
        self.normals.extend(a.into_iter().map(|v| v * scale));
        self.rhs.push(beta * scale);
        self.cut_active.push(false);
        self.rhs.len() - 1
    }

    /// Changes the box's radius; the basis stays, so the next solve starts from it.
    pub fn set_radius(&mut self, radius: f64) {
        self.radius = radius;
        self.update_point();
    }

    /// The box's radius.
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// The number of cuts.
    pub fn cuts(&self) -> usize {
        self.rhs.len()
    }

    /// The normal of cut `c`.
    fn normal(&self, c: usize) -> &[f64] {
        &self.normals[c * self.p..(c + 1) * self.p]
    }

    /// Whether a constraint is in the basis.
    fn is_active(&self, row: Row) -> bool {
        match row {
            Row::Cut(c) => self.cut_active[c],
            Row::Side { j, sign } => self.side_active[2 * j + usize::from(sign < 0.0)],
        }
    }

    /// Marks a constraint as entering (`true`) or leaving (`false`) the basis.
    fn mark(&mut self, row: Row, active: bool) {
        match row {
            Row::Cut(c) => self.cut_active[c] = active,
            Row::Side { j, sign } => self.side_active[2 * j + usize::from(sign < 0.0)] = active,
        }
    }

    /// The current vertex.
    pub fn theta(&self) -> &[f64] {
        &self.theta
    }

    /// The active constraints and their multipliers.
    pub fn active(&self) -> impl Iterator<Item = (Row, f64)> + '_ {
        self.basis.iter().copied().zip(self.lambda.iter().copied())
    }

    /// Whether a side of the box carries a positive multiplier: then the box, not the cuts, stops
    /// the objective.
    pub fn box_binds(&self) -> bool {
        let scale = self.g.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
        self.active().any(|(row, l)| matches!(row, Row::Side { .. }) && l > 1e-12 * scale)
    }

    /// `‖g − Σ λ_i a_i‖∞ / ‖g‖∞` over the active constraints, recomputed from the normals: how
    /// well the multipliers prove the vertex optimal.
    pub fn dual_residual(&self) -> f64 {
        let mut r = self.g.clone();
        for (row, l) in self.active() {
            match row {
                Row::Cut(c) => self.normal(c).iter().zip(&mut r).for_each(|(a, r)| *r -= l * a),
                Row::Side { j, sign } => r[j] -= l * sign,
            }
        }
        let g = self.g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        r.iter().fold(0.0f64, |m, v| m.max(v.abs())) / g.max(f64::MIN_POSITIVE)
    }

    /// The smallest multiplier (negative only through rounding).
    pub fn least_multiplier(&self) -> f64 {
        self.lambda.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// The normal and right-hand side of a constraint.
    fn row(&self, row: Row) -> (RowRef<'_>, f64) {
        match row {
            Row::Cut(c) => (RowRef::Dense(self.normal(c)), self.rhs[c]),
            Row::Side { j, sign } => (RowRef::Unit { j, sign }, self.radius),
        }
    }

    /// `aᵀθ − β` for a constraint.
    fn violation(&self, row: Row) -> f64 {
        let (a, beta) = self.row(row);
        a.dot(&self.theta) - beta
    }

    /// The most violated constraint not in the basis, relative to its right-hand side, if any is
    /// violated by more than rounding. This loop is most of the method's time: one dot product
    /// per cut per step.
    fn most_violated(&self) -> Option<Row> {
        // Rounding in `aᵀθ` grows with `‖θ‖` (unit normals): a tolerance that did not follow it
        // let two copies of one cut take turns in the basis for ever once a growing box had put
        // the vertex at |θ| ~ 1e7 (an unbounded relaxation).
        let size = self.theta.iter().map(|t| t * t).sum::<f64>().sqrt();
        let tolerance = |beta: f64| 1e-11 * (1.0 + beta.abs() + size);
        let mut best: Option<(f64, Row)> = None;
        let mut consider = |row: Row, violation: f64, beta: f64| {
            if violation > tolerance(beta) && best.is_none_or(|(v, _)| violation > v) && !self.is_active(row)
            {
                best = Some((violation, row));
            }
        };
        if self.p > 0 {
            for (c, (a, &beta)) in self.normals.chunks_exact(self.p).zip(&self.rhs).enumerate() {
                consider(Row::Cut(c), dot(a, &self.theta) - beta, beta);
            }
        }
        for j in 0..self.p {
            for sign in [1.0, -1.0] {
                let row = Row::Side { j, sign };
                consider(row, self.violation(row), self.radius);
            }
        }
        best.map(|(_, row)| row)
    }

    /// Runs the dual simplex until the vertex satisfies every constraint, at most `max_steps`
    /// steps.
    pub fn solve(&mut self, max_steps: usize) -> LpStatus {
        let mut taken = 0;
        loop {
            let Some(entering) = self.most_violated() else {
                if self.since_refactor == 0 {
                    return LpStatus::Optimal;
                }
                // The answer is read from a fresh inverse, not from updated ones; if rounding
                // had hidden a violation, the steps go on.
                self.refactor();
                continue;
            };
            if taken == max_steps {
                return LpStatus::StepLimit;
            }
            taken += 1;
            // u = B⁻ᵀ a: the entering normal in terms of the active ones (a = Bᵀu).
            let (a, _) = self.row(entering);
            let u: Vec<f64> =
                (0..self.p).map(|i| a.dot(&self.inverse[i * self.p..(i + 1) * self.p])).collect();
            // The ratio test: the active constraint whose multiplier reaches zero first as the
            // entering one's grows; ties go to the smallest multiplier's lowest index.
            let pivot_tolerance = 1e-12 * u.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
            let leaving = (0..self.p)
                .filter(|&i| u[i] > pivot_tolerance)
                .min_by(|&i, &k| (self.lambda[i] / u[i]).total_cmp(&(self.lambda[k] / u[k])).then(i.cmp(&k)));
            let Some(q) = leaving else {
                return LpStatus::Infeasible;
            };
            let t = (self.lambda[q] / u[q]).max(0.0);
            self.lambda.iter_mut().zip(&u).for_each(|(l, u)| *l -= t * u);
            self.lambda[q] = t;
            self.mark(self.basis[q], false);
            self.mark(entering, true);
            self.basis[q] = entering;
            self.steps += 1;
            self.since_refactor += 1;
            if self.since_refactor >= REFACTOR_EVERY.max(self.p) {
                self.refactor();
            } else {
                self.replace_row(q, &u);
                self.update_point();
            }
        }
    }

    /// `B⁻¹` after row `q` of `B` is replaced by the entering normal `a` with `u = B⁻ᵀa`:
    /// `B'⁻¹ = B⁻¹ − c_q (u − e_q)ᵀ / u_q`, `c_q` the `q`-th column of `B⁻¹`.
    fn replace_row(&mut self, q: usize, u: &[f64]) {
        let p = self.p;
        let column: Vec<f64> = self.inverse[q * p..(q + 1) * p].to_vec();
        for (k, &uk) in u.iter().enumerate() {
            let factor = (uk - if k == q { 1.0 } else { 0.0 }) / u[q];
            if factor != 0.0 {
                let target = &mut self.inverse[k * p..(k + 1) * p];
                target.iter_mut().zip(&column).for_each(|(t, c)| *t -= c * factor);
            }
        }
    }

    /// `θ = B⁻¹β` for the current basis.
    fn update_point(&mut self) {
        let p = self.p;
        let beta: Vec<f64> = self.basis.iter().map(|&row| self.row(row).1).collect();
        self.theta.iter_mut().for_each(|t| *t = 0.0);
        for (k, &b) in beta.iter().enumerate() {
            if b != 0.0 {
                let column = &self.inverse[k * p..(k + 1) * p];
                self.theta.iter_mut().zip(column).for_each(|(t, c)| *t += c * b);
            }
        }
    }

    /// Inverts the basis afresh (Gauss–Jordan with partial pivoting) and recomputes the vertex
    /// and the multipliers from it, so that rounding does not build up over many updates.
    fn refactor(&mut self) {
        let p = self.p;
        // B, row-major: row i is the normal of the i-th active constraint.
        let mut b = vec![0.0; p * p];
        for (i, &row) in self.basis.iter().enumerate() {
            match self.row(row).0 {
                RowRef::Dense(a) => b[i * p..(i + 1) * p].copy_from_slice(a),
                RowRef::Unit { j, sign } => b[i * p + j] = sign,
            }
        }
        let mut inv = vec![0.0; p * p];
        for i in 0..p {
            inv[i * p + i] = 1.0;
        }
        // Rows are updated as whole slices against a copy of the pivot row, so that the inner
        // loops vectorise; columns left of `col` are already zero in the pivot row.
        let (mut pivot_b, mut pivot_inv) = (vec![0.0; p], vec![0.0; p]);
        for col in 0..p {
            let pivot = (col..p)
                .max_by(|&x, &y| b[x * p + col].abs().total_cmp(&b[y * p + col].abs()))
                .unwrap_or(col);
            if pivot != col {
                for k in 0..p {
                    b.swap(col * p + k, pivot * p + k);
                    inv.swap(col * p + k, pivot * p + k);
                }
            }
            let d = b[col * p + col];
            if d == 0.0 {
                continue; // singular: kept as it is; the rank-one updates never make it so
            }
            b[col * p + col..(col + 1) * p].iter_mut().for_each(|v| *v /= d);
            inv[col * p..(col + 1) * p].iter_mut().for_each(|v| *v /= d);
            pivot_b.copy_from_slice(&b[col * p..(col + 1) * p]);
            pivot_inv.copy_from_slice(&inv[col * p..(col + 1) * p]);
            for (r, (b_row, inv_row)) in b.chunks_exact_mut(p).zip(inv.chunks_exact_mut(p)).enumerate() {
                let f = b_row[col];
                if r != col && f != 0.0 {
                    b_row[col..].iter_mut().zip(&pivot_b[col..]).for_each(|(v, w)| *v -= f * w);
                    inv_row.iter_mut().zip(&pivot_inv).for_each(|(v, w)| *v -= f * w);
                }
            }
        }
        // `inv` is B⁻¹ row-major; the LP keeps it column-major: column k is `inverse[k·p..]`.
        for r in 0..p {
            for k in 0..p {
                self.inverse[k * p + r] = inv[r * p + k];
            }
        }
        // λ = B⁻ᵀg: λ_k = Σ_r (B⁻¹)_{r k} g_r, i.e. column k of B⁻¹ against g.
        for k in 0..p {
            self.lambda[k] = self.inverse[k * p..(k + 1) * p].iter().zip(&self.g).map(|(c, g)| c * g).sum();
        }
        self.update_point();
        self.since_refactor = 0;
    }
}

/// A constraint's normal: a dense vector, or `sign · e_j`.
enum RowRef<'a> {
    Dense(&'a [f64]),
    Unit { j: usize, sign: f64 },
}

impl RowRef<'_> {
    fn dot(&self, x: &[f64]) -> f64 {
        match self {
            RowRef::Dense(a) => crate::vector::dot(a, x),
            RowRef::Unit { j, sign } => sign * x[*j],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-bit linear congruential generator: the same cases everywhere.
    struct Lcg(u64);

    impl Lcg {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        }
    }

    #[test]
    fn a_triangle_in_two_dimensions() {
        // max x + y  s.t.  x + 2y ≤ 4, 3x + y ≤ 6, |x|, |y| ≤ 100: the optimum (1.6, 1.2), value 2.8.
        let mut lp = CutLp::new(&[1.0, 1.0], 100.0);
        lp.add_cut(vec![1.0, 2.0], 4.0);
        lp.add_cut(vec![3.0, 1.0], 6.0);
        assert_eq!(lp.solve(100), LpStatus::Optimal);
        let t = lp.theta();
        assert!((t[0] - 1.6).abs() < 1e-12 && (t[1] - 1.2).abs() < 1e-12, "{t:?}");
        assert!(!lp.box_binds());
        assert!(lp.dual_residual() < 1e-12 && lp.least_multiplier() >= 0.0);
    }

    #[test]
    fn cuts_added_later_start_from_the_last_basis() {
        let mut lp = CutLp::new(&[1.0, 0.5], 10.0);
        assert_eq!(lp.solve(10), LpStatus::Optimal);
        assert_eq!(lp.theta(), [10.0, 10.0]);
        assert!(lp.box_binds());
        lp.add_cut(vec![1.0, 1.0], 3.0);
        assert_eq!(lp.solve(10), LpStatus::Optimal);
        // x = 10 at the box would leave y = −7; the optimum moves along x + y = 3 to the box corner.
        let t = lp.theta().to_vec();
        assert!((t[0] + t[1] - 3.0).abs() < 1e-12 && (t[0] - 10.0).abs() < 1e-12, "{t:?}");
        lp.add_cut(vec![1.0, 0.0], 1.0);
        assert_eq!(lp.solve(10), LpStatus::Optimal);
        assert!((lp.theta()[0] - 1.0).abs() < 1e-12 && (lp.theta()[1] - 2.0).abs() < 1e-12);
        assert!(!lp.box_binds());
    }

    #[test]
    fn contradicting_cuts_are_infeasible() {
        let mut lp = CutLp::new(&[1.0], 10.0);
        lp.add_cut(vec![1.0], -1.0);
        lp.add_cut(vec![-1.0], -1.0);
        assert_eq!(lp.solve(10), LpStatus::Infeasible);
    }

    #[test]
    fn random_lps_meet_their_dual_bound() {
        // Random polytopes around the origin (which is feasible, every β > 0): at the optimum the
        // multipliers are non-negative, reproduce g, and give the same value (weak duality tight).
        let mut rng = Lcg(3);
        for case in 0..200 {
            let p = 1 + case % 12;
            let g: Vec<f64> = (0..p).map(|_| rng.uniform()).collect();
            let mut lp = CutLp::new(&g, 1e3);
            for _ in 0..(3 * p + case % 7) {
                let a: Vec<f64> = (0..p).map(|_| rng.uniform()).collect();
                lp.add_cut(a, 0.1 + rng.uniform().abs());
                assert_eq!(lp.solve(10_000), LpStatus::Optimal, "case {case}");
            }
            let primal: f64 = g.iter().zip(lp.theta()).map(|(g, t)| g * t).sum();
            let dual: f64 = lp
                .active()
                .map(|(row, l)| {
                    l * match row {
                        Row::Cut(c) => lp.rhs[c],
                        Row::Side { .. } => lp.radius(),
                    }
                })
                .sum();
            assert!((primal - dual).abs() <= 1e-9 * (1.0 + primal.abs()), "case {case}: {primal} vs {dual}");
            assert!(lp.least_multiplier() >= -1e-12 && lp.dual_residual() < 1e-9, "case {case}");
            for c in 0..lp.cuts() {
                let v: f64 = lp.normal(c).iter().zip(lp.theta()).map(|(a, t)| a * t).sum::<f64>() - lp.rhs[c];
                assert!(v <= 1e-9, "case {case}: cut {c} violated by {v}");
            }
        }
    }
}
