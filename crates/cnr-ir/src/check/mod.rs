//! An independent check of a candidate point: given `x`, compute the slack `s = b − A x` and how far
//! it is from the cone `K`, without trusting anything a solver reports.
//!
//! The violation measure is the same for every cone: the Euclidean distance from the cone's slice of
//! `s` to the cone, `dist(v, C) = ‖v − Π_C(v)‖₂`. The *units* are the single rows of the zero and
//! non-negative cones (which are products of one-dimensional cones) and the whole second-order,
//! exponential and power cones. Because `K` is the product of the units, the distance of `s` to all
//! of `K` is the 2-norm of the units' distances ([`PointCheck::distance`]).
//!
//! - zero: `|s_i|`; non-negative: `max(0, −s_i)`;
//! - second-order: the closed-form projection;
//! - exponential and power: the projection computed numerically (see [`project_exp`] and
//!   [`project_pow`]), accurate to a few units in the last place of the slice's largest entry.

use std::ops::Range;

use serde::Serialize;

use crate::{Cone, ConeProgram};

use self::project::{dist, norm, project_exp, project_pow, project_soc};

mod project;

/// What [`ConeProgram::check_point`] found about a point `x`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PointCheck {
    /// The slack `s = b − A x`, one entry per row.
    pub s: Vec<f64>,
    /// The objective of the stored minimisation at `x` (see [`ConeProgram::objective`]).
    pub objective: f64,
    /// `‖b‖∞`, for scaling the violation.
    pub norm_b: f64,
    /// `‖A x‖∞`, for scaling the violation.
    pub norm_ax: f64,
    /// The Euclidean distance from `s` to the whole cone `K`: the 2-norm of all the units' distances.
    pub distance: f64,
    /// The unit with the largest distance to its cone, if any unit has a positive distance.
    pub worst: Option<Violation>,
}

/// The distance of one unit (a row of a zero or non-negative cone, or a whole other cone) to its cone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// The position of the cone in [`ConeProgram::cones`].
    pub cone: usize,
    /// The kind of the cone ([`Cone::kind`]).
    pub kind: &'static str,
    /// The rows of the unit: one row for a zero or non-negative cone, all rows of any other cone.
    pub rows: Range<usize>,
    /// The Euclidean distance of the unit's slack to its cone (positive; NaN if the point has one).
    pub amount: f64,
    /// The unit's first row in the model's words ([`ConeProgram::describe_row`]).
    pub description: String,
}

impl PointCheck {
    /// The largest distance of a unit to its cone; 0 when the point is feasible.
    pub fn max_violation(&self) -> f64 {
        self.worst.as_ref().map_or(0.0, |v| v.amount)
    }

    /// The largest violation relative to the size of the data and the point:
    /// `max_violation / (1 + max(‖b‖∞, ‖A x‖∞))`, the measure to compare with a solver's tolerance.
    pub fn relative_violation(&self) -> f64 {
        self.max_violation() / (1.0 + self.norm_b.max(self.norm_ax))
    }

    /// Whether the relative violation is at most `tol`.
    pub fn is_feasible(&self, tol: f64) -> bool {
        self.relative_violation() <= tol
    }
}

