//! The exact convex program of a two-layer CNN whose output weights are learned (docs/learned.md).
//! With patches `x̃_ik = (x_ik, 1)` (the 1 only with `bias`), `h = d (+1)` numbers each, and
//! arrangements `D_j`, `D_j[i, k] = 1[⟨x̃_ik, g_j⟩ ≥ 0]` for a filter `g_j` shared by every patch:
//!
//! ```text
//! minimise    ½ loss + β Σ_j (t_j + t'_j)
//! subject to  r_i = Σ_j Σ_k D_j[i,k] ⟨x̃_ik, c_j − c'_j⟩ + offset − y_i     (fit, zero rows)
//!             (2 D_j[i,k] − 1) ⟨x̃_ik, c_j⟩ ≥ 0, the same for c'_j           (sign, exact form)
//!             ‖(2r, loss − 1)‖ ≤ loss + 1,  i.e. ‖r‖² ≤ loss                (one cone)
//!             ‖c_j‖ ≤ t_j, ‖c'_j‖ ≤ t'_j                                   (one cone per group)
//! ```
//!
//! The gated form has one group `c_j` per arrangement and no sign rows. Columns: `c`, `c'`, the
//! offset, `r`, `loss`, `t`, `t'`; rows by cone kind: fit, sign, loss, groups.

mod arrangements;
mod read;

pub use arrangements::{all_arrangements, sample_arrangements, PatternSet, TooManyCells, MAX_CELLS};
pub use read::{read_network, significant, SIGNIFICANT};

use crate::{Origin, Plan};
use cnr_check::learned::{Form, Learn};
use cnr_check::Model;
use cnr_ir::{Block, Cone, ConeProgram, CscMatrix, Sense};
use std::ops::Range;

/// Where the learned program's variables sit.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnedLayout {
    /// Arrangements `P`.
    pub arrangements: usize,
    /// Numbers per patch `h` (`d`, plus 1 with a bias).
    pub h: usize,
    /// The groups `c_j` (`P·h`, arrangement-major).
    pub c: Range<usize>,
    /// The groups `c'_j` (exact form only).
    pub c_neg: Option<Range<usize>>,
    /// The output's offset.
    pub offset: Option<usize>,
    /// The residuals `r` (one per sample).
    pub r: Range<usize>,
    /// The loss's epigraph variable.
    pub loss: usize,
    /// The group norms' epigraph variables (`t`, then `t'`).
    pub t: Range<usize>,
    /// Columns.
    pub n: usize,
}

impl LearnedLayout {
    /// The layout of `model`'s program over `arrangements` patterns.
    pub fn new(model: &Model, arrangements: usize) -> LearnedLayout {
        let learn = learn_of(model);
        let h = patch_len(model);
        let groups = if learn.form == Form::Exact { 2 } else { 1 };
        let c = 0..arrangements * h;
        let c_neg = (groups == 2).then(|| c.end..c.end + arrangements * h);
        let mut next = c_neg.as_ref().map_or(c.end, |r| r.end);
        let offset = model.network.offset.then(|| {
            next += 1;
            next - 1
        });
        let r = next..next + model.data.n;
        let loss = r.end;
        let t = loss + 1..loss + 1 + groups * arrangements;
        LearnedLayout { arrangements, h, c, c_neg, offset, r, loss, n: t.end, t }
    }

    /// Group `j`'s columns (`j < P` in `c`, then `c'`).
    pub fn group(&self, j: usize) -> Range<usize> {
        let start = if j < self.arrangements {
            self.c.start + j * self.h
        } else {
            self.c_neg.as_ref().expect("an exact program").start + (j - self.arrangements) * self.h
        };
        start..start + self.h
    }

    /// Groups: `P` (gated) or `2P` (exact).
    pub fn groups(&self) -> usize {
        self.t.len()
    }
}

/// The model's `learn` block (lowering a learned program of a model without one is a bug).
pub(crate) fn learn_of(model: &Model) -> &Learn {
    model.learn.as_ref().expect("a model with learned output weights")
}

