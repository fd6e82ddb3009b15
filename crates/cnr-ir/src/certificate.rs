//! Checking a solver's certificate of infeasibility or unboundedness against the program, so that
//! neither is reported on the solver's word alone.
//!
//! For `minimise qᵀx (+ ½xᵀPx) subject to Ax + s = b, s ∈ K`:
//!
//! - **unbounded** is certified by a direction `d` with `Pd = 0`, `−Ad ∈ K` and `qᵀd < 0`: from any
//!   feasible point, moving along `d` stays feasible and lowers the objective without end;
//! - **infeasible** is certified by `z ∈ K*` with `Aᵀz = 0` and `bᵀz < 0` (Farkas): for a feasible
//!   point `0 ≤ zᵀs = zᵀ(b − Ax) = bᵀz < 0`, a contradiction.
//!
//! Both are checked on the certificate scaled to `‖·‖∞ = 1`, with the cone distances of
//! [`ConeProgram::cone_distance`] and [`ConeProgram::dual_cone_distance`].

use crate::ConeProgram;
use serde::Serialize;

/// How well a certificate holds: each figure is relative, and the certificate holds when the
/// violation is below `tol` and the gain stands clear of it (see [`Certificate::holds`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Certificate {
    /// For a direction: `dist(−Ad, K) / (1 + ‖Ad‖∞)`; for a Farkas vector: `‖Aᵀz‖∞ / (1 + ‖A‖ max)`
    /// plus `dist(z, K*)`.
    pub violation: f64,
    /// For a direction: `−qᵀd / ‖q‖∞`; for a Farkas vector: `−bᵀz / ‖b‖∞`. Positive when the
    /// certificate points the right way.
    pub gain: f64,
}

impl Certificate {
    /// Whether it proves what it claims, at tolerance `tol`: the violation is at most `tol`, and
    /// the gain is a thousand times the violation (and above rounding, 1e-12). The gain is compared
    /// with the violation, not with a fixed number: a Farkas vector with `Aᵀz` zero to 1e-17 and
    /// `−bᵀz` of 5e-7 (a few small negative labels among large ones) is a proof, while a gain of
    /// the violation's own size is noise.
    pub fn holds(&self, tol: f64) -> bool {
        self.violation <= tol && self.gain > (GAIN_OVER_VIOLATION * self.violation).max(MIN_GAIN)
    }
}

/// How many times the violation a certificate's gain must be.
const GAIN_OVER_VIOLATION: f64 = 1e3;

/// The smallest gain that is not rounding.
const MIN_GAIN: f64 = 1e-12;

fn inf_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

impl ConeProgram {
    /// How well `d` certifies that the program is unbounded.
    pub fn check_unbounded(&self, d: &[f64]) -> Certificate {
        let scale = inf_norm(d);
        if d.len() != self.n || scale == 0.0 || !scale.is_finite() {
            return Certificate { violation: f64::INFINITY, gain: 0.0 };
        }
        let d: Vec<f64> = d.iter().map(|v| v / scale).collect();
        let mut ad = vec![0.0; self.m()];
        self.a.mul_add(&d, &mut ad);
        let minus_ad: Vec<f64> = ad.iter().map(|v| -v).collect();
        let mut pd = vec![0.0; self.n];
        self.p.mul_add(&d, &mut pd);
        let violation = (self.cone_distance(&minus_ad) + inf_norm(&pd)) / (1.0 + inf_norm(&ad));
        let q_norm = inf_norm(&self.q);
        let gain =
            if q_norm > 0.0 { -self.q.iter().zip(&d).map(|(q, x)| q * x).sum::<f64>() / q_norm } else { 0.0 };
        Certificate { violation, gain }
    }

    /// How well `z` certifies that the program is infeasible.
    pub fn check_infeasible(&self, z: &[f64]) -> Certificate {
        let scale = inf_norm(z);
        if z.len() != self.m() || scale == 0.0 || !scale.is_finite() {
            return Certificate { violation: f64::INFINITY, gain: 0.0 };
        }
        let z: Vec<f64> = z.iter().map(|v| v / scale).collect();
        let a_max = inf_norm(&self.a.nzval);
        let atz: Vec<f64> =
            (0..self.n).map(|j| self.a.column(j).map(|(i, v)| v * z[i]).sum::<f64>()).collect();
        let violation = inf_norm(&atz) / (1.0 + a_max) + self.dual_cone_distance(&z);
        let b_norm = inf_norm(&self.b);
        let gain =
            if b_norm > 0.0 { -self.b.iter().zip(&z).map(|(b, v)| b * v).sum::<f64>() / b_norm } else { 0.0 };
        Certificate { violation, gain }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Cone, ConeProgram, RowBuilder, Sense};

    /// minimise `c·x` subject to `x ≥ lo` (one variable), as `−x + s = −lo`, `s ≥ 0`.
    fn at_least(c: f64, lo: f64) -> ConeProgram {
        let mut rows = RowBuilder::new();
        rows.push_row(&[(0, -1.0)], -lo);
        let (a, b) = rows.finish(1);
        let mut p = ConeProgram::new("t", 1, Sense::Minimize);
        (p.q, p.a, p.b, p.cones) = (vec![c], a, b, vec![Cone::Nonneg(1)]);
        p
    }

    #[test]
    fn a_true_recession_direction_holds_and_a_wrong_one_does_not() {
        // minimise −x over x ≥ 1 is unbounded along d = +1, not along d = −1.
        let p = at_least(-1.0, 1.0);
        assert!(p.check_unbounded(&[2.0]).holds(1e-6));
        assert!(!p.check_unbounded(&[-1.0]).holds(1e-6));
        // minimise x over x ≥ 1 is bounded: +1 is feasible but does not improve.
        assert!(!at_least(1.0, 1.0).check_unbounded(&[1.0]).holds(1e-6));
    }

    #[test]
    fn a_farkas_vector_proves_infeasibility() {
        // x ≥ 1 and x ≤ 0: rows −x + s = −1 and x + s = 0; z = (1, 1) gives Aᵀz = 0, bᵀz = −1.
        let mut rows = RowBuilder::new();
        rows.push_row(&[(0, -1.0)], -1.0);
        rows.push_row(&[(0, 1.0)], 0.0);
        let (a, b) = rows.finish(1);
        let mut p = ConeProgram::new("t", 1, Sense::Minimize);
        (p.q, p.a, p.b, p.cones) = (vec![0.0], a, b, vec![Cone::Nonneg(2)]);
        assert!(p.check_infeasible(&[1.0, 1.0]).holds(1e-6));
        // Outside the dual cone, or with Aᵀz ≠ 0, it proves nothing.
        assert!(!p.check_infeasible(&[-1.0, -1.0]).holds(1e-6));
        assert!(!p.check_infeasible(&[1.0, 0.0]).holds(1e-6));
    }
}
