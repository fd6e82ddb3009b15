//! `power(z, p) = |z|^p`, `p ≥ 1`: `(t, 1, z)` in the 3-d power cone with `α = 1/p`, i.e.
//! `t^(1/p) · 1^(1−1/p) ≥ |z|`. For `p = 1` (where `α = 1` is outside the IR's power cone, `0 < α < 1`) it is `abs`.

use super::{abs, ActivationRows};
use crate::emit::{Columns, Lin, Section};
use cnr_ir::Cone;

pub(super) fn epigraph(p: f64, z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    if p == 1.0 {
        return abs::epigraph(z, cols, rows);
    }
    let t = Lin::var(cols.fresh());
    rows.group(Section::Pow).push_cone(Cone::Power(1.0 / p), &[t.clone(), Lin::constant(1.0), z.clone()]);
    t
}