/// `h`: the filter's numbers and, with a bias, one more.
pub fn patch_len(model: &Model) -> usize {
    model.network.d() + usize::from(model.network.bias)
}

/// Writes `x̃_ik` (patch `k` of `x`, then 1 with a bias) into `out` (`h` numbers).
pub fn patch(model: &Model, x: &[f64], k: usize, out: &mut [f64]) {
    let d = model.network.d();
    model.geometry.gather(k, x, &mut out[..d]);
    if model.network.bias {
        out[d] = 1.0;
    }
}

/// The learned program of `model` over the arrangements `set`, with its layout.
pub fn lower_learned(model: &Model, set: &PatternSet) -> (ConeProgram, LearnedLayout) {
    let learn = learn_of(model);
    let layout = LearnedLayout::new(model, set.len());
    let (n, kk, h, p) = (model.data.n, model.network.patches(), layout.h, set.len());
    let mut triplets: Vec<(usize, usize, f64)> = Vec::new();
    let mut rhs = Vec::new();
    let mut patches = vec![0.0; kk * h];
    let gather = |i: usize, patches: &mut [f64]| {
        for k in 0..kk {
            patch(model, model.data.sample(i), k, &mut patches[k * h..(k + 1) * h]);
        }
    };
    // Fit: r_i − Σ_j ⟨a_ij, c_j − c'_j⟩ − offset = −y_i, with a_ij = Σ_k D_j[i,k] x̃_ik.
    let mut a = vec![0.0; h];
    for i in 0..n {
        gather(i, &mut patches);
        triplets.push((i, layout.r.start + i, 1.0));
        for j in 0..p {
            a.iter_mut().for_each(|v| *v = 0.0);
            for k in (0..kk).filter(|&k| set.active(j, i * kk + k)) {
                a.iter_mut().zip(&patches[k * h..(k + 1) * h]).for_each(|(a, x)| *a += x);
            }
            for (col, &v) in a.iter().enumerate().filter(|(_, v)| **v != 0.0) {
                triplets.push((i, layout.group(j).start + col, -v));
                if layout.c_neg.is_some() {
                    triplets.push((i, layout.group(p + j).start + col, v));
                }
            }
        }
        if let Some(col) = layout.offset {
            triplets.push((i, col, -1.0));
        }
        rhs.push(-model.data.y[i]);
    }
    let mut row = n;
    let mut cones = vec![Cone::Zero(n)];
    let fit = if learn.form == Form::Exact {
        "fit: r = Σ D X (c − c') + offset − y"
    } else {
        "fit: r = Σ D X c + offset − y"
    };
    let mut row_blocks = vec![Block::vector(fit, 0, "sample", n)];
    // Sign rows: s = (2D − 1) ⟨x̃_ik, c_j⟩ ≥ 0, written b − Ax with b = 0. A patch of zeros (all
    // padding, no bias) gives an empty row, which is kept so that the block's index holds.
    if learn.form == Form::Exact {
        let start = row;
        for (groups, name) in [(0..p, "sign: (2D − 1) X c ≥ 0"), (p..2 * p, "sign: (2D − 1) X c' ≥ 0")]
        {
            let block_start = row;
            for j in groups {
                for i in 0..n {
                    gather(i, &mut patches);
                    for k in 0..kk {
                        let sign = if set.active(j % p, i * kk + k) { 1.0 } else { -1.0 };
                        for (col, &x) in
                            patches[k * h..(k + 1) * h].iter().enumerate().filter(|(_, x)| **x != 0.0)
                        {
                            triplets.push((row, layout.group(j).start + col, -sign * x));
                        }
                        rhs.push(0.0);
                        row += 1;
                    }
                }
            }
            row_blocks.push(Block::array(
                name,
                block_start,
                &[("arrangement", p), ("sample", n), ("patch", kk)],
                1,
            ));
        }
        cones.push(Cone::Nonneg(row - start));
    }
    // The loss: (loss + 1, 2r, loss − 1) ∈ SOC.
    row_blocks.push(Block::array("loss: ‖r‖² ≤ loss", row, &[], n + 2));
    triplets.push((row, layout.loss, -1.0));
    rhs.push(1.0);
    for i in 0..n {
        triplets.push((row + 1 + i, layout.r.start + i, -2.0));
        rhs.push(0.0);
    }
    triplets.push((row + n + 1, layout.loss, -1.0));
    rhs.push(-1.0);
    row += n + 2;
    cones.push(Cone::SecondOrder(n + 2));
    // The groups: (t_j, c_j) ∈ SOC.
    row_blocks.push(Block::array("group: ‖c‖ ≤ t", row, &[("group", layout.groups())], h + 1));
    for j in 0..layout.groups() {
        triplets.push((row, layout.t.start + j, -1.0));
        for col in layout.group(j) {
            triplets.push((row + 1 + col - layout.group(j).start, col, -1.0));
        }
        rhs.extend(std::iter::repeat_n(0.0, h + 1));
        row += h + 1;
        cones.push(Cone::SecondOrder(h + 1));
    }
    let mut program = ConeProgram::new(format!("{}_learned", model.name), layout.n, Sense::Minimize);
    program.q[layout.loss] = 0.5;
    layout.t.clone().for_each(|col| program.q[col] = learn.weight_decay);
    program.a = CscMatrix::from_triplets(row, layout.n, &triplets);
    program.b = rhs;
    program.cones = cones;
    program.row_blocks = row_blocks;
    program.var_blocks = var_blocks(&layout);
    (program, layout)
}

