//! `relu(z) = max(z, 0)`: `t ≥ z`, `t ≥ 0`. Two linear rows, one new column.

use super::ActivationRows;
use crate::emit::{Columns, Lin};

pub(super) fn epigraph(z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let t = Lin::var(cols.fresh());
    rows.nonneg(&t.minus(z));
    rows.nonneg(&t);
    t
}