impl ConeProgram {
    /// Checks a point independently of any solver: computes `s = b − A x` and the distance of each
    /// unit of `s` to its cone (see the module documentation of the measure), and reports the worst.
    ///
    /// The program should validate; for one that does not, cones past the last row are skipped and
    /// rows past the last cone are not checked, so the answer is partial but there is no panic.
    ///
    /// # Panics
    ///
    /// If `x` does not have `n` entries: that is a programming error, not a property of the point.
    pub fn check_point(&self, x: &[f64]) -> PointCheck {
        assert_eq!(x.len(), self.n, "check_point needs one value per column");
        let m = self.a.m;
        let mut ax = vec![0.0; m];
        self.a.mul_add(x, &mut ax);
        let s: Vec<f64> = (0..m).map(|i| self.b.get(i).copied().unwrap_or(0.0) - ax[i]).collect();
        let mut worst: Option<Violation> = None;
        let mut sum_sq = 0.0;
        let mut record = |cone: usize, kind: &'static str, rows: Range<usize>, amount: f64| {
            sum_sq += amount * amount;
            // NaN counts as the worst of all: a point with a NaN is never feasible.
            let worse = match &worst {
                None => amount > 0.0 || amount.is_nan(),
                Some(w) => amount > w.amount || (amount.is_nan() && !w.amount.is_nan()),
            };
            if worse {
                let description = self.describe_row(rows.start);
                worst = Some(Violation { cone, kind, rows, amount, description });
            }
        };
        self.for_each_unit(&s, |k, cone, rows, amount| record(k, cone.kind(), rows, amount));
        PointCheck {
            objective: self.objective(x),
            norm_b: self.b.iter().fold(0.0, |acc: f64, v| acc.max(v.abs())),
            norm_ax: ax.iter().fold(0.0, |acc: f64, v| acc.max(v.abs())),
            distance: sum_sq.sqrt(),
            worst,
            s,
        }
    }
}

impl ConeProgram {
    /// The distance of `s` (one entry per row) to the cone `K`: the 2-norm of the units' distances.
    pub fn cone_distance(&self, s: &[f64]) -> f64 {
        let mut sum_sq = 0.0;
        self.for_each_unit(s, |_, _, _, amount| sum_sq += amount * amount);
        sum_sq.sqrt()
    }

    /// The distance of `z` (one entry per row) to the dual cone `K*`. By Moreau's decomposition
    /// `z = Π_{K*}(z) + Π_{−K}(z)`, so the distance is `‖Π_K(−z)‖`, which needs only the projections
    /// onto `K` (the zero cone's dual is all of space).
    pub fn dual_cone_distance(&self, z: &[f64]) -> f64 {
        let minus: Vec<f64> = z.iter().map(|v| -v).collect();
        let mut sum_sq = 0.0;
        let mut start = 0usize;
        for cone in &self.cones {
            let end = start.saturating_add(cone.dim());
            if end > minus.len() {
                break;
            }
            let v = &minus[start..end];
            let projected: Vec<f64> = match *cone {
                Cone::Zero(_) => vec![0.0; v.len()],
                Cone::Nonneg(_) => v.iter().map(|x| x.max(0.0)).collect(),
                Cone::SecondOrder(_) => project_soc(v),
                Cone::Exp => project_exp([v[0], v[1], v[2]]).to_vec(),
                Cone::Power(alpha) => project_pow([v[0], v[1], v[2]], alpha).to_vec(),
            };
            let n = norm(&projected);
            sum_sq += n * n;
            start = end;
        }
        sum_sq.sqrt()
    }

