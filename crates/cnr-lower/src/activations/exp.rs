//! `exp(z) = e^z`: `(z, 1, t)` in the exponential cone (the IR's order, `cnr_ir::Cone::Exp`: `y·e^(x/y) ≤ z` with
//! `x = z`, `y = 1`, `z = t`). One cone.

use super::ActivationRows;
use crate::emit::{Columns, Lin, Section};
use cnr_ir::Cone;

pub(super) fn epigraph(z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let t = Lin::var(cols.fresh());
    at_least_exp(&t, z, rows);
    t
}

/// Adds `t ≥ e^z` for affine `t` and `z`.
pub(super) fn at_least_exp(t: &Lin, z: &Lin, rows: &mut ActivationRows) {
    rows.group(Section::Exp).push_cone(Cone::Exp, &[z.clone(), Lin::constant(1.0), t.clone()]);
}
