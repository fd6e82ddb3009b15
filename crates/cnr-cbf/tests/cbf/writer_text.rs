//! The writer's exact output for one small program holding every cone kind.

use cnr_ir::{Block, Cone, ConeProgram, RowBuilder, Sense};

use crate::common::write_string;

/// maximise 2 w0 − w1 + t + 1.5 over columns w (2) and t (1), with rows of every cone kind.
fn small() -> ConeProgram {
    let mut rows = RowBuilder::new();
    // Zero: w0 + w1 = 1.
    rows.push_row(&[(0, 1.0), (1, 1.0)], 1.0);
    // Nonneg (two rows): w0 ≤ 3 and −w1 ≤ 0.5.
    rows.push_row(&[(0, 1.0)], 3.0);
    rows.push_row(&[(1, -1.0)], 0.5);
    // Second-order: (2, w0, w1).
    rows.push_row(&[], 2.0);
    rows.push_row(&[(0, -1.0)], 0.0);
    rows.push_row(&[(1, -1.0)], 0.0);
    // Exponential (Clarabel order x, y, z): (w0, 1, t).
    rows.push_row(&[(0, -1.0)], 0.0);
    rows.push_row(&[], 1.0);
    rows.push_row(&[(2, -1.0)], 0.0);
    // Power with α = 0.25: (w0, w1, 0.1).
    rows.push_row(&[(0, -1.0)], 0.0);
    rows.push_row(&[(1, -1.0)], 0.0);
    rows.push_row(&[], 0.1);
    let (a, b) = rows.finish(3);
    let mut p = ConeProgram::new("small", 3, Sense::Maximize);
    // Stored negated: the user maximises 2 w0 − w1 + t + 1.5.
    p.q = vec![-2.0, 1.0, -1.0];
    p.c = -1.5;
    p.a = a;
    p.b = b;
    p.cones = vec![
        Cone::Zero(1),
        Cone::Nonneg(1),
        Cone::Nonneg(1),
        Cone::SecondOrder(3),
        Cone::Exp,
        Cone::Power(0.25),
    ];
    p.var_blocks = vec![Block::vector("w", 0, "coordinate", 2), Block::vector("t", 2, "coordinate", 1)];
    p.row_blocks = vec![
        Block::vector("sum", 0, "row", 1),
        Block::array("bounds", 1, &[("coordinate", 2)], 1),
        Block::array("cones", 3, &[("kind", 3)], 3),
    ];
    p
}

#[test]
fn small_program_text() {
    insta::assert_snapshot!(write_string(&small()));
}