    /// Calls `f(cone index, cone, rows, distance)` for every unit of `s` (see the module
    /// documentation).
    fn for_each_unit(&self, s: &[f64], mut f: impl FnMut(usize, &Cone, Range<usize>, f64)) {
        let mut start = 0usize;
        for (k, cone) in self.cones.iter().enumerate() {
            let end = start.saturating_add(cone.dim());
            if end > s.len() {
                break;
            }
            let v = &s[start..end];
            match *cone {
                Cone::Zero(_) => {
                    for (i, si) in v.iter().enumerate() {
                        f(k, cone, start + i..start + i + 1, si.abs());
                    }
                }
                Cone::Nonneg(_) => {
                    for (i, si) in v.iter().enumerate() {
                        f(k, cone, start + i..start + i + 1, (-si).max(0.0));
                    }
                }
                Cone::SecondOrder(_) => f(k, cone, start..end, dist(v, &project_soc(v))),
                Cone::Exp => f(k, cone, start..end, dist(v, &project_exp([v[0], v[1], v[2]]))),
                Cone::Power(alpha) => {
                    f(k, cone, start..end, dist(v, &project_pow([v[0], v[1], v[2]], alpha)))
                }
            }
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Block, RowBuilder, Sense};

    /// A program whose rows put `s = x` into one cone of each kind, with a named row block.
    fn one_cone_each() -> ConeProgram {
        let n = 14;
        let mut r = RowBuilder::new();
        for j in 0..n {
            r.push_row(&[(j, -1.0)], 0.0);
        }
        let (a, b) = r.finish(n);
        let mut p = ConeProgram::new("cones", n, Sense::Minimize);
        p.a = a;
        p.b = b;
        p.cones = vec![Cone::Zero(2), Cone::Nonneg(3), Cone::SecondOrder(3), Cone::Exp, Cone::Power(0.25)];
        p.row_blocks = vec![
            Block::vector("eq", 0, "i", 2),
            Block::vector("ineq", 2, "i", 3),
            Block::array("soc", 5, &[], 3),
            Block::array("exp", 8, &[], 3),
            Block::array("pow", 11, &[], 3),
        ];
        p.validate().unwrap();
        p
    }

    #[test]
    fn a_feasible_point_has_no_violation() {
        let p = one_cone_each();
        let x = [0.0, 0.0, 1.0, 0.0, 2.0, 5.0, 3.0, 4.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.5];
        let c = p.check_point(&x);
        assert_eq!(c.s, x.to_vec());
        assert_eq!(c.worst, None);
        assert_eq!(c.distance, 0.0);
        assert!(c.is_feasible(0.0));
    }

    #[test]
    fn the_worst_unit_is_named() {
        let p = one_cone_each();
        let mut x = [0.0, 0.0, 1.0, 0.0, 2.0, 5.0, 3.0, 4.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.5];
        x[1] = -0.5; // the second equality row is off by 0.5
        x[3] = -0.25; // a non-negative row is 0.25 below zero
        let c = p.check_point(&x);
        let w = c.worst.clone().unwrap();
        assert_eq!((w.cone, w.kind, w.rows.clone(), w.amount), (0, "zero", 1..2, 0.5));
        assert_eq!(w.description, "eq [i 1]");
        assert!((c.distance - (0.25f64 + 0.0625).sqrt()).abs() < 1e-15);
        // Outside the second-order cone by 5/√2 (the point (0, 3, 4) of the tests in `project`).
        x[1] = 0.0;
        x[3] = 0.0;
        x[5] = 0.0;
        let w = p.check_point(&x).worst.unwrap();
        assert_eq!((w.cone, w.kind, w.rows), (2, "soc", 5..8));
        assert!((w.amount - 5.0 / 2f64.sqrt()).abs() < 1e-14);
        assert_eq!(w.description, "soc entry 0 of 3");
        // Outside the exponential cone only: (0, 0, −1) is at distance 1.
        x[5] = 5.0;
        x[8..11].copy_from_slice(&[0.0, 0.0, -1.0]);
        let c = p.check_point(&x);
        let w = c.worst.clone().unwrap();
        assert_eq!((w.cone, w.kind, w.rows.clone(), w.amount), (3, "exp", 8..11, 1.0));
        // ‖A x‖∞ = 5 (the entry x₅), so the violation of 1 is 1/6 relative to the data.
        assert_eq!(c.relative_violation(), 1.0 / 6.0);
        assert!(!c.is_feasible(1e-6));
        // Outside the power cone only.
        x[8..11].copy_from_slice(&[0.0, 1.0, 1.0]);
        x[11..14].copy_from_slice(&[1.0, 1.0, -1.5]);
        let w = p.check_point(&x).worst.unwrap();
        assert_eq!((w.cone, w.kind), (4, "pow"));
        assert!(w.amount > 0.0 && w.amount < 0.5, "{}", w.amount);
    }

    #[test]
    fn a_nan_is_the_worst_violation() {
        let p = one_cone_each();
        let mut x = [0.0; 14];
        x[2] = -1.0;
        x[9] = f64::NAN;
        let w = p.check_point(&x).worst.unwrap();
        assert_eq!(w.kind, "exp");
        assert!(w.amount.is_nan());
    }
}
