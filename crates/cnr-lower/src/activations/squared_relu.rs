//! `squared_relu(z) = max(z, 0)²`: `s ≥ z`, `s ≥ 0`, `t ≥ s²`. Two linear rows and one 3-row SOC.
//! Minimising `t` drives `s` down to `max(z, 0)`, where `s²` is smallest because `s ≥ 0`.

use super::{square, ActivationRows};
use crate::emit::{Columns, Lin};

pub(super) fn epigraph(z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let t = Lin::var(cols.fresh());
    let s = Lin::var(cols.fresh());
    rows.nonneg(&s.minus(z));
    rows.nonneg(&s);
    square::at_least_square(&t, &s, rows);
    t
}
