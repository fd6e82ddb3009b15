//! Feasibility read off a program's structure, without a solver: the fact that overrules a
//! solver's claim of infeasibility when its certificate only holds up to the scale it worked at.
//!
//! `minimise t subject to t ≥ e³⁰` is feasible (its optimum is 1.07e13), yet an interior-point
//! method working near the data's scale (30, 1) can end with a Farkas vector that is valid to
//! 6e-11 and excludes every point up to a size of about 1e8: a near-certificate for a program
//! whose points are all far away. No tolerance on the certificate separates that case from a true
//! one; the structure does.

use crate::{Cone, ConeProgram};

/// How far inside a cone a point of fixed rows must be before it counts, relative to its size:
/// the check proves feasibility, so rounding must never tip a boundary case its way.
const MARGIN: f64 = 1e-9;

impl ConeProgram {
    /// Whether the program has a feasible point by its structure alone: set every variable that
    /// appears in more than one row to 0, so that each row is either fixed at `b_i` or moved freely by
    /// a variable of its own (one that appears in no other row); then every cone must be reachable
    /// with its fixed rows as they are. `true` is a proof; `false` says nothing.
    pub fn evidently_feasible(&self) -> bool {
        let m = self.m();
        let mut free = vec![false; m];
        for j in 0..self.n {
            let mut rows = self.a.column(j).filter(|&(_, v)| v != 0.0).map(|(i, _)| i);
            if let (Some(i), None) = (rows.next(), rows.next()) {
                free[i] = true;
            }
        }
        let mut start = 0;
        self.cones.iter().all(|cone| {
            let rows = start..start + cone.dim();
            start = rows.end;
            let row = |k: usize| Row { free: free[rows.start + k], b: self.b[rows.start + k] };
            reachable(cone, &(0..cone.dim()).map(row).collect::<Vec<_>>())
        })
    }
}

/// One row of a cone's block: moved freely by a variable of its own, or fixed at `b`.
#[derive(Clone, Copy)]
struct Row {
    free: bool,
    b: f64,
}

impl Row {
    /// The row can be made positive.
    fn positive(self) -> bool {
        self.free || self.b > 0.0
    }
    /// The row can be made non-negative.
    fn nonneg(self) -> bool {
        self.free || self.b >= 0.0
    }
    /// The row can be made zero.
    fn zero(self) -> bool {
        self.free || self.b == 0.0
    }
}

