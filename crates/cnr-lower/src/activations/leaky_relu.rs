//! `leaky_relu(z) = max(z, a·z)` with `0 ≤ a ≤ 1`: `t ≥ z`, `t ≥ a·z`. Two linear rows.

use super::ActivationRows;
use crate::emit::{Columns, Lin};

pub(super) fn epigraph(a: f64, z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let t = Lin::var(cols.fresh());
    rows.nonneg(&t.minus(z));
    rows.nonneg(&t.minus(&z.scaled(a)));
    t
}
