//! `square(z) = z²`: `t ≥ z²`, i.e. `(t, ½, z)` in the rotated second-order cone, written as the
//! ordinary cone `‖(t − 1, 2z)‖ ≤ t + 1` (since `(t+1)² − (t−1)² = 4t ≥ 4z²`). One 3-row SOC.

use super::ActivationRows;
use crate::emit::{Columns, Lin, Section};
use cnr_ir::Cone;

pub(super) fn epigraph(z: &Lin, cols: &mut Columns, rows: &mut ActivationRows) -> Lin {
    let t = Lin::var(cols.fresh());
    at_least_square(&t, z, rows);
    t
}

/// Adds `t ≥ z²` for affine `t` and `z`.
pub(super) fn at_least_square(t: &Lin, z: &Lin, rows: &mut ActivationRows) {
    let one = Lin::constant(1.0);
    rows.group(Section::Soc)
        .push_cone(Cone::SecondOrder(3), &[t.clone().add_scaled(1.0, &one), t.minus(&one), z.scaled(2.0)]);
}