/// Whether some point of the cone agrees with the fixed rows.
fn reachable(cone: &Cone, rows: &[Row]) -> bool {
    match *cone {
        Cone::Zero(_) => rows.iter().all(|r| r.zero()),
        Cone::Nonneg(_) => rows.iter().all(|r| r.nonneg()),
        Cone::SecondOrder(_) => {
            // `s₀ ≥ ‖s₁..‖`: a free head reaches any tail; a fixed one must cover the fixed tail
            // (free tail rows go to 0).
            let tail = rows[1..].iter().filter(|r| !r.free).map(|r| r.b * r.b).sum::<f64>().sqrt();
            rows[0].free || rows[0].b >= tail * (1.0 + MARGIN)
        }
        Cone::Exp => {
            // Clarabel's order (x, y, z): `y·exp(x/y) ≤ z`, y > 0, or y = 0, x ≤ 0, z ≥ 0.
            let [x, y, z] = [rows[0], rows[1], rows[2]];
            let edge = y.zero() && (x.free || x.b <= 0.0) && z.nonneg();
            let inside = y.positive()
                && (z.free
                    || z.b > 0.0
                        && (x.free
                            || match (y.free, x.b) {
                                // With y free, y·exp(x/y) goes to 0 for x < 0 and has minimum e·x for x > 0.
                                (true, xb) if xb <= 0.0 => true,
                                (true, xb) => std::f64::consts::E * xb <= z.b * (1.0 - MARGIN),
                                (false, xb) => y.b * (xb / y.b).exp() <= z.b * (1.0 - MARGIN),
                            }));
            edge || inside
        }
        Cone::Power(alpha) => {
            // `x^α·y^(1−α) ≥ |z|`, x, y ≥ 0: with z reachable at 0 any non-negative x, y do; else
            // one free and the other positive, or both fixed and large enough.
            let [x, y, z] = [rows[0], rows[1], rows[2]];
            if !(x.nonneg() && y.nonneg()) {
                return false;
            }
            if z.zero() {
                return true;
            }
            (x.free && y.positive())
                || (y.free && x.positive())
                || (!x.free
                    && !y.free
                    && x.b.powf(alpha) * y.b.powf(1.0 - alpha) >= z.b.abs() * (1.0 + MARGIN))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Cone, ConeProgram, RowBuilder, Sense};

    /// One variable `t` and one cone over rows `s = b − A x`, where row `t_row` is `s = b + t` (the
    /// variable's own row) and the others are fixed at `b`.
    fn one_cone(cone: Cone, b: &[f64], t_row: Option<usize>) -> ConeProgram {
        let mut rows = RowBuilder::new();
        for (i, &bi) in b.iter().enumerate() {
            let entries: &[(usize, f64)] = if Some(i) == t_row { &[(0, -1.0)] } else { &[] };
            rows.push_row(entries, bi);
        }
        let (a, b) = rows.finish(1);
        let mut p = ConeProgram::new("t", 1, Sense::Minimize);
        (p.q, p.a, p.b, p.cones) = (vec![1.0], a, b, vec![cone]);
        p
    }

    #[test]
    fn a_cone_with_a_variable_of_its_own_is_reached() {
        // t ≥ e³⁰: (30, 1, t) in Clarabel's exponential cone.
        assert!(one_cone(Cone::Exp, &[30.0, 1.0, 0.0], Some(2)).evidently_feasible());
        // t^0.01 ≥ 1.5: (t, 1, 1.5) in the power cone with α = 0.01.
        assert!(one_cone(Cone::Power(0.01), &[0.0, 1.0, 1.5], Some(0)).evidently_feasible());
        assert!(one_cone(Cone::SecondOrder(3), &[0.0, 1.0, 2.0], Some(0)).evidently_feasible());
    }

    #[test]
    fn fixed_rows_are_judged_as_they_are() {
        // y = 0 and x = 1 > 0: no z puts (1, 0, z) in the exponential cone.
        assert!(!one_cone(Cone::Exp, &[1.0, 0.0, 0.0], Some(2)).evidently_feasible());
        // A fixed head below the fixed tail, and a negative fixed power-cone base.
        assert!(!one_cone(Cone::SecondOrder(3), &[1.0, 1.0, 1.0], None).evidently_feasible());
        assert!(one_cone(Cone::SecondOrder(3), &[2.0, 1.0, 1.0], None).evidently_feasible());
        assert!(!one_cone(Cone::Power(0.5), &[0.0, -1.0, 1.0], Some(0)).evidently_feasible());
        // 1·e^(1/1) = e ≤ 3 is inside; 2.7 is not.
        assert!(one_cone(Cone::Exp, &[1.0, 1.0, 3.0], None).evidently_feasible());
        assert!(!one_cone(Cone::Exp, &[1.0, 1.0, 2.7], None).evidently_feasible());
        assert!(!one_cone(Cone::Nonneg(2), &[1.0, -1e-300], None).evidently_feasible());
        assert!(!one_cone(Cone::Zero(1), &[1e-300], None).evidently_feasible());
    }

    #[test]
    fn a_variable_in_two_rows_is_not_free() {
        // x ≥ 1 and x ≤ 0 (rows −x + s = −1, x + s = 0): x is shared, so both rows are fixed,
        // and the first, at −1, is not reached.
        let mut rows = RowBuilder::new();
        rows.push_row(&[(0, -1.0)], -1.0);
        rows.push_row(&[(0, 1.0)], 0.0);
        let (a, b) = rows.finish(1);
        let mut p = ConeProgram::new("t", 1, Sense::Minimize);
        (p.q, p.a, p.b, p.cones) = (vec![0.0], a, b, vec![Cone::Nonneg(2)]);
        assert!(!p.evidently_feasible());
    }
}
