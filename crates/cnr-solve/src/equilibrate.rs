//! An exact rescaling of a cone program before it is solved: rows and columns multiplied by powers of
//! two (so every product is exact), chosen by a few rounds of Ruiz equilibration — each round divides
//! every row and every column by the square root of its largest entry. Rows of one second-order,
//! exponential or power cone share one factor, since only a positive multiple of a whole cone's
//! slice stays in the cone; zero and non-negative rows are scaled one by one.
//!
//! The solver's own equilibration is limited to factors between 1e-4 and 1e4; this one is not, which
//! is what models with output weights of 1e12 or inputs of 1e-12 need.

use cnr_ir::{Cone, ConeProgram, Solution};

/// The factors: `A' = R A C`, `b' = R b`, `q' = κ C q`, so that `x = C x'`, `s = R⁻¹ s'`, `z = R z' / κ`.
pub struct Scaling {
    rows: Vec<f64>,
    cols: Vec<f64>,
    /// The objective's factor `κ`: `q' = κ C q`, so the scaled program's dual point is `κ` times
    /// the original's (in scaled terms).
    objective: f64,
}

/// A power of two near `1/√v` (1 for zero or non-finite `v`).
fn inverse_sqrt_pow2(v: f64) -> f64 {
    if v > 0.0 && v.is_finite() {
        2f64.powi((-0.5 * v.log2()).round().clamp(-200.0, 200.0) as i32)
    } else {
        1.0
    }
}

/// Equilibrates `program` in place and returns the factors.
pub fn equilibrate(program: &mut ConeProgram) -> Scaling {
    let (m, n) = (program.m(), program.n);
    let mut scaling = Scaling { rows: vec![1.0; m], cols: vec![1.0; n], objective: 1.0 };
    // The row groups that must share a factor.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    for cone in &program.cones {
        let dim = cone.dim();
        match cone {
            Cone::Zero(_) | Cone::Nonneg(_) => groups.extend((start..start + dim).map(|i| i..i + 1)),
            _ => groups.push(start..start + dim),
        }
        start += dim;
    }
    for _ in 0..10 {
        // Columns.
        let mut changed = false;
        for j in 0..n {
            let (lo, hi) = (program.a.colptr[j], program.a.colptr[j + 1]);
            let big = program.a.nzval[lo..hi].iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
            let f = inverse_sqrt_pow2(big);
            if f != 1.0 {
                changed = true;
                program.a.nzval[lo..hi].iter_mut().for_each(|v| *v *= f);
                scaling.cols[j] *= f;
            }
        }
        // Rows, by group.
        let mut row_max = vec![0.0f64; m];
        for (i, v) in program.a.rowval.iter().zip(&program.a.nzval) {
            row_max[*i] = row_max[*i].max(v.abs());
        }
        let mut row_factor = vec![1.0; m];
        for g in &groups {
            let big = row_max[g.clone()].iter().fold(0.0f64, |acc, v| acc.max(*v));
            let f = inverse_sqrt_pow2(big);
            if f != 1.0 {
                changed = true;
                row_factor[g.clone()].iter_mut().for_each(|r| *r = f);
            }
        }
        for (i, v) in program.a.rowval.iter().zip(program.a.nzval.iter_mut()) {
            *v *= row_factor[*i];
        }
        for (r, f) in scaling.rows.iter_mut().zip(&row_factor) {
            *r *= f;
        }
        if !changed {
            break;
        }
    }
    // Ruiz balances `A` alone and may split a program's scale between its rows and columns, leaving
    // `b` and `q` far from 1 (rows of 1e-9 become rows of about 1 and a `b` of about 3e-5). Since `K` is
    // a cone, dividing every row by `σ` and multiplying every column by `σ` keeps `A` and divides `b`
    // by `σ`; `σ` is chosen to bring `‖b‖∞` near 1. The objective is then brought near 1 by a factor
    // `κ` of its own, undone in the dual point.
    let b_max = program.b.iter().zip(&scaling.rows).fold(0.0f64, |m, (b, r)| m.max((b * r).abs()));
    let sigma = 1.0 / inverse_sqrt_pow2(b_max * b_max);
    scaling.rows.iter_mut().for_each(|r| *r /= sigma);
    scaling.cols.iter_mut().for_each(|c| *c *= sigma);
    for (b, r) in program.b.iter_mut().zip(&scaling.rows) {
        *b *= r;
    }
    for (q, c) in program.q.iter_mut().zip(&scaling.cols) {
        *q *= c;
    }
    let q_max = program.q.iter().fold(0.0f64, |m, q| m.max(q.abs()));
    scaling.objective = inverse_sqrt_pow2(q_max * q_max);
    program.q.iter_mut().for_each(|q| *q *= scaling.objective);
    program.c *= scaling.objective;
    scaling
}

impl Scaling {
    /// A point or direction `x` of the original program in the scaled program's terms: `C⁻¹ x`.
    pub fn to_scaled_primal(&self, x: &[f64]) -> Vec<f64> {
        x.iter().zip(&self.cols).map(|(x, c)| x / c).collect()
    }

    /// A dual vector `z` of the original program in the scaled program's terms: `κ R⁻¹ z`.
    pub fn to_scaled_dual(&self, z: &[f64]) -> Vec<f64> {
        z.iter().zip(&self.rows).map(|(z, r)| z / r * self.objective).collect()
    }

    /// Turns a solution of the scaled program into one of the original.
    pub fn unscale(&self, solution: &mut Solution) {
        if solution.x.len() == self.cols.len() {
            solution.x.iter_mut().zip(&self.cols).for_each(|(x, c)| *x *= c);
        }
        if solution.s.len() == self.rows.len() {
            solution.s.iter_mut().zip(&self.rows).for_each(|(s, r)| *s /= r);
        }
        if solution.z.len() == self.rows.len() {
            solution.z.iter_mut().zip(&self.rows).for_each(|(z, r)| *z *= r / self.objective);
        }
    }
}