/// The blocks of columns of `layout`.
fn var_blocks(layout: &LearnedLayout) -> Vec<Block> {
    let (p, h) = (layout.arrangements, layout.h);
    let mut blocks = vec![Block::array("c", layout.c.start, &[("arrangement", p), ("coordinate", h)], 1)];
    if let Some(c) = &layout.c_neg {
        blocks.push(Block::array("c'", c.start, &[("arrangement", p), ("coordinate", h)], 1));
    }
    if let Some(col) = layout.offset {
        blocks.push(Block::array("offset", col, &[], 1));
    }
    blocks.push(Block::vector("r", layout.r.start, "sample", layout.r.len()));
    blocks.push(Block::array("loss", layout.loss, &[], 1));
    blocks.push(Block::vector("t", layout.t.start, "group", layout.t.len()));
    blocks
}

/// The sizes of the learned program over `arrangements` patterns, counted without building it:
/// the non-zeros are an upper bound (every patch entry taken as non-zero).
pub fn plan_learned(model: &Model, arrangements: usize) -> Plan {
    let layout = LearnedLayout::new(model, arrangements);
    let (n, kk, h, p) = (model.data.n, model.network.patches(), layout.h, arrangements);
    let groups = layout.groups();
    let exact = layout.c_neg.is_some();
    let sign_rows = if exact { 2 * p * n * kk } else { 0 };
    let fit_nnz = n * (1 + groups * h + usize::from(layout.offset.is_some()));
    let nonzeros = fit_nnz + sign_rows * h + (n + 2) + groups * (h + 1);
    let mut cones = vec![(Cone::Zero(n), 1)];
    let mut origins = vec![(0..n, Origin::Fit)];
    if exact {
        cones.push((Cone::Nonneg(sign_rows), 1));
        origins.push((n..n + sign_rows, Origin::Sign));
    }
    let loss = n + sign_rows;
    cones.push((Cone::SecondOrder(n + 2), 1));
    origins.push((loss..loss + n + 2, Origin::Loss));
    cones.push((Cone::SecondOrder(h + 1), groups));
    let rows = loss + n + 2 + groups * (h + 1);
    origins.push((loss + n + 2..rows, Origin::Group));
    Plan { variables: layout.n, rows, nonzeros, cones, origins }
}
