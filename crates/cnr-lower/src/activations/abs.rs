//! `abs(z) = |z|`: `t ≥ z`, `t ≥ −z`. Two linear rows.

use super::ActivationRows;
use crate::emit::{Columns, Lin};

pub(super) fn epigraph(z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let t = Lin::var(cols.fresh());
    rows.nonneg(&t.minus(z));
    rows.nonneg(&t.plus(z));
    t
}
