//! `elu(z, a) = z` for `z > 0`, else `a(e^z − 1)`, with `0 < a ≤ 1`.
//!
//! Split `z = p + q` with `p ≥ 0`, `q ≤ 0`; then `elu(z) = min p + a(e^q − 1)` over the split,
//! because the derivative of `p + a(e^(z−p) − 1)` in `p` is `1 − a·e^(z−p) ≥ 0` when `z − p ≤ 0`
//! and `a ≤ 1`. With `q = z − p` substituted and `v ≥ e^q` (one exponential cone), the bound is
//! `t = p + a·v − a`, subject to `p ≥ 0` and `p − z ≥ 0` (two linear rows). No `t` column is needed.

use super::{exp, ActivationRows};
use crate::emit::{Columns, Lin};

pub(super) fn epigraph(a: f64, z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let p = Lin::var(cols.fresh());
    let v = Lin::var(cols.fresh());
    rows.nonneg(&p);
    rows.nonneg(&p.minus(z));
    exp::at_least_exp(&v, &z.minus(&p), rows);
    p.add_scaled(a, &v).add_scaled(1.0, &Lin::constant(-a))
}
