//! `huber(z, δ) = z²/2` for `|z| ≤ δ`, else `δ(|z| − δ/2)`: the infimal convolution
//! `min_p p²/2 + δ|z − p|`. Columns `p`, `r ≥ p²/2` (one 3-row SOC, as `2r ≥ p²`) and `a ≥ |z − p|`
//! (two linear rows); the bound is `t = r + δ·a`, so no `t` column is needed.

use super::{square, ActivationRows};
use crate::emit::{Columns, Lin};

pub(super) fn epigraph(delta: f64, z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let p = Lin::var(cols.fresh());
    let r = Lin::var(cols.fresh());
    let a = Lin::var(cols.fresh());
    let residual = z.minus(&p);
    rows.nonneg(&a.minus(&residual));
    rows.nonneg(&a.plus(&residual));
    square::at_least_square(&r.scaled(2.0), &p, rows);
    r.add_scaled(delta, &a)
}
