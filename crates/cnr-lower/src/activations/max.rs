//! `max(e₁, …, e_k)` of convex arguments (and `max_affine`): `t ≥ e_j` for each argument, given as
//! affine upper bounds. `k` linear rows.

use super::ActivationRows;
use crate::emit::{Columns, Lin};

pub(super) fn epigraph(args: &[Lin], cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let t = Lin::var(cols.fresh());
    for a in args {
        rows.nonneg(&t.minus(a));
    }
    t
}
