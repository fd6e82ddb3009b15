//! `softplus(z) = log(1 + e^z)`: `t ≥ softplus(z)` ⇔ `e^(−t) + e^(z−t) ≤ 1`, written with two
//! auxiliaries `a ≥ e^(−t)`, `b ≥ e^(z−t)` (two exponential cones) and the linear row `a + b ≤ 1`.

use super::{exp, ActivationRows};
use crate::emit::{Columns, Lin};

pub(super) fn epigraph(z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let t = Lin::var(cols.fresh());
    let a = Lin::var(cols.fresh());
    let b = Lin::var(cols.fresh());
    exp::at_least_exp(&a, &t.scaled(-1.0), rows);
    exp::at_least_exp(&b, &z.minus(&t), rows);
    rows.nonneg(&Lin::constant(1.0).minus(&a).minus(&b));
    t
}
